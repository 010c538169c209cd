// SPDX-License-Identifier: GPL-2.0
// The module-wide registry: the only global mutable state of the core. Set up by
// kvmx_core_init, torn down by kvmx_core_exit; nothing else writes it.
#pragma once

#include "base.hpp"
#include <kvmx/core.h>

namespace kvmx {

struct Registry {
	bool initialised;
	kvmx_host_info host; // copied at init, read-only afterwards
	u32 nr_vms;	     // VMs alive (atomic)
	u32 next_vm_id;	     // ids for log tags (atomic, wraps harmlessly)
	// Hardware guest ids in use (arm64 VMIDs), one bit each, updated atomically.
	u64 guest_ids[65536 / 64];
};

Registry &registry();

// The host's page size (kvmx_host_info.page_shift, 0 taken as 4 KiB): the unit of the
// vCPU fd's mmap (struct kvm_run, the coalesced MMIO ring), as upstream's PAGE_SIZE.
inline usize host_page_bytes()
{
	const u32 shift = registry().host.page_shift;
	return static_cast<usize>(1) << (shift ? shift : 12);
}

} // namespace kvmx
