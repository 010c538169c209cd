// SPDX-License-Identifier: GPL-2.0
// SMCCC (Arm DEN0028) dispatch for guest HVC and SMC calls: the SMCCC version and feature
// queries, then the PSCI service (psci.cpp). Anything else answers NOT_SUPPORTED in x0,
// as the specification requires of an unknown function ID.
#include "firmware.hpp"
#include "psci.hpp"
#include "vcpu.hpp"

namespace kvmx {

namespace {

constexpr u32 SMCCC_VERSION = 0x80000000;
constexpr u32 SMCCC_ARCH_FEATURES = 0x80000001;
constexpr u64 SMCCC_VERSION_1_1 = 0x10001;
constexpr u64 SMCCC_RET_NOT_SUPPORTED = ~0ULL; // -1

u64 arch_features(Vcpu *vcpu, u32 fid)
{
	switch (fid) {
	case SMCCC_VERSION:
	case SMCCC_ARCH_FEATURES:
		return 0;
	default:
		// The ARCH_WORKAROUND calls are not implemented (firmware.cpp reports them
		// NOT_AVAIL); PSCI features are asked through PSCI_FEATURES.
		return SMCCC_RET_NOT_SUPPORTED;
	}
}

} // namespace

Result<RunStep> smccc_call(Vcpu *vcpu)
{
	u64 *x = vcpu->arch.cpu.frame.x;
	u32 fid = static_cast<u32>(x[0]);
	vcpu->stats.hvc_exit_stat++;
	switch (fid) {
	case SMCCC_VERSION:
		x[0] = SMCCC_VERSION_1_1;
		return RunStep::resume;
	case SMCCC_ARCH_FEATURES:
		x[0] = arch_features(vcpu, static_cast<u32>(x[1]));
		return RunStep::resume;
	default:
		if (psci_owns(vcpu, fid))
			return psci_call(vcpu, fid);
		x[0] = SMCCC_RET_NOT_SUPPORTED;
		return RunStep::resume;
	}
}

} // namespace kvmx
