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

/* Return values of kvmx_arm64_enter_guest: which vector the guest exit came through. */
#define KVMX_EXIT_SYNC 1    /* synchronous exception from the guest (ESR_EL2 says which) */
#define KVMX_EXIT_IRQ 2	    /* physical IRQ while the guest ran */
#define KVMX_EXIT_FIQ 3	    /* physical FIQ while the guest ran */
#define KVMX_EXIT_SERROR 4  /* SError while the guest ran */
#define KVMX_EXIT_AARCH32 5 /* any exception from AArch32 (never allowed: HCR_EL2.RW=1) */

#endif
