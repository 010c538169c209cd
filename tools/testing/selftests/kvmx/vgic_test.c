// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel GICv3 (KVM_DEV_TYPE_ARM_VGIC_V3) as a VMM sees it: creation, the
 * address, NR_IRQS, CTRL and register-group attributes with upstream's errno, the checks
 * of the first KVM_RUN, KVM_IRQ_LINE with an in-kernel irqchip, vCPUs created after INIT,
 * a guest reading the distributor's registers without a userspace exit, a guest clearing
 * the active state of an interrupt another running vCPU holds, and the ITS's
 * SAVE_TABLES / RESTORE_TABLES in upstream's table layout (ABI revision 0). Every
 * expectation is what the built-in 6.1 KVM answers on a GICv3 host (the same binary runs
 * on both); on a host without a GICv3 the tests SKIP.
 */
#include "kselftest_harness.h"
#include "vcpu_lib.h"

#define DIST_IPA 0x08000000ULL
#define REDIST_IPA 0x080a0000ULL

/* Read GICD_TYPER and report it at MMIO (a userspace exit), then stop. */
asm(".pushsection .text\n"
    ".balign 4\n"
    ".global g_typer_start, g_typer_end\n"
    "g_typer_start:\n"
    "	movz x1, #0x0800, lsl #16\n"
    "	ldr w2, [x1, #4]\n"
    "	movz x3, #0x9000, lsl #16\n"
    "	str w2, [x3]\n"
    "	b .\n"
    "g_typer_end:\n"
    /*
     * Virtual timer interrupts through the vGIC: x20 GICD, x21 the GICR SGI frame, x22 how
     * many, x23 the ticks ahead of each. Enable the distributor, PPI 27 and group 1; then
     * per interrupt arm the timer, unmask IRQs and spin until the handler counted it in
     * x24; report x24 at MMIO.
     */
    ".global g_vtimer_start, g_vtimer_end\n"
    "g_vtimer_start:\n"
    "	mov w1, #2\n"
    "	str w1, [x20]\n" /* GICD_CTLR.EnableGrp1 */
    "	mov w1, #(1 << 27)\n"
    "	str w1, [x21, #0x100]\n" /* GICR_ISENABLER0 */
    "	mov x1, #0xf0\n"
    "	msr s3_0_c4_c6_0, x1\n" /* ICC_PMR_EL1 */
    "	mov x1, #1\n"
    "	msr s3_0_c12_c12_7, x1\n" /* ICC_IGRPEN1_EL1 */
    "	isb\n"
    "	mov x24, #0\n"
    "1:	mov x25, x24\n"
    "	mrs x3, cntvct_el0\n"
    "	add x3, x3, x23\n"
    "	msr cntv_cval_el0, x3\n"
    "	mov x4, #1\n"
    "	msr cntv_ctl_el0, x4\n"
    "	isb\n"
    "	msr daifclr, #2\n"
    "2:	cmp x24, x25\n"
    "	b.eq 2b\n"
    "	msr daifset, #2\n"
    "	cmp x24, x22\n"
    "	b.lo 1b\n"
    "	movz x1, #0x9000, lsl #16\n"
    "	str x24, [x1]\n"
    "	b .\n"
    "g_vtimer_end:\n"
    /* Vectors: the IRQ from EL1h (VBAR + 0x280) acknowledges, masks the timer, EOIs and
     * counts INTID 27 in x24. */
    ".global g_irq_vectors_start, g_irq_vectors_end\n"
    "g_irq_vectors_start:\n"
    "	.fill 0x280 / 4, 4, 0xd4200000\n" /* brk #0 */
    "	mrs x0, s3_0_c12_c12_0\n"	  /* ICC_IAR1_EL1 */
    "	mov x4, #3\n"
    "	msr cntv_ctl_el0, x4\n"
    "	isb\n"
    "	msr s3_0_c12_c12_1, x0\n" /* ICC_EOIR1_EL1 */
    "	cmp x0, #27\n"
    "	b.ne 3f\n"
    "	add x24, x24, #1\n"
    "3:	eret\n"
    "g_irq_vectors_end:\n"
    /*
     * vCPU 1: route SPI 40 to itself (IROUTER Aff0 1), edge, enabled; report at MMIO;
     * then acknowledge it (ICC_IAR1_EL1, IRQs masked), report its INTID and hold it
     * active in a loop.
     */
    ".global g_act_hold_start, g_act_hold_end\n"
    "g_act_hold_start:\n"
    "	movz x20, #0x0800, lsl #16\n"
    "	mov w1, #2\n"
    "	str w1, [x20]\n" /* GICD_CTLR.EnableGrp1 */
    "	mov x1, #1\n"
    "	add x2, x20, #0x6000\n"
    "	str x1, [x2, #0x140]\n" /* GICD_IROUTER40 */
    "	mov w1, #0x20000\n"
    "	str w1, [x20, #0xc08]\n" /* GICD_ICFGR2: SPI 40 edge */
    "	mov w1, #0x100\n"
    "	str w1, [x20, #0x104]\n" /* GICD_ISENABLER1: SPI 40 */
    "	mov x1, #0xf0\n"
    "	msr s3_0_c4_c6_0, x1\n" /* ICC_PMR_EL1 */
    "	mov x1, #1\n"
    "	msr s3_0_c12_c12_7, x1\n" /* ICC_IGRPEN1_EL1 */
    "	isb\n"
    "	movz x3, #0x9000, lsl #16\n"
    "	str x1, [x3]\n"
    "1:	mrs x0, s3_0_c12_c12_0\n" /* ICC_IAR1_EL1 */
    "	cmp x0, #40\n"
    "	b.ne 1b\n"
    "	str x0, [x3]\n"
    "	b .\n"
    "g_act_hold_end:\n"
    /* vCPU 0: clear SPI 40's active state (GICD_ICACTIVER1), report at MMIO. */
    ".global g_act_clear_start, g_act_clear_end\n"
    "g_act_clear_start:\n"
    "	movz x20, #0x0800, lsl #16\n"
    "	mov w1, #0x100\n"
    "	str w1, [x20, #0x384]\n"
    "	movz x3, #0x9000, lsl #16\n"
    "	str x1, [x3]\n"
    "	b .\n"
    "g_act_clear_end:\n"
    ".popsection\n");

