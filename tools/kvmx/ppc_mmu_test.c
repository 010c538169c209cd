// SPDX-License-Identifier: GPL-2.0
/*
 * ppc_mmu_test: a radix guest with translation on, on whatever KVM owns /dev/kvm (kvmx
 * or the in-kernel kvm-hv: both must pass), as TAP.
 *
 * The guest builds nothing itself: the VMM writes a process table at 0x10000 whose PID 0
 * entry maps the guest kernel's quadrant (0xc000...) with 2 MB leaves: EA 0xc000000000000000
 * + x -> guest real x for the first 2 MB (code and data) and 0xc000000010000000 -> guest
 * real 0x10000000 (no memslot: MMIO). Entries are big-endian, as the ISA wants.
 *   1. With MSR[IR|DR] set the guest stores and loads through the MMIO mapping: the
 *      hypervisor must read the faulting instruction through the guest's own tables
 *      and exit with the guest real address, the data in the guest's byte order, and
 *      return the loaded value into the right register.
 *   2. The PID 1 entry's root table points to guest real 0x20000000, outside memory.
 *      The guest switches PIDR to 1 and loads from a quadrant-0 address: the MMU's own
 *      table walk faults in partition scope, which is the guest's problem, not MMIO: the
 *      guest must get a data storage interrupt (0x300), and the VMM no exit but the
 *      guest's report.
 * Then the same guest again with LPCR[AIL] = 3 (QEMU's pseries default, where
 * KVM_CAP_PPC_AIL_MODE_3 reads 1): every hypervisor interrupt of steps 1-2 (the hcalls, the
 * MMIO faults) is now taken with translation on, and the guest's DSI goes to the
 * 0xc000000000004300 alias of its vector with MSR[IR|DR] still set. LPCR[AIL] = 1 or 2
 * is dropped (upstream's filter), and so is 3 where the capability reads 0.
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

/*
 * hcall 0x7100: started; the MMIO store (r5 = 0x4321 at +8) and load (halfword at +12,
 * into r7); hcall 0x7200 with r4 = MSR, r5 = r7, r6 = PC. Then PIDR = 1, a load from
 * quadrant 0 address 0x1000 into r8, and hcall 0x7201 if it ever completes. 0x300
 * reports hcall 0x7300 with r4 = DAR, r5 = DSISR, r6 = SRR0, r7 = MSR; 0x4300 (AIL = 3)
 * the same as hcall 0x7301.
 */
__asm__(".pushsection .rodata.guest, \"a\"\n"
	".balign 4\n"
	"mmu_entry_start:\n"
	"	li 3, 0x7100\n"
	"	sc 1\n"
	"	bcl 20, 31, 1f\n"
	"1:	mflr 4\n"
	"	addi 4, 4, (2f - 1b)\n"
	"	lis 5, 0xc000\n"
	"	sldi 5, 5, 32\n"
	"	or 4, 4, 5\n"
	"	mtspr 26, 4\n"
	"	mfmsr 6\n"
	"	ori 6, 6, 0x30\n"
	"	mtspr 27, 6\n"
	"	rfid\n"
	"2:	lis 9, 0xc000\n"
	"	sldi 9, 9, 32\n"
	"	oris 9, 9, 0x1000\n"
	"	li 5, 0x4321\n"
	"	stw 5, 8(9)\n"
	"	lhz 7, 12(9)\n"
	"	mfmsr 4\n"
	"	mr 5, 7\n"
	"	bcl 20, 31, 3f\n"
	"3:	mflr 6\n"
	"	li 3, 0x7200\n"
	"	sc 1\n"
	"	li 10, 1\n"
	"	mtspr 48, 10\n" /* PIDR = 1 */
	"	isync\n"
	"	li 11, 0x1000\n"
	"	ld 8, 0(11)\n"
	"	li 3, 0x7201\n"
	"	sc 1\n"
	"4:	b 4b\n"
	"mmu_entry_end:\n"
	"mmu_v300_start:\n"
	"	mfspr 4, 19\n" /* DAR */
	"	mfspr 5, 18\n" /* DSISR */
	"	mfspr 6, 26\n" /* SRR0 */
	"	mfmsr 7\n"
	"	li 3, 0x7300\n"
	"	sc 1\n"
	"1:	b 1b\n"
	"mmu_v300_end:\n"
	".popsection\n");
extern const uint8_t mmu_entry_start[], mmu_entry_end[], mmu_v300_start[], mmu_v300_end[];

/* The 0x300 handler's instruction "li 3, 0x7300" (little-endian), patched to 0x7301. */
#define LI_R3_7300 0x38607300u

#define MEM_SIZE (2ul << 20)
#define ENTRY 0x1000ul
#define PRTB 0x10000ul
#define MMIO 0x10000000ul

static void put_be64(uint8_t *mem, uint64_t off, uint64_t v)
{
	v = __builtin_bswap64(v);
	memcpy(mem + off, &v, sizeof(v));
}

#define LPCR_AIL (3ull << 23)

