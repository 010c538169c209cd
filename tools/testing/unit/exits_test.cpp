// SPDX-License-Identifier: GPL-2.0
// KVM_RUN and the arm64 exit table (virt/kvmx/core/vcpu.cpp, arch/arm64/kvm/hyp/run.cpp,
// exits.cpp, inject.cpp) driven by the fake world switch: MMIO exits and their
// completion, UNDEF injection, signals and immediate_exit, host interrupts, WFI/WFE,
// lazy FP/SIMD switching and the userspace interrupt lines.
#include "vcpu_fixture.hpp"

namespace {

using Exits = Vcpus;
using fake_arch::esr;

TEST_F(Exits, mmio_write_exits_to_userspace_with_the_register_bytes)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, REG_PC, ram_ipa));
	fake_arch::push([](kvmx::GuestCpu &c) { c.frame.x[3] = 0x1122334455667788ULL; },
			fake_arch::dabt_exit(mmio_ipa + 0x10, true, 2, 3)); // STR W3, [mmio + 0x10]
	ASSERT_EQ(0, run(fd));
	kvm_run *r = run_page(fd);
	EXPECT_EQ(static_cast<u32>(KVM_EXIT_MMIO), r->exit_reason);
	EXPECT_EQ(mmio_ipa + 0x10, r->mmio.phys_addr);
	EXPECT_EQ(4u, r->mmio.len);
	EXPECT_EQ(1, r->mmio.is_write);
	const unsigned char want[8] = { 0x88, 0x77, 0x66, 0x55, 0, 0, 0, 0 };
	EXPECT_EQ(0, memcmp(want, r->mmio.data, 8));
	EXPECT_EQ(ram_ipa, reg(fd, REG_PC)) << "PC moves only when the access completes";
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(ram_ipa + 4, reg(fd, REG_PC));
	EXPECT_EQ(1u, vcpu(fd)->stats.mmio_exit_user);
}

TEST_F(Exits, mmio_write_of_xzr_sends_zeros)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	fake_arch::push(fake_arch::dabt_exit(mmio_ipa, true, 3, 31));
	ASSERT_EQ(0, run(fd));
	const unsigned char zeros[8] = {};
	EXPECT_EQ(0, memcmp(zeros, run_page(fd)->mmio.data, 8));
	EXPECT_EQ(8u, run_page(fd)->mmio.len);
}

struct MmioRead {
	u32 sas;	  // log2 of the access size
	bool sse, sf;	  // ESR_EL2.ISS sign extension, 64-bit register
	u64 data;	  // little-endian bytes userspace returns
	u64 expect;	  // the destination register afterwards
	const char *insn; // the access, as the test's name
};

class MmioReads : public Vcpus, public ::testing::WithParamInterface<MmioRead> {};

TEST_P(MmioReads, read_data_lands_in_rt_extended_and_pc_advances_on_the_next_run)
{
	const MmioRead &c = GetParam();
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, REG_PC, ram_ipa + 0x100));
	ASSERT_EQ(0, set_reg64(fd, reg_x(9), 0xdeaddeaddeaddeadULL));
	fake_arch::push(fake_arch::dabt_exit(mmio_ipa + 8, false, c.sas, 9, c.sse, c.sf));
	ASSERT_EQ(0, run(fd));
	kvm_run *r = run_page(fd);
	ASSERT_EQ(static_cast<u32>(KVM_EXIT_MMIO), r->exit_reason);
	EXPECT_EQ(0, r->mmio.is_write);
	EXPECT_EQ(1u << c.sas, r->mmio.len);
	memcpy(r->mmio.data, &c.data, 8);
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(c.expect, reg(fd, reg_x(9))) << c.insn;
	EXPECT_EQ(ram_ipa + 0x104, reg(fd, REG_PC));
}

