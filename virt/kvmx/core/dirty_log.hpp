// SPDX-License-Identifier: GPL-2.0
// Dirty page logging for memslots with KVM_MEM_LOG_DIRTY_PAGES: KVM_GET_DIRTY_LOG,
// KVM_CLEAR_DIRTY_LOG and KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2.
#pragma once

#include "base.hpp"
#include "memslot.hpp"

namespace kvmx {

// What KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 reports: manual protection, not INITIALLY_SET.
constexpr u64 dirty_log_manual_caps = 1; // KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE

constexpr u64 dirty_bitmap_bytes(u64 npages)
{
	return (npages + 63) / 64 * 8;
}

// A guest write to @gfn of @slot (mmu_lock held): record it if the slot logs.
void mark_page_dirty(Vm *vm, const Memslot &slot, u64 gfn);

long get_dirty_log(Vm *vm, unsigned long arg);
long clear_dirty_log(Vm *vm, unsigned long arg);

} // namespace kvmx
