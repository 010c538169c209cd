// SPDX-License-Identifier: GPL-2.0
// KUnit suite kvmx_psci: the PSCI state machine (psci.cpp) on real VMs and vCPUs:
// CPU_ON posts a power-on the target applies itself, AFFINITY_INFO follows the power
// states, CPU_OFF and SYSTEM_OFF stop vCPUs, SYSTEM_SUSPEND only when enabled and alone.
#include "arch_vcpu.hpp"
#include "psci.hpp"
#include "vcpu_helpers.hpp"

namespace kvmx::ktest {

namespace {

constexpr u64 PSCI_VERSION = 0x84000000, CPU_OFF = 0x84000002, CPU_ON64 = 0xc4000003;
constexpr u64 AFFINITY_INFO64 = 0xc4000004, SYSTEM_OFF = 0x84000008;
constexpr u64 PSCI_FEATURES = 0x8400000a, SYSTEM_SUSPEND64 = 0xc400000e;
constexpr u64 RET_NOT_SUPPORTED = ~0ULL, RET_INVALID_PARAMS = -2ULL, RET_DENIED = -3ULL;
constexpr u64 RET_ALREADY_ON = -4ULL, RET_INVALID_ADDRESS = -9ULL;
constexpr u64 AFFINITY_ON = 0, AFFINITY_OFF = 1;

// A VM with two PSCI 0.2 vCPUs: 0 running, 1 powered off.
struct Pair {
	UserMm mm;
	TestVm vm;
	Vcpu *v0 = nullptr, *v1 = nullptr;