INSTANTIATE_TEST_SUITE_P(
	Sizes, MmioReads,
	::testing::Values(
		MmioRead{ 0, false, false, 0xff, 0xff, "ldrb_w9" },
		MmioRead{ 0, true, true, 0x80, 0xffffffffffffff80ULL, "ldrsb_x9" },
		MmioRead{ 0, true, true, 0x7f, 0x7f, "ldrsb_x9_positive" },
		MmioRead{ 0, true, false, 0x80, 0xffffff80ULL, "ldrsb_w9" },
		MmioRead{ 1, true, true, 0x8001, 0xffffffffffff8001ULL, "ldrsh_x9" },
		MmioRead{ 1, true, false, 0x8001, 0xffff8001ULL, "ldrsh_w9" },
		MmioRead{ 1, false, false, 0xfedcba98, 0xba98, "ldrh_w9_ignores_extra_bytes" },
		MmioRead{ 2, true, true, 0x80000000, 0xffffffff80000000ULL, "ldrsw_x9" },
		MmioRead{ 2, false, false, 0x1122334455667788ULL, 0x55667788, "ldr_w9" },
		MmioRead{ 3, false, true, 0x8877665544332211ULL, 0x8877665544332211ULL, "ldr_x9" }),
	[](const ::testing::TestParamInfo<MmioRead> &info) {
		return std::string(info.param.insn);
	});

TEST_F(Exits, mmio_read_into_xzr_only_advances_pc)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	fake_arch::push(fake_arch::dabt_exit(mmio_ipa, false, 3, 31));
	ASSERT_EQ(0, run(fd));
	memset(run_page(fd)->mmio.data, 0xff, 8);
	ASSERT_TRUE(run_script(fd));
	for (unsigned int n = 0; n < 31; n++)
		EXPECT_EQ(0u, cpu(fd).frame.x[n]) << n;
	EXPECT_EQ(4u, reg(fd, REG_PC));
}

TEST_F(Exits, mmio_read_completes_even_with_immediate_exit)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	fake_arch::push(fake_arch::dabt_exit(mmio_ipa, false, 2, 1));
	ASSERT_EQ(0, run(fd));
	kvm_run *r = run_page(fd);
	r->mmio.data[0] = 0x42;
	r->immediate_exit = 1;
	EXPECT_EQ(-EINTR, run(fd));
	EXPECT_EQ(static_cast<u32>(KVM_EXIT_MMIO), r->exit_reason) << "left as it was, as upstream";
	EXPECT_EQ(0x42u, reg(fd, reg_x(1)));
	EXPECT_EQ(4u, reg(fd, REG_PC));
	EXPECT_EQ(1, fake_arch::world_switches()) << "no guest entry after immediate_exit";
	// The access is finished once: the next run does not move PC again.
	r->immediate_exit = 0;
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(4u, reg(fd, REG_PC));
}

TEST_F(Exits, mmio_without_a_valid_syndrome_fails_kvm_run_with_enosys)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	constexpr u64 FSC_TRANSLATION_L3 = 0x07;
	fake_arch::push(fake_arch::sync_exit(esr(fake_arch::EC_DABT_LOW, FSC_TRANSLATION_L3),
					     mmio_ipa, mmio_ipa));
	EXPECT_EQ(-ENOSYS, run(fd));
	EXPECT_EQ(1, fake_host::guest_log_lines());
}

TEST_F(Exits, immediate_exit_returns_eintr_without_entering_the_guest)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	fake_arch::push(fake_arch::hvc_exit());
	run_page(fd)->immediate_exit = 1;
	run_page(fd)->exit_reason = KVM_EXIT_HLT;
	EXPECT_EQ(-EINTR, run(fd));
	EXPECT_EQ(static_cast<u32>(KVM_EXIT_HLT), run_page(fd)->exit_reason) << "left alone";
	EXPECT_EQ(0, fake_arch::world_switches());
	EXPECT_EQ(1u, vcpu(fd)->stats.signal_exits);
}

