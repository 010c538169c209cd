// SPDX-License-Identifier: GPL-2.0
// Test control over the fake EL2 layer (fake_arch.cpp), which stands in for
// arch/arm64/kvm/hyp/ in the unit build: the world switch plays a script of guest exits,
// TLB maintenance and instruction-cache syncs are counted, the counter is settable.
#pragma once

#include "hyp/switch.hpp"
#include <functional>
#include <vector>

namespace fake_arch {

using kvmx::ExitInfo;
using kvmx::GuestCpu;
using kvmx::Stage2Hw;
using kvmx::u32;
using kvmx::u64;

// What the guest does in one world switch: first @guest runs on the registers the switch
// would load (to emulate the guest computing, e.g. putting arguments in x0-x3), then the
// switch "exits" with @exit.
struct GuestRun {
	std::function<void(GuestCpu &)> guest;
	ExitInfo exit;
};

// Clear the script and every count; counter 0, frequency 62.5 MHz (QEMU's). Call after
// fake_host::reset(): the counter advances by the time of every fake_host wait that
// times out, as the physical counter would while the vCPU slept.
void reset();

// Append a guest run to the script. When the script is exhausted, the world switch
// returns a host-IRQ exit and makes a signal pending, so that KVM_RUN ends with -EINTR
// instead of re-entering forever; script_overruns() counts those.
void push(std::function<void(GuestCpu &)> guest, const ExitInfo &exit);
void push(const ExitInfo &exit);
int runs_left();
int script_overruns();

// World switches done, and the state the last one received.
int world_switches();
const GuestCpu &last_entry_cpu();
const Stage2Hw &last_stage2();
// Stage2Hw.flush_tlb of every world switch, in order.
const std::vector<bool> &entry_flushes();
// HCR_EL2 of every world switch, in order.
const std::vector<u64> &entry_hcrs();

// arm64_tlb_flush_vmid calls and the VTTBR of the last one.
int tlb_flushes();
u64 last_flushed_vttbr();
// arm64_sync_icache calls and the address of the last one.
int icache_syncs();
const void *last_icache_sync();
// World switches that loaded the EL1 context into the (fake) hardware: the first run
// after a sync; runs that found it live there do not.
int el1_loads();

void set_counter(u64 value);
void set_counter_freq(u64 hz);

// ESR_EL2 values (ARM ARM D17.2.37) for building exits.
constexpr u64 ESR_IL = 1ULL << 25;
constexpr u64 esr(u64 ec, u64 iss)
{
	return ec << 26 | ESR_IL | iss;
}
constexpr u64 EC_UNKNOWN = 0x00, EC_WFX = 0x01, EC_FP_ASIMD = 0x07, EC_ILLEGAL_STATE = 0x0e;
constexpr u64 EC_HVC64 = 0x16;
constexpr u64 EC_SMC64 = 0x17, EC_SYS64 = 0x18, EC_SVE = 0x19, EC_IABT_LOW = 0x20;
constexpr u64 EC_DABT_LOW = 0x24, EC_BRK = 0x3c;

// A synchronous exit with ESR_EL2 @esr, FAR_EL2 @far and HPFAR_EL2 from @ipa.
ExitInfo sync_exit(u64 esr, u64 far = 0, u64 ipa = 0);
ExitInfo irq_exit();
ExitInfo hvc_exit();
// A data abort on @ipa (stage-2 translation fault, level 3) with a valid syndrome:
// access size 1 << @sas bytes, register @rt, write if @write, sign-extending if @sse,
// 64-bit destination if @sf.
ExitInfo dabt_exit(u64 ipa, bool write, u32 sas = 3, u32 rt = 0, bool sse = false, bool sf = true);
// An instruction abort on @ipa: translation fault, or permission fault with S1PTW if
// @s1ptw_perm.
ExitInfo iabt_exit(u64 ipa, bool s1ptw_perm = false);
// A trapped MRS (read) or MSR of op0:op1:CRn:CRm:op2 with register @rt.
ExitInfo sysreg_exit(u32 op0, u32 op1, u32 crn, u32 crm, u32 op2, u32 rt, bool read);

} // namespace fake_arch
