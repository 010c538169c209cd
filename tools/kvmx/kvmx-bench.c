// SPDX-License-Identifier: GPL-2.0
/*
 * kvmx-bench: micro-benchmarks of the KVM ABI that run unchanged on kvmx and on the
 * in-kernel KVM, so that `make bench` can compare them in one QEMU host.
 *   hvc        null in-kernel hypercall round trip (PSCI_VERSION through HVC)
 *   hvc_pvtime the same with PV time configured (stolen-time update on every entry)
 *   mmio       MMIO exit to userspace and back
 *   wake       SYSTEM_SUSPEND wake latency: KVM_IRQ_LINE on another thread until the
 *              suspended vCPU's KVM_RUN returns
 *   create     KVM_CREATE_VM + memslot + vCPU until the guest's first instruction exits
 *   fault      stage-2 fault-in of guest RAM the VMM has already written (a loaded image,
 *              a restored VM): per page, the guest reads it and then writes it
 *   ioeventfd  a virtio-style kick: the guest's MMIO write signals an eventfd in the kernel
 *              (KVM_IOEVENTFD) and the guest runs on; per kick, checked in the eventfd's count
 *   irqfd      an interrupt through the in-kernel GICv3: the VMM writes an eventfd bound to
 *              SPI 32 (KVM_IRQFD), enters the waiting guest, whose IRQ handler acknowledges,
 *              EOIs and reports the INTID at MMIO; per interrupt, eventfd write to the exit
 *   sgi        an IPI round trip between two vCPUs (two threads) through the in-kernel GICv3:
 *              vCPU 0 writes ICC_SGI1R_EL1 for vCPU 1 and waits in WFI; vCPU 1, idle in WFI,
 *              takes the SGI in its handler (acknowledge, EOI) and sends one back, which
 *              vCPU 0 acknowledges and EOIs; per round trip, host clock around the loop
 *   vtimer     virtual timer interrupt latency of an idle guest: it arms CNTV_CVAL_EL0 20 us
 *              (plus 4 counter ticks per sample) ahead and waits in WFI (IRQs masked, as Linux idles); its IRQ handler takes
 *              CNTVCT_EL0 - CNTV_CVAL_EL0 at entry; per interrupt, in the guest's counter
 *   vtimer_busy the same while the guest spins with IRQs unmasked instead of waiting in WFI
 * Usage: kvmx-bench [SCALE [NAME,NAME...]] (loop lengths times SCALE; only the named ones).
 * Output: one line per benchmark, "bench <name> median_ns <m> min_ns <a> max_ns <b>
 * samples <n> unit <what one sample is>", then "bench-done".
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>

#include "../testing/selftests/kvmx/vcpu_lib.h"

asm(".pushsection .text\n"
    ".balign 4\n"
    /* x9 times: PSCI_VERSION via HVC; then one MMIO write to report completion. */
    ".global b_hvc_start, b_hvc_end\n"
    "b_hvc_start:\n"
    "	movz x1, #0x9000, lsl #16\n"
    "1:	movz x0, #0x8400, lsl #16\n"
    "	hvc #0\n"
    "	subs x9, x9, #1\n"
    "	b.ne 1b\n"
    "	str x0, [x1]\n"
    "	b b_hvc_start\n"
    "b_hvc_end:\n"
    /* An MMIO write per iteration, forever. */
    ".global b_mmio_start, b_mmio_end\n"
    "b_mmio_start:\n"
    "	movz x1, #0x9000, lsl #16\n"
    "1:	str x0, [x1]\n"
    "	b 1b\n"
    "b_mmio_end:\n"
    /* SYSTEM_SUSPEND with the resume point at this very code. */
    ".global b_suspend_start, b_suspend_end\n"
    "b_suspend_start:\n"
    "	movz x0, #0x000e\n"
    "	movk x0, #0xc400, lsl #16\n"
    "	movz x1, #0x4000, lsl #16\n"
    "	hvc #0\n"
    "	b .\n"
    "b_suspend_end:\n"
    /* x2 pages from x1 up: read each, then write it; then one MMIO write. */
    ".global b_fault_start, b_fault_end\n"
    "b_fault_start:\n"
    "1:	ldr x3, [x1]\n"
    "	add x3, x3, #1\n"
    "	str x3, [x1]\n"
    "	add x1, x1, #4096\n"
    "	subs x2, x2, #1\n"
    "	b.ne 1b\n"
    "	movz x1, #0x9000, lsl #16\n"
    "	str x3, [x1]\n"
    "	b .\n"
    "b_fault_end:\n"
    /* x9 kicks at MMIO (an ioeventfd takes them), then one MMIO write at MMIO + 8. */
    ".global b_kick_start, b_kick_end\n"
    "b_kick_start:\n"
    "	movz x1, #0x9000, lsl #16\n"
    "1:	str x9, [x1]\n"
    "	subs x9, x9, #1\n"
    "	b.ne 1b\n"
    "	str x0, [x1, #8]\n"
    "	b b_kick_start\n"
    "b_kick_end:\n"
    /* Open the GIC for SPI 32 (distributor, group 1, priority mask), unmask IRQs, wait. */
    ".global b_irq_start, b_irq_end\n"
    "b_irq_start:\n"
    "	movz x1, #0x0800, lsl #16\n"
    "	mov w2, #2\n"
    "	str w2, [x1]\n"
    "	mov w2, #-1\n"
    "	str w2, [x1, #0x84]\n"
    "	mov w2, #1\n"
    "	str w2, [x1, #0x104]\n"
    "	mov x2, #0xff\n"
    "	msr S3_0_C4_C6_0, x2\n"
    "	mov x2, #1\n"
    "	msr S3_0_C12_C12_7, x2\n"
    "	isb\n"
    "	msr daifclr, #2\n"
    "1:	wfi\n"
    "	b 1b\n"
    "b_irq_end:\n"
    /* Vectors: the IRQ from EL1h (VBAR + 0x280) acknowledges, EOIs, reports the INTID. */
    ".global b_irqvec_start, b_irqvec_end\n"
    "b_irqvec_start:\n"
    "	.skip 0x280\n"
    "	mrs x0, S3_0_C12_C12_0\n"
    "	msr S3_0_C12_C12_1, x0\n"
    "	movz x1, #0x9000, lsl #16\n"
    "	str x0, [x1]\n"
    "	eret\n"
    "b_irqvec_end:\n"
    /*
     * sgi, vCPU 0: open the distributor and the CPU interface (IRQs stay masked), then x9
     * times: SGI 1 to vCPU 1 (ICC_SGI1R_EL1: INTID [27:24], target list [15:0] = Aff0 1),
     * WFI until the reply is pending, acknowledge (ICC_IAR1_EL1; 1023 is spurious) and
     * EOI it; then report the last INTID at MMIO.
     */
    ".global b_sgi0_start, b_sgi0_end\n"
    "b_sgi0_start:\n"
    "	movz x1, #0x0800, lsl #16\n"
    "	mov w2, #2\n"
    "	str w2, [x1]\n"
    "	mov x2, #0xff\n"
    "	msr S3_0_C4_C6_0, x2\n"
    "	mov x2, #1\n"
    "	msr S3_0_C12_C12_7, x2\n"
    "	isb\n"
    "	movz x3, #0x0100, lsl #16\n"
    "	orr x3, x3, #2\n"
    "	movz x4, #0x9000, lsl #16\n"
    "1:	mov x10, x9\n"
    "2:	msr S3_0_C12_C11_5, x3\n"
    "3:	wfi\n"
    "	mrs x0, S3_0_C12_C12_0\n"
    "	cmp x0, #1023\n"
    "	b.eq 3b\n"
    "	msr S3_0_C12_C12_1, x0\n"
    "	subs x10, x10, #1\n"
    "	b.ne 2b\n"
    "	str x0, [x4]\n"
    "	b 1b\n"
    "b_sgi0_end:\n"
    /* sgi, vCPU 1: open its CPU interface, unmask IRQs and wait in WFI forever. */
    ".global b_sgi1_start, b_sgi1_end\n"
    "b_sgi1_start:\n"
    "	mov x2, #0xff\n"
    "	msr S3_0_C4_C6_0, x2\n"
    "	mov x2, #1\n"
    "	msr S3_0_C12_C12_7, x2\n"
    "	isb\n"
    "	msr daifclr, #2\n"
    "1:	wfi\n"
    "	b 1b\n"
    "b_sgi1_end:\n"
    /* sgi, vCPU 1's IRQ vector: acknowledge, EOI, SGI 1 back to vCPU 0 (Aff0 0). */
    ".global b_sgivec_start, b_sgivec_end\n"
    "b_sgivec_start:\n"
    "	.skip 0x280\n"
    "	mrs x0, S3_0_C12_C12_0\n"
    "	msr S3_0_C12_C12_1, x0\n"
    "	movz x1, #0x0100, lsl #16\n"
    "	orr x1, x1, #1\n"
    "	msr S3_0_C12_C11_5, x1\n"
    "	eret\n"
    "b_sgivec_end:\n"
    /*
     * vtimer: open the distributor, PPI 27 (the redistributor's ISENABLER0) and the CPU
     * interface; then x9 times: CNTV_CVAL_EL0 = CNTVCT_EL0 + x10 + 4 * sample (so that,
     * under -icount, where the timing is otherwise the same every time, the deadlines fall
     * at every point of the hypervisor's polling loop instead of one; the median is then
     * the typical latency, not the luck of one phase), CNTV_CTL_EL0 = ENABLE,
     * and wait for the handler's flag (x14): with x12 = 0 in WFI with IRQs masked,
     * unmasking them after each wake-up (Linux's idle), else spinning with IRQs unmasked.
     * The samples go to x11[0..x9); the last INTID (x15) is reported at MMIO.
     */
    ".global b_vtimer_start, b_vtimer_end\n"
    "b_vtimer_start:\n"
    "	movz x1, #0x0800, lsl #16\n"
    "	mov w2, #2\n"
    "	str w2, [x1]\n"
    "	movz x1, #0x080b, lsl #16\n"
    "	mov w2, #(1 << 27)\n"
    "	str w2, [x1, #0x100]\n"
    "	mov x2, #0xff\n"
    "	msr S3_0_C4_C6_0, x2\n"
    "	mov x2, #1\n"
    "	msr S3_0_C12_C12_7, x2\n"
    "	isb\n"
    "	movz x4, #0x9000, lsl #16\n"
    "1:	mov x13, #0\n"
    "2:	mov x14, #0\n"
    "	mrs x2, cntvct_el0\n"
    "	add x2, x2, x10\n"
    "	add x2, x2, x13, lsl #2\n"
    "	msr cntv_cval_el0, x2\n"
    "	mov x2, #1\n"
    "	msr cntv_ctl_el0, x2\n"
    "	isb\n"
    "	cbnz x12, 4f\n"
    "3:	wfi\n"
    "	msr daifclr, #2\n"
    "	isb\n"
    "	msr daifset, #2\n"
    "	cbz x14, 3b\n"
    "	b 6f\n"
    "4:	msr daifclr, #2\n"
    "5:	cbz x14, 5b\n"
    "	msr daifset, #2\n"
    "6:	add x13, x13, #1\n"
    "	cmp x13, x9\n"
    "	b.ne 2b\n"
    "	str x15, [x4]\n"
    "	b 1b\n"
    "b_vtimer_end:\n"
    /*
     * vtimer's IRQ vector: the counter first, then CVAL; store the difference, acknowledge,
     * disable the timer (its line drops) before the EOI, set the flag.
     */
    ".global b_vtimervec_start, b_vtimervec_end\n"
    "b_vtimervec_start:\n"
    "	.skip 0x280\n"
    "	isb\n"
    "	mrs x0, cntvct_el0\n"
    "	mrs x1, cntv_cval_el0\n"
    "	sub x0, x0, x1\n"
    "	str x0, [x11, x13, lsl #3]\n"
    "	mrs x15, S3_0_C12_C12_0\n"
    "	msr cntv_ctl_el0, xzr\n"
    "	isb\n"
    "	msr S3_0_C12_C12_1, x15\n"
    "	mov x14, #1\n"
    "	eret\n"
    "b_vtimervec_end:\n"
    ".popsection\n");

