// SPDX-License-Identifier: GPL-2.0
// AArch32 guest state: banked registers, conditional execution, T32 instruction lengths
// and IT blocks, exception entry into the AArch32 EL1 modes, and the CP15 / VMRS traps
// (ARM ARM part G, and D1.20 for how AArch32 state maps onto the AArch64 registers).
#include "aarch32.hpp"
#include "registry.hpp"
#include "sysregs.hpp"
#include "vcpu.hpp"

namespace kvmx {

namespace {

constexpr u64 ESR_IL = 1ULL << 25, ESR_CV = 1ULL << 24;
constexpr u32 ESR_COND_SHIFT = 20;

// SCTLR (AArch32 view of SCTLR_EL1, G8.2.126): V (high vectors), SPAN, EE, TE, DSSBS.
constexpr u64 SCTLR_V = 1ULL << 13, SCTLR_SPAN = 1ULL << 23, SCTLR_EE = 1ULL << 25;
constexpr u64 SCTLR_TE = 1ULL << 30, SCTLR_DSSBS = 1ULL << 31;
// TTBCR.EAE (TCR_EL1 bit 31): the long-descriptor (LPAE) translation format.
constexpr u64 TTBCR_EAE = 1ULL << 31;
// DFSR/IFSR fault status (G8.2.36/G8.2.84): the LPAE bit and the status codes of a
// synchronous external abort and a debug event in each format.
constexpr u64 FSR_LPAE = 1ULL << 9;
constexpr u64 FSR_EXT_ABORT_LPAE = 0x10, FSR_EXT_ABORT_SHORT = 0x08;
constexpr u64 FSR_DEBUG_LPAE = 0x22, FSR_DEBUG_SHORT = 0x02;

u32 it_state(u64 pstate)
{
	return static_cast<u32>(((pstate >> 25) & 3) | ((pstate >> 8) & 0xfc));
}

u64 with_it_state(u64 pstate, u32 it)
{
	pstate &= ~(PSR32_IT_LOW | PSR32_IT_HIGH);
	return pstate | static_cast<u64>(it & 3) << 25 | static_cast<u64>(it & 0xfc) << 8;
}

// The guest's view of the PSTATE it had: SPSR_EL2's AArch32 layout to an AArch32 SPSR
// (DIT moves from bit 24 to bit 21, SS does not exist).
u64 to_spsr32(u64 pstate)
{
	u64 spsr = pstate & ~(PSR32_DIT | PSR32_SS);
	return pstate & PSR32_DIT ? spsr | SPSR32_DIT : spsr;
}

// CPSR on exception entry to @mode (G1.12.3): flags, Q, GE, DIT and PAN kept (PAN set
// when SCTLR.SPAN is 0), IT and IL cleared, I set, A set unless entering UND or SVC, F
// set for FIQ, T from SCTLR.TE, E from SCTLR.EE, SSBS from SCTLR.DSSBS.
u64 exception_cpsr(u64 old, u64 sctlr, u64 mode)
{
	u64 cpsr =
		old & (PSR32_NZCV | PSR32_Q | PSR32_GE | PSR32_DIT | PSR32_PAN | PSR32_A | PSR32_F);
	if (!(sctlr & SCTLR_SPAN))
		cpsr |= PSR32_PAN;
	if (sctlr & SCTLR_DSSBS)
		cpsr |= PSR32_SSBS;
	if (sctlr & SCTLR_EE)
		cpsr |= PSR32_E;
	if (sctlr & SCTLR_TE)
		cpsr |= PSR32_T;
	if (mode != PSR32_MODE_UND && mode != PSR32_MODE_SVC)
		cpsr |= PSR32_A;
	if (mode == PSR32_MODE_FIQ)
		cpsr |= PSR32_F;
	return cpsr | PSR32_I | PSR_MODE32_BIT | mode;
}

// Vector offsets (G1.12.1) and the preferred return offsets added to the PC of the
// faulting instruction for LR_<mode>, A32 / T32.
constexpr u32 VECT_UNDEF = 0x04, VECT_PABT = 0x0c, VECT_DABT = 0x10;

u32 return_offset(u32 vect, bool thumb)
{
	switch (vect) {
	case VECT_UNDEF:
		return thumb ? 2 : 4;
	case VECT_PABT:
		return 4;
	default:
		return 8; // data abort
	}
}

void enter_exception(Vcpu *vcpu, u64 mode, u32 vect)
{
	GuestCpu &c = vcpu->arch.cpu;
	arm64_el1_sync(c);
	const u64 old = c.pstate, sctlr = c.sys.r[SCTLR_EL1];
	const u32 lr = static_cast<u32>(c.pc + return_offset(vect, old & PSR32_T));
	if (mode == PSR32_MODE_UND) {
		c.a32[SPSR_UND] = to_spsr32(old);
		c.frame.x[22] = lr; // LR_und
	} else {
		c.a32[SPSR_ABT] = to_spsr32(old);
		c.frame.x[20] = lr; // LR_abt
	}
	c.pstate = exception_cpsr(old, sctlr, mode);
	const u32 base = sctlr & SCTLR_V ? 0xffff0000u : static_cast<u32>(c.sys.r[VBAR_EL1]);
	c.pc = static_cast<u32>(base + vect);
}

// CP15 accesses that kvmx emulates, as the AArch64 register (or operation) each one is
// (G7.3 / D19: the AArch32 encodings of the same registers): op0 3 for registers, 1 for
// the set/way cache operations sysreg_emulate completes. 0 for none.
u32 cp15_to_sysreg(u32 opc1, u32 crn, u32 crm, u32 opc2)
{
	if (opc1 != 0)
		return 0;
	if (crn == 0 && crm >= 1 && crm <= 3)
		return sysreg_enc(3, 0, 0, crm, opc2); // ID_PFR0 .. ID_MMFR5 (HCR_EL2.TID3)
	if (crn == 1 && crm == 0 && opc2 == 1)
		return sysreg_enc(3, 0, 1, 0, 1); // ACTLR (HCR_EL2.TACR)
	if (crn == 7 && (crm == 6 || crm == 10 || crm == 14) && opc2 == 2)
		return sysreg_enc(1, 0, 7, crm, 2); // DCISW, DCCSW, DCCISW (HCR_EL2.TSW)
	if (crn == 5 && crm >= 3 && crm <= 5)
		return sysreg_enc(3, 0, 5, crm, opc2); // ERRIDR, ERRSELR, ERX* (HCR_EL2.TERR)
	if (crn == 14 && crm == 2 && opc2 <= 1)
		return sysreg_enc(3, 3, 14, 2, opc2); // CNTP_TVAL, CNTP_CTL (a physical offset)
	return 0;
}

// Read or write AArch32 register @rt for an MRC/MCR-style access.
bool access_rt(GuestCpu &c, u32 rt, bool read, u64 *val)
{
	int idx = aarch32_reg_index(c.pstate, rt);
	if (idx < 0)
		return false;
	if (read)
		c.frame.x[idx] = static_cast<u32>(*val);
	else
		*val = static_cast<u32>(c.frame.x[idx]);
	return true;
}

} // namespace

bool arm64_host_has_aarch32_el1()
{
	// ID_AA64PFR0_EL1 is feature-ID register (CRm 4, op2 0); EL1 in bits [7:4].
	return ((registry().host.arm64_id_regs[24] >> 4) & 0xf) == 2;
}

bool arm64_host_has_aarch32_el0()
{
	// ID_AA64PFR0_EL1.EL0 in bits [3:0].
	return (registry().host.arm64_id_regs[24] & 0xf) == 2;
}

int aarch32_reg_index(u64 pstate, u32 r)
{
	if (r > 14)
		return -1;
	const u64 mode = pstate & PSR32_MODE_MASK;
	if (r < 8 || mode == PSR32_MODE_USR || mode == PSR32_MODE_SYS)
		return static_cast<int>(r);
	if (mode == PSR32_MODE_FIQ)
		return static_cast<int>(r + 16); // R8_fiq-R12_fiq, SP_fiq, LR_fiq: X24-X30
	if (r < 13)
		return static_cast<int>(r);
	// SP_<mode> and LR_<mode> (R13, R14) of the other modes.
	switch (mode) {
	case PSR32_MODE_IRQ:
		return r == 13 ? 17 : 16;
	case PSR32_MODE_SVC:
		return r == 13 ? 19 : 18;
	case PSR32_MODE_ABT:
		return r == 13 ? 21 : 20;
	case PSR32_MODE_UND:
		return r == 13 ? 23 : 22;
	default:
		return -1;
	}
}

bool aarch32_condition_passes(u64 pstate, u64 esr)
{
	u32 cond;
	if (esr & ESR_CV) {
		cond = (esr >> ESR_COND_SHIFT) & 0xf;
	} else {
		u32 it = it_state(pstate);
		cond = it ? it >> 4 : 0xe;
	}
	const bool n = pstate & PSR_N_BIT, z = pstate & PSR_Z_BIT;
	const bool c = pstate & PSR_C_BIT, v = pstate & PSR_V_BIT;
	bool pass;
	switch (cond >> 1) {
	case 0: // EQ / NE
		pass = z;
		break;
	case 1: // CS / CC
		pass = c;
		break;
	case 2: // MI / PL
		pass = n;
		break;
	case 3: // VS / VC
		pass = v;
		break;
	case 4: // HI / LS
		pass = c && !z;
		break;
	case 5: // GE / LT
		pass = n == v;
		break;
	case 6: // GT / LE
		pass = !z && n == v;
		break;
	default: // AL (0b1111 is "always" too in this position)
		return true;
	}
	return cond & 1 ? !pass : pass;
}

void aarch32_skip_instruction(GuestCpu &c, u64 esr)
{
	c.pc = static_cast<u32>(c.pc + (esr & ESR_IL ? 4 : 2));
	u32 it = it_state(c.pstate);
	if (!(c.pstate & PSR32_T) || !it)
		return;
	// ITAdvance (G1.9.5.3): the block ends after its last instruction, else the next
	// condition bit shifts in.
	it = (it & 7) == 0 ? 0 : (it & 0xe0) | ((it << 1) & 0x1f);
	c.pstate = with_it_state(c.pstate, it);
}

void aarch32_inject_undef(Vcpu *vcpu)
{
	enter_exception(vcpu, PSR32_MODE_UND, VECT_UNDEF);
}

void aarch32_inject_abort(Vcpu *vcpu, bool data, u64 va, bool debug_event)
{
	GuestCpu &c = vcpu->arch.cpu;
	arm64_el1_sync(c);
	const bool lpae = c.sys.r[TCR_EL1] & TTBCR_EAE;
	u64 fsr = lpae ? FSR_LPAE | (debug_event ? FSR_DEBUG_LPAE : FSR_EXT_ABORT_LPAE)
		       : (debug_event ? FSR_DEBUG_SHORT : FSR_EXT_ABORT_SHORT);
	// DFAR is FAR_EL1[31:0], IFAR FAR_EL1[63:32]; DFSR is ESR_EL1, IFSR IFSR32_EL2.
	u64 &far = c.sys.r[FAR_EL1];
	if (data) {
		far = (far & ~0xffffffffULL) | static_cast<u32>(va);
		c.sys.r[ESR_EL1] = fsr;
	} else {
		far = (far & 0xffffffffULL) | static_cast<u64>(static_cast<u32>(va)) << 32;
		c.a32[IFSR32_EL2] = fsr;
	}
	enter_exception(vcpu, PSR32_MODE_ABT, data ? VECT_DABT : VECT_PABT);
}

void aarch32_set_entry(GuestCpu &c, u64 entry, bool big_endian)
{
	c.pc = static_cast<u32>(entry & ~1ULL);
	if (entry & 1)
		c.pstate |= PSR32_T;
	if (big_endian)
		c.pstate |= PSR32_E;
}

bool aarch32_cp15_trap(Vcpu *vcpu, u64 esr)
{
	// ISS for EC 0x03 (D17.2.37): Opc2 [19:17], Opc1 [16:14], CRn [13:10], Rt [9:5],
	// CRm [4:1], Direction [0] (1 = read, MRC).
	u32 enc = cp15_to_sysreg((esr >> 14) & 7, (esr >> 10) & 0xf, (esr >> 1) & 0xf,
				 (esr >> 17) & 7);
	if (!enc)
		return false;
	GuestCpu &c = vcpu->arch.cpu;
	const bool read = esr & 1;
	const u32 rt = (esr >> 5) & 0x1f;
	u64 val = 0;
	if (!read && !access_rt(c, rt, false, &val))
		return false;
	if (aarch32_reg_index(c.pstate, rt) < 0 || !sysreg_emulate(vcpu, enc, read, &val))
		return false;
	return !read || access_rt(c, rt, true, &val);
}

bool aarch32_cp15_64_trap(Vcpu *vcpu, u64 esr)
{
	// ISS for EC 0x04 (D17.2.38): Opc1 [19:16], Rt2 [14:10], Rt [9:5], CRm [4:1],
	// Direction [0] (1 = read, MRRC). Of the 64-bit CP15 registers only the physical
	// counter (Opc1 0), CNTP_CVAL (2) and CNTPCTSS (8), CRm 14, trap: while the guest's
	// physical counter has an offset (CNTHCTL_EL2, hyp/switch.cpp).
	const u32 opc1 = (esr >> 16) & 0xf, crm = (esr >> 1) & 0xf;
	const u32 enc = crm != 14   ? 0
			: opc1 == 0 ? sysreg_enc(3, 3, 14, 0, 1)
			: opc1 == 2 ? sysreg_enc(3, 3, 14, 2, 2)
			: opc1 == 8 ? sysreg_enc(3, 3, 14, 0, 5)
				    : 0;
	GuestCpu &c = vcpu->arch.cpu;
	const bool read = esr & 1;
	const u32 rt = (esr >> 5) & 0x1f, rt2 = (esr >> 10) & 0x1f;
	if (!enc || aarch32_reg_index(c.pstate, rt) < 0 || aarch32_reg_index(c.pstate, rt2) < 0)
		return false;
	u64 lo = 0, hi = 0;
	if (!read && !(access_rt(c, rt, false, &lo) && access_rt(c, rt2, false, &hi)))
		return false;
	u64 val = hi << 32 | lo;
	if (!sysreg_emulate(vcpu, enc, read, &val))
		return false;
	lo = val & 0xffffffffULL;
	hi = val >> 32;
	return !read || (access_rt(c, rt, true, &lo) && access_rt(c, rt2, true, &hi));
}

bool aarch32_vmrs_trap(Vcpu *vcpu, u64 esr)
{
	// ISS for EC 0x08 (D17.2.37): the VMRS "reg" field in CRn [13:10], Rt [9:5]. With
	// HCR_EL2.TID3 the feature registers MVFR0 (0b0111), MVFR1 (0b0110) and MVFR2
	// (0b0101) trap; they read what ID registers (3,0,0,3,0..2) hold.
	const u32 reg = (esr >> 10) & 0xf, rt = (esr >> 5) & 0x1f;
	if (!(esr & 1) || reg < 5 || reg > 7)
		return false;
	u64 val = 0;
	if (!sysreg_emulate(vcpu, sysreg_enc(3, 0, 0, 3, 7 - reg), true, &val))
		return false;
	return access_rt(vcpu->arch.cpu, rt, true, &val);
}

} // namespace kvmx
