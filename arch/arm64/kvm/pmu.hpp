// SPDX-License-Identifier: GPL-2.0
// The guest's PMUv3 (Performance Monitors Extension, ARM ARM D11): the vCPU feature
// KVM_ARM_VCPU_PMU_V3, the KVM_ARM_VCPU_PMU_V3_CTRL attributes, the trapped PMU system
// registers (MDCR_EL2.TPM/TPMCR) and their ONE_REG view, and the overflow interrupt.
#pragma once

#include "base.hpp"
#include "sysregs.hpp"

namespace kvmx {

// Counter index of the cycle counter (PMCCNTR_EL0) in the PMU's bitmaps.
constexpr u32 pmu_cycle_idx = 31;
constexpr u32 pmu_nr_slots = 32; // PMEVCNTR0-30 and the cycle counter

// The host perf counters behind one guest counter (kvmx_host_arm64_pmu_event_create):
// one for the guest's EL1, one for its EL0 (each absent when the guest's filter bits
// exclude that level). The guest's value is base plus what they counted; period is the
// distance from base to the guest counter's overflow.
struct PmuHostCounter {
	kvmx_pmu_event *el1, *el0;
	u64 base, period;
};

// Per-vCPU PMU state: the guest-visible registers (values as the guest reads them), the
// host counters behind them and the overflow interrupt's configuration.
struct PmuVcpu {
	bool irq_set;	       // KVM_ARM_VCPU_PMU_V3_IRQ done
	bool created;	       // KVM_ARM_VCPU_PMU_V3_INIT done (survives a vCPU reset, as upstream)
	bool level;	       // the overflow interrupt's line as last driven
	u32 irq;	       // PPI (16-31) or SPI (32-1019) of the overflow interrupt
	u64 pmcr;	       // PMCR_EL0 bits [7:0]; N is the VM's, P and C read as zero
	u64 cntenset;	       // PMCNTENSET/CLR_EL0
	u64 intenset;	       // PMINTENSET/CLR_EL1
	u64 ovsset;	       // PMOVSSET/CLR_EL0
	u64 selr;	       // PMSELR_EL0
	u64 userenr;	       // PMUSERENR_EL0
	u64 swinc;	       // PMSWINC_EL0 as ONE_REG stores it (write-only for the guest)
	u64 cnt[pmu_nr_slots]; // PMEVCNTR<n>_EL0, PMCCNTR_EL0 at 31
	u64 typer[pmu_nr_slots]; // PMEVTYPER<n>_EL0, PMCCFILTR_EL0 at 31
	PmuHostCounter host[pmu_nr_slots];
	u32 overflowed; // atomic: a host counter's period elapsed (perf's callback)
	bool in_run;	// in KVM_RUN on the vCPU thread: host counters can be made
	bool stale;	// host counters to be made at the next KVM_RUN
};

// Per-VM PMU configuration, under the VM lock.
struct PmuVm {
	bool configured; // nr_counters and pmuver set (first PMU vCPU init)
	u32 nr_counters; // PMCR_EL0.N of every vCPU (ONE_REG may lower it before the first run)
	u32 pmuver;	 // ID_AA64DFR0_EL1.PMUVer of vCPUs with the feature
	u8 *filter;	 // one bit per event number, 1 = allowed; nullptr: all allowed
};

// The host has a PMUv3 kvmx can offer (KVM_CAP_ARM_PMU_V3, the vCPU feature).
bool pmu_host_supported();
// The vCPU was initialised with KVM_ARM_VCPU_PMU_V3.
bool pmu_vcpu_has(const Vcpu *vcpu);

// KVM_ARM_VCPU_INIT: reset the PMU registers (the interrupt configuration stays).
void pmu_vcpu_reset(Vcpu *vcpu);
// Before the first run: a PMU vCPU must have done INIT, with an interrupt valid for the
// vGIC (or none without one); -EINVAL otherwise, as upstream.
Status pmu_first_run(Vcpu *vcpu);
void pmu_vm_destroy(Vm *vm);
void pmu_vcpu_destroy(Vcpu *vcpu);
// KVM_RUN begins (the host counters are made or enabled on this thread) and ends; and
// before each entry (interrupts on): fold in the host counters whose period elapsed
// (overflow, the interrupt's level).
void pmu_run_begin(Vcpu *vcpu);
void pmu_run_end(Vcpu *vcpu);
void pmu_sync(Vcpu *vcpu);

// KVM_{HAS,SET,GET}_DEVICE_ATTR in group KVM_ARM_VCPU_PMU_V3_CTRL.
long pmu_has_attr(Vcpu *vcpu, u64 attr);
long pmu_set_attr(Vcpu *vcpu, u64 attr, kvmx_uptr addr);
long pmu_get_attr(Vcpu *vcpu, u64 attr, kvmx_uptr addr);

// A trapped guest access (EC 0x18) to a PMU register: not_mine for any other register.
SysregClaim pmu_sysreg(Vcpu *vcpu, u32 enc, bool read, u64 *val);

// ONE_REG: the PMU registers upstream lists (a vCPU without the feature has none: ENOENT).
bool pmu_onereg_claims(u32 enc);
Status pmu_onereg_get(Vcpu *vcpu, u32 enc, u64 *val);
Status pmu_onereg_set(Vcpu *vcpu, u32 enc, u64 val);
u32 pmu_reg_list(const Vcpu *vcpu, u64 *out);

// ID_AA64DFR0_EL1 as this vCPU sees it: PMUVer the VM's with the feature, 0 without.
u64 pmu_dfr0_read(const Vcpu *vcpu, u64 val);
// A VMM's ID_AA64DFR0_EL1 write: PMUVer must be one this vCPU can show (its current one,
// or lower but at least PMUv3 with the feature, 0 without); then it is the VM's and
// @val is left with the PMUVer the VM-wide register keeps (0). -EINVAL otherwise.
Status pmu_dfr0_write(Vcpu *vcpu, u64 *val);

// The overflow interrupt: with the in-kernel vGIC its line is driven as registers change;
// without one (KVM_CAP_ARM_USER_IRQ) it is KVM_ARM_DEV_PMU in kvm_run, and the entry is
// refused (false) while the VMM has not seen a change. update_run fills kvm_run.
bool pmu_prepare_entry(Vcpu *vcpu);
void pmu_update_run(Vcpu *vcpu);

} // namespace kvmx
