// SPDX-License-Identifier: GPL-2.0
// arm64 VM creation: the IPA-size type argument of KVM_CREATE_VM, the host check done at
// load, and the arm64 capability values. Must not touch system registers (the glue
// reads them and passes the values in), so this file also builds in the unit tests.
#include "arch.hpp"
#include "registry.hpp"
#include <linux/kvm.h>
#include <linux/kvmx.h>

namespace kvmx {

namespace {

// ARM ARM D19.2.64: ID_AA64MMFR0_EL1.PARange, bits [3:0], encodes the physical
// address size; 0b0110 (52 bits) needs FEAT_LPA, which a 4KB-granule stage 2 cannot map.
constexpr u32 parange_bits[] = { 32, 36, 40, 42, 44, 48, 52 };
constexpr u32 ipa_min_bits = 32;     // smallest PARange encoding
constexpr u32 ipa_default_bits = 40; // type 0 means 40 bits, as on upstream KVM
constexpr u32 ipa_max_bits_4k = 48;  // stage 2 uses the 4KB granule

} // namespace

u32 arm64_ipa_limit(u64 id_aa64mmfr0)
{
	u32 parange = id_aa64mmfr0 & 0xf;
	if (parange >= sizeof(parange_bits) / sizeof(parange_bits[0]))
		parange = sizeof(parange_bits) / sizeof(parange_bits[0]) - 1;
	u32 bits = parange_bits[parange];
	return bits > ipa_max_bits_4k ? ipa_max_bits_4k : bits;
}

Status arch_init(const kvmx_host_info &host)
{
	if (arm64_ipa_limit(host.arm64_id_aa64mmfr0) < ipa_default_bits) {
		kvmx_host_log(KVMX_LOG_ERR, "kvmx: host IPA range below %u bits\n",
			      ipa_default_bits);
		return Status::error(-ENODEV);
	}
	return Status::ok();
}

Status arch_vm_init(ArchVm &arch, unsigned long type)
{
	if (type & ~static_cast<unsigned long>(KVM_VM_TYPE_ARM_IPA_SIZE_MASK))
		return Status::error(-EINVAL);

	u32 bits = KVM_VM_TYPE_ARM_IPA_SIZE(type);
	if (bits == 0)
		bits = ipa_default_bits;
	else if (bits < ipa_min_bits || bits > arm64_ipa_limit(registry().host.arm64_id_aa64mmfr0))
		return Status::error(-EINVAL);
	arch.ipa_bits = bits;
	return Status::ok();
}

long arch_check_extension(const Vm *, u64 cap)
{
	switch (cap) {
	case KVM_CAP_ARM_VM_IPA_SIZE:
		return arm64_ipa_limit(registry().host.arm64_id_aa64mmfr0);
	default:
		// Known but not implemented on arm64 yet (vCPUs, PSCI, PV time), or a POWER
		// capability: reads 0, and every use fails.
		return 0;
	}
}

} // namespace kvmx
