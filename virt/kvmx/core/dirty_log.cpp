// SPDX-License-Identifier: GPL-2.0
// Dirty logging: one bitmap per logging memslot, set by the stage-2 fault path when it
// maps a page writable, harvested by KVM_GET_DIRTY_LOG (and cleared there, or by
// KVM_CLEAR_DIRTY_LOG when the VMM enabled manual protection). A harvested page is
// unmapped from stage 2 so that the guest's next write faults and is logged again.
#include "dirty_log.hpp"
#include "vm.hpp"
#include <linux/kvm.h>

namespace kvmx {

namespace {

bool test_and_clear(u64 *bitmap, u64 bit)
{
	u64 mask = 1ULL << (bit % 64);
	bool was = bitmap[bit / 64] & mask;
	bitmap[bit / 64] &= ~mask;
	return was;
}

// Write-protect the pages of @slot whose bits are set in @bits (covering @npages pages
// from @first): unmap each run of them (mmu_lock held).
void protect_pages(Vm *vm, const Memslot &slot, const u64 *bits, u64 first, u64 npages)
{
	u64 run_start = 0, run_len = 0;
	for (u64 i = 0; i < npages; i++) {
		if (bits[i / 64] & (1ULL << (i % 64))) {
			if (!run_len)
				run_start = i;
			run_len++;
			continue;
		}
		if (run_len)
			arch_vm_unmap_gfns(vm, slot.base_gfn + first + run_start, run_len);
		run_len = 0;
	}
	if (run_len)
		arch_vm_unmap_gfns(vm, slot.base_gfn + first + run_start, run_len);
}

// The logging slot named by a dirty-log ioctl's slot field (vm->lock held).
Result<const Memslot *> logging_slot(Vm *vm, u32 slot_field)
{
	if (slot_field >> 16 || slot_field >= max_memslots)
		return Status::error(-EINVAL); // only address space 0 exists
	const Memslot *slot = vm->memslots->find_by_id(slot_field);
	if (!slot || !vm->dirty_bitmaps[slot->id])
		return Status::error(-ENOENT);
	return slot;
}

} // namespace

void mark_page_dirty(Vm *vm, const Memslot &slot, u64 gfn)
{
	u64 *bitmap = vm->dirty_bitmaps[slot.id];
	if (bitmap && slot.contains(gfn))
		bitmap[(gfn - slot.base_gfn) / 64] |= 1ULL << ((gfn - slot.base_gfn) % 64);
}

long get_dirty_log(Vm *vm, unsigned long arg)
{
	kvm_dirty_log log;
	if (kvmx_host_copy_from_user(&log, arg, sizeof(log)))
		return -EFAULT;
	MutexGuard guard(vm->lock);
	Result<const Memslot *> found = logging_slot(vm, log.slot);
	if (!found.is_ok())
		return found.err();
	const Memslot slot = *found.value();
	u64 bytes = dirty_bitmap_bytes(slot.npages);
	u64 *copy = static_cast<u64 *>(kvmx_host_zalloc(bytes));
	if (!copy)
		return -ENOMEM;
	{
		SpinGuard mmu(vm->mmu_lock);
		u64 *bitmap = vm->dirty_bitmaps[slot.id];
		for (u64 i = 0; i < bytes / 8; i++) {
			copy[i] = bitmap[i];
			if (!vm->dirty_log_manual)
				bitmap[i] = 0;
		}
		if (!vm->dirty_log_manual)
			protect_pages(vm, slot, copy, 0, slot.npages);
	}
	long r = kvmx_host_copy_to_user(reinterpret_cast<kvmx_uptr>(log.dirty_bitmap), copy, bytes)
			 ? -EFAULT
			 : 0;
	kvmx_host_free(copy);
	return r;
}

long clear_dirty_log(Vm *vm, unsigned long arg)
{
	kvm_clear_dirty_log log;
	if (kvmx_host_copy_from_user(&log, arg, sizeof(log)))
		return -EFAULT;
	if (!vm->dirty_log_manual)
		return -EINVAL;
	MutexGuard guard(vm->lock);
	Result<const Memslot *> found = logging_slot(vm, log.slot);
	if (!found.is_ok())
		return found.err();
	const Memslot slot = *found.value();
	// Upstream's rules: whole 64-page words, except a tail that ends the slot.
	if (log.first_page & 63 || log.first_page > slot.npages ||
	    log.num_pages > slot.npages - log.first_page ||
	    ((log.num_pages & 63) && log.first_page + log.num_pages != slot.npages))
		return -EINVAL;
	u64 bytes = dirty_bitmap_bytes(log.num_pages);
	if (!bytes)
		return 0;
	u64 *clear = static_cast<u64 *>(kvmx_host_zalloc(bytes));
	if (!clear)
		return -ENOMEM;
	long r = 0;
	if (kvmx_host_copy_from_user(clear, reinterpret_cast<kvmx_uptr>(log.dirty_bitmap), bytes)) {
		r = -EFAULT;
	} else {
		SpinGuard mmu(vm->mmu_lock);
		u64 *bitmap = vm->dirty_bitmaps[slot.id];
		// Only pages that were dirty need protecting again; others already fault.
		for (u64 i = 0; i < log.num_pages; i++) {
			if (clear[i / 64] & (1ULL << (i % 64)) &&
			    !test_and_clear(bitmap, log.first_page + i))
				clear[i / 64] &= ~(1ULL << (i % 64));
		}
		protect_pages(vm, slot, clear, log.first_page, log.num_pages);
	}
	kvmx_host_free(clear);
	return r;
}

} // namespace kvmx
