// SPDX-License-Identifier: GPL-2.0
/*
 * arm64 vCPUs: KVM_CREATE_VCPU, VCPU_INIT, ONE_REG, and KVM_RUN with each exit class:
 * MMIO (widths, sign extension), PSCI system events, UNDEF injection, FP/SIMD state
 * across exits and host CPUs, WFI blocking, signals, immediate_exit, guest memory.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <time.h>

#include "kselftest_harness.h"
#include "vcpu_lib.h"

/* Guest programs (MMU off, so every access is Device memory: keep them aligned). */
asm(".pushsection .text\n"
    ".balign 4\n"
    /* MMIO: a 4-byte write, signed byte / halfword / 64-bit reads, then SYSTEM_OFF. */
    ".global g_mmio_start, g_mmio_end\n"
    "g_mmio_start:\n"
    "	movz x1, #0x9000, lsl #16\n"
    "	movz x2, #0x1234\n"
    "	str w2, [x1]\n"
    "	ldrsb x3, [x1, #8]\n"
    "	ldrh w4, [x1, #16]\n"
    "	ldr x5, [x1, #24]\n"
    "	ldrsh w6, [x1, #32]\n"
    "	movz x0, #0x0008\n"
    "	movk x0, #0x8400, lsl #16\n"
    "	hvc #0\n"
    "	b .\n"
    "g_mmio_end:\n"
    /* Spin forever. */
    ".global g_spin_start, g_spin_end\n"
    "g_spin_start:\n"
    "	b .\n"
    "g_spin_end:\n"
    /* An implementation-defined register read (HCR_EL2.TIDCP traps it). */
    ".global g_undef_start, g_undef_end\n"
    "g_undef_start:\n"
    "	mrs x0, s3_0_c15_c0_0\n"
    "	b .\n"
    "g_undef_end:\n"
    /* Vectors: any exception from EL1h (VBAR + 0x200) reports ESR_EL1 and ELR_EL1. */
    ".global g_vectors_start, g_vectors_end\n"
    "g_vectors_start:\n"
    "	.fill 0x200 / 4, 4, 0xd4200000\n" /* brk #0 */
    "	movz x1, #0x9000, lsl #16\n"
    "	mrs x2, esr_el1\n"
    "	str x2, [x1]\n"
    "	mrs x2, elr_el1\n"
    "	str x2, [x1, #8]\n"
    "	b .\n"
    "g_vectors_end:\n"
    /* FP: v0 = x2, exit, then report v0 and v1 (which the VMM set meanwhile). */
    ".global g_fp_start, g_fp_end\n"
    "g_fp_start:\n"
    "	movz x1, #0x9000, lsl #16\n"
    "	fmov d0, x2\n"
    "	str xzr, [x1]\n"
    "	fmov x3, d0\n"
    "	str x3, [x1, #8]\n"
    "	fmov x3, d1\n"
    "	str x3, [x1, #16]\n"
    "	b g_fp_start + 4\n"
    "g_fp_end:\n"
    /* WFI, then tell the VMM it returned. */
    ".global g_wfi_start, g_wfi_end\n"
    "g_wfi_start:\n"
    "	movz x1, #0x9000, lsl #16\n"
    "	wfi\n"
    "	str xzr, [x1]\n"
    "	b .\n"
    "g_wfi_end:\n"
    /* FEAT_WFxT: report ID_AA64ISAR2_EL1; a WFIT whose count has passed (x6 = now);
     * then WFIT until the virtual count is about 8 ms (CNTFRQ / 128 ticks) ahead, with
     * the virtual timer armed at that count (enabled, unmasked; PSTATE.I masked, no GIC:
     * its line only ends waits), again after each early return, counting them in x10
     * (.inst: WFIT x6 and x7, as assemblers without Armv8.7 do not know it); report the
     * ticks it took, the ticks asked for and the count of WFITs. */
    ".global g_wfit_start, g_wfit_end\n"
    "g_wfit_start:\n"
    "	movz x1, #0x9000, lsl #16\n"
    "	mrs x3, s3_0_c0_c6_2\n"
    "	str x3, [x1]\n"
    "	isb\n"
    "	mrs x6, cntvct_el0\n"
    "	.inst 0xd5031026\n"
    "	str xzr, [x1, #8]\n"
    "	mrs x5, cntfrq_el0\n"
    "	lsr x5, x5, #7\n"
    "	mov x10, #0\n"
    "	isb\n"
    "	mrs x6, cntvct_el0\n"
    "	add x7, x6, x5\n"
    "	msr cntv_cval_el0, x7\n"
    "	mov x2, #1\n"
    "	msr cntv_ctl_el0, x2\n"
    "	isb\n"
    "1:	.inst 0xd5031027\n"
    "	add x10, x10, #1\n"
    "	isb\n"
    "	mrs x8, cntvct_el0\n"
    "	cmp x8, x7\n"
    "	b.lo 1b\n"
    "	msr cntv_ctl_el0, xzr\n"
    "	sub x9, x8, x6\n"
    "	str x9, [x1, #16]\n"
    "	str x5, [x1, #24]\n"
    "	str x10, [x1, #32]\n"
    "	b .\n"
    "g_wfit_end:\n"
    /* RAM: store x2 at the data page, exit, load it back and report it. */
    ".global g_ram_start, g_ram_end\n"
    "g_ram_start:\n"
    "	movz x1, #0x9000, lsl #16\n"
    "	movz x4, #0x4002, lsl #16\n"
    "	str x2, [x4]\n"
    "	str xzr, [x1]\n"
    "	ldr x3, [x4]\n"
    "	str x3, [x1, #8]\n"
    "	b .\n"
    "g_ram_end:\n"
    /* PSCI CPU_ON(target x2 = MPIDR, entry x3, context x4), report the result. */
    ".global g_cpu_on_start, g_cpu_on_end\n"
    "g_cpu_on_start:\n"
    "	movz x1, #0x9000, lsl #16\n"
    "	movz x0, #0x0003\n"
    "	movk x0, #0xc400, lsl #16\n"
    "	mov x5, x1\n"
    "	mov x1, x2\n"
    "	mov x2, x3\n"
    "	mov x3, x4\n"
    "	hvc #0\n"
    "	str x0, [x5]\n"
    "	b .\n"
    "g_cpu_on_end:\n"
    /* The second vCPU's entry point: report x0 (the context id). */
    ".global g_secondary_start, g_secondary_end\n"
    "g_secondary_start:\n"
    "	movz x1, #0x9000, lsl #16\n"
    "	str x0, [x1, #64]\n"
    "	b .\n"
    "g_secondary_end:\n"
    /* Jump to an IPA no memslot covers: the fetch must fault into the guest. */
    ".global g_badfetch_start, g_badfetch_end\n"
    "g_badfetch_start:\n"
    "	movz x2, #0x8000, lsl #16\n"
    "	br x2\n"
    "g_badfetch_end:\n"
    /* A load pair from MMIO: no instruction syndrome for the VMM to emulate it. */
    ".global g_ldp_start, g_ldp_end\n"
    "g_ldp_start:\n"
    "	movz x1, #0x9000, lsl #16\n"
    "	ldp x2, x3, [x1]\n"
    "	b .\n"
    "g_ldp_end:\n"
    /* An 8-byte load straddling the last RAM page and the hole after it (x1 set by the VMM). */
    ".global g_straddle_start, g_straddle_end\n"
    "g_straddle_start:\n"
    "	ldr x3, [x1]\n"
    "	b .\n"
    "g_straddle_end:\n"
    /* Unknown SMCCC function, set/way cache maintenance, WFE: report x0, then done. */
    ".global g_misc_start, g_misc_end\n"
    "g_misc_start:\n"
    "	movz x0, #0x1234\n"
    "	movk x0, #0xc200, lsl #16\n"
    "	hvc #0\n"
    "	mov x5, x0\n"
    "	mov x0, #0\n"
    "	dc cisw, x0\n"
    "	wfe\n"
    "	movz x1, #0x9000, lsl #16\n"
    "	str x5, [x1]\n"
    "	b .\n"
    "g_misc_end:\n"
    /* Report ID_AA64PFR0_EL1, then read ICC_PMR_EL1 (a GICv3 CPU-interface register). */
    ".global g_gicid_start, g_gicid_end\n"
    "g_gicid_start:\n"
    "	movz x1, #0x9000, lsl #16\n"
    "	mrs x3, id_aa64pfr0_el1\n"
    "	str x3, [x1, #16]\n"
    "	mrs x4, s3_0_c4_c6_0\n"
    "	b .\n"
    "g_gicid_end:\n"
    ".popsection\n");