GUEST_PROGRAM(b_hvc);
GUEST_PROGRAM(b_mmio);
GUEST_PROGRAM(b_suspend);
GUEST_PROGRAM(b_fault);
GUEST_PROGRAM(b_kick);
GUEST_PROGRAM(b_irq);
GUEST_PROGRAM(b_irqvec);
GUEST_PROGRAM(b_sgi0);
GUEST_PROGRAM(b_sgi1);
GUEST_PROGRAM(b_sgivec);
GUEST_PROGRAM(b_vtimer);
GUEST_PROGRAM(b_vtimervec);

#define MAX_SAMPLES 64

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *name, double *ns, int n, const char *unit)
{
	qsort(ns, n, sizeof(*ns), cmp_double);
	printf("bench %s median_ns %.0f min_ns %.0f max_ns %.0f samples %d unit %s\n", name,
	       ns[n / 2], ns[0], ns[n - 1], n, unit);
	fflush(stdout);
}

static void die(const char *what)
{
	printf("bench-error %s: %s\n", what, strerror(errno));
	exit(1);
}

static void setup(struct vmm *m, struct vcpu *v, const uint8_t *start, const uint8_t *end)
{
	if (vmm_create(m) || vcpu_add(m, v, 0, 1 << KVM_ARM_VCPU_PSCI_0_2, GUEST_CODE_IPA))
		die("setup");
	load_program(m, GUEST_CODE_IPA, start, end);
}

