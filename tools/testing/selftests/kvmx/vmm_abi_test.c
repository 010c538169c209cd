// SPDX-License-Identifier: GPL-2.0
/*
 * The generic VMM ABI a real VMM (QEMU) needs, with upstream's errno: KVM_IOEVENTFD
 * (guest writes signalled in the kernel, datamatch, any length, deassign), KVM_IRQFD and
 * KVM_SET_GSI_ROUTING validation (no in-kernel irqchip: irqfds -EAGAIN), KVM_SIGNAL_MSI,
 * KVM_GET/SET_VCPU_EVENTS, and KVM_CAP_ARM_USER_IRQ: the virtual timer's line reported in
 * kvm_run->s.regs.device_irq_level with a KVM_EXIT_INTR when it changes.
 * Every expectation is what the built-in 6.1 KVM answers without a vGIC (the physical
 * timer's registers: what upstream 6.7 and later answer).
 */
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "vcpu_lib.h"

/* Guest programs (MMU off: Device memory, aligned accesses). */
asm(".pushsection .text\n"
    ".balign 4\n"
    /* Writes: 4 bytes 0x1234 at MMIO, 4 bytes 0x5678 at MMIO, 1 byte at MMIO + 8, 8 bytes at
     * MMIO + 16, a 2-byte read at MMIO + 24, then SYSTEM_OFF. */
    ".global g_kicks_start, g_kicks_end\n"
    "g_kicks_start:\n"
    "	movz x1, #0x9000, lsl #16\n"
    "	movz x2, #0x1234\n"
    "	str w2, [x1]\n"
    "	movz x2, #0x5678\n"
    "	str w2, [x1]\n"
    "	strb w2, [x1, #8]\n"
    "	str x2, [x1, #16]\n"
    "	ldrh w3, [x1, #24]\n"
    "	movz x0, #0x0008\n"
    "	movk x0, #0x8400, lsl #16\n"
    "	hvc #0\n"
    "	b .\n"
    "g_kicks_end:\n"
    /* Arm the virtual timer x2 ticks ahead, then spin (no WFI, no exit of its own). */
    ".global g_timer_spin_start, g_timer_spin_end\n"
    "g_timer_spin_start:\n"
    "	isb\n"
    "	mrs x3, cntvct_el0\n"
    "	add x3, x3, x2\n"
    "	msr cntv_cval_el0, x3\n"
    "	mov x4, #1\n"
    "	msr cntv_ctl_el0, x4\n"
    "	isb\n"
    "	b .\n"
    "g_timer_spin_end:\n"
    /* The same, then WFI, then mask the timer and report at MMIO. */
    ".global g_timer_wfi_start, g_timer_wfi_end\n"
    "g_timer_wfi_start:\n"
    "	isb\n"
    "	mrs x3, cntvct_el0\n"
    "	add x3, x3, x2\n"
    "	msr cntv_cval_el0, x3\n"
    "	mov x4, #1\n"
    "	msr cntv_ctl_el0, x4\n"
    "	isb\n"
    "	wfi\n"
    "	mov x4, #3\n"
    "	msr cntv_ctl_el0, x4\n"
    "	isb\n"
    "	movz x1, #0x9000, lsl #16\n"
    "	str xzr, [x1]\n"
    "	b .\n"
    "g_timer_wfi_end:\n"
    /* Report CNTPCT_EL0, arm the physical timer x2 ticks ahead (TVAL), report its CVAL,
     * enable it and wait. */
    ".global g_ptimer_start, g_ptimer_end\n"
    "g_ptimer_start:\n"
    "	movz x1, #0x9000, lsl #16\n"
    "	isb\n"
    "	mrs x3, cntpct_el0\n"
    "	str x3, [x1]\n"
    "	msr cntp_tval_el0, x2\n"
    "	isb\n"
    "	mrs x3, cntp_cval_el0\n"
    "	str x3, [x1, #8]\n"
    "	mov x4, #1\n"
    "	msr cntp_ctl_el0, x4\n"
    "	isb\n"
    "	wfi\n"
    "	b .\n"
    "g_ptimer_end:\n"
    ".popsection\n");

