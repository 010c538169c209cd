// SPDX-License-Identifier: GPL-2.0
// KVM_IOEVENTFD: guest writes to an address (optionally only with a given value) signal an
// eventfd in the kernel instead of exiting to the VMM. The table is per VM; the arches'
// MMIO exit paths ask ioeventfd_mmio_write() before they hand an access to userspace.
#pragma once

#include "base.hpp"

namespace kvmx {

struct Ioeventfd;

struct IoeventfdTable {
	kvmx_spinlock *lock; // readers (vCPU exits) and the swap of `entries`
	Ioeventfd *entries;  // written under the VM lock, swapped under `lock`
	u32 count;
	u32 mmio_count; // atomic: MMIO entries, so exits skip the lock when there are none
};

Status ioeventfd_init(Vm *vm);
void ioeventfd_destroy(Vm *vm);

// KVM_IOEVENTFD on the VM fd.
long ioeventfd_ioctl(Vm *vm, unsigned long arg);

// A guest MMIO write of @len bytes at @addr, @data in the byte order kvm_run.mmio.data
// carries it: true if an ioeventfd matched (its eventfd is signalled, the write is done).
// Any vCPU thread, never sleeps.
bool ioeventfd_mmio_write(Vm *vm, u64 addr, u32 len, const void *data);

} // namespace kvmx
