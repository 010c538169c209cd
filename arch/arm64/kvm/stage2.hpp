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

class Stage2 {
public:
	// A table for a VM with @ipa_bits of guest physical address space (32..48).
	static Result<Stage2 *> create(u32 ipa_bits);
	static void destroy(Stage2 *s2);

	// Map the 4 KB page at @ipa to host physical @pa as normal write-back memory.
	// -EINVAL for unaligned or out-of-range addresses, -EEXIST if mapped, -ENOMEM.
	Status map_page(u64 ipa, u64 pa, u32 prot);
	// Remove the mapping of @ipa; returns the PA that was mapped there, or 0.
	u64 unmap_page(u64 ipa);
	// The PA mapped at @ipa, or 0.
	u64 lookup(u64 ipa) const;

	u64 root_pa() const { return root_pa_; }
	u32 ipa_bits() const { return ipa_bits_; }
	u32 start_level() const { return start_level_; }
	u64 table_pages() const { return table_pages_; }

	// VTCR_EL2 for this table on a host whose ID_AA64MMFR0_EL1.PARange is @parange.
	u64 vtcr(u32 parange) const;

	Stage2() = default;
	~Stage2();

private:
	u64 *walk(u64 ipa, bool alloc);
	void free_level(u64 *table, u32 level);

	u64 *root_ = nullptr;
	u64 root_pa_ = 0;
	u32 ipa_bits_ = 0;
	u32 start_level_ = 0;
	u64 table_pages_ = 0;
};

} // namespace kvmx
