// SPDX-License-Identifier: GPL-2.0
// The arm64 exit table: one handler per exception class (ESR_EL2.EC, ARM ARM D17.2.37)
// of a synchronous exit, and the asynchronous exits (host interrupts, SError). A class
// kvmx does not handle gets an UNDEF in the guest and a rate-limited log line.
#include "exits.hpp"
#include "aarch32.hpp"
#include "firmware.hpp"
#include "inject.hpp"
#include "sysregs.hpp"
#include "timer.hpp"
#include "vcpu.hpp"
#include "vgic/kvm.hpp"
#include "vm.hpp"
#include <linux/kvm.h>

namespace kvmx {

namespace {

constexpr u32 EC_WFX = 0x01, EC_CP15_32 = 0x03, EC_CP15_64 = 0x04, EC_CP14_32 = 0x05;
constexpr u32 EC_CP14_LS = 0x06, EC_FP_ASIMD = 0x07, EC_CP10_ID = 0x08, EC_PAC = 0x09;
constexpr u32 EC_CP14_64 = 0x0c, EC_HVC32 = 0x12, EC_SMC32 = 0x13, EC_HVC64 = 0x16;
constexpr u32 EC_SMC64 = 0x17, EC_SYS64 = 0x18, EC_SVE = 0x19, EC_SME = 0x1d;
constexpr u32 EC_IABT_LOW = 0x20, EC_DABT_LOW = 0x24;
constexpr u32 EC_BREAKPT_LOW = 0x30, EC_SOFTSTP_LOW = 0x32, EC_WATCHPT_LOW = 0x34;
constexpr u32 EC_BKPT32 = 0x38, EC_BRK64 = 0x3c;
// Classes 0x00-0x0f from AArch32 state are conditional instructions (ESR_EL2.CV/COND).
constexpr u32 EC_LAST_CONDITIONAL = 0x0f;
constexpr u32 ESR_EC_SHIFT = 26;
// ISS of a trapped WFx (D17.2.37, EC 0x01): TI [1:0] is WFI 0, WFE 1, WFIT 2, WFET 3
// (bit 0 set: a WFE or WFET; bit 1: with a timeout); RV [2] and RN [9:5], the register
// holding a WFIT's or WFET's timeout, a virtual count (FEAT_WFxT).
constexpr u64 ESR_WFX_WFE = 1, ESR_WFX_WFXT = 2, ESR_WFX_RV = 1 << 2;
constexpr u32 ESR_WFX_RN_SHIFT = 5;

using ExitHandler = Result<RunStep> (*)(Vcpu *vcpu, const ExitInfo &exit);

u32 exit_ec(const ExitInfo &exit)
{
	return static_cast<u32>(exit.esr >> ESR_EC_SHIFT) & 0x3f;
}

Result<RunStep> undef_and_log(Vcpu *vcpu, const ExitInfo &exit)
{
	kvmx_host_log_guest(KVMX_LOG_WARN, vcpu->vm->id, static_cast<int>(vcpu->id),
			    "unhandled exit EC %#x ESR %#llx at PC %#llx: injecting UNDEF\n",
			    exit_ec(exit), exit.esr, vcpu->arch.cpu.pc);
	inject_undef(vcpu);
	return RunStep::resume;
}

// Silent UNDEF: the architecture's answer for features the vCPU does not have (SVE,
// SME, pointer authentication are hidden in its ID registers).
Result<RunStep> undef_feature(Vcpu *vcpu, const ExitInfo &)
{
	inject_undef(vcpu);
	return RunStep::resume;
}

// WFI wakes on an interrupt line the VMM raised, or on a timer line change the VMM's
// irqchip must hear of (upstream's kvm_arch_vcpu_runnable without a vGIC); with the vGIC
// on an interrupt it would present now, or the timer's condition (upstream's
// kvm_cpu_has_pending_timer).
bool wfi_ready(Vcpu *vcpu)
{
	const ArchVcpu &a = vcpu->arch;
	if (a.in_wfit && vcount_deadline_ns(vcpu, a.wfit_count) == 0)
		return true;
	if (vcpu->arch.vgic_cpu)
		return vgic_kvm_pending(vcpu) || vtimer_level(vcpu) || ptimer_level(vcpu);
	return load_acquire(&vcpu->arch.irq_lines) || vtimer_should_notify_user(vcpu);
}

// How long a WFI may sleep: until the timer's line rises, unless the VMM already knows
// it is high (then only the VMM's lines or a kick end the wait).
// (A WFIT's timeout shortens it: wfi_wait.)
u64 wfi_timeout_ns(Vcpu *vcpu)
{
	u64 ns = vtimer_deadline_ns(vcpu);
	return ns == 0 && !vtimer_should_notify_user(vcpu) ? KVMX_WAIT_FOREVER : ns;
}

// Sleep until the vCPU has something to do (wfi_ready) or @timeout_ns passes. -EINTR
// needs nothing here: the run loop sees the signal before re-entering.
void wfi_block(Vcpu *vcpu, u64 timeout_ns)
{
	if (wfi_ready(vcpu))
		return;
	if (vcpu_halt(vcpu, timeout_ns, wfi_ready) == HaltEnd::woken)
		vcpu->stats.halt_wakeup++;
}

// A WFI, or a WFIT until the virtual count reaches @count (upstream's kvm_handle_wfx).
void wfi_wait(Vcpu *vcpu, bool wfit, u64 count)
{
	if (!wfit)
		return psci_suspend_as_wfi(vcpu);
	ArchVcpu &a = vcpu->arch;
	a.in_wfit = true;
	a.wfit_count = count;
	const u64 ns = wfi_timeout_ns(vcpu), until = vcount_deadline_ns(vcpu, count);
	wfi_block(vcpu, until < ns ? until : ns);
	a.in_wfit = false;
}

Result<RunStep> handle_wfx(Vcpu *vcpu, const ExitInfo &exit)
{
	skip_instruction(vcpu);
	// A WFE or WFET: whatever its timeout, a yield (upstream's kvm_vcpu_on_spin).
	if (exit.esr & ESR_WFX_WFE) {
		vcpu->stats.wfe_exit_stat++;
		kvmx_host_cond_resched();
		return RunStep::resume;
	}
	vcpu->stats.wfi_exit_stat++;
	const bool wfit = exit.esr & ESR_WFX_WFXT;
	u64 count = ~0ULL;
	if (wfit) {
		// Without RV the syndrome does not say which register holds the timeout (QEMU
		// reports none): the WFIT ends at once, a spurious wake-up the architecture
		// allows, rather than a sleep the guest never asked to end (upstream reads
		// RN whatever RV says: X0 there).
		if (!(exit.esr & ESR_WFX_RV)) {
			kvmx_host_cond_resched();
			return RunStep::resume;
		}
		u32 rn = static_cast<u32>(exit.esr >> ESR_WFX_RN_SHIFT) & 0x1f;
		count = rn == 31 ? 0 : vcpu->arch.cpu.frame.x[rn];
	}
	wfi_wait(vcpu, wfit, count);
	return RunStep::resume;
}

Result<RunStep> handle_fp(Vcpu *vcpu, const ExitInfo &)
{
	// First FP/SIMD use since reset: from now on the registers are switched with the
	// guest on every entry and the access no longer traps (lazy switching).
	vcpu->arch.cpu.fp_live = true;
	return RunStep::resume;
}

Result<RunStep> handle_hvc(Vcpu *vcpu, const ExitInfo &exit)
{
	return smccc_call(vcpu, exit.esr); // ELR_EL2 already points past the HVC
}

Result<RunStep> handle_smc(Vcpu *vcpu, const ExitInfo &exit)
{
	skip_instruction(vcpu); // a trapped SMC leaves ELR_EL2 at the SMC itself
	return smccc_call(vcpu, exit.esr);
}

Result<RunStep> handle_sys64(Vcpu *vcpu, const ExitInfo &exit)
{
	if (!sysreg_trap(vcpu, exit.esr))
		return undef_and_log(vcpu, exit);
	skip_instruction(vcpu);
	return RunStep::resume;
}

// AArch32 coprocessor accesses: CP15 system registers (MRC/MCR, MRRC/MCRR) and the
// VMRS of the floating-point feature registers map onto the AArch64 registers.
template <bool (*emulate)(Vcpu *, u64)> Result<RunStep> handle_cp(Vcpu *vcpu, const ExitInfo &exit)
{
	if (!emulate(vcpu, exit.esr))
		return undef_and_log(vcpu, exit);
	skip_instruction(vcpu);
	return RunStep::resume;
}

// Debug exceptions reach EL2 only while the VMM debugs the guest (MDCR_EL2.TDE): the
// ones it asked for become KVM_EXIT_DEBUG, the others go back to the guest as if taken
// there directly (from EL1, the "current EL" class is the "lower EL" one plus one).
Result<RunStep> handle_debug(Vcpu *vcpu, const ExitInfo &exit)
{
	u32 ec = exit_ec(exit), control = vcpu->arch.guest_debug;
	bool vmm = (ec == EC_SOFTSTP_LOW && (control & KVM_GUESTDBG_SINGLESTEP)) ||
		   ((ec == EC_BRK64 || ec == EC_BKPT32) && (control & KVM_GUESTDBG_USE_SW_BP));
	if (ec == EC_SOFTSTP_LOW)
		vcpu->arch.cpu.step_pending = false;
	if (vmm) {
		kvm_run *run = vcpu->run;
		run->exit_reason = KVM_EXIT_DEBUG;
		run->debug.arch.hsr = static_cast<u32>(exit.esr);
		run->debug.arch.hsr_high = static_cast<u32>(exit.esr >> 32);
		run->debug.arch.far = exit.far;
		return RunStep::exit_user;
	}
	if (vcpu->arch.cpu.el1_aarch32) {
		// A 32-bit EL1 takes debug events as a Prefetch Abort (breakpoints, BKPT,
		// steps) or a Data Abort (watchpoints) with the debug-event status.
		aarch32_inject_abort(vcpu, ec == EC_WATCHPT_LOW,
				     ec == EC_WATCHPT_LOW ? exit.far : vcpu->arch.cpu.pc, true);
		return RunStep::resume;
	}
	u64 esr = exit.esr;
	bool guest_el1 = (vcpu->arch.cpu.pstate & 0xc) != 0 && !(vcpu->arch.cpu.pstate & 0x10);
	if (ec != EC_BRK64 && guest_el1)
		esr += 1ULL << ESR_EC_SHIFT;
	inject_sync(vcpu, esr, ec == EC_WATCHPT_LOW, exit.far);
	return RunStep::resume;
}

struct ExitTable {
	ExitHandler handler[64];
};

constexpr ExitTable make_exit_table()
{
	ExitTable t{};
	for (ExitHandler &h : t.handler)
		h = undef_and_log;
	t.handler[EC_WFX] = handle_wfx;
	t.handler[EC_CP15_32] = handle_cp<aarch32_cp15_trap>;
	t.handler[EC_CP15_64] = handle_cp<aarch32_cp15_64_trap>;
	// CP14 holds the AArch32 debug interface, which a 32-bit vCPU's ID_DFR0 denies.
	t.handler[EC_CP14_32] = undef_feature;
	t.handler[EC_CP14_LS] = undef_feature;
	t.handler[EC_CP14_64] = undef_feature;
	t.handler[EC_FP_ASIMD] = handle_fp;
	t.handler[EC_CP10_ID] = handle_cp<aarch32_vmrs_trap>;
	t.handler[EC_PAC] = undef_feature;
	t.handler[EC_HVC32] = handle_hvc;
	t.handler[EC_SMC32] = handle_smc;
	t.handler[EC_HVC64] = handle_hvc;
	t.handler[EC_SMC64] = handle_smc;
	t.handler[EC_SYS64] = handle_sys64;
	t.handler[EC_SVE] = undef_feature;
	t.handler[EC_SME] = undef_feature;
	t.handler[EC_IABT_LOW] = handle_guest_abort;
	t.handler[EC_DABT_LOW] = handle_guest_abort;
	t.handler[EC_BREAKPT_LOW] = handle_debug;
	t.handler[EC_SOFTSTP_LOW] = handle_debug;
	t.handler[EC_WATCHPT_LOW] = handle_debug;
	t.handler[EC_BKPT32] = handle_debug;
	t.handler[EC_BRK64] = handle_debug;
	return t;
}

constexpr ExitTable exit_table = make_exit_table();

} // namespace

bool psci_wake_event_pending(Vcpu *vcpu)
{
	return wfi_ready(vcpu);
}

u64 psci_wake_timeout_ns(Vcpu *vcpu)
{
	return wfi_timeout_ns(vcpu);
}

void psci_suspend_as_wfi(Vcpu *vcpu)
{
	wfi_block(vcpu, wfi_timeout_ns(vcpu));
}

Result<RunStep> handle_exit(Vcpu *vcpu, const ExitInfo &exit)
{
	vcpu->stats.exits++;
	switch (exit.code & KVMX_EXIT_TYPE_MASK) {
	case KVMX_EXIT_IRQ:
	case KVMX_EXIT_FIQ:
		// The host took its interrupt when the run loop unmasked them.
		vcpu->stats.irq_exits++;
		return RunStep::resume;
	case KVMX_EXIT_SERROR:
		// An SError that hit while the guest ran is the guest's: make it pending as
		// a virtual SError, as a physical one would have been.
		kvmx_host_log_guest(
			KVMX_LOG_WARN, vcpu->vm->id, static_cast<int>(vcpu->id),
			"SError during guest run (ESR %#llx): virtual SError injected\n", exit.esr);
		vcpu->arch.cpu.hcr |= HCR_VSE;
		return RunStep::resume;
	default:
		break;
	}
	vcpu->arch.exit_esr = exit.esr;
	vcpu->arch.exit_far = exit.far;
	const u32 ec = exit_ec(exit);
	// A conditional AArch32 instruction may trap even when its condition fails
	// (G1.9.5): then it does nothing but move on.
	if ((exit.code & KVMX_EXIT_AARCH32) && ec <= EC_LAST_CONDITIONAL &&
	    !aarch32_condition_passes(vcpu->arch.cpu.pstate, exit.esr)) {
		skip_instruction(vcpu);
		return RunStep::resume;
	}
	return exit_table.handler[ec](vcpu, exit);
}

void mmio_complete(Vcpu *vcpu)
{
	MmioPending &m = vcpu->arch.mmio;
	if (!m.active)
		return;
	m.active = false;
	if (!m.is_write && m.rt != 31) {
		u64 data = 0;
		const u8 *bytes = vcpu->run->mmio.data;
		for (u32 i = 0; i < m.len; i++)
			data |= static_cast<u64>(bytes[i]) << (8 * i);
		u32 bits = 8 * m.len;
		if (m.sign_extend && bits < 64 && (data >> (bits - 1)) & 1)
			data |= ~0ULL << bits;
		if (!m.sf)
			data &= 0xffffffffULL;
		vcpu->arch.cpu.frame.x[m.rt] = data;
	}
	skip_instruction(vcpu);
}

} // namespace kvmx
