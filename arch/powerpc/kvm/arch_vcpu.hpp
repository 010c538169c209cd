// SPDX-License-Identifier: GPL-2.0
// POWER9 per-vCPU state. Nothing yet enters a guest on POWER (see
// Documentation/virt/kvmx/powerpc.rst): the vCPU exists so that KVM_CREATE_VCPU, its fd
// and its kvm_run page work, and KVM_RUN says why it cannot run.
#pragma once

#include "base.hpp"

namespace kvmx {

struct ArchVcpu {
	u32 run_refusals; // KVM_RUN calls refused (for the rate-limited log line)
};

} // namespace kvmx
