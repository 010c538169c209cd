// SPDX-License-Identifier: GPL-2.0
/*
 * ppc_guest_lib.c: the tiny POWER9 guest and the VM plumbing shared by ppc_run_test,
 * ppc_stop0lite_test and ppc_wake_lat (each #includes this file; it is not built alone).
 *
 * The guest is one image of ppc64le code assembled here and copied to guest real address
 * 0 of a 2 MB memslot. It runs in real mode (MSR[IR]=MSR[DR]=0), little-endian, 64-bit,
 * in a radix HV partition (KVM_PPC_CONFIGURE_V3_MMU with an all-zero 4 KB process table
 * at 0x10000: nothing ever translates). LPCR[ILE] is set through ONE_REG so interrupts
 * are taken little-endian; LPCR[AIL] stays 0, so every interrupt lands at its real-mode
 * vector (0x100, 0x500, 0x700, 0x900, 0xa00, ...).
 *
 * Register conventions of the guest code:
 *   r13      the vCPU's scratch block (set by KVM_SET_REGS, never changed by the guest):
 *            SCR_* below; it also holds the parameters userspace writes before a run.
 *   r20-r31  test code only; interrupts preserve every GPR, CR and CTR (the vector saves
 *            them in the scratch block and restores them before rfid).
 * Every interrupt vector reports itself with hcall 0x7000|vector (0x7500 external, 0x7900
 * decrementer, 0xa00 -> 0x7a00 privileged doorbell, 0x7700 program, ...):
 *   args[0] SRR0, args[1] SRR1, args[2] timebase at the vector, args[3] DEC at the vector
 *   (before the 0x900 vector parks it at 0x7fffffff), args[4] the interrupted r3,
 *   args[5] r20, args[6] r21, args[7] interrupts taken so far on this vCPU (this one
 *   included).
 * The hcall's return value decides what follows: 0 returns to the interrupted code
 * (rfid with the saved SRR0/SRR1); anything else is a guest address to continue at, with
 * the MSR the interrupt left (EE=0).
 * hcall numbers 0x7000-0x7fff are above every PAPR hcall (and below KVM's 0xf000 range), so
 * any KVM hands them to userspace as KVM_EXIT_PAPR_HCALL.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/kvmx.h>
#include "tap.h"

/* Not every includer uses every helper. */
#pragma GCC diagnostic ignored "-Wunused-function"

/* Guest physical layout. */
#define MEM_SIZE (2ul << 20)
#define PROCESS_TABLE 0x10000ul /* 4 KB, all zero */
#define FLAG_ADDR 0x7800ul	/* "I am about to idle" word, shared by the vCPUs */
#define SCRATCH(id) (0x8000ul + 0x400ul * (id))
#define MMIO_BASE 0x10000000ul /* outside every memslot */

/* Scratch block offsets (keep in sync with the assembly below). */
#define SCR_R3 0x00
#define SCR_COUNT 0x80	/* interrupts taken */
#define PAR_SPIN 0x100	/* ticks to spin with EE=1 (g_ee_report) or EE=0 (g_ext_hold) */
#define PAR_DEC 0x108	/* ticks to program DEC with (g_cede, g_stop); 0: park it */
#define PAR_DELAY 0x110 /* g_send: ticks to wait after the flag before msgsndp */
#define PAR_FLAG 0x118	/* g_send: address of the flag to wait for (0: none) */
#define PAR_RB 0x120	/* g_send: msgsndp operand */
#define PAR_PSSCR 0x128 /* g_stop: value for mtspr PSSCR (SPR 823, privileged view) */
#define PAR_EE 0x130	/* g_stop: non-zero: set MSR[EE] before the stop */

#define MSR_SF (1ull << 63)
#define MSR_VEC (1ull << 25)
#define MSR_VSX (1ull << 23)
#define MSR_EE (1ull << 15)
#define MSR_FP (1ull << 13)
#define MSR_PR (1ull << 14)
#define MSR_ME (1ull << 12)
#define MSR_IR (1ull << 5)
#define MSR_DR (1ull << 4)
#define MSR_RI (1ull << 1)
#define MSR_LE 1ull
#define GUEST_MSR (MSR_SF | MSR_ME | MSR_LE)
#define LPCR_ILE (1ull << 25)
#define LPCR_LD (1ull << 17)
#define SRR1_ILL 0x80000ull	  /* program interrupt: illegal instruction */
#define SRR1_PRIV 0x40000ull	  /* program interrupt: privileged instruction */
#define SRR1_WAKEMASK 0x3c0000ull /* SRR1[42:45]: wake reason after stop (ESL=1) */
#define DBELL_PRIV_RB(thread) ((5ull << 27) | (thread)) /* msgsndp: type 5, TIR */
#define TB_HZ 512000000ull				/* POWER9 timebase */
#define H_CEDE 0xe0

#define HC_VEC(v) (0x7000 | (v))

