// SPDX-License-Identifier: GPL-2.0
/*
 * ppc_stop_test: what happens when a radix HV guest executes `stop` (ISA 3.0) while the
 * hypervisor runs it with PSSCR[EC] set, on whatever KVM owns /dev/kvm (today: the
 * in-kernel kvm-hv, the reference). TAP output.
 *
 * The guest (real mode, little-endian, code at 0x1000) reports itself with hcall 0x7100,
 * executes `stop`, and reports hcall 0x7101 if the stop simply completed. Its program
 * interrupt vector (0x700) reports hcall 0x7107 with SRR1 and SRR0. The hcall numbers
 * are above every PAPR hcall, so any KVM hands them to userspace (KVM_EXIT_PAPR_HCALL).
 *
 * Usage: ppc_stop_test ill|priv
 *   ill   the hypervisor saw the stop (Hypervisor Facility Unavailable) and, without
 *         stop0lite emulation, injected an illegal-instruction program interrupt:
 *         SRR1[44] (0x80000) set. What real POWER9 does with kvm-hv, and what QEMU does
 *         with scripts/qemu-patches/ppc-stop-hfu.patch.
 *   priv  the hypervisor never saw it: the CPU itself raised a privileged-instruction
 *         program interrupt in the guest, SRR1[45] (0x40000). What unmodified QEMU does.
 * Where the in-kernel kvm-hv's kvm_guest_exit tracepoint exists (tracefs at
 * /sys/kernel/tracing), the last check also asks it whether the hypervisor took a
 * Hypervisor Facility Unavailable exit (trap 0xf80) at the stop; elsewhere it is skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>
#include "tap.h"

/* Guest code, assembled by the ppc64le cross assembler, copied into guest memory. */
__asm__(".pushsection .rodata.guest, \"a\"\n"
	".balign 4\n"
	"guest_entry_start:\n"
	"	li 3, 0x7100\n"
	"	sc 1\n"
	"	.long 0x4c0002e4\n" /* stop */
	"	li 3, 0x7101\n"
	"	mfmsr 4\n"
	"	sc 1\n"
	"1:	b 1b\n"
	"guest_entry_end:\n"
	"guest_v700_start:\n"
	"	mfspr 4, 27\n" /* SRR1 */
	"	mfspr 5, 26\n" /* SRR0 */
	"	li 3, 0x7107\n"
	"	sc 1\n"
	"1:	b 1b\n"
	"guest_v700_end:\n"
	".popsection\n");
extern const uint8_t guest_entry_start[], guest_entry_end[];
extern const uint8_t guest_v700_start[], guest_v700_end[];

#define ENTRY 0x1000ul
#define STOP_ADDR (ENTRY + 8)	/* third instruction */
#define PROCESS_TABLE 0x10000ul /* 4 KB, all zero: the guest never translates */
#define MEM_SIZE (2ul << 20)
#define MSR_SF (1ull << 63)
#define MSR_ME (1ull << 12)
#define MSR_LE 1ull
#define LPCR_ILE (1ull << 25) /* interrupts taken little-endian */
#define SRR1_ILL 0x80000ull
#define SRR1_PRIV 0x40000ull

#define TRACING "/sys/kernel/tracing/"
#define EXIT_EVENT TRACING "events/kvm_hv/kvm_guest_exit/enable"

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	int ok = fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	if (fd >= 0)
		close(fd);
	return ok;
}

/* 1 if the trace holds an HFU exit (trap 0xf80) at @pc, 0 if not, -1 if unreadable. */
static int trace_has_hfu_at(unsigned long pc)
{
	char line[512], want[64];
	int found = 0;
	FILE *f = fopen(TRACING "trace", "r");
	if (!f)
		return -1;
	snprintf(want, sizeof(want), "trap=0xf80 pc=0x%lx ", pc);
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "kvm_guest_exit") && strstr(line, "trap="))
			printf("# trace: %s", strstr(line, "VCPU") ? strstr(line, "VCPU") : line);
		if (strstr(line, want))
			found = 1;
	}
	fclose(f);
	return found;
}

/* KVM_RUN until an exit; the hcall number, or -1 for any other exit. */
static long run_to_hcall(int vcpu, struct kvm_run *run)
{
	if (ioctl(vcpu, KVM_RUN, 0) < 0) {
		printf("# KVM_RUN: %s\n", strerror(errno));
		return -1;
	}
	if (run->exit_reason != KVM_EXIT_PAPR_HCALL) {
		printf("# exit reason %u\n", run->exit_reason);
		return -1;
	}
	run->papr_hcall.ret = 0;
	return (long)run->papr_hcall.nr;
}