TEST_F(Exits, pending_signal_returns_eintr_with_exit_intr_before_entering)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	fake_arch::push(fake_arch::hvc_exit());
	fake_host::set_signal_pending(true);
	EXPECT_EQ(-EINTR, run(fd));
	EXPECT_EQ(static_cast<u32>(KVM_EXIT_INTR), run_page(fd)->exit_reason);
	EXPECT_EQ(0, fake_arch::world_switches());
	EXPECT_EQ(1, fake_arch::runs_left());
}

TEST_F(Exits, host_interrupts_resume_the_guest_until_a_signal)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	for (int i = 0; i < 3; i++)
		fake_arch::push(fake_arch::irq_exit());
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(4, fake_arch::world_switches());
	EXPECT_EQ(4u, vcpu(fd)->stats.irq_exits); // three scripted, one at the end
	EXPECT_GE(fake_host::resched_calls(), 4);
}

TEST_F(Exits, unknown_exception_class_injects_undef_at_the_el1h_vector)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	constexpr u64 vbar = 0x40010000, pc = ram_ipa + 0x24;
	ASSERT_EQ(0, set_reg64(fd, REG_VBAR_EL1, vbar));
	ASSERT_EQ(0, set_reg64(fd, REG_PC, pc));
	ASSERT_EQ(0, set_reg64(fd, REG_PSTATE, PSR_MODE_EL1h));
	fake_arch::push(fake_arch::sync_exit(esr(fake_arch::EC_ILLEGAL_STATE, 0)));
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(vbar + 0x200, reg(fd, REG_PC));
	EXPECT_EQ(pc, reg(fd, REG_ELR_EL1));
	u64 esr_el1 = reg(fd, REG_ESR_EL1);
	EXPECT_EQ(0u, esr_el1 >> 26) << "EC 0: unknown reason";
	EXPECT_TRUE(esr_el1 & fake_arch::ESR_IL);
	EXPECT_EQ(static_cast<u64>(PSR_MODE_EL1h), reg(fd, REG_SPSR_EL1));
	u64 pstate = reg(fd, REG_PSTATE);
	EXPECT_EQ(static_cast<u64>(PSR_MODE_EL1h), pstate & PSR_MODE_MASK);
	EXPECT_EQ(static_cast<u64>(PSR_D_BIT | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT),
		  pstate & (PSR_D_BIT | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT));
	ASSERT_EQ(1, fake_host::guest_log_lines());
	EXPECT_NE(std::string::npos, fake_host::log_lines().back().find("EC 0xe "))
		<< fake_host::log_lines().back();
}

TEST_F(Exits, undef_from_el0_uses_the_lower_el_vector)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, REG_VBAR_EL1, 0x10000));
	ASSERT_EQ(0, set_reg64(fd, REG_PSTATE, PSR_MODE_EL0t));
	fake_arch::push(fake_arch::sync_exit(esr(fake_arch::EC_UNKNOWN, 0)));
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0x10400u, reg(fd, REG_PC));
	EXPECT_EQ(static_cast<u64>(PSR_MODE_EL0t), reg(fd, REG_SPSR_EL1));
}

TEST_F(Exits, undef_from_el1t_uses_the_sp_el0_vector)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, REG_VBAR_EL1, 0x10000));
	ASSERT_EQ(0, set_reg64(fd, REG_PSTATE, PSR_MODE_EL1t));
	fake_arch::push(fake_arch::sync_exit(esr(fake_arch::EC_UNKNOWN, 0)));
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0x10000u, reg(fd, REG_PC));
}

TEST_F(Exits, hidden_features_trap_to_a_silent_undef)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, REG_VBAR_EL1, 0x10000));
	fake_arch::push(fake_arch::sync_exit(esr(fake_arch::EC_SVE, 0)));
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0x10200u, reg(fd, REG_PC));
	EXPECT_EQ(0, fake_host::guest_log_lines());
}

