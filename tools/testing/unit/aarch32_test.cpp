// SPDX-License-Identifier: GPL-2.0
// 32-bit EL1 vCPUs (KVM_ARM_VCPU_EL1_32BIT) and exits from AArch32 state: the VM-wide
// register width, reset state, ONE_REG rules, banked registers, conditional and T32
// instructions, CP15/VMRS traps, HVC32/SMC32 calls and exceptions into AArch32 modes; and
// AArch32 EL0 under a 64-bit EL1 (its ID registers, PSTATE, MMIO, WFx, CP14/CP15 UNDEFs
// at the AArch64 vector).
#include "aarch32.hpp"
#include "id_regs.hpp"
#include "registry.hpp"
#include "vcpu_fixture.hpp"

namespace {

using Aarch32 = Vcpus;
using kvmx::PSR32_MODE_ABT, kvmx::PSR32_MODE_FIQ, kvmx::PSR32_MODE_IRQ;
using kvmx::PSR32_MODE_SVC, kvmx::PSR32_MODE_SYS, kvmx::PSR32_MODE_UND, kvmx::PSR32_MODE_USR;
using kvmx::PSR32_T, kvmx::PSR32_A, kvmx::PSR32_I, kvmx::PSR32_F;

constexpr u32 el1_32bit = 1u << KVM_ARM_VCPU_EL1_32BIT;
constexpr u32 psci_0_2 = 1u << KVM_ARM_VCPU_PSCI_0_2;
constexpr u64 svc_reset = 0x1d3; // SVC, A, I, F
constexpr u64 PSR32_Z = 1ULL << 30;
constexpr u64 REG_ID_PFR0 = sys_reg(3, 0, 0, 1, 0), REG_ID_DFR0 = sys_reg(3, 0, 0, 1, 2);
constexpr u64 REG_MVFR0 = sys_reg(3, 0, 0, 3, 0), REG_ID_AA64PFR0 = sys_reg(3, 0, 0, 4, 0);
constexpr u64 REG_FPEXC32 = sys_reg(3, 4, 5, 3, 0), REG_IFSR32 = sys_reg(3, 4, 5, 0, 1);

constexpr u64 EC_WFX = 0x01, EC_CP15_32 = 0x03, EC_CP15_64 = 0x04, EC_CP14_32 = 0x05;
constexpr u64 EC_CP10_ID = 0x08, EC_HVC32 = 0x12, EC_SMC32 = 0x13, EC_DABT_LOW = 0x24;
constexpr u64 EC_BKPT32 = 0x38;
constexpr u64 ESR_IL = 1ULL << 25, ESR_CV = 1ULL << 24;
constexpr u64 COND_EQ = 0x0, COND_AL = 0xe;

// An exit from AArch32 state: ESR_EL2 with @ec and @iss, a 32-bit instruction unless
// @t16 (a 16-bit T32 one), condition @cond known (CV) unless @cond is ~0.
kvmx::ExitInfo exit32(u64 ec, u64 iss, bool t16 = false, u64 cond = COND_AL)
{
	u64 esr = ec << 26 | (t16 ? 0 : ESR_IL) | iss;
	if (ec <= 0x0f && cond != ~0ULL)
		esr |= ESR_CV | cond << 20;
	kvmx::ExitInfo e = fake_arch::sync_exit(esr);
	e.code |= KVMX_EXIT_AARCH32;
	return e;
}

// MRC (read) or MCR of CP15 opc1, CRn, CRm, opc2 with register @rt.
kvmx::ExitInfo cp15(u32 opc1, u32 crn, u32 crm, u32 opc2, u32 rt, bool read)
{
	return exit32(EC_CP15_32, static_cast<u64>(opc2) << 17 | static_cast<u64>(opc1) << 14 |
					  static_cast<u64>(crn) << 10 | static_cast<u64>(rt) << 5 |
					  static_cast<u64>(crm) << 1 | (read ? 1 : 0));
}

u64 x(long fd, unsigned int n)
{
	return Vcpus::reg(fd, reg_x(n));
}

TEST_F(Core, el1_32bit_capability_and_feature_follow_the_host_cpus)
{
	ASSERT_EQ(0, init());
	EXPECT_EQ(1, kvmx_dev_ioctl(KVM_CHECK_EXTENSION, KVM_CAP_ARM_EL1_32BIT));
	kvmx_core_exit();
	up_ = false;

	kvmx_host_info info = host_info(parange_48, 16);
	info.arm64_id_regs[host_id::pfr0] = (host_id::pfr0_value & ~0xf0ULL) | 0x10; // EL1: A64
	ASSERT_EQ(0, kvmx_core_init(&info));
	up_ = true;
	EXPECT_EQ(0, kvmx_dev_ioctl(KVM_CHECK_EXTENSION, KVM_CAP_ARM_EL1_32BIT));
	int vm_fd = static_cast<int>(kvmx_dev_ioctl(KVM_CREATE_VM, 0));
	ASSERT_GE(vm_fd, 0);
	long vcpu_fd = kvmx_vm_ioctl(fake_host::vm_of_fd(vm_fd), KVM_CREATE_VCPU, 0);
	ASSERT_GE(vcpu_fd, 0);
	kvm_vcpu_init init = {};
	init.target = KVM_ARM_TARGET_GENERIC_V8;
	init.features[0] = el1_32bit;
	EXPECT_EQ(-EINVAL, kvmx_vcpu_ioctl(fake_host::vcpu_of_fd(static_cast<int>(vcpu_fd)),
					   KVM_ARM_VCPU_INIT, fake_host::uptr(&init)));
	fake_host::close_fd(static_cast<int>(vcpu_fd));
	fake_host::close_fd(vm_fd);
}

TEST_F(Aarch32, a_vm_has_one_register_width_set_by_its_first_vcpu_init)
{
	long a = create_vcpu(0), b = create_vcpu(1), c = create_vcpu(2);
	ASSERT_GE(c, 0);
	ASSERT_EQ(0, vcpu_init(a, el1_32bit));
	EXPECT_EQ(-EINVAL, vcpu_init(b, 0));
	EXPECT_EQ(-EINVAL, vcpu_init(b, psci_0_2));
	EXPECT_EQ(0, vcpu_init(b, el1_32bit | psci_0_2));
	EXPECT_EQ(0, vcpu_init(c, el1_32bit));
}

TEST_F(Aarch32, a_64bit_first_vcpu_makes_a_32bit_one_einval)
{
	long a = create_vcpu(0), b = create_vcpu(1);
	ASSERT_GE(b, 0);
	ASSERT_EQ(0, vcpu_init(a, psci_0_2));
	EXPECT_EQ(-EINVAL, vcpu_init(b, el1_32bit | psci_0_2));
	EXPECT_EQ(0, vcpu_init(b, psci_0_2));
}

TEST_F(Aarch32, init_resets_to_svc_mode_with_hcr_rw_clear)
{
	long fd = ready_vcpu(0, el1_32bit | psci_0_2);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(svc_reset, reg(fd, REG_PSTATE));
	EXPECT_EQ(0x700u, reg(fd, REG_FPEXC32));
	fake_arch::push(fake_arch::irq_exit());
	ASSERT_TRUE(run_script(fd));
	ASSERT_FALSE(fake_arch::entry_hcrs().empty());
	EXPECT_FALSE(fake_arch::entry_hcrs()[0] & kvmx::HCR_RW);
	EXPECT_TRUE(fake_arch::last_entry_cpu().el1_aarch32);
}

TEST_F(Aarch32, id_registers_show_aarch32_to_either_width_on_a_host_with_aarch32_el0)
{
	long fd64 = ready_vcpu(0);
	ASSERT_GE(fd64, 0);
	EXPECT_EQ(0x22u, reg(fd64, REG_ID_AA64PFR0) & 0xff) << "EL0 AArch32; EL1 the host's";
	EXPECT_EQ(host_id::pfr0_32_value & ~(0xfULL << 20), reg(fd64, REG_ID_PFR0)) << "no AMU";
	EXPECT_EQ(0u, reg(fd64, REG_ID_DFR0)) << "no CP14 debug, no PMU";
	EXPECT_EQ(host_id::mvfr0_value, reg(fd64, REG_MVFR0));

	// A second VM for the 32-bit vCPU (one width per VM): the same AArch32 registers.
	int vm2 = static_cast<int>(kvmx_dev_ioctl(KVM_CREATE_VM, 0));
	ASSERT_GE(vm2, 0);
	long fd32 = kvmx_vm_ioctl(fake_host::vm_of_fd(vm2), KVM_CREATE_VCPU, 0);
	ASSERT_GE(fd32, 0);
	EXPECT_EQ(0, vcpu_init(fd32, el1_32bit));
	EXPECT_EQ(0x22u, reg(fd32, REG_ID_AA64PFR0) & 0xff) << "EL0/EL1 AArch64 + AArch32";
	for (u64 id : { REG_ID_PFR0, REG_ID_DFR0, REG_MVFR0 })
		EXPECT_EQ(reg(fd64, id), reg(fd32, id)) << id;
	// A 32-bit vCPU's take only the value they hold; a 64-bit vCPU ignores writes to
	// them (a VMM restoring a host with other AArch32 features keeps working).
	EXPECT_EQ(0, set_reg64(fd32, REG_MVFR0, host_id::mvfr0_value));
	EXPECT_EQ(-EINVAL, set_reg64(fd32, REG_MVFR0, 0));
	EXPECT_EQ(0, set_reg64(fd64, REG_MVFR0, 0x1234));
	EXPECT_EQ(0, set_reg64(fd64, REG_ID_PFR0, 0));
	EXPECT_EQ(host_id::mvfr0_value, reg(fd64, REG_MVFR0));
	EXPECT_EQ(host_id::pfr0_32_value & ~(0xfULL << 20), reg(fd64, REG_ID_PFR0));
	fake_host::close_fd(static_cast<int>(fd32));
	fake_host::close_fd(vm2);
}

TEST_F(Aarch32, a_64bit_vcpu_reports_the_hosts_el1_field_beside_aarch32_el0)
{
	// A host whose EL0 has AArch32 and whose EL1 has not.
	kvmx::registry().host.arm64_id_regs[kvmx::ID_AA64PFR0] =
		(host_id::pfr0_value & ~0xffULL) | 0x12;
	long fd = ready_vcpu(0);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(0x12u, reg(fd, REG_ID_AA64PFR0) & 0xff);
	EXPECT_EQ(host_id::mvfr0_value, reg(fd, REG_MVFR0));
}

TEST_F(Aarch32, a_host_without_aarch32_el0_keeps_a_64bit_vcpu_aarch64_only)
{
	kvmx::registry().host.arm64_id_regs[kvmx::ID_AA64PFR0] =
		(host_id::pfr0_value & ~0xffULL) | 0x11;
	long fd = ready_vcpu(0);
	ASSERT_GE(fd, 0);
	const u64 pfr0 = reg(fd, REG_ID_AA64PFR0);
	EXPECT_EQ(0x11u, pfr0 & 0xff) << "EL0/EL1 AArch64 only";
	EXPECT_EQ(0u, reg(fd, REG_ID_PFR0));
	EXPECT_EQ(0u, reg(fd, REG_MVFR0));
	EXPECT_EQ(0, set_reg64(fd, REG_MVFR0, 0x1234)) << "ignored";
	EXPECT_EQ(0u, reg(fd, REG_MVFR0));
	EXPECT_EQ(-EINVAL, set_reg64(fd, REG_ID_AA64PFR0, (pfr0 & ~0xfULL) | 2)) << "widening";
	EXPECT_EQ(-EINVAL, set_reg64(fd, REG_PSTATE, PSR32_MODE_USR));
}

TEST_F(Aarch32, pstate_takes_aarch32_modes_only_on_a_32bit_vcpu)
{
	long fd = ready_vcpu(0, el1_32bit);
	ASSERT_GE(fd, 0);
	for (u64 mode : { PSR32_MODE_USR, PSR32_MODE_FIQ, PSR32_MODE_IRQ, PSR32_MODE_SVC,
			  PSR32_MODE_ABT, PSR32_MODE_UND, PSR32_MODE_SYS })
		EXPECT_EQ(0, set_reg64(fd, REG_PSTATE, mode | PSR32_I)) << mode;
	for (u64 mode :
	     { u64(PSR_MODE_EL0t), u64(PSR_MODE_EL1t), u64(PSR_MODE_EL1h), 0x1aULL, 0x16ULL })
		EXPECT_EQ(-EINVAL, set_reg64(fd, REG_PSTATE, mode)) << mode;
}

TEST_F(Aarch32, pstate_of_a_64bit_vcpu_takes_aarch32_usr_and_no_other_aarch32_mode)
{
	long fd = ready_vcpu(0);
	ASSERT_GE(fd, 0);
	for (u64 mode : { PSR32_MODE_SVC, PSR32_MODE_SYS, PSR32_MODE_FIQ, PSR32_MODE_UND })
		EXPECT_EQ(-EINVAL, set_reg64(fd, REG_PSTATE, mode)) << mode;
	// A VM saved while its 32-bit userspace ran: r0-r14 and the PC narrow to 32 bits,
	// x15-x30 (the 64-bit EL1's) do not.
	ASSERT_EQ(0, set_reg64(fd, reg_x(14), 0x1'0000'1234));
	ASSERT_EQ(0, set_reg64(fd, reg_x(15), 0x1'0000'5678));
	ASSERT_EQ(0, set_reg64(fd, REG_PC, 0x1'0000'8000));
	EXPECT_EQ(0, set_reg64(fd, REG_PSTATE, PSR32_MODE_USR | PSR32_T | PSR32_Z));
	EXPECT_EQ(PSR32_MODE_USR | PSR32_T | PSR32_Z, reg(fd, REG_PSTATE));
	EXPECT_EQ(0x1234u, x(fd, 14));
	EXPECT_EQ(0x1'0000'5678u, x(fd, 15));
	EXPECT_EQ(0x8000u, reg(fd, REG_PC));
}

TEST_F(Aarch32, registers_written_in_aarch32_state_are_narrowed_to_32_bits)
{
	long fd = ready_vcpu(0, el1_32bit);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, reg_x(5), 0x123456789ULL));
	ASSERT_EQ(0, set_reg64(fd, reg_x(22), 0xffffffff00000010ULL));
	ASSERT_EQ(0, set_reg64(fd, REG_PC, 0x100001000ULL));
	EXPECT_EQ(0x23456789u, x(fd, 5));
	EXPECT_EQ(0x10u, x(fd, 22));
	EXPECT_EQ(0x1000u, reg(fd, REG_PC));
}

