// SPDX-License-Identifier: GPL-2.0
// The guest's firmware interface (arch/arm64/kvm/hypercalls.cpp, psci.cpp, firmware.cpp):
// SMCCC 1.1 over HVC and SMC, PSCI 0.1 to 1.1 and the firmware pseudo-registers.
#include "id_regs.hpp"
#include "registry.hpp"
#include "vcpu_fixture.hpp"

namespace {

using Psci = Vcpus;
using fake_arch::esr;

// SMCCC (DEN0028) and PSCI (DEN0022) function ids and results.
constexpr u64 SMCCC_VERSION = 0x80000000, SMCCC_ARCH_FEATURES = 0x80000001;
constexpr u64 SMCCC_ARCH_WORKAROUND_1 = 0x80008000, SMCCC_ARCH_WORKAROUND_2 = 0x80007fff;
constexpr u64 SMCCC_ARCH_WORKAROUND_3 = 0x80003fff;
constexpr u64 PSCI_VERSION = 0x84000000, CPU_SUSPEND = 0x84000001, CPU_OFF = 0x84000002;
constexpr u64 CPU_ON = 0x84000003, CPU_ON_64 = 0xc4000003, AFFINITY_INFO = 0x84000004;
constexpr u64 MIGRATE = 0x84000005, MIGRATE_INFO_TYPE = 0x84000006;
constexpr u64 SYSTEM_OFF = 0x84000008, SYSTEM_RESET = 0x84000009;
constexpr u64 PSCI_FEATURES = 0x8400000a, SYSTEM_RESET2 = 0x84000012;
constexpr u64 SYSTEM_RESET2_64 = 0xc4000012, SYSTEM_SUSPEND = 0x8400000e;
constexpr u64 SYSTEM_SUSPEND_64 = 0xc400000e;
constexpr u64 NOT_SUPPORTED = ~0ULL, INVALID_PARAMS = ~1ULL, DENIED = ~2ULL, ALREADY_ON = ~3ULL;
constexpr u64 INVALID_ADDRESS = ~8ULL;
constexpr u64 mpidr(u64 aff1, u64 aff0)
{
	return 1ULL << 31 | aff1 << 8 | aff0;
}

u64 x0(long fd)
{
	return Vcpus::cpu(fd).frame.x[0];
}

kvm_mp_state mp_state(long fd)
{
	kvm_mp_state mp = { 0xff };
	EXPECT_EQ(0, Vcpus::ioctl(fd, KVM_GET_MP_STATE, fake_host::uptr(&mp)));
	return mp;
}

TEST_F(Psci, smccc_version_is_1_1_and_hvc_leaves_pc_alone)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, REG_PC, ram_ipa + 4)); // ELR_EL2 is already past the HVC
	push_hvc(SMCCC_VERSION);
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0x10001u, x0(fd));
	EXPECT_EQ(ram_ipa + 4, reg(fd, REG_PC));
	EXPECT_EQ(1u, vcpu(fd)->stats.hvc_exit_stat);
}

TEST_F(Psci, trapped_smc_is_skipped_and_answered_like_hvc)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, REG_PC, ram_ipa));
	fake_arch::push([](kvmx::GuestCpu &c) { c.frame.x[0] = SMCCC_VERSION; },
			fake_arch::sync_exit(esr(fake_arch::EC_SMC64, 0)));
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0x10001u, x0(fd));
	EXPECT_EQ(ram_ipa + 4, reg(fd, REG_PC));
}

TEST_F(Psci, unknown_function_returns_not_supported)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	// A SiP service call, unallocated KVM-vendor and PSCI-range ids, garbage.
	for (u64 fid : { 0xc2000000ULL, 0x8600ff00ULL, 0x8400ff00ULL, 0x12345678ULL }) {
		push_hvc(fid);
		ASSERT_TRUE(run_script(fd));
		EXPECT_EQ(NOT_SUPPORTED, x0(fd)) << std::hex << fid;
	}
}