GUEST_PROGRAM(g_kicks);
GUEST_PROGRAM(g_timer_spin);
GUEST_PROGRAM(g_timer_wfi);
GUEST_PROGRAM(g_ptimer);

#define LOAD(m, ipa, prog) load_program(m, ipa, prog##_start, prog##_end)

FIXTURE(abi)
{
	struct vmm m;
	struct vcpu v;
};

FIXTURE_SETUP(abi)
{
	ASSERT_EQ(0, vmm_create(&self->m));
	ASSERT_EQ(0, vcpu_add(&self->m, &self->v, 0, 1 << KVM_ARM_VCPU_PSCI_0_2, GUEST_CODE_IPA));
}

FIXTURE_TEARDOWN(abi)
{
	close(self->v.fd);
	vmm_destroy(&self->m);
}

static int ioeventfd(int vm, uint64_t addr, uint32_t len, int fd, uint32_t flags,
		     uint64_t datamatch)
{
	struct kvm_ioeventfd io = {
		.datamatch = datamatch,
		.addr = addr,
		.len = len,
		.fd = fd,
		.flags = flags,
	};

	return ioctl(vm, KVM_IOEVENTFD, &io);
}

static uint64_t eventfd_count(int fd)
{
	uint64_t n = 0;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return 0; /* EAGAIN: nothing signalled */
	return n;
}

TEST_F(abi, capabilities_qemu_needs_read_as_upstream)
{
	static const struct {
		long cap, val;
	} want[] = {
		{ KVM_CAP_DESTROY_MEMORY_REGION_WORKS, 1 },
		{ KVM_CAP_JOIN_MEMORY_REGIONS_WORKS, 1 },
		{ KVM_CAP_INTERNAL_ERROR_DATA, 1 },
		{ KVM_CAP_IOEVENTFD, 1 },
		{ KVM_CAP_IOEVENTFD_ANY_LENGTH, 1 },
		{ KVM_CAP_IRQFD, 1 },
		{ KVM_CAP_IRQ_ROUTING, 4096 },
		{ KVM_CAP_DEVICE_CTRL, 1 },
		{ KVM_CAP_READONLY_MEM, 1 },
		{ KVM_CAP_MP_STATE, 1 },
		{ KVM_CAP_VCPU_EVENTS, 1 },
		{ KVM_CAP_ARM_USER_IRQ, 1 },
		{ KVM_CAP_ARM_IRQ_LINE_LAYOUT_2, 1 },
		{ KVM_CAP_ENABLE_CAP_VM, 1 },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		EXPECT_EQ(want[i].val, ioctl(self->m.kvm, KVM_CHECK_EXTENSION, want[i].cap))
		TH_LOG("capability %ld", want[i].cap);
		EXPECT_EQ(want[i].val, ioctl(self->m.vm, KVM_CHECK_EXTENSION, want[i].cap));
	}
}

/*
 * QEMU creates an in-kernel ITS whenever KVM_CAP_SIGNAL_MSI reads 1 and stops if that fails:
 * the capability must say whether KVM_DEV_TYPE_ARM_VGIC_ITS exists (the built-in KVM has
 * both; kvmx, without an ITS yet, neither).
 */
TEST_F(abi, signal_msi_is_offered_with_an_its_only)
{
	struct kvm_create_device dev = {
		.type = KVM_DEV_TYPE_ARM_VGIC_ITS,
		.flags = KVM_CREATE_DEVICE_TEST,
	};
	int its = ioctl(self->m.vm, KVM_CREATE_DEVICE, &dev) == 0;

	EXPECT_EQ(its, ioctl(self->m.vm, KVM_CHECK_EXTENSION, KVM_CAP_SIGNAL_MSI));
	EXPECT_EQ(its, ioctl(self->m.kvm, KVM_CHECK_EXTENSION, KVM_CAP_SIGNAL_MSI));
}