TEST_F(Aarch32, banked_spsrs_are_core_registers)
{
	long fd = ready_vcpu(0, el1_32bit);
	ASSERT_GE(fd, 0);
	for (u64 i = 1; i < 5; i++)
		ASSERT_EQ(0, set_reg64(fd, CORE_REG(spsr[0]) + 2 * i, 0x10 + i));
	EXPECT_EQ(0x11u, cpu(fd).a32[kvmx::SPSR_ABT]);
	EXPECT_EQ(0x12u, cpu(fd).a32[kvmx::SPSR_UND]);
	EXPECT_EQ(0x13u, cpu(fd).a32[kvmx::SPSR_IRQ]);
	EXPECT_EQ(0x14u, cpu(fd).a32[kvmx::SPSR_FIQ]);
}

TEST_F(Aarch32, hvc32_reaches_smccc_and_64bit_function_ids_are_not_supported)
{
	long fd = ready_vcpu(0, el1_32bit | psci_0_2);
	ASSERT_GE(fd, 0);
	auto hvc = [](u64 fid, u64 arg) {
		fake_arch::push(
			[=](kvmx::GuestCpu &c) {
				c.frame.x[0] = fid;
				c.frame.x[1] = arg;
			},
			exit32(EC_HVC32, 0));
	};
	hvc(0x80000000, 0); // SMCCC_VERSION
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0x10001u, x(fd, 0));
	hvc(0xc4000003, 0); // CPU_ON, SMC64
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(~0ULL, x(fd, 0));
	hvc(0x8400000a, 0xc4000003); // PSCI_FEATURES(CPU_ON SMC64)
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(~0ULL, x(fd, 0));
	hvc(0x8400000a, 0x84000003); // PSCI_FEATURES(CPU_ON SMC32)
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0u, x(fd, 0));
}

