// SPDX-License-Identifier: GPL-2.0
// Coalesced MMIO (KVM_CAP_COALESCED_MMIO, KVM_REGISTER/UNREGISTER_COALESCED_MMIO): guest
// writes into a zone the VMM registered are appended to a ring page shared with userspace
// instead of exiting; the VMM drains the ring at its next exit. One ring per VM, mapped
// at page KVM_COALESCED_MMIO_PAGE_OFFSET of every vCPU fd.
#pragma once

#include "base.hpp"

namespace kvmx {

struct CoalescedZone {
	u64 addr;
	u32 size;
	u32 pio;
};

struct CoalescedMmio {
	u8 *ring;	      // a page from kvmx_host_alloc_page: first, last, then the entries
	kvmx_spinlock *lock;  // insertions into the ring, and the zone array
	CoalescedZone *zones; // [coalesced_max_zones], allocated at the first registration
	u32 nr_zones;	      // atomic: exits skip the lock when there are none
};

Status coalesced_mmio_init(Vm *vm);
void coalesced_mmio_destroy(Vm *vm);
// The ring page, for the vCPU fd's mmap.
void *coalesced_mmio_ring_page(Vm *vm);
// KVM_REGISTER_COALESCED_MMIO / KVM_UNREGISTER_COALESCED_MMIO on the VM fd.
long coalesced_mmio_ioctl(Vm *vm, bool reg, unsigned long arg);
// A guest MMIO write of @len (1 to 8) bytes at @addr, @data as kvm_run.mmio.data holds
// it: true if a zone holds it and the ring had room (the write is done, no exit). Any
// vCPU thread, never sleeps.
bool coalesced_mmio_write(Vm *vm, u64 addr, u32 len, const void *data);

} // namespace kvmx