// SMCCC_ARCH_FEATURES of each workaround, after a run, next to its register.
std::pair<u64, u64> workaround(long fd, u64 fid, u64 id)
{
	Vcpus::push_hvc(SMCCC_ARCH_FEATURES, fid);
	EXPECT_TRUE(Vcpus::run_script(fd));
	return { x0(fd), Vcpus::reg(fd, id) };
}

TEST_F(Psci, smccc_arch_features_answers_the_workarounds_from_the_host_id_registers)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	push_hvc(SMCCC_ARCH_FEATURES, SMCCC_VERSION);
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0u, x0(fd));
	// The fake host: CSV2 1 (not affected by Spectre v2), no CSV2 3 or ECBHB.
	using P = std::pair<u64, u64>;
	EXPECT_EQ(P(1, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1_NOT_REQUIRED),
		  workaround(fd, SMCCC_ARCH_WORKAROUND_1, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1));
	EXPECT_EQ(P(NOT_SUPPORTED, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_NOT_AVAIL),
		  workaround(fd, SMCCC_ARCH_WORKAROUND_2, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2));
	EXPECT_EQ(P(NOT_SUPPORTED, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3_NOT_AVAIL),
		  workaround(fd, SMCCC_ARCH_WORKAROUND_3, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3));
}

TEST_F(Psci, workaround_levels_restore_up_to_the_hosts_and_the_guest_keeps_its_answer)
{
	// CSV2 3: not affected by Spectre-BHB either (QEMU -cpu max).
	kvmx::registry().host.arm64_id_regs[kvmx::ID_AA64PFR0] =
		(host_id::pfr0_value & ~(0xfULL << 56)) | 3ULL << 56;
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	constexpr u64 wa1 = KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1,
		      wa2 = KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2,
		      wa3 = KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3;
	EXPECT_EQ(static_cast<u64>(KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3_NOT_REQUIRED), reg(fd, wa3));
	// Debian 6.1's built-in KVM on that host saves 2, 0, 2.
	EXPECT_EQ(0, set_reg64(fd, wa1, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1_NOT_REQUIRED));
	EXPECT_EQ(0, set_reg64(fd, wa2, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_NOT_AVAIL));
	EXPECT_EQ(0, set_reg64(fd, wa3, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3_NOT_REQUIRED));
	// A lower level is taken and kept: the guest was told it on the source.
	EXPECT_EQ(0, set_reg64(fd, wa1, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1_AVAIL));
	EXPECT_EQ(0, set_reg64(fd, wa3, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3_NOT_AVAIL));
	EXPECT_EQ(std::make_pair(NOT_SUPPORTED,
				 static_cast<u64>(KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3_NOT_AVAIL)),
		  workaround(fd, SMCCC_ARCH_WORKAROUND_3, wa3));
	EXPECT_EQ(static_cast<u64>(KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1_AVAIL), reg(fd, wa1));
	// Above the host's level, or bits beside the level: refused.
	EXPECT_EQ(-EINVAL, set_reg64(fd, wa1, 3));
	EXPECT_EQ(-EINVAL, set_reg64(fd, wa3, 1ULL << 4));
	// WORKAROUND_2: UNKNOWN reads as NOT_AVAIL; AVAIL and NOT_REQUIRED need a host that
	// is not affected; ENABLED only beside AVAIL.
	EXPECT_EQ(0, set_reg64(fd, wa2, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_UNKNOWN));
	EXPECT_EQ(static_cast<u64>(KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_NOT_AVAIL), reg(fd, wa2));
	EXPECT_EQ(-EINVAL, set_reg64(fd, wa2, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_AVAIL));
	EXPECT_EQ(-EINVAL, set_reg64(fd, wa2, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_NOT_REQUIRED));
	EXPECT_EQ(-EINVAL, set_reg64(fd, wa2,
				     KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_NOT_AVAIL |
					     KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_ENABLED));
	// A reset tells the guest the host's levels again.
	ASSERT_EQ(0, vcpu_init(fd, 1u << KVM_ARM_VCPU_PSCI_0_2));
	EXPECT_EQ(static_cast<u64>(KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1_NOT_REQUIRED), reg(fd, wa1));
}

