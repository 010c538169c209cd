// SPDX-License-Identifier: GPL-2.0
// The fake EL2 layer for the unit build: implements hyp/switch.hpp's arm64_world_switch,
// TLB and cache maintenance and counter without touching hardware. It must not decide
// what an exit means: it only replays what the test scripted.
#include "fake_arch.hpp"
#include "fake_host.hpp"

#include <deque>
#include <gtest/gtest.h>

namespace fake_arch {
namespace {

constexpr int max_overruns = 1000;
std::deque<GuestRun> script;
int overruns;
int switches;
GuestCpu entry_cpu;
Stage2Hw entry_s2;
std::vector<bool> flushes_at_entry;
std::vector<u64> hcr_at_entry;
int tlb_flush_count;
u64 flushed_vttbr;
int icache_count;
const void *icache_va;
u64 counter;
u64 counter_freq = 62500000;
// The fake CPU's EL1 context registers: what the guest runs on. Loaded from a GuestCpu
// whose context is not live, left there after the exit (el1_defer), saved back by
// arm64_el1_sync. While live, the GuestCpu's copies read as a poison pattern, so that
// code reading them without a sync sees garbage.
u64 hw_el1[kvmx::nr_el1_context];
int el1_load_count;
constexpr u64 el1_poison = 0xdeadbeefdeadbeefULL;

// A wait that timed out in the fake host took that long: the counter moves on with it
// (rounded up to whole ticks, so a deadline computed from the counter has passed).
void advance_counter(kvmx_u64 ns)
{
	unsigned __int128 ticks = static_cast<unsigned __int128>(ns) * counter_freq;
	counter += static_cast<u64>((ticks + 999999999) / 1000000000);
}

} // namespace

void reset()
{
	fake_host::on_wait_timeout(advance_counter);
	script.clear();
	overruns = 0;
	switches = 0;
	entry_cpu = GuestCpu{};
	entry_s2 = Stage2Hw{};
	flushes_at_entry.clear();
	hcr_at_entry.clear();
	tlb_flush_count = 0;
	flushed_vttbr = 0;
	icache_count = 0;
	icache_va = nullptr;
	counter = 0;
	counter_freq = 62500000;
	for (u64 &r : hw_el1)
		r = 0;
	el1_load_count = 0;
}

void push(std::function<void(GuestCpu &)> guest, const ExitInfo &exit)
{
	script.push_back(GuestRun{ std::move(guest), exit });
}

void push(const ExitInfo &exit)
{
	push(nullptr, exit);
}

int runs_left()
{
	return static_cast<int>(script.size());
}
int script_overruns()
{
	return overruns;
}
int world_switches()
{
	return switches;
}
const GuestCpu &last_entry_cpu()
{
	return entry_cpu;
}
const Stage2Hw &last_stage2()
{
	return entry_s2;
}
const std::vector<bool> &entry_flushes()
{
	return flushes_at_entry;
}
const std::vector<u64> &entry_hcrs()
{
	return hcr_at_entry;
}
int tlb_flushes()
{
	return tlb_flush_count;
}
u64 last_flushed_vttbr()
{
	return flushed_vttbr;
}
int icache_syncs()
{
	return icache_count;
}
const void *last_icache_sync()
{
	return icache_va;
}
int el1_loads()
{
	return el1_load_count;
}
void set_counter(u64 value)
{
	counter = value;
}
void set_counter_freq(u64 hz)
{
	counter_freq = hz;
}

ExitInfo sync_exit(u64 esr, u64 far, u64 ipa)
{
	// HPFAR_EL2.FIPA [43:4] = IPA [51:12].
	return ExitInfo{ KVMX_EXIT_SYNC, esr, far, (ipa >> 12) << 4 };
}

ExitInfo irq_exit()
{
	return ExitInfo{ KVMX_EXIT_IRQ, 0, 0, 0 };
}

ExitInfo hvc_exit()
{
	return sync_exit(esr(EC_HVC64, 0));
}

ExitInfo dabt_exit(u64 ipa, bool write, u32 sas, u32 rt, bool sse, bool sf)
{
	constexpr u64 ISV = 1ULL << 24, SSE = 1ULL << 21, SF = 1ULL << 15, WNR = 1ULL << 6;
	constexpr u64 FSC_TRANSLATION_L3 = 0x07;
	u64 iss = ISV | static_cast<u64>(sas & 3) << 22 | (sse ? SSE : 0) |
		  static_cast<u64>(rt & 31) << 16 | (sf ? SF : 0) | (write ? WNR : 0) |
		  FSC_TRANSLATION_L3;
	// FAR_EL2 holds the guest's virtual address; the page offset is what counts here.
	return sync_exit(esr(EC_DABT_LOW, iss), 0xffff000000000000ULL | ipa, ipa);
}

ExitInfo iabt_exit(u64 ipa, bool s1ptw_perm)
{
	constexpr u64 S1PTW = 1ULL << 7, FSC_TRANSLATION_L3 = 0x07, FSC_PERMISSION_L3 = 0x0f;
	u64 iss = s1ptw_perm ? S1PTW | FSC_PERMISSION_L3 : FSC_TRANSLATION_L3;
	return sync_exit(esr(EC_IABT_LOW, iss), 0xffff000000000000ULL | ipa, ipa);
}

ExitInfo sysreg_exit(u32 op0, u32 op1, u32 crn, u32 crm, u32 op2, u32 rt, bool read)
{
	// ISS for EC 0x18: Op0 [21:20], Op2 [19:17], Op1 [16:14], CRn [13:10], Rt [9:5],
	// CRm [4:1], Direction [0] (1 = read).
	u64 iss = static_cast<u64>(op0) << 20 | static_cast<u64>(op2) << 17 |
		  static_cast<u64>(op1) << 14 | static_cast<u64>(crn) << 10 |
		  static_cast<u64>(rt) << 5 | static_cast<u64>(crm) << 1 | (read ? 1 : 0);
	return sync_exit(esr(EC_SYS64, iss));
}

} // namespace fake_arch

