// SPDX-License-Identifier: GPL-2.0
// arm64 system registers (arch/arm64/kvm/sysregs.cpp): the ID registers a guest sees, the
// read-only identification registers, MPIDR, the timer registers, and trapped MRS/MSR.
#include "id_regs.hpp"
#include "vcpu_fixture.hpp"

namespace {

using Sysregs = Vcpus;

// ID register ids by name (ARM ARM D19.2).
constexpr u64 ID_AA64PFR0_EL1 = sys_reg(3, 0, 0, 4, 0), ID_AA64PFR1_EL1 = sys_reg(3, 0, 0, 4, 1);
constexpr u64 ID_AA64ZFR0_EL1 = sys_reg(3, 0, 0, 4, 4), ID_AA64DFR0_EL1 = sys_reg(3, 0, 0, 5, 0);
constexpr u64 ID_AA64ISAR0_EL1 = sys_reg(3, 0, 0, 6, 0);
constexpr u64 ID_AA64ISAR1_EL1 = sys_reg(3, 0, 0, 6, 1);
constexpr u64 ID_AA64MMFR0_EL1 = sys_reg(3, 0, 0, 7, 0);
constexpr u64 MIDR_EL1 = sys_reg(3, 0, 0, 0, 0), REVIDR_EL1 = sys_reg(3, 0, 0, 0, 6);
constexpr u64 CTR_EL0 = sys_reg(3, 3, 0, 0, 1), CLIDR_EL1 = sys_reg(3, 1, 0, 0, 1);
constexpr u64 MDSCR_EL1 = sys_reg(2, 0, 0, 2, 2), OSLSR_EL1 = sys_reg(2, 0, 1, 1, 4);

u64 field(u64 val, unsigned int shift)
{
	return (val >> shift) & 0xf;
}

TEST_F(Sysregs, id_registers_hide_sve_pmu_pauth_and_mte_the_host_has)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	u64 pfr0 = reg(fd, ID_AA64PFR0_EL1);
	EXPECT_EQ(0u, field(pfr0, 32)) << "SVE";
	EXPECT_EQ(0u, field(pfr0, 24)) << "GIC system registers";
	EXPECT_EQ(2u, field(pfr0, 0)) << "EL0: AArch64 and AArch32, as the host";
	EXPECT_EQ(2u, field(pfr0, 4)) << "EL1: the host's";
	EXPECT_EQ(1u, field(pfr0, 56)) << "CSV2 passes through";
	EXPECT_EQ(0u, reg(fd, ID_AA64ZFR0_EL1)) << "SVE feature register";
	u64 pfr1 = reg(fd, ID_AA64PFR1_EL1);
	EXPECT_EQ(0u, field(pfr1, 8)) << "MTE";
	EXPECT_EQ(1u, field(pfr1, 0)) << "BTI passes through";
	EXPECT_EQ(2u, field(pfr1, 4)) << "SSBS passes through";
	u64 dfr0 = reg(fd, ID_AA64DFR0_EL1);
	EXPECT_EQ(0u, field(dfr0, 8)) << "PMUVer";
	EXPECT_EQ(6u, field(dfr0, 0)) << "DebugVer: Armv8.0";
	EXPECT_EQ(5u, field(dfr0, 12)) << "BRPs pass through";
	u64 isar1 = reg(fd, ID_AA64ISAR1_EL1);
	for (unsigned int shift : { 4, 8, 24, 28 }) // APA, API, GPA, GPI
		EXPECT_EQ(0u, field(isar1, shift)) << "pointer authentication field " << shift;
	for (unsigned int shift : { 0, 12, 16, 20 }) // DPB, JSCVT, FCMA, LRCPC
		EXPECT_EQ(1u, field(isar1, shift)) << shift;
	EXPECT_EQ(host_id::isar0_value, reg(fd, ID_AA64ISAR0_EL1));
	EXPECT_EQ(static_cast<u64>(parange_48), reg(fd, ID_AA64MMFR0_EL1));
}

TEST_F(Sysregs, aarch64_id_registers_refuse_a_change_outside_their_writable_fields)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	for (u64 crm = 4; crm < 8; crm++) {
		for (u64 op2 = 0; op2 < 8; op2++) {
			u64 id = sys_reg(3, 0, 0, crm, op2);
			u64 val = reg(fd, id);
			u64 fixed = ~kvmx::id_reg_writable_mask(kvmx::id_index(crm, op2));
			ASSERT_NE(0u, fixed);
			u64 low = fixed & -fixed, high = 1ULL << (63 - __builtin_clzll(fixed));
			EXPECT_EQ(0, set_reg64(fd, id, val)) << crm << " " << op2;
			EXPECT_EQ(-EINVAL, set_reg64(fd, id, val ^ low)) << crm << " " << op2;
			EXPECT_EQ(-EINVAL, set_reg64(fd, id, val ^ high)) << crm << " " << op2;
			EXPECT_EQ(val, reg(fd, id));
		}
	}
}