static void bench_hvc(int pvtime, int iterations, int samples)
{
	double ns[MAX_SAMPLES];
	struct vmm m;
	struct vcpu v;

	setup(&m, &v, b_hvc_start, b_hvc_end);
	if (pvtime) {
		uint64_t ipa = GUEST_DATA_IPA;
		struct kvm_device_attr a = { .group = KVM_ARM_VCPU_PVTIME_CTRL,
					     .attr = KVM_ARM_VCPU_PVTIME_IPA,
					     .addr = (uintptr_t)&ipa };

		if (ioctl(v.fd, KVM_SET_DEVICE_ATTR, &a))
			die("pvtime ipa");
	}
	for (int s = -1; s < samples; s++) { /* sample -1 warms up (faults in memory) */
		double t0;

		if (vcpu_set(&v, CORE_REG(regs.regs[9]), iterations))
			die("set x9");
		t0 = now_s();
		if (vcpu_run(&v) || v.run->exit_reason != KVM_EXIT_MMIO)
			die("hvc run");
		if (s >= 0)
			ns[s] = (now_s() - t0) * 1e9 / iterations;
	}
	report(pvtime ? "hvc_pvtime" : "hvc", ns, samples, "one_hvc_round_trip");
	close(v.fd);
	vmm_destroy(&m);
}