TEST_F(Aarch32, trapped_smc32_is_skipped_by_its_length_and_answered)
{
	long fd = ready_vcpu(0, el1_32bit | psci_0_2);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, REG_PC, 0x2000));
	fake_arch::push([](kvmx::GuestCpu &c) { c.frame.x[0] = 0x84000000; },
			exit32(EC_SMC32, 0)); // PSCI_VERSION
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0x2004u, reg(fd, REG_PC));
	EXPECT_EQ(0x10001u, x(fd, 0));
}

TEST_F(Aarch32, mrc_of_an_id_register_fills_the_banked_register_of_the_mode)
{
	long fd = ready_vcpu(0, el1_32bit);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, REG_PC, 0x3000));
	fake_arch::push(cp15(0, 0, 1, 0, 13, true)); // MRC p15, 0, r13, c0, c1, 0: ID_PFR0
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(reg(fd, REG_ID_PFR0), x(fd, 19)) << "SP_svc is X19";
	EXPECT_EQ(0u, x(fd, 13)) << "SP_usr untouched";
	EXPECT_EQ(0x3004u, reg(fd, REG_PC));
}

TEST_F(Aarch32, vmrs_of_mvfr0_reads_the_feature_register)
{
	long fd = ready_vcpu(0, el1_32bit);
	ASSERT_GE(fd, 0);
	fake_arch::push(exit32(EC_CP10_ID, 7ULL << 14 | 7ULL << 10 | 3ULL << 5 | 1));
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(host_id::mvfr0_value, x(fd, 3));
	EXPECT_EQ(4u, reg(fd, REG_PC));
}

