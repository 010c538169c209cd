// SPDX-License-Identifier: GPL-2.0
/*
 * Writable ID registers (upstream 6.7's ABI, on the 6.1 kernel): the capability,
 * KVM_ARM_GET_REG_WRITABLE_MASKS and its errors, a VMM narrowing a field that every vCPU
 * and the guest then read, widening refused, EBUSY once a vCPU has run, a vCPU reset that
 * keeps the VMM's values, CTR_EL0 narrowed for the guest, the GIC field beside a vGIC,
 * AArch32 EL0 offered to a 64-bit VM where the host has it, the CCSIDR registers
 * (KVM_REG_ARM_DEMUX) the guest reads, and the SMCCC workaround levels the ID registers
 * imply.
 */
#include "kselftest_harness.h"
#include "vcpu_lib.h"

#include <linux/kvmx.h>

/* The guest reports ID_AA64ISAR0_EL1 by an 8-byte MMIO write, then spins. */
asm(".pushsection .text\n"
    ".balign 4\n"
    ".global g_isar0_start, g_isar0_end\n"
    "g_isar0_start:\n"
    "	movz x1, #0x9000, lsl #16\n"
    "	mrs x3, id_aa64isar0_el1\n"
    "	str x3, [x1]\n"
    "	b .\n"
    "g_isar0_end:\n"
    /* The same for CTR_EL0. */
    ".global g_ctr_start, g_ctr_end\n"
    "g_ctr_start:\n"
    "	movz x1, #0x9000, lsl #16\n"
    "	mrs x3, ctr_el0\n"
    "	str x3, [x1]\n"
    "	b .\n"
    "g_ctr_end:\n"
    /* CCSIDR_EL1 of the level 1 data cache (CSSELR_EL1 0), then of level 2 (2). */
    ".global g_ccsidr_start, g_ccsidr_end\n"
    "g_ccsidr_start:\n"
    "	movz x1, #0x9000, lsl #16\n"
    "	msr csselr_el1, xzr\n"
    "	isb\n"
    "	mrs x3, ccsidr_el1\n"
    "	str x3, [x1]\n"
    "	mov x4, #2\n"
    "	msr csselr_el1, x4\n"
    "	isb\n"
    "	mrs x3, ccsidr_el1\n"
    "	str x3, [x1]\n"
    "	b .\n"
    "g_ccsidr_end:\n"
    /* SMCCC_ARCH_FEATURES of ARCH_WORKAROUND_1, then of _3, each answer reported. */
    ".global g_wa_start, g_wa_end\n"
    "g_wa_start:\n"
    "	movz x1, #0x9000, lsl #16\n"
    "	movz w0, #0x8000, lsl #16\n"
    "	movk w0, #1\n"
    "	movz w5, #0x8000, lsl #16\n"
    "	movk w5, #0x8000\n"
    "	mov x6, x1\n"
    "	mov x1, x5\n"
    "	hvc #0\n"
    "	str x0, [x6]\n"
    "	movz w0, #0x8000, lsl #16\n"
    "	movk w0, #1\n"
    "	movz w1, #0x8000, lsl #16\n"
    "	movk w1, #0x3fff\n"
    "	hvc #0\n"
    "	str x0, [x6]\n"
    "	b .\n"
    "g_wa_end:\n"
    ".popsection\n");
GUEST_PROGRAM(g_isar0);
GUEST_PROGRAM(g_ctr);
GUEST_PROGRAM(g_ccsidr);
GUEST_PROGRAM(g_wa);

#define REG_ID_AA64ISAR0 SYSREG(3, 0, 0, 6, 0)
/* KVM_ARM_FEATURE_ID_RANGE_IDX of ID_AA64ISAR0_EL1 (op0 3, op1 0, CRn 0, CRm 6, op2 0). */
#define ISAR0_IDX (6 * 8 + 0)

FIXTURE(id_regs)
{
	struct vmm m;
	struct vcpu v;
	uint64_t masks[KVM_ARM_FEATURE_ID_RANGE_SIZE];
};

