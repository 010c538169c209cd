// SPDX-License-Identifier: GPL-2.0
/*
 * ppc-bench: guest exit round trips on whatever KVM owns /dev/kvm on a POWER9 (powernv)
 * host: the in-kernel kvm-hv, or kvmx.ko. `make bench ARCH=powerpc` runs the same binary
 * on both (scripts/bench-ppc.sh) and prints the ratios.
 *
 * Each benchmark is a tiny radix guest (real mode, little-endian) that times N round
 * trips with its own timebase (mftb) and stores every sample in its memory; the VMM
 * reads them afterwards, so the measurement never includes the VMM's printing.
 *   hcall  sc 1 with H_CONFER(-1) ("yield to anyone"): handled inside the hypervisor on
 *          both (a null in-kernel hypercall)
 *   mmio   a 4-byte load from a guest real address with no memslot: an exit to the VMM
 *          (KVM_EXIT_MMIO) and back
 *   cede   wake-up latency from the decrementer: the guest arms DEC for a deadline and
 *          calls H_CEDE; its decrementer interrupt handler stores TB - deadline
 *   stop   the same with stop0lite instead of H_CEDE (MSR[EE] off, the sample taken
 *          after the stop): only where KVMX_CAP_PPC_STOP0LITE exists (kvmx), and only on
 *          a CPU that traps a guest stop to the hypervisor (POWER9; QEMU with
 *          scripts/qemu-patches/ppc-stop-hfu.patch): elsewhere it says so and is left out.
 *          The 2020 stop0lite review measured these two (its "wakeup latency using a
 *          timer") on POWER9 hardware. Where KVM_CAP_HALT_POLL reads 1, stop-nopoll
 *          repeats it with the VM's halt-polling bound set to 0 (no polling).
 *          cede and stop also print the vCPU's halt statistics (KVM_GET_STATS_FD).
 *   hcall-xive  the hcall loop with the vCPU connected to a XIVE native device (one event
 *          queue configured): every entry and exit then also dispatches and undispatches
 *          its interrupt context on the thread (the TIMA push and pull); only where
 *          KVM_CAP_PPC_IRQ_XIVE reads 1.
 * Output: one line per benchmark, "bench <name> median <ns> min <ns> max <ns> samples <n>
 * unit ns", then "bench-done". Timebase ticks become ns at 512 MHz (POWER9's timebase).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/kvmx.h>

#define MEM_SIZE (4ul << 20)
#define ENTRY 0x1000ul
#define SAMPLES 0x100000ul /* guest real address of the sample array */
#define MMIO_ADDR 0x10000000ul
#define PROCESS_TABLE 0x10000ul
#define NSAMPLES 2000
#define WAKE_SAMPLES 100
#define DEC_TICKS 51200 /* 100 us to each deadline */
#define TB_HZ 512000000ull
#define XIVE_QUEUE 0x200000ul /* a 64 KB event queue page (hcall-xive) */

/* bench() flags */
#define B_STOP 1   /* enable KVMX_CAP_PPC_STOP0LITE */
#define B_XIVE 2   /* connect the vCPU to a XIVE device */
#define B_NOPOLL 4 /* KVM_ENABLE_CAP(KVM_CAP_HALT_POLL, 0): no halt polling */
#define B_STATS 8  /* print the vCPU's halt statistics afterwards */

/*
 * r20 = iterations, r21 = sample pointer, r22 = MMIO address. hcall: r3 = H_CONFER,
 * r4 = -1; the guest ends with hcall 0x71ff (not a PAPR number: to the VMM on both).
 */
