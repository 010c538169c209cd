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

// Where each guest register lives while the guest runs, in GuestSysreg order: the EL1
// context, then the registers switched on every run.
// The tables read better in rows than reflowed:
// clang-format off
#define KVMX_GUEST_EL1_CONTEXT(X)                                                                  \
	X(SCTLR_EL1, SCTLR_EL12) X(CPACR_EL1, CPACR_EL12) X(TTBR0_EL1, TTBR0_EL12)                 \
	X(TTBR1_EL1, TTBR1_EL12) X(TCR_EL1, TCR_EL12) X(ESR_EL1, ESR_EL12)                         \
	X(AFSR0_EL1, AFSR0_EL12) X(AFSR1_EL1, AFSR1_EL12) X(FAR_EL1, FAR_EL12)                     \
	X(MAIR_EL1, MAIR_EL12) X(VBAR_EL1, VBAR_EL12) X(CONTEXTIDR_EL1, CONTEXTIDR_EL12)           \
	X(AMAIR_EL1, AMAIR_EL12) X(CNTKCTL_EL1, CNTKCTL_EL12) X(ELR_EL1, ELR_EL12)                 \
	X(SPSR_EL1, SPSR_EL12) X(SP_EL1, sp_el1) X(TPIDR_EL1, tpidr_el1) X(PAR_EL1, par_el1)       \
	X(CSSELR_EL1, csselr_el1)
#define KVMX_GUEST_RUN_SYSREGS(X) X(TPIDR_EL0, tpidr_el0) X(TPIDRRO_EL0, tpidrro_el0)
// clang-format on

void load_el1_context(const GuestSysregs &s)
{
#define KVMX_LOAD(idx, reg) kvmx_write_sysreg(s.r[idx], reg);
	KVMX_GUEST_EL1_CONTEXT(KVMX_LOAD)
#undef KVMX_LOAD
}

void save_el1_context(GuestSysregs &s)
{
#define KVMX_SAVE(idx, reg) s.r[idx] = kvmx_read_sysreg(reg);
	KVMX_GUEST_EL1_CONTEXT(KVMX_SAVE)
#undef KVMX_SAVE
}

// The EL0 thread registers, which the host's tasks use too: every run.
void load_run_sysregs(const GuestSysregs &s)
{
#define KVMX_LOAD(idx, reg) kvmx_write_sysreg(s.r[idx], reg);
	KVMX_GUEST_RUN_SYSREGS(KVMX_LOAD)
#undef KVMX_LOAD
}

void save_run_sysregs(GuestSysregs &s)
{
#define KVMX_SAVE(idx, reg) s.r[idx] = kvmx_read_sysreg(reg);
	KVMX_GUEST_RUN_SYSREGS(KVMX_SAVE)
#undef KVMX_SAVE
}

// The EL1 timers: read back at every exit (the guest writes them without a trap) and
// disabled there, so that they raise no PPI at the host; written at entry only where the
// hardware does not hold the value already (the EL1 context still live on this CPU, so
// no other guest wrote them meanwhile): each write is a timer reprogramming for an
// emulator, and the hardware's CVAL outlives the exit.
constexpr u64 CNT_CTL_ENABLE = 1;

// clang-format off
#define KVMX_GUEST_TIMERS(X)                                                                       \
	X(CNTV_CVAL_EL0, CNTV_CVAL_EL02) X(CNTV_CTL_EL0, CNTV_CTL_EL02)                            \
	X(CNTP_CVAL_EL0, CNTP_CVAL_EL02) X(CNTP_CTL_EL0, CNTP_CTL_EL02)
// clang-format on

// GuestCpu::timer_hw holds the timers' registers in GuestSysreg order, the enum's last four.
constexpr u32 first_timer_reg = CNTV_CTL_EL0;
static_assert(nr_guest_sysregs - first_timer_reg == sizeof(GuestCpu::timer_hw) / sizeof(u64),
	      "the timers' registers end GuestSysreg");

u64 &timer_hw(GuestCpu &cpu, u32 idx)
{
	return cpu.timer_hw[idx - first_timer_reg];
}

void load_timers(GuestCpu &cpu)
{
	// CVAL before CTL (the table's order): the timer compares as soon as CTL enables it.
#define KVMX_LOAD(idx, reg)                                                                        \
	if (!cpu.el1_live || cpu.sys.r[idx] != timer_hw(cpu, idx)) {                               \
		timer_hw(cpu, idx) = cpu.sys.r[idx];                                               \
		kvmx_write_sysreg(cpu.sys.r[idx], reg);                                            \
	}
	KVMX_GUEST_TIMERS(KVMX_LOAD)
#undef KVMX_LOAD
}