GUEST_PROGRAM(g_badfetch);
GUEST_PROGRAM(g_ldp);
GUEST_PROGRAM(g_straddle);
GUEST_PROGRAM(g_misc);
GUEST_PROGRAM(g_mmio);
GUEST_PROGRAM(g_spin);
GUEST_PROGRAM(g_undef);
GUEST_PROGRAM(g_vectors);
GUEST_PROGRAM(g_fp);
GUEST_PROGRAM(g_wfi);
GUEST_PROGRAM(g_wfit);
GUEST_PROGRAM(g_ram);
GUEST_PROGRAM(g_cpu_on);
GUEST_PROGRAM(g_secondary);
GUEST_PROGRAM(g_gicid);

#define LOAD(m, ipa, prog) load_program(m, ipa, prog##_start, prog##_end)

FIXTURE(vcpu)
{
	struct vmm m;
	struct vcpu v;
};

FIXTURE_SETUP(vcpu)
{
	ASSERT_EQ(0, vmm_create(&self->m));
	ASSERT_EQ(0, vcpu_add(&self->m, &self->v, 0, 1 << KVM_ARM_VCPU_PSCI_0_2, GUEST_CODE_IPA));
}

FIXTURE_TEARDOWN(vcpu)
{
	close(self->v.fd);
	vmm_destroy(&self->m);
}

