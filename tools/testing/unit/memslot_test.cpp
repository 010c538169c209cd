// SPDX-License-Identifier: GPL-2.0
// The memslot table behind KVM_SET_USER_MEMORY_REGION (virt/kvmx/core/memslot.cpp):
// upstream's error codes, change kinds, generation and lookups.
#include "fake_host.hpp"
#include "memslot.hpp"
#include <algorithm>
#include <gtest/gtest.h>
#include <linux/kvm.h>
#include <random>
#include <vector>

using kvmx::MemslotChange;
using kvmx::MemslotTable;
using kvmx::MemslotUpdate;
using kvmx::u32;
using kvmx::u64;

namespace {

constexpr u64 pg = kvmx::page_size;
constexpr u64 hva0 = 0x7f0000000000ULL;
constexpr u64 all_ones = ~0ULL;
constexpr u64 top_page = all_ones & ~(pg - 1); // 2^64 - 4 KiB

kvm_userspace_memory_region region(u32 slot, u64 gpa, u64 size, u64 hva = hva0, u32 flags = 0)
{
	kvm_userspace_memory_region r = {};
	r.slot = slot;
	r.flags = flags;
	r.guest_phys_addr = gpa;
	r.memory_size = size;
	r.userspace_addr = hva;
	return r;
}

bool same(const kvmx::Memslot &a, const kvmx::Memslot &b)
{
	return a.id == b.id && a.flags == b.flags && a.base_gfn == b.base_gfn &&
	       a.npages == b.npages && a.userspace_addr == b.userspace_addr;
}

} // namespace

class Memslot : public ::testing::Test {
protected:
	void SetUp() override
	{
		fake_host::reset();
		auto r = MemslotTable::create();
		ASSERT_TRUE(r.is_ok());
		t = r.value();
	}

	void TearDown() override
	{
		MemslotTable::destroy(t);
		EXPECT_EQ(0, fake_host::live_allocs()) << "a test leaked an allocation";
	}

	// -errno, or 0 with the update in last.
	int set(const kvm_userspace_memory_region &r, u32 ipa_bits = 40)
	{
		auto res = t->set(r, ipa_bits);
		if (res.is_ok())
			last = res.value();
		return res.err();
	}
	int set(u32 slot, u64 gpa, u64 size, u64 hva = hva0, u32 flags = 0)
	{
		return set(region(slot, gpa, size, hva, flags));
	}

	// The table's invariants: sorted, disjoint, every slot findable by id and by gfn.
	void expect_consistent()
	{
		for (u32 i = 0; i < t->count(); i++) {
			const kvmx::Memslot &s = t->at(i);
			if (i > 0) {
				EXPECT_LE(t->at(i - 1).end_gfn(), s.base_gfn) << i;
			}
			EXPECT_EQ(&s, t->find_by_id(s.id)) << i;
			EXPECT_EQ(&s, t->find(s.base_gfn)) << i;
			EXPECT_EQ(&s, t->find(s.end_gfn() - 1)) << i;
		}
	}

	MemslotTable *t = nullptr;
	MemslotUpdate last = {};
};

TEST_F(Memslot, new_table_is_empty)
{
	EXPECT_EQ(0u, t->count());
	EXPECT_EQ(0u, t->generation());
	EXPECT_EQ(nullptr, t->find(0));
	EXPECT_EQ(nullptr, t->find(all_ones));
	EXPECT_EQ(nullptr, t->find_by_id(0));
	EXPECT_EQ(nullptr, t->find_by_id(kvmx::max_memslots));
	EXPECT_EQ(nullptr, t->find_by_id(all_ones >> 32));
}

TEST_F(Memslot, create_fails_cleanly_without_memory)
{
	fake_host::fail_alloc_after(0);
	auto r = MemslotTable::create();
	EXPECT_EQ(-ENOMEM, r.err());
	EXPECT_EQ(1, fake_host::live_allocs()); // only the fixture's table
}

TEST_F(Memslot, create_is_reported_and_found)
{
	ASSERT_EQ(0, set(3, 0x40000000, 0x200000, hva0, KVM_MEM_LOG_DIRTY_PAGES));
	EXPECT_EQ(MemslotChange::create, last.change);
	EXPECT_EQ(3u, last.slot.id);
	EXPECT_EQ(0x40000u, last.slot.base_gfn);
	EXPECT_EQ(0x200u, last.slot.npages);
	EXPECT_EQ(hva0, last.slot.userspace_addr);
	EXPECT_EQ(u32(KVM_MEM_LOG_DIRTY_PAGES), last.slot.flags);
	EXPECT_EQ(0u, last.old.npages);
	EXPECT_EQ(1u, t->count());
	const kvmx::Memslot *s = t->find_by_id(3);
	ASSERT_NE(nullptr, s);
	EXPECT_EQ(s, t->find(0x40000));
	EXPECT_TRUE(s->dirty_logging());
	EXPECT_FALSE(s->readonly());
}

