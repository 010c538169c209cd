// SPDX-License-Identifier: GPL-2.0
// Coalesced MMIO (virt/kvmx/core/coalesced_mmio.cpp) through the VM ioctls and the arm64
// MMIO exit path: writes into a registered zone land in the ring at page 1 of the vCPU
// mmap instead of exiting, with upstream's rules for a full ring, reads, zones and
// indexes userspace corrupted.
#include "vcpu_fixture.hpp"
#include <cstring>

namespace {

constexpr kvmx::u32 ring_max = (4096 - 8) / 24; // KVM_COALESCED_MMIO_MAX on 4 KB pages

class Coalesced : public Vcpus {
protected:
	long zone(bool reg, kvmx::u64 addr, kvmx::u32 size, kvmx::u32 pio = 0)
	{
		kvm_coalesced_mmio_zone z = {};
		z.addr = addr;
		z.size = size;
		z.pio = pio;
		return kvmx_vm_ioctl(
			vm_, reg ? KVM_REGISTER_COALESCED_MMIO : KVM_UNREGISTER_COALESCED_MMIO,
			fake_host::uptr(&z));
	}
	static kvmx::u32 *idx(long fd) // first, last
	{
		return static_cast<kvmx::u32 *>(fake_host::vcpu_mmap(static_cast<int>(fd), 1));
	}
	static kvm_coalesced_mmio entry(long fd, kvmx::u32 i)
	{
		kvm_coalesced_mmio e;
		memcpy(&e, reinterpret_cast<char *>(idx(fd)) + 8 + 24 * i, sizeof(e));
		return e;
	}
	// STR X5 (= @val) to @ipa, @n times.
	static void push_writes(kvmx::u64 ipa, kvmx::u64 val, kvmx::u32 n)
	{
		for (kvmx::u32 i = 0; i < n; i++)
			fake_arch::push([=](kvmx::GuestCpu &c) { c.frame.x[5] = val + i; },
					fake_arch::dabt_exit(ipa, true, 3, 5));
	}
};

TEST_F(Coalesced, writes_in_a_zone_fill_the_ring_until_one_slot_is_left)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, zone(true, mmio_ipa, 8));
	ASSERT_EQ(0, set_reg64(fd, REG_PC, ram_ipa));
	push_writes(mmio_ipa, 100, ring_max - 1);
	ASSERT_TRUE(run_script(fd)) << "no exit while the ring has room";
	EXPECT_EQ(0u, idx(fd)[0]);
	EXPECT_EQ(ring_max - 1, idx(fd)[1]);
	kvm_coalesced_mmio e = entry(fd, 7);
	EXPECT_EQ(mmio_ipa, e.phys_addr);
	EXPECT_EQ(8u, e.len);
	EXPECT_EQ(0u, e.pio);
	kvmx::u64 v;
	memcpy(&v, e.data, 8);
	EXPECT_EQ(107u, v);
	EXPECT_EQ(ram_ipa + 4 * (ring_max - 1), reg(fd, REG_PC)) << "each write completed";
	EXPECT_EQ(ring_max - 1, vcpu(fd)->stats.mmio_exit_kernel);
	// Full (one free slot): the next write exits as usual.
	push_writes(mmio_ipa, 1, 1);
	ASSERT_EQ(0, run(fd));
	EXPECT_EQ(static_cast<kvmx::u32>(KVM_EXIT_MMIO), run_page(fd)->exit_reason);
	ASSERT_TRUE(run_script(fd));
	// The VMM drained it: writes coalesce again, wrapping around.
	idx(fd)[0] = idx(fd)[1] = ring_max - 1;
	push_writes(mmio_ipa, 5, 2);
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(1u, idx(fd)[1]);
}

TEST_F(Coalesced, reads_partial_overlaps_and_other_addresses_exit)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, zone(true, mmio_ipa + 4, 8));
	fake_arch::push(fake_arch::dabt_exit(mmio_ipa + 4, false, 2, 1)); // a read
	ASSERT_EQ(0, run(fd));
	EXPECT_EQ(static_cast<kvmx::u32>(KVM_EXIT_MMIO), run_page(fd)->exit_reason);
	ASSERT_TRUE(run_script(fd));
	push_writes(mmio_ipa, 1, 1); // [ipa, ipa + 8) is not all in [ipa + 4, ipa + 12)
	ASSERT_EQ(0, run(fd));
	EXPECT_EQ(static_cast<kvmx::u32>(KVM_EXIT_MMIO), run_page(fd)->exit_reason);
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0u, idx(fd)[1]);
}

