// SPDX-License-Identifier: GPL-2.0
// VM lifetime and VM-fd ioctls. Owns the VM count against the max_vms limit; must not
// know about fds or processes (the glue owns those).
#include "vm.hpp"
#include "caps.hpp"
#include "dirty_log.hpp"
#include "ioctl.hpp"
#include "irqfd.hpp"
#include "registry.hpp"
#include "stats.hpp"
#include "vcpu.hpp"
#include <linux/kvm.h>
#include <linux/kvmx.h>

namespace kvmx {

namespace {

Status vm_init_memory(Vm *vm)
{
	vm->lock = kvmx_host_mutex_create();
	vm->mmu_lock = kvmx_host_spinlock_create();
	vm->vcpus = static_cast<Vcpu **>(kvmx_host_zalloc(sizeof(Vcpu *) * max_vcpus));
	if (!vm->lock || !vm->mmu_lock || !vm->vcpus)
		return Status::error(-ENOMEM);
	Status eventfds = ioeventfd_init(vm);
	if (eventfds.is_ok())
		eventfds = irq_state_init(vm);
	if (eventfds.is_ok())
		eventfds = coalesced_mmio_init(vm);
	if (!eventfds.is_ok())
		return eventfds;
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
	for (u64 *bitmap : vm->dirty_bitmaps)
		kvmx_host_free(bitmap);
	// First: no notifier callback may run while the VM is taken apart.
	kvmx_host_mmu_notifier_unregister(vm->mmu_notifier);
	// Before the vCPUs and the arch's interrupt controller: no irqfd may fire into them.
	irq_state_destroy(vm);
	for (u32 i = 0; vm->vcpus && i < vm->nr_vcpus; i++)
		vcpu_free(vm->vcpus[i]);
	arch_vm_destroy(vm);
	ioeventfd_destroy(vm);
	coalesced_mmio_destroy(vm);
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

// After a successful table update (both locks held): unmap what the old slot mapped,
// which is stale whether the slot was removed, moved or changed its flags (now
// dirty-logged: writes must fault again page by page), and swap dirty bitmaps.
void apply_memslot_update(Vm *vm, const MemslotUpdate &update, u64 **fresh, u64 **stale)
{
	switch (update.change) {
	case MemslotChange::create:
		if (update.slot.dirty_logging()) {
			vm->dirty_bitmaps[update.slot.id] = *fresh;
			*fresh = nullptr;
		}
		break;
	case MemslotChange::remove:
	case MemslotChange::move:
	case MemslotChange::flags_only:
		unmap_slot(vm, update.old);
		vm->mmu_seq++;
		*stale = vm->dirty_bitmaps[update.old.id];
		vm->dirty_bitmaps[update.old.id] = nullptr;
		if (update.change != MemslotChange::remove && update.slot.dirty_logging()) {
			vm->dirty_bitmaps[update.slot.id] = *fresh;
			*fresh = nullptr;
		}
		break;
	default:
		break;
	}
}

// KVM_SET_USER_MEMORY_REGION and (Linux 6.8) KVM_SET_USER_MEMORY_REGION2: the second
// struct extends the first. Its flags may add KVM_MEM_GUEST_MEMFD, refused (-EINVAL) as
// upstream refuses it on a VM without private memory; the guest_memfd fields and the
// padding are then not looked at, as upstream.
long set_user_memory_region(Vm *vm, unsigned long arg, bool v2)
{
	kvm_userspace_memory_region region;
	kvm_userspace_memory_region2 region2;
	static_assert(__builtin_offsetof(kvm_userspace_memory_region2, userspace_addr) ==
			      __builtin_offsetof(kvm_userspace_memory_region, userspace_addr),
		      "the v2 struct starts as the v1 one");

	if (v2) {
		if (kvmx_host_copy_from_user(&region2, arg, sizeof(region2)))
			return -EFAULT;
		if (region2.flags & KVM_MEM_GUEST_MEMFD)
			return -EINVAL;
		region.slot = region2.slot;
		region.flags = region2.flags;
		region.guest_phys_addr = region2.guest_phys_addr;
		region.memory_size = region2.memory_size;
		region.userspace_addr = region2.userspace_addr;
	} else if (kvmx_host_copy_from_user(&region, arg, sizeof(region))) {
		return -EFAULT;
	}
	// The table checks alignment and wrap-around; whether the range is user memory of
	// this process (access_ok, untagged) only the host can tell. Deletion ignores it.
	if (region.memory_size &&
	    !kvmx_host_user_range_ok(region.userspace_addr, region.memory_size))
		return -EINVAL;
	// A dirty bitmap for a logging slot, allocated before any lock is taken; the one
	// it replaces is freed after.
	u64 *fresh = nullptr, *stale = nullptr;
	u64 npages = region.memory_size >> page_shift;
	if ((region.flags & KVM_MEM_LOG_DIRTY_PAGES) && npages && npages <= memslot_max_npages) {
		fresh = static_cast<u64 *>(kvmx_host_zalloc(dirty_bitmap_bytes(npages)));
		if (!fresh)
			return -ENOMEM;
	}
	long r = 0;
	{
		MutexGuard guard(vm->lock);
		SpinGuard mmu(vm->mmu_lock);
		Result<MemslotUpdate> update = vm->memslots->set(region, vm->arch.ipa_bits);
		if (update.is_ok())
			apply_memslot_update(vm, update.value(), &fresh, &stale);
		else
			r = update.err();
	}
	kvmx_host_free(stale);
	kvmx_host_free(fresh);
	return r;
}

long enable_cap(Vm *vm, unsigned long arg)
{
	kvm_enable_cap cap;
	if (kvmx_host_copy_from_user(&cap, arg, sizeof(cap)))
		return -EFAULT;
	if (cap.flags)
		return -EINVAL;
	switch (cap.cap) {
	case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
		if (cap.args[0] & ~dirty_log_manual_caps)
			return -EINVAL;
		vm->dirty_log_manual = cap.args[0];
		return 0;
#ifdef KVMX_ARCH_HALT_POLL
	case KVM_CAP_HALT_POLL:
		return halt_poll_enable_cap(vm, cap);
#endif
	default:
		return arch_vm_ioctl(vm, KVM_ENABLE_CAP, arg);
	}
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
	vm->creator_pid = kvmx_host_pid();
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

void vm_mark_dead(Vm *vm)
{
	store_release(&vm->dead, true);
	u32 n = load_acquire(&vm->nr_vcpus);
	for (u32 i = 0; i < n; i++)
		vcpu_kick(vm->vcpus[i]);
}

long vm_ioctl(Vm *vm, unsigned int cmd, unsigned long arg)
{
	if (vm_is_dead(vm))
		return -EIO;
	switch (cmd) {
	case KVM_CHECK_EXTENSION:
		return check_extension(vm, arg);
	case KVM_SET_USER_MEMORY_REGION:
		return set_user_memory_region(vm, arg, false);
	case KVM_SET_USER_MEMORY_REGION2:
		return set_user_memory_region(vm, arg, true);
	case KVM_CREATE_VCPU:
		return vcpu_create(vm, arg);
	case KVM_GET_STATS_FD:
		return stats_fd(vm, nullptr);
	case KVM_GET_DIRTY_LOG:
		return get_dirty_log(vm, arg);
	case KVM_CLEAR_DIRTY_LOG:
		return clear_dirty_log(vm, arg);
	case KVM_ENABLE_CAP:
		return enable_cap(vm, arg);
	case KVM_IOEVENTFD:
		return ioeventfd_ioctl(vm, arg);
	case KVM_REGISTER_COALESCED_MMIO:
		return coalesced_mmio_ioctl(vm, true, arg);
	case KVM_UNREGISTER_COALESCED_MMIO:
		return coalesced_mmio_ioctl(vm, false, arg);
	case KVM_IRQFD:
		return irqfd_ioctl(vm, arg);
	case kvm_set_gsi_routing_ioctl:
		return set_gsi_routing(vm, arg);
	case KVM_SIGNAL_MSI:
		return signal_msi(vm, arg);
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
