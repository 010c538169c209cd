// SPDX-License-Identifier: GPL-2.0
// The guest's PMUv3 (Performance Monitors Extension, ARM ARM D11 and D13.4): a register
// model kept per vCPU, reached through the MDCR_EL2.TPM/TPMCR traps and ONE_REG, with the
// VMM's configuration (KVM_ARM_VCPU_PMU_V3_CTRL) and the overflow interrupt. SW_INCR
// (PMSWINC_EL0) counts in software; every other enabled counter is backed by host perf
// counters of the vCPU thread (kvmx_host_arm64_pmu_event_*). Must not touch the host's
// PMU registers.
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

u64 evtype_mask_of(const Vcpu *vcpu, u32 idx)
{
	return EVTYPE_FILTER_BITS | (idx == pmu_cycle_idx ? 0 : event_mask(vcpu));
}

u64 truncate(const Vcpu *vcpu, u32 idx, u64 val)
{
	return counter_is_64bit(vcpu, idx) ? val : static_cast<u32>(val);
}

// --- The host counters behind the guest's (perf kernel counters, pmu-arm64.c) ---

constexpr u32 ev_chain = 0x1e, ev_cpu_cycles = 0x11;
constexpr u64 EVTYPE_P = 1ULL << 31, EVTYPE_U = 1ULL << 30; // exclude EL1, EL0

bool counter_enabled(const Vcpu *vcpu, u32 idx)
{
	const PmuVcpu &p = vcpu->arch.pmu;
	return (p.pmcr & PMCR_E) && (p.cntenset & valid_mask(vcpu) & (1ULL << idx));
}

// The host event that counter @idx counts now, if a host counter backs it: an enabled
// counter of any event but SW_INCR (software) and CHAIN (not implemented) that the VMM's
// filter allows; the cycle counter counts CPU_CYCLES.
bool host_backed(const Vcpu *vcpu, u32 idx, u32 *event)
{
	if (!registry().host.arm64_pmu_type || !counter_enabled(vcpu, idx))
		return false;
	const u32 ev = idx == pmu_cycle_idx
			       ? ev_cpu_cycles
			       : static_cast<u32>(vcpu->arch.pmu.typer[idx]) & event_mask(vcpu);
	if (ev == ev_sw_incr || ev == ev_chain || !event_allowed(vcpu, ev))
		return false;
	*event = ev;
	return true;
}

u64 host_count(const PmuHostCounter &h)
{
	return (h.el1 ? kvmx_host_arm64_pmu_event_read(h.el1) : 0) +
	       (h.el0 ? kvmx_host_arm64_pmu_event_read(h.el0) : 0);
}

// Release counter @idx's host counters, first folding what they counted into its value
// unless @discard (the value is about to be replaced).
void host_release(Vcpu *vcpu, u32 idx, bool discard)
{
	PmuVcpu &p = vcpu->arch.pmu;
	PmuHostCounter &h = p.host[idx];
	if (!h.el1 && !h.el0)
		return;
	if (!discard)
		p.cnt[idx] = truncate(vcpu, idx, h.base + host_count(h));
	kvmx_host_arm64_pmu_event_release(h.el1);
	kvmx_host_arm64_pmu_event_release(h.el0);
	h = PmuHostCounter{};
}

// Counter @idx's value with what its host counters counted so far.
void host_fold(Vcpu *vcpu, u32 idx)
{
	PmuVcpu &p = vcpu->arch.pmu;
	const PmuHostCounter &h = p.host[idx];
	if (h.el1 || h.el0)
		p.cnt[idx] = truncate(vcpu, idx, h.base + host_count(h));
}

// Make counter @idx's host counters anew from its value and configuration (on the vCPU
// thread in KVM_RUN; otherwise at the next KVM_RUN). Each counts toward the guest
// counter's overflow; with two, each gets half the distance, so that one of them reports
// before their sum passes it (pmu_sync then looks and starts again).
void host_program(Vcpu *vcpu, u32 idx)
{
	PmuVcpu &p = vcpu->arch.pmu;
	host_release(vcpu, idx, false);
	u32 ev;
	if (!host_backed(vcpu, idx, &ev))
		return;
	if (!p.in_run) {
		p.stale = true;
		return;
	}
	PmuHostCounter &h = p.host[idx];
	const u64 v = p.cnt[idx];
	h.base = v;
	if (overflows_at_64(vcpu, idx))
		h.period = v ? 0 - v : ~0ULL;
	else
		h.period = (1ULL << 32) - static_cast<u32>(v);
	const bool el1 = !(p.typer[idx] & EVTYPE_P), el0 = !(p.typer[idx] & EVTYPE_U);
	const u64 each = el1 && el0 && h.period > 1 ? h.period / 2 : h.period;
	if (el1)
		h.el1 = kvmx_host_arm64_pmu_event_create(ev, 1, each, 1, vcpu);
	if (el0)
		h.el0 = kvmx_host_arm64_pmu_event_create(ev, 0, each, 1, vcpu);
}

void host_program_all(Vcpu *vcpu)
{
	for (u32 i = 0; i < pmu_nr_slots; i++)
		host_program(vcpu, i);
}

void host_release_all(Vcpu *vcpu, bool discard)
{
	for (u32 i = 0; i < pmu_nr_slots; i++)
		host_release(vcpu, i, discard);
}

