// SPDX-License-Identifier: GPL-2.0
/*
 * The guest PMUv3 (KVM_CAP_ARM_PMU_V3, KVM_ARM_VCPU_PMU_V3) as a VMM and a guest see it:
 * without the vCPU feature the PMU registers are undefined and absent from ONE_REG; with
 * it the KVM_ARM_VCPU_PMU_V3_CTRL attributes answer upstream's errno in QEMU's order (IRQ,
 * then INIT after the vGIC's INIT), the registers round-trip through ONE_REG, and a
 * SW_INCR or CPU_CYCLES counter's overflow reaches the guest as PPI 23 through the
 * in-kernel vGIC, and the host's counters count the guest's cycles. The attribute, ONE_REG
 * and UNDEF expectations are upstream's (the first four tests pass on the built-in 6.1 KVM
 * too; the interrupt and counting ones do not there, under QEMU: testing.rst). On a host
 * without a PMUv3 or a GICv3 the tests SKIP.
 */
#include "kselftest_harness.h"
#include "vcpu_lib.h"

#define DIST_IPA 0x08000000ULL
#define REDIST_IPA 0x080a0000ULL
#define PMU_PPI 23

#define REG_PMCR_EL0 SYSREG(3, 3, 9, 12, 0)
#define REG_ID_AA64DFR0 SYSREG(3, 0, 0, 5, 0)

asm(".pushsection .text\n"
    ".balign 4\n"
    /* Read PMCR_EL0, then report x5 (the sync handler's ESR_EL1, or 0) at MMIO. */
    ".global g_pmcr_start, g_pmcr_end\n"
    "g_pmcr_start:\n"
    "	mov x5, #0\n"
    "	mrs x0, pmcr_el0\n"
    "	movz x1, #0x9000, lsl #16\n"
    "	str x5, [x1]\n"
    "	b .\n"
    "g_pmcr_end:\n"
    /*
     * The overflow interrupt: x20 GICD, x21 the GICR SGI frame. Enable PPI 23; counter 0
     * counts event x26 from x27 with its interrupt enabled; for SW_INCR (0) two PMSWINC
     * writes overflow it from 0xfffffffe; unmask IRQs and wait for the handler's count in
     * x24; report x24, then the counter and PMOVSSET_EL0.
     */
    ".global g_overflow_start, g_overflow_end\n"
    "g_overflow_start:\n"
    "	mov w1, #2\n"
    "	str w1, [x20]\n" /* GICD_CTLR.EnableGrp1 */
    "	mov w1, #(1 << 23)\n"
    "	str w1, [x21, #0x100]\n" /* GICR_ISENABLER0 */
    "	mov x1, #0xf0\n"
    "	msr s3_0_c4_c6_0, x1\n" /* ICC_PMR_EL1 */
    "	mov x1, #1\n"
    "	msr s3_0_c12_c12_7, x1\n" /* ICC_IGRPEN1_EL1 */
    "	mov x24, #0\n"
    "	msr s3_3_c14_c12_0, x26\n" /* PMEVTYPER0_EL0: x26, SW_INCR (0) or CPU_CYCLES */
    "	mov x1, x27\n"
    "	msr s3_3_c14_c8_0, x1\n" /* PMEVCNTR0_EL0 */
    "	mov x1, #1\n"
    "	msr pmcntenset_el0, x1\n"
    "	msr pmintenset_el1, x1\n"
    "	msr pmcr_el0, x1\n" /* E */
    "	isb\n"
    "	cbnz x26, 2f\n"
    "	msr pmswinc_el0, x1\n"
    "	msr pmswinc_el0, x1\n"
    "2:	isb\n"
    "	msr daifclr, #2\n"
    "1:	cbz x24, 1b\n"
    "	msr daifset, #2\n"
    "	movz x1, #0x9000, lsl #16\n"
    "	str x24, [x1]\n"
    "	mrs x2, s3_3_c14_c8_0\n"
    "	str x2, [x1]\n"
    "	mrs x2, pmovsset_el0\n"
    "	str x2, [x1]\n"
    "	b .\n"
    "g_overflow_end:\n"
    /*
     * Cycles: reset and enable the cycle counter and event counter 0 counting CPU_CYCLES
     * at EL1 only (PMEVTYPER0.U); spin 200000 times; report PMCCNTR_EL0 and PMEVCNTR0_EL0.
     */
    ".global g_cycles_start, g_cycles_end\n"
    "g_cycles_start:\n"
    "	mov x1, #0x11\n"
    "	orr x1, x1, #(1 << 30)\n"
    "	msr s3_3_c14_c12_0, x1\n" /* PMEVTYPER0_EL0: CPU_CYCLES, not EL0 */
    "	mov x1, #(1 << 31)\n"
    "	orr x1, x1, #1\n"
    "	msr pmcntenset_el0, x1\n"
    "	mov x1, #7\n"
    "	msr pmcr_el0, x1\n" /* E, P, C */
    "	isb\n"
    "	movz x2, #0x3, lsl #16\n"
    "	movk x2, #0x0d40\n"
    "1:	subs x2, x2, #1\n"
    "	b.ne 1b\n"
    "	mrs x3, pmccntr_el0\n"
    "	mrs x4, s3_3_c14_c8_0\n"
    "	movz x1, #0x9000, lsl #16\n"
    "	str x3, [x1]\n"
    "	str x4, [x1]\n"
    "	b .\n"
    "g_cycles_end:\n"
    /*
     * Vectors: a synchronous exception from EL1h (VBAR + 0x200) puts ESR_EL1 in x5 and
     * skips the instruction; the IRQ (VBAR + 0x280) acknowledges, clears counter 0's
     * overflow (the line drops), EOIs and counts INTID 23 in x24.
     */
    ".global g_vectors_start, g_vectors_end\n"
    "g_vectors_start:\n"
    "	.fill 0x200 / 4, 4, 0xd4200000\n" /* brk #0 */
    "	mrs x5, esr_el1\n"
    "	mrs x6, elr_el1\n"
    "	add x6, x6, #4\n"
    "	msr elr_el1, x6\n"
    "	eret\n"
    "	.fill (0x80 - 20) / 4, 4, 0xd4200000\n"
    "	mrs x0, s3_0_c12_c12_0\n" /* ICC_IAR1_EL1 */
    "	mov x1, #1\n"
    "	msr pmovsclr_el0, x1\n"
    "	isb\n"
    "	msr s3_0_c12_c12_1, x0\n" /* ICC_EOIR1_EL1 */
    "	cmp x0, #23\n"
    "	b.ne 3f\n"
    "	add x24, x24, #1\n"
    "3:	eret\n"
    "g_vectors_end:\n"
    ".popsection\n");