namespace kvmx {

namespace {

// The exit: the guest's EL1 context stays in the fake hardware (its memory copies
// poisoned) when the vCPU defers it, else it is saved at once, as the world switch does.
ExitInfo leave_guest(GuestCpu &cpu, const ExitInfo &exit)
{
	using namespace fake_arch;
	for (u32 i = 0; i < nr_el1_context; i++) {
		hw_el1[i] = cpu.sys.r[i];
		cpu.sys.r[i] = el1_poison;
	}
	if (!cpu.el1_defer)
		arm64_el1_sync(cpu);
	return exit;
}

} // namespace

ExitInfo arm64_world_switch(GuestCpu &cpu, const Stage2Hw &s2)
{
	using namespace fake_arch;
	switches++;
	if (!cpu.el1_live) {
		for (u32 i = 0; i < nr_el1_context; i++)
			hw_el1[i] = cpu.sys.r[i];
		el1_load_count++;
	}
	// The guest (and the test's view of the entry) sees the hardware's registers.
	for (u32 i = 0; i < nr_el1_context; i++)
		cpu.sys.r[i] = hw_el1[i];
	cpu.el1_live = true;
	entry_cpu = cpu;
	entry_s2 = s2;
	flushes_at_entry.push_back(s2.flush_tlb);
	hcr_at_entry.push_back(cpu.hcr);
	if (script.empty()) {
		// A run loop that keeps re-entering with a signal pending would spin forever:
		// give up with an exit every handler must return to userspace for.
		if (++overruns > max_overruns) {
			ADD_FAILURE() << "KVM_RUN re-entered the guest " << max_overruns
				      << " times with a signal pending";
			return leave_guest(cpu,
					   ExitInfo{ KVMX_EXIT_SYNC | KVMX_EXIT_AARCH32, 0, 0, 0 });
		}
		fake_host::set_signal_pending(true);
		return leave_guest(cpu, irq_exit());
	}
	GuestRun run = std::move(script.front());
	script.pop_front();
	if (run.guest)
		run.guest(cpu);
	return leave_guest(cpu, run.exit);
}

void arm64_el1_sync(GuestCpu &cpu)
{
	if (!cpu.el1_live)
		return;
	for (u32 i = 0; i < nr_el1_context; i++)
		cpu.sys.r[i] = fake_arch::hw_el1[i];
	cpu.el1_live = false;
}

void arm64_tlb_flush_vmid(u64 vttbr)
{
	fake_arch::tlb_flush_count++;
	fake_arch::flushed_vttbr = vttbr;
}

void arm64_sync_icache(const void *va, u64 size)
{
	fake_arch::icache_count++;
	fake_arch::icache_va = va;
}

u64 arm64_counter()
{
	return fake_arch::counter;
}

u64 arm64_counter_freq()
{
	return fake_arch::counter_freq;
}

} // namespace kvmx