static void expect_mmio(struct __test_metadata *_metadata, struct vcpu *v, uint64_t ipa, int len,
			int is_write)
{
	ASSERT_EQ(0, vcpu_run(v));
	ASSERT_EQ(KVM_EXIT_MMIO, v->run->exit_reason);
	EXPECT_EQ(ipa, v->run->mmio.phys_addr);
	EXPECT_EQ(len, v->run->mmio.len);
	EXPECT_EQ(is_write, v->run->mmio.is_write);
}

static void set_mmio_data(struct vcpu *v, uint64_t val)
{
	memcpy(v->run->mmio.data, &val, sizeof(val));
}

TEST(run_before_vcpu_init_fails_enoexec)
{
	struct vmm m;
	int fd;

	ASSERT_EQ(0, vmm_create(&m));
	fd = ioctl(m.vm, KVM_CREATE_VCPU, 0);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-1, ioctl(fd, KVM_RUN, 0));
	EXPECT_EQ(ENOEXEC, errno);
	close(fd);
	vmm_destroy(&m);
}

TEST(create_vcpu_rejects_duplicate_and_out_of_range_ids)
{
	struct vmm m;
	int fd;

	ASSERT_EQ(0, vmm_create(&m));
	fd = ioctl(m.vm, KVM_CREATE_VCPU, 3);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-1, ioctl(m.vm, KVM_CREATE_VCPU, 3));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(-1, ioctl(m.vm, KVM_CREATE_VCPU,
			    ioctl(m.kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID)));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
	vmm_destroy(&m);
}

TEST_F(vcpu, vcpu_init_rejects_unknown_target_and_features)
{
	struct kvm_vcpu_init init = { .target = 0x7fff };

	EXPECT_EQ(-1, ioctl(self->v.fd, KVM_ARM_VCPU_INIT, &init));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, ioctl(self->m.vm, KVM_ARM_PREFERRED_TARGET, &init));
	init.features[0] = 1u << 31;
	EXPECT_EQ(-1, ioctl(self->v.fd, KVM_ARM_VCPU_INIT, &init));
	EXPECT_EQ(ENOENT, errno);
	init.features[0] = 1u << KVM_ARM_VCPU_SVE; /* known, not provided */
	EXPECT_EQ(-1, ioctl(self->v.fd, KVM_ARM_VCPU_INIT, &init));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(vcpu, one_reg_unknown_id_is_enoent_and_bad_pstate_einval)
{
	uint64_t val = 0;
	struct kvm_one_reg reg = { .id = SYSREG(3, 7, 15, 15, 7), .addr = (uintptr_t)&val };

	EXPECT_EQ(-1, ioctl(self->v.fd, KVM_GET_ONE_REG, &reg));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, vcpu_set(&self->v, CORE_REG(regs.pstate), 0x9)); /* EL2h */
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0x3c5, vcpu_get(&self->v, CORE_REG(regs.pstate)));
	EXPECT_EQ(0x80000000ULL, vcpu_get(&self->v, REG_MPIDR_EL1));
}

TEST_F(vcpu, reg_list_reports_size_then_lists_core_registers)
{
	struct kvm_reg_list head = { .n = 0 };
	struct kvm_reg_list *list;
	int found_pc = 0;

	EXPECT_EQ(-1, ioctl(self->v.fd, KVM_GET_REG_LIST, &head));
	EXPECT_EQ(E2BIG, errno);
	ASSERT_GT(head.n, 100);
	list = calloc(1, sizeof(*list) + head.n * sizeof(__u64));
	list->n = head.n;
	ASSERT_EQ(0, ioctl(self->v.fd, KVM_GET_REG_LIST, list));
	for (__u64 i = 0; i < list->n; i++) {
		uint8_t buf[16];
		struct kvm_one_reg reg = { .id = list->reg[i], .addr = (uintptr_t)buf };

		found_pc |= list->reg[i] == CORE_REG(regs.pc);
		EXPECT_EQ(0, ioctl(self->v.fd, KVM_GET_ONE_REG, &reg));
		EXPECT_EQ(0, ioctl(self->v.fd, KVM_SET_ONE_REG, &reg));
	}
	EXPECT_TRUE(found_pc);
	free(list);
}

