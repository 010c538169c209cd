// SPDX-License-Identifier: GPL-2.0
// POWER9 per-vCPU state: the guest registers the world switch loads and saves, the
// interrupts kvmx delivers, the pending MMIO access and the idle states (H_CEDE, stop).
#pragma once

#include "base.hpp"
#include "radix.hpp"
#include <kvmx/ppc.h>

// An idle vCPU (H_CEDE, stop0lite) polls before it sleeps: vcpu_halt (core/vcpu.hpp).
#define KVMX_ARCH_HALT_POLL 1
// Coalesced MMIO (core/coalesced_mmio.cpp): KVM_CAP_COALESCED_MMIO, the ring at (64 KiB
// host) page 1 of the vCPU mmap, as kvm-hv.
#define KVMX_ARCH_COALESCED_MMIO 1

namespace kvmx {

// SPRs switched with the guest (hyp/switch.cpp), plus the ones kvmx only keeps.
struct PpcSprs {
	u64 srr0, srr1, sprg[4], dar, dsisr;
	u64 dec_expires; // absolute timebase at which the guest's DEC passes zero
	u64 pid, amr, iamr, uamor, fscr, dscr, pspb, tar, tidr, vrsave, ctrl, psscr, ciabr;
	u64 ic, vtb, purr, spurr;
	u64 dawr0, dawrx0; // kept, not loaded (hypervisor-only on POWER9)
	u64 lpcr;	   // the VMM's per-vCPU LPCR bits (LPCR_VCPU_MASK)
};

// Registers kvmx keeps for the VMM (ONE_REG: a VMM saves and restores them) but never
// loads into the CPU: the PMU, event-based branches and POWER8's thread-control and
// workload SPRs are not offered to guests (HFSCR[PM|EBB] clear: the guest's use of them is
// an illegal instruction), and the DABR is POWER8's.
struct PpcKeptSprs {
	u64 mmcr0, mmcr1, mmcr2, mmcr3, mmcra, mmcrs, siar, sdar, sier, sier2, sier3;
	u64 pmc[8], spmc[2];
	u64 ebbhr, ebbrr, bescr;
	u64 csigr, tacr, tcscr, wort, acop, dabr, dabrx;
	u64 online; // KVM_REG_PPC_ONLINE: the VMM's view of the vCPU (kept, not used)
};

// A PAPR per-processor area the guest registered (vpa.cpp): guest real address, length.
struct PpcVpaArea {
	u64 gpa, len;
};
struct PpcVpa {
	PpcVpaArea vpa, slb, dtl; // under ArchVm::vpa_lock
};

// An MMIO access handed to userspace, finished by the next KVM_RUN.
struct PpcMmio {
	bool active;
	bool is_write;
	bool sign_extend;
	bool byte_reversed; // the access is in the opposite order of the guest's MSR[LE]
	u8 rt;		    // destination GPR of a load
	u8 len;
};

// What the latest exit left (by trap).
struct PpcExit {
	int trap;
	u64 heir, asdr, hdar, hdsisr, hfscr;
};

// Pending interrupts the VMM or other vCPUs raised (atomic bit set).
constexpr u32 pend_external = 1; // KVM_INTERRUPT: level until KVM_INTERRUPT_UNSET
constexpr u32 pend_doorbell = 2; // msgsndp from a thread of the same virtual core
constexpr u32 pend_prod = 4;	 // H_PROD
constexpr u32 pend_ext_once = 8; // KVM_INTERRUPT_SET: the external is withdrawn once delivered
constexpr u32 pend_xive = 16;	 // an event for the undispatched XIVE VP (escalation, or pulled)

enum class PpcIdle : u8 { none, cede, stop };

struct XiveVcpu; // xive_native.cpp

struct ArchVcpu {
	kvmx_ppc_regs regs;
	PpcSprs spr;
	kvmx_ppc_shadow *shadow;
	PpcMmio mmio;
	bool hcall_pending; // KVM_EXIT_PAPR_HCALL: r3 = run->papr_hcall.ret on the next run
	PpcExit exit;
	u32 pending;	  // atomic: pend_*
	PpcIdle idle;	  // blocked in H_CEDE or an emulated stop (vCPU thread only)
	int running_cpu;  // atomic: the CPU while in the guest section, else -1
	int last_cpu;	  // the CPU of the previous run (-1: none)
	RadixCache cache; // table pages for this vCPU's faults
	XiveVcpu *xive;	  // connected to the VM's XIVE device (set under the vCPU lock)
	PpcKeptSprs kept; // ONE_REG storage only
	PpcVpa vpa;	  // H_REGISTER_VPA, KVM_REG_PPC_VPA_*
	// KVM_REG_PPC_TB_OFFSET: guest timebase = host timebase + tb_offset, a multiple of
	// 2^24 (the hardware changes the upper 40 bits only, TBU40), applied at each entry.
	u64 tb_offset;
};

} // namespace kvmx