TEST_F(Aarch32, actlr_and_set_way_operations_complete_without_effect)
{
	long fd = ready_vcpu(0, el1_32bit);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, reg_x(2), 0x5a5a));
	fake_arch::push(cp15(0, 1, 0, 1, 2, false));  // MCR ACTLR
	fake_arch::push(cp15(0, 7, 14, 2, 2, false)); // MCR DCCISW
	fake_arch::push(cp15(0, 1, 0, 1, 4, true));   // MRC ACTLR into r4
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(12u, reg(fd, REG_PC));
	EXPECT_EQ(0u, x(fd, 4));
	EXPECT_EQ(0, fake_host::guest_log_lines());
}

TEST_F(Aarch32, unknown_cp15_access_takes_the_undefined_vector_in_und_mode)
{
	long fd = ready_vcpu(0, el1_32bit);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, REG_VBAR_EL1, 0x8000));
	ASSERT_EQ(0, set_reg64(fd, REG_PC, 0x1000));
	const u64 old = PSR32_MODE_SVC | PSR32_Z | PSR32_F; // A and I clear
	ASSERT_EQ(0, set_reg64(fd, REG_PSTATE, old));
	fake_arch::push(cp15(0, 9, 12, 0, 0, true)); // MRC PMCR: no PMU
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0x8004u, reg(fd, REG_PC));
	EXPECT_EQ(0x1004u, x(fd, 22)) << "LR_und";
	EXPECT_EQ(old, cpu(fd).a32[kvmx::SPSR_UND]);
	const u64 now = reg(fd, REG_PSTATE);
	EXPECT_EQ(PSR32_MODE_UND, now & 0x1f);
	EXPECT_TRUE(now & PSR32_I);
	EXPECT_FALSE(now & PSR32_A) << "A unchanged on entry to UND";
	EXPECT_TRUE(now & PSR32_F) << "F unchanged";
	EXPECT_TRUE(now & PSR32_Z) << "flags unchanged";
	EXPECT_EQ(1, fake_host::guest_log_lines());
}

