// SPDX-License-Identifier: GPL-2.0
// KUnit suite kvmx_memslot: the memslot table (memslot.cpp) in kernel memory, as
// KVM_SET_USER_MEMORY_REGION drives it: validation, ordering, lookups, changes and the
// generation count. The table is pure data, so no VM or user memory is needed.
#include "check.hpp"
#include "memslot.hpp"

namespace kvmx::ktest {

namespace {

constexpr u32 ipa40 = 40;
constexpr u64 hva0 = 0x7f0000000000ULL; // user addresses: the table never touches them

// A fresh table, destroyed at the end of the scope.
class Table {
public:
	Table()
	{
		Result<MemslotTable *> r = MemslotTable::create();
		t_ = r.is_ok() ? r.value() : nullptr;
	}
	~Table() { MemslotTable::destroy(t_); }
	Table(const Table &) = delete;
	Table &operator=(const Table &) = delete;
	MemslotTable *operator->() const { return t_; }
	bool ok() const { return t_ != nullptr; }

private:
	MemslotTable *t_;
};

int set(Table &t, const kvm_userspace_memory_region &r)
{
	Result<MemslotUpdate> u = t->set(r, ipa40);
	return u.err();
}

void slots_are_sorted_and_found_by_gfn(struct ::kunit *test)
{
	Table t;
	if (!KX_EXPECT(test, t.ok()))
		return;
	// Created out of order; lookups must see them sorted by base gfn.
	KX_EXPECT_EQ(test, 0, set(t, region(3, 0x300000, 0x2000, hva0 + 0x30000)));
	KX_EXPECT_EQ(test, 0, set(t, region(1, 0x100000, 0x1000, hva0)));
	KX_EXPECT_EQ(test, 0, set(t, region(2, 0x200000, 0x4000, hva0 + 0x10000)));
	if (!KX_EXPECT_EQ(test, 3, t->count()))
		return;
	for (u32 i = 1; i < t->count(); i++)
		KX_EXPECT(test, t->at(i - 1).end_gfn() <= t->at(i).base_gfn);
	const Memslot *s = t->find(0x203);
	KX_EXPECT(test, s && s->id == 2);
	KX_EXPECT(test, t->find(0x204) == nullptr); // one past the end of slot 2
	KX_EXPECT(test, t->find(0x1ff) == nullptr); // one before slot 2
	KX_EXPECT(test, t->find(0) == nullptr);
	KX_EXPECT(test, t->find(~0ULL) == nullptr);
	s = t->find(0x300);
	KX_EXPECT(test, s && s->id == 3);
	if (s)
		KX_EXPECT_EQ(test, hva0 + 0x31000, s->gfn_to_hva(0x301));
	if (s)
		KX_EXPECT_EQ(test, bad_hva, s->gfn_to_hva(0x302));
	KX_EXPECT(test, t->find_by_id(1) && t->find_by_id(1)->base_gfn == 0x100);
	KX_EXPECT(test, t->find_by_id(4) == nullptr);
	KX_EXPECT(test, t->find_by_id(max_memslots) == nullptr);
}

void malformed_regions_fail_with_einval_and_leave_the_table_alone(struct ::kunit *test)
{
	Table t;
	if (!KX_EXPECT(test, t.ok()))
		return;
	KX_EXPECT_EQ(test, 0, set(t, region(0, 0x100000, 0x1000, hva0)));
	const u64 gen = t->generation();
	const kvm_userspace_memory_region bad[] = {
		region(1, 0x200000, 0x1000, hva0, 1u << 7),		 // unknown flag
		region(max_memslots, 0x200000, 0x1000, hva0),		 // slot id too big
		region(1 | 1u << 16, 0x200000, 0x1000, hva0),		 // address space 1
		region(1, 0x200800, 0x1000, hva0),			 // gpa not page aligned
		region(1, 0x200000, 0x1800, hva0),			 // size not page aligned
		region(1, 0x200000, 0x1000, hva0 + 8),			 // hva not page aligned
		region(1, ~0ULL - 0xfff, 0x2000, hva0),			 // gpa + size wraps
		region(1, 0x200000, 0x2000, ~0ULL - 0xfff),		 // hva + size wraps
		region(1, 0, (memslot_max_npages + 1) << page_shift, 0), // too many pages
		region(5, 0, 0, 0),					 // delete a missing slot
		region(0, 0x100000, 0x2000, hva0),			 // resize slot 0
		region(0, 0x100000, 0x1000, hva0 + 0x1000),		 // new hva for slot 0
		region(0, 0x100000, 0x1000, hva0, KVM_MEM_READONLY),	 // make slot 0 read-only
	};
	for (const kvm_userspace_memory_region &r : bad)
		KX_EXPECT_EQ(test, -EINVAL, set(t, r));
	KX_EXPECT_EQ(test, gen, t->generation());
	KX_EXPECT_EQ(test, 1, t->count());
}

void overlaps_fail_with_eexist_and_neighbours_fit(struct ::kunit *test)
{
	Table t;
	if (!KX_EXPECT(test, t.ok()))
		return;
	KX_EXPECT_EQ(test, 0, set(t, region(0, 0x100000, 0x10000, hva0)));
	KX_EXPECT_EQ(test, -EEXIST, set(t, region(1, 0x10f000, 0x2000, hva0)));	  // tail
	KX_EXPECT_EQ(test, -EEXIST, set(t, region(1, 0x0ff000, 0x2000, hva0)));	  // head
	KX_EXPECT_EQ(test, -EEXIST, set(t, region(1, 0x0f0000, 0x100000, hva0))); // covers it
	KX_EXPECT_EQ(test, -EEXIST, set(t, region(1, 0x104000, 0x1000, hva0)));	  // inside
	KX_EXPECT_EQ(test, 0, set(t, region(1, 0x110000, 0x1000, hva0)));	  // just after
	KX_EXPECT_EQ(test, 0, set(t, region(2, 0x0ff000, 0x1000, hva0)));	  // just before
	KX_EXPECT_EQ(test, 3, t->count());
	// Moving a slot onto another is an overlap too, and changes nothing.
	const u64 gen = t->generation();
	KX_EXPECT_EQ(test, -EEXIST, set(t, region(1, 0x100000, 0x1000, hva0)));
	KX_EXPECT_EQ(test, gen, t->generation());
	KX_EXPECT_EQ(test, 0x110, t->find_by_id(1)->base_gfn);
}

void slots_beyond_the_ipa_size_fail_with_efault(struct ::kunit *test)
{
	Table t;
	if (!KX_EXPECT(test, t.ok()))
		return;
	const u64 top = 1ULL << ipa40;
	KX_EXPECT_EQ(test, -EFAULT, set(t, region(1, top - 0x1000 * 4, 0x1000 * 8, hva0)));
	KX_EXPECT_EQ(test, 0, set(t, region(0, top - 0x1000, 0x1000, hva0))); // last page
	KX_EXPECT_EQ(test, -EFAULT, set(t, region(1, top, 0x1000, hva0)));
	// Overlap is found first, as upstream's generic code runs before arm64's IPA check.
	KX_EXPECT_EQ(test, -EEXIST, set(t, region(1, top - 0x1000 * 4, 0x1000 * 8, hva0)));
	// Moving a slot out of range fails the same way.
	KX_EXPECT_EQ(test, -EFAULT, set(t, region(0, top, 0x1000, hva0)));
	KX_EXPECT_EQ(test, (top >> page_shift) - 1, t->find_by_id(0)->base_gfn);
}

void changes_report_what_they_did_and_bump_the_generation(struct ::kunit *test)
{
	Table t;
	if (!KX_EXPECT(test, t.ok()))
		return;
	u64 gen = t->generation();
	Result<MemslotUpdate> u = t->set(region(7, 0x100000, 0x4000, hva0), ipa40);
	if (!KX_EXPECT(test, u.is_ok()))
		return;
	KX_EXPECT(test, u.value().change == MemslotChange::create);
	KX_EXPECT(test, t->generation() > gen);

	gen = t->generation();
	u = t->set(region(7, 0x100000, 0x4000, hva0), ipa40); // the same again
	KX_EXPECT(test, u.is_ok() && u.value().change == MemslotChange::none);
	KX_EXPECT_EQ(test, gen, t->generation());

	u = t->set(region(7, 0x100000, 0x4000, hva0, KVM_MEM_LOG_DIRTY_PAGES), ipa40);
	KX_EXPECT(test, u.is_ok() && u.value().change == MemslotChange::flags_only);
	KX_EXPECT(test, t->find(0x100) && t->find(0x100)->dirty_logging());
	KX_EXPECT(test, t->generation() > gen);

	gen = t->generation();
	u = t->set(region(7, 0x800000, 0x4000, hva0, KVM_MEM_LOG_DIRTY_PAGES), ipa40);
	KX_EXPECT(test, u.is_ok() && u.value().change == MemslotChange::move);
	if (u.is_ok())
		KX_EXPECT_EQ(test, 0x100, u.value().old.base_gfn);
	KX_EXPECT(test, t->find(0x100) == nullptr);
	KX_EXPECT(test, t->find(0x803) && t->find(0x803)->id == 7);
	KX_EXPECT(test, t->generation() > gen);

	gen = t->generation();
	u = t->set(region(7, 0, 0, 0), ipa40);
	KX_EXPECT(test, u.is_ok() && u.value().change == MemslotChange::remove);
	if (u.is_ok())
		KX_EXPECT_EQ(test, 0x800, u.value().old.base_gfn);
	KX_EXPECT_EQ(test, 0, t->count());
	KX_EXPECT(test, t->find_by_id(7) == nullptr);
	KX_EXPECT(test, t->generation() > gen);
}

void a_full_table_stays_consistent_through_removals(struct ::kunit *test)
{
	Table t;
	if (!KX_EXPECT(test, t.ok()))
		return;
	// Every slot id, in an order unrelated to their addresses (a stride coprime to 512).
	for (u32 i = 0; i < max_memslots; i++) {
		u32 id = (i * 37) % max_memslots;
		if (!KX_EXPECT_EQ(test, 0,
				  set(t, region(id, (u64)(max_memslots - id) << 20, 0x1000,
						hva0 + ((u64)id << 12)))))
			return;
	}
	KX_EXPECT_EQ(test, max_memslots, t->count());
	KX_EXPECT_EQ(test, -EINVAL, set(t, region(max_memslots, 0x1000, 0x1000, hva0)));
	// Remove every other slot; the rest must still be found by id and by address.
	for (u32 id = 0; id < max_memslots; id += 2)
		KX_EXPECT_EQ(test, 0, set(t, region(id, 0, 0, 0)));
	KX_EXPECT_EQ(test, max_memslots / 2, t->count());
	u32 bad = 0;
	for (u32 id = 0; id < max_memslots; id++) {
		const Memslot *s = t->find_by_id(id);
		const Memslot *f = t->find((u64)(max_memslots - id) << (20 - page_shift));
		if (id % 2 ? !s || s != f || s->id != id : s != nullptr || f != nullptr)
			bad++;
	}
	KX_EXPECT_EQ(test, 0, bad);
}

} // namespace

} // namespace kvmx::ktest

extern "C" const struct kvmx_kunit_case kvmx_kunit_memslot_cases[] = {
	{ "slots_are_sorted_and_found_by_gfn", kvmx::ktest::slots_are_sorted_and_found_by_gfn },
	{ "malformed_regions_fail_with_einval_and_leave_the_table_alone",
	  kvmx::ktest::malformed_regions_fail_with_einval_and_leave_the_table_alone },
	{ "overlaps_fail_with_eexist_and_neighbours_fit",
	  kvmx::ktest::overlaps_fail_with_eexist_and_neighbours_fit },
	{ "slots_beyond_the_ipa_size_fail_with_efault",
	  kvmx::ktest::slots_beyond_the_ipa_size_fail_with_efault },
	{ "changes_report_what_they_did_and_bump_the_generation",
	  kvmx::ktest::changes_report_what_they_did_and_bump_the_generation },
	{ "a_full_table_stays_consistent_through_removals",
	  kvmx::ktest::a_full_table_stays_consistent_through_removals },
	{ nullptr, nullptr },
};
