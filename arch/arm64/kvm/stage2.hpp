// SPDX-License-Identifier: GPL-2.0
// Stage-2 translation tables (4 KB granule) for one VM: map and unmap single pages and
// compute VTCR_EL2. Owns the table pages, not the mapped memory or TLB maintenance.
#pragma once

#include "base.hpp"

namespace kvmx {

enum Stage2Prot : u32 {
	stage2_read = 1,
	stage2_write = 2,
	stage2_exec = 4,
};

// Table pages set aside before a spinlock is taken, so that a map under the lock never
// allocates. A null cache (or an empty one) makes map_page allocate directly / fail.
struct PageCache {
	static constexpr u32 capacity = 4; // one page per level below the root
	void *pages[capacity];
	u32 count;

	// Fill up (may sleep): -ENOMEM if the host is out of pages.
	Status topup();
	void release();
	void *take() { return count ? pages[--count] : nullptr; }
};

class Stage2 {
public:
	// A table for a VM with @ipa_bits of guest physical address space (32..48).
	static Result<Stage2 *> create(u32 ipa_bits);
	static void destroy(Stage2 *s2);

	// Map the 4 KB page at @ipa to host physical @pa as normal write-back memory. Table
	// pages come from @cache when given (never allocating), else from the host.
	// Mapping the same @pa again replaces the permissions (a write fault upgrading a
	// read-only mapping). -EINVAL for unaligned or out-of-range addresses, -EEXIST if
	// another page is mapped there, -ENOMEM.
	Status map_page(u64 ipa, u64 pa, u32 prot, PageCache *cache = nullptr);
	// Remove the mapping of @ipa; returns the PA that was mapped there, or 0.
	u64 unmap_page(u64 ipa);
	// Remove every mapping in [ipa, ipa + size); skips absent tables, so sparse ranges
	// are cheap. Returns the number of pages that were mapped.
	u64 unmap_range(u64 ipa, u64 size);
	// The PA mapped at @ipa, or 0.
	u64 lookup(u64 ipa) const;
	// Whether @ipa is mapped with write permission.
	bool writable(u64 ipa) const;

	u64 root_pa() const { return root_pa_; }
	u32 ipa_bits() const { return ipa_bits_; }
	u32 start_level() const { return start_level_; }
	u64 table_pages() const { return table_pages_; }

	// VTCR_EL2 for this table on a host whose ID_AA64MMFR0_EL1.PARange is @parange.
	u64 vtcr(u32 parange) const;

	Stage2() = default;
	~Stage2();

private:
	u64 *walk(u64 ipa, bool alloc, PageCache *cache = nullptr);
	u64 unmap_level(u64 *table, u32 level, u64 base, u64 start, u64 end);
	void free_level(u64 *table, u32 level);

	u64 *root_ = nullptr;
	u64 root_pa_ = 0;
	u32 ipa_bits_ = 0;
	u32 start_level_ = 0;
	u64 table_pages_ = 0;
};

} // namespace kvmx