__asm__(".pushsection .rodata.guest, \"a\"\n"
	".balign 4\n"
	"hcall_start:\n"
	"1:	mftb 23\n"
	"	li 3, 0xe4\n"
	"	li 4, -1\n"
	"	sc 1\n"
	"	mftb 24\n"
	"	subf 24, 23, 24\n"
	"	std 24, 0(21)\n"
	"	addi 21, 21, 8\n"
	"	addi 20, 20, -1\n"
	"	cmpdi 20, 0\n"
	"	bne 1b\n"
	"	li 3, 0x71ff\n"
	"	sc 1\n"
	"2:	b 2b\n"
	"hcall_end:\n"
	"mmio_start:\n"
	"1:	mftb 23\n"
	"	lwz 5, 0(22)\n"
	"	mftb 24\n"
	"	subf 24, 23, 24\n"
	"	std 24, 0(21)\n"
	"	addi 21, 21, 8\n"
	"	addi 20, 20, -1\n"
	"	cmpdi 20, 0\n"
	"	bne 1b\n"
	"	li 3, 0x71ff\n"
	"	sc 1\n"
	"2:	b 2b\n"
	"mmio_end:\n"
	/* r26 = DEC ticks to the deadline, r25 = the deadline's TB. */
	"cede_start:\n"
	"1:	mftb 23\n"
	"	add 25, 23, 26\n"
	"	mtspr 22, 26\n"
	"	li 3, 0xe0\n"
	"	sc 1\n"
	"	b 1b\n" /* H_CEDE ended before the decrementer: arm again */
	"cede_end:\n"
	/* 0x900: the decrementer interrupt ends the cede */
	"dec_start:\n"
	"	mftb 24\n"
	"	subf 24, 25, 24\n"
	"	std 24, 0(21)\n"
	"	addi 21, 21, 8\n"
	"	lis 7, 0x7fff\n"
	"	mtspr 22, 7\n"
	"	addi 20, 20, -1\n"
	"	cmpdi 20, 0\n"
	"	beq 2f\n"
	"	ba 0x1000\n"
	"2:	li 3, 0x71ff\n"
	"	sc 1\n"
	"3:	b 3b\n"
	"dec_end:\n"
	"stop_start:\n"
	"1:	mftb 23\n"
	"	add 25, 23, 26\n"
	"	mtspr 22, 26\n"
	"	.long 0x4c0002e4\n" /* stop */
	"	mftb 24\n"
	"	subf 24, 25, 24\n"
	"	std 24, 0(21)\n"
	"	addi 21, 21, 8\n"
	"	lis 7, 0x7fff\n"
	"	mtspr 22, 7\n"
	"	addi 20, 20, -1\n"
	"	cmpdi 20, 0\n"
	"	bne 1b\n"
	"	li 3, 0x71ff\n"
	"	sc 1\n"
	"2:	b 2b\n"
	"stop_end:\n"
	/* 0x700: a program interrupt (the CPU did not trap the stop to the hypervisor) */
	"prog_start:\n"
	"	mfspr 4, 27\n"
	"	li 3, 0x7107\n"
	"	sc 1\n"
	"1:	b 1b\n"
	"prog_end:\n"
	".popsection\n");
extern const uint8_t hcall_start[], hcall_end[], mmio_start[], mmio_end[];
extern const uint8_t cede_start[], cede_end[], dec_start[], dec_end[];
extern const uint8_t stop_start[], stop_end[], prog_start[], prog_end[];

static int kvm;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static double ns(uint64_t ticks)
{
	return (double)ticks * 1e9 / TB_HZ;
}

/* A XIVE native device on @vm with @vcpu connected as server 0 and its priority-6 queue
 * at XIVE_QUEUE: the device fd, or -1. */
static int xive_connect(int vm, int vcpu)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_XIVE };
	struct kvm_ppc_xive_eq eq = {
		.flags = KVM_XIVE_EQ_ALWAYS_NOTIFY, .qshift = 16, .qaddr = XIVE_QUEUE, .qtoggle = 1
	};
	struct kvm_device_attr a = { .group = KVM_DEV_XIVE_GRP_EQ_CONFIG,
				     .attr = 6, /* server 0, priority 6 */
				     .addr = (uintptr_t)&eq };
	struct kvm_enable_cap cap = { .cap = KVM_CAP_PPC_IRQ_XIVE };

	if (ioctl(vm, KVM_CREATE_DEVICE, &cd))
		return -1;
	cap.args[0] = cd.fd;
	if (ioctl(vcpu, KVM_ENABLE_CAP, &cap) || ioctl(cd.fd, KVM_SET_DEVICE_ATTR, &a)) {
		close(cd.fd);
		return -1;
	}
	return cd.fd;
}

/*
 * The halt statistics of @vcpu's binary stats file (KVM_GET_STATS_FD), both hypervisors
 * name them as upstream: one "# <name> stats: ..." line, the host CPU time the wake-ups
 * cost in polling beside the time the thread slept.
 */
