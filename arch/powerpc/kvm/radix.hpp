// SPDX-License-Identifier: GPL-2.0
// The partition-scoped radix tree of one POWER9 guest (Power ISA 3.0B, Book III 6.7.10):
// guest real address -> host real address, built on demand from the memslots as the
// guest faults (Hypervisor Data/Instruction Storage interrupts). 52-bit guest real
// addresses in four levels of 13, 9, 9 and 9 index bits over 4 KB pages. Entries are
// big-endian in memory whatever the CPU's byte order.
#pragma once

#include "base.hpp"

namespace kvmx {

// Table pages reserved before taking the VM's MMU spinlock (allocation may sleep).
class RadixCache {
public:
	static constexpr u32 capacity = 3; // one map_page never needs more
	Status topup();
	void *take();
	void release();

private:
	void *pages_[capacity] = {};
	u32 nr_ = 0;
};

class RadixTree {
public:
	static Result<RadixTree *> create();
	static void destroy(RadixTree *tree);

	// Partition-table doubleword 0 for this tree (HR = radix, RTS, RPDB, RPDS).
	u64 pate0() const;

	// Map the 4 KB page at @gpa to @hpa. -EEXIST if @gpa is mapped to another page
	// (the caller unmaps and flushes first); remapping the same page only adds write.
	// @io: device registers (cache-inhibited, guarded, never executable).
	Status map_page(u64 gpa, u64 hpa, bool write, RadixCache *cache, bool io = false);
	// The host address @gpa maps to (~0 if none); *writable says whether it may be written.
	u64 lookup(u64 gpa, bool *writable) const;
	// Remove the mappings of [gpa, gpa + size). True if any entry was removed (the
	// caller then invalidates the TLB for the partition).
	bool unmap_range(u64 gpa, u64 size);

	static constexpr u32 ra_bits = 52;

private:
	u64 *root_ = nullptr; // 2^13 entries, 64 KB aligned
	u64 root_pa_ = 0;
};

} // namespace kvmx