TEST_F(abi, ioeventfd_rejects_bad_arguments_with_upstreams_errno)
{
	int efd = eventfd(0, EFD_NONBLOCK), nullfd = open("/dev/null", O_RDONLY);
	const uint64_t a = GUEST_MMIO_IPA;

	ASSERT_GE(efd, 0);
	EXPECT_EQ(-1, ioeventfd(self->m.vm, a, 3, efd, 0, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioeventfd(self->m.vm, ~0ULL - 1, 4, efd, 0, 0));
	EXPECT_EQ(EINVAL, errno) TH_LOG("range wraps around");
	EXPECT_EQ(-1, ioeventfd(self->m.vm, a, 4, efd, 1u << 7, 0));
	EXPECT_EQ(EINVAL, errno) TH_LOG("unknown flag");
	EXPECT_EQ(-1, ioeventfd(self->m.vm, a, 0, efd, KVM_IOEVENTFD_FLAG_DATAMATCH, 0));
	EXPECT_EQ(EINVAL, errno) TH_LOG("any length with a datamatch");
	EXPECT_EQ(-1, ioeventfd(self->m.vm, a, 4, 1000, 0, 0));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, ioeventfd(self->m.vm, a, 4, nullfd, 0, 0));
	EXPECT_EQ(EINVAL, errno) TH_LOG("not an eventfd");
	EXPECT_EQ(-1, ioeventfd(self->m.vm, a, 4, efd, KVM_IOEVENTFD_FLAG_DEASSIGN, 0));
	EXPECT_EQ(ENOENT, errno) TH_LOG("deassign of what was never assigned");

	ASSERT_EQ(0, ioeventfd(self->m.vm, a, 4, efd, KVM_IOEVENTFD_FLAG_DATAMATCH, 1));
	EXPECT_EQ(-1, ioeventfd(self->m.vm, a, 4, efd, KVM_IOEVENTFD_FLAG_DATAMATCH, 1));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(-1, ioeventfd(self->m.vm, a, 4, efd, 0, 0));
	EXPECT_EQ(EEXIST, errno) TH_LOG("a wildcard overlaps every datamatch");
	EXPECT_EQ(-1, ioeventfd(self->m.vm, a, 0, efd, 0, 0));
	EXPECT_EQ(EEXIST, errno) TH_LOG("any length overlaps every length");
	EXPECT_EQ(0, ioeventfd(self->m.vm, a, 4, efd, KVM_IOEVENTFD_FLAG_DATAMATCH, 2));
	EXPECT_EQ(0, ioeventfd(self->m.vm, a, 2, efd, 0, 0)) TH_LOG("another length");
	EXPECT_EQ(0, ioeventfd(self->m.vm, a, 4, efd, KVM_IOEVENTFD_FLAG_PIO, 0))
	TH_LOG("another bus");
	/* Deassign must name the entry exactly: datamatch value and flag included. */
	EXPECT_EQ(-1, ioeventfd(self->m.vm, a, 4, efd,
				KVM_IOEVENTFD_FLAG_DEASSIGN | KVM_IOEVENTFD_FLAG_DATAMATCH, 3));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0, ioeventfd(self->m.vm, a, 4, efd,
			       KVM_IOEVENTFD_FLAG_DEASSIGN | KVM_IOEVENTFD_FLAG_DATAMATCH, 2));
	EXPECT_EQ(0, ioeventfd(self->m.vm, a, 4, efd, KVM_IOEVENTFD_FLAG_DATAMATCH, 2));
	close(nullfd);
	close(efd);
}

