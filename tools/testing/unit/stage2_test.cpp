// SPDX-License-Identifier: GPL-2.0
// Stage-2 tables (arch/arm64/kvm/stage2.cpp) against the fake host's identity "PA".
#include "../../../arch/arm64/kvm/stage2.hpp"
#include "fake_host.hpp"
#include <asm/errno.h>
#include <gtest/gtest.h>

using kvmx::Stage2;

class Stage2Test : public ::testing::Test {
protected:
	void SetUp() override { fake_host::reset(); }
	void TearDown() override { EXPECT_EQ(0, fake_host::live_allocs()); }
};

TEST_F(Stage2Test, ipa_sizes_outside_32_to_48_are_einval)
{
	EXPECT_EQ(-EINVAL, Stage2::create(31).err());
	EXPECT_EQ(-EINVAL, Stage2::create(49).err());
}

TEST_F(Stage2Test, start_level_follows_ipa_size)
{
	auto a = Stage2::create(40), b = Stage2::create(39), c = Stage2::create(32);
	ASSERT_TRUE(a.is_ok() && b.is_ok() && c.is_ok());
	EXPECT_EQ(0u, a.value()->start_level());
	EXPECT_EQ(1u, b.value()->start_level());
	EXPECT_EQ(1u, c.value()->start_level());
	Stage2::destroy(a.value());
	Stage2::destroy(b.value());
	Stage2::destroy(c.value());
}

TEST_F(Stage2Test, vtcr_encodes_t0sz_sl0_granule_and_ps)
{
	auto s2 = Stage2::create(40);
	ASSERT_TRUE(s2.is_ok());
	kvmx::u64 vtcr = s2.value()->vtcr(6);
	EXPECT_EQ(24u, vtcr & 0x3f);	  // T0SZ = 64 - 40
	EXPECT_EQ(2u, (vtcr >> 6) & 3);	  // SL0: level 0
	EXPECT_EQ(0u, (vtcr >> 14) & 3);  // TG0: 4 KB
	EXPECT_EQ(5u, (vtcr >> 16) & 7);  // PS capped at 48 bits
	EXPECT_EQ(3u, (vtcr >> 12) & 3);  // inner shareable walks
	EXPECT_TRUE(vtcr & (1ULL << 31)); // RES1
	Stage2::destroy(s2.value());
}

TEST_F(Stage2Test, map_lookup_unmap_round_trip)
{
	auto s2 = Stage2::create(40);
	ASSERT_TRUE(s2.is_ok());
	Stage2 &t = *s2.value();
	EXPECT_TRUE(
		t.map_page(0x80000000, 0x12345000, kvmx::stage2_read | kvmx::stage2_write).is_ok());
	EXPECT_EQ(0x12345000u, t.lookup(0x80000000));
	EXPECT_EQ(0u, t.lookup(0x80001000));
	EXPECT_EQ(4u, t.table_pages()); // root + levels 1..3
	EXPECT_EQ(-EEXIST, t.map_page(0x80000000, 0x1000, kvmx::stage2_read).err());
	EXPECT_EQ(0x12345000u, t.unmap_page(0x80000000));
	EXPECT_EQ(0u, t.lookup(0x80000000));
	EXPECT_EQ(0u, t.unmap_page(0x80000000));
	Stage2::destroy(s2.value());
}

TEST_F(Stage2Test, bad_addresses_are_einval)
{
	auto s2 = Stage2::create(40);
	ASSERT_TRUE(s2.is_ok());
	Stage2 &t = *s2.value();
	EXPECT_EQ(-EINVAL, t.map_page(0x1001, 0x1000, kvmx::stage2_read).err());
	EXPECT_EQ(-EINVAL, t.map_page(0x1000, 0x1001, kvmx::stage2_read).err());
	EXPECT_EQ(-EINVAL, t.map_page(1ULL << 40, 0x1000, kvmx::stage2_read).err());
	EXPECT_EQ(-EINVAL, t.map_page(0x1000, 1ULL << 48, kvmx::stage2_read).err());
	EXPECT_EQ(0u, t.lookup(~0ULL));
	Stage2::destroy(s2.value());
}

TEST_F(Stage2Test, out_of_memory_midway_is_enomem_and_leaks_nothing)
{
	auto s2 = Stage2::create(48);
	ASSERT_TRUE(s2.is_ok());
	fake_host::fail_alloc_after(1); // level 1 table ok, level 2 fails
	EXPECT_EQ(-ENOMEM, s2.value()->map_page(0x7000000000, 0x1000, kvmx::stage2_read).err());
	Stage2::destroy(s2.value());
}

TEST_F(Stage2Test, descriptors_carry_permissions)
{
	auto s2 = Stage2::create(40);
	ASSERT_TRUE(s2.is_ok());
	Stage2 &t = *s2.value();
	ASSERT_TRUE(t.map_page(0x1000, 0x5000, kvmx::stage2_read | kvmx::stage2_exec).is_ok());
	// Walk by hand through the identity "PA": root[0] -> l1[0] -> l2[0] -> l3[1].
	auto next = [](kvmx::u64 d) {
		return reinterpret_cast<kvmx::u64 *>(d & 0x0000fffffffff000ULL);
	};
	kvmx::u64 *root = next(t.root_pa());
	kvmx::u64 desc = next(next(next(root[0])[0])[0])[1];
	EXPECT_EQ(0x5000u, desc & 0x0000fffffffff000ULL);
	EXPECT_EQ(3u, desc & 3);	 // valid page
	EXPECT_EQ(1u, (desc >> 6) & 3);	 // S2AP read-only
	EXPECT_EQ(0u, (desc >> 53) & 3); // executable
	EXPECT_TRUE(desc & (1 << 10));	 // AF
	Stage2::destroy(s2.value());
}