TEST_F(Aarch32, undefined_in_t32_with_high_vectors_and_thumb_exceptions)
{
	long fd = ready_vcpu(0, el1_32bit);
	ASSERT_GE(fd, 0);
	constexpr u64 SCTLR_V = 1ULL << 13, SCTLR_TE = 1ULL << 30;
	ASSERT_EQ(0, set_reg64(fd, REG_SCTLR_EL1, reg(fd, REG_SCTLR_EL1) | SCTLR_V | SCTLR_TE));
	ASSERT_EQ(0, set_reg64(fd, REG_PC, 0x1002));
	ASSERT_EQ(0, set_reg64(fd, REG_PSTATE, svc_reset | PSR32_T));
	fake_arch::push(exit32(EC_CP14_32, 1)); // MRC p14 (debug): UNDEF, no log
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0xffff0004u, reg(fd, REG_PC));
	EXPECT_EQ(0x1004u, x(fd, 22)) << "LR_und = PC + 2 in T32";
	EXPECT_TRUE(reg(fd, REG_PSTATE) & PSR32_T) << "SCTLR.TE";
	EXPECT_EQ(0, fake_host::guest_log_lines());
}

TEST_F(Aarch32, t32_16bit_wfe_advances_the_pc_by_two)
{
	long fd = ready_vcpu(0, el1_32bit);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, REG_PC, 0x100));
	ASSERT_EQ(0, set_reg64(fd, REG_PSTATE, svc_reset | PSR32_T));
	fake_arch::push(exit32(EC_WFX, 1, true)); // WFE
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0x102u, reg(fd, REG_PC));
}

