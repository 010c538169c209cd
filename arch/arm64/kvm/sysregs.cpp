// SPDX-License-Identifier: GPL-2.0
// The arm64 system register table: every register kvmx exposes through ONE_REG or
// emulates for a trapping guest, where its value lives and how it resets. Must not touch
// hardware (the world switch loads what lives in GuestSysregs).
#include "sysregs.hpp"
#include "id_regs.hpp"
#include "pmu.hpp"
#include "registry.hpp"
#include "timer.hpp"
#include "vcpu.hpp"
#include "vgic/kvm.hpp"
#include "vm.hpp"
#include <linux/kvm.h>

namespace kvmx {

namespace {

enum class Kind : u8 {
	ctx,	   // GuestSysregs (loaded into the hardware for the guest)
	dbg,	   // GuestDebug (trapped until the guest writes one, then in hardware)
	emul,	   // ArchVcpu::emul (trapped, storage only)
	a32,	   // GuestCpu::a32 (AArch32 EL1 state: in hardware for a 32-bit EL1)
	id,	   // feature-ID register (VM-wide, id_regs.cpp)
	invariant, // host identification register (read-only, same on every vCPU)
	mpidr,	   // the vCPU's MPIDR_EL1 (VMPIDR_EL2)
	raz_wi,	   // trapped, reads as zero, writes ignored; not in ONE_REG
	oslar,	   // OSLAR_EL1: write-only, sets OSLSR_EL1.OSLK; not in ONE_REG
	ctr,	   // CTR_EL0 (VM-wide, id_regs.cpp)
	clidr,	   // the vCPU's CLIDR_EL1 (id_regs.cpp)
	ccsidr,	   // CCSIDR_EL1 as a guest with HCR_EL2.TID2 reads it; not in ONE_REG
};

struct SysregDesc {
	u32 enc;
	Kind kind;
	u16 index;
	u64 reset;
};

constexpr u32 E(u32 op0, u32 op1, u32 crn, u32 crm, u32 op2)
{
	return sysreg_enc(op0, op1, crn, crm, op2);
}

// OSLSR_EL1.OSLM: the OS lock is implemented (D13.3.26); FPEXC32_EL2 resets to EN|...
constexpr u64 oslsr_oslm = 1ULL << 3;
constexpr u64 fpexc32_reset = 0x700;

enum Invariant : u16 { inv_midr, inv_revidr, inv_aidr, inv_dczid };

struct SysregTable {
	SysregDesc d[200];
	u32 n;
	constexpr void add(u32 enc, Kind kind, u32 index = 0, u64 reset = 0)
	{
		d[n++] = SysregDesc{ enc, kind, static_cast<u16>(index), reset };
	}
};

constexpr SysregTable make_table()
{
	SysregTable t{};
	// Debug (op0 = 2): breakpoint and watchpoint registers 0-15, then the rest.
	for (u32 i = 0; i < 16; i++) {
		t.add(E(2, 0, 0, i, 4), Kind::dbg, DBGBVR0 + i);
		t.add(E(2, 0, 0, i, 5), Kind::dbg, DBGBCR0 + i);
		t.add(E(2, 0, 0, i, 6), Kind::dbg, DBGWVR0 + i);
		t.add(E(2, 0, 0, i, 7), Kind::dbg, DBGWCR0 + i);
	}
	t.add(E(2, 0, 0, 2, 0), Kind::emul, MDCCINT_EL1);
	t.add(E(2, 0, 0, 2, 2), Kind::dbg, DBG_MDSCR);
	t.add(E(2, 0, 1, 0, 0), Kind::raz_wi); // MDRAR_EL1
	t.add(E(2, 0, 1, 0, 4), Kind::oslar);  // OSLAR_EL1
	t.add(E(2, 0, 1, 1, 4), Kind::emul, OSLSR_EL1, oslsr_oslm);
	t.add(E(2, 0, 1, 3, 4), Kind::emul, OSDLR_EL1);	  // not in ONE_REG upstream either
	t.add(E(2, 0, 1, 4, 4), Kind::emul, DBGPRCR_EL1); // idem
	t.add(E(2, 0, 7, 8, 6), Kind::raz_wi);		  // DBGCLAIMSET_EL1
	t.add(E(2, 0, 7, 9, 6), Kind::raz_wi);		  // DBGCLAIMCLR_EL1
	t.add(E(2, 3, 0, 1, 0), Kind::raz_wi);		  // MDCCSR_EL0
	t.add(E(2, 4, 0, 7, 0), Kind::emul, DBGVCR32_EL2);
	// Identification.
	t.add(E(3, 0, 0, 0, 0), Kind::invariant, inv_midr);
	t.add(E(3, 0, 0, 0, 5), Kind::mpidr);
	t.add(E(3, 0, 0, 0, 6), Kind::invariant, inv_revidr);
	for (u32 crm = 1; crm <= 7; crm++) {
		for (u32 op2 = 0; op2 < 8; op2++)
			t.add(E(3, 0, 0, crm, op2), Kind::id, (crm - 1) * 8 + op2);
	}
	// RAS error records (HCR_EL2.TERR) and LORegions (HCR_EL2.TLOR): the guest may see
	// both features in its ID registers but has no error records or LORegions of its
	// own: the registers read as zero and ignore writes.
	t.add(E(3, 0, 5, 3, 0), Kind::raz_wi); // ERRIDR_EL1
	t.add(E(3, 0, 5, 3, 1), Kind::raz_wi); // ERRSELR_EL1
	for (u32 op2 = 0; op2 < 7; op2++)
		t.add(E(3, 0, 5, 4, op2), Kind::raz_wi); // ERXFR..ERXPFGCDN_EL1
	for (u32 op2 = 0; op2 < 4; op2++)
		t.add(E(3, 0, 5, 5, op2), Kind::raz_wi); // ERXMISC0..3_EL1
	for (u32 op2 = 0; op2 < 4; op2++)
		t.add(E(3, 0, 10, 4, op2), Kind::raz_wi); // LORSA, LOREA, LORN, LORC_EL1
	t.add(E(3, 0, 10, 4, 7), Kind::raz_wi);		  // LORID_EL1
	// EL1 context.
	t.add(E(3, 0, 1, 0, 0), Kind::ctx, SCTLR_EL1, 0x00c50078); // RES1 bits, MMU off
	t.add(E(3, 0, 1, 0, 1), Kind::emul, ACTLR_EL1);
	t.add(E(3, 0, 1, 0, 2), Kind::ctx, CPACR_EL1);
	t.add(E(3, 0, 2, 0, 0), Kind::ctx, TTBR0_EL1);
	t.add(E(3, 0, 2, 0, 1), Kind::ctx, TTBR1_EL1);
	t.add(E(3, 0, 2, 0, 2), Kind::ctx, TCR_EL1);
	t.add(E(3, 0, 5, 1, 0), Kind::ctx, AFSR0_EL1);
	t.add(E(3, 0, 5, 1, 1), Kind::ctx, AFSR1_EL1);
	t.add(E(3, 0, 5, 2, 0), Kind::ctx, ESR_EL1);
	t.add(E(3, 0, 6, 0, 0), Kind::ctx, FAR_EL1);
	t.add(E(3, 0, 7, 4, 0), Kind::ctx, PAR_EL1);
	t.add(E(3, 0, 10, 2, 0), Kind::ctx, MAIR_EL1);
	t.add(E(3, 0, 10, 3, 0), Kind::ctx, AMAIR_EL1);
	t.add(E(3, 0, 12, 0, 0), Kind::ctx, VBAR_EL1);
	t.add(E(3, 0, 12, 1, 1), Kind::emul, DISR_EL1);
	t.add(E(3, 0, 13, 0, 1), Kind::ctx, CONTEXTIDR_EL1);
	t.add(E(3, 0, 13, 0, 4), Kind::ctx, TPIDR_EL1);
	t.add(E(3, 0, 14, 1, 0), Kind::ctx, CNTKCTL_EL1);
	t.add(E(3, 1, 0, 0, 0), Kind::ccsidr);
	t.add(E(3, 1, 0, 0, 1), Kind::clidr);
	t.add(E(3, 1, 0, 0, 7), Kind::invariant, inv_aidr);
	t.add(E(3, 2, 0, 0, 0), Kind::ctx, CSSELR_EL1);
	t.add(E(3, 3, 0, 0, 1), Kind::ctr);
	t.add(E(3, 3, 13, 0, 2), Kind::ctx, TPIDR_EL0);
	t.add(E(3, 3, 13, 0, 3), Kind::ctx, TPIDRRO_EL0);
	// AArch32 EL1 state (switched for a 32-bit EL1; a 64-bit one keeps it for the VMM).
	t.add(E(3, 4, 3, 0, 0), Kind::a32, DACR32_EL2);
	t.add(E(3, 4, 5, 0, 1), Kind::a32, IFSR32_EL2);
	t.add(E(3, 4, 5, 3, 0), Kind::a32, FPEXC32_EL2, fpexc32_reset);
	return t;
}

constexpr SysregTable table = make_table();
static_assert(table.n <= sizeof(table.d) / sizeof(table.d[0]), "sysreg table");

// Registers upstream never exposes through ONE_REG (trap emulation only).
bool onereg_hidden(const SysregDesc &d)
{
	return d.kind == Kind::raz_wi || d.kind == Kind::oslar || d.kind == Kind::ccsidr ||
	       d.enc == E(2, 0, 1, 3, 4) || d.enc == E(2, 0, 1, 4, 4);
}

const SysregDesc *find(u32 enc)
{
	for (u32 i = 0; i < table.n; i++) {
		if (table.d[i].enc == enc)
			return &table.d[i];
	}
	return nullptr;
}

u64 invariant_value(u32 index)
{
	const kvmx_host_info &h = registry().host;
	switch (index) {
	case inv_midr:
		return h.arm64_midr;
	case inv_revidr:
		return h.arm64_revidr;
	case inv_aidr:
		return h.arm64_aidr;
	default:
		return h.arm64_dczid;
	}
}

// MPIDR_EL1 of vCPU @id: Aff0 = id[3:0], Aff1 = id[11:4], Aff2 = id[19:12], bit 31 RES1;
// 16 vCPUs per cluster, as upstream, so a VMM's device tree agrees with either.
u64 mpidr_of(u32 id)
{
	return 1ULL << 31 | (id & 0xf) | ((id >> 4) & 0xffULL) << 8 | ((id >> 12) & 0xffULL) << 16;
}

Result<u64> read_reg(Vcpu *vcpu, const SysregDesc &d)
{
	ArchVcpu &a = vcpu->arch;
	switch (d.kind) {
	case Kind::ctx:
		arm64_el1_sync(a.cpu);
		return a.cpu.sys.r[d.index];
	case Kind::emul:
		return a.emul[d.index];
	case Kind::a32:
		return a.cpu.a32[d.index];
	case Kind::dbg:
		return debug_reg(a.cpu.dbg, d.index);
	case Kind::id:
		// PMUVer depends on the vCPU's PMU feature, as upstream.
		return d.index == ID_AA64DFR0 ? pmu_dfr0_read(vcpu, id_reg_read(vcpu->vm, d.index))
					      : id_reg_read(vcpu->vm, d.index);
	case Kind::invariant:
		return invariant_value(d.index);
	case Kind::ctr:
		return ctr_read(vcpu->vm);
	case Kind::clidr:
		return a.clidr;
	case Kind::ccsidr:
		arm64_el1_sync(a.cpu);
		return ccsidr_read(vcpu, a.cpu.sys.r[CSSELR_EL1]);
	case Kind::mpidr:
		return a.cpu.vmpidr;
	case Kind::raz_wi:
		return 0ULL;
	default:
		return Status::error(-ENOENT);
	}
}

constexpr u64 timer_cnt_id = KVM_REG_ARM_TIMER_CNT & 0xffff;
constexpr u64 timer_cval_id = KVM_REG_ARM_TIMER_CVAL & 0xffff;
constexpr u64 timer_ctl_id = KVM_REG_ARM_TIMER_CTL & 0xffff;
constexpr u64 ptimer_cnt_id = KVM_REG_ARM_PTIMER_CNT & 0xffff;
constexpr u64 ptimer_cval_id = KVM_REG_ARM_PTIMER_CVAL & 0xffff;
constexpr u64 ptimer_ctl_id = KVM_REG_ARM_PTIMER_CTL & 0xffff;

// KVM_REG_ARM_{TIMER,PTIMER}_{CNT,CVAL,CTL}: both EL1 timers as the guest sees them (the
// physical timer's since upstream 6.7; 6.1 listed the virtual timer's only). Writing a
// counter sets the VM's offset for it: every vCPU's counter moves, as upstream. False for
// any other register.
bool timer_onereg(Vcpu *vcpu, u32 enc, u64 *val, bool write)
{
	ArchVm &vm = vcpu->vm->arch;
	u64 *r = vcpu->arch.cpu.sys.r;
	u64 *off = enc == timer_cnt_id ? &vm.cntvoff : enc == ptimer_cnt_id ? &vm.cntpoff : nullptr;
	if (off) {
		if (write)
			*off = arm64_counter() - *val;
		else
			*val = arm64_counter() - *off;
		return true;
	}
	u64 *reg = enc == timer_cval_id	   ? &r[CNTV_CVAL_EL0]
		   : enc == ptimer_cval_id ? &r[CNTP_CVAL_EL0]
		   : enc == timer_ctl_id   ? &r[CNTV_CTL_EL0]
		   : enc == ptimer_ctl_id  ? &r[CNTP_CTL_EL0]
					   : nullptr;
	if (!reg)
		return false;
	const bool ctl = enc == timer_ctl_id || enc == ptimer_ctl_id;
	if (!write)
		*val = *reg;
	else
		*reg = ctl ? *val & 3 : *val; // CTL: ENABLE, IMASK; ISTATUS is read-only
	return true;
}

} // namespace

void sysregs_reset(Vcpu *vcpu)
{
	ArchVcpu &a = vcpu->arch;
	arm64_el1_sync(a.cpu); // or a later sync would undo the reset
	for (u32 i = 0; i < nr_guest_sysregs; i++)
		a.cpu.sys.r[i] = 0;
	for (u32 i = 0; i < nr_emul_sysregs; i++)
		a.emul[i] = 0;
	for (u32 i = 0; i < nr_aarch32_regs; i++)
		a.cpu.a32[i] = 0;
	a.cpu.dbg = GuestDebug{};
	a.debug_live = false;
	for (u32 i = 0; i < table.n; i++) {
		const SysregDesc &d = table.d[i];
		if (d.kind == Kind::ctx)
			a.cpu.sys.r[d.index] = d.reset;
		else if (d.kind == Kind::emul)
			a.emul[d.index] = d.reset;
		else if (d.kind == Kind::a32)
			a.cpu.a32[d.index] = d.reset;
	}
	id_regs_vm_init(vcpu->vm, a.cpu.el1_aarch32);
	// The first init gives the vCPU its MPIDR and CLIDR; a VMM's own survive a reset, as
	// upstream.
	if (!a.initialised) {
		a.cpu.vmpidr = mpidr_of(vcpu->id);
		a.clidr = registry().host.arm64_clidr;
	}
	a.cpu.vpidr = registry().host.arm64_midr;
}

Status sysreg_get(Vcpu *vcpu, u32 enc, u64 *val)
{
	if (timer_onereg(vcpu, enc, val, false))
		return Status::ok();
	if (pmu_onereg_claims(enc))
		return pmu_onereg_get(vcpu, enc, val);
	const SysregDesc *d = find(enc);
	if (!d || onereg_hidden(*d))
		return Status::error(-ENOENT);
	Result<u64> r = read_reg(vcpu, *d);
	if (!r.is_ok())
		return Status::error(r.err());
	*val = r.value();
	return Status::ok();
}

Status sysreg_set(Vcpu *vcpu, u32 enc, u64 val)
{
	ArchVcpu &a = vcpu->arch;
	if (timer_onereg(vcpu, enc, &val, true))
		return Status::ok();
	if (pmu_onereg_claims(enc))
		return pmu_onereg_set(vcpu, enc, val);
	const SysregDesc *d = find(enc);
	if (!d || onereg_hidden(*d))
		return Status::error(-ENOENT);
	switch (d->kind) {
	case Kind::ctx:
		arm64_el1_sync(a.cpu);
		a.cpu.sys.r[d->index] = val;
		return Status::ok();
	case Kind::a32:
		a.cpu.a32[d->index] = val;
		return Status::ok();
	case Kind::dbg:
		debug_reg(a.cpu.dbg, d->index) = val;
		return Status::ok();
	case Kind::emul:
		// OSLSR_EL1: only the lock bit is state; OSLM says what is implemented.
		if (d->index == OSLSR_EL1 && (val ^ a.emul[OSLSR_EL1]) & ~oslsr_oslk)
			return Status::error(-EINVAL);
		a.emul[d->index] = val;
		return Status::ok();
	case Kind::mpidr:
		a.cpu.vmpidr = val;
		return Status::ok();
	case Kind::id:
		if (d->index == ID_AA64DFR0) {
			Status st = pmu_dfr0_write(vcpu, &val);
			if (!st.is_ok())
				return st;
		}
		return id_reg_write(vcpu->vm, d->index, val);
	case Kind::ctr:
		return ctr_write(vcpu->vm, val);
	case Kind::clidr:
		return clidr_write(vcpu, val);
	case Kind::invariant:
		// Not configurable: the VMM may restore what it read, nothing else.
		return invariant_value(d->index) == val ? Status::ok() : Status::error(-EINVAL);
	default:
		return Status::error(-ENOENT);
	}
}

u32 sysreg_list(u64 *out)
{
	constexpr u64 prefix = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM64_SYSREG;
	u32 n = 0;
	for (u32 i = 0; i < table.n; i++) {
		if (onereg_hidden(table.d[i]))
			continue;
		if (out)
			out[n] = prefix | table.d[i].enc;
		n++;
	}
	constexpr u64 timer_ids[] = { timer_ctl_id,  timer_cnt_id,  timer_cval_id,
				      ptimer_ctl_id, ptimer_cnt_id, ptimer_cval_id };
	for (u64 enc : timer_ids) {
		if (out)
			out[n] = prefix | enc;
		n++;
	}
	return n;
}

bool sysreg_trap(Vcpu *vcpu, u64 esr)
{
	// ESR_EL2.ISS for EC 0x18 (D17.2.37): Op0 [21:20], Op2 [19:17], Op1 [16:14],
	// CRn [13:10], Rt [9:5], CRm [4:1], Direction [0] (1 = read).
	u32 enc = E((esr >> 20) & 3, (esr >> 14) & 7, (esr >> 10) & 0xf, (esr >> 1) & 0xf,
		    (esr >> 17) & 7);
	u32 rt = (esr >> 5) & 0x1f;
	bool read = esr & 1;
	u64 *x = vcpu->arch.cpu.frame.x;
	u64 val = rt == 31 ? 0 : x[rt];
	if (!sysreg_emulate(vcpu, enc, read, &val))
		return false;
	if (read && rt != 31)
		x[rt] = val;
	return true;
}

bool sysreg_emulate(Vcpu *vcpu, u32 enc, bool read, u64 *val)
{
	ArchVcpu &a = vcpu->arch;
	// DC ISW/CSW/CISW (HCR_EL2.TSW): set/way maintenance means nothing to a vCPU that
	// shares caches with others, and the stage-2 memory kvmx maps is normal cacheable
	// memory kept coherent by the hardware: complete them as no-ops (firmware such as
	// EDK2 issues them at boot).
	if (enc == E(1, 0, 7, 6, 2) || enc == E(1, 0, 7, 10, 2) || enc == E(1, 0, 7, 14, 2))
		return true;
	using Claim = SysregClaim (*)(Vcpu *, u32, bool, u64 *);
	constexpr Claim claims[] = { ptimer_sysreg, vgic_kvm_sysreg, pmu_sysreg };
	for (Claim claim : claims) {
		SysregClaim c = claim(vcpu, enc, read, val);
		if (c != SysregClaim::not_mine)
			return c == SysregClaim::done;
	}
	const SysregDesc *d = find(enc);
	if (!d)
		return false;
	// LORSA..LORC_EL1 and LORID_EL1 (op0 3, op1 0, CRn 10, CRm 4) of a VM whose
	// ID_AA64MMFR1_EL1.LO the VMM set to 0: undefined, as upstream.
	if ((enc & ~7u) == E(3, 0, 10, 4, 0) && !id_regs_have_lor(vcpu->vm))
		return false;
	if (read) {
		if (d->kind == Kind::oslar)
			return false;
		Result<u64> r = read_reg(vcpu, *d);
		if (!r.is_ok())
			return false;
		*val = r.value();
		return true;
	}
	switch (d->kind) {
	case Kind::dbg:
		// From now on the guest's debug registers live in the hardware while it runs.
		debug_reg(a.cpu.dbg, d->index) = *val;
		a.debug_live = true;
		return true;
	case Kind::emul:
		if (d->index == OSLSR_EL1 || d->index == ACTLR_EL1)
			return d->index == ACTLR_EL1; // ACTLR writes ignored; OSLSR is read-only
		a.emul[d->index] = *val;
		return true;
	case Kind::oslar:
		a.emul[OSLSR_EL1] = (a.emul[OSLSR_EL1] & ~oslsr_oslk) | (*val & 1 ? oslsr_oslk : 0);
		return true;
	case Kind::raz_wi:
		return true;
	case Kind::ctx:
		// Only CSSELR_EL1 traps (HCR_EL2.TID2, with CCSIDR_EL1 emulated): Level
		// [3:1] and InD [0] select the cache.
		if (d->index != CSSELR_EL1)
			return false;
		arm64_el1_sync(a.cpu);
		a.cpu.sys.r[CSSELR_EL1] = *val & 0xf;
		return true;
	default:
		return false; // ID and identification registers are read-only
	}
}

} // namespace kvmx