__asm__(".pushsection .rodata.kvmxguest, \"a\"\n"
	".balign 4096\n"
	"guest_image:\n"
	/* Vectors: save r3, put the vector number in r3, go to the common code. */
	".macro vec n\n"
	"	.org guest_image + \\n\n"
	"	std 3, 0(13)\n"
	"	li 3, \\n\n"
	"	b common\n"
	".endm\n"
	"	vec 0x100\n"
	"	vec 0x200\n"
	"	vec 0x300\n"
	"	vec 0x380\n"
	"	vec 0x400\n"
	"	vec 0x480\n"
	"	vec 0x500\n"
	"	vec 0x600\n"
	"	vec 0x700\n"
	"	vec 0x800\n"
	"	vec 0x900\n"
	"	vec 0x980\n"
	"	vec 0xa00\n"
	"	vec 0xb00\n"
	"	vec 0xc00\n"
	"	vec 0xd00\n"
	"	vec 0xe00\n"
	"	vec 0xe20\n"
	"	vec 0xe40\n"
	"	vec 0xe60\n"
	"	vec 0xe80\n"
	"	vec 0xea0\n"
	"	vec 0xf00\n"
	"	vec 0xf20\n"
	"	vec 0xf40\n"
	"	vec 0xf60\n"
	"	vec 0xf80\n"
	"	.org guest_image + 0x1000\n"
	"common:\n"
	"	std 0, 0x08(13)\n"
	"	std 4, 0x10(13)\n"
	"	std 5, 0x18(13)\n"
	"	std 6, 0x20(13)\n"
	"	std 7, 0x28(13)\n"
	"	std 8, 0x30(13)\n"
	"	std 9, 0x38(13)\n"
	"	std 10, 0x40(13)\n"
	"	std 11, 0x48(13)\n"
	"	std 12, 0x50(13)\n"
	"	mftb 6\n"
	"	mfspr 7, 22\n" /* DEC */
	"	mfcr 0\n"
	"	std 0, 0x60(13)\n"
	"	mfctr 0\n"
	"	std 0, 0x68(13)\n"
	"	mfspr 4, 26\n" /* SRR0 */
	"	std 4, 0x70(13)\n"
	"	mfspr 5, 27\n" /* SRR1 */
	"	std 5, 0x78(13)\n"
	"	ld 11, 0x80(13)\n"
	"	addi 11, 11, 1\n"
	"	std 11, 0x80(13)\n"
	"	ld 8, 0(13)\n"
	"	mr 9, 20\n"
	"	mr 10, 21\n"
	"	cmpwi 3, 0x900\n"
	"	bne 1f\n"
	"	lis 0, 0x7fff\n"
	"	ori 0, 0, 0xffff\n"
	"	mtspr 22, 0\n" /* park DEC so that rfid does not take it again */
	"1:	ori 3, 3, 0x7000\n"
	"	sc 1\n"
	"	cmpdi 3, 0\n"
	"	beq 2f\n"
	"	mtctr 3\n"
	"	bctr\n"
	"2:	ld 0, 0x70(13)\n"
	"	mtspr 26, 0\n"
	"	ld 0, 0x78(13)\n"
	"	mtspr 27, 0\n"
	"	ld 0, 0x60(13)\n"
	"	mtcrf 0xff, 0\n"
	"	ld 0, 0x68(13)\n"
	"	mtctr 0\n"
	"	ld 0, 0x08(13)\n"
	"	ld 3, 0x00(13)\n"
	"	ld 4, 0x10(13)\n"
	"	ld 5, 0x18(13)\n"
	"	ld 6, 0x20(13)\n"
	"	ld 7, 0x28(13)\n"
	"	ld 8, 0x30(13)\n"
	"	ld 9, 0x38(13)\n"
	"	ld 10, 0x40(13)\n"
	"	ld 11, 0x48(13)\n"
	"	ld 12, 0x50(13)\n"
	"	rfid\n"

	/*
	 * g_hcall: hcall round trips. 0x7010 with r4..r12 = r31+0..r31+8; then 0x7011
	 * reporting what came back: r3, r4, r12 and the round r31.
	 */
	"g_hcall:\n"
	"	li 31, 0\n"
	"3:	addi 4, 31, 0\n"
	"	addi 5, 31, 1\n"
	"	addi 6, 31, 2\n"
	"	addi 7, 31, 3\n"
	"	addi 8, 31, 4\n"
	"	addi 9, 31, 5\n"
	"	addi 10, 31, 6\n"
	"	addi 11, 31, 7\n"
	"	addi 12, 31, 8\n"
	"	li 3, 0x7010\n"
	"	sc 1\n"
	"g_hcall_ret:\n"
	"	mr 20, 3\n"
	"	mr 21, 4\n"
	"	mr 22, 12\n"
	"	li 3, 0x7011\n"
	"	mr 4, 20\n"
	"	mr 5, 21\n"
	"	mr 6, 22\n"
	"	mr 7, 31\n"
	"	sc 1\n"
	"	addi 31, 31, 1\n"
	"	b 3b\n"

	/*
	 * g_fp: the FP/VMX registers across hcalls handled in the kernel. Each of r20 rounds
	 * adds VR1 to VR0 (vaddudm), FPR1 to FPR0 (fadd) and calls H_CONFER(-1) (in the
	 * kernel, a reschedule point); every 64th round also hcall 0x7030 (to userspace,
	 * r4 = the round); at the end 0x7031. MSR[FP|VEC|VSX] set by userspace.
	 */
	"g_fp:\n"
	"	li 31, 0\n"
	"1:	vaddudm 0, 0, 1\n"
	"	fadd 0, 0, 1\n"
	"	li 3, 0xe4\n"
	"	li 4, -1\n"
	"	sc 1\n"
	"	addi 31, 31, 1\n"
	"	andi. 9, 31, 63\n"
	"	bne 2f\n"
	"	li 3, 0x7030\n"
	"	mr 4, 31\n"
	"	sc 1\n"
	"2:	cmpd 31, 20\n"
	"	blt 1b\n"
	"	li 3, 0x7031\n"
	"	mr 4, 31\n"
	"	sc 1\n"
	"	b .\n"

	/*
	 * g_regs: report CR, CTR, LR, XER, r20, r31, MSR, PVR as userspace set them (0x7020);
	 * then program DEC with r28 and report the timebase around it (0x7021); then report
	 * TB and DEC as the hypervisor restored them (0x7022).
	 */
	"g_regs:\n"
	"	mfcr 4\n"
	"	mfctr 5\n"
	"	mflr 6\n"
	"	mfxer 7\n"
	"	mr 8, 20\n"
	"	mr 9, 31\n"
	"	mfmsr 10\n"
	"	mfspr 11, 287\n" /* PVR */
	"	li 3, 0x7020\n"
	"	sc 1\n"
	"	mftb 20\n"
	"	mtspr 22, 28\n"
	"	mftb 21\n"
	"	li 3, 0x7021\n"
	"	mr 4, 20\n"
	"	mr 5, 21\n"
	"	mr 6, 28\n"
	"	sc 1\n"
	"	mftb 20\n"
	"	mfspr 21, 22\n"
	"	li 3, 0x7022\n"
	"	mr 4, 20\n"
	"	mr 5, 21\n"
	"	sc 1\n"
	"4:	b 4b\n"

	/*
	 * g_mmio: stores of 1/2/4/8 bytes, then loads of 1/2/4/8 bytes, all at MMIO_BASE
	 * (0x10000000) + 0..31; reports the loaded values (0x7030).
	 */
	"g_mmio:\n"
	"	lis 10, 0x1000\n"
	"	li 5, 0x5a\n"
	"g_mmio_stb:\n"
	"	stb 5, 0(10)\n"
	"	li 5, 0x1234\n"
	"	sth 5, 2(10)\n"
	"	lis 5, 0x1122\n"
	"	ori 5, 5, 0x3344\n"
	"	stw 5, 4(10)\n"
	"	lis 5, 0x0102\n"
	"	ori 5, 5, 0x0304\n"
	"	rldicr 5, 5, 32, 31\n"
	"	oris 5, 5, 0x0506\n"
	"	ori 5, 5, 0x0708\n"
	"	std 5, 8(10)\n"
	"	lbz 20, 16(10)\n"
	"	lhz 21, 18(10)\n"
	"g_mmio_lwz:\n"
	"	lwz 22, 20(10)\n"
	"	ld 23, 24(10)\n"
	"	li 3, 0x7030\n"
	"	mr 4, 20\n"
	"	mr 5, 21\n"
	"	mr 6, 22\n"
	"	mr 7, 23\n"
	"	sc 1\n"
	"5:	b 5b\n"

	/*
	 * g_dec: program DEC with r28 (at timebase r20), set MSR[EE], spin r27 ticks, report
	 * 0x7031. The decrementer interrupt should come during the spin.
	 */
	"g_dec:\n"
	"	mftb 20\n"
	"	mtspr 22, 28\n"
	"	mfmsr 21\n"
	"	ori 21, 21, 0x8000\n"
	"	mtmsrd 21, 1\n"
	"	mftb 29\n"
	"	add 29, 29, 27\n"
	"g_dec_spin:\n"
	"	mftb 30\n"
	"	cmpld 30, 29\n"
	"	blt g_dec_spin\n"
	"g_dec_spin_end:\n"
	"	li 3, 0x7031\n"
	"	sc 1\n"
	"	b g_dec_spin_end\n"

	/*
	 * g_dec_held: DEC = r28 with MSR[EE]=0, spin r27 ticks, report 0x7032 with DEC, then
	 * set EE: the pending decrementer must come right after the mtmsrd.
	 */
	"g_dec_held:\n"
	"	mftb 20\n"
	"	mtspr 22, 28\n"
	"	mftb 29\n"
	"	add 29, 29, 27\n"
	"6:	mftb 30\n"
	"	cmpld 30, 29\n"
	"	blt 6b\n"
	"	mfspr 4, 22\n"
	"	li 3, 0x7032\n"
	"	sc 1\n"
	"	mfmsr 21\n"
	"	ori 21, 21, 0x8000\n"
	"	mtmsrd 21, 1\n"
	"g_dec_held_ee:\n"
	"	li 3, 0x7033\n"
	"	sc 1\n"
	"	b g_dec_held_ee\n"

	/*
	 * g_ee_report: park DEC, set MSR[EE]; then forever: report 0x7040, spin PAR_SPIN
	 * ticks, report 0x7041.
	 */
	"g_ee_report:\n"
	"	lis 0, 0x7fff\n"
	"	ori 0, 0, 0xffff\n"
	"	mtspr 22, 0\n"
	"	mfmsr 21\n"
	"	ori 21, 21, 0x8000\n"
	"	mtmsrd 21, 1\n"
	"g_ee_loop:\n"
	"	li 3, 0x7040\n"
	"	sc 1\n"
	"g_ee_after_sc:\n"
	"	ld 27, 0x100(13)\n"
	"	mftb 29\n"
	"	add 29, 29, 27\n"
	"g_ee_spin:\n"
	"	mftb 30\n"
	"	cmpld 30, 29\n"
	"	blt g_ee_spin\n"
	"g_ee_spin_end:\n"
	"	li 3, 0x7041\n"
	"	sc 1\n"
	"	b g_ee_loop\n"

	/*
	 * g_ext_hold: park DEC, MSR[EE]=0: report 0x7050, spin PAR_SPIN ticks, report 0x7051,
	 * set EE, spin PAR_SPIN ticks, report 0x7052. g_ext_hold_done reports 0x7053.
	 */
	"g_ext_hold:\n"
	"	lis 0, 0x7fff\n"
	"	ori 0, 0, 0xffff\n"
	"	mtspr 22, 0\n"
	"	li 3, 0x7050\n"
	"	sc 1\n"
	"	ld 27, 0x100(13)\n"
	"	mftb 29\n"
	"	add 29, 29, 27\n"
	"7:	mftb 30\n"
	"	cmpld 30, 29\n"
	"	blt 7b\n"
	"	li 3, 0x7051\n"
	"	sc 1\n"
	"	mfmsr 21\n"
	"	ori 21, 21, 0x8000\n"
	"	mtmsrd 21, 1\n"
	"g_ext_hold_ee:\n"
	"	mftb 29\n"
	"	add 29, 29, 27\n"
	"8:	mftb 30\n"
	"	cmpld 30, 29\n"
	"	blt 8b\n"
	"g_ext_hold_spin_end:\n"
	"	li 3, 0x7052\n"
	"	sc 1\n"
	"g_ext_hold_done:\n"
	"	li 3, 0x7053\n"
	"	sc 1\n"
	"	b g_ext_hold_done\n"

	/*
	 * g_cede: DEC = PAR_DEC (0: parked), flag word = 1, H_CEDE with MSR[EE]=0 (the
	 * hcall sets EE); after it report 0x7060 with r3 (the hcall's return) and r20 (the
	 * timebase before the cede), then start over.
	 */
	"g_cede:\n"
	"	ld 28, 0x108(13)\n"
	"	cmpdi 28, 0\n"
	"	bne 9f\n"
	"	lis 28, 0x7fff\n"
	"	ori 28, 28, 0xffff\n"
	"9:	li 0, 1\n"
	"	stw 0, 0x7800(0)\n"
	"	sync\n"
	"	mftb 20\n"
	"	mtspr 22, 28\n"
	"	li 3, 0xe0\n"
	"	sc 1\n"
	"g_cede_ret:\n"
	"	mr 22, 3\n"
	"	li 3, 0x7060\n"
	"	mr 4, 22\n"
	"	mr 5, 20\n"
	"	mfmsr 6\n"
	"	sc 1\n"
	"	b g_cede\n"

	/*
	 * g_send: wait until the word at PAR_FLAG is non-zero (if PAR_FLAG is not 0), spin
	 * PAR_DELAY ticks, msgsndp PAR_RB between two timebase reads, report 0x7070 with
	 * both; start over.
	 */
	"g_send:\n"
	"	ld 28, 0x118(13)\n"
	"	cmpdi 28, 0\n"
	"	beq 11f\n"
	"10:	lwz 0, 0(28)\n"
	"	cmpwi 0, 0\n"
	"	beq 10b\n"
	"11:	ld 27, 0x110(13)\n"
	"	mftb 29\n"
	"	add 29, 29, 27\n"
	"12:	mftb 30\n"
	"	cmpld 30, 29\n"
	"	blt 12b\n"
	"	ld 26, 0x120(13)\n"
	"	mftb 21\n"
	/*
	 * isync ends QEMU's translation block, so the msgsndp starts the next one: QEMU
	 * 10.0.2 raises msgsndp's Hypervisor Facility Unavailable from a nested helper
	 * (helper_hfscr_facility_check's GETPC() is not in generated code), so HSRR0 is
	 * the start of the current translation block, not the msgsndp, unless they are the
	 * same. A hypervisor that emulates msgsndp reads the instruction at HSRR0.
	 */
	"	isync\n"
	"	.long 0x7c00d11c\n" /* msgsndp r26 */
	"	mftb 22\n"
	"	li 3, 0x7070\n"
	"	mr 4, 21\n"
	"	mr 5, 22\n"
	"	sc 1\n"
	"	b g_send\n"

	/*
	 * g_stop: DEC = PAR_DEC (0: parked), mtspr PSSCR(823) = PAR_PSSCR, MSR[EE] set if
	 * PAR_EE, flag word = 1, stop. After it: report 0x7080 with the timebase, DEC and the
	 * timebase before the stop; set EE; report 0x7081; start over.
	 */
	"g_stop:\n"
	"	ld 28, 0x108(13)\n"
	"	cmpdi 28, 0\n"
	"	bne 13f\n"
	"	lis 28, 0x7fff\n"
	"	ori 28, 28, 0xffff\n"
	"13:	ld 25, 0x128(13)\n"
	"	mtspr 823, 25\n"
	"	ld 24, 0x130(13)\n"
	"	cmpdi 24, 0\n"
	"	beq 14f\n"
	"	mfmsr 21\n"
	"	ori 21, 21, 0x8000\n"
	"	mtmsrd 21, 1\n"
	"14:	li 0, 1\n"
	"	stw 0, 0x7800(0)\n"
	"	sync\n"
	"	mftb 20\n"
	"	mtspr 22, 28\n"
	"g_stop_insn:\n"
	"	.long 0x4c0002e4\n" /* stop */
	"g_stop_after:\n"
	"	mftb 22\n"
	"	mfspr 23, 22\n"
	"	li 3, 0x7080\n"
	"	mr 4, 22\n"
	"	mr 5, 23\n"
	"	mr 6, 20\n"
	"	sc 1\n"
	"	mfmsr 21\n"
	"	ori 21, 21, 0x8000\n"
	"	mtmsrd 21, 1\n"
	"g_stop_ee:\n"
	"	li 3, 0x7081\n"
	"	sc 1\n"
	"	b g_stop\n"

	/*
	 * g_hcall_par: hcall PAR_HC (scratch 0x140) with r4..r8 = the five words after it,
	 * the timebase read before (r20) and after (r21); then report 0x7050 with its r3, r4
	 * and r20, r21. Starts over.
	 */
	"g_hcall_par:\n"
	"	ld 3, 0x140(13)\n"
	"	ld 4, 0x148(13)\n"
	"	ld 5, 0x150(13)\n"
	"	ld 6, 0x158(13)\n"
	"	ld 7, 0x160(13)\n"
	"	ld 8, 0x168(13)\n"
	"	mftb 20\n"
	"	sc 1\n"
	"	mftb 21\n"
	"	mr 22, 3\n"
	"	mr 23, 4\n"
	"	li 3, 0x7050\n"
	"	mr 4, 22\n"
	"	mr 5, 23\n"
	"	mr 6, 20\n"
	"	mr 7, 21\n"
	"	sc 1\n"
	"	b g_hcall_par\n"

	/* g_alive: report 0x7090 forever (the VM still runs guest code). */
	"g_alive:\n"
	"	li 3, 0x7090\n"
	"	sc 1\n"
	"	b g_alive\n"
	"guest_image_end:\n"
	".popsection\n");