FIXTURE_SETUP(id_regs)
{
	struct reg_mask_range range = { .addr = (uintptr_t)self->masks };

	ASSERT_EQ(0, vmm_create(&self->m));
	ASSERT_EQ(0, vcpu_add(&self->m, &self->v, 0, 1 << KVM_ARM_VCPU_PSCI_0_2, GUEST_CODE_IPA));
	load_program(&self->m, GUEST_CODE_IPA, g_isar0_start, g_isar0_end);
	ASSERT_EQ(0, ioctl(self->m.vm, KVM_ARM_GET_REG_WRITABLE_MASKS, &range));
}

FIXTURE_TEARDOWN(id_regs)
{
	close(self->v.fd);
	vmm_destroy(&self->m);
}

/* The shift of the first writable ISAR0 field the VM offers above zero, or -1. */
static int narrowable_isar0_field(const uint64_t *masks, uint64_t isar0)
{
	for (int shift = 0; shift < 64; shift += 4) {
		if ((masks[ISAR0_IDX] >> shift & 0xf) == 0xf && (isar0 >> shift & 0xf))
			return shift;
	}
	return -1;
}

static uint64_t with_field(uint64_t val, int shift, uint64_t f)
{
	return (val & ~(0xfULL << shift)) | f << shift;
}

/* Run @v to its program's 8-byte MMIO report. */
static uint64_t guest_report(struct __test_metadata *_metadata, struct vcpu *v)
{
	uint64_t val = 0;

	EXPECT_EQ(0, vcpu_run(v));
	EXPECT_EQ(KVM_EXIT_MMIO, v->run->exit_reason);
	memcpy(&val, v->run->mmio.data, 8);
	return val;
}

TEST_F(id_regs, capability_names_the_feature_id_range)
{
	EXPECT_EQ(1 << KVM_ARM_FEATURE_ID_RANGE,
		  ioctl(self->m.kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES));
	EXPECT_EQ(1 << KVM_ARM_FEATURE_ID_RANGE,
		  ioctl(self->m.vm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES));
}

TEST_F(id_regs, writable_masks_refuse_other_ranges_reserved_bits_and_bad_addresses)
{
	struct reg_mask_range range = { .addr = (uintptr_t)self->masks, .range = 1 };

	EXPECT_EQ(-1, ioctl(self->m.vm, KVM_ARM_GET_REG_WRITABLE_MASKS, &range));
	EXPECT_EQ(EINVAL, errno);
	range.range = KVM_ARM_FEATURE_ID_RANGE;
	range.reserved[0] = 1;
	EXPECT_EQ(-1, ioctl(self->m.vm, KVM_ARM_GET_REG_WRITABLE_MASKS, &range));
	EXPECT_EQ(EINVAL, errno);
	range.reserved[0] = 0;
	range.addr = 0;
	EXPECT_EQ(-1, ioctl(self->m.vm, KVM_ARM_GET_REG_WRITABLE_MASKS, &range));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->m.vm, KVM_ARM_GET_REG_WRITABLE_MASKS, NULL));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(id_regs, writable_masks_hold_upstreams_fields_and_nothing_else)
{
	/* ID_AA64PFR0_EL1: EL0 and GIC writable, FP and SVE not; ID_AA64MMFR0_EL1's
	 * ASIDBits not (as upstream 6.12); MIDR_EL1 not. */
	EXPECT_EQ(0xfULL << 24 | 0xf, self->masks[4 * 8] & (0xfULL << 24 | 0xf));
	EXPECT_EQ(0, self->masks[4 * 8] & (0xfULL << 32 | 0xfULL << 16));
	EXPECT_EQ(0, self->masks[7 * 8] & 0xf0);
	EXPECT_EQ(0, self->masks[0]);
}

