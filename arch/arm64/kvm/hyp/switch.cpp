// SPDX-License-Identifier: GPL-2.0
// The world switch under a VHE host (HCR_EL2.E2H=1): the host kernel itself is the EL2
// software, so guest EL1 registers are reached through the _EL12 aliases and only state
// the guest can clobber is saved: SP_EL0 (the kernel's `current`, done in entry.S),
// TPIDR_EL0/TPIDRRO_EL0, HCR_EL2, CPTR_EL2. Must run with IRQs masked.
#include "switch.hpp"
#include "sysreg.hpp"

extern "C" kvmx::u64 kvmx_arm64_enter_guest(kvmx::EntryFrame *frame);
extern "C" void kvmx_arm64_fpsimd_save(kvmx::FpState *fp);
extern "C" void kvmx_arm64_fpsimd_load(const kvmx::FpState *fp);

namespace kvmx {

static_assert(__builtin_offsetof(EntryFrame, x) == KVMX_FRAME_X0, "entry_abi.h");
static_assert(__builtin_offsetof(EntryFrame, sp_el0) == KVMX_FRAME_SP_EL0, "entry_abi.h");
static_assert(__builtin_offsetof(EntryFrame, host_sp_el0) == KVMX_FRAME_HOST_SP_EL0, "entry_abi.h");
static_assert(__builtin_offsetof(EntryFrame, host_vbar) == KVMX_FRAME_HOST_VBAR, "entry_abi.h");
static_assert(sizeof(EntryFrame) == KVMX_FRAME_SIZE, "entry_abi.h");
static_assert(__builtin_offsetof(FpState, fpsr) == KVMX_FP_FPSR, "entry_abi.h");
static_assert(__builtin_offsetof(FpState, fpcr) == KVMX_FP_FPCR, "entry_abi.h");
static_assert(sizeof(FpState) == KVMX_FP_SIZE, "entry_abi.h");

namespace {

// CPTR_EL2 in its E2H=1 (CPACR-like) layout: FPEN, ZEN, SMEN all 0b00 trap FP/SIMD, SVE
// and SME at EL0/EL1; TTA (bit 28) traps trace registers. FPEN = 0b11 once the guest
// owns the FP/SIMD registers.
constexpr u64 CPTR_GUEST = 1ULL << 28;
constexpr u64 CPTR_FPEN = 3ULL << 20;

// Where each guest register lives while the guest runs, in GuestSysreg order.
#define KVMX_GUEST_SYSREGS(X)                                                                      \
	X(SCTLR_EL1, SCTLR_EL12) X(CPACR_EL1, CPACR_EL12) X(TTBR0_EL1, TTBR0_EL12)                 \
	X(TTBR1_EL1, TTBR1_EL12) X(TCR_EL1, TCR_EL12) X(ESR_EL1, ESR_EL12)                         \
	X(AFSR0_EL1, AFSR0_EL12) X(AFSR1_EL1, AFSR1_EL12) X(FAR_EL1, FAR_EL12)                     \
	X(MAIR_EL1, MAIR_EL12) X(VBAR_EL1, VBAR_EL12) X(CONTEXTIDR_EL1, CONTEXTIDR_EL12)           \
	X(AMAIR_EL1, AMAIR_EL12) X(CNTKCTL_EL1, CNTKCTL_EL12) X(ELR_EL1, ELR_EL12)                 \
	X(SPSR_EL1, SPSR_EL12) X(SP_EL1, sp_el1) X(TPIDR_EL1, tpidr_el1) X(TPIDR_EL0, tpidr_el0)   \
	X(TPIDRRO_EL0, tpidrro_el0) X(PAR_EL1, par_el1) X(CSSELR_EL1, csselr_el1)                  \
	X(CNTV_CVAL_EL0, CNTV_CVAL_EL02) X(CNTV_CTL_EL0, CNTV_CTL_EL02)

void load_sysregs(const GuestSysregs &s)
{
#define KVMX_LOAD(idx, reg) kvmx_write_sysreg(s.r[idx], reg);
	KVMX_GUEST_SYSREGS(KVMX_LOAD)
#undef KVMX_LOAD
}

void save_sysregs(GuestSysregs &s)
{
#define KVMX_SAVE(idx, reg) s.r[idx] = kvmx_read_sysreg(reg);
	KVMX_GUEST_SYSREGS(KVMX_SAVE)
#undef KVMX_SAVE
	// The EL1 virtual timer must not raise its PPI at the host once the guest is out.
	kvmx_write_sysreg(0, CNTV_CTL_EL02);
}

// MDCR_EL2 (D13.2.77) while a guest runs: keep the host's HPMN, trap debug, OS lock,
// ROM table, PMU, SPE and trace-filter accesses, route debug exceptions to the guest.
constexpr u64 MDCR_HPMN = 0x1f, MDCR_TPMCR = 1ULL << 5, MDCR_TPM = 1ULL << 6;
constexpr u64 MDCR_TDA = 1ULL << 9, MDCR_TDOSA = 1ULL << 10, MDCR_TDRA = 1ULL << 11;
constexpr u64 MDCR_TPMS = 1ULL << 14, MDCR_TTRF = 1ULL << 19;

u64 guest_mdcr(u64 host_mdcr)
{
	return (host_mdcr & MDCR_HPMN) | MDCR_TPMCR | MDCR_TPM | MDCR_TDA | MDCR_TDOSA |
	       MDCR_TDRA | MDCR_TPMS | MDCR_TTRF;
}

} // namespace

ExitInfo arm64_world_switch(GuestCpu &cpu, const Stage2Hw &s2)
{
	const u64 host_hcr = kvmx_read_sysreg(hcr_el2);
	const u64 host_cptr = kvmx_read_sysreg(cpacr_el1); // CPTR_EL2 under E2H
	const u64 host_tpidr_el0 = kvmx_read_sysreg(tpidr_el0);
	const u64 host_tpidrro_el0 = kvmx_read_sysreg(tpidrro_el0);
	const u64 host_mdcr = kvmx_read_sysreg(mdcr_el2);
	ExitInfo info;

	if (cpu.fp_live)
		kvmx_arm64_fpsimd_load(&cpu.fp);
	load_sysregs(cpu.sys);
	kvmx_write_sysreg(cpu.cntvoff, cntvoff_el2);
	kvmx_write_sysreg(guest_mdcr(host_mdcr), mdcr_el2);
	kvmx_write_sysreg(cpu.vpidr, vpidr_el2);
	kvmx_write_sysreg(cpu.vmpidr, vmpidr_el2);
	kvmx_write_sysreg(s2.vtcr, vtcr_el2);
	kvmx_write_sysreg(s2.vttbr, vttbr_el2);
	kvmx_write_sysreg(cpu.hcr, hcr_el2); // TGE=0 from here: TLBIs below hit the guest regime
	isb();
	if (s2.flush_tlb) {
		// This CPU may hold this VMID's entries from another of the VM's vCPUs
		// (guest TLBIs without broadcast only reached the CPU they ran on).
		asm volatile("tlbi vmalls12e1\n\tdsb nsh" ::: "memory");
		isb();
	}
	kvmx_write_sysreg(CPTR_GUEST | (cpu.fp_live ? CPTR_FPEN : 0), cpacr_el1);
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
	kvmx_write_sysreg(host_mdcr, mdcr_el2);
	kvmx_write_sysreg(host_tpidr_el0, tpidr_el0);
	kvmx_write_sysreg(host_tpidrro_el0, tpidrro_el0);
	isb();
	if (cpu.fp_live)
		kvmx_arm64_fpsimd_save(&cpu.fp);
	return info;
}

} // namespace kvmx