/*
 * One VM running the guest above with LPCR[AIL] = ail (0 or 3). The check names get the
 * prefix pfx.
 */
static int run_guest(int kvm, unsigned int ail, const char *pfx)
{
	const uint64_t V = 1ull << 63, L = 1ull << 62, RC = 0x180, RWX = 0x7;
	/* Process-table doubleword 0: RTS = 52 bits (21 = 0b10 101), root, RPDS = 13. */
	const uint64_t rts52 = (2ull << 61) | (5ull << 5);
	struct kvm_ppc_mmuv3_cfg mmu = {
		.flags = KVM_PPC_MMUV3_RADIX | KVM_PPC_MMUV3_GTSE,
		.process_table = (1ull << 63) | PRTB, /* PRTS 0: 4 KB, 256 PIDs */
	};
	struct kvm_enable_cap papr = { .cap = KVM_CAP_PPC_PAPR };
	struct kvm_userspace_memory_region region;
	struct kvm_regs regs;
	struct kvm_run *run;
	uint64_t lpcr;
	struct kvm_one_reg lpcr_reg = { .id = KVM_REG_PPC_LPCR_64, .addr = (uintptr_t)&lpcr };
	uint32_t li;
	char name[128];
	int vm, vcpu;
	uint8_t *mem;

#define CHECK(cond, what)                                                                          \
	do {                                                                                       \
		snprintf(name, sizeof(name), "%s%s", pfx, what);                                   \
		check(cond, name);                                                                 \
	} while (0)
	vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_PPC_HV);
	if (vm < 0)
		return bail("KVM_CREATE_VM");
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return bail("mmap");
	memcpy(mem + ENTRY, mmu_entry_start, mmu_entry_end - mmu_entry_start);
	memcpy(mem + 0x300, mmu_v300_start, mmu_v300_end - mmu_v300_start);
	/* The AIL = 3 copy at 0x4300 reports 0x7301. */
	memcpy(mem + 0x4300, mmu_v300_start, mmu_v300_end - mmu_v300_start);
	for (unsigned int off = 0x4300; off < 0x4300 + (mmu_v300_end - mmu_v300_start); off += 4) {
		memcpy(&li, mem + off, 4);
		if (li == LI_R3_7300) {
			li++;
			memcpy(mem + off, &li, 4);
		}
	}
	/* PID 0: root 0x20000 (8192 entries) -> 0x30000 -> 0x31000 (2 MB leaves). */
	put_be64(mem, PRTB, rts52 | 0x20000 | 13);
	put_be64(mem, 0x20000, V | 0x30000 | 9);
	put_be64(mem, 0x30000, V | 0x31000 | 9);
	put_be64(mem, 0x31000, V | L | 0 | RC | RWX | 0x8);
	put_be64(mem, 0x31000 + (MMIO >> 21) * 8, V | L | MMIO | RC | RWX | 0x8);
	/* PID 1: its root table is at a guest real address without memory. */
	put_be64(mem, PRTB + 16, rts52 | 0x20000000ull | 13);
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
	lpcr = (lpcr & ~LPCR_AIL) | 1ull << 25 | (uint64_t)ail << 23; /* ILE, AIL */
	if (ioctl(vcpu, KVM_SET_ONE_REG, &lpcr_reg) || ioctl(vcpu, KVM_GET_ONE_REG, &lpcr_reg) ||
	    ioctl(vcpu, KVM_GET_REGS, &regs))
		return bail("LPCR/REGS");
	if (ail)
		CHECK((lpcr & LPCR_AIL) >> 23 == ail, "lpcr_keeps_ail_3");
	regs.pc = ENTRY;
	regs.msr = (1ull << 63) | (1ull << 12) | 1; /* SF, ME, LE; real mode */
	if (ioctl(vcpu, KVM_SET_REGS, &regs))
		return bail("KVM_SET_REGS");
	run = mmap(NULL, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), PROT_READ | PROT_WRITE, MAP_SHARED,
		   vcpu, 0);
	if (run == MAP_FAILED)
		return bail("mmap kvm_run");

	int r = ioctl(vcpu, KVM_RUN, 0);
	CHECK(!r && run->exit_reason == KVM_EXIT_PAPR_HCALL && run->papr_hcall.nr == 0x7100,
	      "guest_starts");
	r = ioctl(vcpu, KVM_RUN, 0);
	printf("# exit %u: gpa %#llx len %u write %u data %02x %02x %02x %02x\n", run->exit_reason,
	       (unsigned long long)run->mmio.phys_addr, run->mmio.len, run->mmio.is_write,
	       run->mmio.data[0], run->mmio.data[1], run->mmio.data[2], run->mmio.data[3]);
	CHECK(!r && run->exit_reason == KVM_EXIT_MMIO && run->mmio.phys_addr == MMIO + 8 &&
		      run->mmio.len == 4 && run->mmio.is_write,
	      "virtual_mode_store_is_mmio_at_the_guest_real_address");
	CHECK(run->mmio.data[0] == 0x21 && run->mmio.data[1] == 0x43 && !run->mmio.data[2] &&
		      !run->mmio.data[3],
	      "store_data_in_guest_byte_order");
	r = ioctl(vcpu, KVM_RUN, 0);
	CHECK(!r && run->exit_reason == KVM_EXIT_MMIO && run->mmio.phys_addr == MMIO + 12 &&
		      run->mmio.len == 2 && !run->mmio.is_write,
	      "virtual_mode_halfword_load_is_mmio");
	run->mmio.data[0] = 0xcd;
	run->mmio.data[1] = 0xab;
	r = ioctl(vcpu, KVM_RUN, 0);
	CHECK(!r && run->exit_reason == KVM_EXIT_PAPR_HCALL && run->papr_hcall.nr == 0x7200,
	      "guest_continues_after_mmio");
	printf("# MSR %#llx r7 %#llx pc %#llx\n", (unsigned long long)run->papr_hcall.args[0],
	       (unsigned long long)run->papr_hcall.args[1],
	       (unsigned long long)run->papr_hcall.args[2]);
	CHECK((run->papr_hcall.args[0] & 0x30) == 0x30 && run->papr_hcall.args[2] >> 60 == 0xc,
	      "guest_ran_with_translation_on");
	CHECK(run->papr_hcall.args[1] == 0xabcd, "loaded_value_reaches_the_register");

	r = ioctl(vcpu, KVM_RUN, 0);
	printf("# exit %u nr %#llx: DAR %#llx DSISR %#llx SRR0 %#llx MSR %#llx\n", run->exit_reason,
	       (unsigned long long)run->papr_hcall.nr, (unsigned long long)run->papr_hcall.args[0],
	       (unsigned long long)run->papr_hcall.args[1],
	       (unsigned long long)run->papr_hcall.args[2],
	       (unsigned long long)run->papr_hcall.args[3]);
	CHECK(!r && run->exit_reason == KVM_EXIT_PAPR_HCALL &&
		      (run->papr_hcall.nr & ~1ull) == 0x7300,
	      "table_walk_outside_memory_is_a_guest_dsi_not_mmio");
	if (ail)
		CHECK(run->papr_hcall.nr == 0x7301 && (run->papr_hcall.args[3] & 0x30) == 0x30,
		      "dsi_taken_at_the_0x4300_alias_with_translation_on");
	else
		CHECK(run->papr_hcall.nr == 0x7300 && !(run->papr_hcall.args[3] & 0x30),
		      "dsi_taken_at_0x300_in_real_mode");
	/* DSISR: no translation (bit 33), fault on the table walk (bit 46, POWER9). */
	CHECK(run->papr_hcall.args[0] == 0x1000 && run->papr_hcall.args[1] == 0x40020000,
	      "dsi_dar_and_dsisr_name_the_access_and_the_table_walk");
	munmap(run, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0));
	munmap(mem, MEM_SIZE);
	close(vcpu);
	close(vm);
	return 0;