TEST_F(id_regs, a_narrowed_field_is_what_every_vcpu_and_the_guest_read)
{
	uint64_t isar0 = vcpu_get(&self->v, REG_ID_AA64ISAR0), narrowed;
	int shift = narrowable_isar0_field(self->masks, isar0);
	struct vcpu w;

	if (shift < 0)
		SKIP(return, "no ID_AA64ISAR0_EL1 feature to narrow on this host");
	narrowed = with_field(isar0, shift, (isar0 >> shift & 0xf) - 1);
	ASSERT_EQ(0, vcpu_set(&self->v, REG_ID_AA64ISAR0, narrowed));
	EXPECT_EQ(narrowed, vcpu_get(&self->v, REG_ID_AA64ISAR0));
	ASSERT_EQ(0, vcpu_add(&self->m, &w, 1, 1 << KVM_ARM_VCPU_PSCI_0_2, GUEST_CODE_IPA));
	EXPECT_EQ(narrowed, vcpu_get(&w, REG_ID_AA64ISAR0)) TH_LOG("one value for the VM");
	EXPECT_EQ(narrowed, guest_report(_metadata, &w)) TH_LOG("the guest's view");
	close(w.fd);
}

TEST_F(id_regs, widening_a_field_or_changing_a_fixed_bit_is_einval)
{
	uint64_t isar0 = vcpu_get(&self->v, REG_ID_AA64ISAR0);
	uint64_t fixed = ~self->masks[ISAR0_IDX];
	int shift = narrowable_isar0_field(self->masks, isar0);

	if (shift < 0)
		SKIP(return, "no ID_AA64ISAR0_EL1 feature on this host");
	ASSERT_NE(0, fixed);
	EXPECT_EQ(-1, vcpu_set(&self->v, REG_ID_AA64ISAR0, isar0 ^ (fixed & -fixed)));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, vcpu_set(&self->v, REG_ID_AA64ISAR0, with_field(isar0, shift, 0)));
	if ((isar0 >> shift & 0xf) < 0xf) {
		EXPECT_EQ(-1, vcpu_set(&self->v, REG_ID_AA64ISAR0,
				       with_field(isar0, shift, (isar0 >> shift & 0xf) + 1)));
		EXPECT_EQ(EINVAL, errno);
	}
	EXPECT_EQ(0, vcpu_set(&self->v, REG_ID_AA64ISAR0, isar0)) TH_LOG("back to the offer");
	EXPECT_EQ(isar0, vcpu_get(&self->v, REG_ID_AA64ISAR0));
}

TEST_F(id_regs, a_change_after_the_first_run_is_ebusy_the_same_value_succeeds)
{
	uint64_t isar0 = vcpu_get(&self->v, REG_ID_AA64ISAR0);
	int shift = narrowable_isar0_field(self->masks, isar0);

	EXPECT_EQ(isar0, guest_report(_metadata, &self->v));
	EXPECT_EQ(0, vcpu_set(&self->v, REG_ID_AA64ISAR0, isar0));
	if (shift < 0)
		SKIP(return, "no ID_AA64ISAR0_EL1 feature to narrow on this host");
	EXPECT_EQ(-1, vcpu_set(&self->v, REG_ID_AA64ISAR0, with_field(isar0, shift, 0)));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(isar0, vcpu_get(&self->v, REG_ID_AA64ISAR0));
}

TEST_F(id_regs, vcpu_reset_keeps_the_vmms_values)
{
	uint64_t isar0 = vcpu_get(&self->v, REG_ID_AA64ISAR0), narrowed;
	int shift = narrowable_isar0_field(self->masks, isar0);
	struct kvm_vcpu_init init;

	if (shift < 0)
		SKIP(return, "no ID_AA64ISAR0_EL1 feature to narrow on this host");
	narrowed = with_field(isar0, shift, 0);
	ASSERT_EQ(0, vcpu_set(&self->v, REG_ID_AA64ISAR0, narrowed));
	ASSERT_EQ(0, vcpu_set(&self->v, REG_MPIDR_EL1, 1ULL << 31 | 0x102));
	ASSERT_EQ(0, ioctl(self->m.vm, KVM_ARM_PREFERRED_TARGET, &init));
	init.features[0] = 1 << KVM_ARM_VCPU_PSCI_0_2;
	ASSERT_EQ(0, ioctl(self->v.fd, KVM_ARM_VCPU_INIT, &init));
	EXPECT_EQ(narrowed, vcpu_get(&self->v, REG_ID_AA64ISAR0));
	EXPECT_EQ(1ULL << 31 | 0x102, vcpu_get(&self->v, REG_MPIDR_EL1));
}