TEST_F(Memslot, only_dirty_log_and_readonly_flags_are_accepted)
{
	for (u32 bit = 2; bit < 32; bit++)
		EXPECT_EQ(-EINVAL, set(0, 0, pg, hva0, 1u << bit)) << bit;
	EXPECT_EQ(-EINVAL, set(0, 0, pg, hva0, ~0u));
	EXPECT_EQ(0, set(0, 0, pg, hva0, KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY));
	EXPECT_TRUE(t->find(0)->readonly());
	EXPECT_TRUE(t->find(0)->dirty_logging());
}

TEST_F(Memslot, slot_511_is_the_last_id)
{
	EXPECT_EQ(0, set(511, 0, pg));
	EXPECT_EQ(-EINVAL, set(512, pg, pg));
	EXPECT_EQ(-EINVAL, set(0xffff, pg, pg));
	EXPECT_EQ(-EINVAL, set(512, 0, 0)); // deleting an impossible id
	EXPECT_EQ(1u, t->count());
}

TEST_F(Memslot, nonzero_address_space_is_einval)
{
	EXPECT_EQ(-EINVAL, set(1u << 16, 0, pg));
	EXPECT_EQ(-EINVAL, set(0xffff0000u, 0, pg));
	ASSERT_EQ(0, set(0, 0, pg));
	// The same id in address space 1 neither deletes nor modifies slot 0.
	EXPECT_EQ(-EINVAL, set(1u << 16, 0, 0));
	EXPECT_EQ(-EINVAL, set(1u << 16, 0, pg, hva0, KVM_MEM_LOG_DIRTY_PAGES));
	EXPECT_EQ(0u, t->find_by_id(0)->flags);
}

TEST_F(Memslot, unaligned_size_gpa_or_hva_is_einval)
{
	EXPECT_EQ(-EINVAL, set(0, 0, pg + 1));
	EXPECT_EQ(-EINVAL, set(0, 0, pg - 1));
	EXPECT_EQ(-EINVAL, set(0, 0, 0x800));
	EXPECT_EQ(-EINVAL, set(0, 0x800, pg));
	EXPECT_EQ(-EINVAL, set(0, pg + 1, pg));
	EXPECT_EQ(-EINVAL, set(0, 0, pg, hva0 + 1));
	EXPECT_EQ(-EINVAL, set(0, 0, pg, hva0 + 0xfff));
	EXPECT_EQ(0u, t->count());
}

TEST_F(Memslot, gpa_plus_size_overflow_is_einval)
{
	EXPECT_EQ(-EINVAL, set(0, top_page, pg));     // ends at exactly 2^64
	EXPECT_EQ(-EINVAL, set(0, top_page, 2 * pg)); // wraps past it
	EXPECT_EQ(-EINVAL, set(0, pg, top_page));
	// No wrap, but far beyond any IPA size: arm64's -EFAULT, not -EINVAL.
	EXPECT_EQ(-EFAULT, set(0, top_page - pg, pg));
	EXPECT_EQ(0u, t->count());
}

TEST_F(Memslot, hva_plus_size_overflow_is_einval)
{
	EXPECT_EQ(-EINVAL, set(0, 0, pg, top_page));
	EXPECT_EQ(-EINVAL, set(0, 0, 4 * pg, top_page - 2 * pg));
	EXPECT_EQ(0, set(0, 0, pg, top_page - pg)); // the highest page that does not wrap
	EXPECT_EQ(top_page - pg, t->find(0)->gfn_to_hva(0));
}

TEST_F(Memslot, more_than_max_nr_pages_is_einval)
{
	const u64 max_bytes = kvmx::memslot_max_npages << kvmx::page_shift;
	EXPECT_EQ(-EINVAL, set(region(0, 0, max_bytes + pg), 52));
	EXPECT_EQ(-EINVAL, set(region(0, 0, 1ULL << 63), 52));
	EXPECT_EQ(-EINVAL, set(region(0, 0, top_page, 0), 52));
	ASSERT_EQ(0, set(region(0, 0, max_bytes, pg), 52));
	EXPECT_EQ(kvmx::memslot_max_npages, t->find_by_id(0)->npages);
}

