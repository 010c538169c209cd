// SPDX-License-Identifier: GPL-2.0
// Dirty logging: one bitmap per logging memslot, set by the stage-2 fault path when it
// maps a page writable, harvested by KVM_GET_DIRTY_LOG (and cleared there, or by
// KVM_CLEAR_DIRTY_LOG when the VMM enabled manual protection). A harvested page is
// unmapped from stage 2 so that the guest's next write faults and is logged again.
// kvmx tracks 4 KiB pages; the ioctls' bitmaps have one bit per host page (64 KiB on
// ppc64el), as upstream's, which is what VMMs size them by: a bit is set when any of its
// 4 KiB pages is dirty, and clearing it clears them all.
#include "dirty_log.hpp"
#include "registry.hpp"
#include "vm.hpp"
#include <linux/kvm.h>

namespace kvmx {

namespace {

// log2 of the 4 KiB pages one bit of the ioctls' bitmaps stands for.
u32 abi_group_shift()
{
	u32 host = registry().host.page_shift;
	return host > page_shift ? host - page_shift : 0;
}

// Pages of @slot as the ioctls count them (a partial last host page counts as one).
u64 abi_npages(const Memslot &slot)
{
	u32 g = abi_group_shift();
	return (slot.npages + (1ULL << g) - 1) >> g;
}

bool test_bit(const u64 *bitmap, u64 bit)
{
	return bitmap[bit / 64] & (1ULL << (bit % 64));
}

void set_bit(u64 *bitmap, u64 bit)
{
	bitmap[bit / 64] |= 1ULL << (bit % 64);
}

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
	const u32 g = abi_group_shift();
	u64 abi_bytes = dirty_bitmap_bytes(abi_npages(slot));
	u64 *copy = static_cast<u64 *>(kvmx_host_zalloc(bytes));
	u64 *abi = g ? static_cast<u64 *>(kvmx_host_zalloc(abi_bytes)) : copy;
	if (!copy || !abi) {
		kvmx_host_free(copy);
		if (g)
			kvmx_host_free(abi);
		return -ENOMEM;
	}
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
	if (g) {
		for (u64 i = 0; i < slot.npages; i++) {
			if (test_bit(copy, i))
				set_bit(abi, i >> g);
		}
	}
	long r = kvmx_host_copy_to_user(reinterpret_cast<kvmx_uptr>(log.dirty_bitmap), abi,
					abi_bytes)
			 ? -EFAULT
			 : 0;
	kvmx_host_free(copy);
	if (g)
		kvmx_host_free(abi);
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
	// Upstream's rules, in the ioctl's (host) pages: whole 64-page words, except a tail
	// that ends the slot.
	const u64 npages = abi_npages(slot);
	if (log.first_page & 63 || log.first_page > npages ||
	    log.num_pages > npages - log.first_page ||
	    ((log.num_pages & 63) && log.first_page + log.num_pages != npages))
		return -EINVAL;
	u64 bytes = dirty_bitmap_bytes(log.num_pages);
	if (!bytes)
		return 0;
	// The 4 KiB pages the range covers, from @first.
	const u32 g = abi_group_shift();
	const u64 first = log.first_page << g;
	u64 end = (log.first_page + log.num_pages) << g;
	end = end < slot.npages ? end : slot.npages;
	u64 *clear = static_cast<u64 *>(kvmx_host_zalloc(bytes));
	u64 *prot = static_cast<u64 *>(kvmx_host_zalloc(dirty_bitmap_bytes(end - first)));
	long r = 0;
	if (!clear || !prot) {
		r = -ENOMEM;
	} else if (kvmx_host_copy_from_user(clear, reinterpret_cast<kvmx_uptr>(log.dirty_bitmap),
					    bytes)) {
		r = -EFAULT;
	} else {
		SpinGuard mmu(vm->mmu_lock);
		u64 *bitmap = vm->dirty_bitmaps[slot.id];
		// Only pages that were dirty need protecting again; others already fault.
		for (u64 i = first; i < end; i++) {
			if (test_bit(clear, (i - first) >> g) && test_and_clear(bitmap, i))
				set_bit(prot, i - first);
		}
		protect_pages(vm, slot, prot, first, end - first);
	}
	kvmx_host_free(clear);
	kvmx_host_free(prot);
	return r;
}

} // namespace kvmx