extern const uint8_t guest_image[], guest_image_end[];
extern const uint8_t g_hcall[], g_hcall_ret[], g_regs[], g_mmio[], g_mmio_stb[], g_mmio_lwz[];
extern const uint8_t g_dec[], g_dec_spin[], g_dec_spin_end[], g_dec_held[], g_dec_held_ee[];
extern const uint8_t g_ee_report[], g_ee_loop[], g_ee_after_sc[], g_ee_spin[], g_ee_spin_end[];
extern const uint8_t g_ext_hold[], g_ext_hold_ee[], g_ext_hold_spin_end[], g_ext_hold_done[];
extern const uint8_t g_cede[], g_cede_ret[], g_send[];
extern const uint8_t g_stop[], g_stop_insn[], g_stop_after[], g_stop_ee[], g_alive[];
extern const uint8_t g_hcall_par[], g_fp[];

/* Guest address of a label of the image. */
#define GA(label) ((uint64_t)((label)-guest_image))

/* ---- VM plumbing -------------------------------------------------------------------- */
#define MAX_VCPUS 2

struct vcpu {
	int fd, id;
	struct kvm_run *run;
	pthread_t thread;
	volatile int in_run;
	volatile uint64_t deadline_ns;
	int timed_out;
};

struct vm {
	int kvm, fd;
	uint8_t *mem;
	int nr_vcpus, run_size;
	uint64_t lpcr;
	struct vcpu v[MAX_VCPUS];
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int sys_fail(const char *what)
{
	printf("# %s: %s\n", what, strerror(errno));
	return -1;
}

/* The watchdog: a vCPU stuck in KVM_RUN past its deadline gets SIGUSR1 (KVM_RUN: EINTR). */
static struct vcpu *watched[8];
static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;

static void on_sigusr1(int sig)
{
	(void)sig;
}

static void *watchdog(void *arg)
{
	(void)arg;
	for (;;) {
		usleep(50000);
		pthread_mutex_lock(&watch_lock);
		for (unsigned i = 0; i < sizeof(watched) / sizeof(watched[0]); i++) {
			struct vcpu *v = watched[i];
			if (v && v->in_run && now_ns() > v->deadline_ns) {
				v->timed_out = 1;
				pthread_kill(v->thread, SIGUSR1);
			}
		}
		pthread_mutex_unlock(&watch_lock);
	}
	return NULL;
}

static void watchdog_start(void)
{
	static int started;
	struct sigaction sa = { .sa_handler = on_sigusr1 }; /* no SA_RESTART */
	pthread_t t;
	if (started)
		return;
	started = 1;
	sigaction(SIGUSR1, &sa, NULL);
	pthread_create(&t, NULL, watchdog, NULL);
}

static void watch(struct vcpu *v, int on)
{
	pthread_mutex_lock(&watch_lock);
	for (unsigned i = 0; i < sizeof(watched) / sizeof(watched[0]); i++) {
		if (on && !watched[i]) {
			watched[i] = v;
			break;
		}
		if (!on && watched[i] == v)
			watched[i] = NULL;
	}
	pthread_mutex_unlock(&watch_lock);
}

static int one_reg(struct vcpu *v, int set, uint64_t id, uint64_t *val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)val };
	return ioctl(v->fd, set ? KVM_SET_ONE_REG : KVM_GET_ONE_REG, &r);
}