TEST_F(Memslot, deleting_a_missing_slot_is_einval)
{
	EXPECT_EQ(-EINVAL, set(5, 0, 0));
	ASSERT_EQ(0, set(5, 0, pg));
	ASSERT_EQ(0, set(5, 0, 0));
	EXPECT_EQ(-EINVAL, set(5, 0, 0));
	EXPECT_EQ(0u, t->count());
}

TEST_F(Memslot, delete_still_checks_flags_and_alignment)
{
	ASSERT_EQ(0, set(1, 0, pg));
	EXPECT_EQ(-EINVAL, set(1, 0x800, 0));
	EXPECT_EQ(-EINVAL, set(1, 0, 0, hva0 + 8));
	EXPECT_EQ(-EINVAL, set(1, 0, 0, hva0, 1u << 5));
	EXPECT_EQ(1u, t->count());
	// Other fields need not match the slot: upstream deletes by id alone.
	EXPECT_EQ(0, set(1, 0x123000, 0, 0, KVM_MEM_READONLY));
	EXPECT_EQ(0u, t->count());
}

TEST_F(Memslot, delete_returns_the_old_slot_and_frees_its_range)
{
	ASSERT_EQ(0, set(7, 0x100000, 0x4000, hva0, KVM_MEM_READONLY));
	ASSERT_EQ(0, set(7, 0, 0));
	EXPECT_EQ(MemslotChange::remove, last.change);
	EXPECT_EQ(7u, last.old.id);
	EXPECT_EQ(0x100u, last.old.base_gfn);
	EXPECT_EQ(4u, last.old.npages);
	EXPECT_EQ(hva0, last.old.userspace_addr);
	EXPECT_EQ(u32(KVM_MEM_READONLY), last.old.flags);
	EXPECT_EQ(nullptr, t->find(0x100));
	EXPECT_EQ(nullptr, t->find_by_id(7));
	// The range is free for another id.
	EXPECT_EQ(0, set(8, 0x100000, 0x4000));
}

TEST_F(Memslot, delete_then_recreate_with_new_everything)
{
	ASSERT_EQ(0, set(2, 0x10000, 4 * pg, hva0, KVM_MEM_READONLY));
	ASSERT_EQ(0, set(2, 0, 0));
	ASSERT_EQ(0, set(2, 0x80000, 16 * pg, hva0 + 0x100000));
	EXPECT_EQ(MemslotChange::create, last.change);
	const kvmx::Memslot *s = t->find_by_id(2);
	ASSERT_NE(nullptr, s);
	EXPECT_EQ(0x80u, s->base_gfn);
	EXPECT_EQ(16u, s->npages);
	EXPECT_FALSE(s->readonly());
	EXPECT_EQ(nullptr, t->find(0x10));
}

TEST_F(Memslot, last_page_of_the_ipa_is_ok_one_past_is_efault)
{
	const u64 ipa40 = 1ULL << 40;
	EXPECT_EQ(-EFAULT, set(0, ipa40, pg));
	EXPECT_EQ(-EFAULT, set(0, ipa40 - pg, 2 * pg));
	EXPECT_EQ(0, set(0, ipa40 - pg, pg));
	EXPECT_EQ(0, set(1, ipa40 - 8 * pg, 7 * pg));
	// The same slot in a 32-bit IPA VM.
	EXPECT_EQ(-EFAULT, set(region(2, 1ULL << 32, pg), 32));
	EXPECT_EQ(0, set(region(2, (1ULL << 32) - pg, pg), 32));
}

TEST_F(Memslot, overlapping_create_is_eexist)
{
	ASSERT_EQ(0, set(0, 0x10 * pg, 0x10 * pg)); // gfns [0x10, 0x20)
	const u64 gen = t->generation();
	EXPECT_EQ(-EEXIST, set(1, 0x10 * pg, 0x10 * pg)); // identical
	EXPECT_EQ(-EEXIST, set(1, 0x8 * pg, 0x9 * pg));	  // last page of it meets first
	EXPECT_EQ(-EEXIST, set(1, 0x1f * pg, 0x10 * pg)); // first page meets last
	EXPECT_EQ(-EEXIST, set(1, 0x14 * pg, pg));	  // inside
	EXPECT_EQ(-EEXIST, set(1, 0, 0x100 * pg));	  // around
	EXPECT_EQ(gen, t->generation());
	EXPECT_EQ(0, set(1, 0x8 * pg, 0x8 * pg));  // adjacent below
	EXPECT_EQ(0, set(2, 0x20 * pg, 0x8 * pg)); // adjacent above
	// Between two slots, spanning a gap into both.
	EXPECT_EQ(-EEXIST, set(3, 0x7 * pg, 0x30 * pg));
	expect_consistent();
}

