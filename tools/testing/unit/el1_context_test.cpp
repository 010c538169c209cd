// SPDX-License-Identifier: GPL-2.0
// The guest's EL1 context stays in the CPU's registers between exits the kernel handles
// (arch/arm64/kvm/hyp/run.cpp, switch.hpp arm64_el1_sync): loaded once, saved when the
// thread is scheduled out, when KVM_RUN returns, or when a handler needs it. The fake
// world switch keeps the registers in its own "hardware" and poisons the vCPU's copies
// while they are live, so a handler that forgot to sync reads garbage.
#include "fake_arch.hpp"
#include "vcpu_fixture.hpp"

namespace {

using El1Context = Vcpus;
using fake_arch::esr;
using kvmx::GuestCpu;

constexpr u64 REG_TPIDR_EL1 = sys_reg(3, 0, 13, 0, 4);

TEST_F(El1Context, stays_in_the_registers_across_exits_the_kernel_handles)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	constexpr u64 vbar = 0x40010000;
	ASSERT_EQ(0, set_reg64(fd, REG_VBAR_EL1, vbar));
	fake_arch::push([](GuestCpu &c) { c.sys.r[kvmx::TPIDR_EL1] = 0x1234; },
			fake_arch::irq_exit());
	fake_arch::push(
		[=](GuestCpu &c) {
			EXPECT_EQ(0x1234u, c.sys.r[kvmx::TPIDR_EL1]);
			EXPECT_EQ(vbar, c.sys.r[kvmx::VBAR_EL1]);
		},
		fake_arch::irq_exit());
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(3, fake_arch::world_switches());
	EXPECT_EQ(1, fake_arch::el1_loads()) << "loaded once, kept over two host interrupts";
	// KVM_RUN returned: the context is back in memory, the hook no longer entered.
	EXPECT_FALSE(cpu(fd).el1_live);
	EXPECT_FALSE(fake_host::sched_hook_entered());
	EXPECT_EQ(0x1234u, reg(fd, REG_TPIDR_EL1));
	EXPECT_EQ(vbar, reg(fd, REG_VBAR_EL1));
	EXPECT_EQ(0, fake_host::misuse());
}

// A stage-2 fault that sleeps in get_user_page schedules the thread out: the hook saves
// the context, and the next run loads it again.
void sleep_in_fault(kvmx_uptr, void *)
{
	fake_host::sched_out();
}

TEST_F(El1Context, a_thread_scheduled_out_saves_it_and_the_next_run_loads_it)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	fake_host::on_get_user_page(sleep_in_fault, nullptr);
	fake_arch::push([](GuestCpu &c) { c.sys.r[kvmx::TPIDR_EL1] = 0x77; },
			fake_arch::dabt_exit(ram_ipa, false, 3, 1));
	fake_arch::push(
		[](GuestCpu &c) {
			EXPECT_EQ(0x77u, c.sys.r[kvmx::TPIDR_EL1]);
			fake_host::on_get_user_page(nullptr, nullptr);
		},
		fake_arch::irq_exit());
	ASSERT_TRUE(run_script(fd));
	EXPECT_GE(fake_host::sched_outs(), 1);
	EXPECT_EQ(2, fake_arch::el1_loads()) << "saved at the sched-out, loaded at the next run";
	EXPECT_EQ(0x77u, reg(fd, REG_TPIDR_EL1));
	EXPECT_EQ(0, fake_host::misuse());
}

// An exception injected after an exit reads and writes the live context: VBAR_EL1 the
// guest wrote itself (never in memory before), ELR_EL1/SPSR_EL1/ESR_EL1 set for the guest.
TEST_F(El1Context, an_injected_exception_uses_the_vbar_the_guest_wrote_in_the_registers)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	constexpr u64 vbar = 0x40020000, pc = ram_ipa + 0x40;
	ASSERT_EQ(0, set_reg64(fd, REG_PC, pc));
	ASSERT_EQ(0, set_reg64(fd, REG_PSTATE, PSR_MODE_EL1h));
	fake_arch::push([](GuestCpu &c) { c.sys.r[kvmx::VBAR_EL1] = vbar; },
			fake_arch::sync_exit(esr(fake_arch::EC_ILLEGAL_STATE, 0)));
	fake_arch::push(
		[=](GuestCpu &c) {
			EXPECT_EQ(vbar + 0x200, c.pc);
			EXPECT_EQ(pc, c.sys.r[kvmx::ELR_EL1]);
			EXPECT_EQ(static_cast<u64>(PSR_MODE_EL1h), c.sys.r[kvmx::SPSR_EL1]);
			EXPECT_EQ(0u, c.sys.r[kvmx::ESR_EL1] >> 26);
		},
		fake_arch::irq_exit());
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(vbar + 0x200, reg(fd, REG_PC));
	EXPECT_EQ(pc, reg(fd, REG_ELR_EL1));
	EXPECT_EQ(vbar, reg(fd, REG_VBAR_EL1));
}

// Without a sched-out hook (a host with no preempt notifiers) nothing stays live: every
// exit saves the context, every run loads it.
TEST_F(El1Context, without_a_sched_out_hook_every_exit_saves_it)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	kvmx::ArchVcpu &a = vcpu(fd)->arch;
	kvmx_host_sched_hook_destroy(a.sched_hook);
	a.sched_hook = nullptr;
	fake_arch::push([](GuestCpu &c) { c.sys.r[kvmx::TPIDR_EL1] = 9; }, fake_arch::irq_exit());
	fake_arch::push([](GuestCpu &c) { EXPECT_EQ(9u, c.sys.r[kvmx::TPIDR_EL1]); },
			fake_arch::irq_exit());
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(3, fake_arch::el1_loads());
	EXPECT_FALSE(cpu(fd).el1_defer);
	EXPECT_EQ(9u, reg(fd, REG_TPIDR_EL1));
}

} // namespace