TEST_F(vcpu, mmio_exits_with_widths_and_sign_extended_reads)
{
	LOAD(&self->m, GUEST_CODE_IPA, g_mmio);
	expect_mmio(_metadata, &self->v, GUEST_MMIO_IPA, 4, 1);
	EXPECT_EQ(0x1234, mmio_data(&self->v));
	expect_mmio(_metadata, &self->v, GUEST_MMIO_IPA + 8, 1, 0);
	set_mmio_data(&self->v, 0x80);
	expect_mmio(_metadata, &self->v, GUEST_MMIO_IPA + 16, 2, 0);
	set_mmio_data(&self->v, 0xfffe);
	expect_mmio(_metadata, &self->v, GUEST_MMIO_IPA + 24, 8, 0);
	set_mmio_data(&self->v, 0x0123456789abcdefULL);
	expect_mmio(_metadata, &self->v, GUEST_MMIO_IPA + 32, 2, 0);
	set_mmio_data(&self->v, 0x8001);
	/* SYSTEM_OFF ends the run; every read has landed by then. */
	ASSERT_EQ(0, vcpu_run(&self->v));
	ASSERT_EQ(KVM_EXIT_SYSTEM_EVENT, self->v.run->exit_reason);
	EXPECT_EQ(KVM_SYSTEM_EVENT_SHUTDOWN, self->v.run->system_event.type);
	EXPECT_EQ(0xffffffffffffff80ULL, vcpu_get(&self->v, CORE_REG(regs.regs[3])));
	EXPECT_EQ(0xfffe, vcpu_get(&self->v, CORE_REG(regs.regs[4])));
	EXPECT_EQ(0x0123456789abcdefULL, vcpu_get(&self->v, CORE_REG(regs.regs[5])));
	/* ldrsh into a W register: sign-extended to 32 bits, upper half zero. */
	EXPECT_EQ(0xffff8001ULL, vcpu_get(&self->v, CORE_REG(regs.regs[6])));
}

TEST_F(vcpu, unhandled_sysreg_injects_undef_into_guest)
{
	LOAD(&self->m, GUEST_CODE_IPA, g_undef);
	LOAD(&self->m, GUEST_VECTORS_IPA, g_vectors);
	ASSERT_EQ(0, vcpu_set(&self->v, REG_VBAR_EL1, GUEST_VECTORS_IPA));
	expect_mmio(_metadata, &self->v, GUEST_MMIO_IPA, 8, 1);
	EXPECT_EQ(0x02000000ULL, mmio_data(&self->v)); /* EC 0 (unknown), IL */
	expect_mmio(_metadata, &self->v, GUEST_MMIO_IPA + 8, 8, 1);
	EXPECT_EQ(GUEST_CODE_IPA, mmio_data(&self->v)); /* ELR: the faulting mrs */
}

/*
 * A VM without a vGIC has no GIC CPU interface: ID_AA64PFR0_EL1.GIC reads 1 until a vCPU
 * runs (the VMM may still create the vGIC) and 0 from then on, for the VMM and the guest
 * alike, and the guest's ICC_* accesses are undefined (upstream 6.12's no-vgic-v3). A
 * VMM may narrow the field to 0 before the run (id_regs_test), never above 1.
 */
#define REG_ID_AA64PFR0 SYSREG(3, 0, 0, 4, 0)
#define PFR0_GIC(v) (((v) >> 24) & 0xf)

