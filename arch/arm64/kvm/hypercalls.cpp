// SPDX-License-Identifier: GPL-2.0
// SMCCC (Arm DEN0028) dispatch for guest HVC and SMC calls: the SMCCC version and feature
// queries, then the PSCI service (psci.cpp). Anything else answers NOT_SUPPORTED in x0,
// as the specification requires of an unknown function ID.
#include "aarch32.hpp"
#include "firmware.hpp"
#include "psci.hpp"
#include "pvtime.hpp"
#include "smccc_filter.hpp"
#include "trng.hpp"
#include "vcpu.hpp"
#include "vm.hpp"
#include <linux/kvm.h>
#include <linux/kvmx.h>

namespace kvmx {

namespace {

constexpr u32 SMCCC_VERSION = 0x80000000;
constexpr u32 SMCCC_ARCH_FEATURES = 0x80000001;
constexpr u64 SMCCC_VERSION_1_1 = 0x10001;
constexpr u32 PV_TIME_FEATURES = 0xc5000020;
constexpr u32 SMCCC_SMC64 = 0x40000000; // function id bit 30: the SMC64/HVC64 convention

// KVM's vendor-specific hypervisor service (Documentation/virt/kvm/arm/hypercalls.rst):
// its UID, the feature bitmap call and the PTP clock pair.
constexpr u32 VENDOR_HYP_CALL_UID = 0x8600ff01, VENDOR_HYP_KVM_FEATURES = 0x86000000;
constexpr u32 VENDOR_HYP_KVM_PTP = 0x86000001;
constexpr u64 kvm_uid[4] = { 0xb66fb428, 0xe911c52e, 0x564bcaa9, 0x743a004d };
constexpr u64 KVM_PTP_VIRT_COUNTER = 0, KVM_PTP_PHYS_COUNTER = 1;

bool vendor_enabled(const Vcpu *vcpu, u32 bit)
{
	return vcpu->vm->arch.fw_bmap[2] & (1ULL << bit);
}

bool vendor_call(Vcpu *vcpu, u32 fid)
{
	u64 *x = vcpu->arch.cpu.frame.x;
	switch (fid) {
	case VENDOR_HYP_CALL_UID:
		if (!vendor_enabled(vcpu, KVM_REG_ARM_VENDOR_HYP_BIT_FUNC_FEAT))
			break;
		for (u32 i = 0; i < 4; i++)
			x[i] = kvm_uid[i];
		return true;
	case VENDOR_HYP_KVM_FEATURES:
		if (!vendor_enabled(vcpu, KVM_REG_ARM_VENDOR_HYP_BIT_FUNC_FEAT))
			break;
		x[0] = vcpu->vm->arch.fw_bmap[2]; // bit n: vendor function n is offered
		x[1] = x[2] = x[3] = 0;
		return true;
	case VENDOR_HYP_KVM_PTP: {
		if (!vendor_enabled(vcpu, KVM_REG_ARM_VENDOR_HYP_BIT_PTP))
			break;
		// Wall clock and counter sampled together: x0/x1 the time in ns, x2/x3 the
		// virtual (or physical) counter, each split into high and low 32 bits.
		u64 which = x[1];
		if (which != KVM_PTP_VIRT_COUNTER && which != KVM_PTP_PHYS_COUNTER)
			break;
		unsigned long flags = kvmx_host_irq_save();
		u64 ns = kvmx_host_realtime_ns();
		u64 cnt = arm64_counter();
		kvmx_host_irq_restore(flags);
		cnt -= which == KVM_PTP_VIRT_COUNTER ? vcpu->vm->arch.cntvoff
						     : vcpu->vm->arch.cntpoff;
		x[0] = ns >> 32;
		x[1] = ns & 0xffffffffULL;
		x[2] = cnt >> 32;
		x[3] = cnt & 0xffffffffULL;
		return true;
	}
	default:
		return false;
	}
	x[0] = SMCCC_RET_NOT_SUPPORTED;
	return true;
}

u64 arch_features(Vcpu *vcpu, u32 fid)
{
	if (!smccc_fid_callable(vcpu, fid))
		return SMCCC_RET_NOT_SUPPORTED;
	switch (fid) {
	case SMCCC_VERSION:
	case SMCCC_ARCH_FEATURES:
		return 0;
	case PV_TIME_FEATURES:
		return pvtime_enabled(vcpu) ? 0 : SMCCC_RET_NOT_SUPPORTED;
	case SMCCC_ARCH_WORKAROUND_1:
	case SMCCC_ARCH_WORKAROUND_2:
	case SMCCC_ARCH_WORKAROUND_3:
		return smccc_workaround_features(vcpu, fid);
	default:
		// PSCI features are asked through PSCI_FEATURES.
		return SMCCC_RET_NOT_SUPPORTED;
	}
}

// KVM_EXIT_HYPERCALL for the SMCCC filter's FWD_TO_USER: the function id, and whether the
// guest used SMC and a 16-bit (T32) instruction; PC is already past the call and the
// VMM reads and writes the arguments and results as registers (ONE_REG).
RunStep forward_to_user(Vcpu *vcpu, u32 fid, u64 esr)
{
	constexpr u32 EC_SMC32 = 0x13, EC_SMC64 = 0x17;
	constexpr u64 ESR_IL = 1ULL << 25;
	u32 ec = static_cast<u32>(esr >> 26) & 0x3f;
	u64 flags = 0;
	if (ec == EC_SMC32 || ec == EC_SMC64)
		flags |= KVM_HYPERCALL_EXIT_SMC;
	if (!(esr & ESR_IL))
		flags |= KVM_HYPERCALL_EXIT_16BIT;
	kvm_run *run = vcpu->run;
	run->exit_reason = KVM_EXIT_HYPERCALL;
	run->hypercall.nr = fid;
	for (u64 &arg : run->hypercall.args)
		arg = 0;
	run->hypercall.ret = 0;
	// hypercall.flags (6.4) is a u64 over 6.1's longmode and pad: written by offset so
	// that either header's layout builds.
	auto *base = reinterpret_cast<u8 *>(run);
	__builtin_memcpy(base + __builtin_offsetof(kvm_run, hypercall.longmode), &flags,
			 sizeof(flags));
	return RunStep::exit_user;
}

} // namespace

bool smccc_fid_callable(const Vcpu *vcpu, u32 fid)
{
	return !(fid & SMCCC_SMC64) || !in_aarch32(vcpu->arch.cpu);
}

Result<RunStep> smccc_call(Vcpu *vcpu, u64 esr)
{
	u64 *x = vcpu->arch.cpu.frame.x;
	u32 fid = static_cast<u32>(x[0]);
	vcpu->stats.hvc_exit_stat++;
	// The VMM's filter comes before kvmx's own services (upstream's order).
	switch (smccc_filter_action(vcpu->vm, fid)) {
	case KVM_SMCCC_FILTER_DENY:
		x[0] = SMCCC_RET_NOT_SUPPORTED;
		return RunStep::resume;
	case KVM_SMCCC_FILTER_FWD_TO_USER:
		return forward_to_user(vcpu, fid, esr);
	default:
		break;
	}
	if (!smccc_fid_callable(vcpu, fid)) {
		x[0] = SMCCC_RET_NOT_SUPPORTED;
		return RunStep::resume;
	}
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
		if (!trng_call(vcpu, fid) && !pvtime_call(vcpu, fid) && !vendor_call(vcpu, fid))
			x[0] = SMCCC_RET_NOT_SUPPORTED;
		return RunStep::resume;
	}
}

} // namespace kvmx