GUEST_PROGRAM(g_typer);
GUEST_PROGRAM(g_vtimer);
GUEST_PROGRAM(g_irq_vectors);
GUEST_PROGRAM(g_act_hold);
GUEST_PROGRAM(g_act_clear);

FIXTURE(gic)
{
	struct vmm m;
	struct vcpu v;
	int gic;
};

static int gic_attr(int fd, unsigned long cmd, uint32_t group, uint64_t attr, void *val)
{
	struct kvm_device_attr a = {
		.group = group,
		.attr = attr,
		.addr = (uintptr_t)val,
	};

	return ioctl(fd, cmd, &a);
}

static int gic_set(int fd, uint32_t group, uint64_t attr, void *val)
{
	return gic_attr(fd, KVM_SET_DEVICE_ATTR, group, attr, val);
}

static int gic_get(int fd, uint32_t group, uint64_t attr, void *val)
{
	return gic_attr(fd, KVM_GET_DEVICE_ATTR, group, attr, val);
}

static int create_gic(int vm, uint32_t type, uint32_t flags)
{
	struct kvm_create_device dev = { .type = type, .flags = flags };

	if (ioctl(vm, KVM_CREATE_DEVICE, &dev))
		return -1;
	return flags & KVM_CREATE_DEVICE_TEST ? 0 : (int)dev.fd;
}

/* Both frames placed and CTRL_INIT done, as QEMU configures it. */
static void gic_ready(struct __test_metadata *_metadata, int gic, uint32_t nr_irqs)
{
	uint64_t dist = DIST_IPA, redist = REDIST_IPA;

	ASSERT_EQ(0, gic_set(gic, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs));
	ASSERT_EQ(0, gic_set(gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist));
	ASSERT_EQ(0,
		  gic_set(gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist));
	ASSERT_EQ(0, gic_set(gic, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL));
}

FIXTURE_SETUP(gic)
{
	self->v.fd = -1;
	self->gic = -1;
	ASSERT_EQ(0, vmm_create(&self->m));
	if (ioctl(self->m.vm, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP) <= 0)
		SKIP(return, "no in-kernel GICv3 on this host");
	ASSERT_EQ(0, vcpu_add(&self->m, &self->v, 0, 1 << KVM_ARM_VCPU_PSCI_0_2, GUEST_CODE_IPA));
	self->gic = create_gic(self->m.vm, KVM_DEV_TYPE_ARM_VGIC_V3, 0);
	ASSERT_GE(self->gic, 0);
}

