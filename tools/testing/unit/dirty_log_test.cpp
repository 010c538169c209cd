// SPDX-License-Identifier: GPL-2.0
// Dirty logging on a host with 64 KiB pages (ppc64el): KVM_GET_DIRTY_LOG's bitmap has one
// bit per host page, sized as VMMs size it (memory_size / host page size bits), however
// many of the 4 KiB pages kvmx tracks inside it were written.
#include "vcpu_fixture.hpp"
#include "dirty_log.hpp"

#include <cstdlib>
#include <cstring>

namespace {

class DirtyLog64K : public Vcpus {
protected:
	DirtyLog64K() { page_shift_ = 16; }
};

TEST_F(DirtyLog64K, get_dirty_log_has_one_bit_per_host_page_and_writes_no_further)
{
	constexpr u64 gpa = 0x80000000, size = 8 * 65536; // 8 host pages, 128 kvmx pages
	void *mem = aligned_alloc(65536, size);
	ASSERT_NE(nullptr, mem);
	ASSERT_EQ(0, set_region(1, gpa, size, fake_host::uptr(mem), KVM_MEM_LOG_DIRTY_PAGES));
	const kvmx::Memslot *slot = vm_->memslots->find_by_id(1);
	ASSERT_NE(nullptr, slot);
	// 4 KiB pages 0 and 15 (host page 0), 17 (host page 1), 127 (host page 7).
	for (u64 p : { 0, 15, 17, 127 })
		kvmx::mark_page_dirty(vm_, *slot, slot->base_gfn + p);
	u64 bitmap[2];
	memset(bitmap, 0xff, sizeof(bitmap));
	kvm_dirty_log log = {};
	log.slot = 1;
	log.dirty_bitmap = bitmap;
	EXPECT_EQ(0, kvmx_vm_ioctl(vm_, KVM_GET_DIRTY_LOG, fake_host::uptr(&log)));
	EXPECT_EQ(0x83u, bitmap[0]);
	EXPECT_EQ(~0ULL, bitmap[1]) << "written past the 8 host pages' bitmap";
	// Harvested: the next call reports nothing.
	EXPECT_EQ(0, kvmx_vm_ioctl(vm_, KVM_GET_DIRTY_LOG, fake_host::uptr(&log)));
	EXPECT_EQ(0u, bitmap[0]);
	ASSERT_EQ(0, set_region(1, gpa, 0, fake_host::uptr(mem)));
	free(mem);
}

} // namespace
