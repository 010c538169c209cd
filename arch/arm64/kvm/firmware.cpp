// SPDX-License-Identifier: GPL-2.0
// Firmware pseudo-registers: the PSCI version a VM's guests see, the states of the
// SMCCC ARCH_WORKAROUND calls, and the bitmaps of hypercall services the VMM allows.
// A VMM saves them on the source of a migration and restores them on the destination,
// where a value kvmx cannot honour fails the restore.
#include "firmware.hpp"
#include "id_regs.hpp"
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

// ARCH_WORKAROUND_1..3, as register index 0..2 (KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_n - 1).
constexpr u32 wa_index(u64 id)
{
	return static_cast<u32>(id & 0xffff) - 1;
}

// The best level kvmx can stand behind for workaround @index. kvmx implements none of the
// calls, so a level is NOT_REQUIRED where the hardware's ID registers say the CPU is not
// affected (Spectre v2: CSV2; Spectre-BHB: CSV2 3 or ECBHB), NOT_AVAIL otherwise. Upstream
// asks the host kernel's mitigation state instead (MIDR lists, firmware), which a module
// cannot; the ID registers may understate it, never overstate.
u64 wa_host_level(u32 index)
{
	switch (index) {
	case 0:
		return host_not_affected_by_spectre_v2()
			       ? KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1_NOT_REQUIRED
			       : KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1_NOT_AVAIL;
	case 2:
		return host_not_affected_by_spectre_bhb()
			       ? KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3_NOT_REQUIRED
			       : KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3_NOT_AVAIL;
	default:
		// Speculative store bypass: no ID register tells whether the CPU is affected.
		return KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_NOT_AVAIL;
	}
}

// ONE_REG write of workaround @index: a level no better than the host's (upstream's
// rule); WORKAROUND_2's UNKNOWN reads as NOT_AVAIL, its AVAIL (with or without ENABLED,
// the firmware's dynamic mitigation) as NOT_REQUIRED, as upstream maps them. The guest
// keeps the level it was told, so a migration never changes its answer.
Status wa_set(Vcpu *vcpu, u32 index, u64 val)
{
	constexpr u64 level_mask = 0xf; // the level [3:0] (upstream's FEATURE_LEVEL)
	u64 level = val & level_mask;
	if (index == 1) {
		if (val & ~(level_mask | KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_ENABLED))
			return Status::error(-EINVAL);
		if ((val & KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_ENABLED) &&
		    level != KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_AVAIL)
			return Status::error(-EINVAL);
		switch (level) {
		case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_NOT_AVAIL:
		case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_UNKNOWN:
			level = KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_NOT_AVAIL;
			break;
		case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_AVAIL:
		case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_NOT_REQUIRED:
			level = KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_NOT_REQUIRED;
			break;
		default:
			return Status::error(-EINVAL);
		}
	} else if (val & ~level_mask) {
		return Status::error(-EINVAL);
	}
	if (level > wa_host_level(index))
		return Status::error(-EINVAL);
	vcpu->arch.fw.smccc_wa[index] = level;
	return Status::ok();
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
	for (u32 i = 0; i < 3; i++)
		vcpu->arch.fw.smccc_wa[i] = wa_host_level(i);
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
		*val = vcpu->arch.fw.smccc_wa[wa_index(id)];
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
		return wa_set(vcpu, wa_index(id), val);
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

u64 smccc_workaround_features(const Vcpu *vcpu, u32 fid)
{
	// Per workaround: its register (smccc_wa index), the level that means "not
	// required", and the answer for it (1: this CPU is unaffected).
	struct Workaround {
		u32 fid, reg;
		u64 not_required, answer;
	};
	static constexpr Workaround workarounds[] = {
		{ SMCCC_ARCH_WORKAROUND_1, 0, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1_NOT_REQUIRED, 1 },
		{ SMCCC_ARCH_WORKAROUND_2, 1, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_NOT_REQUIRED,
		  SMCCC_RET_NOT_REQUIRED },
		{ SMCCC_ARCH_WORKAROUND_3, 2, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3_NOT_REQUIRED, 1 },
	};
	for (const Workaround &w : workarounds) {
		if (w.fid == fid)
			return vcpu->arch.fw.smccc_wa[w.reg] == w.not_required
				       ? w.answer
				       : SMCCC_RET_NOT_SUPPORTED;
	}
	return SMCCC_RET_NOT_SUPPORTED;
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