TEST_F(abi, ioeventfd_takes_matching_guest_writes_without_an_exit)
{
	int match = eventfd(0, EFD_NONBLOCK), any = eventfd(0, EFD_NONBLOCK);
	int wide = eventfd(0, EFD_NONBLOCK);
	const uint64_t a = GUEST_MMIO_IPA;

	ASSERT_GE(match, 0);
	LOAD(&self->m, GUEST_CODE_IPA, g_kicks);
	/* 0x1234 matches, 0x5678 does not: that write exits. Any length at +8 takes the
	 * byte; the 8-byte wildcard at +16 takes the quadword. */
	ASSERT_EQ(0, ioeventfd(self->m.vm, a, 4, match, KVM_IOEVENTFD_FLAG_DATAMATCH, 0x1234));
	ASSERT_EQ(0, ioeventfd(self->m.vm, a + 8, 0, any, 0, 0));
	ASSERT_EQ(0, ioeventfd(self->m.vm, a + 16, 8, wide, 0, 0));
	/* A read at an ioeventfd's address is never taken. */
	ASSERT_EQ(0, ioeventfd(self->m.vm, a + 24, 2, wide, 0, 0));

	ASSERT_EQ(0, vcpu_run(&self->v));
	ASSERT_EQ(KVM_EXIT_MMIO, self->v.run->exit_reason);
	EXPECT_EQ(a, self->v.run->mmio.phys_addr);
	EXPECT_EQ(0x5678, mmio_data(&self->v)) TH_LOG("the first, matching write exited");
	EXPECT_EQ(1, eventfd_count(match));

	ASSERT_EQ(0, vcpu_run(&self->v));
	ASSERT_EQ(KVM_EXIT_MMIO, self->v.run->exit_reason);
	EXPECT_EQ(a + 24, self->v.run->mmio.phys_addr);
	EXPECT_EQ(0, self->v.run->mmio.is_write);
	EXPECT_EQ(1, eventfd_count(any));
	EXPECT_EQ(1, eventfd_count(wide));

	ASSERT_EQ(0, vcpu_run(&self->v));
	EXPECT_EQ(KVM_EXIT_SYSTEM_EVENT, self->v.run->exit_reason);
	EXPECT_EQ(0, eventfd_count(match));
	close(match);
	close(any);
	close(wide);
}

TEST_F(abi, ioeventfd_deassigned_or_closed_first)
{
	int efd = eventfd(0, EFD_NONBLOCK);
	const uint64_t a = GUEST_MMIO_IPA;

	LOAD(&self->m, GUEST_CODE_IPA, g_kicks);
	ASSERT_EQ(0, ioeventfd(self->m.vm, a, 4, efd, 0, 0));
	ASSERT_EQ(0, ioeventfd(self->m.vm, a, 4, efd, KVM_IOEVENTFD_FLAG_DEASSIGN, 0));
	ASSERT_EQ(0, vcpu_run(&self->v));
	ASSERT_EQ(KVM_EXIT_MMIO, self->v.run->exit_reason);
	EXPECT_EQ(0x1234, mmio_data(&self->v)) TH_LOG("deassigned: the write exits");
	/* Closing the eventfd leaves the ioeventfd in place (it holds the eventfd). */
	ASSERT_EQ(0, ioeventfd(self->m.vm, a, 4, efd, 0, 0));
	close(efd);
	ASSERT_EQ(0, vcpu_run(&self->v));
	ASSERT_EQ(KVM_EXIT_MMIO, self->v.run->exit_reason);
	EXPECT_EQ(a + 8, self->v.run->mmio.phys_addr) TH_LOG("0x5678 went to the eventfd");
}

