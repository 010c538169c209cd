/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest entry and the EL2 exception vectors kvmx installs only while a guest runs.
 *
 * u64 kvmx_arm64_enter_guest(struct EntryFrame *frame)
 *   in:  x0 = frame. IRQs masked. ELR_EL2/SPSR_EL2 hold the guest PC/PSTATE, and
 *        HCR_EL2, VTTBR_EL2, VTCR_EL2, CPTR_EL2 and the guest EL1 state are loaded.
 *   out: x0 = KVMX_EXIT_* (entry_abi.h); frame->x[] and frame->sp_el0 hold the guest's
 *        values; host SP_EL0 and VBAR_EL2 are back. ESR/FAR/HPFAR/ELR/SPSR_EL2 are as
 *        the exception left them.
 *   clobbers: x0-x18 (caller-saved); x19-x30 and sp are preserved.
 * VBAR_EL2 points at our vectors only between the eret and the exception that ends the
 * guest run: no host code runs under them.
 */
#include <linux/linkage.h>
#include <asm/assembler.h>
#include "../entry_abi.h"

	.text

SYM_FUNC_START(kvmx_arm64_enter_guest)
	hint	#34			// BTI c: we are called through a pointer-safe bl
	stp	x29, x30, [sp, #-96]!
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	str	x0, [sp, #-16]!		// the frame, for the vectors: [sp] on exit

	mrs	x1, sp_el0
	str	x1, [x0, #KVMX_FRAME_HOST_SP_EL0]
	ldr	x1, [x0, #KVMX_FRAME_SP_EL0]
	msr	sp_el0, x1
	mrs	x1, vbar_el2
	str	x1, [x0, #KVMX_FRAME_HOST_VBAR]
	adr_l	x1, kvmx_arm64_vectors
	msr	vbar_el2, x1
	isb

	ldp	x2, x3, [x0, #16]
	ldp	x4, x5, [x0, #32]
	ldp	x6, x7, [x0, #48]
	ldp	x8, x9, [x0, #64]
	ldp	x10, x11, [x0, #80]
	ldp	x12, x13, [x0, #96]
	ldp	x14, x15, [x0, #112]
	ldp	x16, x17, [x0, #128]
	ldp	x18, x19, [x0, #144]
	ldp	x20, x21, [x0, #160]
	ldp	x22, x23, [x0, #176]
	ldp	x24, x25, [x0, #192]
	ldp	x26, x27, [x0, #208]
	ldp	x28, x29, [x0, #224]
	ldr	x30, [x0, #240]
	ldp	x0, x1, [x0]
	eret
	dsb	nsh			// no speculation past the eret
	isb
SYM_FUNC_END(kvmx_arm64_enter_guest)

/* Exit: guest x0/x1 are on the stack above the frame pointer, x1 = exit code. */
SYM_CODE_START_LOCAL(kvmx_arm64_exit)
	ldr	x0, [sp, #16]		// frame
	stp	x2, x3, [x0, #16]
	stp	x4, x5, [x0, #32]
	stp	x6, x7, [x0, #48]
	stp	x8, x9, [x0, #64]
	stp	x10, x11, [x0, #80]
	stp	x12, x13, [x0, #96]
	stp	x14, x15, [x0, #112]
	stp	x16, x17, [x0, #128]
	stp	x18, x19, [x0, #144]
	stp	x20, x21, [x0, #160]
	stp	x22, x23, [x0, #176]
	stp	x24, x25, [x0, #192]
	stp	x26, x27, [x0, #208]
	stp	x28, x29, [x0, #224]
	str	x30, [x0, #240]
	ldp	x2, x3, [sp], #16	// guest x0, x1
	stp	x2, x3, [x0]

	ldr	x2, [x0, #KVMX_FRAME_HOST_VBAR]
	msr	vbar_el2, x2
	mrs	x2, sp_el0
	str	x2, [x0, #KVMX_FRAME_SP_EL0]
	ldr	x2, [x0, #KVMX_FRAME_HOST_SP_EL0]
	msr	sp_el0, x2
	isb

	mov	x0, x1
	add	sp, sp, #16		// drop the frame pointer slot
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	x29, x30, [sp], #96
	ret
SYM_CODE_END(kvmx_arm64_exit)

/* A vector from the guest: stash x0/x1, name the exit, go to the common exit. */
.macro guest_vector code
	.align 7
	stp	x0, x1, [sp, #-16]!
	mov	x1, #\code
	b	kvmx_arm64_exit
.endm

/* A vector for an exception taken at EL2 while ours are live: never expected. */
.macro host_vector
	.align 7
	b	.
.endm

	.align 11
SYM_CODE_START(kvmx_arm64_vectors)
	host_vector			// current EL, SP_EL0: sync, irq, fiq, serror
	host_vector
	host_vector
	host_vector
	host_vector			// current EL, SP_ELx
	host_vector
	host_vector
	host_vector
	guest_vector KVMX_EXIT_SYNC	// lower EL, AArch64
	guest_vector KVMX_EXIT_IRQ
	guest_vector KVMX_EXIT_FIQ
	guest_vector KVMX_EXIT_SERROR
	guest_vector (KVMX_EXIT_AARCH32 | KVMX_EXIT_SYNC)	// lower EL, AArch32
	guest_vector (KVMX_EXIT_AARCH32 | KVMX_EXIT_IRQ)
	guest_vector (KVMX_EXIT_AARCH32 | KVMX_EXIT_FIQ)
	guest_vector (KVMX_EXIT_AARCH32 | KVMX_EXIT_SERROR)
SYM_CODE_END(kvmx_arm64_vectors)

/*
 * void kvmx_arm64_fpsimd_save(struct FpState *fp)
 * void kvmx_arm64_fpsimd_load(const struct FpState *fp)
 *   in:  x0 = fp (16-byte aligned): V0-V31 at 0..511, FPSR at 512, FPCR at 520.
 *   The caller owns the CPU's FP/SIMD registers (kernel_neon_begin) and FP/SIMD does not
 *   trap at EL2. clobbers: x1 and, for load, V0-V31/FPSR/FPCR.
 */
SYM_FUNC_START(kvmx_arm64_fpsimd_save)
	hint	#34
	stp	q0, q1, [x0, #0]
	stp	q2, q3, [x0, #32]
	stp	q4, q5, [x0, #64]
	stp	q6, q7, [x0, #96]
	stp	q8, q9, [x0, #128]
	stp	q10, q11, [x0, #160]
	stp	q12, q13, [x0, #192]
	stp	q14, q15, [x0, #224]
	stp	q16, q17, [x0, #256]
	stp	q18, q19, [x0, #288]
	stp	q20, q21, [x0, #320]
	stp	q22, q23, [x0, #352]
	stp	q24, q25, [x0, #384]
	stp	q26, q27, [x0, #416]
	stp	q28, q29, [x0, #448]
	stp	q30, q31, [x0, #480]
	mrs	x1, fpsr
	str	x1, [x0, #KVMX_FP_FPSR]
	mrs	x1, fpcr
	str	x1, [x0, #KVMX_FP_FPCR]
	ret
SYM_FUNC_END(kvmx_arm64_fpsimd_save)

SYM_FUNC_START(kvmx_arm64_fpsimd_load)
	hint	#34
	ldp	q0, q1, [x0, #0]
	ldp	q2, q3, [x0, #32]
	ldp	q4, q5, [x0, #64]
	ldp	q6, q7, [x0, #96]
	ldp	q8, q9, [x0, #128]
	ldp	q10, q11, [x0, #160]
	ldp	q12, q13, [x0, #192]
	ldp	q14, q15, [x0, #224]
	ldp	q16, q17, [x0, #256]
	ldp	q18, q19, [x0, #288]
	ldp	q20, q21, [x0, #320]
	ldp	q22, q23, [x0, #352]
	ldp	q24, q25, [x0, #384]
	ldp	q26, q27, [x0, #416]
	ldp	q28, q29, [x0, #448]
	ldp	q30, q31, [x0, #480]
	ldr	x1, [x0, #KVMX_FP_FPSR]
	msr	fpsr, x1
	ldr	x1, [x0, #KVMX_FP_FPCR]
	msr	fpcr, x1
	ret
SYM_FUNC_END(kvmx_arm64_fpsimd_load)