TEST_F(Sysregs, enabling_a_hidden_feature_through_an_id_register_is_einval)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	u64 pfr0 = reg(fd, ID_AA64PFR0_EL1);
	EXPECT_EQ(-EINVAL, set_reg64(fd, ID_AA64PFR0_EL1, pfr0 | 1ULL << 32)); // SVE
	EXPECT_EQ(-EINVAL, set_reg64(fd, ID_AA64PFR0_EL1, host_id::pfr0_value));
	u64 dfr0 = reg(fd, ID_AA64DFR0_EL1);
	EXPECT_EQ(-EINVAL, set_reg64(fd, ID_AA64DFR0_EL1, dfr0 | 6ULL << 8)); // PMUv3
	u64 isar1 = reg(fd, ID_AA64ISAR1_EL1);
	EXPECT_EQ(-EINVAL, set_reg64(fd, ID_AA64ISAR1_EL1, isar1 | 1ULL << 4));	 // APA
	EXPECT_EQ(-EINVAL, set_reg64(fd, ID_AA64PFR1_EL1, host_id::pfr1_value)); // MTE
	EXPECT_EQ(pfr0, reg(fd, ID_AA64PFR0_EL1));
}

TEST_F(Sysregs, identification_registers_are_the_hosts_and_read_only)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	EXPECT_EQ(host_id::midr, reg(fd, MIDR_EL1));
	EXPECT_EQ(host_id::revidr, reg(fd, REVIDR_EL1));
	EXPECT_EQ(host_id::ctr, reg(fd, CTR_EL0));
	EXPECT_EQ(host_id::clidr, reg(fd, CLIDR_EL1));
	EXPECT_EQ(host_id::midr, cpu(fd).vpidr);
	EXPECT_EQ(0, set_reg64(fd, MIDR_EL1, host_id::midr));
	EXPECT_EQ(-EINVAL, set_reg64(fd, MIDR_EL1, host_id::midr + 1));
	EXPECT_EQ(-EINVAL, set_reg64(fd, CTR_EL0, 0));
}

TEST_F(Sysregs, mpidr_follows_the_vcpu_id_with_16_vcpus_per_cluster)
{
	long a = ready_vcpu(0), b = ready_vcpu(0x13), c = ready_vcpu(0x1ff);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	ASSERT_GE(c, 0);
	EXPECT_EQ(1ULL << 31, reg(a, REG_MPIDR_EL1));
	EXPECT_EQ(1ULL << 31 | 1 << 8 | 3, reg(b, REG_MPIDR_EL1));
	EXPECT_EQ(1ULL << 31 | 0x1f << 8 | 0xf, reg(c, REG_MPIDR_EL1));
	// A VMM may give a vCPU its own affinity.
	EXPECT_EQ(0, set_reg64(b, REG_MPIDR_EL1, 1ULL << 31 | 0x100));
	EXPECT_EQ(1ULL << 31 | 0x100, cpu(b).vmpidr);
}

TEST_F(Sysregs, context_registers_are_plain_storage)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	for (u64 id : { REG_VBAR_EL1, REG_ESR_EL1, REG_FAR_EL1, sys_reg(3, 0, 2, 0, 0) }) {
		EXPECT_EQ(0, set_reg64(fd, id, 0x12340000 | (id & 0xfff))) << std::hex << id;
		EXPECT_EQ(0x12340000 | (id & 0xfff), reg(fd, id)) << std::hex << id;
	}
	EXPECT_EQ(0x12340000 | (REG_VBAR_EL1 & 0xfff), cpu(fd).sys.r[kvmx::VBAR_EL1]);
}

