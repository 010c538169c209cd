// SPDX-License-Identifier: GPL-2.0
// KUnit suite kvmx_stage2: stage-2 tables (stage2.cpp) built from real kernel pages and
// torn down again, and a VM's stage 2 as KVM_CREATE_VM's IPA size and memslot removal
// shape it (mmu.cpp, vm.cpp). No guest runs: the tables are checked by walking them.
#include "arch_vm.hpp"
#include "kunit/check.hpp"
#include "registry.hpp"
#include "stage2.hpp"
#include <linux/kvm.h>

namespace kvmx::ktest {

namespace {

constexpr u64 pa0 = 0x40000000; // host physical addresses: never accessed

class Table {
public:
	explicit Table(u32 ipa_bits)
	{
		Result<Stage2 *> r = Stage2::create(ipa_bits);
		s2_ = r.is_ok() ? r.value() : nullptr;
	}
	~Table() { Stage2::destroy(s2_); }
	Table(const Table &) = delete;
	Table &operator=(const Table &) = delete;
	Stage2 *operator->() const { return s2_; }
	bool ok() const { return s2_ != nullptr; }

private:
	Stage2 *s2_;
};

void start_level_and_vtcr_follow_the_ipa_size(struct ::kunit *test)
{
	KX_EXPECT_EQ(test, -EINVAL, Stage2::create(31).err());
	KX_EXPECT_EQ(test, -EINVAL, Stage2::create(49).err());
	for (u32 bits = 32; bits <= 48; bits++) {
		Table t(bits);
		if (!KX_EXPECT(test, t.ok()))
			return;
		KX_EXPECT_EQ(test, bits > 39 ? 0 : 1, t->start_level());
		KX_EXPECT_EQ(test, 1, t->table_pages());
		KX_EXPECT_EQ(test, 0, t->root_pa() & 0xfff);
		u64 vtcr = t->vtcr(5);
		KX_EXPECT_EQ(test, 64 - bits, vtcr & 0x3f);		// T0SZ
		KX_EXPECT_EQ(test, bits > 39 ? 2 : 1, (vtcr >> 6) & 3); // SL0
		KX_EXPECT_EQ(test, 5, (vtcr >> 16) & 7);		// PS
	}
}

void a_mapping_builds_one_table_per_level_and_is_found(struct ::kunit *test)
{
	Table t(48);
	if (!KX_EXPECT(test, t.ok()))
		return;
	const u64 ipa = 0x12345000;
	KX_EXPECT(test, t->map_page(ipa, pa0, stage2_read | stage2_write).is_ok());
	KX_EXPECT_EQ(test, 4, t->table_pages()); // root (level 0) + levels 1, 2, 3
	KX_EXPECT_EQ(test, pa0, t->lookup(ipa));
	KX_EXPECT_EQ(test, pa0, t->lookup(ipa + 0xabc)); // any byte of the page
	KX_EXPECT(test, t->writable(ipa));
	KX_EXPECT_EQ(test, 0, t->lookup(ipa + 0x1000));
	KX_EXPECT_EQ(test, 0, t->lookup(ipa - 0x1000));
	// A neighbour in the same 2 MB shares every table; one 512 GB away needs three.
	KX_EXPECT(test, t->map_page(ipa + 0x1000, pa0 + 0x1000, stage2_read).is_ok());
	KX_EXPECT_EQ(test, 4, t->table_pages());
	KX_EXPECT(test, !t->writable(ipa + 0x1000));
	KX_EXPECT(test, t->map_page(ipa + (1ULL << 39), pa0 + 0x2000, stage2_read).is_ok());
	KX_EXPECT_EQ(test, 7, t->table_pages());
	KX_EXPECT_EQ(test, pa0 + 0x2000, t->lookup(ipa + (1ULL << 39)));
}

void bad_maps_are_refused_and_change_nothing(struct ::kunit *test)
{
	Table t(40);
	if (!KX_EXPECT(test, t.ok()))
		return;
	const u64 ipa = 0x80000000;
	KX_EXPECT(test, t->map_page(ipa, pa0, stage2_read).is_ok());
	const u64 pages = t->table_pages();
	KX_EXPECT_EQ(test, -EINVAL, t->map_page(ipa + 8, pa0, stage2_read).err());
	KX_EXPECT_EQ(test, -EINVAL, t->map_page(ipa, pa0 + 8, stage2_read).err());
	KX_EXPECT_EQ(test, -EINVAL, t->map_page(1ULL << 40, pa0, stage2_read).err());
	KX_EXPECT_EQ(test, -EINVAL, t->map_page(0x1000, 1ULL << 48, stage2_read).err());
	// Another page where one is mapped: refused; the same page: new permissions.
	KX_EXPECT_EQ(test, -EEXIST, t->map_page(ipa, pa0 + 0x1000, stage2_read).err());
	KX_EXPECT_EQ(test, pa0, t->lookup(ipa));
	KX_EXPECT(test, !t->writable(ipa));
	KX_EXPECT(test, t->map_page(ipa, pa0, stage2_read | stage2_write).is_ok());
	KX_EXPECT(test, t->writable(ipa));
	KX_EXPECT_EQ(test, pages, t->table_pages());
	KX_EXPECT_EQ(test, 0, t->lookup(1ULL << 40));
	KX_EXPECT(test, !t->writable(~0ULL));
}

void unmap_range_removes_exactly_the_range(struct ::kunit *test)
{
	Table t(48);
	if (!KX_EXPECT(test, t.ok()))
		return;
	// 16 pages straddling a 2 MB boundary (two last-level tables).
	const u64 base = 0x200000 - 8 * 0x1000;
	for (u64 i = 0; i < 16; i++) {
		if (!KX_EXPECT(test, t->map_page(base + i * 0x1000, pa0 + i * 0x1000,
						 stage2_read | stage2_write)
					     .is_ok()))
			return;
	}
	// Pages 4..11, across the boundary.
	KX_EXPECT_EQ(test, 8, t->unmap_range(base + 4 * 0x1000, 8 * 0x1000));
	for (u64 i = 0; i < 16; i++) {
		u64 want = i >= 4 && i < 12 ? 0 : pa0 + i * 0x1000;
		KX_EXPECT_EQ(test, want, t->lookup(base + i * 0x1000));
	}
	KX_EXPECT_EQ(test, 0, t->unmap_range(base + 4 * 0x1000, 8 * 0x1000)); // again: none
	KX_EXPECT_EQ(test, pa0 + 0x1000, t->unmap_page(base + 0x1000));
	KX_EXPECT_EQ(test, 0, t->unmap_page(base + 0x1000));
	KX_EXPECT_EQ(test, 0, t->unmap_page(1ULL << 48));
	KX_EXPECT_EQ(test, 0, t->unmap_range(1ULL << 48, 0x1000));
	KX_EXPECT_EQ(test, 0, t->unmap_range(base, 0));
	// A size running past the IPA space is clipped, not wrapped.
	KX_EXPECT_EQ(test, 7, t->unmap_range(0, ~0ULL));
	for (u64 i = 0; i < 16; i++)
		KX_EXPECT_EQ(test, 0, t->lookup(base + i * 0x1000));
}

void maps_under_a_lock_take_tables_from_the_cache_only(struct ::kunit *test)
{
	Table t(48);
	if (!KX_EXPECT(test, t.ok()))
		return;
	PageCache cache = {};
	KX_EXPECT_EQ(test, -ENOMEM, t->map_page(0x40000000, pa0, stage2_read, &cache).err());
	KX_EXPECT_EQ(test, 1, t->table_pages());
	KX_EXPECT_EQ(test, 0, t->lookup(0x40000000));
	if (!KX_EXPECT(test, cache.topup().is_ok()))
		return;
	KX_EXPECT_EQ(test, PageCache::capacity, cache.count);
	KX_EXPECT(test, t->map_page(0x40000000, pa0, stage2_read, &cache).is_ok());
	KX_EXPECT_EQ(test, PageCache::capacity - 3, cache.count);
	KX_EXPECT_EQ(test, 4, t->table_pages());
	cache.release();
	KX_EXPECT_EQ(test, 0, cache.count);
}

void teardown_returns_every_table_page(struct ::kunit *test)
{
	const long before = kvmx_kunit_live_allocs();
	{
		Table t(48);
		if (!KX_EXPECT(test, t.ok()))
			return;
		// Scattered pages: many tables at every level.
		for (u64 i = 0; i < 64; i++) {
			u64 ipa = (i * 0x9e3779b97f4a7c15ULL) & ((1ULL << 48) - 1) & ~0xfffULL;
			if (!KX_EXPECT(test,
				       t->map_page(ipa, pa0 + (i << 12), stage2_read).is_ok()))
				break;
		}
		KX_EXPECT(test, t->table_pages() > 64);
		// Every table page, plus the Stage2 object, is a live host allocation.
		KX_EXPECT_EQ(test, static_cast<s64>(t->table_pages()) + 1,
			     kvmx_kunit_live_allocs() - before);
	}
	KX_EXPECT_EQ(test, before, kvmx_kunit_live_allocs());
}

void a_vm_gets_the_ipa_size_it_asked_for(struct ::kunit *test)
{
	UserMm mm;
	if (!KX_EXPECT(test, mm.ok()))
		return;
	const u32 limit = arm64_ipa_limit(registry().host.arm64_id_aa64mmfr0);
	KX_EXPECT_EQ(test, -EINVAL, TestVm(KVM_VM_TYPE_ARM_IPA_SIZE(31)).err());
	KX_EXPECT_EQ(test, -EINVAL, TestVm(KVM_VM_TYPE_ARM_IPA_SIZE(limit + 1)).err());
	KX_EXPECT_EQ(test, -EINVAL, TestVm(1UL << 8).err()); // bits outside the IPA field
	TestVm a(KVM_VM_TYPE_ARM_IPA_SIZE(36)), b(0);
	if (!KX_EXPECT(test, a.get() && b.get()))
		return;
	const ArchVm &x = a.get()->arch, &y = b.get()->arch;
	KX_EXPECT_EQ(test, 36, x.ipa_bits);
	KX_EXPECT_EQ(test, 1, x.s2->start_level());
	KX_EXPECT_EQ(test, 40, y.ipa_bits); // type 0: 40 bits, as upstream
	KX_EXPECT(test, x.vmid != 0 && y.vmid != 0 && x.vmid != y.vmid);
	KX_EXPECT_EQ(test, static_cast<u64>(x.vmid) << 48 | x.s2->root_pa(), x.vttbr);
}

void removing_a_memslot_unmaps_its_pages(struct ::kunit *test)
{
	UserMm mm;
	if (!KX_EXPECT(test, mm.ok()))
		return;
	TestVm vm;
	if (!KX_EXPECT(test, vm.get() != nullptr))
		return;
	Vm *v = vm.get();
	kvmx_uptr ram = mm.map(0x4000), arg = mm.map(4096);
	if (!KX_EXPECT(test, ram && arg))
		return;
	kvm_userspace_memory_region r = region(0, 0x100000, 0x4000, ram);
	if (!KX_EXPECT_EQ(test, 0, kvmx_host_copy_to_user(arg, &r, sizeof(r))))
		return;
	KX_EXPECT_EQ(test, 0, vm_ioctl(v, KVM_SET_USER_MEMORY_REGION, arg));
	// As the fault path would leave them (fake PAs: no guest ever runs here), plus a
	// page outside the slot that must survive. Tables come from a cache filled before
	// the spinlock, as on the fault path: 3 for the first walk, 1 for the second 2 MB.
	PageCache cache = {};
	if (!KX_EXPECT(test, cache.topup().is_ok()))
		return;
	{
		SpinGuard mmu(v->mmu_lock);
		for (u64 i = 0; i < 4; i++)
			KX_EXPECT(test, v->arch.s2
						->map_page(0x100000 + i * 0x1000, pa0 + i * 0x1000,
							   stage2_read, &cache)
						.is_ok());
		KX_EXPECT(
			test,
			v->arch.s2->map_page(0x200000, pa0 + 0x10000, stage2_read, &cache).is_ok());
	}
	cache.release();
	const u64 seq = v->mmu_seq;
	r.memory_size = 0;
	KX_EXPECT_EQ(test, 0, kvmx_host_copy_to_user(arg, &r, sizeof(r)));
	KX_EXPECT_EQ(test, 0, vm_ioctl(v, KVM_SET_USER_MEMORY_REGION, arg));
	SpinGuard mmu(v->mmu_lock);
	for (u64 i = 0; i < 4; i++)
		KX_EXPECT_EQ(test, 0, v->arch.s2->lookup(0x100000 + i * 0x1000));
	KX_EXPECT_EQ(test, pa0 + 0x10000, v->arch.s2->lookup(0x200000));
	KX_EXPECT(test, v->mmu_seq != seq); // racing faults retry
}

} // namespace

} // namespace kvmx::ktest

extern "C" const struct kvmx_kunit_case kvmx_kunit_stage2_cases[] = {
	{ "start_level_and_vtcr_follow_the_ipa_size",
	  kvmx::ktest::start_level_and_vtcr_follow_the_ipa_size },
	{ "a_mapping_builds_one_table_per_level_and_is_found",
	  kvmx::ktest::a_mapping_builds_one_table_per_level_and_is_found },
	{ "bad_maps_are_refused_and_change_nothing",
	  kvmx::ktest::bad_maps_are_refused_and_change_nothing },
	{ "unmap_range_removes_exactly_the_range",
	  kvmx::ktest::unmap_range_removes_exactly_the_range },
	{ "maps_under_a_lock_take_tables_from_the_cache_only",
	  kvmx::ktest::maps_under_a_lock_take_tables_from_the_cache_only },
	{ "teardown_returns_every_table_page", kvmx::ktest::teardown_returns_every_table_page },
	{ "a_vm_gets_the_ipa_size_it_asked_for", kvmx::ktest::a_vm_gets_the_ipa_size_it_asked_for },
	{ "removing_a_memslot_unmaps_its_pages", kvmx::ktest::removing_a_memslot_unmaps_its_pages },
	{ nullptr, nullptr },
};