TEST_F(Exits, serror_during_a_guest_run_is_pending_as_a_virtual_serror_at_the_next_entry)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	fake_arch::push(kvmx::ExitInfo{ KVMX_EXIT_SERROR, 0xbf000002, 0, 0 });
	ASSERT_TRUE(run_script(fd));
	const std::vector<u64> &hcr = fake_arch::entry_hcrs();
	ASSERT_EQ(2u, hcr.size());
	EXPECT_FALSE(hcr[0] & kvmx::HCR_VSE);
	EXPECT_TRUE(hcr[1] & kvmx::HCR_VSE);
	EXPECT_EQ(1, fake_host::guest_log_lines());
}

TEST_F(Exits, guest_runs_with_the_vm_stage2_and_trapping_hcr)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	fake_arch::push(fake_arch::irq_exit());
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(vm_->arch.vttbr, fake_arch::last_stage2().vttbr);
	EXPECT_EQ(vm_->arch.vtcr, fake_arch::last_stage2().vtcr);
	EXPECT_EQ(static_cast<u64>(vm_->arch.vmid), vm_->arch.vttbr >> 48);
	EXPECT_NE(0u, vm_->arch.vmid);
	const kvmx::GuestCpu &entered = fake_arch::last_entry_cpu();
	// The fake host has no FEAT_EVT: the cache registers trap with TID2 (id_regs_test).
	EXPECT_EQ(kvmx::arm64_guest_hcr() | kvmx::HCR_TID2, entered.hcr);
	EXPECT_EQ(host_id::midr, entered.vpidr);
	EXPECT_EQ(1ULL << 31, entered.vmpidr);
	EXPECT_EQ(-1, vcpu(fd)->arch.running_cpu) << "not in the guest any more";
}

TEST_F(Exits, tlb_is_flushed_when_another_vcpu_of_the_vm_ran_on_the_cpu)
{
	long a = ready_vcpu(0), b = ready_vcpu(1);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	fake_arch::push(fake_arch::irq_exit());
	ASSERT_TRUE(run_script(a)); // first run on CPU 0: flush, then not again
	ASSERT_TRUE(run_script(b)); // another vCPU on CPU 0: flush
	fake_host::set_cpu_id(1);
	ASSERT_TRUE(run_script(b)); // first run on CPU 1: flush
	ASSERT_TRUE(run_script(b)); // same vCPU on CPU 1 again: none
	EXPECT_EQ((std::vector<bool>{ true, false, true, true, false }),
		  fake_arch::entry_flushes());
}

TEST_F(Exits, first_fp_trap_makes_the_vcpu_own_fpsimd_from_then_on)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, REG_PC, ram_ipa));
	fake_arch::push(fake_arch::sync_exit(esr(fake_arch::EC_FP_ASIMD, 0)));
	fake_arch::push(fake_arch::irq_exit());
	ASSERT_TRUE(run_script(fd));
	EXPECT_TRUE(cpu(fd).fp_live);
	EXPECT_EQ(ram_ipa, reg(fd, REG_PC)) << "the FP instruction runs again";
	// Entries 2 and 3 (the script's end) ran with FP/SIMD owned.
	EXPECT_EQ(2, fake_host::fpsimd_sections());
	EXPECT_TRUE(fake_arch::last_entry_cpu().fp_live);
	// VCPU_INIT gives the registers back to the host.
	ASSERT_EQ(0, vcpu_init(fd, 1u << KVM_ARM_VCPU_PSCI_0_2));
	EXPECT_FALSE(cpu(fd).fp_live);
}

TEST_F(Exits, wfe_skips_the_instruction_and_yields)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	fake_arch::push(fake_arch::sync_exit(esr(fake_arch::EC_WFX, 1)));
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(4u, reg(fd, REG_PC));
	EXPECT_EQ(1u, vcpu(fd)->stats.wfe_exit_stat);
	EXPECT_EQ(0, fake_host::waits().waits);
}

