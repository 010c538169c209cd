// SPDX-License-Identifier: GPL-2.0
// VM lifetime and VM-fd ioctls. Owns the VM count against the max_vms limit; must not
// know about fds or processes (the glue owns those).
#include "vm.hpp"
#include "caps.hpp"
#include "ioctl.hpp"
#include "registry.hpp"
#include "vcpu.hpp"
#include <linux/kvm.h>

namespace kvmx {

namespace {

Status vm_init_memory(Vm *vm)
{
	vm->lock = kvmx_host_mutex_create();
	vm->mmu_lock = kvmx_host_spinlock_create();
	vm->vcpus = static_cast<Vcpu **>(kvmx_host_zalloc(sizeof(Vcpu *) * max_vcpus));
	if (!vm->lock || !vm->mmu_lock || !vm->vcpus)
		return Status::error(-ENOMEM);
	Result<MemslotTable *> slots = MemslotTable::create();
	if (!slots.is_ok())
		return Status::error(slots.err());
	vm->memslots = slots.value();
	Status st = arch_vm_create(vm);
	if (!st.is_ok())
		return st;
	// Last: from here on the notifier may call back into this VM.
	vm->mmu_notifier = kvmx_host_mmu_notifier_register(vm);
	return vm->mmu_notifier ? Status::ok() : Status::error(-ENOMEM);
}

void vm_free(Vm *vm)
{
	// First: no notifier callback may run while the VM is taken apart.
	kvmx_host_mmu_notifier_unregister(vm->mmu_notifier);
	for (u32 i = 0; vm->vcpus && i < vm->nr_vcpus; i++)
		vcpu_free(vm->vcpus[i]);
	arch_vm_destroy(vm);
	MemslotTable::destroy(vm->memslots);
	kvmx_host_free(vm->vcpus);
	kvmx_host_spinlock_destroy(vm->mmu_lock);
	kvmx_host_mutex_destroy(vm->lock);
	destroy(vm);
}

// Unmap a slot's whole range from stage 2 (mmu_lock held).
void unmap_slot(Vm *vm, const Memslot &slot)
{
	arch_vm_unmap_gfns(vm, slot.base_gfn, slot.npages);
}

long set_user_memory_region(Vm *vm, unsigned long arg)
{
	kvm_userspace_memory_region region;

	if (kvmx_host_copy_from_user(&region, arg, sizeof(region)))
		return -EFAULT;
	// The table checks alignment and wrap-around; whether the range is user memory of
	// this process (access_ok, untagged) only the host can tell. Deletion ignores it.
	if (region.memory_size &&
	    !kvmx_host_user_range_ok(region.userspace_addr, region.memory_size))
		return -EINVAL;
	MutexGuard guard(vm->lock);
	SpinGuard mmu(vm->mmu_lock);
	Result<MemslotUpdate> update = vm->memslots->set(region, vm->arch.ipa_bits);
	if (!update.is_ok())
		return update.err();
	// Whatever the old slot mapped is stale: removed, moved, or (flags) now read-only
	// or dirty-logged, which the fault path must see again page by page.
	switch (update.value().change) {
	case MemslotChange::remove:
	case MemslotChange::move:
	case MemslotChange::flags_only:
		unmap_slot(vm, update.value().old);
		vm->mmu_seq++;
		break;
	default:
		break;
	}
	return 0;
}

// The gfn range of @slot backed by hvas in [start, end), clipped; false if none.
bool slot_hva_overlap(const Memslot &slot, u64 start, u64 end, u64 *gfn, u64 *npages)
{
	u64 slot_start = slot.userspace_addr;
	u64 slot_end = slot.userspace_addr + (slot.npages << page_shift);
	u64 lo = start > slot_start ? start : slot_start;
	u64 hi = end < slot_end ? end : slot_end;
	if (lo >= hi)
		return false;
	u64 first = (lo - slot_start) >> page_shift;
	u64 last = (hi - slot_start + page_size - 1) >> page_shift;
	*gfn = slot.base_gfn + first;
	*npages = last - first;
	return true;
}

} // namespace

Result<Vm *> vm_create(unsigned long type)
{
	Registry &reg = registry();

	if (atomic_inc_return(&reg.nr_vms) > reg.host.max_vms) {
		atomic_dec_return(&reg.nr_vms);
		return Status::error(-ENOSPC);
	}

	Vm *vm = make_zeroed<Vm>();
	if (!vm) {
		atomic_dec_return(&reg.nr_vms);
		return Status::error(-ENOMEM);
	}
	vm->id = atomic_inc_return(&reg.next_vm_id);
	vm->refs = 1;

	Status st = arch_vm_init(vm->arch, type);
	if (st.is_ok())
		st = vm_init_memory(vm);
	if (!st.is_ok()) {
		vm_free(vm);
		atomic_dec_return(&reg.nr_vms);
		return st;
	}
	kvmx_host_log(KVMX_LOG_DEBUG, "kvmx: vm %u created (type 0x%lx)\n", vm->id, type);
	return vm;
}

void vm_get(Vm *vm)
{
	atomic_inc_return(&vm->refs);
}

void vm_put(Vm *vm)
{
	if (atomic_dec_return(&vm->refs) != 0)
		return;
	kvmx_host_log(KVMX_LOG_DEBUG, "kvmx: vm %u destroyed\n", vm->id);
	vm_free(vm);
	atomic_dec_return(&registry().nr_vms);
}

Vcpu *vm_vcpu(Vm *vm, u32 idx)
{
	return idx < load_acquire(&vm->nr_vcpus) ? vm->vcpus[idx] : nullptr;
}

long vm_ioctl(Vm *vm, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case KVM_CHECK_EXTENSION:
		return check_extension(vm, arg);
	case KVM_SET_USER_MEMORY_REGION:
		return set_user_memory_region(vm, arg);
	case KVM_CREATE_VCPU:
		return vcpu_create(vm, arg);
	default:
		return arch_vm_ioctl(vm, cmd, arg);
	}
}

} // namespace kvmx

extern "C" long kvmx_vm_ioctl(struct kvmx_vm *vm, unsigned int cmd, unsigned long arg)
{
	return kvmx::vm_ioctl(vm, cmd, arg);
}

extern "C" void kvmx_vm_release(struct kvmx_vm *vm)
{
	kvmx::vm_put(vm);
}

extern "C" void kvmx_vm_mmu_invalidate_begin(struct kvmx_vm *vm, kvmx_uptr start, kvmx_uptr end)
{
	kvmx::SpinGuard mmu(vm->mmu_lock);
	vm->mmu_in_progress++;
	for (kvmx::u32 i = 0; i < vm->memslots->count(); i++) {
		kvmx::u64 gfn, npages;
		if (kvmx::slot_hva_overlap(vm->memslots->at(i), start, end, &gfn, &npages))
			kvmx::arch_vm_unmap_gfns(vm, gfn, npages);
	}
}

extern "C" void kvmx_vm_mmu_invalidate_end(struct kvmx_vm *vm, kvmx_uptr, kvmx_uptr)
{
	kvmx::SpinGuard mmu(vm->mmu_lock);
	vm->mmu_seq++;
	vm->mmu_in_progress--;
}

extern "C" void kvmx_vm_mmu_release(struct kvmx_vm *vm)
{
	// The address space is going away: nothing of it may stay mapped in the guest.
	kvmx::SpinGuard mmu(vm->mmu_lock);
	for (kvmx::u32 i = 0; i < vm->memslots->count(); i++)
		kvmx::unmap_slot(vm, vm->memslots->at(i));
	vm->mmu_seq++;
}
