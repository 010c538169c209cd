// SPDX-License-Identifier: GPL-2.0
// ioctl number helpers shared by the /dev/kvm, VM and (later) vCPU dispatchers.
#pragma once

#include "base.hpp"
#include <linux/kvm.h>

namespace kvmx {

// An ioctl no dispatcher knows: -EINVAL for KVM's own ioctl type, as upstream KVM
// answers, and -ENOTTY for anything that is not a KVM ioctl at all.
constexpr long unknown_ioctl(unsigned int cmd)
{
	return _IOC_TYPE(cmd) == KVMIO ? -EINVAL : -ENOTTY;
}

} // namespace kvmx
