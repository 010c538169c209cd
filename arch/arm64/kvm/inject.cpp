// SPDX-License-Identifier: GPL-2.0
// Exception injection into a guest's EL1 (ARM ARM D1.10 "Exception entry"): the
// guest's vector for the exception's source, ELR/SPSR/ESR/FAR set as the hardware would;
// a 32-bit EL1 takes them in its AArch32 modes (aarch32.cpp). Only synchronous
// exceptions; asynchronous ones go through HCR_EL2.VI/VF/VSE.
#include "inject.hpp"
#include "aarch32.hpp"
#include "vcpu.hpp"

namespace kvmx {

namespace {

// PSTATE/SPSR fields (C5.2.18) beyond the UAPI's PSR_* names: M[3:2] is the EL, M[0]
// the stack pointer selection.
constexpr u64 PSTATE_EL_MASK = 0xc, PSTATE_SP_ELX = 0x1;
constexpr u64 PSTATE_DAIF = PSR_D_BIT | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT;
// SCTLR_EL1.SPAN (bit 23): 0 = set PAN on exception entry; DSSBS (bit 44).
constexpr u64 SCTLR_SPAN = 1ULL << 23, SCTLR_DSSBS = 1ULL << 44;
// ESR_ELx (D17.2.36).
constexpr u64 ESR_IL = 1ULL << 25;
constexpr u32 ESR_EC_SHIFT = 26;
constexpr u64 EC_UNKNOWN = 0x00, EC_IABT_LOW = 0x20, EC_IABT_CUR = 0x21;
constexpr u64 EC_DABT_LOW = 0x24, EC_DABT_CUR = 0x25;
constexpr u64 FSC_SYNC_EXTERNAL = 0x10;

} // namespace

void inject_sync(Vcpu *vcpu, u64 esr, bool set_far, u64 far)
{
	GuestCpu &c = vcpu->arch.cpu;
	arm64_el1_sync(c);
	u64 offset;
	if (c.pstate & PSR_MODE32_BIT)
		offset = 0x600; // lower EL, AArch32
	else if ((c.pstate & PSTATE_EL_MASK) == 0)
		offset = 0x400; // lower EL, AArch64
	else if (c.pstate & PSTATE_SP_ELX)
		offset = 0x200; // current EL with SP_EL1
	else
		offset = 0x000; // current EL with SP_EL0

	u64 sctlr = c.sys.r[SCTLR_EL1];
	c.sys.r[ELR_EL1] = c.pc;
	c.sys.r[SPSR_EL1] = c.pstate;
	c.sys.r[ESR_EL1] = esr;
	if (set_far)
		c.sys.r[FAR_EL1] = far;

	u64 pstate = PSR_MODE_EL1h | PSTATE_DAIF | (c.pstate & PSR_PAN_BIT);
	if (!(sctlr & SCTLR_SPAN))
		pstate |= PSR_PAN_BIT;
	if (sctlr & SCTLR_DSSBS)
		pstate |= PSR_SSBS_BIT;
	c.pstate = pstate & ~static_cast<u64>(PSR_BTYPE_MASK);
	c.pc = c.sys.r[VBAR_EL1] + offset;
}

namespace {

bool from_lower_el(const GuestCpu &c)
{
	return (c.pstate & PSR_MODE32_BIT) || (c.pstate & PSTATE_EL_MASK) == 0;
}

} // namespace

void inject_undef(Vcpu *vcpu)
{
	if (vcpu->arch.cpu.el1_aarch32)
		return aarch32_inject_undef(vcpu);
	inject_sync(vcpu, EC_UNKNOWN << ESR_EC_SHIFT | ESR_IL, false, 0);
}

void inject_dabt(Vcpu *vcpu, u64 va)
{
	if (vcpu->arch.cpu.el1_aarch32)
		return aarch32_inject_abort(vcpu, true, va, false);
	u64 ec = from_lower_el(vcpu->arch.cpu) ? EC_DABT_LOW : EC_DABT_CUR;
	inject_sync(vcpu, ec << ESR_EC_SHIFT | ESR_IL | FSC_SYNC_EXTERNAL, true, va);
}

void inject_pabt(Vcpu *vcpu, u64 va)
{
	if (vcpu->arch.cpu.el1_aarch32)
		return aarch32_inject_abort(vcpu, false, va, false);
	u64 ec = from_lower_el(vcpu->arch.cpu) ? EC_IABT_LOW : EC_IABT_CUR;
	inject_sync(vcpu, ec << ESR_EC_SHIFT | ESR_IL | FSC_SYNC_EXTERNAL, true, va);
}

void skip_instruction(Vcpu *vcpu)
{
	GuestCpu &c = vcpu->arch.cpu;
	if (in_aarch32(c)) {
		aarch32_skip_instruction(c, vcpu->arch.exit_esr);
	} else {
		c.pc += 4;
		// A skipped instruction completes: no branch-target check on the next one
		// (PSTATE.BTYPE; those bits hold IT state in AArch32).
		c.pstate &= ~static_cast<u64>(PSR_BTYPE_MASK);
	}
	// Emulating the instruction completes it: a VMM single-step is now due.
	if (c.vmm_step)
		c.step_pending = true;
}

} // namespace kvmx
