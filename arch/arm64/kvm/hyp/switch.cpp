// SPDX-License-Identifier: GPL-2.0
// The world switch under a VHE host (HCR_EL2.E2H=1): the host kernel itself is the EL2
// software, so guest EL1 registers are reached through the _EL12 aliases and only state
// the guest can clobber is saved: SP_EL0 (the kernel's `current`, done in entry.S),
// TPIDR_EL0/TPIDRRO_EL0, HCR_EL2, CPTR_EL2. Must run with IRQs masked.
#include "switch.hpp"
#include "sysreg.hpp"

extern "C" kvmx::u64 kvmx_arm64_enter_guest(kvmx::EntryFrame *frame);

namespace kvmx {

static_assert(__builtin_offsetof(EntryFrame, x) == KVMX_FRAME_X0, "entry_abi.h");
static_assert(__builtin_offsetof(EntryFrame, sp_el0) == KVMX_FRAME_SP_EL0, "entry_abi.h");
static_assert(__builtin_offsetof(EntryFrame, host_sp_el0) == KVMX_FRAME_HOST_SP_EL0, "entry_abi.h");
static_assert(__builtin_offsetof(EntryFrame, host_vbar) == KVMX_FRAME_HOST_VBAR, "entry_abi.h");
static_assert(sizeof(EntryFrame) == KVMX_FRAME_SIZE, "entry_abi.h");

namespace {

// HCR_EL2 bits (ARM ARM D13.2.47).
constexpr u64 HCR_VM = 1ULL << 0, HCR_SWIO = 1ULL << 1, HCR_PTW = 1ULL << 2;
constexpr u64 HCR_FMO = 1ULL << 3, HCR_IMO = 1ULL << 4, HCR_AMO = 1ULL << 5;
constexpr u64 HCR_FB = 1ULL << 9, HCR_BSU_IS = 1ULL << 10, HCR_TWI = 1ULL << 13;
constexpr u64 HCR_TWE = 1ULL << 14, HCR_TID3 = 1ULL << 18, HCR_TSC = 1ULL << 19;
constexpr u64 HCR_TIDCP = 1ULL << 20, HCR_TACR = 1ULL << 21, HCR_TSW = 1ULL << 22;
constexpr u64 HCR_RW = 1ULL << 31, HCR_E2H = 1ULL << 34, HCR_TLOR = 1ULL << 35;
constexpr u64 HCR_TERR = 1ULL << 36;

// CPTR_EL2 in its E2H=1 (CPACR-like) layout: FPEN, ZEN, SMEN all 0b00 trap FP/SIMD, SVE
// and SME at EL0/EL1; TTA (bit 28) traps trace registers.
constexpr u64 CPTR_GUEST = 1ULL << 28;

void load_sysregs(const GuestSysregs &s)
{
	kvmx_write_sysreg(s.sctlr, SCTLR_EL12);
	kvmx_write_sysreg(s.cpacr, CPACR_EL12);
	kvmx_write_sysreg(s.ttbr0, TTBR0_EL12);
	kvmx_write_sysreg(s.ttbr1, TTBR1_EL12);
	kvmx_write_sysreg(s.tcr, TCR_EL12);
	kvmx_write_sysreg(s.esr, ESR_EL12);
	kvmx_write_sysreg(s.afsr0, AFSR0_EL12);
	kvmx_write_sysreg(s.afsr1, AFSR1_EL12);
	kvmx_write_sysreg(s.far, FAR_EL12);
	kvmx_write_sysreg(s.mair, MAIR_EL12);
	kvmx_write_sysreg(s.vbar, VBAR_EL12);
	kvmx_write_sysreg(s.contextidr, CONTEXTIDR_EL12);
	kvmx_write_sysreg(s.amair, AMAIR_EL12);
	kvmx_write_sysreg(s.cntkctl, CNTKCTL_EL12);
	kvmx_write_sysreg(s.elr, ELR_EL12);
	kvmx_write_sysreg(s.spsr, SPSR_EL12);
	kvmx_write_sysreg(s.sp_el1, sp_el1);
	kvmx_write_sysreg(s.tpidr_el1, tpidr_el1);
	kvmx_write_sysreg(s.tpidr_el0, tpidr_el0);
	kvmx_write_sysreg(s.tpidrro_el0, tpidrro_el0);
	kvmx_write_sysreg(s.par, par_el1);
	kvmx_write_sysreg(s.csselr, csselr_el1);
	kvmx_write_sysreg(s.cntv_cval, CNTV_CVAL_EL02);
	kvmx_write_sysreg(s.cntv_ctl, CNTV_CTL_EL02);
}

void save_sysregs(GuestSysregs &s)
{
	s.sctlr = kvmx_read_sysreg(SCTLR_EL12);
	s.cpacr = kvmx_read_sysreg(CPACR_EL12);
	s.ttbr0 = kvmx_read_sysreg(TTBR0_EL12);
	s.ttbr1 = kvmx_read_sysreg(TTBR1_EL12);
	s.tcr = kvmx_read_sysreg(TCR_EL12);
	s.esr = kvmx_read_sysreg(ESR_EL12);
	s.afsr0 = kvmx_read_sysreg(AFSR0_EL12);
	s.afsr1 = kvmx_read_sysreg(AFSR1_EL12);
	s.far = kvmx_read_sysreg(FAR_EL12);
	s.mair = kvmx_read_sysreg(MAIR_EL12);
	s.vbar = kvmx_read_sysreg(VBAR_EL12);
	s.contextidr = kvmx_read_sysreg(CONTEXTIDR_EL12);
	s.amair = kvmx_read_sysreg(AMAIR_EL12);
	s.cntkctl = kvmx_read_sysreg(CNTKCTL_EL12);
	s.elr = kvmx_read_sysreg(ELR_EL12);
	s.spsr = kvmx_read_sysreg(SPSR_EL12);
	s.sp_el1 = kvmx_read_sysreg(sp_el1);
	s.tpidr_el1 = kvmx_read_sysreg(tpidr_el1);
	s.tpidr_el0 = kvmx_read_sysreg(tpidr_el0);
	s.tpidrro_el0 = kvmx_read_sysreg(tpidrro_el0);
	s.par = kvmx_read_sysreg(par_el1);
	s.csselr = kvmx_read_sysreg(csselr_el1);
	s.cntv_ctl = kvmx_read_sysreg(CNTV_CTL_EL02);
	s.cntv_cval = kvmx_read_sysreg(CNTV_CVAL_EL02);
	// The EL1 virtual timer must not raise its PPI at the host once the guest is out.
	kvmx_write_sysreg(0, CNTV_CTL_EL02);
}

} // namespace

u64 arm64_guest_hcr()
{
	return HCR_VM | HCR_SWIO | HCR_PTW | HCR_FMO | HCR_IMO | HCR_AMO | HCR_FB | HCR_BSU_IS |
	       HCR_TWI | HCR_TWE | HCR_TID3 | HCR_TSC | HCR_TIDCP | HCR_TACR | HCR_TSW | HCR_RW |
	       HCR_E2H | HCR_TLOR | HCR_TERR;
}

ExitInfo arm64_world_switch(GuestCpu &cpu, const Stage2Hw &s2)
{
	const u64 host_hcr = kvmx_read_sysreg(hcr_el2);
	const u64 host_cptr = kvmx_read_sysreg(cpacr_el1); // CPTR_EL2 under E2H
	const u64 host_tpidr_el0 = kvmx_read_sysreg(tpidr_el0);
	const u64 host_tpidrro_el0 = kvmx_read_sysreg(tpidrro_el0);
	ExitInfo info;

	load_sysregs(cpu.sys);
	kvmx_write_sysreg(cpu.vpidr, vpidr_el2);
	kvmx_write_sysreg(cpu.vmpidr, vmpidr_el2);
	kvmx_write_sysreg(s2.vtcr, vtcr_el2);
	kvmx_write_sysreg(s2.vttbr, vttbr_el2);
	kvmx_write_sysreg(cpu.hcr, hcr_el2); // TGE=0 from here: TLBIs below hit the guest regime
	isb();
	if (s2.flush_tlb) {
		asm volatile("tlbi vmalls12e1is" ::: "memory");
		dsb_ish();
		isb();
	}
	kvmx_write_sysreg(CPTR_GUEST, cpacr_el1);
	kvmx_write_sysreg(cpu.pc, elr_el2);
	kvmx_write_sysreg(cpu.pstate, spsr_el2);

	info.code = static_cast<u32>(kvmx_arm64_enter_guest(&cpu.frame));

	info.esr = kvmx_read_sysreg(esr_el2);
	info.far = kvmx_read_sysreg(far_el2);
	info.hpfar = kvmx_read_sysreg(hpfar_el2);
	cpu.pc = kvmx_read_sysreg(elr_el2);
	cpu.pstate = kvmx_read_sysreg(spsr_el2);
	save_sysregs(cpu.sys);

	kvmx_write_sysreg(host_hcr, hcr_el2);
	kvmx_write_sysreg(host_cptr, cpacr_el1);
	kvmx_write_sysreg(host_tpidr_el0, tpidr_el0);
	kvmx_write_sysreg(host_tpidrro_el0, tpidrro_el0);
	isb();
	return info;
}

} // namespace kvmx