TEST_F(Memslot, overlap_is_reported_before_the_ipa_limit)
{
	ASSERT_EQ(0, set(0, (1ULL << 40) - pg, pg));
	EXPECT_EQ(-EEXIST, set(1, (1ULL << 40) - pg, 2 * pg));
}

TEST_F(Memslot, changing_hva_size_or_readonly_is_einval)
{
	ASSERT_EQ(0, set(4, 0x100000, 4 * pg));
	const u64 gen = t->generation();
	EXPECT_EQ(-EINVAL, set(4, 0x100000, 4 * pg, hva0 + pg));
	EXPECT_EQ(-EINVAL, set(4, 0x100000, 8 * pg));
	EXPECT_EQ(-EINVAL, set(4, 0x100000, 2 * pg));
	EXPECT_EQ(-EINVAL, set(4, 0x100000, 4 * pg, hva0, KVM_MEM_READONLY));
	EXPECT_EQ(-EINVAL, set(4, 0x200000, 4 * pg, hva0 + pg)); // a move cannot change hva
	ASSERT_EQ(0, set(5, 0, pg, hva0, KVM_MEM_READONLY));
	EXPECT_EQ(-EINVAL, set(5, 0, pg));
	EXPECT_EQ(gen + 1, t->generation());
}

TEST_F(Memslot, changing_gpa_is_a_move_with_the_old_slot)
{
	ASSERT_EQ(0, set(6, 0x100000, 4 * pg, hva0, KVM_MEM_LOG_DIRTY_PAGES));
	ASSERT_EQ(0, set(6, 0x900000, 4 * pg, hva0));
	EXPECT_EQ(MemslotChange::move, last.change);
	EXPECT_EQ(0x100u, last.old.base_gfn);
	EXPECT_EQ(u32(KVM_MEM_LOG_DIRTY_PAGES), last.old.flags);
	EXPECT_EQ(0x900u, last.slot.base_gfn);
	EXPECT_EQ(0u, last.slot.flags); // a move may also change dirty logging
	EXPECT_EQ(nullptr, t->find(0x100));
	EXPECT_EQ(t->find_by_id(6), t->find(0x903));
	EXPECT_EQ(hva0 + 3 * pg, t->find(0x903)->gfn_to_hva(0x903));
}

TEST_F(Memslot, move_onto_another_slot_is_eexist)
{
	ASSERT_EQ(0, set(0, 0, 4 * pg));
	ASSERT_EQ(0, set(1, 0x100000, 4 * pg, hva0 + 0x100000));
	const u64 gen = t->generation();
	EXPECT_EQ(-EEXIST, set(1, 3 * pg, 4 * pg, hva0 + 0x100000));
	EXPECT_EQ(-EEXIST, set(1, 0, 4 * pg, hva0 + 0x100000));
	EXPECT_EQ(gen, t->generation());
	EXPECT_EQ(0x100u, t->find_by_id(1)->base_gfn);
	EXPECT_EQ(0, set(1, 4 * pg, 4 * pg, hva0 + 0x100000)); // adjacent is fine
	expect_consistent();
}

TEST_F(Memslot, move_overlapping_its_own_range_is_allowed)
{
	ASSERT_EQ(0, set(0, 0, pg));
	ASSERT_EQ(0, set(1, 0x10 * pg, 8 * pg));
	ASSERT_EQ(0, set(1, 0x11 * pg, 8 * pg));
	EXPECT_EQ(MemslotChange::move, last.change);
	ASSERT_EQ(0, set(1, 0xf * pg, 8 * pg));
	ASSERT_EQ(0, set(1, pg, 8 * pg)); // right up against slot 0
	EXPECT_EQ(1u, t->find(1)->id);
	EXPECT_EQ(0u, t->find(0)->id);
	EXPECT_EQ(-EEXIST, set(1, 0, 8 * pg));
	expect_consistent();
}

