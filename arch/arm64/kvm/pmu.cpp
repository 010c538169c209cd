// SPDX-License-Identifier: GPL-2.0
// The guest's PMUv3 (Performance Monitors Extension, ARM ARM D11 and D13.4) as the VMM
// and the guest reach it: the vCPU feature and the KVM_ARM_VCPU_PMU_V3_CTRL attributes,
// the trapped PMU registers (MDCR_EL2.TPM/TPMCR) with their EL0 rules, ONE_REG and
// ID_AA64DFR0_EL1.PMUVer. The counters themselves are pmu_counters.cpp's. Must not touch
// the host's PMU registers.
#include "pmu.hpp"
#include "pmu_counters.hpp"
#include "aarch32.hpp"
#include "id_regs.hpp"
#include "registry.hpp"
#include "vcpu.hpp"
#include "vgic/kvm.hpp"
#include "vm.hpp"
#include <linux/kvm.h>

namespace kvmx {

using namespace pmu_detail;

namespace {

constexpr u32 E(u32 op0, u32 op1, u32 crn, u32 crm, u32 op2)
{
	return sysreg_enc(op0, op1, crn, crm, op2);
}

// The PMU registers (D13.4), op0 3.
constexpr u32 PMINTENSET_EL1 = E(3, 0, 9, 14, 1), PMINTENCLR_EL1 = E(3, 0, 9, 14, 2);
constexpr u32 PMMIR_EL1 = E(3, 0, 9, 14, 6);
constexpr u32 PMCR_EL0 = E(3, 3, 9, 12, 0), PMCNTENSET_EL0 = E(3, 3, 9, 12, 1);
constexpr u32 PMCNTENCLR_EL0 = E(3, 3, 9, 12, 2), PMOVSCLR_EL0 = E(3, 3, 9, 12, 3);
constexpr u32 PMSWINC_EL0 = E(3, 3, 9, 12, 4), PMSELR_EL0 = E(3, 3, 9, 12, 5);
constexpr u32 PMCEID0_EL0 = E(3, 3, 9, 12, 6), PMCEID1_EL0 = E(3, 3, 9, 12, 7);
constexpr u32 PMCCNTR_EL0 = E(3, 3, 9, 13, 0), PMXEVTYPER_EL0 = E(3, 3, 9, 13, 1);
constexpr u32 PMXEVCNTR_EL0 = E(3, 3, 9, 13, 2), PMUSERENR_EL0 = E(3, 3, 9, 14, 0);
constexpr u32 PMOVSSET_EL0 = E(3, 3, 9, 14, 3);
// PMEVCNTR<n>_EL0: op1 3, CRn 14, CRm 8 + n / 8, op2 n % 8; PMEVTYPER<n>_EL0 CRm 12-15;
// PMCCFILTR_EL0 is the PMEVTYPER encoding of n = 31.
constexpr u32 PMEVCNTR0_EL0 = E(3, 3, 14, 8, 0), PMEVTYPER0_EL0 = E(3, 3, 14, 12, 0);
constexpr u32 PMCCFILTR_EL0 = E(3, 3, 14, 15, 7);

// PMUSERENR_EL0: EN (all), SW (PMSWINC), CR (PMCCNTR read), ER (event counter reads and
// PMSELR).
constexpr u64 USERENR_EN = 1, USERENR_SW = 2, USERENR_CR = 4, USERENR_ER = 8;
u32 host_pmuver()
{
	return (registry().host.arm64_id_regs[ID_AA64DFR0] >> DFR0_PMUVER_SHIFT) & 0xf;
}

bool at_el0(const Vcpu *vcpu)
{
	const u64 ps = vcpu->arch.cpu.pstate;
	if (ps & PSR_MODE32_BIT)
		return (ps & 0x1f) == 0x10; // AArch32 USR
	return (ps & PSR_MODE_MASK) == PSR_MODE_EL0t;
}

// An access from EL0 that PMUSERENR_EL0 does not allow (EN allows everything): UNDEF, as
// upstream (the architecture would trap it to EL1 instead).
bool el0_denied(const Vcpu *vcpu, u64 grant)
{
	return at_el0(vcpu) && !(vcpu->arch.pmu.userenr & (USERENR_EN | grant));
}

// The counter a PMEVCNTR<n>/PMEVTYPER<n> encoding names (n), or -1.
int evcntr_index(u32 enc, u32 base)
{
	if (enc < base || enc >= base + 32)
		return -1;
	return static_cast<int>(enc - base);
}

// Set/clear register pairs: (SET, CLR) encodings and their storage.
u64 *bitmap_reg(Vcpu *vcpu, u32 enc, bool *set)
{
	PmuVcpu &p = vcpu->arch.pmu;
	*set = enc == PMCNTENSET_EL0 || enc == PMINTENSET_EL1 || enc == PMOVSSET_EL0;
	if (enc == PMCNTENSET_EL0 || enc == PMCNTENCLR_EL0)
		return &p.cntenset;
	if (enc == PMINTENSET_EL1 || enc == PMINTENCLR_EL1)
		return &p.intenset;
	if (enc == PMOVSSET_EL0 || enc == PMOVSCLR_EL0)
		return &p.ovsset;
	return nullptr;
}

// Event counter or type register access by index: UNDEF beyond PMCR_EL0.N (31 is the
// cycle counter, valid through PMSELR_EL0 and as PMCCFILTR_EL0).
SysregClaim counter_access(Vcpu *vcpu, u32 idx, bool typer, bool read, u64 *val)
{
	PmuVcpu &p = vcpu->arch.pmu;
	if (idx >= nr_counters(vcpu) && idx != pmu_cycle_idx)
		return SysregClaim::undef;
	if (typer) {
		if (el0_denied(vcpu, 0))
			return SysregClaim::undef;
		if (read)
			*val = p.typer[idx];
		else
			typer_set(vcpu, idx, *val);
		return SysregClaim::done;
	}
	if (el0_denied(vcpu, read ? (idx == pmu_cycle_idx ? USERENR_CR : USERENR_ER) : 0))
		return SysregClaim::undef;
	if (read)
		*val = counter_read(vcpu, idx);
	else
		counter_write(vcpu, idx, *val);
	return SysregClaim::done;
}

} // namespace

bool pmu_host_supported()
{
	const u32 v = host_pmuver();
	return registry().host.arm64_pmu_type != 0 && v >= pmuver_v3 && v != PMUVER_IMPDEF;
}

bool pmu_vcpu_has(const Vcpu *vcpu)
{
	return vcpu->arch.features & (1u << KVM_ARM_VCPU_PMU_V3);
}

void pmu_vcpu_reset(Vcpu *vcpu)
{
	PmuVcpu &p = vcpu->arch.pmu;
	host_release_all(vcpu, true);
	const PmuVcpu keep = p;
	p = PmuVcpu{};
	p.irq_set = keep.irq_set;
	p.irq = keep.irq;
	p.created = keep.created;
	p.level = keep.level;
	if (!pmu_vcpu_has(vcpu))
		return;
	{
		MutexGuard guard(vcpu->vm->lock);
		PmuVm &vm = vm_pmu(vcpu);
		if (!vm.configured) {
			vm.pmuver = min_u32(host_pmuver(), pmuver_v3p5);
			store_release(
				&vm.nr_counters,
				min_u32(registry().host.arm64_pmu_nr_counters, pmu_cycle_idx));
			vm.configured = true;
		}
	}
	pmcr_write(vcpu, 0, false);
	update_irq(vcpu);
}

Status pmu_first_run(Vcpu *vcpu)
{
	if (!pmu_vcpu_has(vcpu))
		return Status::ok();
	PmuVcpu &p = vcpu->arch.pmu;
	if (!p.created)
		return Status::error(-EINVAL);
	if (vgic_kvm_created(vcpu->vm)) {
		const bool ppi = p.irq >= 16 && p.irq < 32;
		if (!ppi && !vgic_kvm_valid_spi(vcpu->vm, p.irq))
			return Status::error(-EINVAL);
		// The line as the registers say now (restored ones included).
		p.level = overflow_level(vcpu);
		(void)vgic_kvm_drive_irq(vcpu, p.irq, p.level, &p);
	} else if (p.irq_set) {
		return Status::error(-EINVAL);
	}
	return Status::ok();
}

void pmu_vcpu_destroy(Vcpu *vcpu)
{
	host_release_all(vcpu, true);
}

void pmu_vm_destroy(Vm *vm)
{
	kvmx_host_free(vm->arch.pmu.filter);
	vm->arch.pmu = PmuVm{};
}

namespace {

// KVM_ARM_VCPU_PMU_V3_IRQ: a PPI, the same on every vCPU, or an SPI number (32-1019) no
// other vCPU's PMU uses. Whether the vGIC has that SPI is INIT's and the first run's
// question, as upstream.
long set_irq(Vcpu *vcpu, kvmx_uptr addr)
{
	Vm *vm = vcpu->vm;
	if (!vgic_kvm_created(vm))
		return -EINVAL;
	int irq;
	if (kvmx_host_copy_from_user(&irq, addr, sizeof(irq)))
		return -EFAULT;
	const bool ppi = irq >= 16 && irq < 32;
	if (!ppi && (irq < 32 || irq > 1019))
		return -EINVAL;
	MutexGuard guard(vm->lock);
	const u32 n = load_acquire(&vm->nr_vcpus);
	for (u32 i = 0; i < n; i++) {
		const PmuVcpu &o = vm->vcpus[i]->arch.pmu;
		if (!o.irq_set)
			continue;
		if (ppi ? o.irq != static_cast<u32>(irq) : o.irq == static_cast<u32>(irq))
			return -EINVAL;
	}
	PmuVcpu &p = vcpu->arch.pmu;
	if (p.irq_set)
		return -EBUSY;
	p.irq = static_cast<u32>(irq);
	p.irq_set = true;
	return 0;
}

// KVM_ARM_VCPU_PMU_V3_INIT: with a vGIC, it must be initialised and the interrupt set;
// the PMU then owns its interrupt.
long init(Vcpu *vcpu)
{
	PmuVcpu &p = vcpu->arch.pmu;
	if (vgic_kvm_created(vcpu->vm)) {
		if (!vgic_kvm_initialized(vcpu->vm))
			return -ENODEV;
		if (!p.irq_set)
			return -ENXIO;
		int r = vgic_kvm_claim_irq(vcpu, p.irq, &p);
		if (r)
			return r;
	}
	p.created = true;
	update_irq(vcpu);
	if (p.irq_set)
		(void)vgic_kvm_drive_irq(vcpu, p.irq, p.level, &p);
	return 0;
}

// KVM_ARM_VCPU_PMU_V3_FILTER: allow or deny a range of events, VM-wide, before the first
// run. The first filter decides the default: an allow list starts from nothing allowed,
// a deny list from everything.
long set_filter(Vcpu *vcpu, kvmx_uptr addr)
{
	kvm_pmu_event_filter f;
	if (kvmx_host_copy_from_user(&f, addr, sizeof(f)))
		return -EFAULT;
	const u32 nr_events = event_mask(vcpu) + 1;
	if (static_cast<u32>(f.base_event) + f.nevents > nr_events ||
	    (f.action != KVM_PMU_EVENT_ALLOW && f.action != KVM_PMU_EVENT_DENY))
		return -EINVAL;
	Vm *vm = vcpu->vm;
	MutexGuard guard(vm->lock);
	if (load_acquire(&vm->has_run))
		return -EBUSY;
	PmuVm &pmu = vm->arch.pmu;
	constexpr u32 bitmap_bytes = 0x10000 / 8; // every 16-bit event number
	if (!pmu.filter) {
		pmu.filter = static_cast<u8 *>(kvmx_host_zalloc(bitmap_bytes));
		if (!pmu.filter)
			return -ENOMEM;
		if (f.action == KVM_PMU_EVENT_DENY) {
			for (u32 i = 0; i < bitmap_bytes; i++)
				pmu.filter[i] = 0xff;
		}
	}
	for (u32 e = f.base_event; e < static_cast<u32>(f.base_event) + f.nevents; e++) {
		if (f.action == KVM_PMU_EVENT_ALLOW)
			pmu.filter[e / 8] |= static_cast<u8>(1u << (e % 8));
		else
			pmu.filter[e / 8] &= static_cast<u8>(~(1u << (e % 8)));
	}
	return 0;
}

// KVM_ARM_VCPU_PMU_V3_SET_PMU: the host PMU whose perf type is @id (kvmx knows one).
long set_pmu(Vcpu *vcpu, kvmx_uptr addr)
{
	int id;
	if (kvmx_host_copy_from_user(&id, addr, sizeof(id)))
		return -EFAULT;
	if (id < 0 || static_cast<u32>(id) != registry().host.arm64_pmu_type)
		return -ENXIO;
	Vm *vm = vcpu->vm;
	MutexGuard guard(vm->lock);
	return load_acquire(&vm->has_run) ? -EBUSY : 0;
}

} // namespace

long pmu_has_attr(Vcpu *vcpu, u64 attr)
{
	switch (attr) {
	case KVM_ARM_VCPU_PMU_V3_IRQ:
	case KVM_ARM_VCPU_PMU_V3_INIT:
	case KVM_ARM_VCPU_PMU_V3_FILTER:
	case KVM_ARM_VCPU_PMU_V3_SET_PMU:
		return pmu_vcpu_has(vcpu) ? 0 : -ENXIO;
	default:
		return -ENXIO;
	}
}

long pmu_set_attr(Vcpu *vcpu, u64 attr, kvmx_uptr addr)
{
	if (!pmu_vcpu_has(vcpu))
		return -ENODEV;
	if (vcpu->arch.pmu.created)
		return -EBUSY;
	switch (attr) {
	case KVM_ARM_VCPU_PMU_V3_IRQ:
		return set_irq(vcpu, addr);
	case KVM_ARM_VCPU_PMU_V3_INIT:
		return init(vcpu);
	case KVM_ARM_VCPU_PMU_V3_FILTER:
		return set_filter(vcpu, addr);
	case KVM_ARM_VCPU_PMU_V3_SET_PMU:
		return set_pmu(vcpu, addr);
	default:
		return -ENXIO;
	}
}

long pmu_get_attr(Vcpu *vcpu, u64 attr, kvmx_uptr addr)
{
	if (attr != KVM_ARM_VCPU_PMU_V3_IRQ)
		return -ENXIO;
	if (!vgic_kvm_created(vcpu->vm))
		return -EINVAL;
	if (!pmu_vcpu_has(vcpu))
		return -ENODEV;
	if (!vcpu->arch.pmu.irq_set)
		return -ENXIO;
	int irq = static_cast<int>(vcpu->arch.pmu.irq);
	return kvmx_host_copy_to_user(addr, &irq, sizeof(irq)) ? -EFAULT : 0;
}

SysregClaim pmu_sysreg(Vcpu *vcpu, u32 enc, bool read, u64 *val)
{
	if (!pmu_vcpu_has(vcpu))
		return SysregClaim::not_mine; // no PMU: every register is undefined
	PmuVcpu &p = vcpu->arch.pmu;
	int n;
	if ((n = evcntr_index(enc, PMEVCNTR0_EL0)) >= 0 && n < 31)
		return counter_access(vcpu, static_cast<u32>(n), false, read, val);
	if ((n = evcntr_index(enc, PMEVTYPER0_EL0)) >= 0)
		return counter_access(vcpu, static_cast<u32>(n), true, read, val);
	bool set;
	if (u64 *reg = bitmap_reg(vcpu, enc, &set)) {
		const bool el1_only = enc == PMINTENSET_EL1 || enc == PMINTENCLR_EL1;
		if (el1_only ? at_el0(vcpu) : el0_denied(vcpu, 0))
			return SysregClaim::undef;
		if (read)
			*val = *reg & valid_mask(vcpu);
		else
			bitmap_set(vcpu, reg, set, *val);
		return SysregClaim::done;
	}
	switch (enc) {
	case PMCR_EL0:
		if (el0_denied(vcpu, 0))
			return SysregClaim::undef;
		if (read)
			*val = pmcr_read(vcpu);
		else
			pmcr_write(vcpu, *val, true);
		return SysregClaim::done;
	case PMSWINC_EL0:
		if (read || el0_denied(vcpu, USERENR_SW))
			return SysregClaim::undef; // write-only
		software_increment(vcpu, *val);
		return SysregClaim::done;
	case PMSELR_EL0:
		if (el0_denied(vcpu, USERENR_ER))
			return SysregClaim::undef;
		if (read)
			*val = p.selr;
		else
			p.selr = *val & 0x1f;
		return SysregClaim::done;
	case PMCEID0_EL0:
	case PMCEID1_EL0:
		if (!read || el0_denied(vcpu, 0))
			return SysregClaim::undef; // read-only
		*val = pmceid(vcpu, enc == PMCEID1_EL0);
		return SysregClaim::done;
	case PMCCNTR_EL0:
		return counter_access(vcpu, pmu_cycle_idx, false, read, val);
	case PMXEVTYPER_EL0:
	case PMXEVCNTR_EL0:
		if (el0_denied(vcpu, USERENR_ER))
			return SysregClaim::undef;
		return counter_access(vcpu, p.selr & 0x1f, enc == PMXEVTYPER_EL0, read, val);
	case PMUSERENR_EL0:
		if (read) {
			*val = p.userenr;
			return SysregClaim::done;
		}
		if (at_el0(vcpu))
			return SysregClaim::undef; // read-only at EL0
		p.userenr = *val & (USERENR_EN | USERENR_SW | USERENR_CR | USERENR_ER);
		return SysregClaim::done;
	case PMMIR_EL1:
		// PMUv3p4's PMMIR_EL1 describes nothing kvmx implements: RAZ/WI, as upstream.
		if (at_el0(vcpu))
			return SysregClaim::undef;
		if (read)
			*val = 0;
		return SysregClaim::done;
	default:
		return SysregClaim::not_mine;
	}
}

namespace {

// The registers in upstream's ONE_REG list order (get-reg-list's pmu_regs).
constexpr u32 onereg_fixed[] = { PMINTENSET_EL1, PMINTENCLR_EL1, PMCR_EL0,    PMCNTENSET_EL0,
				 PMCNTENCLR_EL0, PMOVSCLR_EL0,	 PMSWINC_EL0, PMSELR_EL0,
				 PMCCNTR_EL0,	 PMUSERENR_EL0,	 PMOVSSET_EL0 };

} // namespace

bool pmu_onereg_claims(u32 enc)
{
	for (u32 e : onereg_fixed) {
		if (e == enc)
			return true;
	}
	int n = evcntr_index(enc, PMEVCNTR0_EL0);
	return (n >= 0 && n < 31) || evcntr_index(enc, PMEVTYPER0_EL0) >= 0;
}

Status pmu_onereg_get(Vcpu *vcpu, u32 enc, u64 *val)
{
	if (!pmu_vcpu_has(vcpu))
		return Status::error(-ENOENT);
	PmuVcpu &p = vcpu->arch.pmu;
	int n;
	bool set;
	if ((n = evcntr_index(enc, PMEVCNTR0_EL0)) >= 0 && n < 31)
		*val = (host_fold(vcpu, static_cast<u32>(n)), p.cnt[n]);
	else if ((n = evcntr_index(enc, PMEVTYPER0_EL0)) >= 0)
		*val = p.typer[n];
	else if (u64 *reg = bitmap_reg(vcpu, enc, &set))
		*val = *reg & valid_mask(vcpu);
	else if (enc == PMCR_EL0)
		*val = pmcr_read(vcpu);
	else if (enc == PMSWINC_EL0)
		*val = p.swinc;
	else if (enc == PMSELR_EL0)
		*val = p.selr;
	else if (enc == PMCCNTR_EL0)
		*val = (host_fold(vcpu, pmu_cycle_idx), p.cnt[pmu_cycle_idx]);
	else if (enc == PMUSERENR_EL0)
		*val = p.userenr;
	else
		return Status::error(-ENOENT);
	return Status::ok();
}

Status pmu_onereg_set(Vcpu *vcpu, u32 enc, u64 val)
{
	if (!pmu_vcpu_has(vcpu))
		return Status::error(-ENOENT);
	PmuVcpu &p = vcpu->arch.pmu;
	int n;
	bool set;
	if ((n = evcntr_index(enc, PMEVCNTR0_EL0)) >= 0 && n < 31) {
		counter_set(vcpu, static_cast<u32>(n), val);
	} else if ((n = evcntr_index(enc, PMEVTYPER0_EL0)) >= 0) {
		typer_set(vcpu, static_cast<u32>(n), val);
	} else if (u64 *reg = bitmap_reg(vcpu, enc, &set)) {
		// As upstream 6.12: the SET register sets, the CLR one clears, valid counters only.
		bitmap_set(vcpu, reg, set, val);
	} else if (enc == PMCR_EL0) {
		// N may shrink or grow up to the host's before the VM first runs; a larger or
		// later N is ignored, as upstream 6.12 (the rest of the value still applies).
		const u32 new_n = (val >> PMCR_N_SHIFT) & 0x1f;
		Vm *vm = vcpu->vm;
		{
			MutexGuard guard(vm->lock);
			if (!load_acquire(&vm->has_run) &&
			    new_n <= min_u32(registry().host.arm64_pmu_nr_counters, pmu_cycle_idx))
				store_release(&vm->arch.pmu.nr_counters, new_n);
		}
		pmcr_write(vcpu, val, false);
	} else if (enc == PMSWINC_EL0) {
		p.swinc = val;
	} else if (enc == PMSELR_EL0) {
		p.selr = val & 0x1f;
	} else if (enc == PMCCNTR_EL0) {
		counter_set(vcpu, pmu_cycle_idx, val);
	} else if (enc == PMUSERENR_EL0) {
		p.userenr = val & (USERENR_EN | USERENR_SW | USERENR_CR | USERENR_ER);
	} else {
		return Status::error(-ENOENT);
	}
	update_irq(vcpu);
	return Status::ok();
}

u32 pmu_reg_list(const Vcpu *vcpu, u64 *out)
{
	if (!pmu_vcpu_has(vcpu))
		return 0;
	constexpr u64 prefix = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM64_SYSREG;
	u32 n = 0;
	auto add = [&](u32 enc) {
		if (out)
			out[n] = prefix | enc;
		n++;
	};
	for (u32 e : onereg_fixed)
		add(e);
	for (u32 i = 0; i < 31; i++)
		add(PMEVCNTR0_EL0 + i);
	for (u32 i = 0; i < 32; i++)
		add(PMEVTYPER0_EL0 + i);
	return n;
}

u64 pmu_dfr0_read(const Vcpu *vcpu, u64 val)
{
	if (!pmu_vcpu_has(vcpu))
		return val;
	const u64 mask = 0xfULL << DFR0_PMUVER_SHIFT;
	return (val & ~mask) | static_cast<u64>(vm_pmu(vcpu).pmuver) << DFR0_PMUVER_SHIFT;
}

Status pmu_dfr0_write(Vcpu *vcpu, u64 *val)
{
	if (!pmu_vcpu_has(vcpu))
		return Status::ok(); // PMUVer must then be what the VM-wide register holds
	const u64 mask = 0xfULL << DFR0_PMUVER_SHIFT;
	const u32 v = (*val >> DFR0_PMUVER_SHIFT) & 0xf;
	PmuVm &pmu = vm_pmu(vcpu);
	if (v != pmu.pmuver) {
		// A PMU vCPU shows a PMUv3, at most the host's (and PMUv3p5).
		if (v < pmuver_v3 || v == PMUVER_IMPDEF || v > min_u32(host_pmuver(), pmuver_v3p5))
			return Status::error(-EINVAL);
		MutexGuard guard(vcpu->vm->lock);
		if (load_acquire(&vcpu->vm->has_run))
			return Status::error(-EBUSY);
		pmu.pmuver = v;
	}
	*val &= ~mask;
	return Status::ok();
}

} // namespace kvmx