static void print_halt_stats(const char *name, int vcpu)
{
	static const char *const wanted[] = { "halt_attempted_poll",  "halt_successful_poll",
					      "halt_poll_success_ns", "halt_poll_fail_ns",
					      "halt_wait_ns",	      "halt_wakeup" };
	struct kvm_stats_header h;
	int fd = ioctl(vcpu, KVM_GET_STATS_FD, 0);
	char line[512];
	size_t len = 0;

	if (fd < 0 || pread(fd, &h, sizeof(h), 0) != sizeof(h)) {
		printf("# %s stats: KVM_GET_STATS_FD: %s\n", name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	size_t dsize = sizeof(struct kvm_stats_desc) + h.name_size;
	char *descs = malloc(dsize * h.num_desc);
	if (!descs ||
	    pread(fd, descs, dsize * h.num_desc, h.desc_offset) != (ssize_t)(dsize * h.num_desc)) {
		free(descs);
		close(fd);
		return;
	}
	len += snprintf(line, sizeof(line), "# %s stats:", name);
	for (size_t w = 0; w < sizeof(wanted) / sizeof(wanted[0]); w++) {
		for (uint32_t i = 0; i < h.num_desc; i++) {
			struct kvm_stats_desc *d = (struct kvm_stats_desc *)(descs + i * dsize);
			uint64_t v;
			if (strcmp(d->name, wanted[w]) ||
			    pread(fd, &v, sizeof(v), h.data_offset + d->offset) != sizeof(v))
				continue;
			len += snprintf(line + len, sizeof(line) - len, " %s %llu", wanted[w],
					(unsigned long long)v);
		}
	}
	printf("%s\n", line);
	free(descs);
	close(fd);
}

static int bench(const char *name, const uint8_t *code, size_t len, int nsamples, int flags)
{
	int stop = flags & B_STOP, xive = -1;
	struct kvm_userspace_memory_region region;
	struct kvm_regs regs;
	struct kvm_run *run;
	uint64_t lpcr, *samples;
	struct kvm_one_reg lpcr_reg = { .id = KVM_REG_PPC_LPCR_64, .addr = (uintptr_t)&lpcr };
	int vm, vcpu;
	uint8_t *mem;
	struct kvm_ppc_mmuv3_cfg mmu = {
		.flags = KVM_PPC_MMUV3_RADIX | KVM_PPC_MMUV3_GTSE,
		.process_table = (1ull << 63) | PROCESS_TABLE, /* zeroed: never walked */
	};
	struct kvm_enable_cap papr = { .cap = KVM_CAP_PPC_PAPR };

	vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_PPC_HV);
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm < 0 || mem == MAP_FAILED) {
		printf("# %s: VM: %s\n", name, strerror(errno));
		return 1;
	}
	memcpy(mem + ENTRY, code, len);
	memcpy(mem + 0x900, dec_start, dec_end - dec_start);
	memcpy(mem + 0x700, prog_start, prog_end - prog_start);
	region = (struct kvm_userspace_memory_region){ .memory_size = MEM_SIZE,
						       .userspace_addr = (uintptr_t)mem };
	vcpu = -1;
	/* kvm-hv runs only vCPUs with PAPR enabled (its sanity check); kvmx accepts it. */
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) ||
	    ioctl(vm, KVM_PPC_CONFIGURE_V3_MMU, &mmu) ||
	    (vcpu = ioctl(vm, KVM_CREATE_VCPU, 0)) < 0 || ioctl(vcpu, KVM_ENABLE_CAP, &papr) ||
	    ioctl(vcpu, KVM_GET_ONE_REG, &lpcr_reg)) {
		printf("# %s: setup: %s\n", name, strerror(errno));
		return 1;
	}
	if (stop) {
		struct kvm_enable_cap cap = { .cap = KVMX_CAP_PPC_STOP0LITE };
		if (ioctl(vm, KVM_ENABLE_CAP, &cap)) {
			printf("# %s: KVM_ENABLE_CAP(KVMX_CAP_PPC_STOP0LITE): %s\n", name,
			       strerror(errno));
			return 1;
		}
	}
	if (flags & B_NOPOLL) {
		struct kvm_enable_cap cap = { .cap = KVM_CAP_HALT_POLL };
		if (ioctl(vm, KVM_ENABLE_CAP, &cap)) {
			printf("# %s: KVM_ENABLE_CAP(KVM_CAP_HALT_POLL): %s\n", name,
			       strerror(errno));
			return 1;
		}
	}
	if ((flags & B_XIVE) && (xive = xive_connect(vm, vcpu)) < 0) {
		printf("# %s: XIVE device: %s\n", name, strerror(errno));
		return 1;
	}
	lpcr |= 1ull << 25; /* LPCR[ILE]: interrupts little-endian */
	if (ioctl(vcpu, KVM_SET_ONE_REG, &lpcr_reg) || ioctl(vcpu, KVM_GET_REGS, &regs))
		return 1;
	regs.pc = ENTRY;
	regs.msr = (1ull << 63) | (1ull << 12) | 1; /* SF, ME, LE */
	regs.gpr[20] = nsamples;
	regs.gpr[26] = DEC_TICKS;
	regs.gpr[21] = SAMPLES;
	regs.gpr[22] = MMIO_ADDR;
	if (ioctl(vcpu, KVM_SET_REGS, &regs))
		return 1;
	run = mmap(NULL, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), PROT_READ | PROT_WRITE, MAP_SHARED,
		   vcpu, 0);
	if (run == MAP_FAILED)
		return 1;
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0)) {
			printf("# %s: KVM_RUN: %s\n", name, strerror(errno));
			return 1;
		}
		if (run->exit_reason == KVM_EXIT_MMIO)
			continue; /* the load reads whatever data holds */
		if (run->exit_reason == KVM_EXIT_PAPR_HCALL && run->papr_hcall.nr == 0x71ff)
			break;
		if (run->exit_reason == KVM_EXIT_PAPR_HCALL && run->papr_hcall.nr == 0x7107) {
			printf("# %s: the guest got a program interrupt (SRR1 %#llx): %s\n", name,
			       (unsigned long long)run->papr_hcall.args[0],
			       stop ? "this CPU does not trap a guest stop to the hypervisor"
				    : "unexpected");
			return stop ? 0 : 1;
		}
		if (run->exit_reason == KVM_EXIT_PAPR_HCALL) {
			/* An hcall the hypervisor left to us: answer H_SUCCESS. */
			run->papr_hcall.ret = 0;
			continue;
		}
		printf("# %s: unexpected exit %u\n", name, run->exit_reason);
		return 1;
	}
	if (flags & B_STATS)
		print_halt_stats(name, vcpu);
	samples = (uint64_t *)(mem + SAMPLES);
	qsort(samples, nsamples, sizeof(*samples), cmp_u64);
	printf("bench %s median %.0f min %.0f max %.0f samples %d unit ns\n", name,
	       ns(samples[nsamples / 2]), ns(samples[0]), ns(samples[nsamples - 1]), nsamples);
	munmap(run, 4096);
	if (xive >= 0)
		close(xive);
	close(vcpu);
	close(vm);
	munmap(mem, MEM_SIZE);
	return 0;
}

