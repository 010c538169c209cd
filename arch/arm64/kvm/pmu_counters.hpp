// SPDX-License-Identifier: GPL-2.0
// The guest PMU's counters (pmu_counters.cpp), for pmu.cpp only: their values, the host
// perf counters behind them, SW_INCR, PMCR_EL0 and the overflow interrupt's level.
#pragma once

#include "pmu.hpp"
#include "vcpu.hpp"
#include "vm.hpp"

namespace kvmx {
namespace pmu_detail {

// PMCR_EL0 (D13.4.8): E, P, C, D, X, DP, LC, LP are [7:0]; N [15:11].
constexpr u64 PMCR_E = 1, PMCR_P = 2, PMCR_C = 4, PMCR_LC = 1 << 6, PMCR_LP = 1 << 7;
constexpr u64 PMCR_WRITABLE = 0xff;
constexpr u32 PMCR_N_SHIFT = 11;
// PMEVTYPER<n>_EL0 / PMCCFILTR_EL0: P (exclude EL1), U (exclude EL0), NSH (include EL2),
// evtCount.
constexpr u64 EVTYPE_FILTER_BITS = 1ULL << 31 | 1ULL << 30 | 1ULL << 27;
// ID_AA64DFR0_EL1.PMUVer values: 1 PMUv3, 4 v3p1, 5 v3p4, 6 v3p5 (0xf, IMPLEMENTATION
// DEFINED, is id_regs.hpp's PMUVER_IMPDEF). kvmx, as upstream, offers at most PMUv3p5.
constexpr u32 pmuver_v3 = 1, pmuver_v3p1 = 4, pmuver_v3p5 = 6;
constexpr u32 ev_sw_incr = 0;

inline u32 min_u32(u32 a, u32 b)
{
	return a < b ? a : b;
}

inline PmuVm &vm_pmu(const Vcpu *vcpu)
{
	return vcpu->vm->arch.pmu;
}

// Events the guest can program: 10 bits with PMUv3 (Armv8.0), 16 from PMUv3p1.
u32 event_mask(const Vcpu *vcpu);
// PMCR_EL0.N of the VM, and the counters that exist: PMEVCNTR0..N-1 and the cycle counter.
u32 nr_counters(const Vcpu *vcpu);
u64 valid_mask(const Vcpu *vcpu);

// The overflow interrupt's level, and driving the vGIC's line when it changed.
bool overflow_level(const Vcpu *vcpu);
void update_irq(Vcpu *vcpu);

// Counter @idx (31: the cycle counter) as the guest reads it; a new value from the guest
// (truncated to the counter's width) or the VMM (as written); a new type register value.
u64 counter_read(Vcpu *vcpu, u32 idx);
void counter_write(Vcpu *vcpu, u32 idx, u64 val);
void counter_set(Vcpu *vcpu, u32 idx, u64 val);
void typer_set(Vcpu *vcpu, u32 idx, u64 val);
// A write to the SET (@set) or CLR register of a pair stored in @reg.
void bitmap_set(Vcpu *vcpu, u64 *reg, bool set, u64 val);
// PMSWINC_EL0.
void software_increment(Vcpu *vcpu, u64 mask);
// PMCR_EL0: a write (@act: the guest's, whose P and C reset counters) and its value.
void pmcr_write(Vcpu *vcpu, u64 val, bool act);
u64 pmcr_read(const Vcpu *vcpu);
// PMCEID0_EL0 (!@high) or PMCEID1_EL0.
u64 pmceid(const Vcpu *vcpu, bool high);

// The host counters: fold what counter @idx's counted into its value; release them all
// (@discard: without folding).
void host_fold(Vcpu *vcpu, u32 idx);
void host_release_all(Vcpu *vcpu, bool discard);

} // namespace pmu_detail
} // namespace kvmx
