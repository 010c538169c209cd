// SPDX-License-Identifier: GPL-2.0
// POWER9 (Book3S HV, radix) per-VM state owned by arch/powerpc/kvm/: the partition (LPID,
// partition-scoped tree, LPCR), the guest's process table and the enabled capabilities.
#pragma once

#include "base.hpp"
#include "radix.hpp"

struct kvmx_xive_dev;
struct kvmx_ppc_tce;

namespace kvmx {

struct ArchVm {
	u32 ipa_bits;		 // guest real address size: memslots must end below 1 << ipa_bits
	bool mmu_v3;		 // a KVM_PPC_CONFIGURE_V3_MMU succeeded
	u64 mmu_flags;		 // its KVM_PPC_MMUV3_* flags (RADIX always set)
	u64 process_table;	 // its process_table doubleword (PATE1 of the partition)
	kvmx_mutex *mmu_cfg;	 // serialises KVM_PPC_CONFIGURE_V3_MMU and KVM_ENABLE_CAP
	u32 lpid;		 // the partition's LPID (0: none yet)
	RadixTree *radix;	 // partition-scoped translation
	u64 lpcr;		 // LPCR bits common to the VM's vCPUs
	bool stop0lite;		 // KVMX_CAP_PPC_STOP0LITE enabled
	u32 smt_mode;		 // KVM_CAP_PPC_SMT: vCPU ids id & ~(smt_mode - 1) form a core
	kvmx_xive_dev *xive;	 // the XIVE device while its fd lives (under the VM lock)
	u32 hcalls_on;		 // atomic: in-kernel hypercalls switched on (exits.cpp)
	bool fwnmi;		 // KVM_CAP_PPC_FWNMI: machine checks exit as KVM_EXIT_NMI
	kvmx_spinlock *vpa_lock; // the vCPUs' H_REGISTER_VPA areas (vpa.cpp)
	u64 ptcr;		 // KVM_REG_PPC_PTCR: kept (no nested guests on kvmx)
	kvmx_mutex *tce_lock;	 // the TCE tables list and their use by hypercalls
	kvmx_ppc_tce *tces;	 // KVM_CREATE_SPAPR_TCE_64 tables (tce.cpp), by LIOBN
};

// KVM_PPC_CONFIGURE_V3_MMU's argument checks, without the VM (unit-testable): 0 or
// -EINVAL. kvmx runs radix guests only, so a hash (HPT) configuration is refused.
int ppc_check_mmuv3_cfg(u64 flags, u64 process_table);

} // namespace kvmx
