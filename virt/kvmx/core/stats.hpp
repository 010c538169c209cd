// SPDX-License-Identifier: GPL-2.0
// Binary statistics (KVM_GET_STATS_FD): the file layout upstream defines, produced on
// each read from the live counters.
#pragma once

#include "base.hpp"

namespace kvmx {

// KVM_GET_STATS_FD on a VM (@vcpu null) or a vCPU: a new fd, or -errno.
long stats_fd(Vm *vm, Vcpu *vcpu);

} // namespace kvmx