static uint64_t *scratch(struct vm *vm, int id, unsigned off)
{
	return (uint64_t *)(vm->mem + SCRATCH(id) + off);
}

/* More mmap flags for the guest memory of the next vm_create (MAP_HUGETLB: one 2 MB page). */
static int guest_mem_flags;

/*
 * A radix HV VM with @nr vCPUs (ids 0..nr-1); with @smt > 1, KVM_CAP_PPC_SMT first (emulated
 * SMT mode @smt: vCPU ids 0..smt-1 are threads of one virtual core, for msgsndp).
 * Contract used: KVM_CREATE_VM(KVM_VM_PPC_HV), KVM_ENABLE_CAP(KVM_CAP_PPC_SMT) on the VM,
 * KVM_SET_USER_MEMORY_REGION, KVM_PPC_CONFIGURE_V3_MMU, KVM_CREATE_VCPU,
 * KVM_GET_VCPU_MMAP_SIZE + mmap, KVM_ENABLE_CAP(KVM_CAP_PPC_PAPR) on each vCPU,
 * ONE_REG KVM_REG_PPC_LPCR_64 (get, then set with LPCR[ILE]).
 */
static int vm_create(struct vm *vm, int nr, int smt)
{
	struct kvm_ppc_mmuv3_cfg mmu = {
		.flags = KVM_PPC_MMUV3_RADIX | KVM_PPC_MMUV3_GTSE,
		.process_table = (1ull << 63) | PROCESS_TABLE,
	};
	struct kvm_userspace_memory_region region;
	int mmap_size;

	watchdog_start();
	memset(vm, 0, sizeof(*vm));
	vm->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm < 0)
		return sys_fail("open /dev/kvm");
	vm->fd = ioctl(vm->kvm, KVM_CREATE_VM, KVM_VM_PPC_HV);
	if (vm->fd < 0)
		return sys_fail("KVM_CREATE_VM(KVM_VM_PPC_HV)");
	if (smt > 1) {
		struct kvm_enable_cap cap = { .cap = KVM_CAP_PPC_SMT,
					      .args = { (uint64_t)smt, 0 } };
		if (ioctl(vm->fd, KVM_ENABLE_CAP, &cap))
			return sys_fail("KVM_ENABLE_CAP(KVM_CAP_PPC_SMT)");
	}
	vm->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS | guest_mem_flags, -1, 0);
	if (vm->mem == MAP_FAILED)
		return sys_fail("mmap guest memory");
	memcpy(vm->mem, guest_image, guest_image_end - guest_image);
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.memory_size = MEM_SIZE,
		.userspace_addr = (uintptr_t)vm->mem,
	};
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region))
		return sys_fail("KVM_SET_USER_MEMORY_REGION");
	if (ioctl(vm->fd, KVM_PPC_CONFIGURE_V3_MMU, &mmu))
		return sys_fail("KVM_PPC_CONFIGURE_V3_MMU");
	mmap_size = ioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size <= 0)
		return sys_fail("KVM_GET_VCPU_MMAP_SIZE");
	vm->run_size = mmap_size;
	for (int i = 0; i < nr; i++) {
		struct kvm_enable_cap papr = { .cap = KVM_CAP_PPC_PAPR };
		struct vcpu *v = &vm->v[i];
		uint64_t lpcr;

		v->id = i;
		v->fd = ioctl(vm->fd, KVM_CREATE_VCPU, i);
		if (v->fd < 0)
			return sys_fail("KVM_CREATE_VCPU");
		v->run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
		if (v->run == MAP_FAILED)
			return sys_fail("mmap kvm_run");
		if (ioctl(v->fd, KVM_ENABLE_CAP, &papr))
			return sys_fail("KVM_ENABLE_CAP(KVM_CAP_PPC_PAPR)");
		if (one_reg(v, 0, KVM_REG_PPC_LPCR_64, &lpcr))
			return sys_fail("KVM_GET_ONE_REG(LPCR_64)");
		lpcr |= LPCR_ILE;
		if (one_reg(v, 1, KVM_REG_PPC_LPCR_64, &lpcr))
			return sys_fail("KVM_SET_ONE_REG(LPCR_64)");
		if (one_reg(v, 0, KVM_REG_PPC_LPCR_64, &vm->lpcr))
			return sys_fail("KVM_GET_ONE_REG(LPCR_64)");
		vm->nr_vcpus = i + 1;
	}
	return 0;
}