TEST_F(Sysregs, unknown_and_trap_only_registers_are_enoent)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	u64 val;
	EXPECT_EQ(-ENOENT, get_reg(fd, sys_reg(3, 0, 9, 14, 0), &val)); // PMINTENSET_EL1
	EXPECT_EQ(-ENOENT, get_reg(fd, sys_reg(2, 0, 1, 0, 0), &val));	// MDRAR_EL1: RAZ/WI
	EXPECT_EQ(-ENOENT, get_reg(fd, sys_reg(2, 0, 1, 0, 4), &val));	// OSLAR_EL1
	EXPECT_EQ(-ENOENT, get_reg(fd, sys_reg(2, 0, 1, 3, 4), &val));	// OSDLR_EL1
	EXPECT_EQ(-ENOENT, set_reg64(fd, sys_reg(3, 0, 9, 14, 0), 0));
	EXPECT_EQ(-ENOENT, get_reg(fd,
				   KVM_REG_ARM64 | KVM_REG_SIZE_U32 | KVM_REG_ARM64_SYSREG |
					   (REG_VBAR_EL1 & 0xffff),
				   &val));
}

TEST_F(Sysregs, oslsr_accepts_only_the_lock_bit_from_userspace)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	u64 oslsr = reg(fd, OSLSR_EL1);
	EXPECT_EQ(1u << 3, oslsr) << "OSLM: OS lock implemented, unlocked";
	EXPECT_EQ(0, set_reg64(fd, OSLSR_EL1, oslsr | 2));
	EXPECT_EQ(oslsr | 2, reg(fd, OSLSR_EL1));
	EXPECT_EQ(-EINVAL, set_reg64(fd, OSLSR_EL1, 0));
}

TEST_F(Sysregs, timer_counter_is_the_physical_counter_minus_the_vm_offset)
{
	fake_arch::set_counter(1000);
	// The VM's offset was taken at creation, with the counter at 0.
	long a = ready_vcpu(0), b = ready_vcpu(1);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	EXPECT_EQ(1000u, reg(a, KVM_REG_ARM_TIMER_CNT));
	ASSERT_EQ(0, set_reg64(a, KVM_REG_ARM_TIMER_CNT, 50));
	EXPECT_EQ(950u, vm_->arch.cntvoff);
	fake_arch::set_counter(1100);
	EXPECT_EQ(150u, reg(a, KVM_REG_ARM_TIMER_CNT));
	EXPECT_EQ(150u, reg(b, KVM_REG_ARM_TIMER_CNT)) << "one offset for the whole VM";
}

TEST_F(Sysregs, timer_control_keeps_enable_and_imask_only)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, KVM_REG_ARM_TIMER_CTL, 7));
	EXPECT_EQ(3u, reg(fd, KVM_REG_ARM_TIMER_CTL));
	ASSERT_EQ(0, set_reg64(fd, KVM_REG_ARM_TIMER_CVAL, 0x123456));
	EXPECT_EQ(0x123456u, cpu(fd).sys.r[kvmx::CNTV_CVAL_EL0]);
}

TEST_F(Sysregs, ptimer_counter_offset_is_one_per_vm_and_cval_is_the_guests)
{
	fake_arch::set_counter(1000);
	long a = ready_vcpu(0), b = ready_vcpu(1);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	EXPECT_EQ(1000u, reg(a, KVM_REG_ARM_PTIMER_CNT)) << "no offset: the physical counter";
	ASSERT_EQ(0, set_reg64(a, KVM_REG_ARM_PTIMER_CNT, 100));
	EXPECT_EQ(900u, vm_->arch.cntpoff);
	EXPECT_EQ(1000u, reg(a, KVM_REG_ARM_TIMER_CNT)) << "the virtual counter is apart";
	fake_arch::set_counter(1500);
	EXPECT_EQ(600u, reg(b, KVM_REG_ARM_PTIMER_CNT)) << "one offset for the whole VM";
	ASSERT_EQ(0, set_reg64(a, KVM_REG_ARM_PTIMER_CVAL, 700));
	EXPECT_EQ(700u, reg(a, KVM_REG_ARM_PTIMER_CVAL));
	EXPECT_EQ(700u, cpu(a).sys.r[kvmx::CNTP_CVAL_EL0]) << "kept as the guest sees it";
	ASSERT_EQ(0, set_reg64(a, KVM_REG_ARM_PTIMER_CTL, 7));
	EXPECT_EQ(3u, reg(a, KVM_REG_ARM_PTIMER_CTL));
}

// Trapped MRS/MSR through KVM_RUN.