TEST_F(Aarch32, wfi_failing_its_condition_is_skipped_without_blocking)
{
	long fd = ready_vcpu(0, el1_32bit);
	ASSERT_GE(fd, 0);
	fake_arch::push(exit32(EC_WFX, 0, false, COND_EQ)); // WFIEQ with Z clear
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(4u, reg(fd, REG_PC));

	ASSERT_EQ(0, set_reg64(fd, REG_PSTATE, svc_reset | PSR32_Z));
	fake_arch::push(exit32(EC_WFX, 0, false, COND_EQ)); // WFIEQ with Z set: blocks
	fake_arch::push(fake_arch::irq_exit());
	EXPECT_TRUE(run_until_signal(fd));
}

TEST_F(Aarch32, t32_instruction_in_an_it_block_uses_and_advances_the_it_state)
{
	long fd = ready_vcpu(0, el1_32bit);
	ASSERT_GE(fd, 0);
	// ITT NE: IT[7:0] = 0001 1100 (firstcond NE, mask for two); IT[1:0] at bits
	// [26:25], IT[7:2] at [15:10]. Z is clear: NE passes.
	const u64 it = 0x1c;
	const u64 pstate = svc_reset | PSR32_T | (it & 3) << 25 | (it >> 2) << 10;
	ASSERT_EQ(0, set_reg64(fd, REG_PSTATE, pstate));
	ASSERT_EQ(0, set_reg64(fd, REG_PC, 0x200));
	fake_arch::push(exit32(EC_WFX, 1, true, ~0ULL)); // WFE, CV = 0: cond from IT
	ASSERT_TRUE(run_script(fd));
	const u64 now = reg(fd, REG_PSTATE);
	const u64 next_it = ((now >> 25) & 3) | ((now >> 10) & 0x3f) << 2;
	EXPECT_EQ(0x18u, next_it) << "one instruction left in the block";
	EXPECT_EQ(0x202u, reg(fd, REG_PC));

	// The last one: the block ends.
	fake_arch::push(exit32(EC_WFX, 1, true, ~0ULL));
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0u, reg(fd, REG_PSTATE) & (3ULL << 25 | 0x3fULL << 10));
}

TEST_F(Aarch32, mmio_store_and_load_use_the_banked_registers)
{
	long fd = ready_vcpu(0, el1_32bit);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, REG_PSTATE, PSR32_MODE_IRQ | PSR32_I));
	ASSERT_EQ(0, set_reg64(fd, reg_x(16), 0xcafef00d));			       // LR_irq
	kvmx::ExitInfo st = fake_arch::dabt_exit(mmio_ipa, true, 2, 14, false, false); // STR r14
	st.code |= KVMX_EXIT_AARCH32;
	fake_arch::push(st);
	ASSERT_EQ(0, run(fd));
	ASSERT_EQ(static_cast<u32>(KVM_EXIT_MMIO), run_page(fd)->exit_reason);
	u32 data;
	memcpy(&data, run_page(fd)->mmio.data, 4);
	EXPECT_EQ(0xcafef00du, data);

	// Back in FIQ mode, a 16-bit T32 LDRSB into r13 (SP_fiq, X29).
	kvmx::ExitInfo ld = fake_arch::dabt_exit(mmio_ipa, false, 0, 13, true, false);
	ld.esr &= ~ESR_IL;
	ld.code |= KVMX_EXIT_AARCH32;
	fake_arch::push(
		[](kvmx::GuestCpu &c) {
			c.pstate = PSR_MODE32_BIT | PSR32_MODE_FIQ | PSR32_T;
			c.pc = 0x400;
		},
		ld);
	ASSERT_EQ(0, run(fd));
	ASSERT_EQ(static_cast<u32>(KVM_EXIT_MMIO), run_page(fd)->exit_reason);
	run_page(fd)->mmio.data[0] = 0x80;
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0xffffff80u, x(fd, 29));
	EXPECT_EQ(0u, x(fd, 13));
	EXPECT_EQ(0x402u, reg(fd, REG_PC));
}

TEST_F(Aarch32, fetch_outside_memory_takes_a_prefetch_abort_in_abt_mode)
{
	long fd = ready_vcpu(0, el1_32bit);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, REG_VBAR_EL1, 0x8000));
	ASSERT_EQ(0, set_reg64(fd, REG_PC, mmio_ipa));
	kvmx::ExitInfo e = fake_arch::iabt_exit(mmio_ipa);
	e.code |= KVMX_EXIT_AARCH32;
	fake_arch::push(e);
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0x800cu, reg(fd, REG_PC));
	EXPECT_EQ(mmio_ipa + 4, x(fd, 20)) << "LR_abt";
	EXPECT_EQ(svc_reset, cpu(fd).a32[kvmx::SPSR_ABT]);
	EXPECT_EQ(PSR32_MODE_ABT, reg(fd, REG_PSTATE) & 0x1f);
	EXPECT_TRUE(reg(fd, REG_PSTATE) & PSR32_A);
	EXPECT_EQ(0x8u, reg(fd, REG_IFSR32)) << "synchronous external abort, short format";
	EXPECT_EQ(mmio_ipa, reg(fd, REG_FAR_EL1) >> 32) << "IFAR";
}