static void vm_destroy(struct vm *vm)
{
	for (int i = 0; i < MAX_VCPUS; i++) {
		if (vm->v[i].run && vm->v[i].run != MAP_FAILED)
			munmap(vm->v[i].run, vm->run_size);
		if (vm->v[i].fd > 0)
			close(vm->v[i].fd);
	}
	if (vm->mem && vm->mem != MAP_FAILED)
		munmap(vm->mem, MEM_SIZE);
	if (vm->fd > 0)
		close(vm->fd);
	if (vm->kvm > 0)
		close(vm->kvm);
	memset(vm, 0, sizeof(*vm));
}

/* KVM_SET_REGS: pc = @entry, MSR = GUEST_MSR | @msr_extra, r13 = the scratch block. */
static int vcpu_start(struct vm *vm, int id, uint64_t entry, uint64_t msr_extra)
{
	struct kvm_regs regs;
	struct vcpu *v = &vm->v[id];
	if (ioctl(v->fd, KVM_GET_REGS, &regs))
		return sys_fail("KVM_GET_REGS");
	regs.pc = entry;
	regs.msr = GUEST_MSR | msr_extra;
	regs.gpr[13] = SCRATCH(id);
	if (ioctl(v->fd, KVM_SET_REGS, &regs))
		return sys_fail("KVM_SET_REGS");
	return 0;
}