TEST_F(vcpu, without_a_vgic_the_guest_has_no_gic_cpu_interface)
{
	struct kvm_create_device gic = { .type = KVM_DEV_TYPE_ARM_VGIC_V3,
					 .flags = KVM_CREATE_DEVICE_TEST };
	uint64_t pfr0 = vcpu_get(&self->v, REG_ID_AA64PFR0);

	if (ioctl(self->m.vm, KVM_CREATE_DEVICE, &gic))
		SKIP(return, "no GICv3 for VMs on this host");
	EXPECT_EQ(1, PFR0_GIC(pfr0)) TH_LOG("before the run: the VMM may still create one");
	EXPECT_EQ(0, vcpu_set(&self->v, REG_ID_AA64PFR0, pfr0 & ~(0xfULL << 24)));
	EXPECT_EQ(0, PFR0_GIC(vcpu_get(&self->v, REG_ID_AA64PFR0))) TH_LOG("a VMM's narrowing");
	EXPECT_EQ(0, vcpu_set(&self->v, REG_ID_AA64PFR0, pfr0)) TH_LOG("back to the offer");
	EXPECT_EQ(-1, vcpu_set(&self->v, REG_ID_AA64PFR0, pfr0 + (1ULL << 24)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(1, PFR0_GIC(vcpu_get(&self->v, REG_ID_AA64PFR0)));

	LOAD(&self->m, GUEST_CODE_IPA, g_gicid);
	LOAD(&self->m, GUEST_VECTORS_IPA, g_vectors);
	ASSERT_EQ(0, vcpu_set(&self->v, REG_VBAR_EL1, GUEST_VECTORS_IPA));
	expect_mmio(_metadata, &self->v, GUEST_MMIO_IPA + 16, 8, 1);
	EXPECT_EQ(0, PFR0_GIC(mmio_data(&self->v))) TH_LOG("the guest's view");
	EXPECT_EQ(pfr0 & ~(0xfULL << 24), mmio_data(&self->v)) TH_LOG("and nothing else moved");
	expect_mmio(_metadata, &self->v, GUEST_MMIO_IPA, 8, 1);
	EXPECT_EQ(0x02000000ULL, mmio_data(&self->v)) TH_LOG("ICC_PMR_EL1: undefined");
	expect_mmio(_metadata, &self->v, GUEST_MMIO_IPA + 8, 8, 1);
	EXPECT_EQ(GUEST_CODE_IPA + 12, mmio_data(&self->v));
	EXPECT_EQ(0, PFR0_GIC(vcpu_get(&self->v, REG_ID_AA64PFR0))) TH_LOG("the VMM's view");
	gic.flags = 0;
	EXPECT_EQ(-1, ioctl(self->m.vm, KVM_CREATE_DEVICE, &gic)) TH_LOG("too late for one");
	EXPECT_EQ(EBUSY, errno);
}

TEST_F(vcpu, fetch_outside_guest_memory_injects_prefetch_abort)
{
	LOAD(&self->m, GUEST_CODE_IPA, g_badfetch);
	LOAD(&self->m, GUEST_VECTORS_IPA, g_vectors);
	ASSERT_EQ(0, vcpu_set(&self->v, REG_VBAR_EL1, GUEST_VECTORS_IPA));
	expect_mmio(_metadata, &self->v, GUEST_MMIO_IPA, 8, 1);
	/* ESR_EL1: EC 0x21 (instruction abort, same EL), IL, FSC 0x10 (external abort). */
	EXPECT_EQ(0x21ULL << 26 | 1 << 25 | 0x10, mmio_data(&self->v));
	expect_mmio(_metadata, &self->v, GUEST_MMIO_IPA + 8, 8, 1);
	EXPECT_EQ(0x80000000ULL, mmio_data(&self->v));
}

TEST_F(vcpu, mmio_without_syndrome_fails_run_with_enosys)
{
	LOAD(&self->m, GUEST_CODE_IPA, g_ldp);
	EXPECT_EQ(-1, vcpu_run(&self->v));
	EXPECT_EQ(ENOSYS, errno);
}

TEST_F(vcpu, load_straddling_ram_end_exits_at_first_unbacked_byte)
{
	uint64_t addr = GUEST_RAM_IPA + GUEST_RAM_SIZE - 4;

	LOAD(&self->m, GUEST_CODE_IPA, g_straddle);
	ASSERT_EQ(0, vcpu_set(&self->v, CORE_REG(regs.regs[1]), addr));
	/*
	 * The CPU reports the stage-2 fault at the first byte past guest RAM (FAR/HPFAR);
	 * kvmx forwards exactly that, as upstream KVM does: an 8-byte read there. No part of
	 * the access is lost silently, and the guest continues after the VMM's answer.
	 */
	expect_mmio(_metadata, &self->v, GUEST_RAM_IPA + GUEST_RAM_SIZE, 8, 0);
	set_mmio_data(&self->v, 0x1122334455667788ULL);
	self->v.run->immediate_exit = 1;
	EXPECT_EQ(-1, vcpu_run(&self->v));
	EXPECT_EQ(0x1122334455667788ULL, vcpu_get(&self->v, CORE_REG(regs.regs[3])));
	EXPECT_EQ(GUEST_CODE_IPA + 4, vcpu_get(&self->v, CORE_REG(regs.pc)));
}

TEST_F(vcpu, mmio_straddling_two_mmio_pages_is_one_exit)
{
	LOAD(&self->m, GUEST_CODE_IPA, g_straddle);
	ASSERT_EQ(0, vcpu_set(&self->v, CORE_REG(regs.regs[1]), GUEST_MMIO_IPA + 4092));
	expect_mmio(_metadata, &self->v, GUEST_MMIO_IPA + 4092, 8, 0);
}

TEST_F(vcpu, unknown_smccc_call_set_way_and_wfe_complete)
{
	LOAD(&self->m, GUEST_CODE_IPA, g_misc);
	expect_mmio(_metadata, &self->v, GUEST_MMIO_IPA, 8, 1);
	EXPECT_EQ(~0ULL, mmio_data(&self->v)); /* SMCCC NOT_SUPPORTED */
}

TEST_F(vcpu, fp_state_survives_exits_and_host_cpu_changes)
{
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);

	LOAD(&self->m, GUEST_CODE_IPA, g_fp);
	for (int i = 0; i < 200; i++) {
		uint64_t v0 = 0x1111000000000000ULL + i, v1 = 0x2222000000000000ULL + i;
		__uint128_t q1 = v1;
		struct kvm_one_reg reg = { .id = REG_V(1), .addr = (uintptr_t)&q1 };
		cpu_set_t set;

		/* Move the vCPU thread between host CPUs on every iteration. */
		CPU_ZERO(&set);
		CPU_SET(i % ncpus, &set);
		sched_setaffinity(0, sizeof(set), &set);
		ASSERT_EQ(0, vcpu_set(&self->v, CORE_REG(regs.regs[2]), v0));
		if (i == 0)
			expect_mmio(_metadata, &self->v, GUEST_MMIO_IPA, 8, 1);
		ASSERT_EQ(0, ioctl(self->v.fd, KVM_SET_ONE_REG, &reg));
		/* The host uses its own FP registers between runs. */
		volatile double d = 1.5 * i;
		(void)d;
		expect_mmio(_metadata, &self->v, GUEST_MMIO_IPA + 8, 8, 1);
		EXPECT_EQ(i ? 0x1111000000000000ULL + i - 1 : v0, mmio_data(&self->v));
		expect_mmio(_metadata, &self->v, GUEST_MMIO_IPA + 16, 8, 1);
		EXPECT_EQ(v1, mmio_data(&self->v));
		expect_mmio(_metadata, &self->v, GUEST_MMIO_IPA, 8, 1);
		if (_metadata->passed == 0)
			break;
	}
}

TEST_F(vcpu, signal_interrupts_running_guest_with_eintr)
{
	struct sigaction sa = { .sa_handler = ignore_signal };

	LOAD(&self->m, GUEST_CODE_IPA, g_spin);
	sigaction(SIGALRM, &sa, NULL);
	alarm(1);
	EXPECT_EQ(-1, vcpu_run(&self->v));
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ(KVM_EXIT_INTR, self->v.run->exit_reason);
	/* The guest stays where it was and can be run again. */
	EXPECT_EQ(GUEST_CODE_IPA, vcpu_get(&self->v, CORE_REG(regs.pc)));
}

/*
 * KVM_SET_SIGNAL_MASK, as QEMU-style VMMs use it: the thread keeps SIGALRM blocked, the
 * mask given to KVM (8 bytes, the kernel's sigset_t) unblocks it during KVM_RUN only.
 */
TEST_F(vcpu, set_signal_mask_holds_only_during_kvm_run)
{
	struct sigaction sa = { .sa_handler = ignore_signal };
	/* struct kvm_signal_mask: __u32 len, then the set's bytes at offset 4. */
	struct {
		uint32_t len;
		uint64_t set;
	} __attribute__((packed)) m = { .len = 8, .set = 0 };
	sigset_t block, now;

	LOAD(&self->m, GUEST_CODE_IPA, g_spin);
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	ASSERT_EQ(0, pthread_sigmask(SIG_BLOCK, &block, NULL));
	sigaction(SIGALRM, &sa, NULL);
	m.len = 16;
	EXPECT_EQ(-1, ioctl(self->v.fd, KVM_SET_SIGNAL_MASK, &m));
	EXPECT_EQ(EINVAL, errno) TH_LOG("len must be the kernel's sigset_t size");
	m.len = 8;
	ASSERT_EQ(0, ioctl(self->v.fd, KVM_SET_SIGNAL_MASK, &m));
	alarm(1);
	EXPECT_EQ(-1, vcpu_run(&self->v)) TH_LOG("SIGALRM is not blocked during KVM_RUN");
	EXPECT_EQ(EINTR, errno);
	ASSERT_EQ(0, pthread_sigmask(SIG_BLOCK, NULL, &now));
	EXPECT_TRUE(sigismember(&now, SIGALRM)) TH_LOG("the thread's own mask is back");
	EXPECT_EQ(0, ioctl(self->v.fd, KVM_SET_SIGNAL_MASK, NULL)) TH_LOG("NULL drops it");
	pthread_sigmask(SIG_UNBLOCK, &block, NULL);
}

TEST_F(vcpu, immediate_exit_completes_mmio_and_returns_eintr_without_running)
{
	LOAD(&self->m, GUEST_CODE_IPA, g_mmio);
	expect_mmio(_metadata, &self->v, GUEST_MMIO_IPA, 4, 1);
	expect_mmio(_metadata, &self->v, GUEST_MMIO_IPA + 8, 1, 0);
	set_mmio_data(&self->v, 0x7f);
	self->v.run->immediate_exit = 1;
	EXPECT_EQ(-1, vcpu_run(&self->v));
	EXPECT_EQ(EINTR, errno);
	/* As upstream: the read landed, the PC moved past it, exit_reason is untouched. */
	EXPECT_EQ(KVM_EXIT_MMIO, self->v.run->exit_reason);
	EXPECT_EQ(0x7f, vcpu_get(&self->v, CORE_REG(regs.regs[3])));
	EXPECT_EQ(GUEST_CODE_IPA + 16, vcpu_get(&self->v, CORE_REG(regs.pc)));
	/* A second immediate exit must not complete the access again. */
	EXPECT_EQ(-1, vcpu_run(&self->v));
	EXPECT_EQ(GUEST_CODE_IPA + 16, vcpu_get(&self->v, CORE_REG(regs.pc)));
}

TEST_F(vcpu, wfi_blocks_until_user_irq_line)
{
	struct irq_args args = { .vm = self->m.vm, .delay_ms = 300 };
	pthread_t t;
	double start;

	LOAD(&self->m, GUEST_CODE_IPA, g_wfi);
	pthread_create(&t, NULL, raise_irq_later, &args);
	start = now_s();
	expect_mmio(_metadata, &self->v, GUEST_MMIO_IPA, 8, 1);
	EXPECT_GE(now_s() - start, 0.25);
	pthread_join(t, NULL);
}

/*
 * FEAT_WFxT, where the host has it (QEMU's -cpu max does): the guest reads the host's
 * ID_AA64ISAR2_EL1.WFxT; a WFIT whose count has passed returns; a WFIT loop with the
 * virtual timer armed at its count ends there. (QEMU traps a WFIT as a WFI, with no
 * register in the syndrome: the timer ends it, KVM_RUN returning for the VMM's irqchip
 * on the way. The timeout itself, with a register in the syndrome, is the unit tests'.)
 */
TEST_F(vcpu, wfit_waits_for_its_count)
{
	uint64_t isar2, elapsed, asked, wfits;
	int intr = 0;

	LOAD(&self->m, GUEST_CODE_IPA, g_wfit);
	expect_mmio(_metadata, &self->v, GUEST_MMIO_IPA, 8, 1);
	memcpy(&isar2, self->v.run->mmio.data, 8);
	EXPECT_EQ(vcpu_get(&self->v, SYSREG(3, 0, 0, 6, 2)), isar2);
	if (!(isar2 & 0xf))
		SKIP(return, "no FEAT_WFxT on this host");
	expect_mmio(_metadata, &self->v, GUEST_MMIO_IPA + 8, 8, 1);
	/* The timer's line for the VMM's irqchip: KVM_RUN returns EINTR, run on. */
	while (vcpu_run(&self->v) < 0 && errno == EINTR && intr < 10)
		intr++;
	ASSERT_EQ(KVM_EXIT_MMIO, self->v.run->exit_reason);
	ASSERT_EQ(GUEST_MMIO_IPA + 16, self->v.run->mmio.phys_addr);
	memcpy(&elapsed, self->v.run->mmio.data, 8);
	expect_mmio(_metadata, &self->v, GUEST_MMIO_IPA + 24, 8, 1);
	memcpy(&asked, self->v.run->mmio.data, 8);
	expect_mmio(_metadata, &self->v, GUEST_MMIO_IPA + 32, 8, 1);
	memcpy(&wfits, self->v.run->mmio.data, 8);
	EXPECT_NE(0, asked);
	EXPECT_GE(elapsed, asked);
	EXPECT_GE(wfits, 1);
	TH_LOG("%llu WFITs, %d KVM_EXIT_INTR, %llu ticks for a count %llu ahead",
	       (unsigned long long)wfits, intr, (unsigned long long)elapsed,
	       (unsigned long long)asked);
}

TEST_F(vcpu, irq_line_needs_cpu_type_without_irqchip)
{
	struct kvm_irq_level irq = {
		.irq = KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT | 32,
		.level = 1,
	};

	EXPECT_EQ(-1, ioctl(self->m.vm, KVM_IRQ_LINE, &irq));
	EXPECT_EQ(ENXIO, errno);
	irq.irq = KVM_ARM_IRQ_TYPE_CPU << KVM_ARM_IRQ_TYPE_SHIFT | 5 << KVM_ARM_IRQ_VCPU_SHIFT;
	EXPECT_EQ(-1, ioctl(self->m.vm, KVM_IRQ_LINE, &irq));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(vcpu, guest_ram_follows_user_mapping_after_madv_dontneed)
{
	uint64_t *data = (uint64_t *)(self->m.ram + (GUEST_DATA_IPA - GUEST_RAM_IPA));

	LOAD(&self->m, GUEST_CODE_IPA, g_ram);
	ASSERT_EQ(0, vcpu_set(&self->v, CORE_REG(regs.regs[2]), 0x5a5a5a5a12345678ULL));
	expect_mmio(_metadata, &self->v, GUEST_MMIO_IPA, 8, 1);
	EXPECT_EQ(0x5a5a5a5a12345678ULL, *data);
	/* Drop the page: the guest must see the fresh zero page, not the old frame. */
	ASSERT_EQ(0, madvise(data, 4096, MADV_DONTNEED));
	expect_mmio(_metadata, &self->v, GUEST_MMIO_IPA + 8, 8, 1);
	EXPECT_EQ(0, mmio_data(&self->v));
}

TEST(powered_off_vcpu_blocks_until_signal)
{
	struct sigaction sa = { .sa_handler = ignore_signal };
	struct kvm_mp_state mp;
	struct vmm m;
	struct vcpu v;

	ASSERT_EQ(0, vmm_create(&m));
	ASSERT_EQ(0, vcpu_add(&m, &v, 0, 1 << KVM_ARM_VCPU_POWER_OFF | 1 << KVM_ARM_VCPU_PSCI_0_2,
			      GUEST_CODE_IPA));
	ASSERT_EQ(0, ioctl(v.fd, KVM_GET_MP_STATE, &mp));
	EXPECT_EQ(KVM_MP_STATE_STOPPED, mp.mp_state);
	sigaction(SIGALRM, &sa, NULL);
	alarm(1);
	EXPECT_EQ(-1, vcpu_run(&v));
	EXPECT_EQ(EINTR, errno);
	close(v.fd);
	vmm_destroy(&m);
}

struct run_args {
	struct vcpu *v;
	int ret;
};

static void *run_thread(void *p)
{
	struct run_args *a = p;

	a->ret = vcpu_run(a->v);
	return NULL;
}

TEST(psci_cpu_on_starts_secondary_at_entry_with_context)
{
	struct run_args args;
	struct vmm m;
	struct vcpu v0, v1;
	pthread_t t;

	ASSERT_EQ(0, vmm_create(&m));
	ASSERT_EQ(0, vcpu_add(&m, &v0, 0, 1 << KVM_ARM_VCPU_PSCI_0_2, GUEST_CODE_IPA));
	ASSERT_EQ(0, vcpu_add(&m, &v1, 1, 1 << KVM_ARM_VCPU_POWER_OFF | 1 << KVM_ARM_VCPU_PSCI_0_2,
			      0));
	LOAD(&m, GUEST_CODE_IPA, g_cpu_on);
	LOAD(&m, GUEST_CODE_IPA + 0x1000, g_secondary);
	ASSERT_EQ(0, vcpu_set(&v0, CORE_REG(regs.regs[2]), 1 | 1ULL << 31)); /* MPIDR of vCPU 1 */
	ASSERT_EQ(0, vcpu_set(&v0, CORE_REG(regs.regs[3]), GUEST_CODE_IPA + 0x1000));
	ASSERT_EQ(0, vcpu_set(&v0, CORE_REG(regs.regs[4]), 0xc0ffee));
	args.v = &v1;
	pthread_create(&t, NULL, run_thread, &args);
	usleep(100 * 1000); /* let vCPU 1 block as powered off */
	expect_mmio(_metadata, &v0, GUEST_MMIO_IPA, 8, 1);
	EXPECT_EQ(0, mmio_data(&v0)); /* PSCI SUCCESS */
	pthread_join(t, NULL);
	ASSERT_EQ(0, args.ret);
	EXPECT_EQ(KVM_EXIT_MMIO, v1.run->exit_reason);
	EXPECT_EQ(GUEST_MMIO_IPA + 64, v1.run->mmio.phys_addr);
	EXPECT_EQ(0xc0ffee, mmio_data(&v1));
	close(v1.fd);
	close(v0.fd);
	vmm_destroy(&m);
}

TEST(closing_vm_fd_while_vcpu_runs_is_safe)
{
	struct sigaction sa = { .sa_handler = ignore_signal };
	struct run_args args;
	struct vmm m;
	struct vcpu v;
	pthread_t t;

	ASSERT_EQ(0, vmm_create(&m));
	ASSERT_EQ(0, vcpu_add(&m, &v, 0, 0, GUEST_CODE_IPA));
	LOAD(&m, GUEST_CODE_IPA, g_spin);
	sigaction(SIGUSR1, &sa, NULL);
	args.v = &v;
	pthread_create(&t, NULL, run_thread, &args);
	usleep(200 * 1000);
	close(m.vm); /* the vCPU fd keeps the VM alive */
	usleep(100 * 1000);
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	EXPECT_EQ(-1, args.ret);
	EXPECT_EQ(0, close(v.fd));
	munmap(m.ram, GUEST_RAM_SIZE);
	close(m.kvm);
}

TEST_HARNESS_MAIN
