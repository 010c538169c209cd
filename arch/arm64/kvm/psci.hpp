// SPDX-License-Identifier: GPL-2.0
// PSCI (Arm DEN0022) for arm64 guests: power state of vCPUs and of the whole system.
#pragma once

#include "arch.hpp"
#include "base.hpp"

namespace kvmx {

// Whether @fid is a PSCI function for this vCPU (PSCI 0.2+ ids, or the KVM 0.1 ids).
bool psci_owns(const Vcpu *vcpu, u32 fid);
// Handle the call; results in x0, or a KVM_EXIT_SYSTEM_EVENT for the VMM.
Result<RunStep> psci_call(Vcpu *vcpu, u32 fid);

// Apply a CPU_ON another vCPU posted for this one (its own thread, before it runs or
// before userspace reads its registers).
void psci_apply_power_on(Vcpu *vcpu);

// KVM_RUN of a vCPU the VMM put in KVM_MP_STATE_SUSPENDED: block as a WFI until a
// wake-up event, then exit with KVM_SYSTEM_EVENT_WAKEUP (the state stays SUSPENDED:
// the VMM decides to resume); -EINTR for a signal.
Result<RunStep> psci_block_suspended(Vcpu *vcpu);

} // namespace kvmx