TEST_F(Psci, psci_version_is_1_1_unless_the_vmm_pins_an_older_one)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	EXPECT_EQ(0x10001u, reg(fd, KVM_REG_ARM_PSCI_VERSION));
	push_hvc(PSCI_VERSION);
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0x10001u, x0(fd));
	ASSERT_EQ(0, set_reg64(fd, KVM_REG_ARM_PSCI_VERSION, 0x10000));
	push_hvc(PSCI_VERSION);
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0x10000u, x0(fd));
	EXPECT_EQ(0, set_reg64(fd, KVM_REG_ARM_PSCI_VERSION, 0x2));
	EXPECT_EQ(-EINVAL, set_reg64(fd, KVM_REG_ARM_PSCI_VERSION, 0x1));
	EXPECT_EQ(-EINVAL, set_reg64(fd, KVM_REG_ARM_PSCI_VERSION, 0x10002));
}

TEST_F(Psci, psci_features_reports_what_the_version_implements)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	struct Case {
		u64 fid, expect;
	};
	for (Case c :
	     { Case{ CPU_ON, 0 }, Case{ CPU_ON_64, 0 }, Case{ CPU_OFF, 0 }, Case{ SYSTEM_OFF, 0 },
	       Case{ PSCI_FEATURES, 0 }, Case{ SMCCC_VERSION, 0 }, Case{ SYSTEM_RESET2, 0 },
	       Case{ SYSTEM_RESET2_64, 0 }, Case{ MIGRATE, NOT_SUPPORTED },
	       Case{ 0x8400000e, NOT_SUPPORTED }, Case{ 0x12345678, NOT_SUPPORTED } }) {
		push_hvc(PSCI_FEATURES, c.fid);
		ASSERT_TRUE(run_script(fd));
		EXPECT_EQ(c.expect, x0(fd)) << std::hex << c.fid;
	}
	ASSERT_EQ(0, set_reg64(fd, KVM_REG_ARM_PSCI_VERSION, 0x10000));
	push_hvc(PSCI_FEATURES, SYSTEM_RESET2);
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(NOT_SUPPORTED, x0(fd)) << "SYSTEM_RESET2 is PSCI 1.1";
	ASSERT_EQ(0, set_reg64(fd, KVM_REG_ARM_PSCI_VERSION, 0x2));
	push_hvc(PSCI_FEATURES, CPU_ON);
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(NOT_SUPPORTED, x0(fd)) << "PSCI_FEATURES is PSCI 1.0";
}

TEST_F(Psci, system_off_is_a_shutdown_event_that_stops_every_vcpu)
{
	long a = ready_vcpu(0), b = ready_vcpu(1);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	push_hvc(SYSTEM_OFF);
	ASSERT_EQ(0, run(a));
	kvm_run *r = run_page(a);
	EXPECT_EQ(static_cast<u32>(KVM_EXIT_SYSTEM_EVENT), r->exit_reason);
	EXPECT_EQ(static_cast<u32>(KVM_SYSTEM_EVENT_SHUTDOWN), r->system_event.type);
	EXPECT_EQ(static_cast<u32>(KVM_MP_STATE_STOPPED), mp_state(a).mp_state);
	EXPECT_EQ(static_cast<u32>(KVM_MP_STATE_STOPPED), mp_state(b).mp_state);
	EXPECT_GE(fake_host::waits().wakes, 1) << "the other vCPU was kicked";
}

TEST_F(Psci, system_reset_and_reset2_are_reset_events)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	push_hvc(SYSTEM_RESET);
	ASSERT_EQ(0, run(fd));
	EXPECT_EQ(static_cast<u32>(KVM_EXIT_SYSTEM_EVENT), run_page(fd)->exit_reason);
	EXPECT_EQ(static_cast<u32>(KVM_SYSTEM_EVENT_RESET), run_page(fd)->system_event.type);
	EXPECT_EQ(0u, run_page(fd)->system_event.data[0]);

	ASSERT_EQ(0, vcpu_init(fd, 1u << KVM_ARM_VCPU_PSCI_0_2));
	push_hvc(SYSTEM_RESET2_64, 0 /* SYSTEM_WARM_RESET */);
	ASSERT_EQ(0, run(fd));
	EXPECT_EQ(static_cast<u32>(KVM_SYSTEM_EVENT_RESET), run_page(fd)->system_event.type);
	EXPECT_EQ(static_cast<u64>(KVM_SYSTEM_EVENT_RESET_FLAG_PSCI_RESET2),
		  run_page(fd)->system_event.data[0]);

	ASSERT_EQ(0, vcpu_init(fd, 1u << KVM_ARM_VCPU_PSCI_0_2));
	push_hvc(SYSTEM_RESET2, 1 /* an architectural type that does not exist */);
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(INVALID_PARAMS, x0(fd));
}

