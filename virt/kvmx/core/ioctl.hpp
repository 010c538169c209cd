// SPDX-License-Identifier: GPL-2.0
// ioctl number helpers shared by the /dev/kvm, VM and (later) vCPU dispatchers.
#pragma once

#include "base.hpp"
#include <linux/kvm.h>

namespace kvmx {

// KVM_GET_REG_LIST as C userspace encodes it: struct kvm_reg_list is 8 bytes in C, but
// its __DECLARE_FLEX_ARRAY member is laid out differently in C++, which would change the
// ioctl number's size field. The layout itself (u64 n; u64 reg[]) is read by hand.
constexpr unsigned int kvm_get_reg_list_ioctl = _IOWR(KVMIO, 0xb0, __u64);
// KVM_SET_GSI_ROUTING likewise: struct kvm_irq_routing (u32 nr; u32 flags; entries[])
// is 8 bytes in C, 16 in C++.
constexpr unsigned int kvm_set_gsi_routing_ioctl = _IOW(KVMIO, 0x6a, __u64);
constexpr usize kvm_irq_routing_head_size = 8;
// KVM_SET_SIGNAL_MASK likewise: struct kvm_signal_mask (u32 len; u8 sigset[]) is 4 bytes
// in C.
constexpr unsigned int kvm_set_signal_mask_ioctl = _IOW(KVMIO, 0x8b, __u32);

// An ioctl no dispatcher knows: -EINVAL for KVM's own ioctl type, as upstream KVM
// answers, and -ENOTTY for anything that is not a KVM ioctl at all.
constexpr long unknown_ioctl(unsigned int cmd)
{
	return _IOC_TYPE(cmd) == KVMIO ? -EINVAL : -ENOTTY;
}

} // namespace kvmx