GUEST_PROGRAM(g_pmcr);
GUEST_PROGRAM(g_overflow);
GUEST_PROGRAM(g_cycles);
GUEST_PROGRAM(g_vectors);

static int vcpu_attr(int fd, unsigned long cmd, uint32_t group, uint64_t attr, void *val)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uintptr_t)val };

	return ioctl(fd, cmd, &a) ? -errno : 0;
}

static int pmu_attr(int fd, unsigned long cmd, uint64_t attr, void *val)
{
	return vcpu_attr(fd, cmd, KVM_ARM_VCPU_PMU_V3_CTRL, attr, val);
}

static int create_gic(int vm)
{
	struct kvm_create_device dev = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };

	return ioctl(vm, KVM_CREATE_DEVICE, &dev) ? -1 : (int)dev.fd;
}

static int gic_init(int gic)
{
	uint64_t dist = DIST_IPA, redist = REDIST_IPA;
	uint32_t nr_irqs = 128;

	if (vcpu_attr(gic, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs) ||
	    vcpu_attr(gic, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR,
		      KVM_VGIC_V3_ADDR_TYPE_DIST, &dist) ||
	    vcpu_attr(gic, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR,
		      KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist))
		return -1;
	return vcpu_attr(gic, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CTRL,
			 KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
}

/* The PMU's ONE_REG ids: op0 3 op1 0 or 3 CRn 9 (PMINTEN*, PMCR...), op1 3 CRn 14 CRm >= 8. */
static int is_pmu_reg(__u64 id)
{
	unsigned int op0 = (id >> 14) & 3, op1 = (id >> 11) & 7, crn = (id >> 7) & 0xf;
	unsigned int crm = (id >> 3) & 0xf;

	if ((id & KVM_REG_ARM_COPROC_MASK) != KVM_REG_ARM64_SYSREG || op0 != 3)
		return 0;
	if (crn == 9)
		return op1 == 0 || op1 == 3;
	return op1 == 3 && crn == 14 && crm >= 8;
}

FIXTURE(pmu)
{
	struct vmm m;
	struct vcpu v;
	int gic;
};

FIXTURE_SETUP(pmu)
{
	self->v.fd = -1;
	self->gic = -1;
	ASSERT_EQ(0, vmm_create(&self->m));
	if (ioctl(self->m.vm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_PMU_V3) <= 0)
		SKIP(return, "no PMUv3 for guests on this host");
	if (ioctl(self->m.vm, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP) <= 0)
		SKIP(return, "no in-kernel GICv3 on this host");
}

FIXTURE_TEARDOWN(pmu)
{
	if (self->gic >= 0)
		close(self->gic);
	if (self->v.fd >= 0)
		close(self->v.fd);
	vmm_destroy(&self->m);
}

TEST_F(pmu, without_the_feature_the_pmu_is_undefined_and_absent)
{
	uint64_t val;
	struct kvm_one_reg reg = { .id = REG_PMCR_EL0, .addr = (uintptr_t)&val };

	load_program(&self->m, GUEST_CODE_IPA, g_pmcr_start, g_pmcr_end);
	load_program(&self->m, GUEST_VECTORS_IPA, g_vectors_start, g_vectors_end);
	ASSERT_EQ(0, vcpu_add(&self->m, &self->v, 0, 1 << KVM_ARM_VCPU_PSCI_0_2, GUEST_CODE_IPA));
	ASSERT_EQ(0, vcpu_set(&self->v, REG_VBAR_EL1, GUEST_VECTORS_IPA));
	EXPECT_EQ(-1, ioctl(self->v.fd, KVM_GET_ONE_REG, &reg));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0, (vcpu_get(&self->v, REG_ID_AA64DFR0) >> 8) & 0xf) TH_LOG("PMUVer 0");
	EXPECT_EQ(-ENXIO,
		  pmu_attr(self->v.fd, KVM_HAS_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_INIT, NULL));
	EXPECT_EQ(-ENODEV,
		  pmu_attr(self->v.fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_INIT, NULL));
	ASSERT_EQ(0, vcpu_run(&self->v));
	ASSERT_EQ(KVM_EXIT_MMIO, self->v.run->exit_reason);
	EXPECT_EQ(0, mmio_data(&self->v) >> 26) TH_LOG("MRS PMCR_EL0: UNDEF (EC 0)");
}

