// SPDX-License-Identifier: GPL-2.0
// The boundary between the vGIC model and the hardware's GICv3 virtual CPU interface: the
// values the world switch will load into the ICH_*_EL2 (interrupt controller hypervisor)
// registers before a guest runs and save from them after it exits, behind which the guest
// uses the ICC_*_EL1 (CPU interface) registers itself. Plain data and field layouts only;
// nothing here touches a register.
#pragma once

#include "base.hpp"

namespace kvmx {

// GICv3 architecture specification (IHI 0069), "ICH_LR<n>_EL2": one list register (LR).
constexpr u64 ICH_LR_VINTID_MASK = 0xffffffffULL; // vINTID [31:0]
constexpr u32 ICH_LR_PINTID_SHIFT = 32;		  // pINTID [41:32] when HW
constexpr u64 ICH_LR_PINTID_MASK = 0x3ffULL << ICH_LR_PINTID_SHIFT;
constexpr u64 ICH_LR_EOI = 1ULL << 41; // !HW: maintenance interrupt on deactivation
constexpr u32 ICH_LR_PRIORITY_SHIFT = 48;
constexpr u64 ICH_LR_PRIORITY_MASK = 0xffULL << ICH_LR_PRIORITY_SHIFT;
constexpr u64 ICH_LR_GROUP = 1ULL << 60; // Group 1
constexpr u64 ICH_LR_HW = 1ULL << 61;	 // deactivation also deactivates pINTID
constexpr u64 ICH_LR_PENDING = 1ULL << 62;
constexpr u64 ICH_LR_ACTIVE = 1ULL << 63;
constexpr u64 ICH_LR_STATE = ICH_LR_PENDING | ICH_LR_ACTIVE;

// ICH_HCR_EL2: En enables the virtual CPU interface, UIE asks for a maintenance
// interrupt when at most one LR holds a valid interrupt (underflow).
constexpr u32 ICH_HCR_EN = 1u << 0, ICH_HCR_UIE = 1u << 1;

// ICH_VMCR_EL2 fields (the guest's ICC_* view: PMR, BPRs, EOImode, CBPR, group enables).
constexpr u32 ICH_VMCR_ENG0_SHIFT = 0, ICH_VMCR_ENG1_SHIFT = 1, ICH_VMCR_ACK_CTL_SHIFT = 2;
constexpr u32 ICH_VMCR_FIQ_EN_SHIFT = 3, ICH_VMCR_CBPR_SHIFT = 4, ICH_VMCR_EOIM_SHIFT = 9;
constexpr u32 ICH_VMCR_BPR1_SHIFT = 18, ICH_VMCR_BPR0_SHIFT = 21, ICH_VMCR_PMR_SHIFT = 24;

// ICH_VTR_EL2: what the hardware's virtual interface implements.
constexpr u32 ICH_VTR_LISTREGS_MASK = 0xf; // number of LRs - 1 (bit 4 ignored, as upstream)
constexpr u32 ICH_VTR_A3V_SHIFT = 21, ICH_VTR_SEIS_SHIFT = 22;
constexpr u32 ICH_VTR_ID_BITS_SHIFT = 23, ICH_VTR_PRI_BITS_SHIFT = 29;

// ICC_SRE_EL1 as a GICv3 guest sees it: system registers on, IRQ/FIQ bypass disabled.
constexpr u32 ICC_SRE_SRE = 1u << 0, ICC_SRE_DFB = 1u << 1, ICC_SRE_DIB = 1u << 2;

constexpr u32 vgic_max_lrs = 16; // the architecture's maximum

// The host's virtual CPU interface, read once by the glue (ICH_VTR_EL2) and passed in.
struct VgicHwInfo {
	u32 ich_vtr; // ICH_VTR_EL2
	u32 nr_lr;   // list registers: ListRegs + 1, at most vgic_max_lrs
};

// One vCPU's virtual CPU interface state. Before entry the world switch writes lr[0,
// used_lrs) into ICH_LR<n>_EL2 (zeroing the rest it used last time), hcr, vmcr and the
// active-priority registers; after exit it reads lr[0, used_lrs) back (state, EOI) and
// vmcr and the active priorities, then the model folds the LRs (lr.cpp).
struct VgicCpuIf {
	u64 lr[vgic_max_lrs];
	u32 used_lrs;
	u32 hcr;     // ICH_HCR_EL2
	u32 vmcr;    // ICH_VMCR_EL2
	u32 sre;     // ICC_SRE_EL1 (read-only to the guest: SRE, DFB, DIB)
	u32 ap0r[4]; // ICH_AP0R<n>_EL2
	u32 ap1r[4]; // ICH_AP1R<n>_EL2
};

} // namespace kvmx
