// SPDX-License-Identifier: GPL-2.0
// arm64 per-vCPU state: the guest's registers as the world switch sees them, the state
// kvmx emulates (trapped system registers, firmware registers), pending MMIO and the
// userspace interrupt lines. The feature ID registers are the VM's (arch_vm.hpp).
#pragma once

// WFI and PSCI suspend idle through the core's halt polling (vcpu_halt, halt_poll.cpp):
// KVM_CAP_HALT_POLL reads 1, as upstream on arm64.
#define KVMX_ARCH_HALT_POLL 1
// Coalesced MMIO (core/coalesced_mmio.cpp) is offered: KVM_CAP_COALESCED_MMIO, the ring at
// (host) page 1 of the vCPU mmap.
#define KVMX_ARCH_COALESCED_MMIO 1

#include "base.hpp"
#include "hyp/switch.hpp"
#include "pmu.hpp"
#include "pvtime.hpp"
#include "stage2.hpp"

namespace kvmx {

struct VgicCpu;

// Registers whose guest accesses trap (HCR_EL2.TACR, MDCR_EL2.TDA/TDOSA) and that kvmx
// keeps as plain storage: the guest sees them behave, nothing reaches the hardware.
enum EmulSysreg : u32 {
	ACTLR_EL1,
	MDCCINT_EL1,
	OSLSR_EL1,
	OSDLR_EL1,
	DBGPRCR_EL1,
	DBGVCR32_EL2,
	DISR_EL1,
	nr_emul_sysregs
};

// Debug registers by index into GuestDebug (GuestCpu::dbg): DBGBVR<n> n, DBGBCR<n>
// 16 + n, DBGWVR<n> 32 + n, DBGWCR<n> 48 + n, MDSCR_EL1 64.
constexpr u32 DBGBVR0 = 0, DBGBCR0 = 16, DBGWVR0 = 32, DBGWCR0 = 48, DBG_MDSCR = 64;

inline u64 &debug_reg(GuestDebug &d, u32 index)
{
	u64 *banks[4] = { d.bvr, d.bcr, d.wvr, d.wcr };
	return index >= DBG_MDSCR ? d.mdscr : banks[index / 16][index % 16];
}

// An MMIO access handed to userspace, finished by the next KVM_RUN.
struct MmioPending {
	bool active;
	bool is_write;
	bool sign_extend; // ESR_EL2.ISS.SSE
	bool sf;	  // ESR_EL2.ISS.SF: 64-bit destination register
	u8 rt;		  // destination register (31 = XZR)
	u8 len;		  // 1, 2, 4 or 8 bytes
};

// Firmware pseudo-registers (KVM_REG_ARM_FW and KVM_REG_ARM_FW_FEAT_BMAP).
struct FirmwareRegs {
	u64 smccc_wa[3]; // ARCH_WORKAROUND_1..3 states reported to the guest
};

constexpr u32 irq_line_irq = 1, irq_line_fiq = 2;

// A PSCI CPU_ON posted by another vCPU, applied by this vCPU before it next runs.
struct PowerOn {
	bool pending;
	bool big_endian;
	u64 entry, context;
};

struct ArchVcpu {
	GuestCpu cpu;
	bool initialised; // a KVM_ARM_VCPU_INIT succeeded
	u32 features;	  // KVM_ARM_VCPU_* feature bits of that init
	u32 mp_state;	  // KVM_MP_STATE_*: written under the VM's power_lock
	PowerOn power_on; // under the VM's power_lock
	u64 emul[nr_emul_sysregs];
	u64 clidr; // CLIDR_EL1 (id_regs.cpp): set by the first init, kept by resets
	// CCSIDR_EL1 per CSSELR_EL1 value (id_regs.cpp), once the VMM set one differing from
	// the fabricated value (ccsidr_own); kept by resets, as upstream.
	bool ccsidr_own;
	u32 ccsidr[14];
	FirmwareRegs fw;
	MmioPending mmio;
	u64 exit_esr; // ESR_EL2 of the latest synchronous exit (AArch32: instruction length)
	u64 exit_far; // FAR_EL2 of that exit (an external abort the VMM injects reports it)
	// In a WFIT (exits.cpp): it also ends when the virtual count reaches wfit_count.
	bool in_wfit;
	u64 wfit_count;
	u32 irq_lines;	 // atomic: irq_line_* from KVM_IRQ_LINE
	int running_cpu; // atomic: the CPU while in the guest section, else -1
	PageCache cache; // stage-2 table pages for this vCPU's faults
	bool debug_live; // the guest wrote a debug register: switch them in hardware
	u32 guest_debug; // KVM_SET_GUEST_DEBUG control flags of the VMM
	PvTime pvtime;
	PmuVcpu pmu;	      // KVM_ARM_VCPU_PMU_V3 (pmu.cpp)
	VgicCpu *vgic_cpu;    // its part of the VM's vGIC, or nullptr
	bool vgic_ready;      // vgic_kvm_first_run passed
	u32 vgic_kicked;      // atomic: an interrupt was queued since the last flush
	u32 vgic_timer_lines; // the timers' lines the vGIC has (vgic/kvm.cpp), ~0: unknown
	u32 vgic_nr_acked;    // level SPIs the guest completed in the last run
	u32 vgic_acked[vgic_max_lrs];
	// Syncs the EL1 context when the thread leaves its CPU (run.cpp), or nullptr: then
	// the world switch saves it at every exit.
	kvmx_sched_hook *sched_hook;
};

// The vCPU's sched-out hook (hyp/run.cpp): nullptr where the host has none.
kvmx_sched_hook *arch_vcpu_sched_hook_create(Vcpu *vcpu);

} // namespace kvmx
