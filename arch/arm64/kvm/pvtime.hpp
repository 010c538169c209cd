// SPDX-License-Identifier: GPL-2.0
// Paravirtualised stolen time (Arm DEN0057A) for arm64 guests.
#pragma once

#include "base.hpp"

namespace kvmx {

// Per-vCPU state. The structure's host address is cached per memslot generation, so a
// guest entry neither searches the memslots nor touches the fault path's lookups.
struct PvTime {
	u64 ipa;	    // the structure's guest physical address, or invalid_gpa
	u64 revision;	    // structure revision offered to the guest (0)
	u64 last_run_delay; // scheduler run delay at the last update
	u64 stolen_ns;	    // what the guest was last told
	u64 cached_gen;	    // memslot generation of cached_hva (+1; 0 = none)
	u64 cached_hva;	    // host address of the structure
	u64 lookups;	    // memslot lookups done for it (the cache's misses)
};

constexpr u64 invalid_gpa = ~0ULL;

void pvtime_reset(Vcpu *vcpu);
// The host scheduler tracks run delay (kvmx_host_info::sched_info_on). Without it, as on
// upstream KVM, KVM_CAP_STEAL_TIME reads 0 and the PV time attributes fail with ENXIO.
bool pvtime_host_supported();
// KVM_{HAS,SET,GET}_DEVICE_ATTR in group KVM_ARM_VCPU_PVTIME_CTRL.
long pvtime_has_attr(Vcpu *vcpu, u64 attr);
long pvtime_set_attr(Vcpu *vcpu, u64 attr, kvmx_uptr addr);
long pvtime_get_attr(Vcpu *vcpu, u64 attr, kvmx_uptr addr);
// Before a guest entry (interrupts on, may fault): publish new stolen time, if any.
void pvtime_update(Vcpu *vcpu);
// The SMCCC calls: PV_TIME_FEATURES and PV_TIME_ST; false if @fid is neither.
bool pvtime_call(Vcpu *vcpu, u32 fid);
// SMCCC_ARCH_FEATURES(PV_TIME_FEATURES) is answered from the firmware bitmap.
bool pvtime_enabled(const Vcpu *vcpu);

} // namespace kvmx