TEST_F(Psci, cpu_on_of_an_unknown_mpidr_is_invalid_params)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	push_hvc(CPU_ON_64, mpidr(0, 5), ram_ipa, 0);
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(INVALID_PARAMS, x0(fd));
}

TEST_F(Psci, cpu_on_starts_a_stopped_vcpu_at_its_entry_with_the_context_in_x0)
{
	long boot = ready_vcpu(0);
	long sec = create_vcpu(1);
	ASSERT_GE(boot, 0);
	ASSERT_GE(sec, 0);
	ASSERT_EQ(0, vcpu_init(sec, 1u << KVM_ARM_VCPU_POWER_OFF | 1u << KVM_ARM_VCPU_PSCI_0_2));
	ASSERT_EQ(0, set_reg64(sec, reg_x(5), 0x55));
	ASSERT_EQ(0, set_reg64(sec, REG_SCTLR_EL1, reg(sec, REG_SCTLR_EL1) | 1)); // MMU on
	push_hvc(CPU_ON_64, mpidr(0, 1), ram_ipa + 0x800, 0xc0ffee);
	ASSERT_TRUE(run_script(boot));
	EXPECT_EQ(0u, x0(boot));
	EXPECT_EQ(static_cast<u32>(KVM_MP_STATE_RUNNABLE), mp_state(sec).mp_state);

	ASSERT_TRUE(run_script(sec));
	const kvmx::GuestCpu &entered = fake_arch::last_entry_cpu();
	EXPECT_EQ(ram_ipa + 0x800, entered.pc);
	EXPECT_EQ(0xc0ffeeu, entered.frame.x[0]);
	EXPECT_EQ(0u, entered.frame.x[5]);
	EXPECT_EQ(pstate_el1h_daif, entered.pstate);
	EXPECT_EQ(0u, entered.sys.r[kvmx::SCTLR_EL1] & 1) << "starts with the MMU off";
	EXPECT_EQ(mpidr(0, 1), entered.vmpidr);
}

TEST_F(Psci, cpu_on_smc32_ignores_the_upper_halves_of_its_arguments)
{
	long boot = ready_vcpu(0);
	long sec = create_vcpu(1);
	ASSERT_GE(boot, 0);
	ASSERT_GE(sec, 0);
	ASSERT_EQ(0, vcpu_init(sec, 1u << KVM_ARM_VCPU_POWER_OFF | 1u << KVM_ARM_VCPU_PSCI_0_2));
	push_hvc(CPU_ON, 0xffffffff00000000ULL | mpidr(0, 1), 0xffffffff00001000ULL, 0x5ULL << 32);
	ASSERT_TRUE(run_script(boot));
	ASSERT_EQ(0u, x0(boot));
	ASSERT_TRUE(run_script(sec));
	EXPECT_EQ(0x1000u, fake_arch::last_entry_cpu().pc);
	EXPECT_EQ(0u, fake_arch::last_entry_cpu().frame.x[0]);
}

TEST_F(Psci, cpu_on_of_a_running_vcpu_is_already_on)
{
	long a = ready_vcpu(0), b = ready_vcpu(1);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	push_hvc(CPU_ON_64, mpidr(0, 1), ram_ipa, 0);
	ASSERT_TRUE(run_script(a));
	EXPECT_EQ(ALREADY_ON, x0(a));
	push_hvc(CPU_ON_64, mpidr(0, 0), ram_ipa, 0); // itself
	ASSERT_TRUE(run_script(a));
	EXPECT_EQ(ALREADY_ON, x0(a));
}