FIXTURE_TEARDOWN(gic)
{
	close(self->gic);
	close(self->v.fd);
	vmm_destroy(&self->m);
}

TEST_F(gic, one_gicv3_per_vm_and_no_other_irqchip_types_here)
{
	EXPECT_EQ(0, create_gic(self->m.vm, KVM_DEV_TYPE_ARM_VGIC_V3, KVM_CREATE_DEVICE_TEST));
	EXPECT_EQ(-1, create_gic(self->m.vm, KVM_DEV_TYPE_ARM_VGIC_V3, 0));
	EXPECT_EQ(EEXIST, errno);
	/* This host's GIC has no GICv2 compatibility ("no GICV resource"). */
	EXPECT_EQ(-1, create_gic(self->m.vm, KVM_DEV_TYPE_ARM_VGIC_V2, 0));
	EXPECT_EQ(ENODEV, errno);
}

TEST_F(gic, addresses_are_checked_and_set_once)
{
	uint64_t addr = DIST_IPA + 0x1000, back = 0;

	EXPECT_EQ(-1,
		  gic_set(self->gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &addr));
	EXPECT_EQ(EINVAL, errno) TH_LOG("not 64 KB aligned");
	addr = 1ULL << 52;
	EXPECT_EQ(-1,
		  gic_set(self->gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &addr));
	EXPECT_EQ(E2BIG, errno) TH_LOG("beyond the IPA space");
	addr = DIST_IPA;
	EXPECT_EQ(0,
		  gic_set(self->gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &addr));
	EXPECT_EQ(-1,
		  gic_set(self->gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &addr));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(0,
		  gic_get(self->gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &back));
	EXPECT_EQ(DIST_IPA, back);
	EXPECT_EQ(-1, gic_set(self->gic, KVM_DEV_ARM_VGIC_GRP_ADDR, 42, &addr));
	EXPECT_EQ(ENXIO, errno) TH_LOG("unknown address type");
}

TEST_F(gic, nr_irqs_is_checked_and_frozen_by_init)
{
	uint32_t n = 63;

	EXPECT_EQ(-1, gic_set(self->gic, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &n));
	EXPECT_EQ(EINVAL, errno);
	n = 1024;
	EXPECT_EQ(-1, gic_set(self->gic, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &n));
	EXPECT_EQ(EINVAL, errno);
	gic_ready(_metadata, self->gic, 128);
	n = 0;
	EXPECT_EQ(0, gic_get(self->gic, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &n));
	EXPECT_EQ(128, n);
	n = 256;
	EXPECT_EQ(-1, gic_set(self->gic, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &n));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(0,
		  gic_set(self->gic, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL))
	TH_LOG("INIT again is harmless");
}

TEST_F(gic, registers_need_init_and_vcpus_cannot_join_after_it)
{
	uint32_t iidr = 0;

	EXPECT_EQ(-1, gic_get(self->gic, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x8, &iidr));
	EXPECT_EQ(EBUSY, errno) TH_LOG("GICD_IIDR before INIT");
	gic_ready(_metadata, self->gic, 64);
	EXPECT_EQ(0, gic_get(self->gic, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x8, &iidr));
	EXPECT_EQ(0x43b, iidr & 0xfff) TH_LOG("implementer Arm: %#x", iidr);
	EXPECT_EQ(-1, ioctl(self->m.vm, KVM_CREATE_VCPU, 1));
	EXPECT_EQ(EBUSY, errno);
}

TEST_F(gic, the_first_run_needs_init)
{
	uint64_t dist = DIST_IPA, redist = REDIST_IPA;

	ASSERT_EQ(0,
		  gic_set(self->gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist));
	ASSERT_EQ(0, gic_set(self->gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST,
			     &redist));
	EXPECT_EQ(-1, vcpu_run(&self->v));
	EXPECT_EQ(EBUSY, errno) TH_LOG("no CTRL_INIT");
}

