/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The call into the kernel's P9 guest entry, and the way back from real mode.
 *
 * void kvmx_ppc_enter_guest(void *kvm_vcpu, unsigned long enter_fn,
 *                           unsigned long realmode_ret)
 *   r3 = the struct kvm_vcpu-shaped block, r4 = kvmppc_p9_enter_guest, r5 = the linear
 *   (real-mode reachable) alias of kvmx_ppc_realmode_return below. Interrupts hard-
 *   disabled, PACA in-guest state set, HSRR0/HSRR1 and the guest MMU loaded by the caller.
 *
 * kvmppc_p9_enter_guest returns through the kernel's interrupt entry, which runs in real
 * mode (an interrupt from a guest never relocates on POWER9), to whatever LR held when it
 * was called. Module text lives in vmalloc space, which real mode cannot fetch from, so
 * LR is set to the linear-map alias of kvmx_ppc_realmode_return: real mode ignores the
 * top four bits of the effective address, so that alias reaches this very page. The stub
 * turns translation back on with the MSR saved here and continues at 2: below.
 * Clobbers the volatile registers; r14-r31, CR fields 2-4 and r1 are restored by the
 * kernel's exit path (it saved them on entry), r2 here.
 */
#define FRAME		48
#define FRAME_TOC	24
#define FRAME_MSR	32
#define FRAME_CONT	40
#define SPRN_HSRR0	314
#define SPRN_HSRR1	315

	.text

	/* Real mode, r1 = the frame of kvmx_ppc_enter_guest. Must not cross a page. */
	.balign	64
	.globl	kvmx_ppc_realmode_return
kvmx_ppc_realmode_return:
	ld	11, FRAME_MSR(1)
	ld	12, FRAME_CONT(1)
	mtspr	SPRN_HSRR1, 11
	mtspr	SPRN_HSRR0, 12
	hrfid
	b	.

	.balign	16
	.globl	kvmx_ppc_enter_guest
	.type	kvmx_ppc_enter_guest, @function
kvmx_ppc_enter_guest:
	mflr	0
	std	0, 16(1)
	stdu	1, -FRAME(1)
	std	2, FRAME_TOC(1)
	mfmsr	11
	std	11, FRAME_MSR(1)
	bcl	20, 31, 1f
1:	mflr	12
	addi	12, 12, (2f - 1b)
	std	12, FRAME_CONT(1)
	mtlr	5
	mtctr	4
	mr	12, 4
	bctr
2:	ld	2, FRAME_TOC(1)
	addi	1, 1, FRAME
	ld	0, 16(1)
	mtlr	0
	blr
	.size	kvmx_ppc_enter_guest, . - kvmx_ppc_enter_guest