/*
 * KVM_RUN until the next exit to userspace; returns the hcall number for
 * KVM_EXIT_PAPR_HCALL (papr_hcall.ret preset to 0 for the next run), -2 for KVM_EXIT_MMIO,
 * -1 for anything else (said why on a TAP comment line). @timeout_ms bounds the wait.
 */
static long vcpu_run(struct vcpu *v, unsigned timeout_ms)
{
	int r;
	v->thread = pthread_self();
	v->deadline_ns = now_ns() + timeout_ms * 1000000ull;
	v->timed_out = 0;
	watch(v, 1);
	v->in_run = 1;
	r = ioctl(v->fd, KVM_RUN, 0);
	v->in_run = 0;
	watch(v, 0);
	if (r < 0) {
		if (errno == EINTR && v->timed_out)
			printf("# vcpu %d: no exit within %u ms\n", v->id, timeout_ms);
		else
			printf("# vcpu %d: KVM_RUN: %s\n", v->id, strerror(errno));
		return -1;
	}
	if (v->run->exit_reason == KVM_EXIT_MMIO)
		return -2;
	if (v->run->exit_reason != KVM_EXIT_PAPR_HCALL) {
		printf("# vcpu %d: exit reason %u\n", v->id, v->run->exit_reason);
		return -1;
	}
	v->run->papr_hcall.ret = 0;
	return (long)v->run->papr_hcall.nr;
}