TEST_F(pmu, attributes_follow_upstream_in_qemus_order)
{
	int irq = PMU_PPI, got = 0, sgi = 5, not_spi = 1020, no_pmu = -1;
	struct kvm_pmu_event_filter bad_action = { .nevents = 1, .action = 7 };
	struct kvm_pmu_event_filter cycles = { .base_event = 0x11, /* CPU_CYCLES */
					       .nevents = 1,
					       .action = KVM_PMU_EVENT_ALLOW };

	ASSERT_EQ(0, vcpu_add(&self->m, &self->v, 0, 1 << KVM_ARM_VCPU_PMU_V3, GUEST_CODE_IPA));
	EXPECT_LT(0, (vcpu_get(&self->v, REG_ID_AA64DFR0) >> 8) & 0xf) TH_LOG("PMUVer shown");
	EXPECT_EQ(0, pmu_attr(self->v.fd, KVM_HAS_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_IRQ, NULL));
	EXPECT_EQ(0, pmu_attr(self->v.fd, KVM_HAS_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_SET_PMU, NULL));
	EXPECT_EQ(-EINVAL, pmu_attr(self->v.fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_IRQ, &irq))
	TH_LOG("no in-kernel irqchip yet");
	self->gic = create_gic(self->m.vm);
	ASSERT_GE(self->gic, 0);
	EXPECT_EQ(-ENODEV,
		  pmu_attr(self->v.fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_INIT, NULL))
	TH_LOG("the vGIC is not initialised");
	ASSERT_EQ(0, gic_init(self->gic));
	EXPECT_EQ(-ENXIO, pmu_attr(self->v.fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_INIT, NULL))
	TH_LOG("no interrupt set");
	EXPECT_EQ(-ENXIO, pmu_attr(self->v.fd, KVM_GET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_IRQ, &got));
	EXPECT_EQ(-EINVAL,
		  pmu_attr(self->v.fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_IRQ, &sgi));
	EXPECT_EQ(-EINVAL,
		  pmu_attr(self->v.fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_IRQ, &not_spi));
	EXPECT_EQ(-EFAULT,
		  pmu_attr(self->v.fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_IRQ, NULL));
	EXPECT_EQ(0, pmu_attr(self->v.fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_IRQ, &irq));
	EXPECT_EQ(-EBUSY, pmu_attr(self->v.fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_IRQ, &irq));
	EXPECT_EQ(0, pmu_attr(self->v.fd, KVM_GET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_IRQ, &got));
	EXPECT_EQ(PMU_PPI, got);
	EXPECT_EQ(-EINVAL, pmu_attr(self->v.fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_FILTER,
				    &bad_action));
	EXPECT_EQ(0,
		  pmu_attr(self->v.fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_FILTER, &cycles));
	EXPECT_EQ(-ENXIO,
		  pmu_attr(self->v.fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_SET_PMU, &no_pmu));
	EXPECT_EQ(0, pmu_attr(self->v.fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_INIT, NULL));
	EXPECT_EQ(-EBUSY,
		  pmu_attr(self->v.fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_INIT, NULL));
}

