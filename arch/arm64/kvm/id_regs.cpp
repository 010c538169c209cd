// SPDX-License-Identifier: GPL-2.0
// The VM-wide feature ID registers: kvmx's offer (the host's sanitised values minus what
// it does not virtualise), the VMM's narrowing of it before the first KVM_RUN, field by
// field (upstream 6.7's writable ID registers), and the writable-mask ioctl. Must not
// touch hardware: the guest reads these values through HCR_EL2.TID3 traps (sysregs.cpp).
#include "id_regs.hpp"
#include "aarch32.hpp"
#include "registry.hpp"
#include "vcpu.hpp"
#include "vgic/kvm.hpp"
#include "vm.hpp"
#include <linux/kvm.h>
#include <linux/kvmx.h>

namespace kvmx {

namespace {

constexpr u64 field_mask(u32 shift)
{
	return 0xfULL << shift;
}

constexpr u64 get_field(u64 val, u32 shift)
{
	return (val >> shift) & 0xf;
}

constexpr u64 set_field(u64 val, u32 shift, u64 field)
{
	return (val & ~field_mask(shift)) | field << shift;
}

// ID registers CRm 1-3: the AArch32 ones.
constexpr u32 aarch32_id_regs = 24;

// ID_AA64MMFR1_EL1.ECBHB [63:60]; ID_AA64MMFR2_EL1.CCIDX [23:20] and EVT [59:56];
// ID_MMFR4_EL1.CCIDX [27:24].
constexpr u32 mmfr1_ecbhb = 60, mmfr2_ccidx = 20, mmfr2_evt = 56, mmfr4_ccidx = 24;
constexpr u32 ID_MMFR4 = id_index(2, 6);

// The AArch32 feature registers of a VM that runs AArch32 code (at EL1, or only at EL0
// under a 64-bit EL1): the host's, minus what kvmx does not virtualise in that state: the
// AArch32 debug and trace interfaces (CP14, so ID_DFR0 is zero), the PMU, AMU and the GIC
// system-register interface. Upstream 6.1 shows ID_DFR0 (PerfMon 0 without a PMU) since it
// emulates CP14 debug; kvmx answers CP14 with UNDEF, and says so.
u64 offer_aarch32(u32 index, u64 host)
{
	switch (index) {
	case 0:				       // ID_PFR0_EL1
		return set_field(host, 20, 0); // AMU
	case 1:				       // ID_PFR1_EL1
		return set_field(host, 28, 0); // GIC
	case 2:				       // ID_DFR0_EL1: CopDbg, CopSDbg, MMapDbg, PerfMon...
	case 3:				       // ID_AFR0_EL1
	case 21:			       // ID_DFR1_EL1: MTPMU
		return 0;
	case 19: // reserved encodings
	case 23:
		return 0;
	default:
		return host;
	}
}

// ID_AA64PFR0_EL1.GIC [27:24]: 1 = GICv3 system registers; CSV2 [59:56].
constexpr u32 pfr0_gic = 24, pfr0_csv2 = 56;

// ID_AA64PFR0_EL1.EL0 [3:0] and EL1 [7:4]: 1 = AArch64 only, 2 = AArch64 and AArch32.
constexpr u32 pfr0_el0 = 0, pfr0_el1 = 4;
constexpr u64 el_aarch64_only = 1, el_aarch32 = 2;

// What kvmx offers in feature-ID register @index: the host's, minus what it does not
// virtualise (SVE, SME, MTE, AMU, MPAM, PMU, pointer authentication, SPE, trace;
// AArch32 where the host's EL0 has none). The GIC field is 1 where the host can give the
// VM a GICv3 (gic_advertised() decides what is read). ARM ARM D19.2 field layouts.
u64 offer(u32 index, bool el1_aarch32)
{
	const u64 host = registry().host.arm64_id_regs[index];
	// A 64-bit VM runs AArch32 at EL0 wherever the host can (HCR_EL2.RW only fixes
	// EL1's width), as upstream: it is offered AArch32 EL0 and the AArch32 feature
	// registers (CRm 1-3) that describe it. Without AArch32 at any EL they are zero
	// (UNKNOWN in the architecture; zero is upstream's choice too).
	const bool aarch32 = el1_aarch32 || arm64_host_has_aarch32_el0();
	if (index < aarch32_id_regs) {
		if (!aarch32)
			return 0;
		// FEAT_CCIDX is the 64-bit CCSIDR format, which a 64-bit VM's fabricated
		// CCSIDR_EL1 is not (upstream hides it too); a 32-bit VM reads the hardware's.
		const u64 v = offer_aarch32(index, host);
		return index == ID_MMFR4 && !el1_aarch32 ? set_field(v, mmfr4_ccidx, 0) : v;
	}
	switch (index) {
	case ID_AA64PFR0: {
		// EL0: AArch32 too where offered. EL1: AArch32 too for a 32-bit VM; for a
		// 64-bit one the host's (upstream reports it; the guest cannot act on it, its
		// EL1 being AArch64 by HCR_EL2.RW); AArch64 only without AArch32 EL0.
		u64 el1 = el1_aarch32 ? el_aarch32 : get_field(host, pfr0_el1);
		if (!aarch32)
			el1 = el_aarch64_only;
		u64 v = set_field(host, pfr0_el0, aarch32 ? el_aarch32 : el_aarch64_only);
		v = set_field(v, pfr0_el1, el1);
		v = set_field(v, pfr0_gic, vgic_host_ok() ? 1 : 0);
		v = set_field(v, 32, 0); // SVE
		v = set_field(v, 40, 0); // MPAM
		v = set_field(v, 44, 0); // AMU
		return v;
	}
	case ID_AA64PFR1: {
		u64 v = set_field(host, 8, 0); // MTE
		v = set_field(v, 16, 0);       // MPAM_frac
		v = set_field(v, 24, 0);       // SME
		v = set_field(v, 36, 0);       // NMI
		return v;
	}
	case ID_AA64ZFR0:    // SVE
	case id_index(4, 5): // ID_AA64SMFR0_EL1 (SME)
		return 0;
	case ID_AA64DFR0: {
		u64 v = set_field(host, 0, 6); // DebugVer: Armv8.0 debug
		v = set_field(v, 4, 0);	       // TraceVer
		v = set_field(v, 8, 0);	       // PMUVer
		v = set_field(v, 32, 0);       // PMSVer (SPE)
		v = set_field(v, 40, 0);       // TraceFilt
		v = set_field(v, 44, 0);       // TraceBuffer
		v = set_field(v, 48, 0);       // MTPMU
		v = set_field(v, 52, 0);       // BRBE
		return v;
	}
	case ID_AA64ISAR1: { // APA, API, GPA, GPI
		u64 v = set_field(host, 4, 0);
		v = set_field(v, 8, 0);
		v = set_field(v, 24, 0);
		return set_field(v, 28, 0);
	}
	case ID_AA64MMFR2: // CCIDX: as ID_MMFR4's
		return el1_aarch32 ? host : set_field(host, mmfr2_ccidx, 0);
	case ID_AA64ISAR2: { // GPA3, APA3 (WFxT [3:0] is the host's: exits.cpp's handle_wfx)
		u64 v = set_field(host, 8, 0);
		return set_field(v, 12, 0);
	}
	default:
		return host;
	}
}

bool vm_el1_aarch32(const Vm *vm)
{
	return load_acquire(&vm->arch.el1_width) == 2;
}

// How a writable field may differ from kvmx's offer (ARM ARM D19.1.3, "Principles of the
// ID scheme for fields in ID registers"): a lower value (unsigned or signed, where 0xf is
// "not implemented"), or, for the few fields where a larger value promises less, higher.
enum class Rule : u8 { lower, lower_signed, higher };

struct WritableField {
	u8 index; // ID register
	u8 shift;
	Rule rule;
};

constexpr Rule L = Rule::lower, S = Rule::lower_signed, H = Rule::higher;

// The writable fields: upstream 6.12's choice for the registers its set_id_regs test
// covers (documented in api.rst). A field kvmx offers at its lowest value stays writable
// but takes only that value. Not writable, as upstream: the pointer-authentication,
// FP/AdvSIMD, SVE, AMU, MPAM and RAS fields, BRPs and CTX_CMPs, ID_AA64MMFR0_EL1.ASIDBITS
// and the TGRAN*_2 fields, and the AArch32 registers (which follow their own rules).
constexpr WritableField writable_fields[] = {
	// ID_AA64PFR0_EL1: CSV3, CSV2, DIT, SEL2, GIC, EL3, EL2, EL1, EL0.
	{ ID_AA64PFR0, 60, L },
	{ ID_AA64PFR0, 56, L },
	{ ID_AA64PFR0, 48, L },
	{ ID_AA64PFR0, 36, L },
	{ ID_AA64PFR0, 24, L },
	{ ID_AA64PFR0, 12, L },
	{ ID_AA64PFR0, 8, L },
	{ ID_AA64PFR0, 4, L },
	{ ID_AA64PFR0, 0, L },
	// ID_AA64PFR1_EL1: CSV2_frac, SSBS, BT.
	{ ID_AA64PFR1, 32, L },
	{ ID_AA64PFR1, 4, L },
	{ ID_AA64PFR1, 0, L },
	// ID_AA64ZFR0_EL1 (zero without SVE): F64MM, F32MM, I8MM, SM4, SHA3, BF16, BitPerm,
	// AES, SVEver.
	{ ID_AA64ZFR0, 56, L },
	{ ID_AA64ZFR0, 52, L },
	{ ID_AA64ZFR0, 44, L },
	{ ID_AA64ZFR0, 40, L },
	{ ID_AA64ZFR0, 32, L },
	{ ID_AA64ZFR0, 20, L },
	{ ID_AA64ZFR0, 16, L },
	{ ID_AA64ZFR0, 4, L },
	{ ID_AA64ZFR0, 0, L },
	// ID_AA64DFR0_EL1: DoubleLock (signed), WRPs, PMUVer, DebugVer (at least Armv8.0).
	{ ID_AA64DFR0, 36, S },
	{ ID_AA64DFR0, 20, L },
	{ ID_AA64DFR0, 8, L },
	{ ID_AA64DFR0, 0, L },
	// ID_AA64ISAR0_EL1: RNDR, TLB, TS, FHM, DP, SM4, SM3, SHA3, RDM, TME, Atomic, CRC32,
	// SHA2, SHA1, AES.
	{ ID_AA64ISAR0, 60, L },
	{ ID_AA64ISAR0, 56, L },
	{ ID_AA64ISAR0, 52, L },
	{ ID_AA64ISAR0, 48, L },
	{ ID_AA64ISAR0, 44, L },
	{ ID_AA64ISAR0, 40, L },
	{ ID_AA64ISAR0, 36, L },
	{ ID_AA64ISAR0, 32, L },
	{ ID_AA64ISAR0, 28, L },
	{ ID_AA64ISAR0, 24, L },
	{ ID_AA64ISAR0, 20, L },
	{ ID_AA64ISAR0, 16, L },
	{ ID_AA64ISAR0, 12, L },
	{ ID_AA64ISAR0, 8, L },
	{ ID_AA64ISAR0, 4, L },
	// ID_AA64ISAR1_EL1: LS64, XS, I8MM, DGH, BF16, SPECRES, SB, FRINTTS, LRCPC, FCMA,
	// JSCVT, DPB.
	{ ID_AA64ISAR1, 60, L },
	{ ID_AA64ISAR1, 56, L },
	{ ID_AA64ISAR1, 52, L },
	{ ID_AA64ISAR1, 48, L },
	{ ID_AA64ISAR1, 44, L },
	{ ID_AA64ISAR1, 40, L },
	{ ID_AA64ISAR1, 36, L },
	{ ID_AA64ISAR1, 32, L },
	{ ID_AA64ISAR1, 20, L },
	{ ID_AA64ISAR1, 16, L },
	{ ID_AA64ISAR1, 12, L },
	{ ID_AA64ISAR1, 0, L },
	// ID_AA64ISAR2_EL1: BC, RPRES, WFxT.
	{ ID_AA64ISAR2, 20, L },
	{ ID_AA64ISAR2, 4, L },
	{ ID_AA64ISAR2, 0, L },
	// ID_AA64MMFR0_EL1: ECV, EXS, TGRAN4 (signed), TGRAN64 (signed), TGRAN16, BigEndEL0,
	// SNSMem, BigEnd, PARange.
	{ ID_AA64MMFR0, 60, L },
	{ ID_AA64MMFR0, 44, L },
	{ ID_AA64MMFR0, 28, S },
	{ ID_AA64MMFR0, 24, S },
	{ ID_AA64MMFR0, 20, L },
	{ ID_AA64MMFR0, 16, L },
	{ ID_AA64MMFR0, 12, L },
	{ ID_AA64MMFR0, 8, L },
	{ ID_AA64MMFR0, 0, L },
	// ID_AA64MMFR1_EL1: TIDCP1, AFP, ETS, SpecSEI (higher is safe), PAN, LO, HPDS,
	// HAFDBS.
	{ ID_AA64MMFR1, 52, L },
	{ ID_AA64MMFR1, 44, L },
	{ ID_AA64MMFR1, 36, L },
	{ ID_AA64MMFR1, 24, H },
	{ ID_AA64MMFR1, 20, L },
	{ ID_AA64MMFR1, 16, L },
	{ ID_AA64MMFR1, 12, L },
	{ ID_AA64MMFR1, 0, L },
	// ID_AA64MMFR2_EL1: E0PD, BBM, TTL, AT, ST, VARange, IESB, LSM, UAO, CnP.
	{ ID_AA64MMFR2, 60, L },
	{ ID_AA64MMFR2, 52, L },
	{ ID_AA64MMFR2, 48, L },
	{ ID_AA64MMFR2, 32, L },
	{ ID_AA64MMFR2, 28, L },
	{ ID_AA64MMFR2, 16, L },
	{ ID_AA64MMFR2, 12, L },
	{ ID_AA64MMFR2, 8, L },
	{ ID_AA64MMFR2, 4, L },
	{ ID_AA64MMFR2, 0, L },
};

// ID_AA64DFR0_EL1.DebugVer below Armv8.0 debug (6) is not an AArch64 value.
constexpr u32 dfr0_debugver = 0;
constexpr u64 debugver_v8 = 6;
// ID_AA64MMFR1_EL1.LO; ID_AA64ISAR0_EL1.TLB.
constexpr u32 mmfr1_lo = 16, isar0_tlb = 56;
// ID_AA64PFR0_EL1.MPAM and ID_AA64PFR1_EL1.MPAM_frac.
constexpr u32 pfr0_mpam = 40, pfr1_mpam_frac = 16;

s64 signed_field(u64 f)
{
	return f & 8 ? static_cast<s64>(f) - 16 : static_cast<s64>(f);
}

bool field_narrows(Rule rule, u64 val, u64 limit)
{
	switch (rule) {
	case Rule::lower:
		return val <= limit;
	case Rule::lower_signed:
		return signed_field(val) <= signed_field(limit);
	default:
		return val >= limit;
	}
}

// What a VMM's value means before it is checked: values kvmx (or a KVM a VMM migrates
// from) may have given out that kvmx does not offer but reads as its own. An
// IMPLEMENTATION DEFINED PMU is no PMU (upstream KVM once exposed one); a host's MPAM
// value restored from a KVM that passed it through is ignored (kvmx hides MPAM).
u64 canonical(u32 index, u64 val)
{
	const u64 host = registry().host.arm64_id_regs[index];
	if (index == ID_AA64DFR0 && get_field(val, DFR0_PMUVER_SHIFT) == PMUVER_IMPDEF)
		return set_field(val, DFR0_PMUVER_SHIFT, 0);
	if (index == ID_AA64PFR0 && !((val ^ host) & field_mask(pfr0_mpam)))
		return set_field(val, pfr0_mpam, 0);
	if (index == ID_AA64PFR1 && !((val ^ host) & field_mask(pfr1_mpam_frac)))
		return set_field(val, pfr1_mpam_frac, 0);
	return val;
}

// Whether @val only narrows @limit: every writable field by its rule, every other bit
// equal.
bool only_narrows(u32 index, u64 val, u64 limit)
{
	if (index == ID_AA64DFR0 && get_field(val, dfr0_debugver) < debugver_v8)
		return false;
	for (const WritableField &f : writable_fields) {
		if (f.index == index &&
		    !field_narrows(f.rule, get_field(val, f.shift), get_field(limit, f.shift)))
			return false;
	}
	return !((val ^ limit) & ~id_reg_writable_mask(index));
}

// ID registers CRm 1-3 of a VM with a 64-bit EL1: the architected ones ignore userspace
// writes (a VMM that restores values from a host with other AArch32 features, or with
// none, keeps working); the reserved encodings and ID_AFR0_EL1 / ID_DFR1_EL1 must be
// written with what they read (zero). As upstream 6.1 where the host has no AArch32
// (its writes of the others must match there).
bool aarch32_id_reg_ignores_writes(u32 index)
{
	return index < aarch32_id_regs && index != 3 && index != 19 && index != 21 && index != 23;
}

} // namespace

void id_regs_vm_init(Vm *vm, bool el1_aarch32)
{
	MutexGuard guard(vm->lock);
	if (vm->arch.id_regs_ready)
		return;
	for (u32 i = 0; i < nr_id_regs; i++)
		vm->arch.id_regs[i] = offer(i, el1_aarch32);
	vm->arch.ctr = registry().host.arm64_ctr;
	vm->arch.id_regs_ready = true;
}

// ID_AA64PFR0_EL1.GIC: 1 on a host that can give VMs a GICv3 while this VM may still
// create one (VMMs read the ID registers before they create the vGIC, and write them back
// afterwards); once a vCPU has run without one, 0 for the guest and the VMM alike, and
// the guest's ICC_* accesses are undefined (hyp/switch.cpp, gic_trap_load). Upstream 6.12
// does the same (its no-vgic-v3 test); 6.1 said 1 and let the accesses through.
bool gic_advertised(const Vm *vm)
{
	return vgic_host_ok() && (vgic_kvm_created(vm) || !load_acquire(&vm->has_run));
}

u64 id_reg_read(const Vm *vm, u32 index)
{
	u64 v = vm->arch.id_regs[index];
	if (index == ID_AA64PFR0 && !gic_advertised(vm))
		v = set_field(v, pfr0_gic, 0);
	return v;
}

bool id_regs_gic_hidden(const Vm *vm)
{
	return vm->arch.id_regs_ready && !get_field(vm->arch.id_regs[ID_AA64PFR0], pfr0_gic);
}

u64 id_reg_writable_mask(u32 index)
{
	u64 mask = 0;
	for (const WritableField &f : writable_fields) {
		if (f.index == index)
			mask |= field_mask(f.shift);
	}
	return mask;
}

Status id_reg_write(Vm *vm, u32 index, u64 val)
{
	const bool el1_aarch32 = vm_el1_aarch32(vm);
	// A 32-bit VM's AArch32 ID registers are real: the same rule as the others.
	if (!el1_aarch32 && aarch32_id_reg_ignores_writes(index))
		return Status::ok();
	MutexGuard guard(vm->lock);
	// Once a vCPU has run the registers are fixed: writing what they read succeeds (a
	// VMM restores what it saved), any change is EBUSY, as upstream.
	if (load_acquire(&vm->has_run))
		return id_reg_read(vm, index) == val ? Status::ok() : Status::error(-EBUSY);
	const u64 v = canonical(index, val);
	const u64 limit = offer(index, el1_aarch32);
	if (!only_narrows(index, v, limit))
		return Status::error(-EINVAL);
	// A 32-bit VM runs AArch32 at EL1 and EL0 whatever the register says: it keeps
	// saying so.
	if (index == ID_AA64PFR0 && el1_aarch32 &&
	    ((v ^ limit) & (field_mask(pfr0_el0) | field_mask(pfr0_el1))))
		return Status::error(-EINVAL);
	// A VM with a vGIC keeps its GIC system registers: hiding them would need the
	// guest's ICC_* accesses trapped and undefined beside a working vGIC.
	if (index == ID_AA64PFR0 && vgic_kvm_created(vm) &&
	    get_field(v, pfr0_gic) != get_field(limit, pfr0_gic))
		return Status::error(-EINVAL);
	vm->arch.id_regs[index] = v;
	return Status::ok();
}

namespace {

// CTR_EL0 (D19.2.34): DIC [29] and IDC [28] (1: no instruction / data cache maintenance
// needed to the point of unification), DminLine [19:16] and IminLine [3:0] (log2 of the
// smallest line in words). Each may only go down: a guest told of smaller lines or of
// maintenance it does not need does more of it, never less.
constexpr u64 CTR_DIC = 1ULL << 29, CTR_IDC = 1ULL << 28;
constexpr u32 ctr_dminline = 16, ctr_iminline = 0;
constexpr u64 ctr_writable =
	CTR_DIC | CTR_IDC | field_mask(ctr_dminline) | field_mask(ctr_iminline);

// CLIDR_EL1 (D19.2.29): bits [63:47] RES0; LoUIS [23:21], LoC [26:24], LoUU [29:27].
constexpr u64 clidr_writable = (1ULL << 47) - 1;

bool clidr_says_idc(u64 clidr)
{
	const u64 louis = (clidr >> 21) & 7, loc = (clidr >> 24) & 7, louu = (clidr >> 27) & 7;
	return !loc || (!louis && !louu);
}

// A 32-bit VM's CP15 CTR, CCSIDR, CLIDR and CSSELR accesses are not emulated: it gets
// the host's, and their registers only take the value they read.
bool cache_regs_fixed(const Vm *vm)
{
	return vm_el1_aarch32(vm);
}

} // namespace

u64 ctr_read(const Vm *vm)
{
	return vm->arch.ctr;
}

Status ctr_write(Vm *vm, u64 val)
{
	const u64 host = registry().host.arm64_ctr;
	MutexGuard guard(vm->lock);
	if (load_acquire(&vm->has_run))
		return vm->arch.ctr == val ? Status::ok() : Status::error(-EBUSY);
	const u64 writable = cache_regs_fixed(vm) ? 0 : ctr_writable;
	if ((val ^ host) & ~writable || (val & ~host & (CTR_DIC | CTR_IDC)) ||
	    get_field(val, ctr_dminline) > get_field(host, ctr_dminline) ||
	    get_field(val, ctr_iminline) > get_field(host, ctr_iminline))
		return Status::error(-EINVAL);
	vm->arch.ctr = val;
	return Status::ok();
}

Status clidr_write(Vcpu *vcpu, u64 val)
{
	const kvmx_host_info &h = registry().host;
	if (cache_regs_fixed(vcpu->vm))
		return val == h.arm64_clidr ? Status::ok() : Status::error(-EINVAL);
	// A guest must not be told it may skip the data cache clean to the point of
	// unification where the hardware needs it (CTR_EL0.IDC 0), as upstream.
	if (val & ~clidr_writable || (!(h.arm64_ctr & CTR_IDC) && clidr_says_idc(val)))
		return Status::error(-EINVAL);
	vcpu->arch.clidr = val;
	return Status::ok();
}

namespace {

// CCSIDR_EL1 (D19.2.25, without FEAT_CCIDX, which kvmx hides): [63:32] RES0, LineSize
// [2:0] = log2(line bytes) - 4.
constexpr u64 ccsidr_res0 = ~0ULL << 32;

// log2 of the smallest line in bytes CTR_EL0 names for the cache CSSELR_EL1.InD [0] picks.
u64 min_line_log2(const Vcpu *vcpu, u32 csselr)
{
	const u64 ctr = vcpu->vm->arch.ctr;
	return get_field(ctr, csselr & 1 ? ctr_iminline : ctr_dminline) + 2;
}

// A cache of one set and one way whose line is the smallest CTR_EL0 names, as upstream
// fabricates it: the geometry means nothing to a vCPU that may move between CPUs, and
// set/way maintenance by a guest is then one operation.
u32 ccsidr_fabricated(const Vcpu *vcpu, u32 csselr)
{
	const u64 line = min_line_log2(vcpu, csselr);
	return line >= 4 ? static_cast<u32>(line - 4) : 0;
}

} // namespace

static_assert(sizeof(ArchVcpu::ccsidr) / sizeof(u32) == ccsidr_count, "arch_vcpu.hpp");

u32 ccsidr_get(const Vcpu *vcpu, u32 csselr)
{
	return vcpu->arch.ccsidr_own ? vcpu->arch.ccsidr[csselr] : ccsidr_fabricated(vcpu, csselr);
}

Status ccsidr_set(Vcpu *vcpu, u32 csselr, u32 val)
{
	if (val == ccsidr_get(vcpu, csselr))
		return Status::ok();
	if (cache_regs_fixed(vcpu->vm) || (val & ccsidr_res0) ||
	    (val & 7) + 4 < min_line_log2(vcpu, csselr))
		return Status::error(-EINVAL);
	if (!vcpu->arch.ccsidr_own) {
		for (u32 i = 0; i < ccsidr_count; i++)
			vcpu->arch.ccsidr[i] = ccsidr_fabricated(vcpu, i);
		vcpu->arch.ccsidr_own = true;
	}
	vcpu->arch.ccsidr[csselr] = val;
	return Status::ok();
}

u64 ccsidr_read(const Vcpu *vcpu, u64 csselr)
{
	// CSSELR values 14 and 15 name no cache (Level 8 does not exist): the fabricated value.
	return csselr < ccsidr_count ? ccsidr_get(vcpu, static_cast<u32>(csselr))
				     : ccsidr_fabricated(vcpu, static_cast<u32>(csselr));
}

bool host_not_affected_by_spectre_v2()
{
	return get_field(registry().host.arm64_id_regs[ID_AA64PFR0], pfr0_csv2) != 0;
}

bool host_not_affected_by_spectre_bhb()
{
	const kvmx_host_info &h = registry().host;
	return get_field(h.arm64_id_regs[ID_AA64PFR0], pfr0_csv2) == 3 ||
	       get_field(h.arm64_id_regs[ID_AA64MMFR1], mmfr1_ecbhb) != 0;
}

long id_regs_get_writable_masks(unsigned long arg)
{
	reg_mask_range range;
	if (kvmx_host_copy_from_user(&range, arg, sizeof(range)))
		return -EFAULT;
	if (range.range != KVM_ARM_FEATURE_ID_RANGE)
		return -EINVAL;
	for (u32 r : range.reserved) {
		if (r)
			return -EINVAL;
	}
	// Op1 0, 1 and 3 (rows of 64), CRm 0-7, op2 0-7: the ID registers (op1 0, CRm 1-7),
	// CLIDR_EL1 and CTR_EL0 have writable bits, as upstream. One CRm row at a time. A
	// 32-bit VM's CLIDR and CTR take only their value (clidr_write, ctr_write).
	constexpr u32 rows = KVM_ARM_FEATURE_ID_RANGE_SIZE / 8;
	for (u32 row = 0; row < rows; row++) {
		u64 masks[8] = {};
		const u32 crm = row % 8;
		if (row < 8 && crm >= 1) {
			for (u32 op2 = 0; op2 < 8; op2++)
				masks[op2] = id_reg_writable_mask(id_index(crm, op2));
		}
		if (row == 8) // op1 1, CRm 0: CLIDR_EL1 (op2 1)
			masks[1] = clidr_writable;
		if (row == 16) // op1 3, CRm 0: CTR_EL0 (op2 1)
			masks[1] = ctr_writable;
		if (kvmx_host_copy_to_user(range.addr + row * sizeof(masks), masks, sizeof(masks)))
			return -EFAULT;
	}
	return 0;
}

u64 id_regs_hcr(const Vcpu *vcpu)
{
	const Vm *vm = vcpu->vm;
	const kvmx_host_info &h = registry().host;
	// Nothing to trap on a host without them (TTLBOS is then RES0).
	const u64 isar0 = h.arm64_id_regs[ID_AA64ISAR0];
	u64 hcr =
		get_field(isar0, isar0_tlb) && !get_field(vm->arch.id_regs[ID_AA64ISAR0], isar0_tlb)
			? HCR_TTLBOS
			: 0;
	// A 64-bit guest reads the VM's cache registers, never the hardware's geometry, which
	// may differ between CPUs and hosts: FEAT_EVT's TID4 traps CCSIDR_EL1, CLIDR_EL1 and
	// CSSELR_EL1 only; TID2 also CTR_EL0, needed where the VMM changed it. A 32-bit VM
	// reads the hardware's (cache_regs_fixed).
	if (cache_regs_fixed(vm))
		return hcr;
	if (vm->arch.ctr == h.arm64_ctr && get_field(h.arm64_id_regs[ID_AA64MMFR2], mmfr2_evt))
		return hcr | HCR_TID4;
	return hcr | HCR_TID2;
}

bool id_regs_have_lor(const Vm *vm)
{
	return get_field(vm->arch.id_regs[ID_AA64MMFR1], mmfr1_lo) != 0;
}

} // namespace kvmx
