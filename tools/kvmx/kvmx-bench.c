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
    ".popsection\n");

GUEST_PROGRAM(b_hvc);
GUEST_PROGRAM(b_mmio);
GUEST_PROGRAM(b_suspend);
GUEST_PROGRAM(b_fault);
GUEST_PROGRAM(b_kick);
GUEST_PROGRAM(b_irq);
GUEST_PROGRAM(b_irqvec);

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

int main(int argc, char **argv)
{
	int scale = argc > 1 ? atoi(argv[1]) : 1;

	if (scale < 1)
		scale = 1;
	bench_hvc(0, 2000 * scale, 15);
	bench_hvc(1, 2000 * scale, 15);
	bench_mmio(500 * scale, 15);
	bench_wake(31);
	bench_create(15);
	bench_fault(15);
	bench_ioeventfd(1000 * scale, 15);
	bench_irqfd(200 * scale, 15);
	printf("bench-done\n");
	return 0;
}