void save_timers(GuestCpu &cpu)
{
#define KVMX_SAVE(idx, reg) cpu.sys.r[idx] = timer_hw(cpu, idx) = kvmx_read_sysreg(reg);
	KVMX_GUEST_TIMERS(KVMX_SAVE)
#undef KVMX_SAVE
	if (timer_hw(cpu, CNTV_CTL_EL0) & CNT_CTL_ENABLE) {
		kvmx_write_sysreg(0, CNTV_CTL_EL02);
		timer_hw(cpu, CNTV_CTL_EL0) = 0;
	}
	if (timer_hw(cpu, CNTP_CTL_EL0) & CNT_CTL_ENABLE) {
		kvmx_write_sysreg(0, CNTP_CTL_EL02);
		timer_hw(cpu, CNTP_CTL_EL0) = 0;
	}
}

// MDCR_EL2 (D13.2.77) while a guest runs: keep the host's HPMN, trap debug, OS lock,
// ROM table, PMU, SPE and trace-filter accesses, route debug exceptions to the guest.
constexpr u64 MDCR_HPMN = 0x1f, MDCR_TPMCR = 1ULL << 5, MDCR_TPM = 1ULL << 6;
constexpr u64 MDCR_TDA = 1ULL << 9, MDCR_TDOSA = 1ULL << 10, MDCR_TDRA = 1ULL << 11;
constexpr u64 MDCR_TPMS = 1ULL << 14, MDCR_TTRF = 1ULL << 19;

constexpr u64 MDCR_TDE = 1ULL << 8;

u64 guest_mdcr(u64 host_mdcr, const GuestCpu &cpu)
{
	u64 mdcr = (host_mdcr & MDCR_HPMN) | MDCR_TPMCR | MDCR_TPM | MDCR_TDOSA | MDCR_TDRA |
		   MDCR_TPMS | MDCR_TTRF;
	if (!cpu.debug_hw)
		mdcr |= MDCR_TDA;
	if (cpu.vmm_debug)
		mdcr |= MDCR_TDE;
	return mdcr;
}

// MDSCR_EL1.SS (software step enable) and PSTATE.SS (step the next instruction).
constexpr u64 MDSCR_SS = 1ULL << 0, PSTATE_SS = 1ULL << 21;

// Breakpoint and watchpoint registers by number: the instruction encodes the number.
#define KVMX_DBG_CASES(X)                                                                          \
	X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)