TEST_F(Exits, wfi_without_a_timer_blocks_until_a_signal)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	fake_arch::push(fake_arch::sync_exit(esr(fake_arch::EC_WFX, 0)));
	ASSERT_TRUE(run_until_signal(fd));
	EXPECT_EQ(4u, reg(fd, REG_PC));
	EXPECT_EQ(1u, vcpu(fd)->stats.wfi_exit_stat);
	EXPECT_EQ(1, fake_host::waits().waits);
	EXPECT_EQ(KVMX_WAIT_FOREVER, fake_host::waits().last_timeout_ns);
	EXPECT_EQ(0u, vcpu(fd)->stats.halt_wakeup);
}

// FEAT_WFxT (ISS TI 2 WFIT, 3 WFET; RV and RN name the register with the timeout, a
// virtual count), as upstream's kvm_handle_wfx.
constexpr u64 wfxt_iss(u64 ti, u32 rn)
{
	return ti | 1ULL << 2 | static_cast<u64>(rn) << 5;
}

TEST_F(Exits, wfit_whose_count_has_passed_does_not_sleep)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	fake_arch::set_counter(5000);
	fake_arch::push([](kvmx::GuestCpu &c) { c.frame.x[3] = 5000; },
			fake_arch::sync_exit(esr(fake_arch::EC_WFX, wfxt_iss(2, 3))));
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(4u, reg(fd, REG_PC));
	EXPECT_EQ(1u, vcpu(fd)->stats.wfi_exit_stat);
	EXPECT_EQ(0, fake_host::waits().waits);
}

TEST_F(Exits, wfit_sleeps_until_its_count_at_the_latest)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	fake_arch::set_counter_freq(1000000); // 1 MHz: one tick per microsecond
	fake_arch::set_counter(5000);
	// The virtual count is the counter less the VM's offset: 1000 below it here.
	ASSERT_EQ(0, set_reg64(fd, KVM_REG_ARM_TIMER_CNT, 4000));
	fake_arch::push([](kvmx::GuestCpu &c) { c.frame.x[7] = 4000 + 300; },
			fake_arch::sync_exit(esr(fake_arch::EC_WFX, wfxt_iss(2, 7))));
	ASSERT_TRUE(run_script(fd)) << "the timeout ends the wait, the guest runs on";
	EXPECT_EQ(1, fake_host::waits().waits);
	EXPECT_EQ(300000u, fake_host::waits().last_timeout_ns);
	EXPECT_EQ(4u, reg(fd, REG_PC));
	EXPECT_FALSE(vcpu(fd)->arch.in_wfit);
	// An earlier timer deadline is the sleep's.
	ASSERT_EQ(0, set_reg64(fd, KVM_REG_ARM_TIMER_CTL, 1));
	ASSERT_EQ(0, set_reg64(fd, KVM_REG_ARM_TIMER_CVAL, reg(fd, KVM_REG_ARM_TIMER_CNT) + 50));
	fake_arch::push([](kvmx::GuestCpu &c) { c.frame.x[7] = ~0ULL; },
			fake_arch::sync_exit(esr(fake_arch::EC_WFX, wfxt_iss(2, 7))));
	EXPECT_EQ(-EINTR, run(fd)) << "the timer's line for the VMM";
	EXPECT_EQ(50000u, fake_host::waits().last_timeout_ns);
}