TEST_F(abi, irqfd_needs_an_in_kernel_irqchip)
{
	int efd = eventfd(0, 0), nullfd = open("/dev/null", O_RDONLY);
	struct kvm_irqfd irqfd = { .fd = efd, .gsi = 3 };

	irqfd.flags = 1u << 2;
	EXPECT_EQ(-1, ioctl(self->m.vm, KVM_IRQFD, &irqfd));
	EXPECT_EQ(EINVAL, errno) TH_LOG("unknown flag");
	irqfd.flags = 0;
	EXPECT_EQ(-1, ioctl(self->m.vm, KVM_IRQFD, &irqfd));
	EXPECT_EQ(EAGAIN, errno) TH_LOG("no vGIC: nothing to inject into");
	irqfd.flags = KVM_IRQFD_FLAG_RESAMPLE;
	irqfd.resamplefd = efd;
	EXPECT_EQ(-1, ioctl(self->m.vm, KVM_IRQFD, &irqfd));
	EXPECT_EQ(EAGAIN, errno);
	irqfd.flags = KVM_IRQFD_FLAG_DEASSIGN;
	EXPECT_EQ(0, ioctl(self->m.vm, KVM_IRQFD, &irqfd)) TH_LOG("deassign of nothing is fine");
	irqfd.fd = nullfd;
	EXPECT_EQ(-1, ioctl(self->m.vm, KVM_IRQFD, &irqfd));
	EXPECT_EQ(EINVAL, errno);
	irqfd.fd = 1000;
	EXPECT_EQ(-1, ioctl(self->m.vm, KVM_IRQFD, &irqfd));
	EXPECT_EQ(EBADF, errno);
	close(nullfd);
	close(efd);
}

static int set_routing(int vm, const struct kvm_irq_routing_entry *e, uint32_t nr, uint32_t flags)
{
	struct kvm_irq_routing *r = calloc(1, sizeof(*r) + nr * sizeof(*e));
	int ret;

	r->nr = nr;
	r->flags = flags;
	if (nr && e)
		memcpy(r->entries, e, nr * sizeof(*e));
	ret = ioctl(vm, KVM_SET_GSI_ROUTING, r);
	free(r);
	return ret;
}

TEST_F(abi, gsi_routing_validates_as_upstream)
{
	struct kvm_irq_routing_entry e[3] = {};

	e[0].gsi = 0;
	e[0].type = KVM_IRQ_ROUTING_IRQCHIP;
	e[0].u.irqchip.pin = 0;
	e[1].gsi = 1;
	e[1].type = KVM_IRQ_ROUTING_MSI;
	e[1].flags = KVM_MSI_VALID_DEVID;
	e[1].u.msi.address_lo = 0x08080040;
	EXPECT_EQ(0, set_routing(self->m.vm, e, 2, 0));
	EXPECT_EQ(0, set_routing(self->m.vm, NULL, 0, 0)) TH_LOG("an empty table");
	EXPECT_EQ(-1, set_routing(self->m.vm, e, 2, 1));
	EXPECT_EQ(EINVAL, errno) TH_LOG("flags");
	EXPECT_EQ(-1, set_routing(self->m.vm, NULL, 4097, 0));
	EXPECT_EQ(EINVAL, errno) TH_LOG("more than KVM_MAX_IRQ_ROUTES");
	e[2] = e[0];
	EXPECT_EQ(-1, set_routing(self->m.vm, e, 3, 0));
	EXPECT_EQ(EINVAL, errno) TH_LOG("a GSI routed to one irqchip twice");
	e[2].gsi = 4096;
	EXPECT_EQ(-1, set_routing(self->m.vm, e, 3, 0));
	EXPECT_EQ(EINVAL, errno) TH_LOG("GSI out of range");
	e[2].gsi = 2;
	e[2].u.irqchip.pin = 988;
	EXPECT_EQ(-1, set_routing(self->m.vm, e, 3, 0));
	EXPECT_EQ(EINVAL, errno) TH_LOG("pin beyond the SPIs");
	e[2].u.irqchip.pin = 1;
	e[2].u.irqchip.irqchip = 1;
	EXPECT_EQ(-1, set_routing(self->m.vm, e, 3, 0));
	EXPECT_EQ(EINVAL, errno) TH_LOG("arm64 has one irqchip");
	e[2].u.irqchip.irqchip = 0;
	e[2].flags = 1;
	EXPECT_EQ(-1, set_routing(self->m.vm, e, 3, 0));
	EXPECT_EQ(EINVAL, errno) TH_LOG("flags on an irqchip entry");
	e[2].flags = 0;
	e[2].type = 99;
	EXPECT_EQ(-1, set_routing(self->m.vm, e, 3, 0));
	EXPECT_EQ(EINVAL, errno) TH_LOG("unknown type");
	e[2] = e[1];
	e[2].gsi = 1;
	EXPECT_EQ(-1, set_routing(self->m.vm, e, 3, 0));
	EXPECT_EQ(EINVAL, errno) TH_LOG("a GSI with two MSI routes");
}

