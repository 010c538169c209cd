// SPDX-License-Identifier: GPL-2.0
// World-switch self-test: run a two-instruction guest through the real entry path and
// check what comes back. Exercised by `insmod kvmx.ko selftest=1` (the module test
// suite); proves the entry/exit contract on the CPU kvmx is loaded on.
#include "../stage2.hpp"
#include "switch.hpp"
#include "registry.hpp"
#include "sysreg.hpp"
#include <kvmx/core.h>

namespace kvmx {

namespace {

constexpr u32 esr_ec_shift = 26, esr_ec_hvc64 = 0x16, esr_ec_dabt_low = 0x24;
constexpr u64 pstate_el1h_daif = 0x3c5;	    // EL1h, D, A, I, F masked
constexpr u64 sctlr_el1_reset = 0x30d00980; // RES1 bits, MMU and caches off
constexpr u64 guest_code_ipa = 0x80000000;
constexpr u64 unmapped_ipa = 0x90000000;

// Make instructions written through the host's mapping visible to guest fetches.
void sync_icache(const void *page)
{
	for (const char *p = static_cast<const char *>(page);
	     p < static_cast<const char *>(page) + 4096; p += 64)
		asm volatile("dc cvau, %0\n\tic ivau, %0" ::"r"(p) : "memory");
	asm volatile("dsb ish\n\tisb" ::: "memory");
}

struct SelfTestRun {
	ExitInfo exit;
	GuestCpu cpu;
	u32 irq_exits; // host interrupts that ended a guest run early
};

// Run until the guest exits for its own reasons. A host interrupt ends a run through the
// IRQ vector; the host takes it when interrupts are unmasked again, then we re-enter.
void run_until_guest_exit(SelfTestRun &run, const Stage2Hw &hw)
{
	for (u32 tries = 0; tries < 1000; tries++) {
		unsigned long flags = kvmx_host_irq_save();
		run.exit = arm64_world_switch(run.cpu, hw);
		kvmx_host_irq_restore(flags);
		if (run.exit.code != KVMX_EXIT_IRQ)
			return;
		run.irq_exits++;
	}
}

void init_guest(GuestCpu &cpu)
{
	cpu.pc = guest_code_ipa;
	cpu.pstate = pstate_el1h_daif;
	cpu.sys.r[SCTLR_EL1] = sctlr_el1_reset;
	cpu.hcr = arm64_guest_hcr();
	cpu.vmpidr = 1ULL << 31;
	cpu.vpidr = kvmx_read_sysreg(midr_el1);
	cpu.frame.x[2] = unmapped_ipa;
}

Status arm64_world_switch_selftest(u64 id_aa64mmfr0)
{
	// x0 = 42; hvc #0; ldr x1, [x2] (x2 = an unmapped IPA)
	static const u32 code[] = { 0xd2800540, 0xd4000002, 0xf9400041 };
	Result<Stage2 *> s2 = Stage2::create(40);
	if (!s2.is_ok())
		return Status::error(s2.err());
	u32 *page = static_cast<u32 *>(kvmx_host_alloc_page());
	if (!page) {
		Stage2::destroy(s2.value());
		return Status::error(-ENOMEM);
	}
	for (u32 i = 0; i < sizeof(code) / sizeof(code[0]); i++)
		page[i] = code[i];
	sync_icache(page);
	Status st = s2.value()->map_page(guest_code_ipa, kvmx_host_virt_to_phys(page),
					 stage2_read | stage2_exec);

	SelfTestRun run = {};
	// VMID 1; the first entry flushes whatever an earlier VM with that VMID left behind.
	Stage2Hw hw = { 1ULL << 48 | s2.value()->root_pa(), s2.value()->vtcr(id_aa64mmfr0 & 0xf),
			true };
	if (st.is_ok()) {
		init_guest(run.cpu);
		run_until_guest_exit(run, hw);
	}
	u32 ec = run.exit.esr >> esr_ec_shift;
	if (st.is_ok() && !(run.exit.code == KVMX_EXIT_SYNC && ec == esr_ec_hvc64 &&
			    run.cpu.frame.x[0] == 42 && run.cpu.pc == guest_code_ipa + 8)) {
		kvmx_host_log(KVMX_LOG_ERR,
			      "kvmx: self-test: hvc exit code %u esr %#llx x0 %llu pc %#llx\n",
			      run.exit.code, run.exit.esr, run.cpu.frame.x[0], run.cpu.pc);
		st = Status::error(-EIO);
	}
	if (st.is_ok()) {
		// Resume after the hvc: the load from an unmapped IPA must fault to us.
		hw.flush_tlb = false;
		run_until_guest_exit(run, hw);
		ec = run.exit.esr >> esr_ec_shift;
		u64 fault_ipa = (run.exit.hpfar >> 4) << 12 | (run.exit.far & 0xfff);
		if (!(run.exit.code == KVMX_EXIT_SYNC && ec == esr_ec_dabt_low &&
		      fault_ipa == unmapped_ipa && run.cpu.pc == guest_code_ipa + 8)) {
			kvmx_host_log(
				KVMX_LOG_ERR,
				"kvmx: self-test: dabt exit code %u esr %#llx ipa %#llx pc %#llx\n",
				run.exit.code, run.exit.esr, fault_ipa, run.cpu.pc);
			st = Status::error(-EIO);
		}
	}
	if (st.is_ok())
		kvmx_host_log(
			KVMX_LOG_INFO,
			"kvmx: world switch self-test passed (hvc and stage-2 fault exits; %u host interrupts ended a guest run)\n",
			run.irq_exits);
	kvmx_host_free_page(page);
	Stage2::destroy(s2.value());
	return st;
}

} // namespace

} // namespace kvmx

extern "C" int kvmx_arch_selftest(void)
{
	return kvmx::arm64_world_switch_selftest(kvmx::registry().host.arm64_id_aa64mmfr0).err();
}