TEST_F(Exits, wfit_on_xzr_and_wfit_without_a_register_and_wfet)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	fake_arch::set_counter(5000);
	// XZR: count 0, long passed.
	fake_arch::push(fake_arch::sync_exit(esr(fake_arch::EC_WFX, wfxt_iss(2, 31))));
	// WFET: a yield, like WFE, whatever its count.
	fake_arch::push([](kvmx::GuestCpu &c) { c.frame.x[1] = ~0ULL; },
			fake_arch::sync_exit(esr(fake_arch::EC_WFX, wfxt_iss(3, 1))));
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(8u, reg(fd, REG_PC));
	EXPECT_EQ(0, fake_host::waits().waits);
	EXPECT_EQ(1u, vcpu(fd)->stats.wfe_exit_stat);
	// Without RV (no register to read the count from; QEMU's syndrome): it ends at
	// once, a spurious wake-up, and never sleeps past what the guest asked for.
	fake_arch::push(fake_arch::sync_exit(esr(fake_arch::EC_WFX, 2)));
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(12u, reg(fd, REG_PC));
	EXPECT_EQ(0, fake_host::waits().waits);
	EXPECT_EQ(2u, vcpu(fd)->stats.wfi_exit_stat);
}

// Without an in-kernel irqchip the timer's line goes to the VMM (KVM_CAP_ARM_USER_IRQ):
// a WFI sleeps until the line rises, then KVM_RUN returns -EINTR (KVM_EXIT_INTR) with
// the line in device_irq_level before the guest runs again, as upstream.
TEST_F(Exits, wfi_sleeps_until_the_timer_line_rises_and_the_vmm_hears_of_it)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	fake_arch::set_counter_freq(1000000); // 1 MHz: one tick per microsecond
	fake_arch::set_counter(5000);
	ASSERT_EQ(0, set_reg64(fd, KVM_REG_ARM_TIMER_CTL, 1)); // enabled, unmasked
	ASSERT_EQ(0, set_reg64(fd, KVM_REG_ARM_TIMER_CVAL, 5000 + 250));
	fake_arch::push(fake_arch::sync_exit(esr(fake_arch::EC_WFX, 0)));
	fake_arch::push(fake_arch::sync_exit(esr(fake_arch::EC_WFX, 0)));
	EXPECT_EQ(-EINTR, run(fd));
	EXPECT_EQ(KVM_EXIT_INTR, run_page(fd)->exit_reason);
	EXPECT_EQ(250000u, fake_host::waits().last_timeout_ns);
	EXPECT_EQ(-ETIME, fake_host::waits().last_result);
	EXPECT_EQ(1, fake_arch::runs_left()) << "the guest must not run before the VMM knows";
	EXPECT_EQ(KVM_ARM_DEV_EL1_VTIMER, run_page(fd)->s.regs.device_irq_level);
	// Known to the VMM now: the next WFI sleeps until the VMM raises a line (a signal
	// here), and the line stays reported.
	ASSERT_TRUE(run_until_signal(fd));
	EXPECT_EQ(KVMX_WAIT_FOREVER, fake_host::waits().last_timeout_ns);
	EXPECT_EQ(KVM_ARM_DEV_EL1_VTIMER, run_page(fd)->s.regs.device_irq_level);
}

TEST_F(Exits, an_expired_timer_is_reported_before_entry_and_a_masked_one_is_not)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	fake_arch::set_counter(5000);
	ASSERT_EQ(0, set_reg64(fd, KVM_REG_ARM_TIMER_CTL, 1));
	ASSERT_EQ(0, set_reg64(fd, KVM_REG_ARM_TIMER_CVAL, 4000));
	fake_arch::push(fake_arch::sync_exit(esr(fake_arch::EC_WFX, 0)));
	EXPECT_EQ(-EINTR, run(fd));
	EXPECT_EQ(KVM_EXIT_INTR, run_page(fd)->exit_reason);
	EXPECT_EQ(1, fake_arch::runs_left());
	EXPECT_EQ(KVM_ARM_DEV_EL1_VTIMER, run_page(fd)->s.regs.device_irq_level);
	EXPECT_EQ(0, fake_host::waits().waits);
	// Masked, the line falls: the VMM hears of that too, and a WFI then sleeps without
	// a deadline.
	ASSERT_EQ(0, set_reg64(fd, KVM_REG_ARM_TIMER_CTL, 3));
	EXPECT_EQ(-EINTR, run(fd));
	EXPECT_EQ(0u, run_page(fd)->s.regs.device_irq_level);
	ASSERT_TRUE(run_until_signal(fd));
	EXPECT_EQ(KVMX_WAIT_FOREVER, fake_host::waits().last_timeout_ns);
}

