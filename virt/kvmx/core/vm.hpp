// SPDX-License-Identifier: GPL-2.0
// The VM object: lifetime (reference counted, one reference per fd that names it) and
// the VM fd's ioctls.
#pragma once

#include "arch.hpp"
#include "base.hpp"
#include "memslot.hpp"

struct kvmx_vm {
	kvmx::u32 id;		      // for log tags only
	kvmx::u32 refs;		      // atomic; the VM is freed when it drops to 0
	kvmx_mutex *lock;	      // serialises memslot changes (and, later, vCPU creation)
	kvmx::MemslotTable *memslots; // under lock
	kvmx::ArchVm arch;
};

namespace kvmx {

// KVM_CREATE_VM: a new VM holding one reference, or -EINVAL (bad type), -ENOMEM,
// -ENOSPC (max_vms reached).
Result<Vm *> vm_create(unsigned long type);
void vm_get(Vm *vm);
void vm_put(Vm *vm);

long vm_ioctl(Vm *vm, unsigned int cmd, unsigned long arg);

} // namespace kvmx