static void bench_mmio(int iterations, int samples)
{
	double ns[MAX_SAMPLES];
	struct vmm m;
	struct vcpu v;

	setup(&m, &v, b_mmio_start, b_mmio_end);
	for (int s = -1; s < samples; s++) {
		double t0 = now_s();

		for (int i = 0; i < iterations; i++) {
			if (vcpu_run(&v) || v.run->exit_reason != KVM_EXIT_MMIO)
				die("mmio run");
		}
		if (s >= 0)
			ns[s] = (now_s() - t0) * 1e9 / iterations;
	}
	report("mmio", ns, samples, "one_mmio_exit_to_user_and_back");
	close(v.fd);
	vmm_destroy(&m);
}

struct waker {
	int vm;
	double raised_at;
};

static void *wake_later(void *p)
{
	struct waker *w = p;
	struct kvm_irq_level irq = {
		.irq = KVM_ARM_IRQ_TYPE_CPU << KVM_ARM_IRQ_TYPE_SHIFT | KVM_ARM_IRQ_CPU_IRQ,
		.level = 1,
	};

	usleep(20 * 1000); /* long enough for the vCPU to be blocked */
	w->raised_at = now_s();
	if (ioctl(w->vm, KVM_IRQ_LINE, &irq))
		die("irq line");
	return NULL;
}

