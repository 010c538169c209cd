// SPDX-License-Identifier: GPL-2.0
// The capability registry: which KVM_CAP_* kvmx knows and what each reads.
#pragma once

#include "base.hpp"

namespace kvmx {

struct CapInfo {
	u64 number;
	const char *name;
};

// Every capability kvmx knows (include/kvmx/caps.def), in that file's order.
const CapInfo *known_caps(usize *count);
bool cap_is_known(u64 cap);

// KVM_CHECK_EXTENSION: @vm is null for /dev/kvm. Unknown capabilities read 0.
long check_extension(const Vm *vm, u64 cap);

} // namespace kvmx
