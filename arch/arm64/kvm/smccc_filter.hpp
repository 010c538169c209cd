// SPDX-License-Identifier: GPL-2.0
// The SMCCC filter (upstream Linux 6.4; Documentation/virt/kvm/devices/vm.rst): the VMM
// names ranges of SMCCC function ids that kvmx handles as usual, denies (NOT_SUPPORTED
// in x0) or forwards to userspace as KVM_EXIT_HYPERCALL, before the VM first runs.
#pragma once

#include "arch.hpp"
#include "base.hpp"

namespace kvmx {

struct SmcccRange {
	u32 start, end; // inclusive
	u8 action;	// enum kvm_smccc_filter_action
};

// KVM_HAS_DEVICE_ATTR / KVM_SET_DEVICE_ATTR on the VM fd (group KVM_ARM_VM_SMCCC_CTRL).
long smccc_filter_vm_attr(Vm *vm, unsigned int cmd, unsigned long arg);
// The action for @fid: KVM_SMCCC_FILTER_HANDLE where no range names it.
u8 smccc_filter_action(const Vm *vm, u32 fid);
void smccc_filter_destroy(Vm *vm);

} // namespace kvmx