static void bench_wake(int samples)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_ARM_SYSTEM_SUSPEND };
	struct kvm_irq_level low = {
		.irq = KVM_ARM_IRQ_TYPE_CPU << KVM_ARM_IRQ_TYPE_SHIFT | KVM_ARM_IRQ_CPU_IRQ,
	};
	struct kvm_mp_state suspended = { .mp_state = KVM_MP_STATE_SUSPENDED };
	double ns[MAX_SAMPLES];
	struct vmm m;
	struct vcpu v;

	setup(&m, &v, b_suspend_start, b_suspend_end);
	if (ioctl(m.vm, KVM_ENABLE_CAP, &cap))
		die("enable SYSTEM_SUSPEND");
	if (vcpu_run(&v) || v.run->exit_reason != KVM_EXIT_SYSTEM_EVENT ||
	    v.run->system_event.type != KVM_SYSTEM_EVENT_SUSPEND)
		die("suspend exit");
	for (int s = 0; s < samples; s++) {
		struct waker w = { .vm = m.vm };
		pthread_t t;

		if (ioctl(m.vm, KVM_IRQ_LINE, &low) || ioctl(v.fd, KVM_SET_MP_STATE, &suspended))
			die("suspend state");
		pthread_create(&t, NULL, wake_later, &w);
		if (vcpu_run(&v) || v.run->exit_reason != KVM_EXIT_SYSTEM_EVENT ||
		    v.run->system_event.type != KVM_SYSTEM_EVENT_WAKEUP)
			die("wakeup exit");
		ns[s] = (now_s() - w.raised_at) * 1e9;
		pthread_join(t, NULL);
	}
	report("wake", ns, samples, "irq_line_to_kvm_run_return");
	close(v.fd);
	vmm_destroy(&m);
}

static void bench_create(int samples)
{
	double ns[MAX_SAMPLES];

	for (int s = -1; s < samples; s++) {
		struct vmm m;
		struct vcpu v;
		double t0 = now_s();

		setup(&m, &v, b_mmio_start, b_mmio_end);
		if (vcpu_run(&v) || v.run->exit_reason != KVM_EXIT_MMIO)
			die("first run");
		if (s >= 0)
			ns[s] = (now_s() - t0) * 1e9;
		close(v.fd);
		vmm_destroy(&m);
	}
	report("create", ns, samples, "vm_and_vcpu_to_first_exit");
}

#define FAULT_PAGES 64

static void bench_fault(int samples)
{
	double ns[MAX_SAMPLES];

	for (int s = -1; s < samples; s++) {
		struct vmm m;
		struct vcpu v;
		double t0;

		setup(&m, &v, b_fault_start, b_fault_end);
		/* The VMM has written the pages: present and writable in its page tables. */
		memset(m.ram + (GUEST_DATA_IPA - GUEST_RAM_IPA), 0x5a, FAULT_PAGES * 4096);
		if (vcpu_set(&v, CORE_REG(regs.regs[1]), GUEST_DATA_IPA) ||
		    vcpu_set(&v, CORE_REG(regs.regs[2]), FAULT_PAGES))
			die("fault regs");
		t0 = now_s();
		if (vcpu_run(&v) || v.run->exit_reason != KVM_EXIT_MMIO)
			die("fault run");
		if (s >= 0)
			ns[s] = (now_s() - t0) * 1e9 / FAULT_PAGES;
		close(v.fd);
		vmm_destroy(&m);
	}
	report("fault", ns, samples, "one_page_read_then_written");
}