TEST_F(Psci, cpu_on_finds_a_vcpu_by_the_mpidr_the_vmm_gave_it)
{
	long a = ready_vcpu(0);
	long b = create_vcpu(1);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	ASSERT_EQ(0, vcpu_init(b, 1u << KVM_ARM_VCPU_POWER_OFF | 1u << KVM_ARM_VCPU_PSCI_0_2));
	ASSERT_EQ(0, set_reg64(b, REG_MPIDR_EL1, mpidr(1, 0)));
	push_hvc(CPU_ON_64, mpidr(0, 1), ram_ipa, 0);
	ASSERT_TRUE(run_script(a));
	EXPECT_EQ(INVALID_PARAMS, x0(a));
	push_hvc(CPU_ON_64, mpidr(1, 0), ram_ipa, 0);
	ASSERT_TRUE(run_script(a));
	EXPECT_EQ(0u, x0(a));
}

TEST_F(Psci, cpu_off_stops_the_caller_until_a_signal_or_cpu_on)
{
	long a = ready_vcpu(0), b = ready_vcpu(1);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	push_hvc(CPU_OFF);
	ASSERT_TRUE(run_until_signal(b));
	EXPECT_EQ(static_cast<u32>(KVM_MP_STATE_STOPPED), mp_state(b).mp_state);
	EXPECT_EQ(0, fake_arch::runs_left());
	EXPECT_EQ(1, fake_arch::world_switches());

	push_hvc(AFFINITY_INFO, mpidr(0, 1), 0);
	ASSERT_TRUE(run_script(a));
	EXPECT_EQ(1u, x0(a)) << "OFF";

	push_hvc(CPU_ON_64, mpidr(0, 1), ram_ipa + 0x40, 7);
	ASSERT_TRUE(run_script(a));
	EXPECT_EQ(0u, x0(a));
	ASSERT_TRUE(run_script(b));
	EXPECT_EQ(ram_ipa + 0x40, fake_arch::last_entry_cpu().pc);
}

TEST_F(Psci, affinity_info_reports_on_off_and_unknown_affinities)
{
	long a = ready_vcpu(0);
	long b = create_vcpu(1);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	ASSERT_EQ(0, vcpu_init(b, 1u << KVM_ARM_VCPU_POWER_OFF | 1u << KVM_ARM_VCPU_PSCI_0_2));
	struct Case {
		u64 target, level, expect;
	};
	for (Case c :
	     { Case{ mpidr(0, 0), 0, 0 }, Case{ mpidr(0, 1), 0, 1 },
	       Case{ mpidr(0, 2), 0, INVALID_PARAMS }, Case{ mpidr(0, 0xff), 1, 0 },
	       Case{ mpidr(1, 0), 1, INVALID_PARAMS }, Case{ mpidr(0, 0), 4, INVALID_PARAMS } }) {
		push_hvc(AFFINITY_INFO, c.target, c.level);
		ASSERT_TRUE(run_script(a));
		EXPECT_EQ(c.expect, x0(a)) << std::hex << c.target << " level " << c.level;
	}
}

TEST_F(Psci, migrate_info_type_says_no_trusted_os)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	push_hvc(MIGRATE_INFO_TYPE);
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(2u, x0(fd));
	push_hvc(MIGRATE, 0);
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(NOT_SUPPORTED, x0(fd));
}

TEST_F(Psci, cpu_suspend_is_a_wfi_that_returns_success)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	push_hvc(CPU_SUSPEND, 0);
	ASSERT_TRUE(run_until_signal(fd));
	EXPECT_EQ(0u, x0(fd));
	EXPECT_EQ(1, fake_host::waits().waits);
	EXPECT_EQ(KVMX_WAIT_FOREVER, fake_host::waits().last_timeout_ns);
}