u64 counter_read(Vcpu *vcpu, u32 idx)
{
	host_fold(vcpu, idx);
	return truncate(vcpu, idx, vcpu->arch.pmu.cnt[idx]);
}

// A counter's new value (the guest's, truncated to its width, or the VMM's as written).
void counter_set(Vcpu *vcpu, u32 idx, u64 val)
{
	host_release(vcpu, idx, true);
	vcpu->arch.pmu.cnt[idx] = val;
	host_program(vcpu, idx);
}

void counter_write(Vcpu *vcpu, u32 idx, u64 val)
{
	counter_set(vcpu, idx, truncate(vcpu, idx, val));
}

// A counter's new type (PMEVTYPER<n>, PMCCFILTR).
void typer_set(Vcpu *vcpu, u32 idx, u64 val)
{
	host_release(vcpu, idx, false);
	vcpu->arch.pmu.typer[idx] = val & evtype_mask_of(vcpu, idx);
	host_program(vcpu, idx);
}

// A write to a SET/CLR register pair: PMCNTENSET/CLR decides what counts.
void bitmap_set(Vcpu *vcpu, u64 *reg, bool set, u64 val)
{
	const bool enables = reg == &vcpu->arch.pmu.cntenset;
	if (enables)
		host_release_all(vcpu, false);
	const u64 bits = val & valid_mask(vcpu);
	*reg = set ? *reg | bits : *reg & ~bits;
	if (enables)
		host_program_all(vcpu);
	update_irq(vcpu);
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
	for (u32 i = 0; i < pmu_nr_slots; i++) {
		const bool reset = act && (i == pmu_cycle_idx ? val & PMCR_C : val & PMCR_P);
		host_release(vcpu, i, reset);
		if (reset)
			p.cnt[i] = 0;
	}
	p.pmcr = val & ~(PMCR_P | PMCR_C);
	host_program_all(vcpu); // E, LC and LP decide what counts and where it overflows
	update_irq(vcpu);
}

u64 pmcr_read(const Vcpu *vcpu)
{
	return vcpu->arch.pmu.pmcr | static_cast<u64>(nr_counters(vcpu)) << PMCR_N_SHIFT;
}

// PMCEID0/1_EL0 (D13.4.3): the common events 0x00-0x3f in bits [31:0] of the pair, and
// 0x4000-0x403f in bits [63:32]. Those the host's PMU counts (perf backs them), SW_INCR
// (software), without CHAIN (not implemented) and PMUv3p4's STALL_SLOT (PMMIR_EL1 reads
// as zero, as upstream); minus what the VMM's filter denies.
u64 pmceid(const Vcpu *vcpu, bool high)
{
	const kvmx_host_info &h = registry().host;
	u64 v = high ? h.arm64_pmceid[1] & ~(1ULL << (0x3f - 32)) : h.arm64_pmceid[0];
	if (!high)
		v = (v | 1ULL << ev_sw_incr) & ~(1ULL << ev_chain);
	const u32 base = high ? 32 : 0;
	for (u32 i = 0; i < 64; i++) {
		const u32 event = (i < 32 ? 0 : 0x4000 - 32) + base + i;
		if (event > event_mask(vcpu) || !event_allowed(vcpu, event))
			v &= ~(1ULL << i);
	}
	return v;
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
	return registry().host.arm64_pmu_type != 0 && v >= pmuver_v3 && v != pmuver_impdef;
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

void pmu_run_begin(Vcpu *vcpu)
{
	PmuVcpu &p = vcpu->arch.pmu;
	p.in_run = true;
	if (p.stale) {
		p.stale = false;
		host_program_all(vcpu);
		return;
	}
	for (PmuHostCounter &h : p.host) {
		if (h.el0)
			kvmx_host_arm64_pmu_event_enable(h.el0, 1);
	}
}

void pmu_run_end(Vcpu *vcpu)
{
	PmuVcpu &p = vcpu->arch.pmu;
	// Outside KVM_RUN the thread's EL0 is the VMM's own.
	for (PmuHostCounter &h : p.host) {
		if (h.el0)
			kvmx_host_arm64_pmu_event_enable(h.el0, 0);
	}
	p.in_run = false;
}

void pmu_sync(Vcpu *vcpu)
{
	PmuVcpu &p = vcpu->arch.pmu;
	if (!__atomic_exchange_n(&p.overflowed, 0, __ATOMIC_ACQ_REL))
		return;
	for (u32 i = 0; i < pmu_nr_slots; i++) {
		const PmuHostCounter &h = p.host[i];
		if (!h.el1 && !h.el0)
			continue;
		// Past the overflow: PMOVSSET; either way a fresh period from the new value.
		if (host_count(h) >= h.period)
			p.ovsset |= 1ULL << i;
		host_program(vcpu, i);
	}
	update_irq(vcpu);
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

// perf's overflow callback for a host counter (interrupt context): the vCPU's run loop
// looks before its next entry (pmu_sync). The interrupt itself ended the guest's run.
extern "C" void kvmx_arm64_pmu_overflow(void *ctx)
{
	kvmx::Vcpu *vcpu = static_cast<kvmx::Vcpu *>(ctx);
	kvmx::store_release(&vcpu->arch.pmu.overflowed, 1u);
}