static const char *hc_name(long nr)
{
	static char buf[32];
	snprintf(buf, sizeof(buf), "0x%lx", nr);
	return buf;
}

/* DEC as the guest read it: 32 bits sign-extended unless LPCR[LD] (large decrementer). */
static int64_t dec_value(const struct vm *vm, uint64_t raw)
{
	return (vm->lpcr & LPCR_LD) ? (int64_t)raw : (int64_t)(int32_t)(uint32_t)raw;
}

static uint64_t ticks_to_ns(uint64_t ticks)
{
	return ticks * 1000000000ull / TB_HZ;
}

#define MS_TICKS(ms) ((uint64_t)(ms) * (TB_HZ / 1000))
#define US_TICKS(us) ((uint64_t)(us) * (TB_HZ / 1000000))

/* The report of an interrupt vector (see the header). */
struct vec_report {
	long nr;
	uint64_t srr0, srr1, tb, dec, r3, r20, r21, count;
};

static struct vec_report vec_report(struct vcpu *v, long nr)
{
	struct vec_report r = { .nr = nr };
	uint64_t *a = v->run->papr_hcall.args;
	r.srr0 = a[0];
	r.srr1 = a[1];
	r.tb = a[2];
	r.dec = a[3];
	r.r3 = a[4];
	r.r20 = a[5];
	r.r21 = a[6];
	r.count = a[7];
	return r;
}