#define REG_CTR_EL0 SYSREG(3, 3, 0, 0, 1)
#define CTR_DIC (1ULL << 29)
#define CTR_WRITABLE (CTR_DIC | 1ULL << 28 | 0xfULL << 16 | 0xf)

/* CTR_EL0 is the VM's too (upstream 6.12): DIC, IDC and the smallest line sizes may go
 * down, and the guest's reads then trap (HCR_EL2.TID2) and see the VMM's value. */
TEST_F(id_regs, a_narrowed_ctr_is_what_the_guest_reads)
{
	uint64_t ctr = vcpu_get(&self->v, REG_CTR_EL0), narrowed = ctr & ~CTR_DIC;

	EXPECT_EQ(CTR_WRITABLE, self->masks[2 * 64 + 1]);
	if (narrowed & 0xf)
		narrowed--; /* IminLine one smaller */
	if (narrowed == ctr)
		SKIP(return, "CTR_EL0 has nothing to narrow on this host");
	EXPECT_EQ(-1, vcpu_set(&self->v, REG_CTR_EL0, ctr ^ 1ULL << 31));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, vcpu_set(&self->v, REG_CTR_EL0, narrowed));
	load_program(&self->m, GUEST_CODE_IPA, g_ctr_start, g_ctr_end);
	EXPECT_EQ(narrowed, guest_report(_metadata, &self->v)) TH_LOG("the guest's CTR_EL0");
	EXPECT_EQ(-1, vcpu_set(&self->v, REG_CTR_EL0, ctr));
	EXPECT_EQ(EBUSY, errno);
}

#define REG_ID_AA64PFR0 SYSREG(3, 0, 0, 4, 0)
#define PFR0_GIC (0xfULL << 24)

/* kvmx keeps a vGIC's GIC system registers visible (api.rst: hiding them would need the
 * guest's ICC_* accesses undefined beside a working vGIC), in either order. */
TEST_F(id_regs, a_vm_with_a_vgic_keeps_its_gic_field)
{
	struct kvm_create_device gic = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	uint64_t pfr0 = vcpu_get(&self->v, REG_ID_AA64PFR0);

	if (ioctl(self->m.vm, KVM_CREATE_DEVICE, &gic))
		SKIP(return, "no GICv3 for VMs on this host");
	EXPECT_EQ(1ULL << 24, pfr0 & PFR0_GIC);
	EXPECT_EQ(-1, vcpu_set(&self->v, REG_ID_AA64PFR0, pfr0 & ~PFR0_GIC));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(pfr0, vcpu_get(&self->v, REG_ID_AA64PFR0));
	close(gic.fd);
}

TEST_F(id_regs, a_vm_told_it_has_no_gic_gets_no_vgic)
{
	struct kvm_create_device gic = { .type = KVM_DEV_TYPE_ARM_VGIC_V3,
					 .flags = KVM_CREATE_DEVICE_TEST };
	uint64_t pfr0 = vcpu_get(&self->v, REG_ID_AA64PFR0);

	if (ioctl(self->m.vm, KVM_CREATE_DEVICE, &gic))
		SKIP(return, "no GICv3 for VMs on this host");
	ASSERT_EQ(0, vcpu_set(&self->v, REG_ID_AA64PFR0, pfr0 & ~PFR0_GIC));
	gic.flags = 0;
	EXPECT_EQ(-1, ioctl(self->m.vm, KVM_CREATE_DEVICE, &gic));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, vcpu_set(&self->v, REG_ID_AA64PFR0, pfr0)) TH_LOG("back to the offer");
	EXPECT_EQ(0, ioctl(self->m.vm, KVM_CREATE_DEVICE, &gic));
	close(gic.fd);
}