TEST_F(Psci, psci_0_1_vcpu_uses_kvm_function_ids_only)
{
	long a = ready_vcpu(0, 0);
	long b = create_vcpu(1);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	ASSERT_EQ(0, vcpu_init(b, 1u << KVM_ARM_VCPU_POWER_OFF));
	EXPECT_EQ(0u, reg(a, KVM_REG_ARM_PSCI_VERSION));
	EXPECT_EQ(-EINVAL, set_reg64(a, KVM_REG_ARM_PSCI_VERSION, 0x10001));
	push_hvc(PSCI_VERSION);
	ASSERT_TRUE(run_script(a));
	EXPECT_EQ(NOT_SUPPORTED, x0(a));
	push_hvc(KVM_PSCI_FN_CPU_ON, mpidr(0, 1), ram_ipa + 0x80, 3);
	ASSERT_TRUE(run_script(a));
	EXPECT_EQ(0u, x0(a));
	ASSERT_TRUE(run_script(b));
	EXPECT_EQ(ram_ipa + 0x80, fake_arch::last_entry_cpu().pc);
	push_hvc(KVM_PSCI_FN_CPU_OFF);
	ASSERT_TRUE(run_until_signal(b));
	EXPECT_EQ(static_cast<u32>(KVM_MP_STATE_STOPPED), mp_state(b).mp_state);
}

TEST_F(Psci, hypercall_bitmaps_offer_everything_and_freeze_at_the_first_run)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	for (u64 id :
	     { KVM_REG_ARM_STD_BMAP, KVM_REG_ARM_STD_HYP_BMAP, KVM_REG_ARM_VENDOR_HYP_BMAP }) {
		u64 all = reg(fd, id);
		EXPECT_NE(0u, all) << std::hex << id;
		EXPECT_EQ(-EINVAL, set_reg64(fd, id, all | 1ULL << 63)) << std::hex << id;
		EXPECT_EQ(0, set_reg64(fd, id, 0)) << std::hex << id;
		EXPECT_EQ(0, set_reg64(fd, id, all)) << std::hex << id;
	}
	ASSERT_TRUE(run_script(fd));
	u64 std = reg(fd, KVM_REG_ARM_STD_BMAP);
	EXPECT_EQ(0, set_reg64(fd, KVM_REG_ARM_STD_BMAP, std)) << "the same value is fine";
	EXPECT_EQ(-EBUSY, set_reg64(fd, KVM_REG_ARM_STD_BMAP, 0));
	EXPECT_EQ(-EINVAL, set_reg64(fd, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3,
				     KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3_AVAIL))
		<< "the fake host may be affected by Spectre-BHB";
	u64 val;
	EXPECT_EQ(-ENOENT, get_reg(fd, KVM_REG_ARM_FW_REG(4), &val));
}

class SystemSuspend : public Vcpus {
protected:
	long enable()
	{
		kvm_enable_cap cap = {};
		cap.cap = KVM_CAP_ARM_SYSTEM_SUSPEND;
		return kvmx_vm_ioctl(vm_, KVM_ENABLE_CAP, fake_host::uptr(&cap));
	}
	static long set_mp_state(long fd, u32 state)
	{
		kvm_mp_state mp = { state };
		return ioctl(fd, KVM_SET_MP_STATE, fake_host::uptr(&mp));
	}
};

TEST_F(SystemSuspend, is_not_supported_until_the_vmm_enables_it)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	push_hvc(PSCI_FEATURES, SYSTEM_SUSPEND_64);
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(NOT_SUPPORTED, x0(fd));
	push_hvc(SYSTEM_SUSPEND_64, ram_ipa, 0);
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(NOT_SUPPORTED, x0(fd));
	ASSERT_EQ(0, enable());
	push_hvc(PSCI_FEATURES, SYSTEM_SUSPEND);
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0u, x0(fd));
}

TEST_F(SystemSuspend, is_denied_while_another_vcpu_is_on)
{
	ASSERT_EQ(0, enable());
	long a = ready_vcpu(0), b = ready_vcpu(1);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	push_hvc(SYSTEM_SUSPEND_64, ram_ipa, 0);
	ASSERT_TRUE(run_script(a));
	EXPECT_EQ(DENIED, x0(a));
}

TEST_F(SystemSuspend, resume_point_beyond_the_ipa_space_is_invalid_address)
{
	ASSERT_EQ(0, enable());
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	push_hvc(SYSTEM_SUSPEND_64, 1ULL << 40, 0);
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(INVALID_ADDRESS, x0(fd));
}