int main(void)
{
	int bad = 0;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("# open /dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	bad |= bench("hcall", hcall_start, hcall_end - hcall_start, NSAMPLES, 0);
	bad |= bench("mmio", mmio_start, mmio_end - mmio_start, NSAMPLES, 0);
	bad |= bench("cede", cede_start, cede_end - cede_start, WAKE_SAMPLES, B_STATS);
	if (ioctl(kvm, KVM_CHECK_EXTENSION, KVMX_CAP_PPC_STOP0LITE) > 0) {
		/* The in-kernel kvm-hv has no stop0lite: the review's comparison is with cede. */
		printf("bench-ref stop cede\n");
		bad |= bench("stop", stop_start, stop_end - stop_start, WAKE_SAMPLES,
			     B_STOP | B_STATS);
		/* The same without halt polling (the VM's bound set to 0): before and after. */
		if (ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_HALT_POLL) > 0) {
			printf("bench-ref stop-nopoll cede\n");
			bad |= bench("stop-nopoll", stop_start, stop_end - stop_start, WAKE_SAMPLES,
				     B_STOP | B_NOPOLL | B_STATS);
		}
	} else
		printf("# stop: no KVMX_CAP_PPC_STOP0LITE on this hypervisor\n");
	if (ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_PPC_IRQ_XIVE) > 0)
		bad |= bench("hcall-xive", hcall_start, hcall_end - hcall_start, NSAMPLES, B_XIVE);
	else
		printf("# hcall-xive: no KVM_CAP_PPC_IRQ_XIVE on this hypervisor\n");
	printf("bench-done %s\n", bad ? "with errors" : "ok");
	return bad;
}
