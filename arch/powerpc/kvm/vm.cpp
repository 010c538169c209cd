// SPDX-License-Identifier: GPL-2.0
// POWER9 VM creation: KVM_CREATE_VM's type (KVM_VM_PPC_HV; PR guests are not kvmx's),
// the host check done at load, KVM_PPC_CONFIGURE_V3_MMU and the POWER capability values.
// Every capability reads what works today: the POWER ones read 0 until guests run.
#include "arch.hpp"
#include "ioctl.hpp"
#include "vcpu.hpp"
#include "vm.hpp"
#include <linux/kvm.h>
#include <linux/kvmx.h>

namespace kvmx {

namespace {

// Radix guest real addresses: the partition-scoped tree kvmx will build covers 52 bits
// (Power ISA 3.0B, radix tree root RTS + 31), as upstream's radix guests.
constexpr u32 guest_ra_bits = 52;

// Process-table doubleword (PATE1) fields of Power ISA 3.0B: GR (guest radix) in bit 0,
// the table size PRTS (2^(12 + PRTS) bytes) in the low 5 bits.
constexpr u64 pate1_gr = 1ull << 63;
constexpr u64 pate1_prts_mask = 0x1f;
constexpr u64 prts_max = 24; // upstream's bound: a 64 GB process table at most

} // namespace

int ppc_check_mmuv3_cfg(u64 flags, u64 process_table)
{
	if (flags & ~static_cast<u64>(KVM_PPC_MMUV3_RADIX | KVM_PPC_MMUV3_GTSE))
		return -EINVAL;
	if (!(flags & KVM_PPC_MMUV3_RADIX))
		return -EINVAL; // hash (HPT) guests: not supported by kvmx
	if (!(process_table & pate1_gr))
		return -EINVAL; // GR must agree with the RADIX flag
	if ((process_table & pate1_prts_mask) > prts_max)
		return -EINVAL;
	return 0;
}

Status arch_init(const kvmx_host_info &host)
{
	// The glue has checked HV mode, ISA 3.0 and a radix host (arch-powerpc.c).
	if (!host.ppc_hv_radix) {
		kvmx_host_log(KVMX_LOG_ERR, "kvmx: host is not a radix POWER9 hypervisor\n");
		return Status::error(-ENODEV);
	}
	return Status::ok();
}

Status arch_vm_init(ArchVm &arch, unsigned long type)
{
	// Type 0 lets upstream pick HV or PR; kvmx has only HV.
	if (type != 0 && type != KVM_VM_PPC_HV)
		return Status::error(-EINVAL);
	arch.ipa_bits = guest_ra_bits;
	return Status::ok();
}

Status arch_vm_create(Vm *vm)
{
	vm->arch.mmu_cfg = kvmx_host_mutex_create();
	return vm->arch.mmu_cfg ? Status::ok() : Status::error(-ENOMEM);
}

void arch_vm_destroy(Vm *vm)
{
	if (vm->arch.mmu_cfg)
		kvmx_host_mutex_destroy(vm->arch.mmu_cfg);
	vm->arch.mmu_cfg = nullptr;
}

void arch_vm_unmap_gfns(Vm *, u64, u64)
{
	// No partition-scoped table exists yet, so nothing maps guest memory.
}

long arch_check_extension(const Vm *, u64)
{
	// KVM_CAP_PPC_PAPR, _MMU_RADIX, _IRQ_XIVE, KVMX_CAP_PPC_STOP0LITE, ONE_REG, SYNC_MMU,
	// IMMEDIATE_EXIT...: no POWER guest runs on kvmx yet, so none of them works and each
	// reads 0. The arm64 capabilities read 0 here too.
	return 0;
}

namespace {

long configure_v3_mmu(Vm *vm, unsigned long arg)
{
	kvm_ppc_mmuv3_cfg cfg;
	if (kvmx_host_copy_from_user(&cfg, arg, sizeof(cfg)))
		return -EFAULT;
	int r = ppc_check_mmuv3_cfg(cfg.flags, cfg.process_table);
	if (r)
		return r;
	kvmx_host_mutex_lock(vm->arch.mmu_cfg);
	vm->arch.mmu_flags = cfg.flags;
	vm->arch.process_table = cfg.process_table;
	vm->arch.mmu_v3 = true;
	kvmx_host_mutex_unlock(vm->arch.mmu_cfg);
	return 0;
}

} // namespace

long arch_vm_ioctl(Vm *vm, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case KVM_PPC_CONFIGURE_V3_MMU:
		return configure_v3_mmu(vm, arg);
	case KVM_ENABLE_CAP: {
		kvm_enable_cap cap;
		if (kvmx_host_copy_from_user(&cap, arg, sizeof(cap)))
			return -EFAULT;
		return -EINVAL; // no VM capability can be enabled yet
	}
	case KVM_CREATE_DEVICE: {
		kvm_create_device dev;
		if (kvmx_host_copy_from_user(&dev, arg, sizeof(dev)))
			return -EFAULT;
		return -ENODEV; // no XIVE device yet: every type is unknown
	}
	default:
		return unknown_ioctl(cmd);
	}
}

} // namespace kvmx