static void bench_ioeventfd(int iterations, int samples)
{
	double ns[MAX_SAMPLES];
	struct vmm m;
	struct vcpu v;
	uint64_t n;
	int efd = eventfd(0, EFD_NONBLOCK);
	struct kvm_ioeventfd io = { .addr = GUEST_MMIO_IPA, .len = 8, .fd = efd };

	setup(&m, &v, b_kick_start, b_kick_end);
	if (efd < 0 || ioctl(m.vm, KVM_IOEVENTFD, &io))
		die("ioeventfd setup");
	for (int s = -1; s < samples; s++) {
		double t0;

		if (vcpu_set(&v, CORE_REG(regs.regs[9]), iterations))
			die("set x9");
		t0 = now_s();
		if (vcpu_run(&v) || v.run->exit_reason != KVM_EXIT_MMIO ||
		    v.run->mmio.phys_addr != GUEST_MMIO_IPA + 8)
			die("kick run");
		if (s >= 0)
			ns[s] = (now_s() - t0) * 1e9 / iterations;
		/* Every kick reached the eventfd, none reached userspace. */
		if (read(efd, &n, sizeof(n)) != sizeof(n) || n != (uint64_t)iterations)
			die("eventfd count");
	}
	report("ioeventfd", ns, samples, "one_guest_kick_to_the_eventfd");
	close(efd);
	close(v.fd);
	vmm_destroy(&m);
}

static void gic_attr(int fd, uint32_t group, uint64_t attr, void *val)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uintptr_t)val };

	if (ioctl(fd, KVM_SET_DEVICE_ATTR, &a))
		die("vgic attribute");
}