TEST_F(Sysregs, trapped_physical_timer_accesses_count_from_the_vmm_offset)
{
	fake_arch::set_counter(5000);
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, REG_PC, ram_ipa));
	ASSERT_EQ(0, set_reg64(fd, KVM_REG_ARM_PTIMER_CNT, 1000));
	fake_arch::push(fake_arch::sysreg_exit(3, 3, 14, 0, 1, 1, true)); // MRS X1, CNTPCT_EL0
	fake_arch::push([](kvmx::GuestCpu &c) { c.frame.x[2] = 50; },
			fake_arch::sysreg_exit(3, 3, 14, 2, 0, 2, false)); // MSR CNTP_TVAL_EL0, X2
	fake_arch::push(fake_arch::sysreg_exit(3, 3, 14, 2, 2, 3, true));  // MRS X3, CNTP_CVAL
	fake_arch::push([](kvmx::GuestCpu &c) { c.frame.x[4] = 1; },
			fake_arch::sysreg_exit(3, 3, 14, 2, 1, 4, false)); // MSR CNTP_CTL_EL0, X4
	fake_arch::push(fake_arch::sysreg_exit(3, 3, 14, 2, 1, 5, true));  // MRS X5, CNTP_CTL
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(4000u, fake_arch::last_entry_cpu().cntpoff) << "the world switch applies it";
	EXPECT_EQ(1000u, cpu(fd).frame.x[1]);
	EXPECT_EQ(1050u, cpu(fd).frame.x[3]) << "TVAL counts from the guest's count";
	EXPECT_EQ(1u, cpu(fd).frame.x[5]) << "enabled, not yet reached";
	EXPECT_EQ(ram_ipa + 20, reg(fd, REG_PC));

	fake_arch::set_counter(5100); // the guest's count is 1100: CVAL reached
	EXPECT_EQ(-EINTR, run(fd)) << "the VMM's irqchip hears of the line first";
	fake_host::set_signal_pending(false);
	EXPECT_EQ(KVM_ARM_DEV_EL1_PTIMER,
		  run_page(fd)->s.regs.device_irq_level & KVM_ARM_DEV_EL1_PTIMER);
	fake_arch::push(fake_arch::sysreg_exit(3, 3, 14, 2, 1, 6, true)); // MRS X6, CNTP_CTL
	fake_arch::push(fake_arch::sysreg_exit(3, 3, 14, 2, 0, 7, true)); // MRS X7, CNTP_TVAL
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(5u, cpu(fd).frame.x[6]) << "ENABLE and ISTATUS";
	EXPECT_EQ(0xffffffceu, cpu(fd).frame.x[7]) << "50 ticks past CVAL, 32 bits";
}

TEST_F(Sysregs, trapped_write_to_the_physical_counter_injects_undef)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, REG_PC, ram_ipa));
	fake_arch::push(fake_arch::sysreg_exit(3, 3, 14, 0, 1, 1, false)); // MSR CNTPCT_EL0, X1
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0x200u, reg(fd, REG_PC));
	EXPECT_EQ(ram_ipa, reg(fd, REG_ELR_EL1));
}

TEST_F(Sysregs, trapped_id_register_read_lands_in_rt_and_advances_pc)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, REG_PC, ram_ipa));
	fake_arch::push(fake_arch::sysreg_exit(3, 0, 0, 4, 0, 5, true)); // MRS X5, ID_AA64PFR0_EL1
	fake_arch::push(fake_arch::sysreg_exit(3, 0, 0, 7, 0, 6, true)); // MRS X6, ID_AA64MMFR0_EL1
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(reg(fd, ID_AA64PFR0_EL1), reg(fd, reg_x(5)));
	EXPECT_EQ(static_cast<u64>(parange_48), reg(fd, reg_x(6)));
	EXPECT_EQ(ram_ipa + 8, reg(fd, REG_PC));
	EXPECT_EQ(0, fake_host::guest_log_lines());
}

TEST_F(Sysregs, trapped_read_into_xzr_changes_no_register)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	fake_arch::push(fake_arch::sysreg_exit(3, 0, 0, 4, 0, 31, true));
	ASSERT_TRUE(run_script(fd));
	for (unsigned int n = 0; n < 31; n++)
		EXPECT_EQ(0u, cpu(fd).frame.x[n]) << n;
	EXPECT_EQ(4u, reg(fd, REG_PC));
}

TEST_F(Sysregs, trapped_write_to_an_id_register_injects_undef)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, REG_PC, ram_ipa));
	ASSERT_EQ(0, set_reg64(fd, REG_VBAR_EL1, 0x80000));
	u64 pfr0 = reg(fd, ID_AA64PFR0_EL1);
	fake_arch::push([](kvmx::GuestCpu &c) { c.frame.x[2] = 1ULL << 32; },
			fake_arch::sysreg_exit(3, 0, 0, 4, 0, 2, false));
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(pfr0, reg(fd, ID_AA64PFR0_EL1));
	EXPECT_EQ(0x80000u + 0x200, reg(fd, REG_PC));
	EXPECT_EQ(ram_ipa, reg(fd, REG_ELR_EL1));
	EXPECT_EQ(0u, reg(fd, REG_ESR_EL1) >> 26);
}

