// SPDX-License-Identifier: GPL-2.0
// Partition-scoped radix tree (see radix.hpp).
#include "radix.hpp"

namespace kvmx {

namespace {

// Entry fields (Power ISA 3.0B 6.7.10.1), as 64-bit values before the byte swap.
constexpr u64 R_VALID = 1ULL << 63;	  // V
constexpr u64 R_LEAF = 1ULL << 62;	  // L
constexpr u64 R_NLB = 0x0fffffffffffff00; // next level base (PDE)
constexpr u64 R_RPN = 0x01fffffffffff000; // real page number (PTE)
constexpr u64 R_REF = 1ULL << 8;	  // R: referenced
constexpr u64 R_CHG = 1ULL << 7;	  // C: changed
// ATT (storage attributes): 0b10 = non-idempotent I/O (cache-inhibited, guarded).
constexpr u64 R_ATT_IO = 0x2ULL << 4;
constexpr u64 R_READ = 1ULL << 2, R_WRITE = 1ULL << 1, R_EXEC = 1ULL << 0;

constexpr u32 root_bits = 13, level_bits = 9, leaf_shift = 12;
// The root table (2^13 entries, 64 KB) must be aligned to its size (ISA 3.0B 6.7.10.1);
// the lower levels (2^9 entries, 4 KB) fit any host page, 4 KB or 64 KB.
constexpr u64 root_bytes = (1ULL << root_bits) * sizeof(u64);
// Shift of the address bits each level indexes: 39, 30, 21, 12.
constexpr u32 level_shift(u32 level)
{
	return leaf_shift + level_bits * (3 - level);
}
constexpr u32 level_entries(u32 level)
{
	return 1u << (level == 0 ? root_bits : level_bits);
}

inline u64 ld(const u64 *p)
{
	return __builtin_bswap64(__atomic_load_n(p, __ATOMIC_RELAXED));
}

inline void st(u64 *p, u64 v)
{
	__atomic_store_n(p, __builtin_bswap64(v), __ATOMIC_RELEASE);
}

u64 *table_of(u64 pde)
{
	return static_cast<u64 *>(kvmx_host_phys_to_virt(pde & R_NLB));
}

// Free the tables below @table (a table of @level) and the table itself.
void free_table(u64 *table, u32 level)
{
	if (level < 3) {
		for (u32 i = 0; i < level_entries(level); i++) {
			u64 e = ld(&table[i]);
			if ((e & R_VALID) && !(e & R_LEAF))
				free_table(table_of(e), level + 1);
		}
	}
	if (level == 0)
		kvmx_host_free_table(table, root_bytes);
	else
		kvmx_host_free_page(table);
}

} // namespace

Status RadixCache::topup()
{
	while (nr_ < capacity) {
		void *p = kvmx_host_alloc_page();
		if (!p)
			return Status::error(-ENOMEM);
		pages_[nr_++] = p;
	}
	return Status::ok();
}

void *RadixCache::take()
{
	return nr_ ? pages_[--nr_] : nullptr;
}

void RadixCache::release()
{
	while (nr_)
		kvmx_host_free_page(pages_[--nr_]);
}

Result<RadixTree *> RadixTree::create()
{
	RadixTree *t = static_cast<RadixTree *>(kvmx_host_zalloc(sizeof(RadixTree)));
	if (!t)
		return Status::error(-ENOMEM);
	// Sized and aligned by the architecture, not by the host's page size (4 KB on
	// Debian's 6.12 ppc64el kernel, 64 KB on its 6.1).
	t->root_ = static_cast<u64 *>(kvmx_host_alloc_table(root_bytes));
	if (!t->root_) {
		kvmx_host_free(t);
		return Status::error(-ENOMEM);
	}
	t->root_pa_ = kvmx_host_virt_to_phys(t->root_);
	return t;
}

void RadixTree::destroy(RadixTree *tree)
{
	if (!tree)
		return;
	if (tree->root_)
		free_table(tree->root_, 0);
	kvmx_host_free(tree);
}

u64 RadixTree::pate0() const
{
	// RTS = ra_bits - 31 = 21 = 0b10101: its top two bits in 62:61, low three in 7:5.
	constexpr u64 rts = ra_bits - 31;
	constexpr u64 hr = 1ULL << 63;
	return hr | (rts >> 3) << 61 | root_pa_ | (rts & 7) << 5 | root_bits;
}

Status RadixTree::map_page(u64 gpa, u64 hpa, bool write, RadixCache *cache, bool io)
{
	if (gpa >> ra_bits)
		return Status::error(-EINVAL);
	u64 *table = root_;
	for (u32 level = 0; level < 3; level++) {
		u64 *e = &table[(gpa >> level_shift(level)) & (level_entries(level) - 1)];
		u64 v = ld(e);
		if (!(v & R_VALID)) {
			u64 *next = static_cast<u64 *>(cache->take());
			if (!next)
				return Status::error(-ENOMEM);
			v = R_VALID | (kvmx_host_virt_to_phys(next) & R_NLB) | level_bits;
			st(e, v);
		}
		table = table_of(v);
	}
	u64 *pte = &table[(gpa >> leaf_shift) & (level_entries(3) - 1)];
	u64 old = ld(pte);
	u64 want = R_VALID | R_LEAF | (hpa & R_RPN) | R_REF | R_READ | (io ? R_ATT_IO : R_EXEC) |
		   (write ? R_WRITE | R_CHG : 0);
	if (old & R_VALID) {
		if ((old & R_RPN) != (hpa & R_RPN))
			return Status::error(-EEXIST);
		want |= old & (R_WRITE | R_CHG);
	}
	st(pte, want);
	return Status::ok();
}

u64 RadixTree::lookup(u64 gpa, bool *writable) const
{
	if (gpa >> ra_bits)
		return ~0ULL;
	const u64 *table = root_;
	for (u32 level = 0; level < 3; level++) {
		u64 v = ld(&table[(gpa >> level_shift(level)) & (level_entries(level) - 1)]);
		if (!(v & R_VALID))
			return ~0ULL;
		table = table_of(v);
	}
	u64 v = ld(&table[(gpa >> leaf_shift) & (level_entries(3) - 1)]);
	if (!(v & R_VALID))
		return ~0ULL;
	if (writable)
		*writable = v & R_WRITE;
	return v & R_RPN;
}

bool RadixTree::unmap_range(u64 gpa, u64 size)
{
	bool removed = false;
	u64 end = gpa + size;
	if (end < gpa || end > (1ULL << ra_bits))
		end = 1ULL << ra_bits;
	u64 a = gpa & ~((1ULL << leaf_shift) - 1);
	while (a < end) {
		u64 *table = root_;
		u32 level = 0;
		for (; level < 3; level++) {
			u64 v = ld(&table[(a >> level_shift(level)) & (level_entries(level) - 1)]);
			if (!(v & R_VALID))
				break;
			table = table_of(v);
		}
		if (level < 3) {
			// Nothing below this entry: skip the whole range it covers.
			u64 span = 1ULL << level_shift(level);
			a = (a & ~(span - 1)) + span;
			continue;
		}
		u64 *pte = &table[(a >> leaf_shift) & (level_entries(3) - 1)];
		if (ld(pte) & R_VALID) {
			st(pte, 0);
			removed = true;
		}
		a += 1ULL << leaf_shift;
	}
	return removed;
}

} // namespace kvmx
