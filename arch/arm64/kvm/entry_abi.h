/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The contract between hyp/entry.S and the C++ world switch: the layout of struct
 * EntryFrame and the exit codes. Included by assembly and C++ alike; switch.cpp checks
 * every offset against the struct with static_assert, so the two cannot drift.
 */
#ifndef KVMX_ARM64_ENTRY_ABI_H
#define KVMX_ARM64_ENTRY_ABI_H

/* struct EntryFrame (arch/arm64/kvm/hyp/switch.hpp) */
#define KVMX_FRAME_X0 0		   /* u64 x[31]: guest x0..x30 */
#define KVMX_FRAME_SP_EL0 248	   /* guest SP_EL0 */
#define KVMX_FRAME_HOST_SP_EL0 256 /* host SP_EL0 (the kernel's `current`) */
#define KVMX_FRAME_HOST_VBAR 264   /* host VBAR_EL2, restored on exit */
#define KVMX_FRAME_SIZE 272

/* struct FpState (arch/arm64/kvm/hyp/switch.hpp): V0-V31 from offset 0 */
#define KVMX_FP_FPSR 512
#define KVMX_FP_FPCR 520
#define KVMX_FP_SIZE 528

/* Return values of kvmx_arm64_enter_guest: which vector the guest exit came through. */
#define KVMX_EXIT_SYNC 1   /* synchronous exception from the guest (ESR_EL2 says which) */
#define KVMX_EXIT_IRQ 2	   /* physical IRQ while the guest ran */
#define KVMX_EXIT_FIQ 3	   /* physical FIQ while the guest ran */
#define KVMX_EXIT_SERROR 4 /* SError while the guest ran */
#define KVMX_EXIT_TYPE_MASK 7
/* Or-ed in when the guest was in AArch32 (EL0 only: HCR_EL2.RW=1 keeps EL1 AArch64). */
#define KVMX_EXIT_AARCH32 8

#endif