static void bench_irqfd(int iterations, int samples)
{
	struct kvm_create_device dev = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	uint64_t dist = 0x08000000, redist = 0x080a0000, one = 1;
	double ns[MAX_SAMPLES];
	struct vmm m;
	struct vcpu v;
	int efd = eventfd(0, 0);

	setup(&m, &v, b_irq_start, b_irq_end);
	load_program(&m, GUEST_VECTORS_IPA, b_irqvec_start, b_irqvec_end);
	if (ioctl(m.vm, KVM_CREATE_DEVICE, &dev)) {
		printf("bench-skip irqfd: no in-kernel GICv3 (%s)\n", strerror(errno));
		close(v.fd);
		vmm_destroy(&m);
		return;
	}
	gic_attr(dev.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist);
	gic_attr(dev.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist);
	gic_attr(dev.fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
	struct kvm_irqfd irqfd = { .fd = efd, .gsi = 0 }; /* GSI 0: SPI 32 (default routing) */
	if (efd < 0 || ioctl(m.vm, KVM_IRQFD, &irqfd) ||
	    vcpu_set(&v, REG_VBAR_EL1, GUEST_VECTORS_IPA))
		die("irqfd setup");
	for (int s = -1; s < samples; s++) {
		double t0 = now_s();

		for (int i = 0; i < iterations; i++) {
			if (write(efd, &one, sizeof(one)) != sizeof(one))
				die("eventfd write");
			if (vcpu_run(&v) || v.run->exit_reason != KVM_EXIT_MMIO ||
			    v.run->mmio.phys_addr != GUEST_MMIO_IPA || v.run->mmio.data[0] != 32)
				die("irqfd run");
		}
		if (s >= 0)
			ns[s] = (now_s() - t0) * 1e9 / iterations;
	}
	report("irqfd", ns, samples, "one_eventfd_write_to_the_guest_handler_and_back");
	close(efd);
	close(dev.fd);
	close(v.fd);
	vmm_destroy(&m);
}

/* A comment line with the vCPU's statistics (KVM_GET_STATS_FD) named in @names. */
static void print_vcpu_stats(struct vcpu *v, const char *what, const char *const *names)
{
	struct kvm_stats_header h;
	int fd = ioctl(v->fd, KVM_GET_STATS_FD, NULL);
	char line[512];
	size_t len;

	if (fd < 0 || pread(fd, &h, sizeof(h), 0) != sizeof(h))
		goto out;
	len = (size_t)snprintf(line, sizeof(line), "# %s:", what);
	for (uint32_t i = 0; i < h.num_desc; i++) {
		size_t dsize = sizeof(struct kvm_stats_desc) + h.name_size;
		char buf[sizeof(struct kvm_stats_desc) + 256];
		struct kvm_stats_desc *d = (struct kvm_stats_desc *)buf;
		uint64_t val;

		if (dsize > sizeof(buf) ||
		    pread(fd, buf, dsize, h.desc_offset + i * dsize) != (ssize_t)dsize)
			break;
		for (const char *const *n = names; *n; n++) {
			if (strcmp(d->name, *n) || len >= sizeof(line) ||
			    pread(fd, &val, sizeof(val), h.data_offset + d->offset) != sizeof(val))
				continue;
			len += (size_t)snprintf(line + len, sizeof(line) - len, " %s %llu", *n,
						(unsigned long long)val);
		}
	}
	printf("%s\n", line);
out:
	if (fd >= 0)
		close(fd);
}

static const char *const halt_stats[] = { "exits",
					  "wfi_exit_stat",
					  "halt_attempted_poll",
					  "halt_successful_poll",
					  "halt_poll_invalid",
					  "halt_wakeup",
					  "halt_poll_success_ns",
					  "halt_poll_fail_ns",
					  "halt_wait_ns",
					  NULL };

/* The in-kernel GICv3 at QEMU virt's addresses for the vCPUs created so far; -1 if none. */
static int vgic_create(struct vmm *m)
{
	struct kvm_create_device dev = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	uint64_t dist = 0x08000000, redist = 0x080a0000;

	if (ioctl(m->vm, KVM_CREATE_DEVICE, &dev))
		return -1;
	gic_attr(dev.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist);
	gic_attr(dev.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist);
	gic_attr(dev.fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
	return dev.fd;
}

struct sgi_peer {
	struct vcpu v;
	volatile int stop;
};

/* vCPU 1 of the sgi benchmark: its guest never exits; a signal ends the last KVM_RUN. */
static void *sgi_peer_run(void *p)
{
	struct sgi_peer *peer = p;

	while (!peer->stop) {
		if (vcpu_run(&peer->v) == 0) {
			printf("bench-error sgi: vCPU 1 exited (reason %u)\n",
			       peer->v.run->exit_reason);
			exit(1);
		}
		if (errno != EINTR)
			die("sgi vCPU 1 run");
	}
	return NULL;
}

static void bench_sgi(int iterations, int samples)
{
	struct sigaction sa = { .sa_handler = ignore_signal };
	double ns[MAX_SAMPLES];
	struct sgi_peer peer = { .stop = 0 };
	struct vmm m;
	struct vcpu v;
	pthread_t t;
	int gic;

	setup(&m, &v, b_sgi0_start, b_sgi0_end);
	load_program(&m, GUEST_CODE_IPA + 0x1000, b_sgi1_start, b_sgi1_end);
	load_program(&m, GUEST_VECTORS_IPA, b_sgivec_start, b_sgivec_end);
	if (vcpu_add(&m, &peer.v, 1, 1 << KVM_ARM_VCPU_PSCI_0_2, GUEST_CODE_IPA + 0x1000))
		die("sgi vCPU 1");
	gic = vgic_create(&m);
	if (gic < 0) {
		printf("bench-skip sgi: no in-kernel GICv3 (%s)\n", strerror(errno));
		goto out;
	}
	if (vcpu_set(&peer.v, REG_VBAR_EL1, GUEST_VECTORS_IPA) ||
	    vcpu_set(&v, CORE_REG(regs.regs[9]), iterations) || sigaction(SIGUSR1, &sa, NULL))
		die("sgi setup");
	pthread_create(&t, NULL, sgi_peer_run, &peer);
	for (int s = -1; s < samples; s++) {
		double t0 = now_s();

		if (vcpu_run(&v) || v.run->exit_reason != KVM_EXIT_MMIO ||
		    v.run->mmio.phys_addr != GUEST_MMIO_IPA || v.run->mmio.data[0] != 1)
			die("sgi run");
		if (s >= 0)
			ns[s] = (now_s() - t0) * 1e9 / iterations;
	}
	/* immediate_exit covers a signal that lands between two KVM_RUNs of the peer. */
	peer.stop = 1;
	peer.v.run->immediate_exit = 1;
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	report("sgi", ns, samples, "one_sgi_to_the_other_vcpu_and_back");
	print_vcpu_stats(&v, "sgi vCPU 0", halt_stats);
	print_vcpu_stats(&peer.v, "sgi vCPU 1", halt_stats);
	close(gic);
out:
	close(peer.v.fd);
	close(v.fd);
	vmm_destroy(&m);
}

static uint64_t counter_freq(void)
{
	uint64_t f;

	asm volatile("mrs %0, cntfrq_el0" : "=r"(f));
	return f;
}

#define VTIMER_SAMPLES 63
#define VTIMER_AHEAD_US 20

static void bench_vtimer(int busy)
{
	const char *name = busy ? "vtimer_busy" : "vtimer";
	uint64_t freq = counter_freq();
	double ns[VTIMER_SAMPLES];
	struct vmm m;
	struct vcpu v;
	int gic;

	setup(&m, &v, b_vtimer_start, b_vtimer_end);
	load_program(&m, GUEST_VECTORS_IPA, b_vtimervec_start, b_vtimervec_end);
	gic = vgic_create(&m);
	if (gic < 0) {
		printf("bench-skip %s: no in-kernel GICv3 (%s)\n", name, strerror(errno));
		goto out;
	}
	if (!freq || vcpu_set(&v, REG_VBAR_EL1, GUEST_VECTORS_IPA) ||
	    vcpu_set(&v, CORE_REG(regs.regs[9]), VTIMER_SAMPLES) ||
	    vcpu_set(&v, CORE_REG(regs.regs[10]), freq * VTIMER_AHEAD_US / 1000000) ||
	    vcpu_set(&v, CORE_REG(regs.regs[11]), GUEST_DATA_IPA) ||
	    vcpu_set(&v, CORE_REG(regs.regs[12]), busy))
		die("vtimer setup");
	/* The first round warms up (faults memory in); the second is measured. */
	for (int round = 0; round < 2; round++) {
		if (vcpu_run(&v) || v.run->exit_reason != KVM_EXIT_MMIO ||
		    v.run->mmio.phys_addr != GUEST_MMIO_IPA || v.run->mmio.data[0] != 27)
			die("vtimer run");
	}
	for (int s = 0; s < VTIMER_SAMPLES; s++) {
		uint64_t ticks;

		memcpy(&ticks, m.ram + (GUEST_DATA_IPA - GUEST_RAM_IPA) + s * sizeof(ticks),
		       sizeof(ticks));
		ns[s] = (double)ticks * 1e9 / freq;
	}
	if (!busy)
		printf("# vtimer: counter at %llu Hz\n", (unsigned long long)freq);
	print_vcpu_stats(&v, name, halt_stats);
	report(name, ns, VTIMER_SAMPLES,
	       busy ? "cval_to_the_handler_of_a_spinning_guest"
		    : "cval_to_the_handler_of_a_guest_in_wfi");
	close(gic);
out:
	close(v.fd);
	vmm_destroy(&m);
}

/* argv[2], if given, is a comma-separated list of the benchmarks to run (default all). */
static int wanted(const char *only, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = only; p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == n && !strncmp(p, name, n))
			return 1;
		p = end ? end + 1 : NULL;
	}
	return !only || !*only;
}

int main(int argc, char **argv)
{
	int scale = argc > 1 ? atoi(argv[1]) : 1;
	const char *only = argc > 2 ? argv[2] : NULL;

	if (scale < 1)
		scale = 1;
	if (wanted(only, "hvc"))
		bench_hvc(0, 2000 * scale, 15);
	if (wanted(only, "hvc_pvtime"))
		bench_hvc(1, 2000 * scale, 15);
	if (wanted(only, "mmio"))
		bench_mmio(500 * scale, 15);
	if (wanted(only, "wake"))
		bench_wake(31);
	if (wanted(only, "create"))
		bench_create(15);
	if (wanted(only, "fault"))
		bench_fault(15);
	if (wanted(only, "ioeventfd"))
		bench_ioeventfd(1000 * scale, 15);
	if (wanted(only, "irqfd"))
		bench_irqfd(200 * scale, 15);
	if (wanted(only, "sgi"))
		bench_sgi(200 * scale, 15);
	if (wanted(only, "vtimer"))
		bench_vtimer(0);
	if (wanted(only, "vtimer_busy"))
		bench_vtimer(1);
	printf("bench-done\n");
	return 0;
}