TEST_F(SystemSuspend, exits_with_the_vcpu_already_at_its_resume_point)
{
	ASSERT_EQ(0, enable());
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, reg_x(7), 7));
	push_hvc(SYSTEM_SUSPEND_64, ram_ipa + 0x100, 0xabc);
	ASSERT_EQ(0, run(fd));
	EXPECT_EQ(static_cast<u32>(KVM_EXIT_SYSTEM_EVENT), run_page(fd)->exit_reason);
	EXPECT_EQ(static_cast<u32>(KVM_SYSTEM_EVENT_SUSPEND), run_page(fd)->system_event.type);
	EXPECT_EQ(ram_ipa + 0x100, reg(fd, REG_PC));
	EXPECT_EQ(0xabcu, reg(fd, reg_x(0)));
	EXPECT_EQ(0u, reg(fd, reg_x(7)));
	EXPECT_EQ(pstate_el1h_daif, reg(fd, REG_PSTATE));
}

TEST_F(SystemSuspend, suspended_vcpu_wakes_on_its_timer_with_a_wakeup_event)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	fake_arch::set_counter_freq(1000000);
	ASSERT_EQ(0, set_reg64(fd, KVM_REG_ARM_TIMER_CTL, 1));
	ASSERT_EQ(0, set_reg64(fd, KVM_REG_ARM_TIMER_CVAL, 1000));
	ASSERT_EQ(0, set_mp_state(fd, KVM_MP_STATE_SUSPENDED));
	ASSERT_EQ(0, run(fd));
	EXPECT_EQ(static_cast<u32>(KVM_EXIT_SYSTEM_EVENT), run_page(fd)->exit_reason);
	EXPECT_EQ(static_cast<u32>(KVM_SYSTEM_EVENT_WAKEUP), run_page(fd)->system_event.type);
	EXPECT_EQ(1000000u, fake_host::waits().last_timeout_ns) << "slept until the deadline";
	EXPECT_EQ(0, fake_arch::world_switches());
	EXPECT_EQ(static_cast<u32>(KVM_MP_STATE_SUSPENDED), mp_state(fd).mp_state);
}

TEST_F(SystemSuspend, suspended_vcpu_wakes_on_an_irq_line)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_mp_state(fd, KVM_MP_STATE_SUSPENDED));
	kvm_irq_level irq = {};
	irq.irq = KVM_ARM_IRQ_TYPE_CPU << KVM_ARM_IRQ_TYPE_SHIFT | KVM_ARM_IRQ_CPU_IRQ;
	irq.level = 1;
	ASSERT_EQ(0, kvmx_vm_ioctl(vm_, KVM_IRQ_LINE, fake_host::uptr(&irq)));
	ASSERT_EQ(0, run(fd));
	EXPECT_EQ(static_cast<u32>(KVM_SYSTEM_EVENT_WAKEUP), run_page(fd)->system_event.type);
	EXPECT_EQ(0, fake_host::waits().waits);
}

TEST_F(SystemSuspend, suspended_vcpu_without_a_wake_event_returns_to_a_signal)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_mp_state(fd, KVM_MP_STATE_SUSPENDED));
	ASSERT_TRUE(run_until_signal(fd));
	EXPECT_EQ(0, fake_arch::world_switches());
}

// A kick with nothing pending (another thread's KVM_IRQ_LINE that was lowered again, a
// stale wake request) wakes the blocked thread, which must go back to sleep: only a real
// wake-up event ends the suspend, here none, so the run ends with the signal instead.
TEST_F(SystemSuspend, spurious_wake_with_nothing_pending_keeps_blocking)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_mp_state(fd, KVM_MP_STATE_SUSPENDED));
	vcpu(fd)->wake_req = 1;
	ASSERT_TRUE(run_until_signal(fd));
	EXPECT_EQ(0u, vcpu(fd)->wake_req) << "the spurious wake was not even seen";
	EXPECT_EQ(0, fake_arch::world_switches());
	EXPECT_NE(KVM_EXIT_SYSTEM_EVENT, run_page(fd)->exit_reason);
}

} // namespace
