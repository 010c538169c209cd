// SPDX-License-Identifier: GPL-2.0
// Stolen time for arm64 guests (Arm DEN0057A): the VMM places a 64-byte structure in
// guest memory per vCPU (KVM_ARM_VCPU_PVTIME_IPA); before each entry that follows the
// vCPU thread waiting for a CPU, kvmx stores the total time it waited there with one
// 64-bit little-endian store. Beyond upstream: the structure revision is a vCPU
// attribute (KVMX_ARM_VCPU_PVTIME_REVISION) so migrations to a host without it fail early.
#include "pvtime.hpp"
#include "dirty_log.hpp"
#include "firmware.hpp"
#include "registry.hpp"
#include "vcpu.hpp"
#include "vm.hpp"
#include <linux/kvm.h>
#include <linux/kvmx.h>

namespace kvmx {

namespace {

constexpr u32 PV_TIME_FEATURES = 0xc5000020, PV_TIME_ST = 0xc5000021;
constexpr u64 structure_size = 64;    // revision, attributes, stolen_time, padding
constexpr u64 stolen_time_offset = 8; // u64 after u32 revision and u32 attributes
constexpr u64 revisions_offered = 1;  // revision 0 only

// The host address of the structure, from the cache or (on a memslot generation
// change) from the memslots; bad_hva if the IPA is no longer guest memory.
u64 structure_hva(Vcpu *vcpu)
{
	PvTime &pv = vcpu->arch.pvtime;
	Vm *vm = vcpu->vm;
	SpinGuard mmu(vm->mmu_lock);
	u64 gen = vm->memslots->generation() + 1;
	if (pv.cached_gen != gen) {
		const Memslot *slot = vm->memslots->find(pv.ipa >> page_shift);
		pv.cached_hva =
			slot ? slot->gfn_to_hva(pv.ipa >> page_shift) + (pv.ipa & (page_size - 1))
			     : bad_hva;
		pv.cached_gen = gen;
		pv.lookups++;
	}
	return pv.cached_hva;
}

void mark_dirty(Vcpu *vcpu)
{
	Vm *vm = vcpu->vm;
	SpinGuard mmu(vm->mmu_lock);
	const Memslot *slot = vm->memslots->find(vcpu->arch.pvtime.ipa >> page_shift);
	if (slot)
		mark_page_dirty(vm, *slot, vcpu->arch.pvtime.ipa >> page_shift);
}

} // namespace

void pvtime_reset(Vcpu *vcpu)
{
	vcpu->arch.pvtime = PvTime{};
	vcpu->arch.pvtime.ipa = invalid_gpa;
}

bool pvtime_enabled(const Vcpu *vcpu)
{
	return vcpu->vm->arch.fw_bmap[1] & (1ULL << KVM_REG_ARM_STD_HYP_BIT_PV_TIME);
}

bool pvtime_host_supported()
{
	return registry().host.sched_info_on != 0;
}

namespace {

bool attr_exists(u64 attr)
{
	return pvtime_host_supported() &&
	       (attr == KVM_ARM_VCPU_PVTIME_IPA || attr == KVMX_ARM_VCPU_PVTIME_REVISION);
}

} // namespace

long pvtime_has_attr(Vcpu *, u64 attr)
{
	return attr_exists(attr) ? 0 : -ENXIO;
}

long pvtime_set_attr(Vcpu *vcpu, u64 attr, kvmx_uptr addr)
{
	PvTime &pv = vcpu->arch.pvtime;
	u64 val;
	if (!attr_exists(attr))
		return -ENXIO;
	if (kvmx_host_copy_from_user(&val, addr, sizeof(val)))
		return -EFAULT;
	if (attr == KVMX_ARM_VCPU_PVTIME_REVISION)
		return val < revisions_offered ? (pv.revision = val, 0) : -EINVAL;
	if (val & (structure_size - 1))
		return -EINVAL;
	if (pv.ipa != invalid_gpa)
		return -EEXIST;
	Vm *vm = vcpu->vm;
	bool in_memory;
	{
		SpinGuard mmu(vm->mmu_lock);
		in_memory = vm->memslots->find(val >> page_shift) != nullptr;
	}
	if (!in_memory)
		return -EINVAL;
	pv.ipa = val;
	pv.cached_gen = 0;
	// A fresh structure: revision, attributes and stolen time all zero.
	u64 hva = structure_hva(vcpu);
	u8 zero[structure_size] = {};
	if (hva == bad_hva || kvmx_host_copy_to_user(hva, zero, sizeof(zero))) {
		pv.ipa = invalid_gpa;
		return -EFAULT;
	}
	mark_dirty(vcpu);
	pv.stolen_ns = 0;
	pv.last_run_delay = kvmx_host_run_delay_ns();
	return 0;
}

long pvtime_get_attr(Vcpu *vcpu, u64 attr, kvmx_uptr addr)
{
	u64 val;
	if (!attr_exists(attr))
		return -ENXIO;
	if (attr == KVM_ARM_VCPU_PVTIME_IPA)
		val = vcpu->arch.pvtime.ipa;
	else if (attr == KVMX_ARM_VCPU_PVTIME_REVISION)
		val = vcpu->arch.pvtime.revision;
	else
		return -ENXIO;
	return kvmx_host_copy_to_user(addr, &val, sizeof(val)) ? -EFAULT : 0;
}

void pvtime_update(Vcpu *vcpu)
{
	PvTime &pv = vcpu->arch.pvtime;
	if (pv.ipa == invalid_gpa)
		return;
	u64 delay = kvmx_host_run_delay_ns();
	if (delay == pv.last_run_delay)
		return; // not scheduled out waiting since the last entry: nothing to publish
	u64 hva = structure_hva(vcpu);
	if (hva == bad_hva)
		return;
	u64 stolen = pv.stolen_ns + (delay - pv.last_run_delay);
	if (kvmx_host_put_user_u64(hva + stolen_time_offset, stolen))
		return; // user memory went away; the next entry tries again
	pv.stolen_ns = stolen;
	pv.last_run_delay = delay;
	mark_dirty(vcpu);
}

bool pvtime_call(Vcpu *vcpu, u32 fid)
{
	u64 *x = vcpu->arch.cpu.frame.x;
	PvTime &pv = vcpu->arch.pvtime;
	switch (fid) {
	case PV_TIME_FEATURES: {
		u32 feature = static_cast<u32>(x[1]);
		bool ok = pvtime_enabled(vcpu) && pv.ipa != invalid_gpa &&
			  (feature == PV_TIME_FEATURES || feature == PV_TIME_ST);
		x[0] = ok ? SMCCC_RET_SUCCESS : SMCCC_RET_NOT_SUPPORTED;
		return true;
	}
	case PV_TIME_ST:
		x[0] = pvtime_enabled(vcpu) && pv.ipa != invalid_gpa ? pv.ipa
								     : SMCCC_RET_NOT_SUPPORTED;
		return true;
	default:
		return false;
	}
}

} // namespace kvmx