// The timer condition compares count and CVAL as unsigned numbers (ARM ARM D11.2.4): a
// CVAL at the counter's maximum never fires, and a count past half the range has reached
// a small CVAL, whatever their signed distance says (upstream's arch_timer_edge_cases).
TEST_F(Exits, the_timer_fires_when_the_count_reaches_cval_as_unsigned_numbers)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	fake_arch::set_counter(0x8000000000000010ULL);
	ASSERT_EQ(0, set_reg64(fd, KVM_REG_ARM_TIMER_CTL, 1));
	ASSERT_EQ(0, set_reg64(fd, KVM_REG_ARM_TIMER_CVAL, 5));
	fake_arch::push(fake_arch::sync_exit(esr(fake_arch::EC_WFX, 0)));
	EXPECT_EQ(-EINTR, run(fd)) << "reached: the VMM hears of the line before entry";
	EXPECT_EQ(KVM_ARM_DEV_EL1_VTIMER, run_page(fd)->s.regs.device_irq_level);
	fake_host::set_signal_pending(false);
	ASSERT_EQ(0, set_reg64(fd, KVM_REG_ARM_TIMER_CVAL, ~0ULL));
	EXPECT_EQ(-EINTR, run(fd)) << "the line fell";
	EXPECT_EQ(0u, run_page(fd)->s.regs.device_irq_level);
	fake_host::set_signal_pending(false);
	ASSERT_TRUE(run_until_signal(fd)) << "the WFI sleeps";
	EXPECT_EQ(KVMX_WAIT_FOREVER, fake_host::waits().last_timeout_ns);
}

TEST_F(Exits, the_timer_host_interrupt_is_masked_while_its_line_is_high)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	fake_arch::set_counter(5000);
	ASSERT_EQ(0, set_reg64(fd, KVM_REG_ARM_TIMER_CTL, 1));
	ASSERT_EQ(0, set_reg64(fd, KVM_REG_ARM_TIMER_CVAL, 9000));
	fake_arch::push(fake_arch::irq_exit());
	EXPECT_EQ(-EINTR, run(fd)) << "the script ends with a signal";
	fake_host::set_signal_pending(false);
	EXPECT_EQ(1, fake_host::vtimer_irq()) << "a low line may end the guest run";
	fake_arch::set_counter(9000);
	EXPECT_EQ(-EINTR, run(fd)); // reports the rising line
	EXPECT_EQ(KVM_ARM_DEV_EL1_VTIMER, run_page(fd)->s.regs.device_irq_level);
	fake_arch::push(fake_arch::irq_exit());
	EXPECT_EQ(-EINTR, run(fd));
	fake_host::set_signal_pending(false);
	EXPECT_EQ(0, fake_host::vtimer_irq()) << "a known high line must not end every entry";
	EXPECT_EQ(0, fake_host::misuse()) << fake_host::misuse_log().front();
}

TEST_F(Exits, irq_line_raises_hcr_vi_at_the_next_entry_and_wakes_wfi)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	kvm_irq_level irq = {};
	irq.irq = KVM_ARM_IRQ_TYPE_CPU << KVM_ARM_IRQ_TYPE_SHIFT | KVM_ARM_IRQ_CPU_IRQ;
	irq.level = 1;
	ASSERT_EQ(0, kvmx_vm_ioctl(vm_, KVM_IRQ_LINE, fake_host::uptr(&irq)));
	EXPECT_EQ(1, fake_host::waits().wakes);
	fake_arch::push(fake_arch::sync_exit(esr(fake_arch::EC_WFX, 0)));
	ASSERT_TRUE(run_script(fd));
	EXPECT_TRUE(fake_arch::last_entry_cpu().hcr & kvmx::HCR_VI);
	EXPECT_FALSE(fake_arch::last_entry_cpu().hcr & kvmx::HCR_VF);
	EXPECT_EQ(0, fake_host::waits().waits) << "WFI with an interrupt pending does not sleep";
	irq.level = 0;
	ASSERT_EQ(0, kvmx_vm_ioctl(vm_, KVM_IRQ_LINE, fake_host::uptr(&irq)));
	ASSERT_TRUE(run_script(fd));
	EXPECT_FALSE(fake_arch::last_entry_cpu().hcr & kvmx::HCR_VI);
}