TEST_F(Aarch32, cpu_on_with_a_thumb_entry_starts_the_target_in_t32)
{
	long boot = ready_vcpu(0, el1_32bit | psci_0_2);
	long sec = create_vcpu(1);
	ASSERT_GE(sec, 0);
	ASSERT_EQ(0, vcpu_init(sec, el1_32bit | psci_0_2 | 1u << KVM_ARM_VCPU_POWER_OFF));
	fake_arch::push(
		[](kvmx::GuestCpu &c) {
			c.frame.x[0] = 0x84000003; // CPU_ON
			c.frame.x[1] = 1;	   // MPIDR of vCPU 1
			c.frame.x[2] = ram_ipa + 0x801;
			c.frame.x[3] = 0x77;
		},
		exit32(EC_HVC32, 0));
	ASSERT_TRUE(run_script(boot));
	ASSERT_EQ(0u, x(boot, 0));
	ASSERT_TRUE(run_script(sec));
	const kvmx::GuestCpu &entered = fake_arch::last_entry_cpu();
	EXPECT_EQ(ram_ipa + 0x800, entered.pc);
	EXPECT_EQ(svc_reset | PSR32_T, entered.pstate);
	EXPECT_EQ(0x77u, entered.frame.x[0]);
}

TEST_F(Aarch32, mcrr_to_cp15_is_undefined)
{
	long fd = ready_vcpu(0, el1_32bit);
	ASSERT_GE(fd, 0);
	fake_arch::push(exit32(EC_CP15_64, 2 << 1));
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(PSR32_MODE_UND, reg(fd, REG_PSTATE) & 0x1f);
}

// AArch32 EL0 under a 64-bit EL1: the guest's EL1 ERETs to USR mode (SPSR_EL1.M[4] set).
constexpr u64 usr = PSR_MODE32_BIT | PSR32_MODE_USR;
constexpr u64 EC_UNKNOWN = 0x00;

TEST_F(Aarch32, undefined_from_aarch32_el0_under_a_64bit_el1_goes_to_the_aarch64_vector)
{
	long fd = ready_vcpu(0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, REG_VBAR_EL1, 0x10000));
	fake_arch::push([](kvmx::GuestCpu &c) { c.pstate = PSR_MODE32_BIT | PSR32_MODE_USR; },
			cp15(0, 9, 12, 0, 0, true));
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0x10600u, reg(fd, REG_PC)) << "lower EL using AArch32";
	EXPECT_EQ(u64(PSR_MODE_EL1h), reg(fd, REG_PSTATE) & 0xf);
}

TEST_F(Aarch32, cp14_from_aarch32_el0_under_a_64bit_el1_is_an_unknown_exception_at_0x600)
{
	long fd = ready_vcpu(0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, REG_VBAR_EL1, 0x10000));
	// MRC p14, 0, r3, c0, c0, 0 (DBGDIDR) at 0x8000, Z set; MDCR_EL2.TDA traps it.
	fake_arch::push(
		[](kvmx::GuestCpu &c) {
			c.pstate = usr | PSR32_Z;
			c.pc = 0x8000;
		},
		exit32(EC_CP14_32, 3 << 5 | 1));
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0x10600u, reg(fd, REG_PC));
	EXPECT_EQ(0x8000u, reg(fd, REG_ELR_EL1)) << "the MRC itself";
	EXPECT_EQ(usr | PSR32_Z, reg(fd, REG_SPSR_EL1));
	EXPECT_EQ(EC_UNKNOWN << 26 | ESR_IL, reg(fd, REG_ESR_EL1));
	EXPECT_EQ(u64(PSR_MODE_EL1h), reg(fd, REG_PSTATE) & 0x1f);
	EXPECT_EQ(0, fake_host::guest_log_lines());
}

