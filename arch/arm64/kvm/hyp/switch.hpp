// SPDX-License-Identifier: GPL-2.0
// The arm64 world switch: load a guest's EL1 state under the VHE host, run it until it
// exits, and put the host back exactly as it was. Owns nothing beyond one guest run; does
// not decide what an exit means (the exit table does).
#pragma once

#include "../entry_abi.h"
#include "../vgic/cpuif.hpp"
#include "base.hpp"

namespace kvmx {

// Shared with hyp/entry.S: offsets in entry_abi.h, checked in switch.cpp.
struct EntryFrame {
	u64 x[31];
	u64 sp_el0;
	u64 host_sp_el0;
	u64 host_vbar;
};

// Guest EL1 (and EL0) system registers the world switch loads and saves, by index. The
// EL1 context (SCTLR_EL1 up to CSSELR_EL1) stays in the hardware after an exit, until the
// vCPU's thread leaves the CPU, KVM_RUN returns or a handler needs it (arm64_el1_sync): no
// VHE host software uses those registers, and upstream defers them to vcpu_put too. The
// rest (EL0 thread registers the host's tasks use, the timers) is switched every run.
enum GuestSysreg : u32 {
	SCTLR_EL1,
	CPACR_EL1,
	TTBR0_EL1,
	TTBR1_EL1,
	TCR_EL1,
	ESR_EL1,
	AFSR0_EL1,
	AFSR1_EL1,
	FAR_EL1,
	MAIR_EL1,
	VBAR_EL1,
	CONTEXTIDR_EL1,
	AMAIR_EL1,
	CNTKCTL_EL1,
	ELR_EL1,
	SPSR_EL1,
	SP_EL1,
	TPIDR_EL1,
	PAR_EL1,
	CSSELR_EL1,
	nr_el1_context, // the registers above are the deferred EL1 context
	TPIDR_EL0 = nr_el1_context,
	TPIDRRO_EL0,
	CNTV_CTL_EL0,
	CNTV_CVAL_EL0,
	CNTP_CTL_EL0,  // the EL1 physical timer: the guest's own hardware timer under VHE, as
	CNTP_CVAL_EL0, // upstream's direct ptimer; CVAL as the guest sees it (cntpoff below)
	nr_guest_sysregs
};

struct GuestSysregs {
	u64 r[nr_guest_sysregs];
};

// Guest FP/SIMD registers (V0-V31, FPSR, FPCR), saved and loaded by entry.S.
struct alignas(16) FpState {
	u64 v[64]; // V<n> = v[2n] (low) | v[2n+1] (high)
	u64 fpsr, fpcr;
};

// Guest debug registers: breakpoint/watchpoint value and control registers and MDSCR_EL1.
// Kept here while trapped (MDCR_EL2.TDA); loaded into the hardware for the guest once it
// uses them (GuestCpu::debug_hw) and saved back at every exit.
struct GuestDebug {
	u64 bvr[16], bcr[16], wvr[16], wcr[16];
	u64 mdscr;
};

// AArch32 EL1 state with no AArch64 EL1 register behind it (ARM ARM D1.20.2): the
// banked SPSRs of the abort, undefined, IRQ and FIQ modes, DACR, IFSR and FPEXC. Loaded
// into the hardware only for a vCPU whose EL1 is AArch32; storage (for a VMM's save and
// restore) otherwise. Their SVC/EL1 siblings (SPSR_svc, DFSR, DFAR/IFAR...) are the
// AArch64 EL1 registers in GuestSysregs.
enum Aarch32Reg : u32 {
	SPSR_ABT,
	SPSR_UND,
	SPSR_IRQ,
	SPSR_FIQ,
	DACR32_EL2,
	IFSR32_EL2,
	FPEXC32_EL2,
	nr_aarch32_regs
};

struct GuestCpu {
	EntryFrame frame; // general purpose registers and SP_EL0
	u64 pc;		  // ELR_EL2 at entry/exit
	u64 pstate;	  // SPSR_EL2 at entry/exit
	GuestSysregs sys;
	u64 hcr;	   // HCR_EL2 while this guest runs
	u64 vmpidr, vpidr; // what the guest reads as MPIDR_EL1/MIDR_EL1
	u64 cntvoff;	   // CNTVOFF_EL2: guest virtual counter = physical - cntvoff
	// Guest physical counter = physical - cntpoff (KVM_REG_ARM_PTIMER_CNT). Without
	// FEAT_ECV's CNTPOFF_EL2 a nonzero offset is kvmx's to apply: the guest's CNTPCT_EL0
	// and CNTP_* accesses trap (timer.cpp emulates them) and the hardware CVAL is the
	// guest's plus the offset while it runs.
	u64 cntpoff;
	FpState fp;
	bool fp_live; // the guest owns the FP/SIMD registers: load/save them, no trap
	// The EL1 context (GuestSysreg < nr_el1_context) is in this CPU's registers, and
	// sys.r's copies of it are stale until arm64_el1_sync. Set by the world switch;
	// only the vCPU's thread reads or clears it, on the CPU that holds the registers
	// (a sched-out hook syncs before the thread may run elsewhere).
	bool el1_live;
	bool el1_defer; // keep the EL1 context live after exits (the host's sched-out hook
			// is registered for the thread while it runs the guest)
	GuestDebug dbg;
	bool debug_hw;	   // load dbg into the hardware for this run (no debug traps)
	bool vmm_step;	   // KVM_SET_GUEST_DEBUG single-step: step one instruction to EL2
	bool vmm_debug;	   // KVM_SET_GUEST_DEBUG enabled: debug exceptions go to EL2 (TDE)
	bool step_pending; // vmm_step: the instruction was stepped, the exception is due
	bool el1_aarch32;  // KVM_ARM_VCPU_EL1_32BIT: EL1 runs AArch32 (HCR_EL2.RW = 0)
	u64 a32[nr_aarch32_regs];
	// The in-kernel vGIC's virtual CPU interface for this run (ICH_*_EL2), or nullptr:
	// then the interface stays off (ICH_HCR_EL2 0) and the guest has no GICv3 of its own.
	VgicCpuIf *gic;
	u32 gic_nr_apr; // ICH_AP0R<n>/AP1R<n>_EL2 in use: 1, 2 or 4 (ICH_VTR_EL2.PREbits)
	// No vGIC on a host whose GICv3 has the virtualization registers: every ICC_* access
	// of the guest traps (and is refused), as upstream 6.12 does for a VM without GICv3.
	bool gic_trap_all;
	// What the world switch left in the GIC's registers with the EL1 context (el1_live):
	// the interface's controls (ICC_SRE_EL2.Enable clear, ICH_HCR_EL2, the active
	// priorities) stay for the next run, as upstream's vgic_v3_load/put; ICH_VMCR_EL2 is
	// read back at every exit and written again only when it changed.
	u8 gic_live_mode; // 0: nothing loaded, 1: the vGIC interface, 2: gic_trap_all traps
	u32 gic_hw_hcr;	  // ICH_HCR_EL2 as last written
	u32 gic_hw_vmcr;  // ICH_VMCR_EL2 as last written or read
	u64 gic_host_sre; // the host's ICC_SRE_EL2, put back when the context is saved
	// The EL1 timers' registers (CNTV_CTL_EL0 .. CNTP_CVAL_EL0, in GuestSysreg order)
	// and CNTVOFF_EL2 as the hardware holds them, while el1_live.
	u64 timer_hw[4];
	u64 hw_cntvoff;
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
// Make sys.r the guest's EL1 context again: if the world switch left it live in this
// CPU's registers, save them (the next run loads them back). Before any read or write of
// those registers outside the world switch; with interrupts masked (the caller's) or
// from the sched-out hook.
void arm64_el1_sync(GuestCpu &cpu);

// HCR_EL2 bits (ARM ARM D13.2.47).
constexpr u64 HCR_VM = 1ULL << 0, HCR_SWIO = 1ULL << 1, HCR_PTW = 1ULL << 2;
constexpr u64 HCR_FMO = 1ULL << 3, HCR_IMO = 1ULL << 4, HCR_AMO = 1ULL << 5;
constexpr u64 HCR_VF = 1ULL << 6, HCR_VI = 1ULL << 7, HCR_VSE = 1ULL << 8;
constexpr u64 HCR_FB = 1ULL << 9, HCR_BSU_IS = 1ULL << 10, HCR_TWI = 1ULL << 13;
constexpr u64 HCR_TWE = 1ULL << 14, HCR_TID2 = 1ULL << 17, HCR_TID3 = 1ULL << 18,
	      HCR_TSC = 1ULL << 19;
constexpr u64 HCR_TIDCP = 1ULL << 20, HCR_TACR = 1ULL << 21, HCR_TSW = 1ULL << 22;
constexpr u64 HCR_RW = 1ULL << 31, HCR_E2H = 1ULL << 34, HCR_TLOR = 1ULL << 35;
constexpr u64 HCR_TERR = 1ULL << 36, HCR_TID4 = 1ULL << 49, HCR_TTLBOS = 1ULL << 55;

// HCR_EL2 for an AArch64 guest under the VHE host: stage 2 on, physical interrupts to
// EL2 (virtual ones to the guest), WFI/WFE, ID-register, SMC, implementation-defined,
// ACTLR, set/way, LORegion and RAS-register accesses trapped.
constexpr u64 arm64_guest_hcr()
{
	return HCR_VM | HCR_SWIO | HCR_PTW | HCR_FMO | HCR_IMO | HCR_AMO | HCR_FB | HCR_BSU_IS |
	       HCR_TWI | HCR_TWE | HCR_TID3 | HCR_TSC | HCR_TIDCP | HCR_TACR | HCR_TSW | HCR_RW |
	       HCR_E2H | HCR_TLOR | HCR_TERR;
}

// Stage-2 TLB maintenance for a VMID (vttbr = VMID << 48 | root), broadcast to every
// CPU: all of the VMID's stage 1 and 2 entries. Any context; masks IRQs itself.
void arm64_tlb_flush_vmid(u64 vttbr);
// Make a page just written through the host's linear map coherent for instruction
// fetches by the guest.
void arm64_sync_icache(const void *va, u64 size);
// The physical counter (CNTPCT_EL0) and its frequency.
u64 arm64_counter();
u64 arm64_counter_freq();

} // namespace kvmx