TEST_F(Exits, irq_line_reaches_the_fiq_of_the_vcpu_by_index)
{
	long a = ready_vcpu(4), b = ready_vcpu(9);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	kvm_irq_level irq = {};
	irq.irq = KVM_ARM_IRQ_TYPE_CPU << KVM_ARM_IRQ_TYPE_SHIFT | 1 << KVM_ARM_IRQ_VCPU_SHIFT |
		  KVM_ARM_IRQ_CPU_FIQ;
	irq.level = 1;
	ASSERT_EQ(0, kvmx_vm_ioctl(vm_, KVM_IRQ_LINE, fake_host::uptr(&irq)));
	EXPECT_EQ(0u, vcpu(a)->arch.irq_lines);
	EXPECT_EQ(kvmx::irq_line_fiq, vcpu(b)->arch.irq_lines);
	irq.irq = KVM_ARM_IRQ_TYPE_CPU << KVM_ARM_IRQ_TYPE_SHIFT | 2 << KVM_ARM_IRQ_VCPU_SHIFT;
	EXPECT_EQ(-EINVAL, kvmx_vm_ioctl(vm_, KVM_IRQ_LINE, fake_host::uptr(&irq)));
	irq.irq = KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT | 40;
	EXPECT_EQ(-ENXIO, kvmx_vm_ioctl(vm_, KVM_IRQ_LINE, fake_host::uptr(&irq)));
}

TEST_F(Exits, kicking_a_vcpu_in_the_guest_interrupts_its_cpu)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	fake_host::set_cpu_id(1);
	// Another thread (KVM_IRQ_LINE, a PSCI call) kicks the vCPU while it is in the guest.
	fake_arch::push([fd](kvmx::GuestCpu &) { kvmx::vcpu_kick(vcpu(fd)); },
			fake_arch::irq_exit());
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(1, fake_host::kicks(1));
	EXPECT_EQ(0, fake_host::kicks(0));
}

} // namespace

namespace {

TEST_F(Exits, set_signal_mask_applies_around_kvm_run_only)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	struct {
		u32 len;
		u64 set;
	} __attribute__((packed)) m = { 8, 0x1234 };
	constexpr unsigned int set_signal_mask = _IOW(KVMIO, 0x8b, __u32); // C's 4-byte struct
	EXPECT_EQ(0, ioctl(fd, set_signal_mask, fake_host::uptr(&m)));
	push_hvc(0x80000000);
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(1, fake_host::sigmask_state.enters);
	EXPECT_EQ(0x1234u, fake_host::sigmask_state.last);
	EXPECT_FALSE(fake_host::sigmask_state.active) << "left when KVM_RUN returned";
	// The kernel's sigset_t is 8 bytes: any other length is EINVAL, a bad pointer EFAULT.
	m.len = 16;
	EXPECT_EQ(-EINVAL, ioctl(fd, set_signal_mask, fake_host::uptr(&m)));
	EXPECT_EQ(-EFAULT, ioctl(fd, set_signal_mask, 0x10));
	// NULL drops the mask: the next run keeps the thread's own.
	EXPECT_EQ(0, ioctl(fd, set_signal_mask, 0));
	push_hvc(0x80000000);
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(1, fake_host::sigmask_state.enters);
	EXPECT_EQ(0, fake_host::sigmask_state.unbalanced);
}

} // namespace