TEST_F(Memslot, move_beyond_the_ipa_is_efault)
{
	ASSERT_EQ(0, set(0, 0, 2 * pg));
	EXPECT_EQ(-EFAULT, set(0, (1ULL << 40) - pg, 2 * pg));
	EXPECT_EQ(0u, t->find_by_id(0)->base_gfn);
	EXPECT_EQ(0, set(0, (1ULL << 40) - 2 * pg, 2 * pg));
}

TEST_F(Memslot, toggling_dirty_logging_is_flags_only)
{
	ASSERT_EQ(0, set(9, 0x200000, 2 * pg, hva0, KVM_MEM_READONLY));
	ASSERT_EQ(0, set(9, 0x200000, 2 * pg, hva0, KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES));
	EXPECT_EQ(MemslotChange::flags_only, last.change);
	EXPECT_EQ(u32(KVM_MEM_READONLY), last.old.flags);
	EXPECT_TRUE(t->find_by_id(9)->dirty_logging());
	ASSERT_EQ(0, set(9, 0x200000, 2 * pg, hva0, KVM_MEM_READONLY));
	EXPECT_EQ(MemslotChange::flags_only, last.change);
	EXPECT_FALSE(t->find_by_id(9)->dirty_logging());
}

TEST_F(Memslot, unchanged_region_is_none_and_keeps_the_generation)
{
	ASSERT_EQ(0, set(1, 0x1000, pg, hva0, KVM_MEM_LOG_DIRTY_PAGES));
	const u64 gen = t->generation();
	ASSERT_EQ(0, set(1, 0x1000, pg, hva0, KVM_MEM_LOG_DIRTY_PAGES));
	EXPECT_EQ(MemslotChange::none, last.change);
	EXPECT_EQ(gen, t->generation());
	EXPECT_EQ(1u, t->count());
}

TEST_F(Memslot, generation_bumps_on_every_change_and_only_then)
{
	u64 gen = t->generation();
	auto expect_bump = [&](int err, bool bumps) {
		EXPECT_EQ(gen + (bumps ? 1 : 0), t->generation()) << err;
		gen = t->generation();
	};
	expect_bump(set(0, 0, pg), true);				       // create
	expect_bump(set(0, 0, pg, hva0, KVM_MEM_LOG_DIRTY_PAGES), true);       // flags
	expect_bump(set(0, pg, pg, hva0, KVM_MEM_LOG_DIRTY_PAGES), true);      // move
	expect_bump(set(0, pg, pg, hva0, KVM_MEM_LOG_DIRTY_PAGES), false);     // none
	expect_bump(set(0, pg, 2 * pg, hva0, KVM_MEM_LOG_DIRTY_PAGES), false); // -EINVAL
	expect_bump(set(1, pg, pg), false);				       // -EEXIST
	expect_bump(set(1, 1ULL << 40, pg), false);			       // -EFAULT
	expect_bump(set(0, 0, 0), true);				       // remove
	expect_bump(set(0, 0, 0), false);				       // -EINVAL
}

TEST_F(Memslot, gfn_helpers_stay_inside_the_slot)
{
	ASSERT_EQ(0, set(region(0, (1ULL << 48) - 4 * pg, 4 * pg, top_page - 4 * pg), 48));
	const kvmx::Memslot *s = t->find_by_id(0);
	ASSERT_NE(nullptr, s);
	const u64 base = ((1ULL << 48) >> kvmx::page_shift) - 4;
	EXPECT_EQ(base + 4, s->end_gfn());
	EXPECT_FALSE(s->contains(base - 1));
	EXPECT_TRUE(s->contains(base));
	EXPECT_TRUE(s->contains(base + 3));
	EXPECT_FALSE(s->contains(base + 4));
	EXPECT_FALSE(s->contains(all_ones));
	EXPECT_EQ(top_page - 4 * pg, s->gfn_to_hva(base));
	EXPECT_EQ(top_page - pg, s->gfn_to_hva(base + 3));
	EXPECT_EQ(kvmx::bad_hva, s->gfn_to_hva(base + 4));
	EXPECT_EQ(kvmx::bad_hva, s->gfn_to_hva(base - 1));
	EXPECT_EQ(kvmx::bad_hva, s->gfn_to_hva(all_ones));
	EXPECT_EQ(kvmx::bad_hva, s->gfn_to_hva(0));
}