TEST_F(Sysregs, trapped_access_to_an_unknown_register_injects_undef_and_logs)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, REG_PC, ram_ipa));
	fake_arch::push(fake_arch::sysreg_exit(3, 0, 15, 0, 0, 1, true)); // IMPDEF space
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0x200u, reg(fd, REG_PC)) << "VBAR_EL1 (0) + current EL with SP_ELx";
	EXPECT_EQ(ram_ipa, reg(fd, REG_ELR_EL1));
	EXPECT_EQ(1, fake_host::guest_log_lines());
}

TEST_F(Sysregs, guest_debug_registers_trap_to_storage_userspace_sees)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	fake_arch::push([](kvmx::GuestCpu &c) { c.frame.x[3] = 0x8000; },
			fake_arch::sysreg_exit(2, 0, 0, 2, 2, 3, false)); // MSR MDSCR_EL1, X3
	fake_arch::push(fake_arch::sysreg_exit(2, 0, 0, 2, 2, 4, true));  // MRS X4, MDSCR_EL1
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0x8000u, reg(fd, MDSCR_EL1));
	EXPECT_EQ(0x8000u, reg(fd, reg_x(4)));
	EXPECT_EQ(8u, reg(fd, REG_PC));
}

TEST_F(Sysregs, os_lock_set_through_oslar_shows_in_oslsr)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	fake_arch::push([](kvmx::GuestCpu &c) { c.frame.x[0] = 1; },
			fake_arch::sysreg_exit(2, 0, 1, 0, 4, 0, false)); // MSR OSLAR_EL1, X0
	fake_arch::push(fake_arch::sysreg_exit(2, 0, 1, 1, 4, 1, true));  // MRS X1, OSLSR_EL1
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(1u << 3 | 1u << 1, reg(fd, reg_x(1)));
	EXPECT_EQ(1u << 3 | 1u << 1, reg(fd, OSLSR_EL1));
}

TEST_F(Sysregs, raz_wi_debug_registers_read_zero_and_ignore_writes)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	fake_arch::push([](kvmx::GuestCpu &c) { c.frame.x[7] = 0xff; },
			fake_arch::sysreg_exit(2, 0, 1, 0, 0, 7, true)); // MRS X7, MDRAR_EL1
	fake_arch::push([](kvmx::GuestCpu &c) { c.frame.x[8] = 0xff; },
			fake_arch::sysreg_exit(2, 0, 7, 8, 6, 8, false)); // MSR DBGCLAIMSET_EL1
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0u, reg(fd, reg_x(7)));
	EXPECT_EQ(8u, reg(fd, REG_PC));
	EXPECT_EQ(0, fake_host::guest_log_lines());
}

// With FEAT_LOR / FEAT_RAS visible in the ID registers, the trapped LORegion and error
// record registers read as zero (no UNDEF, no log line) and the guest moves on.
TEST_F(Sysregs, lorid_read_is_raz_when_the_guest_sees_lo)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, REG_VBAR_EL1, 0x10000));
	vm_->arch.id_regs[49] |= 1ULL << 16; // ID_AA64MMFR1_EL1.LO
	fake_arch::push([](kvmx::GuestCpu &c) { c.frame.x[1] = 0x77; },
			fake_arch::sysreg_exit(3, 0, 10, 4, 7, 1, true)); // MRS X1, LORID_EL1
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(4u, reg(fd, REG_PC));
	EXPECT_EQ(0u, reg(fd, reg_x(1)));
}

TEST_F(Sysregs, erridr_read_is_raz_when_the_guest_sees_ras)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, REG_VBAR_EL1, 0x10000));
	vm_->arch.id_regs[24] |= 1ULL << 28; // ID_AA64PFR0_EL1.RAS
	fake_arch::push([](kvmx::GuestCpu &c) { c.frame.x[1] = 0x77; },
			fake_arch::sysreg_exit(3, 0, 5, 3, 0, 1, true)); // MRS X1, ERRIDR_EL1
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(4u, reg(fd, REG_PC));
	EXPECT_EQ(0u, reg(fd, reg_x(1)));
	EXPECT_EQ(0, fake_host::guest_log_lines());
}

} // namespace
