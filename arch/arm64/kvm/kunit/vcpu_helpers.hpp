// SPDX-License-Identifier: GPL-2.0
// Shared by the arm64 KUnit suites that need initialised vCPUs: KVM_ARM_VCPU_INIT
// through the vCPU ioctl path with its argument in user memory, and SMCCC calls made
// as the guest would (x0..x3, then the HVC exit's handler).
#pragma once

#include "firmware.hpp"
#include "kunit/check.hpp"
#include <linux/kvm.h>

namespace kvmx::ktest {

inline long init_vcpu(const UserMm &mm, Vcpu *vcpu, u32 features)
{
	kvm_vcpu_init init = {};
	init.target = KVM_ARM_TARGET_GENERIC_V8;
	init.features[0] = features;
	kvmx_uptr u = mm.map(4096);
	if (!u || kvmx_host_copy_to_user(u, &init, sizeof(init)))
		return -EFAULT;
	return vcpu_ioctl(vcpu, KVM_ARM_VCPU_INIT, u);
}

// The guest's SMCCC call: x0 after the call, *step the run loop's next step.
inline u64 guest_call(Vcpu *vcpu, u64 x0, u64 x1 = 0, u64 x2 = 0, u64 x3 = 0,
		      RunStep *step = nullptr)
{
	u64 *x = vcpu->arch.cpu.frame.x;
	x[0] = x0;
	x[1] = x1;
	x[2] = x2;
	x[3] = x3;
	Result<RunStep> r = smccc_call(vcpu, 0x16ULL << 26 | 1ULL << 25); // HVC64
	if (step)
		*step = r.is_ok() ? r.value() : RunStep::exit_user;
	return x[0];
}

constexpr u32 psci_0_2_feature = 1u << KVM_ARM_VCPU_PSCI_0_2;
constexpr u32 power_off_feature = 1u << KVM_ARM_VCPU_POWER_OFF;

} // namespace kvmx::ktest
