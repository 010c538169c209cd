// SPDX-License-Identifier: GPL-2.0
// The memslot table of one VM: validates KVM_SET_USER_MEMORY_REGION and maps guest frame
// numbers (gfn) to host virtual addresses (hva). Pure data: it must not touch stage 2,
// user memory or locks; the VM serialises every caller and tears down mappings itself.
#pragma once

#include "base.hpp"
#include <linux/kvm.h>

namespace kvmx {

constexpr u32 page_shift = 12; // 4 KiB guest and host pages
constexpr u64 page_size = 1ULL << page_shift;
// Slots per VM (slot ids 0..511), reported as KVM_CAP_NR_MEMSLOTS.
constexpr u32 max_memslots = 512;
// Upstream's KVM_MEM_MAX_NR_PAGES: the most pages one slot may span.
constexpr u64 memslot_max_npages = (1ULL << 31) - 1;
constexpr u32 memslot_valid_flags = KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY;
// Never a page of any slot: the end of a slot's hva range cannot wrap past 2^64.
constexpr u64 bad_hva = ~0ULL;

struct Memslot {
	u32 id; // slot & 0xffff (only address space 0 exists)
	u32 flags;
	u64 base_gfn;
	u64 npages; // at least 1, at most memslot_max_npages
	u64 userspace_addr;

	// First gfn after the slot; cannot overflow once the table accepted the slot.
	u64 end_gfn() const { return base_gfn + npages; }
	bool contains(u64 gfn) const { return gfn >= base_gfn && gfn - base_gfn < npages; }
	bool readonly() const { return flags & KVM_MEM_READONLY; }
	bool dirty_logging() const { return flags & KVM_MEM_LOG_DIRTY_PAGES; }
	// The hva backing @gfn, or bad_hva when the slot does not contain it.
	u64 gfn_to_hva(u64 gfn) const
	{
		return contains(gfn) ? userspace_addr + ((gfn - base_gfn) << page_shift) : bad_hva;
	}
};

// The user page backing @gfn of @slot for a guest access, referenced (put it back with
// kvmx_host_put_user_page). *write: in, the access writes; out, the page may be mapped
// writable (a read of a page the VMM already has writable is, outside read-only and
// dirty-logged slots, so the guest's first write does not fault again). 0 or the errors
// of kvmx_host_get_user_page (-EINTR: a signal while faulting).
int memslot_get_page(const Memslot &slot, u64 gfn, bool *write, u64 *pa, void **page);

enum class MemslotChange { create, remove, move, flags_only, none };

// What a successful KVM_SET_USER_MEMORY_REGION did. @old is the slot as it was (for
// remove, move and flags_only; zeroed otherwise), so the caller can unmap its range;
// @slot is the slot as it is now (for create, move, flags_only and none).
struct MemslotUpdate {
	MemslotChange change;
	Memslot old;
	Memslot slot;
};

// Slots kept sorted by base_gfn in a fixed array: lookups are binary searches, changes
// shift the array (at most max_memslots entries). Not thread-safe by design: the VM holds
// its memslot lock around set() and around any lookup that must agree with a generation.
class MemslotTable {
public:
	static Result<MemslotTable *> create();
	static void destroy(MemslotTable *table);

	// KVM_SET_USER_MEMORY_REGION for a VM whose guest physical addresses have @ipa_bits
	// bits. Errors as upstream KVM on arm64: -EINVAL (bad flags, slot, alignment, size,
	// overflow, deleting a missing slot, changing size/hva/readonly), -EEXIST (overlap),
	// -EFAULT (beyond the IPA size). On error the table is unchanged.
	Result<MemslotUpdate> set(const kvm_userspace_memory_region &region, u32 ipa_bits);

	// The slot containing @gfn, or nullptr. O(log n).
	const Memslot *find(u64 gfn) const;
	// The slot with this id (slot & 0xffff), or nullptr.
	const Memslot *find_by_id(u32 id) const;

	// Iteration in ascending base_gfn order, i < count(); invalidated by set().
	u32 count() const { return nr_; }
	const Memslot &at(u32 i) const { return slots_[i]; }

	// Bumped by every set() that changes the table; lookups cached under one generation
	// are stale once it moves.
	u64 generation() const { return generation_; }

private:
	u32 upper_bound(u64 gfn) const;
	bool overlaps(u64 start, u64 end, u32 id) const;
	Result<MemslotUpdate> remove(u32 id);
	Result<MemslotUpdate> create_slot(const Memslot &slot, u32 ipa_bits);
	Result<MemslotUpdate> modify(const Memslot &slot, u32 ipa_bits);
	void erase_at(u32 pos);
	void insert_sorted(const Memslot &slot);
	void reindex();

	Memslot slots_[max_memslots]; // [0, nr_) sorted by base_gfn, ranges disjoint
	u16 pos_of_id_[max_memslots]; // id -> 1 + index in slots_; 0 (as zeroed) for none
	u32 nr_;
	u64 generation_;
};

} // namespace kvmx