int main(int argc, char **argv)
{
	int expect_ill = argc > 1 && !strcmp(argv[1], "ill");
	struct kvm_ppc_mmuv3_cfg mmu = {
		.flags = KVM_PPC_MMUV3_RADIX | KVM_PPC_MMUV3_GTSE,
		.process_table = (1ull << 63) | PROCESS_TABLE,
	};
	struct kvm_enable_cap papr = { .cap = KVM_CAP_PPC_PAPR };
	struct kvm_userspace_memory_region region;
	struct kvm_regs regs;
	struct kvm_run *run;
	uint64_t lpcr;
	struct kvm_one_reg lpcr_reg = { .id = KVM_REG_PPC_LPCR_64, .addr = (uintptr_t)&lpcr };
	int kvm, vm, vcpu;
	uint8_t *mem;
	long nr_hc;

	if (argc != 2 || (strcmp(argv[1], "ill") && strcmp(argv[1], "priv"))) {
		fprintf(stderr, "usage: ppc_stop_test ill|priv\n");
		return 2;
	}
	printf("1..5\n");
	int tracing = write_file(TRACING "trace", "") && write_file(EXIT_EVENT, "1");
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return bail("open /dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_PPC_HV);
	if (vm < 0)
		return bail("KVM_CREATE_VM");
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return bail("mmap");
	memcpy(mem + ENTRY, guest_entry_start, guest_entry_end - guest_entry_start);
	memcpy(mem + 0x700, guest_v700_start, guest_v700_end - guest_v700_start);
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.memory_size = MEM_SIZE,
		.userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region))
		return bail("KVM_SET_USER_MEMORY_REGION");
	if (ioctl(vm, KVM_PPC_CONFIGURE_V3_MMU, &mmu))
		return bail("KVM_PPC_CONFIGURE_V3_MMU");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return bail("KVM_CREATE_VCPU");
	if (ioctl(vcpu, KVM_ENABLE_CAP, &papr))
		return bail("KVM_ENABLE_CAP(KVM_CAP_PPC_PAPR)");
	if (ioctl(vcpu, KVM_GET_ONE_REG, &lpcr_reg))
		return bail("KVM_GET_ONE_REG(LPCR)");
	lpcr |= LPCR_ILE;
	if (ioctl(vcpu, KVM_SET_ONE_REG, &lpcr_reg))
		return bail("KVM_SET_ONE_REG(LPCR)");
	if (ioctl(vcpu, KVM_GET_REGS, &regs))
		return bail("KVM_GET_REGS");
	regs.pc = ENTRY;
	regs.msr = MSR_SF | MSR_ME | MSR_LE;
	if (ioctl(vcpu, KVM_SET_REGS, &regs))
		return bail("KVM_SET_REGS");
	run = mmap(NULL, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), PROT_READ | PROT_WRITE, MAP_SHARED,
		   vcpu, 0);
	if (run == MAP_FAILED)
		return bail("mmap kvm_run");

	check(run_to_hcall(vcpu, run) == 0x7100, "guest_runs_and_hcall_exits_to_user");
	nr_hc = run_to_hcall(vcpu, run);
	if (nr_hc == 0x7101)
		printf("# stop completed in the guest without any interrupt (MSR 0x%llx)\n",
		       (unsigned long long)run->papr_hcall.args[0]);
	check(nr_hc == 0x7107, "stop_ends_in_a_guest_program_interrupt");
	uint64_t srr1 = run->papr_hcall.args[0], srr0 = run->papr_hcall.args[1];
	printf("# program interrupt: SRR0 0x%llx SRR1 0x%llx (%s)\n", (unsigned long long)srr0,
	       (unsigned long long)srr1,
	       srr1 & SRR1_ILL ? "illegal instruction: the hypervisor saw the stop"
	       : srr1 & SRR1_PRIV
		       ? "privileged instruction: the CPU never trapped to the hypervisor"
		       : "other");
	check(nr_hc == 0x7107 && srr0 == STOP_ADDR, "srr0_is_the_stop");
	check(nr_hc == 0x7107 && (expect_ill ? (srr1 & (SRR1_ILL | SRR1_PRIV)) == SRR1_ILL
					     : (srr1 & (SRR1_ILL | SRR1_PRIV)) == SRR1_PRIV),
	      expect_ill ? "srr1_says_illegal_instruction_injected_by_hypervisor"
			 : "srr1_says_privileged_instruction_from_the_cpu");
	if (!tracing) {
		skip("hypervisor_exit_as_expected", "no kvm_hv tracepoint");
	} else {
		write_file(EXIT_EVENT, "0");
		int hfu = trace_has_hfu_at(STOP_ADDR);
		check(expect_ill ? hfu == 1 : hfu == 0,
		      expect_ill ? "hypervisor_took_hfu_exit_at_the_stop"
				 : "hypervisor_took_no_hfu_exit");
	}
	return tap_failed ? 1 : 0;
}