	bool setup(struct ::kunit *test)
	{
		if (!KX_EXPECT(test, mm.ok()) || !KX_EXPECT(test, vm.get() != nullptr))
			return false;
		v0 = vm.add_vcpu(0);
		v1 = vm.add_vcpu(1);
		if (!KX_EXPECT(test, v0 && v1))
			return false;
		return KX_EXPECT_EQ(test, 0, init_vcpu(mm, v0, psci_0_2_feature)) &&
		       KX_EXPECT_EQ(test, 0,
				    init_vcpu(mm, v1, psci_0_2_feature | power_off_feature));
	}
};

void version_and_features_are_psci_1_1(struct ::kunit *test)
{
	Pair p;
	if (!p.setup(test))
		return;
	KX_EXPECT_EQ(test, 0x10001, guest_call(p.v0, PSCI_VERSION));
	KX_EXPECT_EQ(test, 0, guest_call(p.v0, PSCI_FEATURES, CPU_ON64));
	KX_EXPECT_EQ(test, 0, guest_call(p.v0, PSCI_FEATURES, AFFINITY_INFO64));
	// SYSTEM_SUSPEND only once the VMM enabled it.
	KX_EXPECT_EQ(test, RET_NOT_SUPPORTED, guest_call(p.v0, PSCI_FEATURES, SYSTEM_SUSPEND64));
	p.vm.get()->arch.system_suspend = true;
	KX_EXPECT_EQ(test, 0, guest_call(p.v0, PSCI_FEATURES, SYSTEM_SUSPEND64));
	KX_EXPECT_EQ(test, RET_NOT_SUPPORTED, guest_call(p.v0, PSCI_FEATURES, 0x8400001f));
}

void cpu_on_posts_a_power_on_that_the_target_applies(struct ::kunit *test)
{
	Pair p;
	if (!p.setup(test))
		return;
	KX_EXPECT_EQ(test, KVM_MP_STATE_STOPPED, p.v1->arch.mp_state);
	const u64 mpidr1 = p.v1->arch.cpu.vmpidr, entry = 0x40080000, ctx = 0x1234;
	KX_EXPECT_EQ(test, AFFINITY_OFF, guest_call(p.v0, AFFINITY_INFO64, mpidr1, 0));
	KX_EXPECT_EQ(test, 0, guest_call(p.v0, CPU_ON64, mpidr1, entry, ctx));
	KX_EXPECT_EQ(test, KVM_MP_STATE_RUNNABLE, p.v1->arch.mp_state);
	KX_EXPECT(test, p.v1->arch.power_on.pending);
	KX_EXPECT_EQ(test, AFFINITY_ON, guest_call(p.v0, AFFINITY_INFO64, mpidr1, 0));
	// Nothing of the target changed yet: it applies the request on its own thread.
	KX_EXPECT(test, p.v1->arch.cpu.pc != entry);
	psci_apply_power_on(p.v1);
	KX_EXPECT(test, !p.v1->arch.power_on.pending);
	KX_EXPECT_EQ(test, entry, p.v1->arch.cpu.pc);
	KX_EXPECT_EQ(test, ctx, p.v1->arch.cpu.frame.x[0]);
	KX_EXPECT_EQ(test, mpidr1, p.v1->arch.cpu.vmpidr); // its identity survives the reset
	// A second CPU_ON finds it on.
	KX_EXPECT_EQ(test, RET_ALREADY_ON, guest_call(p.v0, CPU_ON64, mpidr1, entry, ctx));
}

void cpu_on_and_affinity_info_check_their_arguments(struct ::kunit *test)
{
	Pair p;
	if (!p.setup(test))
		return;
	const u64 mpidr1 = p.v1->arch.cpu.vmpidr;
	KX_EXPECT_EQ(test, RET_INVALID_PARAMS, guest_call(p.v0, CPU_ON64, 0xff00ffffffULL, 0, 0));
	KX_EXPECT_EQ(test, RET_INVALID_PARAMS, guest_call(p.v0, AFFINITY_INFO64, mpidr1, 4));
	KX_EXPECT_EQ(test, RET_INVALID_PARAMS,
		     guest_call(p.v0, AFFINITY_INFO64, 0xff00ffffffULL, 0));
	// Level 1 ignores Aff0: both vCPUs share Aff1..3, and vCPU 0 is on.
	KX_EXPECT_EQ(test, AFFINITY_ON, guest_call(p.v0, AFFINITY_INFO64, mpidr1, 1));
	KX_EXPECT(test, !p.v1->arch.power_on.pending);
	KX_EXPECT_EQ(test, KVM_MP_STATE_STOPPED, p.v1->arch.mp_state);
	// A vCPU that was never initialised cannot be turned on.
	Vcpu *v2 = p.vm.add_vcpu(2);
	if (!KX_EXPECT(test, v2 != nullptr))
		return;
	KX_EXPECT_EQ(test, RET_INVALID_PARAMS, guest_call(p.v0, CPU_ON64, 2, 0x1000, 0));
}

void cpu_off_stops_the_caller_only(struct ::kunit *test)
{
	Pair p;
	if (!p.setup(test))
		return;
	KX_EXPECT_EQ(test, 0, guest_call(p.v0, CPU_ON64, p.v1->arch.cpu.vmpidr, 0x1000, 0));
	psci_apply_power_on(p.v1);
	RunStep step = RunStep::exit_user;
	guest_call(p.v1, CPU_OFF, 0, 0, 0, &step);
	KX_EXPECT(test, step == RunStep::resume);
	KX_EXPECT_EQ(test, KVM_MP_STATE_STOPPED, p.v1->arch.mp_state);
	KX_EXPECT_EQ(test, KVM_MP_STATE_RUNNABLE, p.v0->arch.mp_state);
	KX_EXPECT_EQ(test, AFFINITY_OFF,
		     guest_call(p.v0, AFFINITY_INFO64, p.v1->arch.cpu.vmpidr, 0));
}

void system_off_stops_every_vcpu_and_exits_to_the_vmm(struct ::kunit *test)
{
	Pair p;
	if (!p.setup(test))
		return;
	KX_EXPECT_EQ(test, 0, guest_call(p.v0, CPU_ON64, p.v1->arch.cpu.vmpidr, 0x1000, 0));
	RunStep step = RunStep::resume;
	guest_call(p.v0, SYSTEM_OFF, 0, 0, 0, &step);
	KX_EXPECT(test, step == RunStep::exit_user);
	KX_EXPECT_EQ(test, KVM_EXIT_SYSTEM_EVENT, p.v0->run->exit_reason);
	KX_EXPECT_EQ(test, KVM_SYSTEM_EVENT_SHUTDOWN, p.v0->run->system_event.type);
	KX_EXPECT_EQ(test, KVM_MP_STATE_STOPPED, p.v0->arch.mp_state);
	KX_EXPECT_EQ(test, KVM_MP_STATE_STOPPED, p.v1->arch.mp_state);
}

void system_suspend_needs_the_cap_a_valid_entry_and_no_other_vcpu_on(struct ::kunit *test)
{
	Pair p;
	if (!p.setup(test))
		return;
	Vm *vm = p.vm.get();
	RunStep step = RunStep::exit_user;
	KX_EXPECT_EQ(test, RET_NOT_SUPPORTED,
		     guest_call(p.v0, SYSTEM_SUSPEND64, 0x1000, 0, 0, &step));
	KX_EXPECT(test, step == RunStep::resume);
	// Enabled the way a VMM does it, through KVM_ENABLE_CAP on the VM.
	kvm_enable_cap cap = {};
	cap.cap = KVM_CAP_ARM_SYSTEM_SUSPEND;
	kvmx_uptr u = p.mm.map(4096);
	if (!KX_EXPECT(test, u && !kvmx_host_copy_to_user(u, &cap, sizeof(cap))))
		return;
	KX_EXPECT_EQ(test, 0, vm_ioctl(vm, KVM_ENABLE_CAP, u));
	KX_EXPECT(test, vm->arch.system_suspend);
	KX_EXPECT_EQ(test, RET_INVALID_ADDRESS,
		     guest_call(p.v0, SYSTEM_SUSPEND64, 1ULL << vm->arch.ipa_bits, 0, 0, &step));
	// vCPU 1 on: denied.
	KX_EXPECT_EQ(test, 0, guest_call(p.v0, CPU_ON64, p.v1->arch.cpu.vmpidr, 0x1000, 0));
	KX_EXPECT_EQ(test, RET_DENIED, guest_call(p.v0, SYSTEM_SUSPEND64, 0x2000, 7, 0, &step));
	KX_EXPECT(test, step == RunStep::resume);
	// vCPU 1 off again: the caller is reset to the resume point and the VMM is told.
	psci_apply_power_on(p.v1);
	guest_call(p.v1, CPU_OFF);
	guest_call(p.v0, SYSTEM_SUSPEND64, 0x2000, 7, 0, &step);
	KX_EXPECT(test, step == RunStep::exit_user);
	KX_EXPECT_EQ(test, KVM_EXIT_SYSTEM_EVENT, p.v0->run->exit_reason);
	KX_EXPECT_EQ(test, KVM_SYSTEM_EVENT_SUSPEND, p.v0->run->system_event.type);
	KX_EXPECT_EQ(test, 0x2000, p.v0->arch.cpu.pc);
	KX_EXPECT_EQ(test, 7, p.v0->arch.cpu.frame.x[0]);
}

void psci_0_1_vcpus_see_only_kvm_function_ids(struct ::kunit *test)
{
	UserMm mm;
	if (!KX_EXPECT(test, mm.ok()))
		return;
	TestVm vm;
	if (!KX_EXPECT(test, vm.get() != nullptr))
		return;
	Vcpu *v0 = vm.add_vcpu(0), *v1 = vm.add_vcpu(1);
	if (!KX_EXPECT(test, v0 && v1))
		return;
	KX_EXPECT_EQ(test, 0, init_vcpu(mm, v0, 0));
	KX_EXPECT_EQ(test, 0, init_vcpu(mm, v1, power_off_feature));
	KX_EXPECT(test, psci_owns(v0, KVM_PSCI_FN_CPU_ON));
	KX_EXPECT(test, !psci_owns(v0, CPU_ON64));
	KX_EXPECT(test, !psci_owns(v0, PSCI_VERSION));
	// KVM's 0.1 CPU_ON works; 0.1 reports a running target as invalid, not ALREADY_ON.
	KX_EXPECT_EQ(test, 0, guest_call(v0, KVM_PSCI_FN_CPU_ON, v1->arch.cpu.vmpidr, 0x1000, 0));
	KX_EXPECT_EQ(test, RET_INVALID_PARAMS,
		     guest_call(v0, KVM_PSCI_FN_CPU_ON, v1->arch.cpu.vmpidr, 0x1000, 0));
}

} // namespace

} // namespace kvmx::ktest

extern "C" const struct kvmx_kunit_case kvmx_kunit_psci_cases[] = {
	{ "version_and_features_are_psci_1_1", kvmx::ktest::version_and_features_are_psci_1_1 },
	{ "cpu_on_posts_a_power_on_that_the_target_applies",
	  kvmx::ktest::cpu_on_posts_a_power_on_that_the_target_applies },
	{ "cpu_on_and_affinity_info_check_their_arguments",
	  kvmx::ktest::cpu_on_and_affinity_info_check_their_arguments },
	{ "cpu_off_stops_the_caller_only", kvmx::ktest::cpu_off_stops_the_caller_only },
	{ "system_off_stops_every_vcpu_and_exits_to_the_vmm",
	  kvmx::ktest::system_off_stops_every_vcpu_and_exits_to_the_vmm },
	{ "system_suspend_needs_the_cap_a_valid_entry_and_no_other_vcpu_on",
	  kvmx::ktest::system_suspend_needs_the_cap_a_valid_entry_and_no_other_vcpu_on },
	{ "psci_0_1_vcpus_see_only_kvm_function_ids",
	  kvmx::ktest::psci_0_1_vcpus_see_only_kvm_function_ids },
	{ nullptr, nullptr },
};
