// SPDX-License-Identifier: GPL-2.0
// Firmware pseudo-registers: the PSCI version a VM's guests see, the states of the
// SMCCC ARCH_WORKAROUND calls, and the bitmaps of hypercall services the VMM allows.
// A VMM saves them on the source of a migration and restores them on the destination,
// where a value kvmx cannot honour fails the restore.
#include "firmware.hpp"
#include "vcpu.hpp"
#include "vm.hpp"
#include <linux/kvm.h>

namespace kvmx {

namespace {

constexpr u32 psci_version(u32 major, u32 minor)
{
	return major << 16 | minor;
}
constexpr u32 psci_latest = psci_version(1, 1);

// Hypercall services kvmx offers, per bitmap register (SMCCC and PSCI are always on):
// TRNG (trng.cpp), PV time (pvtime.cpp), KVM's vendor features and PTP (hypercalls.cpp).
constexpr u64 fw_bmap_supported[3] = {
	1ULL << KVM_REG_ARM_STD_BIT_TRNG_V1_0,
	1ULL << KVM_REG_ARM_STD_HYP_BIT_PV_TIME,
	1ULL << KVM_REG_ARM_VENDOR_HYP_BIT_FUNC_FEAT | 1ULL << KVM_REG_ARM_VENDOR_HYP_BIT_PTP,
};

bool psci_0_2(const Vcpu *vcpu)
{
	return vcpu->arch.features & 1u << KVM_ARM_VCPU_PSCI_0_2;
}

} // namespace

void firmware_vm_init(Vm *vm)
{
	// Everything on by default, as upstream: a VMM narrows it before the first run.
	for (u32 i = 0; i < 3; i++)
		vm->arch.fw_bmap[i] = fw_bmap_supported[i];
}

void firmware_vcpu_reset(Vcpu *vcpu)
{
	// kvmx implements none of the ARCH_WORKAROUND calls: tell the guest so, rather than
	// claim a mitigation or its absence on the host's behalf.
	vcpu->arch.fw.smccc_wa[0] = KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1_NOT_AVAIL;
	vcpu->arch.fw.smccc_wa[1] = KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_NOT_AVAIL;
	vcpu->arch.fw.smccc_wa[2] = KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3_NOT_AVAIL;
	if (!vcpu->vm->arch.psci_version)
		vcpu->vm->arch.psci_version = psci_latest;
}

Status firmware_reg_get(Vcpu *vcpu, u64 id, u64 *val)
{
	switch (id) {
	case KVM_REG_ARM_PSCI_VERSION:
		*val = psci_0_2(vcpu) ? vcpu->vm->arch.psci_version : 0;
		return Status::ok();
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1:
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2:
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3:
		*val = vcpu->arch.fw.smccc_wa[(id & 0xffff) - 1];
		return Status::ok();
	case KVM_REG_ARM_STD_BMAP:
	case KVM_REG_ARM_STD_HYP_BMAP:
	case KVM_REG_ARM_VENDOR_HYP_BMAP:
		*val = vcpu->vm->arch.fw_bmap[id & 0xffff];
		return Status::ok();
	default:
		return Status::error(-ENOENT);
	}
}

Status firmware_reg_set(Vcpu *vcpu, u64 id, u64 val)
{
	switch (id) {
	case KVM_REG_ARM_PSCI_VERSION:
		// PSCI 0.1 vCPUs only know 0.1 (reads 0); PSCI 0.2 ones may be pinned to any
		// version kvmx implements, so a guest migrated from an older host sees the same.
		if (!psci_0_2(vcpu))
			return val == 0 ? Status::ok() : Status::error(-EINVAL);
		if (val != psci_version(0, 2) && val != psci_version(1, 0) && val != psci_latest)
			return Status::error(-EINVAL);
		vcpu->vm->arch.psci_version = static_cast<u32>(val);
		return Status::ok();
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1:
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2:
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3:
		// Restoring a state kvmx cannot provide would lie to the guest.
		return val == vcpu->arch.fw.smccc_wa[(id & 0xffff) - 1] ? Status::ok()
									: Status::error(-EINVAL);
	case KVM_REG_ARM_STD_BMAP:
	case KVM_REG_ARM_STD_HYP_BMAP:
	case KVM_REG_ARM_VENDOR_HYP_BMAP:
		if (val & ~fw_bmap_supported[id & 0xffff])
			return Status::error(-EINVAL);
		if (load_acquire(&vcpu->vm->has_run) && val != vcpu->vm->arch.fw_bmap[id & 0xffff])
			return Status::error(-EBUSY);
		vcpu->vm->arch.fw_bmap[id & 0xffff] = val;
		return Status::ok();
	default:
		return Status::error(-ENOENT);
	}
}

u32 firmware_reg_list(u64 *out)
{
	constexpr u64 ids[] = {
		KVM_REG_ARM_PSCI_VERSION,
		KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1,
		KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2,
		KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3,
		KVM_REG_ARM_STD_BMAP,
		KVM_REG_ARM_STD_HYP_BMAP,
		KVM_REG_ARM_VENDOR_HYP_BMAP,
	};
	u32 n = sizeof(ids) / sizeof(ids[0]);
	for (u32 i = 0; out && i < n; i++)
		out[i] = ids[i];
	return n;
}

} // namespace kvmx
