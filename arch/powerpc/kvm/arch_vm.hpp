// SPDX-License-Identifier: GPL-2.0
// POWER9 (Book3S HV, radix) per-VM state owned by arch/powerpc/kvm/. Grows with the
// partition-scoped tables, the LPID and the vCPUs' entry state.
#pragma once

#include "base.hpp"

namespace kvmx {

struct ArchVm {
	u32 ipa_bits;	     // guest real address size: memslots must end below 1 << ipa_bits
	bool mmu_v3;	     // a KVM_PPC_CONFIGURE_V3_MMU succeeded
	u64 mmu_flags;	     // its KVM_PPC_MMUV3_* flags (RADIX always set)
	u64 process_table;   // its process_table doubleword (PATE1 of the partition)
	kvmx_mutex *mmu_cfg; // serialises KVM_PPC_CONFIGURE_V3_MMU
};

// KVM_PPC_CONFIGURE_V3_MMU's argument checks, without the VM (unit-testable): 0 or
// -EINVAL. kvmx runs radix guests only, so a hash (HPT) configuration is refused.
int ppc_check_mmuv3_cfg(u64 flags, u64 process_table);

} // namespace kvmx