/*
 * A 64-bit VM on a host with AArch32 EL0 is offered it (ID_AA64PFR0_EL1.EL0 2), as upstream:
 * the value Debian 6.1's built-in KVM gives a VM on the same host (QEMU -cpu host,sve=off:
 * EL0/EL1 2, CSV2 1) restores; EL0/EL1 beyond the offer do not. The AArch32 ID registers
 * read as the host's (MVFR0 says VFP) and ignore writes.
 */
#define REG_MVFR0 SYSREG(3, 0, 0, 3, 0)

TEST_F(id_regs, a_64bit_vm_offers_aarch32_el0_and_restores_the_builtin_kvms_value)
{
	uint64_t pfr0 = vcpu_get(&self->v, REG_ID_AA64PFR0), mvfr0 = vcpu_get(&self->v, REG_MVFR0);
	uint64_t csv2 = pfr0 >> 56 & 0xf, builtin = with_field(pfr0, 56, csv2 ? 1 : 0);

	if ((pfr0 & 0xf) != 2)
		SKIP(return, "no AArch32 EL0 on this host (ID_AA64PFR0_EL1.EL0 %lu)",
			   (unsigned long)(pfr0 & 0xf));
	EXPECT_NE(0, mvfr0) TH_LOG("MVFR0_EL1: the host's AArch32 FP");
	EXPECT_EQ(0, vcpu_set(&self->v, REG_MVFR0, 0)) TH_LOG("ignored");
	EXPECT_EQ(mvfr0, vcpu_get(&self->v, REG_MVFR0));
	EXPECT_EQ(-1, vcpu_set(&self->v, REG_ID_AA64PFR0, with_field(pfr0, 0, 3)));
	EXPECT_EQ(EINVAL, errno);
	if ((pfr0 >> 4 & 0xf) < 0xf) {
		EXPECT_EQ(-1, vcpu_set(&self->v, REG_ID_AA64PFR0,
				       with_field(pfr0, 4, (pfr0 >> 4 & 0xf) + 1)));
		EXPECT_EQ(EINVAL, errno);
	}
	ASSERT_EQ(0, vcpu_set(&self->v, REG_ID_AA64PFR0, builtin))
	TH_LOG("%#lx restored over the offer %#lx", (unsigned long)builtin, (unsigned long)pfr0);
	EXPECT_EQ(builtin, vcpu_get(&self->v, REG_ID_AA64PFR0));
}

/* KVM_REG_ARM_DEMUX_ID_CCSIDR of CSSELR value @csselr (upstream lists 0-13). */
#define REG_CCSIDR(csselr)                                                                         \
	(KVM_REG_ARM64 | KVM_REG_SIZE_U32 | KVM_REG_ARM_DEMUX | KVM_REG_ARM_DEMUX_ID_CCSIDR |      \
	 (csselr))

static int ccsidr_get(struct vcpu *v, uint64_t csselr, uint32_t *val)
{
	struct kvm_one_reg r = { .id = REG_CCSIDR(csselr), .addr = (uintptr_t)val };

	return ioctl(v->fd, KVM_GET_ONE_REG, &r);
}

static int ccsidr_set(struct vcpu *v, uint64_t csselr, uint32_t val)
{
	struct kvm_one_reg r = { .id = REG_CCSIDR(csselr), .addr = (uintptr_t)&val };

	return ioctl(v->fd, KVM_SET_ONE_REG, &r);
}

/* Upstream since 6.3: the guest's CCSIDR_EL1 is the vCPU's, fabricated (one set, one way,
 * CTR_EL0's line) until the VMM restores another, such as the hardware geometry 6.1
 * saved; each of the 14 CSSELR values is a register in KVM_GET_REG_LIST. */
