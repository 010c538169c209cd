// SPDX-License-Identifier: GPL-2.0
// arm64 per-VM state owned by arch/arm64/kvm/. Grows with stage 2, VMID and vCPUs.
#pragma once

#include "base.hpp"
#include "pmu.hpp"

namespace kvmx {

class Stage2;
struct Vgic;
struct SmcccRange;

// Feature-ID registers op0=3 op1=0 CRn=0 CRm=1..7, indexed (CRm - 1) * 8 + op2.
constexpr u32 nr_id_regs = 56;

struct ArchVm {
	u32 ipa_bits;		   // guest physical address size chosen at KVM_CREATE_VM
	u32 vmid;		   // 0 = none allocated
	Stage2 *s2;		   // under the VM's mmu_lock
	u64 vttbr, vtcr;	   // for the world switch
	u64 cntvoff;		   // guest virtual counter = physical counter - cntvoff
	u64 cntpoff;		   // guest physical counter = physical counter - cntpoff
	int *last_vcpu_ran;	   // per host CPU: index of the vCPU that last ran there, or -1
	u32 psci_version;	   // KVM_REG_ARM_PSCI_VERSION for PSCI 0.2+ vCPUs
	kvmx_spinlock *power_lock; // vCPU power states (mp_state, power_on)
	u64 fw_bmap[3];		   // KVM_REG_ARM_{STD,STD_HYP,VENDOR_HYP}_BMAP
	bool system_suspend;	   // KVM_CAP_ARM_SYSTEM_SUSPEND enabled by the VMM
	u32 el1_width;		   // atomic: 0 until a vCPU is initialised, then 1 (64) or 2 (32)
	Vgic *vgic;		   // the in-kernel GICv3 (vgic/kvm.cpp): set once under the VM lock
	SmcccRange *smccc_ranges;  // the SMCCC filter (smccc_filter.cpp), or nullptr
	u32 smccc_count;	   // atomic: ranges in it
	u64 id_regs[nr_id_regs];   // feature-ID registers (id_regs.cpp), under the VM lock
	u64 ctr;		   // CTR_EL0 (id_regs.cpp), under the VM lock
	bool id_regs_ready;	   // id_regs and ctr set by the first KVM_ARM_VCPU_INIT
	PmuVm pmu;		   // the PMU configuration (pmu.cpp)
};

// Largest IPA size kvmx can give a VM on a host with this ID_AA64MMFR0_EL1 value.
u32 arm64_ipa_limit(u64 id_aa64mmfr0);

} // namespace kvmx