TEST_F(Coalesced, indexes_userspace_corrupted_make_writes_exit)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, zone(true, mmio_ipa, 0x1000));
	idx(fd)[1] = ring_max; // out of the ring
	push_writes(mmio_ipa, 1, 1);
	ASSERT_EQ(0, run(fd));
	EXPECT_EQ(static_cast<kvmx::u32>(KVM_EXIT_MMIO), run_page(fd)->exit_reason);
	ASSERT_TRUE(run_script(fd));
	idx(fd)[1] = 0xffffffff;
	push_writes(mmio_ipa, 1, 1);
	ASSERT_EQ(0, run(fd));
	EXPECT_EQ(static_cast<kvmx::u32>(KVM_EXIT_MMIO), run_page(fd)->exit_reason);
	ASSERT_TRUE(run_script(fd));
}

TEST_F(Coalesced, zones_follow_upstreams_register_and_unregister_rules)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EINVAL, zone(true, mmio_ipa, 8, 2)) << "pio is 0 or 1";
	EXPECT_EQ(-EINVAL, zone(false, mmio_ipa, 8, 2));
	EXPECT_EQ(-EFAULT, kvmx_vm_ioctl(vm_, KVM_REGISTER_COALESCED_MMIO, 0x10));
	EXPECT_EQ(0, zone(true, mmio_ipa, 0x100));
	EXPECT_EQ(0, zone(true, mmio_ipa, 0x100, 1)) << "a port I/O zone: nothing matches it";
	// Unregistering a range drops the zones that hold all of it; a range no zone holds
	// changes nothing, and is not an error either.
	EXPECT_EQ(0, zone(false, mmio_ipa + 0x200, 8));
	push_writes(mmio_ipa + 0x10, 1, 1);
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0, zone(false, mmio_ipa + 0x10, 8));
	push_writes(mmio_ipa + 0x10, 1, 1);
	ASSERT_EQ(0, run(fd));
	EXPECT_EQ(static_cast<kvmx::u32>(KVM_EXIT_MMIO), run_page(fd)->exit_reason);
	ASSERT_TRUE(run_script(fd));
	// Bounded: 256 zones, then ENOSPC.
	long r = 0;
	int n = 0;
	for (; n < 300 && !r; n++)
		r = zone(true, 0x100000000ULL + 0x1000 * n, 8);
	EXPECT_EQ(-ENOSPC, r);
	EXPECT_EQ(256 - 1, n - 1); // the port I/O zone is still there
}

// A POWER host's 64 KiB pages: the vCPU mmap is two of them and the ring fills the second,
// as QEMU sizes it there (KVM_COALESCED_MMIO_MAX from its own page size).
class Coalesced64K : public Coalesced {
protected:
	Coalesced64K() { page_shift_ = 16; }
};

TEST_F(Coalesced64K, the_ring_fills_a_host_page_after_a_host_page_of_kvm_run)
{
	constexpr kvmx::u32 max64 = (65536 - 8) / 24;
	EXPECT_EQ(2 * 65536, kvmx_dev_ioctl(KVM_GET_VCPU_MMAP_SIZE, 0));
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, zone(true, mmio_ipa, 8));
	ASSERT_EQ(0, set_reg64(fd, REG_PC, ram_ipa));
	push_writes(mmio_ipa, 100, max64 - 1);
	ASSERT_TRUE(run_script(fd)) << "no exit while the 64 KiB ring has room";
	EXPECT_EQ(max64 - 1, idx(fd)[1]);
	kvmx::u64 v;
	kvm_coalesced_mmio e = entry(fd, max64 - 2);
	memcpy(&v, e.data, 8);
	EXPECT_EQ(100u + max64 - 2, v);
	push_writes(mmio_ipa, 1, 1);
	ASSERT_EQ(0, run(fd));
	EXPECT_EQ(static_cast<kvmx::u32>(KVM_EXIT_MMIO), run_page(fd)->exit_reason) << "full";
	ASSERT_TRUE(run_script(fd));
}

} // namespace