TEST_F(abi, signal_msi_without_an_irqchip_is_einval)
{
	struct kvm_msi msi = { .address_lo = 0x08080040, .data = 1 };

	EXPECT_EQ(-1, ioctl(self->m.vm, KVM_SIGNAL_MSI, &msi));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(abi, vcpu_events_carry_a_pending_serror)
{
	struct kvm_vcpu_events ev;
	int fresh = ioctl(self->m.vm, KVM_CREATE_VCPU, 1);

	ASSERT_GE(fresh, 0);
	EXPECT_EQ(-1, ioctl(fresh, KVM_GET_VCPU_EVENTS, &ev));
	EXPECT_EQ(ENOEXEC, errno) TH_LOG("before KVM_ARM_VCPU_INIT");
	close(fresh);
	memset(&ev, 0xff, sizeof(ev));
	ASSERT_EQ(0, ioctl(self->v.fd, KVM_GET_VCPU_EVENTS, &ev));
	EXPECT_EQ(0, ev.exception.serror_pending);
	EXPECT_EQ(0, ev.exception.ext_dabt_pending);
	memset(&ev, 0, sizeof(ev));
	ev.exception.serror_pending = 1;
	ASSERT_EQ(0, ioctl(self->v.fd, KVM_SET_VCPU_EVENTS, &ev));
	ASSERT_EQ(0, ioctl(self->v.fd, KVM_GET_VCPU_EVENTS, &ev));
	EXPECT_EQ(1, ev.exception.serror_pending);
	if (!ioctl(self->m.kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_INJECT_SERROR_ESR)) {
		ev.exception.serror_has_esr = 1;
		EXPECT_EQ(-1, ioctl(self->v.fd, KVM_SET_VCPU_EVENTS, &ev));
		EXPECT_EQ(EINVAL, errno) TH_LOG("an SError syndrome without the capability");
	}
}

static void expect_timer_line(struct __test_metadata *_metadata, struct vcpu *v, int level)
{
	EXPECT_EQ(level ? KVM_ARM_DEV_EL1_VTIMER : 0,
		  v->run->s.regs.device_irq_level & KVM_ARM_DEV_EL1_VTIMER);
}

TEST_F(abi, user_irq_timer_ends_a_spinning_guest_run)
{
	double t0;
	uint64_t freq = 0;

	asm volatile("mrs %0, cntfrq_el0" : "=r"(freq));
	LOAD(&self->m, GUEST_CODE_IPA, g_timer_spin);
	ASSERT_EQ(0, vcpu_set(&self->v, CORE_REG(regs.regs[2]), freq / 20)); /* 50 ms */
	t0 = now_s();
	EXPECT_EQ(-1, vcpu_run(&self->v));
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ(KVM_EXIT_INTR, self->v.run->exit_reason);
	expect_timer_line(_metadata, &self->v, 1);
	EXPECT_GE(now_s() - t0, 0.045);
	EXPECT_LT(now_s() - t0, 2.0);
	TH_LOG("the timer line reached the VMM after %.1f ms", (now_s() - t0) * 1e3);
	/* Known to the VMM now: the guest runs on until a signal. */
	signal(SIGALRM, ignore_signal);
	alarm(1);
	EXPECT_EQ(-1, vcpu_run(&self->v));
	EXPECT_EQ(EINTR, errno);
	expect_timer_line(_metadata, &self->v, 1);
	/* The VMM masks nothing; the line stays high while the condition holds. */
}

TEST_F(abi, user_irq_timer_wakes_wfi_then_falls_when_masked)
{
	uint64_t freq = 0;
	struct kvm_irq_level irq = {
		.irq = KVM_ARM_IRQ_TYPE_CPU << KVM_ARM_IRQ_TYPE_SHIFT | KVM_ARM_IRQ_CPU_IRQ,
		.level = 1,
	};

	asm volatile("mrs %0, cntfrq_el0" : "=r"(freq));
	LOAD(&self->m, GUEST_CODE_IPA, g_timer_wfi);
	ASSERT_EQ(0, vcpu_set(&self->v, CORE_REG(regs.regs[2]), freq / 50)); /* 20 ms */
	EXPECT_EQ(-1, vcpu_run(&self->v));
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ(KVM_EXIT_INTR, self->v.run->exit_reason);
	expect_timer_line(_metadata, &self->v, 1);
	/*
	 * The VMM's irqchip delivers it on the vCPU's IRQ line, so the guest's WFI completes
	 * whether the guest was waiting already or reaches it late (a slow host: the timer
	 * fired while it still ran towards its WFI, and a WFI wakes only on an interrupt
	 * that the irqchip delivered; the guest's PSTATE.I masks the exception itself).
	 */
	ASSERT_EQ(0, ioctl(self->m.vm, KVM_IRQ_LINE, &irq));
	/* The guest leaves its WFI, masks the timer and writes to MMIO: the line fell. */
	ASSERT_EQ(0, vcpu_run(&self->v));
	ASSERT_EQ(KVM_EXIT_MMIO, self->v.run->exit_reason);
	expect_timer_line(_metadata, &self->v, 0);
}

/*
 * The physical timer's registers (upstream 6.7 on; 6.1 had the virtual timer's only):
 * listed, and KVM_REG_ARM_PTIMER_CNT sets the VM's physical counter offset. The guest's
 * CNTPCT_EL0 then counts from the value written, its CNTP_CVAL_EL0 is in that count, and
 * its timer still fires when that count reaches CVAL (not at once, as the hardware's
 * counter, far ahead, would make it).
 */
static int reg_listed(int vcpu_fd, uint64_t id)
{
	struct kvm_reg_list head = { .n = 0 }, *list;
	int found = 0;

	ioctl(vcpu_fd, KVM_GET_REG_LIST, &head);
	list = calloc(1, sizeof(*list) + head.n * sizeof(__u64));
	list->n = head.n;
	if (!ioctl(vcpu_fd, KVM_GET_REG_LIST, list))
		for (__u64 i = 0; i < list->n; i++)
			found |= list->reg[i] == id;
	free(list);
	return found;
}

TEST_F(abi, ptimer_counter_offset_as_upstream)
{
	uint64_t freq = 0, cnt, cval;
	double t0;

	asm volatile("mrs %0, cntfrq_el0" : "=r"(freq));
	EXPECT_TRUE(reg_listed(self->v.fd, KVM_REG_ARM_PTIMER_CNT));
	EXPECT_TRUE(reg_listed(self->v.fd, KVM_REG_ARM_PTIMER_CVAL));
	EXPECT_TRUE(reg_listed(self->v.fd, KVM_REG_ARM_PTIMER_CTL));
	ASSERT_EQ(0, vcpu_set(&self->v, KVM_REG_ARM_PTIMER_CNT, 1000));
	cnt = vcpu_get(&self->v, KVM_REG_ARM_PTIMER_CNT);
	EXPECT_GE(cnt, 1000);
	EXPECT_LT(cnt, 1000 + 10 * freq);

	LOAD(&self->m, GUEST_CODE_IPA, g_ptimer);
	ASSERT_EQ(0, vcpu_set(&self->v, CORE_REG(regs.regs[2]), freq / 50)); /* 20 ms */
	ASSERT_EQ(0, vcpu_run(&self->v));
	ASSERT_EQ(KVM_EXIT_MMIO, self->v.run->exit_reason);
	EXPECT_GE(mmio_data(&self->v), cnt) TH_LOG("the guest's CNTPCT_EL0 counts from 1000");
	EXPECT_LT(mmio_data(&self->v), cnt + 10 * freq);
	t0 = now_s();
	ASSERT_EQ(0, vcpu_run(&self->v));
	ASSERT_EQ(KVM_EXIT_MMIO, self->v.run->exit_reason);
	cval = mmio_data(&self->v);
	EXPECT_LT(cval, cnt + 10 * freq) TH_LOG("CNTP_CVAL_EL0 in the guest's count");
	EXPECT_EQ(cval, vcpu_get(&self->v, KVM_REG_ARM_PTIMER_CVAL));
	/* The timer's line reaches the VMM's irqchip when the guest's count reaches CVAL. */
	EXPECT_EQ(-1, vcpu_run(&self->v));
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ(KVM_EXIT_INTR, self->v.run->exit_reason);
	EXPECT_EQ(KVM_ARM_DEV_EL1_PTIMER,
		  self->v.run->s.regs.device_irq_level & KVM_ARM_DEV_EL1_PTIMER);
	EXPECT_GE(now_s() - t0, 0.015);
	EXPECT_LT(now_s() - t0, 5.0);
	EXPECT_GE(vcpu_get(&self->v, KVM_REG_ARM_PTIMER_CNT), cval);
	EXPECT_EQ(1, vcpu_get(&self->v, KVM_REG_ARM_PTIMER_CTL) & 1);
}

/*
 * A VMM killed with SIGKILL while its guest runs, with ioeventfds (one of them on an
 * eventfd it closed), a routing table and a signalling guest, leaves nothing behind:
 * kvmx's live allocations (its live_allocs parameter) return to where they were.
 */
#define LIVE_ALLOCS "/sys/module/kvmx/parameters/live_allocs"

static void killed_vmm_child(void)
{
	struct vmm m;
	struct vcpu v;
	struct kvm_irq_routing_entry e = { .gsi = 1, .type = KVM_IRQ_ROUTING_IRQCHIP };
	int efd = eventfd(0, 0), gone = eventfd(0, 0);

	if (vmm_create(&m) || vcpu_add(&m, &v, 0, 1 << KVM_ARM_VCPU_PSCI_0_2, GUEST_CODE_IPA))
		_exit(2);
	load_program(&m, GUEST_CODE_IPA, g_timer_spin_start, g_timer_spin_end);
	ioeventfd(m.vm, GUEST_MMIO_IPA, 4, efd, 0, 0);
	ioeventfd(m.vm, GUEST_MMIO_IPA + 8, 0, gone, 0, 0);
	close(gone);
	set_routing(m.vm, &e, 1, 0);
	vcpu_set(&v, CORE_REG(regs.regs[2]), 1ULL << 40); /* a timer far away: spin */
	for (;;)
		vcpu_run(&v);
}

TEST(vmm_killed_mid_run_leaves_nothing)
{
	long base = kvmx_read_long(LIVE_ALLOCS), now = base;
	pid_t pid = fork();
	int status;

	ASSERT_GE(pid, 0);
	if (pid == 0)
		killed_vmm_child();
	usleep(300 * 1000);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	if (base < 0)
		SKIP(return, "no %s: not kvmx", LIVE_ALLOCS);
	for (int i = 0; i < 200 && (now = kvmx_read_long(LIVE_ALLOCS)) != base; i++)
		usleep(10 * 1000);
	EXPECT_EQ(base, now);
}

TEST_HARNESS_MAIN
