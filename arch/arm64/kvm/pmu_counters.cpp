// SPDX-License-Identifier: GPL-2.0
// The guest PMU's counters: their values, SW_INCR counted in software, every other enabled
// counter backed by host perf counters of the vCPU thread (kvmx_host_arm64_pmu_event_*,
// pmu-arm64.c), PMCR_EL0, overflow and the interrupt's level, and the vCPU's KVM_RUN
// around them. Must not touch the host's PMU registers.
#include "pmu_counters.hpp"
#include "aarch32.hpp"
#include "registry.hpp"
#include "vgic/kvm.hpp"
#include <linux/kvm.h>

namespace kvmx {
namespace pmu_detail {

namespace {

bool is_v3p5(const Vcpu *vcpu)
{
	return vm_pmu(vcpu).pmuver >= pmuver_v3p5;
}

bool event_allowed(const Vcpu *vcpu, u32 event)
{
	const u8 *f = vm_pmu(vcpu).filter;
	return !f || (f[event / 8] >> (event % 8) & 1);
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
		host_fold(vcpu, idx);
	kvmx_host_arm64_pmu_event_release(h.el1);
	kvmx_host_arm64_pmu_event_release(h.el0);
	h = PmuHostCounter{};
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
	u64 each = el1 && el0 && h.period > 1 ? h.period / 2 : h.period;
	// perf takes periods as signed 64-bit values: a 64-bit overflow far away is looked
	// at every 2^62 events instead.
	constexpr u64 max_period = 1ULL << 62;
	if (each > max_period)
		each = max_period;
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

} // namespace

// Events the guest can program: 10 bits with PMUv3 (Armv8.0), 16 from PMUv3p1.
u32 event_mask(const Vcpu *vcpu)
{
	return vm_pmu(vcpu).pmuver >= pmuver_v3p1 ? 0xffff : 0x3ff;
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

// Counter @idx's value with what its host counters counted so far.
void host_fold(Vcpu *vcpu, u32 idx)
{
	PmuVcpu &p = vcpu->arch.pmu;
	const PmuHostCounter &h = p.host[idx];
	if (h.el1 || h.el0)
		p.cnt[idx] = truncate(vcpu, idx, h.base + host_count(h));
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

} // namespace pmu_detail

using namespace pmu_detail;

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
	// A plain load first: this runs before every entry, an overflow seldom.
	if (!load_acquire(&p.overflowed) ||
	    !__atomic_exchange_n(&p.overflowed, 0, __ATOMIC_ACQ_REL))
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
