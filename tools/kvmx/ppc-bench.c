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

#define MEM_SIZE (4ul << 20)
#define ENTRY 0x1000ul
#define SAMPLES 0x100000ul /* guest real address of the sample array */
#define MMIO_ADDR 0x10000000ul
#define PROCESS_TABLE 0x10000ul
#define NSAMPLES 2000
#define TB_HZ 512000000ull

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
	".popsection\n");
extern const uint8_t hcall_start[], hcall_end[], mmio_start[], mmio_end[];

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

static int bench(const char *name, const uint8_t *code, size_t len)
{
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
	lpcr |= 1ull << 25; /* LPCR[ILE]: interrupts little-endian */
	if (ioctl(vcpu, KVM_SET_ONE_REG, &lpcr_reg) || ioctl(vcpu, KVM_GET_REGS, &regs))
		return 1;
	regs.pc = ENTRY;
	regs.msr = (1ull << 63) | (1ull << 12) | 1; /* SF, ME, LE */
	regs.gpr[20] = NSAMPLES;
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
		if (run->exit_reason == KVM_EXIT_PAPR_HCALL) {
			/* An hcall the hypervisor left to us: answer H_SUCCESS. */
			run->papr_hcall.ret = 0;
			continue;
		}
		printf("# %s: unexpected exit %u\n", name, run->exit_reason);
		return 1;
	}
	samples = (uint64_t *)(mem + SAMPLES);
	qsort(samples, NSAMPLES, sizeof(*samples), cmp_u64);
	printf("bench %s median %.0f min %.0f max %.0f samples %d unit ns\n", name,
	       ns(samples[NSAMPLES / 2]), ns(samples[0]), ns(samples[NSAMPLES - 1]), NSAMPLES);
	munmap(run, 4096);
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
	bad |= bench("hcall", hcall_start, hcall_end - hcall_start);
	bad |= bench("mmio", mmio_start, mmio_end - mmio_start);
	printf("bench-done %s\n", bad ? "with errors" : "ok");
	return bad;
}