TEST_F(Aarch32, mmio_from_aarch32_el0_under_a_64bit_el1_uses_r0_r14_and_32bit_data)
{
	long fd = ready_vcpu(0);
	ASSERT_GE(fd, 0);
	// STR r14 (X14) at 0x8000, A32.
	kvmx::ExitInfo st = fake_arch::dabt_exit(mmio_ipa, true, 2, 14, false, false);
	st.code |= KVMX_EXIT_AARCH32;
	fake_arch::push(
		[](kvmx::GuestCpu &c) {
			c.pstate = usr;
			c.pc = 0x8000;
			c.frame.x[14] = 0xcafef00d;
		},
		st);
	ASSERT_EQ(0, run(fd));
	ASSERT_EQ(static_cast<u32>(KVM_EXIT_MMIO), run_page(fd)->exit_reason);
	EXPECT_EQ(4u, run_page(fd)->mmio.len);
	u32 data;
	memcpy(&data, run_page(fd)->mmio.data, 4);
	EXPECT_EQ(0xcafef00du, data);

	// A 16-bit T32 LDRSH into r3: sign-extended to 32 bits, not 64; PC + 2.
	kvmx::ExitInfo ld = fake_arch::dabt_exit(mmio_ipa + 4, false, 1, 3, true, false);
	ld.esr &= ~ESR_IL;
	ld.code |= KVMX_EXIT_AARCH32;
	fake_arch::push(
		[](kvmx::GuestCpu &c) {
			c.pstate = usr | PSR32_T;
			c.pc = 0x8100;
		},
		ld);
	ASSERT_EQ(0, run(fd));
	ASSERT_EQ(static_cast<u32>(KVM_EXIT_MMIO), run_page(fd)->exit_reason);
	EXPECT_EQ(mmio_ipa + 4, run_page(fd)->mmio.phys_addr);
	EXPECT_EQ(2u, run_page(fd)->mmio.len);
	run_page(fd)->mmio.data[0] = 0x01;
	run_page(fd)->mmio.data[1] = 0x80;
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0xffff8001u, x(fd, 3));
	EXPECT_EQ(0x8102u, reg(fd, REG_PC));
	EXPECT_EQ(usr | PSR32_T, reg(fd, REG_PSTATE));
}

TEST_F(Aarch32, mmio_load_to_the_pc_from_aarch32_el0_is_undefined_at_0x600)
{
	long fd = ready_vcpu(0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, REG_VBAR_EL1, 0x10000));
	kvmx::ExitInfo ld = fake_arch::dabt_exit(mmio_ipa, false, 2, 15, false, false);
	ld.code |= KVMX_EXIT_AARCH32;
	fake_arch::push([](kvmx::GuestCpu &c) { c.pstate = usr; }, ld);
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0x10600u, reg(fd, REG_PC));
	EXPECT_EQ(EC_UNKNOWN, reg(fd, REG_ESR_EL1) >> 26);
}

TEST_F(Aarch32, wfx_from_aarch32_el0_under_a_64bit_el1_steps_by_its_length_and_condition)
{
	long fd = ready_vcpu(0);
	ASSERT_GE(fd, 0);
	// A T32 16-bit WFE: PC + 2, mode kept.
	fake_arch::push(
		[](kvmx::GuestCpu &c) {
			c.pstate = usr | PSR32_T;
			c.pc = 0x8000;
		},
		exit32(EC_WFX, 1, true));
	// An A32 WFIEQ with Z clear: skipped without blocking.
	fake_arch::push(
		[](kvmx::GuestCpu &c) {
			c.pstate = usr;
			c.pc = 0x9000;
		},
		exit32(EC_WFX, 0, false, COND_EQ));
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0x9004u, reg(fd, REG_PC));
	EXPECT_EQ(usr, reg(fd, REG_PSTATE));
	EXPECT_EQ(1u, vcpu(fd)->stats.wfe_exit_stat);
}

TEST_F(Aarch32, bkpt_from_aarch32_el0_under_a_64bit_el1_goes_back_to_the_guest_at_0x600)
{
	long fd = ready_vcpu(0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, REG_VBAR_EL1, 0x10000));
	// While the VMM debugs (MDCR_EL2.TDE) a BKPT it did not ask for is the guest's.
	fake_arch::push(
		[](kvmx::GuestCpu &c) {
			c.pstate = usr;
			c.pc = 0x8000;
		},
		exit32(EC_BKPT32, 0x12));
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0x10600u, reg(fd, REG_PC));
	EXPECT_EQ(EC_BKPT32 << 26 | ESR_IL | 0x12, reg(fd, REG_ESR_EL1)) << "a lower-EL class";
	EXPECT_EQ(0x8000u, reg(fd, REG_ELR_EL1));
}

} // namespace
