// SPDX-License-Identifier: GPL-2.0
// arm64 per-VM state owned by arch/arm64/kvm/. Grows with stage 2, VMID and vCPUs.
#pragma once

#include "base.hpp"

namespace kvmx {

struct ArchVm {
	u32 ipa_bits; // guest physical address size chosen at KVM_CREATE_VM
};

// Largest IPA size kvmx can give a VM on a host with this ID_AA64MMFR0_EL1 value.
u32 arm64_ipa_limit(u64 id_aa64mmfr0);

} // namespace kvmx