TEST_F(pmu, the_first_run_needs_init)
{
	int irq = PMU_PPI;

	ASSERT_EQ(0, vcpu_add(&self->m, &self->v, 0, 1 << KVM_ARM_VCPU_PMU_V3, GUEST_CODE_IPA));
	self->gic = create_gic(self->m.vm);
	ASSERT_GE(self->gic, 0);
	ASSERT_EQ(0, gic_init(self->gic));
	ASSERT_EQ(0, pmu_attr(self->v.fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_IRQ, &irq));
	EXPECT_EQ(-1, vcpu_run(&self->v));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(pmu, registers_round_trip_through_one_reg)
{
	struct kvm_reg_list *list = calloc(1, sizeof(*list) + 1024 * sizeof(__u64));
	uint64_t pmcr, n_pmu = 0;

	ASSERT_NE(NULL, list);
	ASSERT_EQ(0, vcpu_add(&self->m, &self->v, 0, 1 << KVM_ARM_VCPU_PMU_V3, GUEST_CODE_IPA));
	list->n = 1024;
	ASSERT_EQ(0, ioctl(self->v.fd, KVM_GET_REG_LIST, list));
	for (__u64 i = 0; i < list->n; i++) {
		__u64 id = list->reg[i];
		uint64_t v;

		if (!is_pmu_reg(id))
			continue;
		n_pmu++;
		v = vcpu_get(&self->v, id);
		EXPECT_EQ(0, vcpu_set(&self->v, id, v)) TH_LOG("id %#llx", (unsigned long long)id);
		EXPECT_EQ(v, vcpu_get(&self->v, id));
	}
	EXPECT_EQ(74, n_pmu) TH_LOG("upstream's 74 PMU registers");
	ASSERT_EQ(0, vcpu_set(&self->v, SYSREG(3, 3, 14, 8, 1), 0x1234));
	EXPECT_EQ(0x1234, vcpu_get(&self->v, SYSREG(3, 3, 14, 8, 1)));
	pmcr = vcpu_get(&self->v, REG_PMCR_EL0);
	ASSERT_EQ(0, vcpu_set(&self->v, REG_PMCR_EL0, (pmcr & ~0xf800ULL) | 1 << 11));
	EXPECT_EQ(1, (vcpu_get(&self->v, REG_PMCR_EL0) >> 11) & 0x1f) TH_LOG("N lowered to 1");
	free(list);
}

/* Counter 0 counts @event from @start: its overflow must reach the guest as PPI 23. */
static void overflow_irq(struct __test_metadata *_metadata, FIXTURE_DATA(pmu) * self,
			 uint64_t event, uint64_t start)
{
	int irq = PMU_PPI;

	load_program(&self->m, GUEST_CODE_IPA, g_overflow_start, g_overflow_end);
	load_program(&self->m, GUEST_VECTORS_IPA, g_vectors_start, g_vectors_end);
	ASSERT_EQ(0, vcpu_add(&self->m, &self->v, 0, 1 << KVM_ARM_VCPU_PMU_V3, GUEST_CODE_IPA));
	self->gic = create_gic(self->m.vm);
	ASSERT_GE(self->gic, 0);
	ASSERT_EQ(0, gic_init(self->gic));
	ASSERT_EQ(0, pmu_attr(self->v.fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_IRQ, &irq));
	ASSERT_EQ(0, pmu_attr(self->v.fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_INIT, NULL));
	ASSERT_EQ(0, vcpu_set(&self->v, REG_VBAR_EL1, GUEST_VECTORS_IPA));
	ASSERT_EQ(0, vcpu_set(&self->v, CORE_REG(regs.regs[20]), DIST_IPA));
	ASSERT_EQ(0, vcpu_set(&self->v, CORE_REG(regs.regs[21]), REDIST_IPA + 0x10000));
	ASSERT_EQ(0, vcpu_set(&self->v, CORE_REG(regs.regs[26]), event));
	ASSERT_EQ(0, vcpu_set(&self->v, CORE_REG(regs.regs[27]), start));
	signal(SIGALRM, ignore_signal);
	alarm(10); /* a lost interrupt leaves the guest spinning: say where */
	EXPECT_EQ(0, vcpu_run(&self->v))
	TH_LOG("stopped at pc %#llx, last INTID %llu",
	       (unsigned long long)vcpu_get(&self->v, CORE_REG(regs.pc)),
	       (unsigned long long)vcpu_get(&self->v, CORE_REG(regs.regs[0])));
	alarm(0);
	ASSERT_EQ(KVM_EXIT_MMIO, self->v.run->exit_reason);
	EXPECT_EQ(1, mmio_data(&self->v)) TH_LOG("one PMU interrupt taken");
	ASSERT_EQ(0, vcpu_run(&self->v));
	EXPECT_GT(0x80000000ULL, mmio_data(&self->v) & 0xffffffff) TH_LOG("the counter wrapped");
	ASSERT_EQ(0, vcpu_run(&self->v));
	EXPECT_EQ(0, mmio_data(&self->v) & 1) TH_LOG("the handler cleared the overflow");
}

TEST_F(pmu, sw_incr_overflow_reaches_the_guest_as_its_ppi)
{
	overflow_irq(_metadata, self, 0, 0xfffffffe);
}

/* The host counter's period ends (perf's overflow callback): the guest's overflow. */
TEST_F(pmu, cpu_cycles_overflow_reaches_the_guest_as_its_ppi)
{
	overflow_irq(_metadata, self, 0x11, 0xffffffffULL - 200000);
}

/* The host's perf counters count the guest's cycles (QEMU's PMU counts CPU_CYCLES). */
TEST_F(pmu, cycles_are_counted_by_host_counters)
{
	uint64_t cycles, ev0;

	load_program(&self->m, GUEST_CODE_IPA, g_cycles_start, g_cycles_end);
	ASSERT_EQ(0, vcpu_add(&self->m, &self->v, 0, 1 << KVM_ARM_VCPU_PMU_V3, GUEST_CODE_IPA));
	ASSERT_EQ(0, pmu_attr(self->v.fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_INIT, NULL))
	TH_LOG("no vGIC: the line would go to the VMM");
	ASSERT_EQ(0, vcpu_run(&self->v));
	ASSERT_EQ(KVM_EXIT_MMIO, self->v.run->exit_reason);
	cycles = mmio_data(&self->v);
	ASSERT_EQ(0, vcpu_run(&self->v));
	ev0 = mmio_data(&self->v);
	ksft_print_msg("PMCCNTR_EL0 %llu, PMEVCNTR0_EL0 (CPU_CYCLES at EL1) %llu\n",
		       (unsigned long long)cycles, (unsigned long long)ev0);
	EXPECT_LT(100000, cycles)
	TH_LOG("PMCCNTR_EL0 after 200000 loops: %llu", (unsigned long long)cycles);
	EXPECT_LT(100000, ev0)
	TH_LOG("PMEVCNTR0_EL0 (CPU_CYCLES at EL1): %llu", (unsigned long long)ev0);
	EXPECT_LE(cycles, vcpu_get(&self->v, SYSREG(3, 3, 9, 13, 0))) TH_LOG("ONE_REG reads it");
}

TEST_HARNESS_MAIN