void read_debug(GuestDebug &d, u32 nbrp, u32 nwrp)
{
#define KVMX_READ_BP(n)                                                                            \
	if (n < nbrp) {                                                                            \
		d.bvr[n] = kvmx_read_sysreg(dbgbvr##n##_el1);                                      \
		d.bcr[n] = kvmx_read_sysreg(dbgbcr##n##_el1);                                      \
	}                                                                                          \
	if (n < nwrp) {                                                                            \
		d.wvr[n] = kvmx_read_sysreg(dbgwvr##n##_el1);                                      \
		d.wcr[n] = kvmx_read_sysreg(dbgwcr##n##_el1);                                      \
	}
	KVMX_DBG_CASES(KVMX_READ_BP)
#undef KVMX_READ_BP
	d.mdscr = kvmx_read_sysreg(mdscr_el1);
}

void write_debug(const GuestDebug &d, u32 nbrp, u32 nwrp)
{
#define KVMX_WRITE_BP(n)                                                                           \
	if (n < nbrp) {                                                                            \
		kvmx_write_sysreg(d.bvr[n], dbgbvr##n##_el1);                                      \
		kvmx_write_sysreg(d.bcr[n], dbgbcr##n##_el1);                                      \
	}                                                                                          \
	if (n < nwrp) {                                                                            \
		kvmx_write_sysreg(d.wvr[n], dbgwvr##n##_el1);                                      \
		kvmx_write_sysreg(d.wcr[n], dbgwcr##n##_el1);                                      \
	}
	KVMX_DBG_CASES(KVMX_WRITE_BP)
#undef KVMX_WRITE_BP
	kvmx_write_sysreg(d.mdscr, mdscr_el1);
}

// FPEXC.EN: while the guest does not own the FP/SIMD registers its FPEXC32_EL2 reads
// enabled, so that a first FP access traps to EL2 (CPTR_EL2) rather than to the guest's
// own EL1 (D1.11.5: EL2 traps apply only where EL1 does not trap first).
constexpr u64 FPEXC_EN = 1ULL << 30;

void load_aarch32(const GuestCpu &cpu)
{
	kvmx_write_sysreg(cpu.a32[SPSR_ABT], spsr_abt);
	kvmx_write_sysreg(cpu.a32[SPSR_UND], spsr_und);
	kvmx_write_sysreg(cpu.a32[SPSR_IRQ], spsr_irq);
	kvmx_write_sysreg(cpu.a32[SPSR_FIQ], spsr_fiq);
	kvmx_write_sysreg(cpu.a32[DACR32_EL2], dacr32_el2);
	kvmx_write_sysreg(cpu.a32[IFSR32_EL2], ifsr32_el2);
	kvmx_write_sysreg(cpu.fp_live ? cpu.a32[FPEXC32_EL2] : FPEXC_EN, fpexc32_el2);
}

void save_aarch32(GuestCpu &cpu)
{
	cpu.a32[SPSR_ABT] = kvmx_read_sysreg(spsr_abt);
	cpu.a32[SPSR_UND] = kvmx_read_sysreg(spsr_und);
	cpu.a32[SPSR_IRQ] = kvmx_read_sysreg(spsr_irq);
	cpu.a32[SPSR_FIQ] = kvmx_read_sysreg(spsr_fiq);
	cpu.a32[DACR32_EL2] = kvmx_read_sysreg(dacr32_el2);
	cpu.a32[IFSR32_EL2] = kvmx_read_sysreg(ifsr32_el2);
	if (cpu.fp_live)
		cpu.a32[FPEXC32_EL2] = kvmx_read_sysreg(fpexc32_el2);
}

// CNTHCTL_EL2 in its E2H=1 layout: EL1PCTEN (bit 10) and EL1PCEN (bit 11) let EL1 read the
// physical counter and use the EL1 physical timer without a trap (upstream's direct
// ptimer under VHE), unless the guest's physical counter has an offset; the host's
// value comes back at the exit.
constexpr u64 CNTHCTL_EL1PCTEN = 1ULL << 10, CNTHCTL_EL1PCEN = 1ULL << 11;

// ICC_SRE_EL2.Enable: EL1 may access ICC_SRE_EL1. Cleared while a vGIC guest runs, so
// that its accesses trap and read the vGIC's fixed value, as upstream.
constexpr u64 ICC_SRE_EL2_ENABLE = 1ULL << 3;

// ICH_LR<n>_EL2: op1 4, CRn 12, CRm 12 (LR0-7) or 13 (LR8-15), op2 n % 8.
// clang-format off
#define KVMX_LR_CASES(X)                                                                           \
	X(0, C12, 0) X(1, C12, 1) X(2, C12, 2) X(3, C12, 3)                                        \
	X(4, C12, 4) X(5, C12, 5) X(6, C12, 6) X(7, C12, 7)                                        \
	X(8, C13, 0) X(9, C13, 1) X(10, C13, 2) X(11, C13, 3)                                      \
	X(12, C13, 4) X(13, C13, 5) X(14, C13, 6) X(15, C13, 7)
// clang-format on

void write_lr(u32 n, u64 val)
{
	switch (n) {
#define KVMX_WRITE_LR(i, crm, op2)                                                                 \
	case i:                                                                                    \
		kvmx_write_sysreg(val, S3_4_C12_##crm##_##op2);                                    \
		break;
		KVMX_LR_CASES(KVMX_WRITE_LR)
#undef KVMX_WRITE_LR
	}
}

u64 read_lr(u32 n)
{
	switch (n) {
#define KVMX_READ_LR(i, crm, op2)                                                                  \
	case i:                                                                                    \
		return kvmx_read_sysreg(S3_4_C12_##crm##_##op2);
		KVMX_LR_CASES(KVMX_READ_LR)
#undef KVMX_READ_LR
	}
	return 0;
}

// ICH_AP0R<n>_EL2 (CRm 8) and ICH_AP1R<n>_EL2 (CRm 9), op2 n: the active priorities.
void write_aprs(const VgicCpuIf &g, u32 nr)
{
	switch (nr) {
	case 4:
		kvmx_write_sysreg(g.ap0r[3], S3_4_C12_C8_3);
		kvmx_write_sysreg(g.ap1r[3], S3_4_C12_C9_3);
		kvmx_write_sysreg(g.ap0r[2], S3_4_C12_C8_2);
		kvmx_write_sysreg(g.ap1r[2], S3_4_C12_C9_2);
		[[fallthrough]];
	case 2:
		kvmx_write_sysreg(g.ap0r[1], S3_4_C12_C8_1);
		kvmx_write_sysreg(g.ap1r[1], S3_4_C12_C9_1);
		[[fallthrough]];
	default:
		kvmx_write_sysreg(g.ap0r[0], S3_4_C12_C8_0);
		kvmx_write_sysreg(g.ap1r[0], S3_4_C12_C9_0);
	}
}

void read_aprs(VgicCpuIf &g, u32 nr)
{
	switch (nr) {
	case 4:
		g.ap0r[3] = static_cast<u32>(kvmx_read_sysreg(S3_4_C12_C8_3));
		g.ap1r[3] = static_cast<u32>(kvmx_read_sysreg(S3_4_C12_C9_3));
		g.ap0r[2] = static_cast<u32>(kvmx_read_sysreg(S3_4_C12_C8_2));
		g.ap1r[2] = static_cast<u32>(kvmx_read_sysreg(S3_4_C12_C9_2));
		[[fallthrough]];
	case 2:
		g.ap0r[1] = static_cast<u32>(kvmx_read_sysreg(S3_4_C12_C8_1));
		g.ap1r[1] = static_cast<u32>(kvmx_read_sysreg(S3_4_C12_C9_1));
		[[fallthrough]];
	default:
		g.ap0r[0] = static_cast<u32>(kvmx_read_sysreg(S3_4_C12_C8_0));
		g.ap1r[0] = static_cast<u32>(kvmx_read_sysreg(S3_4_C12_C9_0));
	}
}

// The vGIC interface's controls, loaded with the EL1 context (as upstream's vgic_v3_load
// and __vgic_v3_activate_traps under VHE): ICC_SRE_EL2.Enable clear (the guest's
// ICC_SRE_EL1 accesses trap and read the vGIC's fixed value), the priorities and the
// active priorities, ICH_HCR_EL2. A guest without a vGIC on a host that has the
// virtualization registers instead gets a GIC CPU interface that traps every access:
// with the virtual interface off, ICH_HCR_EL2's trap bits send its ICC_* accesses to EL2
// (TC: CTLR, DIR, PMR, RPR and the SGI registers; TALL0/TALL1: the group 0/1 registers;
// TDIR: DIR), as upstream 6.12 for a VM without GICv3.
constexpr u64 ICH_HCR_TC = 1ULL << 10, ICH_HCR_TALL0 = 1ULL << 11, ICH_HCR_TALL1 = 1ULL << 12;
constexpr u64 ICH_HCR_TDIR = 1ULL << 14;
constexpr u8 gic_mode_none = 0, gic_mode_vgic = 1, gic_mode_trap = 2;

void gic_context_load(GuestCpu &cpu)
{
	cpu.gic_live_mode = cpu.gic	       ? gic_mode_vgic
			    : cpu.gic_trap_all ? gic_mode_trap
					       : gic_mode_none;
	if (cpu.gic_live_mode == gic_mode_none)
		return;
	cpu.gic_host_sre = kvmx_read_sysreg(ICC_SRE_EL2);
	kvmx_write_sysreg(cpu.gic_host_sre & ~ICC_SRE_EL2_ENABLE, ICC_SRE_EL2);
	if (cpu.gic_live_mode == gic_mode_trap) {
		cpu.gic_hw_hcr = ICH_HCR_TC | ICH_HCR_TALL0 | ICH_HCR_TALL1 | ICH_HCR_TDIR;
		kvmx_write_sysreg(cpu.gic_hw_hcr, ICH_HCR_EL2);
		return;
	}
	const VgicCpuIf &g = *cpu.gic;
	write_aprs(g, cpu.gic_nr_apr);
	cpu.gic_hw_vmcr = g.vmcr;
	kvmx_write_sysreg(g.vmcr, ICH_VMCR_EL2);
	cpu.gic_hw_hcr = g.hcr;
	kvmx_write_sysreg(g.hcr, ICH_HCR_EL2);
}

// And out again with the EL1 context (vgic_v3_put): the active priorities back into the
// model, the interface off, the host's ICC_SRE_EL2.
void gic_context_save(GuestCpu &cpu)
{
	if (cpu.gic_live_mode == gic_mode_none)
		return;
	if (cpu.gic_live_mode == gic_mode_vgic)
		read_aprs(*cpu.gic, cpu.gic_nr_apr);
	kvmx_write_sysreg(0, ICH_HCR_EL2);
	kvmx_write_sysreg(cpu.gic_host_sre, ICC_SRE_EL2);
	cpu.gic_live_mode = gic_mode_none;
}

// Each run, as upstream's __vgic_v3_restore_state: the list registers the flush filled,
// ICH_VMCR_EL2 and ICH_HCR_EL2 where the model changed them.
void gic_run_load(GuestCpu &cpu)
{
	if (cpu.gic_live_mode != gic_mode_vgic)
		return;
	const VgicCpuIf &g = *cpu.gic;
	if (g.vmcr != cpu.gic_hw_vmcr) {
		cpu.gic_hw_vmcr = g.vmcr;
		kvmx_write_sysreg(g.vmcr, ICH_VMCR_EL2);
	}
	for (u32 i = 0; i < g.used_lrs && i < vgic_max_lrs; i++)
		write_lr(i, g.lr[i]);
	if (g.hcr != cpu.gic_hw_hcr) {
		cpu.gic_hw_hcr = g.hcr;
		kvmx_write_sysreg(g.hcr, ICH_HCR_EL2);
	}
}

// And after the exit (__vgic_v3_save_state): the LRs as the guest left them, then
// cleared (so that the next guest starts from empty ones, and a maintenance interrupt for
// an EOI goes away with them), the priorities the guest may have changed; an underflow
// request dropped, or it would raise maintenance interrupts at the host with no LR used.
void gic_run_save(GuestCpu &cpu)
{
	if (cpu.gic_live_mode != gic_mode_vgic)
		return;
	VgicCpuIf &g = *cpu.gic;
	for (u32 i = 0; i < g.used_lrs && i < vgic_max_lrs; i++) {
		g.lr[i] = read_lr(i);
		write_lr(i, 0);
	}
	g.vmcr = static_cast<u32>(kvmx_read_sysreg(ICH_VMCR_EL2));
	cpu.gic_hw_vmcr = g.vmcr;
	if (cpu.gic_hw_hcr & ICH_HCR_UIE) {
		cpu.gic_hw_hcr &= ~ICH_HCR_UIE;
		kvmx_write_sysreg(cpu.gic_hw_hcr, ICH_HCR_EL2);
	}
}

} // namespace

void arm64_el1_sync(GuestCpu &cpu)
{
	if (!cpu.el1_live)
		return;
	// Interrupts masked: a preemption between the look and the save would sync from
	// the sched-out hook and move this thread to a CPU without the registers.
	const u64 saved_daif = kvmx_read_sysreg(daif);
	asm volatile("msr daifset, #2" ::: "memory");
	if (cpu.el1_live) {
		save_el1_context(cpu.sys);
		gic_context_save(cpu);
		cpu.el1_live = false;
	}
	kvmx_write_sysreg(saved_daif, daif);
}

ExitInfo arm64_world_switch(GuestCpu &cpu, const Stage2Hw &s2)
{
	// Debug exceptions masked too (IRQs already are): with HCR_EL2.TGE still set, a
	// guest's MDSCR_EL1 (KDE, SS) would otherwise target this very code.
	const u64 host_daif = kvmx_read_sysreg(daif);
	asm volatile("msr daifset, #0xf" ::: "memory");
	const u64 host_hcr = kvmx_read_sysreg(hcr_el2);
	const u64 host_cptr = kvmx_read_sysreg(cpacr_el1); // CPTR_EL2 under E2H
	const u64 host_tpidr_el0 = kvmx_read_sysreg(tpidr_el0);
	const u64 host_tpidrro_el0 = kvmx_read_sysreg(tpidrro_el0);
	const u64 host_mdcr = kvmx_read_sysreg(mdcr_el2);
	const bool debug_switch = cpu.debug_hw || cpu.vmm_step;
	// ID_AA64DFR0_EL1.BRPs [15:12] and WRPs [23:20]: the number of each, minus one.
	const u64 dfr0 = debug_switch ? kvmx_read_sysreg(id_aa64dfr0_el1) : 0;
	const u32 nbrp = cpu.debug_hw ? ((dfr0 >> 12) & 0xf) + 1 : 0;
	const u32 nwrp = cpu.debug_hw ? ((dfr0 >> 20) & 0xf) + 1 : 0;
	GuestDebug host_dbg{};
	ExitInfo info;

	if (debug_switch) {
		read_debug(host_dbg, nbrp, nwrp);
		GuestDebug guest = cpu.dbg;
		if (!cpu.debug_hw)
			guest.mdscr = host_dbg.mdscr & ~MDSCR_SS;
		if (cpu.vmm_step)
			guest.mdscr |= MDSCR_SS;
		write_debug(guest, nbrp, nwrp);
	}

	if (cpu.fp_live)
		kvmx_arm64_fpsimd_load(&cpu.fp);
	// The offset first: the timer registers below are compared against the counter
	// it defines as soon as they are written.
	if (!cpu.el1_live || cpu.cntvoff != cpu.hw_cntvoff) {
		cpu.hw_cntvoff = cpu.cntvoff;
		kvmx_write_sysreg(cpu.cntvoff, cntvoff_el2);
	}
	cpu.sys.r[CNTP_CVAL_EL0] += cpu.cntpoff; // the hardware's CVAL while the guest runs
	load_timers(cpu);
	if (!cpu.el1_live) {
		load_el1_context(cpu.sys);
		gic_context_load(cpu);
	}
	load_run_sysregs(cpu.sys);
	if (cpu.el1_aarch32)
		load_aarch32(cpu);
	const u64 host_cnthctl = kvmx_read_sysreg(cnthctl_el2);
	constexpr u64 ptimer_direct = CNTHCTL_EL1PCTEN | CNTHCTL_EL1PCEN;
	const u64 guest_cnthctl =
		(host_cnthctl & ~ptimer_direct) | (cpu.cntpoff ? 0 : ptimer_direct);
	if (guest_cnthctl != host_cnthctl)
		kvmx_write_sysreg(guest_cnthctl, cnthctl_el2);

	gic_run_load(cpu);
	kvmx_write_sysreg(guest_mdcr(host_mdcr, cpu), mdcr_el2);
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
	// PSTATE.SS = 1: step one instruction; 0 with MDSCR_EL1.SS set: the step is done
	// and its exception is taken before anything else (D2.12, "active-pending").
	kvmx_write_sysreg(cpu.vmm_step && !cpu.step_pending ? cpu.pstate | PSTATE_SS : cpu.pstate,
			  spsr_el2);

	info.code = static_cast<u32>(kvmx_arm64_enter_guest(&cpu.frame));

	info.esr = kvmx_read_sysreg(esr_el2);
	info.far = kvmx_read_sysreg(far_el2);
	info.hpfar = kvmx_read_sysreg(hpfar_el2);
	cpu.pc = kvmx_read_sysreg(elr_el2);
	cpu.pstate = kvmx_read_sysreg(spsr_el2);
	if (cpu.vmm_step) {
		// Any exit after the stepped instruction completed leaves SPSR_EL2.SS clear.
		if (!(cpu.pstate & PSTATE_SS))
			cpu.step_pending = true;
		cpu.pstate &= ~PSTATE_SS;
	}
	save_run_sysregs(cpu.sys);
	save_timers(cpu);
	cpu.sys.r[CNTP_CVAL_EL0] -= cpu.cntpoff;
	if (guest_cnthctl != host_cnthctl)
		kvmx_write_sysreg(host_cnthctl, cnthctl_el2);
	if (cpu.el1_aarch32)
		save_aarch32(cpu);
	gic_run_save(cpu);
	cpu.el1_live = true;
	if (!cpu.el1_defer)
		arm64_el1_sync(cpu);
	if (debug_switch) {
		if (cpu.debug_hw) {
			const u64 guest_ss = cpu.dbg.mdscr & MDSCR_SS;
			read_debug(cpu.dbg, nbrp, nwrp);
			if (cpu.vmm_step) // our step bit is not the guest's
				cpu.dbg.mdscr = (cpu.dbg.mdscr & ~MDSCR_SS) | guest_ss;
		}
		write_debug(host_dbg, nbrp, nwrp);
	}

	// A virtual SError the guest kept masked is still pending: keep it for the next run.
	cpu.hcr = (cpu.hcr & ~HCR_VSE) | (kvmx_read_sysreg(hcr_el2) & HCR_VSE);
	kvmx_write_sysreg(host_hcr, hcr_el2);
	kvmx_write_sysreg(host_cptr, cpacr_el1);
	kvmx_write_sysreg(host_mdcr, mdcr_el2);
	kvmx_write_sysreg(host_tpidr_el0, tpidr_el0);
	kvmx_write_sysreg(host_tpidrro_el0, tpidrro_el0);
	isb();
	if (cpu.fp_live)
		kvmx_arm64_fpsimd_save(&cpu.fp);
	kvmx_write_sysreg(host_daif, daif);
	return info;
}

} // namespace kvmx