static void print_vec(const char *what, const struct vec_report *r)
{
	if (r->nr < 0x7100) { /* not an interrupt vector's report: its first four args */
		printf("# %s: hcall %s args 0x%llx 0x%llx 0x%llx 0x%llx\n", what, hc_name(r->nr),
		       (unsigned long long)r->srr0, (unsigned long long)r->srr1,
		       (unsigned long long)r->tb, (unsigned long long)r->dec);
		return;
	}
	printf("# %s: hcall %s SRR0 0x%llx SRR1 0x%llx TB %llu DEC 0x%llx r3 0x%llx r20 0x%llx "
	       "r21 0x%llx count %llu\n",
	       what, hc_name(r->nr), (unsigned long long)r->srr0, (unsigned long long)r->srr1,
	       (unsigned long long)r->tb, (unsigned long long)r->dec, (unsigned long long)r->r3,
	       (unsigned long long)r->r20, (unsigned long long)r->r21,
	       (unsigned long long)r->count);
}

/* Each case promises its number of checks; an early return reports the rest as failed. */
static int case_end_nr;
static void case_begin(int n)
{
	case_end_nr = tap_nr + n;
}
static void case_end(const char *name)
{
	while (tap_nr < case_end_nr) {
		char buf[96];
		snprintf(buf, sizeof(buf), "%s_aborted", name);
		check(0, buf);
	}
}

/* ---- a vCPU run in its own thread ---- */
struct target_log {
	struct vm *vm;
	int id;
	uint64_t entry;
	volatile int ready;
	int n;
	long nr[8];
	struct vec_report r[8];
	/* what to answer to each report: 0 rfid, or a guest address */
	uint64_t (*answer)(struct target_log *, int i, long nr);
	int stop_after; /* stop once this many hcalls are logged */
	unsigned timeout_ms;
};

static void *target_thread(void *arg)
{
	struct target_log *t = arg;
	struct vcpu *v = &t->vm->v[t->id];
	while (t->n < t->stop_after) {
		long nr = vcpu_run(v, t->timeout_ms);
		t->nr[t->n] = nr;
		t->r[t->n] = vec_report(v, nr);
		t->n++;
		if (nr < 0)
			break;
		if (t->answer)
			v->run->papr_hcall.ret = t->answer(t, t->n - 1, nr);
		if (t->n == 1)
			t->ready = 1;
	}
	t->ready = 1;
	return NULL;
}

static int wait_ready(struct target_log *t, unsigned ms)
{
	for (unsigned i = 0; i < ms && !t->ready; i++)
		usleep(1000);
	return t->ready;
}

static int send_doorbell(struct vm *vm, uint64_t flag, uint64_t delay, uint64_t *send_tb)
{
	struct vcpu *v0 = &vm->v[0];
	long nr;
	*scratch(vm, 0, PAR_FLAG) = flag;
	*scratch(vm, 0, PAR_DELAY) = delay;
	*scratch(vm, 0, PAR_RB) = DBELL_PRIV_RB(1);
	nr = vcpu_run(v0, 5000);
	*send_tb = v0->run->papr_hcall.args[0];
	if (nr != 0x7070) {
		struct vec_report r = vec_report(v0, nr);
		print_vec("vcpu 0, expected 0x7070 after msgsndp", &r);
	}
	return nr == 0x7070;
}

/* ---- a signal into KVM_RUN ---- */
struct delayed_signal {
	pthread_t target;
	unsigned delay_ms;
};

static void *delayed_signal_thread(void *arg)
{
	struct delayed_signal *d = arg;
	usleep(d->delay_ms * 1000);
	pthread_kill(d->target, SIGUSR1);
	return NULL;
}

/*
 * KVM_RUN on @v while another thread sends this thread SIGUSR1 after @ms: 1 if KVM_RUN
 * failed with EINTR and exit_reason KVM_EXIT_INTR, 0 otherwise (said why).
 */
static int run_interrupted_by_signal(struct vcpu *v, unsigned ms)
{
	struct delayed_signal d = { .target = pthread_self(), .delay_ms = ms };
	pthread_t t;
	int r, e;
	watchdog_start(); /* installs the SIGUSR1 handler */
	pthread_create(&t, NULL, delayed_signal_thread, &d);
	r = ioctl(v->fd, KVM_RUN, 0);
	e = errno;
	pthread_join(t, NULL);
	if (r == -1 && e == EINTR && v->run->exit_reason == KVM_EXIT_INTR)
		return 1;
	printf("# KVM_RUN with a signal after %u ms: %d errno %d exit reason %u (hcall 0x%llx)\n",
	       ms, r, r < 0 ? e : 0, v->run->exit_reason,
	       (unsigned long long)v->run->papr_hcall.nr);
	return 0;
}

/* ---- KVM_INTERRUPT ---- */
static int kvm_interrupt(struct vcpu *v, unsigned irq)
{
	struct kvm_interrupt i = { .irq = irq };
	return ioctl(v->fd, KVM_INTERRUPT, &i);
}

struct async_irq {
	struct vcpu *v;
	unsigned delay_ms;
	int r;
};

static void *async_irq_thread(void *arg)
{
	struct async_irq *a = arg;
	usleep(a->delay_ms * 1000);
	a->r = kvm_interrupt(a->v, KVM_INTERRUPT_SET);
	return NULL;
}