TEST_F(Memslot, find_hits_and_misses_at_edges_with_slots_in_random_order)
{
	// Slot i covers gfns [0x100 * i + 1, 0x100 * i + 1 + (i % 7 + 1)): gaps on both sides.
	constexpr u32 n = 300;
	std::vector<u32> ids(n);
	for (u32 i = 0; i < n; i++)
		ids[i] = i;
	std::mt19937 rng(12345);
	std::shuffle(ids.begin(), ids.end(), rng);
	for (u32 i : ids) {
		u64 gfn = 0x100ULL * i + 1, npages = i % 7 + 1;
		ASSERT_EQ(0, set((i * 37) % kvmx::max_memslots, gfn * pg, npages * pg,
				 hva0 + gfn * pg))
			<< i;
	}
	ASSERT_EQ(n, t->count());
	expect_consistent();
	for (u32 i = 0; i < n; i++) {
		u64 base = 0x100ULL * i + 1, end = base + i % 7 + 1;
		const kvmx::Memslot *s = t->find(base);
		ASSERT_NE(nullptr, s) << i;
		EXPECT_EQ(&t->at(i), s) << "not sorted by base_gfn at " << i;
		EXPECT_EQ((i * 37) % kvmx::max_memslots, s->id);
		EXPECT_EQ(s, t->find(end - 1)) << i;
		EXPECT_EQ(nullptr, t->find(base - 1)) << i;
		EXPECT_EQ(nullptr, t->find(end)) << i;
		EXPECT_EQ(hva0 + (end - 1) * pg, s->gfn_to_hva(end - 1));
	}
	EXPECT_EQ(nullptr, t->find(all_ones));
}

TEST_F(Memslot, table_holds_max_memslots)
{
	for (u32 id = 0; id < kvmx::max_memslots; id++)
		ASSERT_EQ(0, set(id, u64(kvmx::max_memslots - id) * 2 * pg, pg, hva0 + id * pg))
			<< id;
	EXPECT_EQ(kvmx::max_memslots, t->count());
	EXPECT_EQ(u64(kvmx::max_memslots), t->generation());
	EXPECT_EQ(-EINVAL, set(kvmx::max_memslots, 0, pg));
	expect_consistent();
	for (u32 id = 0; id < kvmx::max_memslots; id++) {
		const kvmx::Memslot *s = t->find(u64(kvmx::max_memslots - id) * 2);
		ASSERT_NE(nullptr, s);
		EXPECT_EQ(id, s->id);
		EXPECT_EQ(nullptr, t->find(u64(kvmx::max_memslots - id) * 2 + 1));
	}
	// Emptied from the middle out, the table stays consistent.
	for (u32 k = 0; k < kvmx::max_memslots; k++) {
		u32 id = (k * 211 + 256) % kvmx::max_memslots; // 211 is coprime to 512
		ASSERT_EQ(0, set(id, 0, 0)) << id;
		ASSERT_EQ(nullptr, t->find_by_id(id));
	}
	EXPECT_EQ(0u, t->count());
}

TEST_F(Memslot, iteration_follows_moves)
{
	ASSERT_EQ(0, set(0, 0x10 * pg, pg));
	ASSERT_EQ(0, set(1, 0x20 * pg, pg));
	ASSERT_EQ(0, set(2, 0x30 * pg, pg));
	ASSERT_EQ(0, set(0, 0x40 * pg, pg)); // first becomes last
	ASSERT_EQ(0, set(2, 0x5 * pg, pg));  // last becomes first
	ASSERT_EQ(3u, t->count());
	EXPECT_EQ(2u, t->at(0).id);
	EXPECT_EQ(1u, t->at(1).id);
	EXPECT_EQ(0u, t->at(2).id);
	expect_consistent();
}

TEST_F(Memslot, failed_calls_leave_the_table_unchanged)
{
	ASSERT_EQ(0, set(0, 0, 4 * pg));
	ASSERT_EQ(0, set(1, 0x10 * pg, 4 * pg, hva0 + 0x10000));
	const kvmx::Memslot before0 = *t->find_by_id(0), before1 = *t->find_by_id(1);
	const u64 gen = t->generation();
	EXPECT_EQ(-EEXIST, set(0, 0x12 * pg, 4 * pg));
	EXPECT_EQ(-EFAULT, set(0, 1ULL << 40, 4 * pg));
	EXPECT_EQ(-EINVAL, set(1, 0x10 * pg, 4 * pg, hva0));
	EXPECT_EQ(-EEXIST, set(2, 0, 100 * pg));
	EXPECT_EQ(gen, t->generation());
	EXPECT_EQ(2u, t->count());
	EXPECT_TRUE(same(before0, *t->find_by_id(0)));
	EXPECT_TRUE(same(before1, *t->find_by_id(1)));
	expect_consistent();
}
