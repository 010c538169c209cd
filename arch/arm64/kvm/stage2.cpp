// SPDX-License-Identifier: GPL-2.0
// Stage-2 page tables, VMSAv8-64 4 KB granule (ARM ARM D8.3): a walk from the start
// level chosen by the IPA size, table pages from kvmx_host_alloc_page. Does not pin or
// release guest pages and does no TLB maintenance: its callers own both.
#include "stage2.hpp"

namespace kvmx {

namespace {

constexpr u64 granule_size = 4096;
constexpr u64 desc_valid = 1ULL << 0, desc_table = 1ULL << 1; // level 0-2 table / level 3 page
constexpr u64 desc_attr_normal_wb = 0xfULL << 2;	      // MemAttr[3:0]=0b1111 (D8.6.5)
constexpr u64 desc_s2ap_read = 1ULL << 6, desc_s2ap_write = 1ULL << 7;
constexpr u64 desc_sh_inner = 3ULL << 8;
constexpr u64 desc_af = 1ULL << 10;
constexpr u64 desc_xn = 2ULL << 53;		      // XN[1:0]=0b10: no execution at EL1/EL0
constexpr u64 desc_addr_mask = 0x0000fffffffff000ULL; // OA[47:12]

u32 level_shift(u32 level)
{
	return 12 + 9 * (3 - level);
}

} // namespace

Status PageCache::topup()
{
	while (count < capacity) {
		void *page = kvmx_host_alloc_page();
		if (!page)
			return Status::error(-ENOMEM);
		pages[count++] = page;
	}
	return Status::ok();
}

void PageCache::release()
{
	while (count)
		kvmx_host_free_page(pages[--count]);
}

Result<Stage2 *> Stage2::create(u32 ipa_bits)
{
	if (ipa_bits < 32 || ipa_bits > 48)
		return Status::error(-EINVAL);
	Stage2 *s2 = make_zeroed<Stage2>();
	if (!s2)
		return Status::error(-ENOMEM);
	s2->ipa_bits_ = ipa_bits;
	// D8.2.3: with 4 KB pages, >39 bits start at level 0, 31..39 at level 1; one root
	// page suffices for both (no concatenated tables needed).
	s2->start_level_ = ipa_bits > 39 ? 0 : 1;
	s2->root_ = static_cast<u64 *>(kvmx_host_alloc_page());
	if (!s2->root_) {
		destroy(s2);
		return Status::error(-ENOMEM);
	}
	s2->root_pa_ = kvmx_host_virt_to_phys(s2->root_);
	s2->table_pages_ = 1;
	return s2;
}

void Stage2::destroy(Stage2 *s2)
{
	kvmx::destroy(s2);
}

Stage2::~Stage2()
{
	if (root_)
		free_level(root_, start_level_);
}

void Stage2::free_level(u64 *table, u32 level)
{
	if (level < 3) {
		for (u32 i = 0; i < 512; i++) {
			if ((table[i] & (desc_valid | desc_table)) == (desc_valid | desc_table))
				free_level(static_cast<u64 *>(kvmx_host_phys_to_virt(
						   table[i] & desc_addr_mask)),
					   level + 1);
		}
	}
	kvmx_host_free_page(table);
}

// The level-3 descriptor slot for @ipa, allocating intermediate tables if @alloc.
u64 *Stage2::walk(u64 ipa, bool alloc, PageCache *cache)
{
	u64 *table = root_;
	for (u32 level = start_level_; level < 3; level++) {
		u64 *entry = &table[(ipa >> level_shift(level)) & 511];
		if (!(*entry & desc_valid)) {
			if (!alloc)
				return nullptr;
			void *next = cache ? cache->take() : kvmx_host_alloc_page();
			if (!next)
				return nullptr;
			table_pages_++;
			__atomic_store_n(entry,
					 kvmx_host_virt_to_phys(next) | desc_table | desc_valid,
					 __ATOMIC_RELEASE);
		}
		table = static_cast<u64 *>(kvmx_host_phys_to_virt(*entry & desc_addr_mask));
	}
	return &table[(ipa >> level_shift(3)) & 511];
}

Status Stage2::map_page(u64 ipa, u64 pa, u32 prot, PageCache *cache)
{
	if ((ipa | pa) & (granule_size - 1) || ipa >> ipa_bits_ || pa & ~desc_addr_mask)
		return Status::error(-EINVAL);
	u64 *slot = walk(ipa, true, cache);
	if (!slot)
		return Status::error(-ENOMEM);
	// Same page again: only permissions change, which needs no break-before-make.
	if ((*slot & desc_valid) && (*slot & desc_addr_mask) != pa)
		return Status::error(-EEXIST);
	u64 desc = pa | desc_valid | desc_table | desc_attr_normal_wb | desc_sh_inner | desc_af;
	if (prot & stage2_read)
		desc |= desc_s2ap_read;
	if (prot & stage2_write)
		desc |= desc_s2ap_write;
	if (!(prot & stage2_exec))
		desc |= desc_xn;
	__atomic_store_n(slot, desc, __ATOMIC_RELEASE);
	return Status::ok();
}

u64 Stage2::unmap_page(u64 ipa)
{
	if (ipa >> ipa_bits_)
		return 0;
	u64 *slot = walk(ipa, false);
	if (!slot || !(*slot & desc_valid))
		return 0;
	u64 pa = *slot & desc_addr_mask;
	__atomic_store_n(slot, 0, __ATOMIC_RELEASE);
	return pa;
}

u64 Stage2::unmap_level(u64 *table, u32 level, u64 base, u64 start, u64 end)
{
	const u64 span = 1ULL << level_shift(level);
	u64 unmapped = 0;
	u32 first = (start - base) >> level_shift(level);
	for (u32 i = first; i < 512; i++) {
		u64 entry_base = base + i * span;
		if (entry_base >= end)
			break;
		u64 desc = table[i];
		if (!(desc & desc_valid))
			continue;
		if (level == 3) {
			__atomic_store_n(&table[i], 0, __ATOMIC_RELEASE);
			unmapped++;
			continue;
		}
		u64 lo = start > entry_base ? start : entry_base;
		unmapped += unmap_level(
			static_cast<u64 *>(kvmx_host_phys_to_virt(desc & desc_addr_mask)),
			level + 1, entry_base, lo, end);
	}
	return unmapped;
}

u64 Stage2::unmap_range(u64 ipa, u64 size)
{
	u64 limit = 1ULL << ipa_bits_;
	if (ipa >= limit || size == 0)
		return 0;
	u64 end = size > limit - ipa ? limit : ipa + size;
	return unmap_level(root_, start_level_, 0, ipa & ~(granule_size - 1), end);
}

u64 Stage2::lookup(u64 ipa) const
{
	if (ipa >> ipa_bits_)
		return 0;
	u64 *slot = const_cast<Stage2 *>(this)->walk(ipa, false);
	return slot && (*slot & desc_valid) ? (*slot & desc_addr_mask) : 0;
}

bool Stage2::writable(u64 ipa) const
{
	if (ipa >> ipa_bits_)
		return false;
	u64 *slot = const_cast<Stage2 *>(this)->walk(ipa, false);
	return slot && (*slot & desc_valid) && (*slot & desc_s2ap_write);
}

u64 Stage2::vtcr(u32 parange) const
{
	// D13.2.151 VTCR_EL2: T0SZ, SL0 (4 KB: 2 = level 0, 1 = level 1), inner/outer
	// write-back write-allocate walks, inner shareable, TG0 = 4 KB, PS, RES1 bit 31.
	u64 sl0 = start_level_ == 0 ? 2 : 1;
	u64 ps = parange > 5 ? 5 : parange;
	return (64 - ipa_bits_) | sl0 << 6 | 1ULL << 8 | 1ULL << 10 | 3ULL << 12 | ps << 16 |
	       1ULL << 31;
}

} // namespace kvmx