/* Upstream kills the VM whose vGIC cannot be mapped at the first run. */
TEST_F(gic, a_vm_whose_gic_cannot_map_is_dead)
{
	uint64_t dist = DIST_IPA;

	EXPECT_EQ(-1, vcpu_run(&self->v));
	EXPECT_EQ(ENXIO, errno) TH_LOG("no redistributor frame");
	EXPECT_EQ(-1,
		  gic_set(self->gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(-1, vcpu_run(&self->v));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(-1, ioctl(self->m.vm, KVM_CREATE_VCPU, 1));
	EXPECT_EQ(EIO, errno);
}

TEST_F(gic, irq_line_takes_spis_and_ppis_not_the_cpu_line)
{
	struct kvm_irq_level cpu = { .irq = KVM_ARM_IRQ_TYPE_CPU << KVM_ARM_IRQ_TYPE_SHIFT,
				     .level = 1 };
	struct kvm_irq_level spi = { .irq = KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT | 40,
				     .level = 1 };
	struct kvm_irq_level ppi = { .irq = KVM_ARM_IRQ_TYPE_PPI << KVM_ARM_IRQ_TYPE_SHIFT | 20,
				     .level = 1 };

	EXPECT_EQ(-1, ioctl(self->m.vm, KVM_IRQ_LINE, &cpu));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(-1, ioctl(self->m.vm, KVM_IRQ_LINE, &spi));
	EXPECT_EQ(EBUSY, errno) TH_LOG("before INIT");
	gic_ready(_metadata, self->gic, 64);
	EXPECT_EQ(0, ioctl(self->m.vm, KVM_IRQ_LINE, &spi));
	EXPECT_EQ(0, ioctl(self->m.vm, KVM_IRQ_LINE, &ppi));
	spi.irq = KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT | 96;
	EXPECT_EQ(-1, ioctl(self->m.vm, KVM_IRQ_LINE, &spi));
	EXPECT_EQ(EINVAL, errno) TH_LOG("beyond NR_IRQS");
}

TEST_F(gic, the_guest_reads_the_distributor_in_the_kernel)
{
	uint32_t typer;

	load_program(&self->m, GUEST_CODE_IPA, g_typer_start, g_typer_end);
	gic_ready(_metadata, self->gic, 128);
	ASSERT_EQ(0, vcpu_run(&self->v));
	ASSERT_EQ(KVM_EXIT_MMIO, self->v.run->exit_reason);
	EXPECT_EQ(GUEST_MMIO_IPA, self->v.run->mmio.phys_addr)
	TH_LOG("the GICD_TYPER read exited to userspace");
	memcpy(&typer, self->v.run->mmio.data, sizeof(typer));
	EXPECT_EQ(3, typer & 0x1f) TH_LOG("ITLinesNumber for 128 INTIDs: %#x", typer);
	EXPECT_EQ(9, (typer >> 19) & 0x1f) TH_LOG("IDbits: 10 bits without an ITS");
}

struct held_run {
	struct vcpu *v;
	volatile int done, err;
};

static void *run_until_signal(void *p)
{
	struct held_run *h = p;

	h->err = vcpu_run(h->v) ? errno : 0;
	h->done = 1;
	return NULL;
}

/* vCPU 1 holds SPI 40 active in its list registers while it runs; vCPU 0 clears that
 * state through GICD_ICACTIVER. The change must survive vCPU 1's next exit, which folds
 * its list registers back into the interrupt (upstream halts the guest for such a write;
 * so does kvmx: vgic.rst). */
TEST_F(gic, an_active_state_another_running_vcpu_holds_is_cleared)
{
	struct sigaction sa = { .sa_handler = ignore_signal };
	struct kvm_irq_level spi = { .irq = KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT | 40,
				     .level = 1 };
	struct vcpu v1;
	struct held_run h = { .v = &v1 };
	uint32_t active = ~0u;
	pthread_t t;

	ASSERT_EQ(0,
		  vcpu_add(&self->m, &v1, 1, 1 << KVM_ARM_VCPU_PSCI_0_2, GUEST_CODE_IPA + 0x1000));
	load_program(&self->m, GUEST_CODE_IPA, g_act_clear_start, g_act_clear_end);
	load_program(&self->m, GUEST_CODE_IPA + 0x1000, g_act_hold_start, g_act_hold_end);
	gic_ready(_metadata, self->gic, 64);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, vcpu_run(&v1));
	ASSERT_EQ(KVM_EXIT_MMIO, v1.run->exit_reason) TH_LOG("vCPU 1 configured SPI 40");
	ASSERT_EQ(0, ioctl(self->m.vm, KVM_IRQ_LINE, &spi));
	ASSERT_EQ(0, vcpu_run(&v1));
	ASSERT_EQ(KVM_EXIT_MMIO, v1.run->exit_reason);
	ASSERT_EQ(40, mmio_data(&v1)) TH_LOG("vCPU 1 acknowledged SPI 40");
	ASSERT_EQ(0, pthread_create(&t, NULL, run_until_signal, &h));
	usleep(200 * 1000); /* vCPU 1 is back in its loop, SPI 40 active in an LR */
	ASSERT_EQ(0, vcpu_run(&self->v));
	EXPECT_EQ(KVM_EXIT_MMIO, self->v.run->exit_reason) TH_LOG("vCPU 0 wrote ICACTIVER");
	while (!h.done) {
		pthread_kill(t, SIGUSR1);
		usleep(10 * 1000);
	}
	pthread_join(t, NULL);
	EXPECT_EQ(EINTR, h.err);
	ASSERT_EQ(0, gic_get(self->gic, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x304, &active));
	EXPECT_EQ(0, active & 0x100) TH_LOG("GICD_ISACTIVER1 %#x after vCPU 1's exit", active);
	close(v1.fd);
}

/* A vCPU statistic by name (KVM_GET_STATS_FD), or ~0 if there is none. */
static uint64_t vcpu_stat(int vcpu_fd, const char *name)
{
	int fd = ioctl(vcpu_fd, KVM_GET_STATS_FD, 0);
	struct kvm_stats_header h;
	uint64_t val = ~0ULL;

	if (fd < 0)
		return val;
	if (pread(fd, &h, sizeof(h), 0) == sizeof(h)) {
		size_t size = sizeof(struct kvm_stats_desc) + h.name_size;
		char *d = calloc(h.num_desc, size);

		if (d &&
		    pread(fd, d, h.num_desc * size, h.desc_offset) == (ssize_t)(h.num_desc * size))
			for (uint32_t i = 0; i < h.num_desc; i++) {
				struct kvm_stats_desc *s = (struct kvm_stats_desc *)(d + i * size);

				if (!strcmp(s->name, name) &&
				    pread(fd, &val, sizeof(val), h.data_offset + s->offset) !=
					    sizeof(val))
					val = ~0ULL;
			}
		free(d);
	}
	close(fd);
	return val;
}

/*
 * The virtual timer's interrupt through the vGIC, 200 times, each acknowledged, masked
 * and EOIed by a spinning guest. Mapped to the host's timer interrupt (ICH_LR_HW,
 * upstream's way, kvmx's hw_timers=1) each costs one exit, the host interrupt of the timer
 * firing: the guest's EOI deactivates it without a maintenance interrupt. Masked while
 * the vGIC holds it (kvmx's default) each costs two: that one and the maintenance
 * interrupt of the EOI.
 */
#define TIMER_IRQS 200
#define HW_TIMERS "/sys/module/kvmx/parameters/hw_timers"

/* kvmx's hw_timers parameter ('Y' or 'N'), or 0 without kvmx (the built-in KVM). */
static char hw_timers(void)
{
	FILE *f = fopen(HW_TIMERS, "r");
	int c = f ? fgetc(f) : 0;

	if (f)
		fclose(f);
	return c == 'Y' || c == 'N' ? (char)c : 0;
}

static int set_hw_timers(char c)
{
	FILE *f = fopen(HW_TIMERS, "w");
	int ok = f && fputc(c, f) == c;

	if (f && fclose(f))
		ok = 0;
	return ok ? 0 : -1;
}

/* Runs the guest: returns the exits it took for its TIMER_IRQS interrupts. */
static uint64_t timer_irqs(struct __test_metadata *_metadata, struct vmm *m, struct vcpu *v,
			   int gic)
{
	uint64_t freq = 0, exits0;

	asm volatile("mrs %0, cntfrq_el0" : "=r"(freq));
	load_program(m, GUEST_CODE_IPA, g_vtimer_start, g_vtimer_end);
	load_program(m, GUEST_VECTORS_IPA, g_irq_vectors_start, g_irq_vectors_end);
	gic_ready(_metadata, gic, 128);
	EXPECT_EQ(0, vcpu_set(v, REG_VBAR_EL1, GUEST_VECTORS_IPA));
	EXPECT_EQ(0, vcpu_set(v, CORE_REG(regs.regs[20]), DIST_IPA));
	EXPECT_EQ(0, vcpu_set(v, CORE_REG(regs.regs[21]), REDIST_IPA + 0x10000));
	EXPECT_EQ(0, vcpu_set(v, CORE_REG(regs.regs[22]), TIMER_IRQS));
	EXPECT_EQ(0, vcpu_set(v, CORE_REG(regs.regs[23]), freq / 20000)); /* 50 us */
	exits0 = vcpu_stat(v->fd, "exits");
	EXPECT_NE(~0ULL, exits0);
	signal(SIGALRM, ignore_signal);
	alarm(20); /* a lost interrupt leaves the guest spinning: say where */
	EXPECT_EQ(0, vcpu_run(v))
	TH_LOG("stopped at pc %#llx with %llu interrupts taken",
	       (unsigned long long)vcpu_get(v, CORE_REG(regs.pc)),
	       (unsigned long long)vcpu_get(v, CORE_REG(regs.regs[24])));
	alarm(0);
	EXPECT_EQ(KVM_EXIT_MMIO, v->run->exit_reason);
	EXPECT_EQ(TIMER_IRQS, mmio_data(v)) TH_LOG("every timer interrupt reached the guest");
	return vcpu_stat(v->fd, "exits") - exits0;
}

TEST_F(gic, mapped_timer_interrupts_reach_the_guest_at_one_exit_each)
{
	char was = hw_timers();
	uint64_t exits;

	if (was)
		ASSERT_EQ(0, set_hw_timers('Y'));
	exits = timer_irqs(_metadata, &self->m, &self->v, self->gic);
	if (was)
		set_hw_timers(was);
	TH_LOG("%d timer interrupts, %llu exits", TIMER_IRQS, (unsigned long long)exits);
	/* Besides one per interrupt: the host's own timer ticks and IPIs while it ran. */
	EXPECT_LT(exits, TIMER_IRQS * 3 / 2);
}

TEST_F(gic, masked_timer_interrupts_reach_the_guest_at_two_exits_each)
{
	char was = hw_timers();
	uint64_t exits;

	if (!was)
		SKIP(return, "not kvmx: the built-in KVM always maps its timers");
	ASSERT_EQ(0, set_hw_timers('N'));
	exits = timer_irqs(_metadata, &self->m, &self->v, self->gic);
	set_hw_timers(was);
	TH_LOG("%d timer interrupts, %llu exits", TIMER_IRQS, (unsigned long long)exits);
	EXPECT_GE(exits, TIMER_IRQS * 2);
}

/*
 * The ITS's tables (KVM_DEV_ARM_ITS_RESTORE_TABLES and SAVE_TABLES) as a VMM moves them
 * with guest memory: tables written here in upstream's ABI revision 0 layout restore a
 * translation that KVM_SIGNAL_MSI then uses, and SAVE_TABLES writes them back the same.
 */
#define ITS_IPA 0x08080000ULL
#define ITS_DOORBELL (ITS_IPA + 0x10040)
#define T_PROP (GUEST_RAM_IPA + 0x100000)
#define T_PEND (GUEST_RAM_IPA + 0x110000)
#define T_DEV (GUEST_RAM_IPA + 0x130000)
#define T_COLL (GUEST_RAM_IPA + 0x140000)
#define T_ITT (GUEST_RAM_IPA + 0x150000)
#define T_CMDQ (GUEST_RAM_IPA + 0x160000)
#define VALID (1ULL << 63)

static uint64_t *table(struct vmm *m, uint64_t ipa)
{
	return (uint64_t *)(m->ram + (ipa - GUEST_RAM_IPA));
}

static int its_msi(int vm, uint32_t devid, uint32_t event)
{
	struct kvm_msi msi = { .address_lo = (uint32_t)ITS_DOORBELL,
			       .address_hi = (uint32_t)(ITS_DOORBELL >> 32),
			       .data = event,
			       .flags = KVM_MSI_VALID_DEVID,
			       .devid = devid };

	return ioctl(vm, KVM_SIGNAL_MSI, &msi);
}

/* Device 3 (4 event bits, ITT at T_ITT), event 2 -> LPI 8192 in collection 0 (vCPU 0). */
static void write_tables(struct vmm *m, uint64_t cte)
{
	table(m, T_COLL)[0] = cte;
	table(m, T_COLL)[1] = 0;
	table(m, T_DEV)[3] = VALID | (T_ITT >> 8) << 5 | 3;
	table(m, T_ITT)[2] = 8192ULL << 16 | 0;
}

/* A new ITS at ITS_IPA, initialised. */
static int its_create(struct __test_metadata *_metadata, struct vmm *m)
{
	uint64_t a = ITS_IPA;
	int its = create_gic(m->vm, KVM_DEV_TYPE_ARM_VGIC_ITS, 0);

	EXPECT_GE(its, 0);
	EXPECT_EQ(0, gic_set(its, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, &a));
	EXPECT_EQ(0, gic_set(its, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL));
	return its;
}

/* What a VMM restores, in the documented order: CBASER, BASER0/1, then the tables. */
static int its_restore(struct __test_metadata *_metadata, int its)
{
	uint64_t cbaser = VALID | T_CMDQ, dev = VALID | T_DEV, coll = VALID | T_COLL;

	EXPECT_EQ(0, gic_set(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x80, &cbaser));
	EXPECT_EQ(0, gic_set(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x100, &dev));
	EXPECT_EQ(0, gic_set(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x108, &coll));
	return gic_set(its, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_RESTORE_TABLES, NULL);
}

/* LPIs on (16 ID bits) for vCPU 0 through the redistributor's registers (with an ITS:
 * GICR_CTLR.EnableLPIs is RAZ/WI without one). */
static void lpis_on(struct __test_metadata *_metadata, struct vmm *m, int gic)
{
	uint64_t prop = T_PROP | 15, pend = T_PEND, ctlr = 1;

	m->ram[T_PROP - GUEST_RAM_IPA] = 0xa0 | 1; /* LPI 8192: priority 0xa0, enabled */
	ASSERT_EQ(0, gic_set(gic, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, 0x70, &prop));
	ASSERT_EQ(0, gic_set(gic, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, 0x78, &pend));
	ASSERT_EQ(0, gic_set(gic, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, 0x0, &ctlr));
}

TEST_F(gic, its_tables_restore_and_save_in_upstreams_layout)
{
	uint64_t ctlr = 1, dte, ite;
	int its;

	gic_ready(_metadata, self->gic, 64);
	its = its_create(_metadata, &self->m);
	lpis_on(_metadata, &self->m, self->gic);
	write_tables(&self->m, VALID | 0ULL << 16 | 0);
	ASSERT_EQ(0, its_restore(_metadata, its));
	ASSERT_EQ(0, gic_set(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x0, &ctlr)); /* GITS_CTLR last */
	EXPECT_EQ(1, its_msi(self->m.vm, 3, 2)) TH_LOG("the restored translation delivers");
	EXPECT_EQ(0, its_msi(self->m.vm, 3, 5)) TH_LOG("an event never mapped is blocked");
	EXPECT_EQ(0, its_msi(self->m.vm, 4, 2)) TH_LOG("a device never mapped is blocked");
	dte = table(&self->m, T_DEV)[3];
	ite = table(&self->m, T_ITT)[2];
	memset(table(&self->m, T_DEV), 0, 0x10000);
	memset(table(&self->m, T_COLL), 0xff, 0x10000);
	memset(table(&self->m, T_ITT), 0, 0x1000);
	ASSERT_EQ(0, gic_set(its, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_SAVE_TABLES, NULL));
	EXPECT_EQ(dte, table(&self->m, T_DEV)[3]);
	EXPECT_EQ(ite, table(&self->m, T_ITT)[2]);
	EXPECT_EQ(VALID, table(&self->m, T_COLL)[0]) TH_LOG("CTE: collection 0 on vCPU 0");
	EXPECT_EQ(0, table(&self->m, T_COLL)[1]) TH_LOG("an invalid CTE ends the table");
	EXPECT_EQ(0, table(&self->m, T_DEV)[2]);
	close(its);
}

TEST_F(gic, its_restore_refuses_a_collection_on_a_missing_vcpu)
{
	int its;

	gic_ready(_metadata, self->gic, 64);
	its = its_create(_metadata, &self->m);
	lpis_on(_metadata, &self->m, self->gic);
	write_tables(&self->m, VALID | 1ULL << 16 | 0); /* vCPU 1 of 1 */
	EXPECT_EQ(-1, its_restore(_metadata, its));
	EXPECT_EQ(EINVAL, errno);
	close(its);
}

TEST_HARNESS_MAIN
