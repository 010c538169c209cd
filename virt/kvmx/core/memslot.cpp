// SPDX-License-Identifier: GPL-2.0
// KVM_SET_USER_MEMORY_REGION validation and the sorted memslot table (see memslot.hpp).
// Owns only the slot array; must not map or unmap stage 2, read user memory or lock.
#include "memslot.hpp"

namespace kvmx {

namespace {

// How many guest frames a VM with @ipa_bits of guest physical address can reach.
u64 ipa_limit_gfns(u32 ipa_bits)
{
	if (ipa_bits <= page_shift)
		return 0;
	if (ipa_bits >= 64)
		return 1ULL << (64 - page_shift);
	return 1ULL << (ipa_bits - page_shift);
}

bool page_aligned(u64 v)
{
	return !(v & (page_size - 1));
}

// The checks that do not depend on the existing slots, all -EINVAL as upstream. A wrap
// of gpa + size or hva + size also rejects an end of exactly 2^64, so a slot's end gfn
// and end hva always fit in a u64.
Status check_region(const kvm_userspace_memory_region &r)
{
	const u64 size = r.memory_size;

	if (r.flags & ~memslot_valid_flags)
		return Status::error(-EINVAL);
	if ((r.slot >> 16) != 0 || (r.slot & 0xffff) >= max_memslots)
		return Status::error(-EINVAL);
	if (!page_aligned(size) || !page_aligned(r.guest_phys_addr) ||
	    !page_aligned(r.userspace_addr))
		return Status::error(-EINVAL);
	if (r.guest_phys_addr + size < r.guest_phys_addr)
		return Status::error(-EINVAL);
	if (r.userspace_addr + size < r.userspace_addr)
		return Status::error(-EINVAL);
	if ((size >> page_shift) > memslot_max_npages)
		return Status::error(-EINVAL);
	return Status::ok();
}

// arm64: a slot must end inside the VM's IPA space, else -EFAULT.
bool within_ipa(const Memslot &slot, u32 ipa_bits)
{
	return range_within(slot.base_gfn, slot.npages, 0, ipa_limit_gfns(ipa_bits));
}

} // namespace

Result<MemslotTable *> MemslotTable::create()
{
	MemslotTable *table = make_zeroed<MemslotTable>();

	if (!table)
		return Status::error(-ENOMEM);
	return table;
}

void MemslotTable::destroy(MemslotTable *table)
{
	kvmx::destroy(table);
}

Result<MemslotUpdate> MemslotTable::set(const kvm_userspace_memory_region &region, u32 ipa_bits)
{
	Status st = check_region(region);
	if (!st.is_ok())
		return st;

	const u32 id = region.slot & 0xffff;
	if (region.memory_size == 0)
		return remove(id);

	Memslot slot = {};
	slot.id = id;
	slot.flags = region.flags;
	slot.base_gfn = region.guest_phys_addr >> page_shift;
	slot.npages = region.memory_size >> page_shift;
	slot.userspace_addr = region.userspace_addr;

	if (!find_by_id(id))
		return create_slot(slot, ipa_bits);
	return modify(slot, ipa_bits);
}

Result<MemslotUpdate> MemslotTable::remove(u32 id)
{
	const Memslot *old = find_by_id(id);
	if (!old)
		return Status::error(-EINVAL);

	MemslotUpdate update = {};
	update.change = MemslotChange::remove;
	update.old = *old;
	erase_at(pos_of_id_[id] - 1);
	reindex();
	generation_++;
	return update;
}

// Overlap before the IPA check: upstream finds -EEXIST in generic code before arm64's
// kvm_arch_prepare_memory_region returns -EFAULT.
Result<MemslotUpdate> MemslotTable::create_slot(const Memslot &slot, u32 ipa_bits)
{
	if (overlaps(slot.base_gfn, slot.end_gfn(), slot.id))
		return Status::error(-EEXIST);
	if (!within_ipa(slot, ipa_bits))
		return Status::error(-EFAULT);

	// Room is certain: ids are unique and below max_memslots, and this one is free.
	insert_sorted(slot);
	reindex();
	generation_++;

	MemslotUpdate update = {};
	update.change = MemslotChange::create;
	update.slot = slot;
	return update;
}

// An existing slot may only move (new gpa) or toggle dirty logging.
Result<MemslotUpdate> MemslotTable::modify(const Memslot &slot, u32 ipa_bits)
{
	const u32 pos = pos_of_id_[slot.id] - 1;
	const Memslot old = slots_[pos];

	if (slot.userspace_addr != old.userspace_addr || slot.npages != old.npages ||
	    ((slot.flags ^ old.flags) & KVM_MEM_READONLY))
		return Status::error(-EINVAL);

	MemslotUpdate update = {};
	update.slot = slot;
	if (slot.base_gfn == old.base_gfn && slot.flags == old.flags) {
		update.change = MemslotChange::none;
		return update;
	}
	update.old = old;
	if (slot.base_gfn != old.base_gfn) {
		update.change = MemslotChange::move;
		if (overlaps(slot.base_gfn, slot.end_gfn(), slot.id))
			return Status::error(-EEXIST);
	} else {
		update.change = MemslotChange::flags_only;
	}
	if (!within_ipa(slot, ipa_bits))
		return Status::error(-EFAULT);

	erase_at(pos);
	insert_sorted(slot);
	reindex();
	generation_++;
	return update;
}

// Index of the first slot whose base_gfn is above @gfn (nr_ if none).
u32 MemslotTable::upper_bound(u64 gfn) const
{
	u32 lo = 0, hi = nr_;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		if (slots_[mid].base_gfn <= gfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const Memslot *MemslotTable::find(u64 gfn) const
{
	u32 i = upper_bound(gfn);

	if (i == 0 || !slots_[i - 1].contains(gfn))
		return nullptr;
	return &slots_[i - 1];
}

const Memslot *MemslotTable::find_by_id(u32 id) const
{
	if (id >= max_memslots || pos_of_id_[id] == 0)
		return nullptr;
	return &slots_[pos_of_id_[id] - 1];
}

// Does [start, end) (end > start) meet a slot other than @id? Slots are disjoint and
// sorted, so their ends ascend too: walk down from the last slot starting below @end
// until one ends at or before @start.
bool MemslotTable::overlaps(u64 start, u64 end, u32 id) const
{
	for (u32 i = upper_bound(end - 1); i > 0; i--) {
		const Memslot &s = slots_[i - 1];
		if (s.end_gfn() <= start)
			break;
		if (s.id != id)
			return true;
	}
	return false;
}

void MemslotTable::erase_at(u32 pos)
{
	for (u32 i = pos; i + 1 < nr_; i++)
		slots_[i] = slots_[i + 1];
	nr_--;
}

void MemslotTable::insert_sorted(const Memslot &slot)
{
	u32 pos = upper_bound(slot.base_gfn);

	for (u32 i = nr_; i > pos; i--)
		slots_[i] = slots_[i - 1];
	slots_[pos] = slot;
	nr_++;
}

void MemslotTable::reindex()
{
	__builtin_memset(pos_of_id_, 0, sizeof(pos_of_id_));
	for (u32 i = 0; i < nr_; i++)
		pos_of_id_[slots_[i].id] = static_cast<u16>(i + 1);
}

} // namespace kvmx
