// SPDX-License-Identifier: GPL-2.0
// The guest's PMUv3 (Performance Monitors Extension, ARM ARM D11 and D13.4): a register
// model kept per vCPU, reached through the MDCR_EL2.TPM/TPMCR traps and ONE_REG, with the
// VMM's configuration (KVM_ARM_VCPU_PMU_V3_CTRL) and the overflow interrupt. Counters are
// software state: SW_INCR (PMSWINC_EL0) counts; no host counter backs any other event yet
// (PMCEID0/1 say so). Must not touch the host's PMU registers.
#include "pmu.hpp"
#include "aarch32.hpp"
#include "id_regs.hpp"
#include "registry.hpp"
#include "vcpu.hpp"
#include "vgic/kvm.hpp"
#include "vm.hpp"
#include <linux/kvm.h>

namespace kvmx {

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

// PMCR_EL0 (D13.4.8): E, P, C, D, X, DP, LC, LP are [7:0]; N [15:11].
constexpr u64 PMCR_E = 1, PMCR_P = 2, PMCR_C = 4, PMCR_LC = 1 << 6, PMCR_LP = 1 << 7;
constexpr u64 PMCR_WRITABLE = 0xff;
constexpr u32 PMCR_N_SHIFT = 11;
// PMUSERENR_EL0: EN (all), SW (PMSWINC), CR (PMCCNTR read), ER (event counter reads and
// PMSELR).
constexpr u64 USERENR_EN = 1, USERENR_SW = 2, USERENR_CR = 4, USERENR_ER = 8;
// PMEVTYPER<n>_EL0 / PMCCFILTR_EL0: P (exclude EL1), U (exclude EL0), NSH (include EL2),
// evtCount.
constexpr u64 EVTYPE_FILTER_BITS = 1ULL << 31 | 1ULL << 30 | 1ULL << 27;
// ID_AA64DFR0_EL1.PMUVer [11:8]: 1 PMUv3, 4 v3p1, 5 v3p4, 6 v3p5, 0xf IMPLEMENTATION
// DEFINED. kvmx, as upstream, offers at most PMUv3p5.
constexpr u32 dfr0_pmuver_shift = 8;
constexpr u32 pmuver_v3 = 1, pmuver_v3p1 = 4, pmuver_v3p5 = 6, pmuver_impdef = 0xf;
constexpr u32 ev_sw_incr = 0;

u32 host_pmuver()
{
	return (registry().host.arm64_id_regs[ID_AA64DFR0] >> dfr0_pmuver_shift) & 0xf;
}

u32 min_u32(u32 a, u32 b)
{
	return a < b ? a : b;
}

PmuVm &vm_pmu(const Vcpu *vcpu)
{
	return vcpu->vm->arch.pmu;
}

// Events the guest can program: 10 bits with PMUv3 (Armv8.0), 16 from PMUv3p1.
u32 event_mask(const Vcpu *vcpu)
{
	return vm_pmu(vcpu).pmuver >= pmuver_v3p1 ? 0xffff : 0x3ff;
}

bool is_v3p5(const Vcpu *vcpu)
{
	return vm_pmu(vcpu).pmuver >= pmuver_v3p5;
}

u32 nr_counters(const Vcpu *vcpu)
{
	return load_acquire(&vm_pmu(vcpu).nr_counters);
}

// The counters that exist: PMEVCNTR0..N-1 and the cycle counter.
u64 valid_mask(const Vcpu *vcpu)
{
	return (1ULL << pmu_cycle_idx) | ((1ULL << nr_counters(vcpu)) - 1);
}

bool event_allowed(const Vcpu *vcpu, u32 event)
{
	const u8 *f = vm_pmu(vcpu).filter;
	return !f || (f[event / 8] >> (event % 8) & 1);
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

// The overflow interrupt's level: enabled PMU, and a counter overflowed whose interrupt
// request is enabled.
bool overflow_level(const Vcpu *vcpu)
{
	const PmuVcpu &p = vcpu->arch.pmu;
	return (p.pmcr & PMCR_E) && (p.ovsset & p.cntenset & p.intenset & valid_mask(vcpu));
}

void update_irq(Vcpu *vcpu)
{
	PmuVcpu &p = vcpu->arch.pmu;
	const bool level = overflow_level(vcpu);
	if (level == p.level)
		return;
	p.level = level;
	// Before INIT (a VMM restoring registers) the line is driven at the first run.
	if (p.created && p.irq_set)
		(void)vgic_kvm_drive_irq(vcpu, p.irq, level, &p);
}

// Counter @idx is 64 bits wide: the cycle counter, and every counter from PMUv3p5.
bool counter_is_64bit(const Vcpu *vcpu, u32 idx)
{
	return idx == pmu_cycle_idx || is_v3p5(vcpu);
}

// It overflows at 64 bits: the cycle counter with PMCR.LC, an event counter with PMCR.LP.
bool overflows_at_64(const Vcpu *vcpu, u32 idx)
{
	return vcpu->arch.pmu.pmcr & (idx == pmu_cycle_idx ? PMCR_LC : PMCR_LP);
}

u64 counter_read(const Vcpu *vcpu, u32 idx)
{
	const u64 v = vcpu->arch.pmu.cnt[idx];
	return counter_is_64bit(vcpu, idx) ? v : static_cast<u32>(v);
}

void counter_write(Vcpu *vcpu, u32 idx, u64 val)
{
	vcpu->arch.pmu.cnt[idx] = counter_is_64bit(vcpu, idx) ? val : static_cast<u32>(val);
}

// PMSWINC_EL0: +1 on each enabled event counter of @mask programmed with SW_INCR.
void software_increment(Vcpu *vcpu, u64 mask)
{
	PmuVcpu &p = vcpu->arch.pmu;
	if (!(p.pmcr & PMCR_E))
		return;
	mask &= p.cntenset & valid_mask(vcpu) & ~(1ULL << pmu_cycle_idx);
	for (u32 i = 0; i < pmu_cycle_idx; i++) {
		if (!(mask >> i & 1) || (p.typer[i] & event_mask(vcpu)) != ev_sw_incr ||
		    !event_allowed(vcpu, ev_sw_incr))
			continue;
		counter_write(vcpu, i, p.cnt[i] + 1);
		const u64 v = p.cnt[i];
		if (overflows_at_64(vcpu, i) ? v == 0 : static_cast<u32>(v) == 0)
			p.ovsset |= 1ULL << i;
	}
	update_irq(vcpu);
}

// A PMCR_EL0 write (guest or VMM): @val's [7:0]; P and C act and read as zero.
void pmcr_write(Vcpu *vcpu, u64 val, bool act)
{
	PmuVcpu &p = vcpu->arch.pmu;
	val &= PMCR_WRITABLE;
	if (!is_v3p5(vcpu))
		val &= ~PMCR_LP;
	if (!arm64_host_has_aarch32_el0())
		val |= PMCR_LC; // RES1 without AArch32 EL0
	if (act && (val & PMCR_P)) {
		for (u32 i = 0; i < pmu_cycle_idx; i++)
			p.cnt[i] = 0;
	}
	if (act && (val & PMCR_C))
		p.cnt[pmu_cycle_idx] = 0;
	p.pmcr = val & ~(PMCR_P | PMCR_C);
	update_irq(vcpu);
}

u64 pmcr_read(const Vcpu *vcpu)
{
	return vcpu->arch.pmu.pmcr | static_cast<u64>(nr_counters(vcpu)) << PMCR_N_SHIFT;
}

u64 evtype_mask(const Vcpu *vcpu, u32 idx)
{
	return EVTYPE_FILTER_BITS | (idx == pmu_cycle_idx ? 0 : event_mask(vcpu));
}

// PMCEID0/1_EL0: the common events kvmx counts: SW_INCR, unless the VMM's filter denies it.
u64 pmceid(const Vcpu *vcpu, bool high)
{
	return !high && event_allowed(vcpu, ev_sw_incr) ? 1ULL << ev_sw_incr : 0;
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
			p.typer[idx] = *val & evtype_mask(vcpu, idx);
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
	return registry().host.arm64_pmu_type != 0 && v >= pmuver_v3 && v != pmuver_impdef;
}

bool pmu_vcpu_has(const Vcpu *vcpu)
{
	return vcpu->arch.features & (1u << KVM_ARM_VCPU_PMU_V3);
}

void pmu_vcpu_reset(Vcpu *vcpu)
{
	PmuVcpu &p = vcpu->arch.pmu;
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
		if (read) {
			*val = *reg & valid_mask(vcpu);
		} else {
			const u64 bits = *val & valid_mask(vcpu);
			*reg = set ? *reg | bits : *reg & ~bits;
			update_irq(vcpu);
		}
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
		*val = p.cnt[n];
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
		*val = p.cnt[pmu_cycle_idx];
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
		p.cnt[n] = val;
	} else if ((n = evcntr_index(enc, PMEVTYPER0_EL0)) >= 0) {
		p.typer[n] = val & evtype_mask(vcpu, static_cast<u32>(n));
	} else if (u64 *reg = bitmap_reg(vcpu, enc, &set)) {
		// As upstream 6.12: the SET register sets, the CLR one clears, valid counters only.
		const u64 bits = val & valid_mask(vcpu);
		*reg = set ? *reg | bits : *reg & ~bits;
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
		p.cnt[pmu_cycle_idx] = val;
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
	const u64 mask = 0xfULL << dfr0_pmuver_shift;
	return (val & ~mask) | static_cast<u64>(vm_pmu(vcpu).pmuver) << dfr0_pmuver_shift;
}

Status pmu_dfr0_write(Vcpu *vcpu, u64 *val)
{
	if (!pmu_vcpu_has(vcpu))
		return Status::ok(); // PMUVer must then be what the VM-wide register holds
	const u64 mask = 0xfULL << dfr0_pmuver_shift;
	const u32 v = (*val >> dfr0_pmuver_shift) & 0xf;
	PmuVm &pmu = vm_pmu(vcpu);
	if (v != pmu.pmuver) {
		// A PMU vCPU shows a PMUv3, at most the host's (and PMUv3p5).
		if (v < pmuver_v3 || v == pmuver_impdef || v > min_u32(host_pmuver(), pmuver_v3p5))
			return Status::error(-EINVAL);
		MutexGuard guard(vcpu->vm->lock);
		if (load_acquire(&vcpu->vm->has_run))
			return Status::error(-EBUSY);
		pmu.pmuver = v;
	}
	*val &= ~mask;
	return Status::ok();
}

bool pmu_prepare_entry(Vcpu *vcpu)
{
	if (!pmu_vcpu_has(vcpu) || vgic_kvm_created(vcpu->vm))
		return true;
	const bool told = vcpu->run->s.regs.device_irq_level & KVM_ARM_DEV_PMU;
	return told == overflow_level(vcpu);
}

void pmu_update_run(Vcpu *vcpu)
{
	if (!pmu_vcpu_has(vcpu) || vgic_kvm_created(vcpu->vm))
		return;
	u64 &lines = vcpu->run->s.regs.device_irq_level;
	lines = overflow_level(vcpu) ? lines | KVM_ARM_DEV_PMU : lines & ~KVM_ARM_DEV_PMU;
}

} // namespace kvmx
