// SPDX-License-Identifier: GPL-2.0
// The arm64 world switch: load a guest's EL1 state under the VHE host, run it until it
// exits, and put the host back exactly as it was. Owns nothing beyond one guest run; does
// not decide what an exit means (the exit table does).
#pragma once

#include "../entry_abi.h"
#include "base.hpp"

namespace kvmx {

// Shared with hyp/entry.S: offsets in entry_abi.h, checked in switch.cpp.
struct EntryFrame {
	u64 x[31];
	u64 sp_el0;
	u64 host_sp_el0;
	u64 host_vbar;
};

// Guest EL1 (and EL0) system registers kvmx context-switches.
struct GuestSysregs {
	u64 sctlr, cpacr, ttbr0, ttbr1, tcr, esr, afsr0, afsr1, far, mair, vbar;
	u64 contextidr, amair, cntkctl, elr, spsr;
	u64 sp_el1, tpidr_el1, tpidr_el0, tpidrro_el0, par, csselr;
	u64 cntv_ctl, cntv_cval;
};

struct GuestCpu {
	EntryFrame frame; // general purpose registers and SP_EL0
	u64 pc;		  // ELR_EL2 at entry/exit
	u64 pstate;	  // SPSR_EL2 at entry/exit
	GuestSysregs sys;
	u64 hcr;	   // HCR_EL2 while this guest runs
	u64 vmpidr, vpidr; // what the guest reads as MPIDR_EL1/MIDR_EL1
};

struct Stage2Hw {
	u64 vttbr; // VMID << 48 | root table PA
	u64 vtcr;
	bool flush_tlb; // invalidate this VMID's stage 1+2 TLB entries first
};

struct ExitInfo {
	u32 code; // KVMX_EXIT_*
	u64 esr, far, hpfar;
};

// Run the guest once. Interrupts must be masked by the caller (an IrqsOff guard).
ExitInfo arm64_world_switch(GuestCpu &cpu, const Stage2Hw &s2);

// HCR_EL2 for an AArch64 guest under the VHE host (ARM ARM D13.2.47).
u64 arm64_guest_hcr();

} // namespace kvmx