#undef CHECK
}

/* LPCR[AIL] = set through ONE_REG on a fresh vCPU reads back as AIL = *got. */
static int lpcr_ail_after_set(int kvm, unsigned int set, unsigned int *got)
{
	uint64_t lpcr;
	struct kvm_one_reg reg = { .id = KVM_REG_PPC_LPCR_64, .addr = (uintptr_t)&lpcr };
	int vm, vcpu, r = -1;

	vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_PPC_HV);
	if (vm < 0)
		return -1;
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu >= 0 && !ioctl(vcpu, KVM_GET_ONE_REG, &reg)) {
		lpcr = (lpcr & ~LPCR_AIL) | (uint64_t)set << 23;
		if (!ioctl(vcpu, KVM_SET_ONE_REG, &reg) && !ioctl(vcpu, KVM_GET_ONE_REG, &reg)) {
			*got = (lpcr & LPCR_AIL) >> 23;
			r = 0;
		}
	}
	if (vcpu >= 0)
		close(vcpu);
	close(vm);
	return r;
}

int main(void)
{
	unsigned int got1 = 9, got2 = 9, got3 = 9;
	int kvm, ail3;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return bail("open /dev/kvm");
	ail3 = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_PPC_AIL_MODE_3);
	printf("1..%d\n", ail3 > 0 ? 22 : 12);
	printf("# KVM_CAP_PPC_AIL_MODE_3 %d\n", ail3);
	if (run_guest(kvm, 0, ""))
		return 1;
	check(!lpcr_ail_after_set(kvm, 1, &got1) && !lpcr_ail_after_set(kvm, 2, &got2) &&
		      got1 == 0 && got2 == 0,
	      "lpcr_ail_1_and_2_are_dropped");
	if (ail3 > 0) {
		if (run_guest(kvm, 3, "ail3_"))
			return 1;
	} else {
		check(!lpcr_ail_after_set(kvm, 3, &got3) && got3 == 0,
		      "lpcr_ail_3_is_dropped_where_the_cap_reads_0");
	}
	close(kvm);
	return tap_failed ? 1 : 0;
}