TEST_F(id_regs, ccsidr_registers_are_listed_and_are_what_the_guest_reads)
{
	uint64_t list[1024] = { 1000 };
	uint64_t ctr = vcpu_get(&self->v, REG_CTR_EL0);
	uint32_t line = (ctr >> 16 & 0xf) + 2 - 4, l1d, l2, val;
	int found = 0;

	ASSERT_EQ(0, ioctl(self->v.fd, KVM_GET_REG_LIST, list));
	for (uint64_t i = 1; i <= list[0]; i++)
		found += (list[i] & ~0xffULL) == REG_CCSIDR(0) && (list[i] & 0xff) < 14;
	EXPECT_EQ(14, found);
	ASSERT_EQ(0, ccsidr_get(&self->v, 0, &val));
	EXPECT_EQ(line, val) TH_LOG("fabricated from CTR_EL0 %#llx", (unsigned long long)ctr);
	EXPECT_EQ(-1, ccsidr_get(&self->v, 14, &val));
	EXPECT_EQ(ENOENT, errno);
	/* 32 KB, 4 ways, 128 sets; 1 MB, 16 ways, 1024 sets: what QEMU -cpu max reports. */
	l1d = 127 << 13 | 3 << 3 | line;
	l2 = 1023 << 13 | 15 << 3 | line;
	ASSERT_EQ(0, ccsidr_set(&self->v, 0, l1d));
	ASSERT_EQ(0, ccsidr_set(&self->v, 2, l2));
	if (line) {
		EXPECT_EQ(-1, ccsidr_set(&self->v, 0, l1d - 1)) TH_LOG("a smaller line");
		EXPECT_EQ(EINVAL, errno);
	}
	load_program(&self->m, GUEST_CODE_IPA, g_ccsidr_start, g_ccsidr_end);
	EXPECT_EQ(l1d, guest_report(_metadata, &self->v));
	EXPECT_EQ(l2, guest_report(_metadata, &self->v));
}

#define REG_WA1 (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_FW | 1)
#define REG_WA3 (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_FW | 3)
#define REG_ID_AA64MMFR1 SYSREG(3, 0, 0, 7, 1)

/* The workaround levels follow the host's ID registers (CSV2; CSV2 3 or ECBHB), the
 * guest's SMCCC_ARCH_FEATURES answers follow the levels, and a restore may lower them. */
TEST_F(id_regs, smccc_workarounds_answer_as_the_id_registers_say)
{
	uint64_t csv2 = vcpu_get(&self->v, REG_ID_AA64PFR0) >> 56 & 0xf;
	uint64_t ecbhb = vcpu_get(&self->v, REG_ID_AA64MMFR1) >> 60 & 0xf;
	uint64_t wa1 = vcpu_get(&self->v, REG_WA1), wa3 = vcpu_get(&self->v, REG_WA3);

	/* The VM's ID registers are the host's here (nothing narrowed). */
	EXPECT_EQ(csv2 ? KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1_NOT_REQUIRED
		       : KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1_NOT_AVAIL,
		  wa1);
	EXPECT_EQ(csv2 == 3 || ecbhb ? KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3_NOT_REQUIRED
				     : KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3_NOT_AVAIL,
		  wa3);
	/* Debian 6.1 saves NOT_REQUIRED (2) for both on QEMU -cpu max. */
	EXPECT_EQ(0, vcpu_set(&self->v, REG_WA1, wa1));
	EXPECT_EQ(-1, vcpu_set(&self->v, REG_WA1, 3));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, vcpu_set(&self->v, REG_WA3, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3_NOT_AVAIL));
	load_program(&self->m, GUEST_CODE_IPA, g_wa_start, g_wa_end);
	EXPECT_EQ(wa1 == KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1_NOT_REQUIRED ? 1 : (uint64_t)-1,
		  guest_report(_metadata, &self->v))
	TH_LOG("ARCH_WORKAROUND_1");
	EXPECT_EQ((uint64_t)-1, guest_report(_metadata, &self->v))
	TH_LOG("ARCH_WORKAROUND_3 after a restore lowered it");
}

TEST_HARNESS_MAIN
