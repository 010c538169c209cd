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
	guest_vector KVMX_EXIT_AARCH32	// lower EL, AArch32
	guest_vector KVMX_EXIT_AARCH32
	guest_vector KVMX_EXIT_AARCH32
	guest_vector KVMX_EXIT_AARCH32
SYM_CODE_END(kvmx_arm64_vectors)
