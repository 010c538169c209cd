// SPDX-License-Identifier: GPL-2.0
// KVM_DEV_ARM_VGIC_V3 attributes (arch/arm64/kvm/vgic/device.cpp, init.cpp): every errno
// Documentation/virt/kvm/devices/arm-vgic-v3.rst lists, in upstream's order of checks,
// with the scenarios of upstream's aarch64/vgic_init selftest as the oracle.
#include "vgic_fixture.hpp"

namespace vgic_test {
namespace {

constexpr u64 max_phys = 1ULL << 40;

// KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION's value (count, base, flags, index).
u64 region(u64 count, u64 base, u64 flags, u64 index)
{
	return count << 52 | base | flags << 12 | index;
}

using VgicDevice = Vgic;

TEST_F(VgicDevice, has_attr_knows_upstreams_groups_and_attributes)
{
	create({ 0 });
	EXPECT_EQ(0, has(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST));
	EXPECT_EQ(0, has(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST));
	EXPECT_EQ(0, has(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION));
	EXPECT_EQ(-ENXIO, has(KVM_DEV_ARM_VGIC_GRP_ADDR, -1ULL));
	EXPECT_EQ(-ENXIO, has(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V2_ADDR_TYPE_DIST));
	EXPECT_EQ(-ENXIO, has(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE));
	EXPECT_EQ(0, has(KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0));
	EXPECT_EQ(0, has(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT));
	EXPECT_EQ(0, has(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES));
	EXPECT_EQ(-ENXIO, has(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_SAVE_TABLES));
	EXPECT_EQ(0, has(KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, 32));
	EXPECT_EQ(-ENXIO, has(KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, 1ULL << 10 | 32));
	EXPECT_EQ(-ENXIO, has(KVM_DEV_ARM_VGIC_GRP_CPU_REGS, 0)); // GICv2's
	EXPECT_EQ(-ENXIO, has(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0));
	EXPECT_EQ(-ENXIO, has(99, 0));
	EXPECT_EQ(-ENXIO, set(99, 0, nullptr));
	EXPECT_EQ(-ENXIO, get(99, 0, nullptr));
}

TEST_F(VgicDevice, distributor_address_alignment_range_and_second_set)
{
	create({ 0 });
	u64 v = 0;
	ASSERT_EQ(0, get(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &v));
	EXPECT_EQ(~0ULL, v); // unset reads as VGIC_ADDR_UNDEF
	EXPECT_EQ(-EINVAL, set_addr(KVM_VGIC_V3_ADDR_TYPE_DIST, 0x10000 / 0x10));
	EXPECT_EQ(-E2BIG, set_addr(KVM_VGIC_V3_ADDR_TYPE_DIST, max_phys));
	EXPECT_EQ(-EINVAL, set_addr(KVM_VGIC_V3_ADDR_TYPE_DIST, ~0ULL << 16)); // wraps
	EXPECT_EQ(0, set_addr(KVM_VGIC_V3_ADDR_TYPE_DIST, max_phys - 0x10000));
	EXPECT_EQ(-EEXIST, set_addr(KVM_VGIC_V3_ADDR_TYPE_DIST, 0));
	EXPECT_EQ(-EEXIST, set_addr(KVM_VGIC_V3_ADDR_TYPE_DIST, 0x1234)); // before alignment
	ASSERT_EQ(0, get(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &v));
	EXPECT_EQ(max_phys - 0x10000, v);
	EXPECT_EQ(-ENXIO, set_addr(KVM_VGIC_V2_ADDR_TYPE_CPU, 0));
	EXPECT_EQ(-ENXIO, set_addr(KVM_VGIC_ITS_ADDR_TYPE, 0));
}

// vgic_init's subtest_dist_rdist with 4 vCPUs.
TEST_F(VgicDevice, legacy_redistributor_region_checks_room_for_every_vcpu)
{
	create({ 0, 1, 2, 3 });
	EXPECT_EQ(-EINVAL, set_addr(KVM_VGIC_V3_ADDR_TYPE_REDIST, 0x10000 / 0x10));
	EXPECT_EQ(-E2BIG, set_addr(KVM_VGIC_V3_ADDR_TYPE_REDIST, max_phys));
	// Room for half a redistributor only.
	EXPECT_EQ(-E2BIG, set_addr(KVM_VGIC_V3_ADDR_TYPE_REDIST, max_phys - 0x10000));
	u64 v;
	ASSERT_EQ(0, get(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &v));
	EXPECT_EQ(~0ULL, v);
	ASSERT_EQ(0, set_addr(KVM_VGIC_V3_ADDR_TYPE_REDIST, 0));
	EXPECT_EQ(-EEXIST, set_addr(KVM_VGIC_V3_ADDR_TYPE_REDIST, 0xe0000));
	// A region with index 0 after the legacy one: upstream's "mix" refusal.
	EXPECT_EQ(-EINVAL,
		  set_addr(KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION, region(4, 0x100000, 0, 0)));
	// Overlapping distributor: accepted now, refused at the first run.
	EXPECT_EQ(0, set_addr(KVM_VGIC_V3_ADDR_TYPE_DIST, 0x70000));
	ASSERT_EQ(0, get(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &v));
	EXPECT_EQ(0u, v);
	for (u32 i = 0; i < 4; i++)
		EXPECT_EQ(i * 0x20000ULL, cpu(i)->rd_base);
	ASSERT_EQ(0, init());
	EXPECT_EQ(-EINVAL, kvmx::vgic_map_resources(vgic_).err());
}

// Upstream only compares the new region's index with the last one's: after a legacy region
// (index 0), index 1 is taken.
TEST_F(VgicDevice, discrete_region_with_index_one_after_legacy_is_accepted_as_upstream)
{
	create({ 0 });
	ASSERT_EQ(0, set_addr(KVM_VGIC_V3_ADDR_TYPE_REDIST, 0));
	EXPECT_EQ(0, set_addr(KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION, region(2, 0x100000, 0, 1)));
}

// vgic_init's subtest_v3_redist_regions.
TEST_F(VgicDevice, redistributor_regions_follow_upstreams_errno_table)
{
	create({ 0, 1, 2, 3 });
	const u32 R = KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION;
	EXPECT_EQ(-EINVAL, set_addr(R, region(4, 0x100000, 2, 0))); // flags
	EXPECT_EQ(-EINVAL, set_addr(R, region(0, 0x100000, 0, 0))); // count 0
	EXPECT_EQ(-EINVAL, set_addr(R, region(2, 0x200000, 0, 1))); // first index not 0
	EXPECT_EQ(-EINVAL, set_addr(R, region(2, 0x201000, 0, 0))); // misaligned
	ASSERT_EQ(0, set_addr(R, region(2, 0x200000, 0, 0)));
	EXPECT_EQ(-EINVAL, set_addr(R, region(2, 0x200000, 0, 1))); // overlaps region 0
	EXPECT_EQ(-EINVAL, set_addr(R, region(1, 0x210000, 0, 2))); // index not +1
	EXPECT_EQ(-EINVAL, set_addr(R, region(1, 0x240000, 0, 2)));
	ASSERT_EQ(0, set_addr(R, region(1, 0x240000, 0, 1)));
	EXPECT_EQ(-E2BIG, set_addr(R, region(1, max_phys, 0, 2)));
	EXPECT_EQ(-E2BIG, set_addr(R, region(2, max_phys - 0x30000, 0, 2)));  // top beyond
	EXPECT_EQ(-EINVAL, set_addr(KVM_VGIC_V3_ADDR_TYPE_REDIST, 0x260000)); // mixing

	u64 v = region(0, 0, 0, 0);
	ASSERT_EQ(0, get(KVM_DEV_ARM_VGIC_GRP_ADDR, R, &v));
	EXPECT_EQ(region(2, 0x200000, 0, 0), v);
	v = region(0, 0, 0, 1);
	ASSERT_EQ(0, get(KVM_DEV_ARM_VGIC_GRP_ADDR, R, &v));
	EXPECT_EQ(region(1, 0x240000, 0, 1), v);
	v = region(0, 0, 0, 2);
	EXPECT_EQ(-ENOENT, get(KVM_DEV_ARM_VGIC_GRP_ADDR, R, &v));
	// The legacy attribute reads the first region's base.
	ASSERT_EQ(0, get(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &v));
	EXPECT_EQ(0x200000u, v);

	// The fourth vCPU would land in a region over the distributor: refused, and the
	// region is gone again.
	ASSERT_EQ(0, set_addr(KVM_VGIC_V3_ADDR_TYPE_DIST, 0x260000));
	EXPECT_EQ(-EINVAL, set_addr(R, region(1, 0x260000, 0, 2)));
	v = region(0, 0, 0, 2);
	EXPECT_EQ(-ENOENT, get(KVM_DEV_ARM_VGIC_GRP_ADDR, R, &v));
	EXPECT_EQ(~0ULL, cpu(3)->rd_base);
	ASSERT_EQ(0, init());
	EXPECT_EQ(-ENXIO, kvmx::vgic_map_resources(vgic_).err()); // not enough frames
}

TEST_F(VgicDevice, region_index_keeps_eight_bits_as_upstream)
{
	create({ 0 });
	const u32 R = KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION;
	ASSERT_EQ(0, set_addr(R, region(1, 0x200000, 0, 0x100))); // index 256 is 0
	u64 v = region(0, 0, 0, 0x300);
	ASSERT_EQ(0, get(KVM_DEV_ARM_VGIC_GRP_ADDR, R, &v));
	EXPECT_EQ(region(1, 0x200000, 0, 0), v);
}

TEST_F(VgicDevice, address_attributes_fault_on_bad_pointers_before_anything_else)
{
	create({ 0 });
	const void *bad = reinterpret_cast<const void *>(0x100);
	EXPECT_EQ(-EFAULT, set(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, bad));
	EXPECT_EQ(-EFAULT, set(KVM_DEV_ARM_VGIC_GRP_ADDR, 77, bad)); // copied before the type
	EXPECT_EQ(-ENXIO, get(KVM_DEV_ARM_VGIC_GRP_ADDR, 77, const_cast<void *>(bad)));
	EXPECT_EQ(-EFAULT, get(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST,
			       const_cast<void *>(bad)));
	EXPECT_EQ(-EFAULT, get(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
			       const_cast<void *>(bad)));
	EXPECT_EQ(-EFAULT, set(KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, bad));
	EXPECT_EQ(-EFAULT, get(KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, const_cast<void *>(bad)));
}

TEST_F(VgicDevice, nr_irqs_between_64_and_992_in_steps_of_32_set_once)
{
	create({ 0 });
	u32 n = 0;
	ASSERT_EQ(0, get(KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &n));
	EXPECT_EQ(32u, n); // nothing sized yet: the private interrupts only
	for (u32 bad : { 0u, 32u, 63u, 65u, 100u, 1024u, 1056u, ~0u }) {
		n = bad;
		EXPECT_EQ(-EINVAL, set(KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &n)) << bad;
	}
	n = 992; // the largest: upstream's limit is 1023 and the value a multiple of 32
	ASSERT_EQ(0, set(KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &n));
	n = 64;
	EXPECT_EQ(-EBUSY, set(KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &n));
	ASSERT_EQ(0, get(KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &n));
	EXPECT_EQ(992u, n);
	ASSERT_EQ(0, init());
	ASSERT_EQ(0, get(KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &n));
	EXPECT_EQ(992u, n);
}

TEST_F(VgicDevice, init_is_idempotent_and_defaults_to_256_interrupts)
{
	create({ 0, 1 });
	ASSERT_EQ(0, init());
	ASSERT_EQ(0, init());
	u32 n = 64;
	EXPECT_EQ(-EBUSY, set(KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &n));
	ASSERT_EQ(0, get(KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &n));
	EXPECT_EQ(256u, n);
	EXPECT_EQ(-ENXIO, get(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, nullptr));
	EXPECT_EQ(-ENXIO, set(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_SAVE_TABLES, nullptr));
	// No vCPU joins an initialised vGIC (upstream's kvm_arch_vcpu_precreate).
	EXPECT_EQ(-EBUSY, add_vcpu(2));
}

TEST_F(VgicDevice, init_with_no_vcpus_succeeds_as_upstream)
{
	create({});
	EXPECT_EQ(0, init());
	EXPECT_EQ(-ENXIO, kvmx::vgic_map_resources(vgic_).err()); // no distributor yet
}

TEST_F(VgicDevice, save_pending_tables_needs_init_and_idle_vcpus)
{
	create({ 0 });
	const u32 C = KVM_DEV_ARM_VGIC_GRP_CTRL, S = KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES;
	EXPECT_EQ(-ENXIO, set(C, S, nullptr));
	ASSERT_EQ(0, init());
	EXPECT_EQ(0, set(C, S, nullptr));
	running_ = true;
	EXPECT_EQ(-EBUSY, set(C, S, nullptr));
}

// vgic_init's test_v3_typer_accesses: vCPUs 0 and 3 exist when the device is created,
// 1 and 2 come later.
TEST_F(VgicDevice, register_groups_name_vcpus_by_affinity_and_need_init)
{
	create({ 0, 3 });
	u32 v;
	EXPECT_EQ(-EINVAL, rd_uget(1, 0x8, &v)); // no vCPU with that affinity
	ASSERT_EQ(0, add_vcpu(1));
	EXPECT_EQ(-EBUSY, rd_uget(1, 0x8, &v)); // before INIT
	EXPECT_EQ(-EBUSY, dist_uget(0, &v));
	ASSERT_EQ(0, add_vcpu(2));
	ASSERT_EQ(0, init());
	for (u32 id = 0; id < 4; id++) {
		ASSERT_EQ(0, rd_uget(id, 0x8, &v));
		EXPECT_EQ(id * 0x100, v) << id; // no frame yet: never Last
	}
	const u32 R = KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION;
	ASSERT_EQ(0, set_addr(R, region(2, 0x200000, 0, 0)));
	ASSERT_EQ(0, rd_uget(0, 0x8, &v));
	EXPECT_EQ(0x000u, v);
	ASSERT_EQ(0, rd_uget(3, 0x8, &v));
	EXPECT_EQ(0x310u, v);
	EXPECT_EQ(-EINVAL, set_addr(R, region(10, 0x100000, 0, 1)));
	ASSERT_EQ(0, rd_uget(1, 0x8, &v));
	EXPECT_EQ(0x100u, v);
	ASSERT_EQ(0, set_addr(R, region(10, 0x20000, 0, 1)));
	ASSERT_EQ(0, rd_uget(1, 0x8, &v));
	EXPECT_EQ(0x100u, v);
	ASSERT_EQ(0, rd_uget(2, 0x8, &v));
	EXPECT_EQ(0x210u, v);
}

// vgic_init's test_v3_last_bit_redist_regions: regions 1 and 2 are contiguous.
TEST_F(VgicDevice, gicr_typer_last_marks_the_end_of_contiguous_frames)
{
	create({ 0, 3, 5, 4, 1, 2 });
	ASSERT_EQ(0, init());
	const u32 R = KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION;
	ASSERT_EQ(0, set_addr(R, region(2, 0x100000, 0, 0)));
	ASSERT_EQ(0, set_addr(R, region(2, 0x240000, 0, 1)));
	ASSERT_EQ(0, set_addr(R, region(2, 0x200000, 0, 2)));
	const u32 want[][2] = { { 0, 0x000 }, { 1, 0x100 }, { 2, 0x200 },
				{ 3, 0x310 }, { 5, 0x500 }, { 4, 0x410 } };
	for (const auto &w : want) {
		u32 v;
		ASSERT_EQ(0, rd_uget(w[0], 0x8, &v));
		EXPECT_EQ(w[1], v) << "vcpu " << w[0];
	}
}

// vgic_init's test_v3_last_bit_single_rdist.
TEST_F(VgicDevice, gicr_typer_last_in_the_legacy_region_is_the_last_vcpu)
{
	create({ 0, 3, 5, 4, 1, 2 });
	ASSERT_EQ(0, init());
	ASSERT_EQ(0, set_addr(KVM_VGIC_V3_ADDR_TYPE_REDIST, 0x10000));
	const u32 want[][2] = {
		{ 0, 0x000 }, { 3, 0x300 }, { 5, 0x500 }, { 1, 0x100 }, { 2, 0x210 }
	};
	for (const auto &w : want) {
		u32 v;
		ASSERT_EQ(0, rd_uget(w[0], 0x8, &v));
		EXPECT_EQ(w[1], v) << "vcpu " << w[0];
	}
}

// vgic_init's test_v3_new_redist_regions steps 2 and 3.
TEST_F(VgicDevice, first_run_needs_frames_for_all_vcpus_and_init)
{
	create({ 0, 1, 2, 3 });
	const u32 R = KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION;
	ASSERT_EQ(0, set_addr(R, region(2, 0x200000, 0, 0)));
	ASSERT_EQ(0, set_addr(R, region(1, 0x240000, 0, 1)));
	ASSERT_EQ(0, set_addr(KVM_VGIC_V3_ADDR_TYPE_DIST, 0x260000));
	EXPECT_EQ(-ENXIO, kvmx::vgic_map_resources(vgic_).err());
	EXPECT_EQ(-EFAULT, set(KVM_DEV_ARM_VGIC_GRP_ADDR, R, nullptr));
	ASSERT_EQ(0, set_addr(R, region(2, 0x280000, 0, 2)));
	EXPECT_EQ(-EBUSY, kvmx::vgic_map_resources(vgic_).err());
	ASSERT_EQ(0, init());
	EXPECT_EQ(0, kvmx::vgic_map_resources(vgic_).err());
	EXPECT_TRUE(vgic_->ready);
	EXPECT_EQ(0, kvmx::vgic_map_resources(vgic_).err());
}

// vgic_init's test_v3_redist_ipa_range_check_at_vcpu_run: the legacy region grows with
// the vCPUs created after it was placed.
TEST_F(VgicDevice, legacy_region_leaving_the_ipa_space_fails_the_first_run)
{
	create({ 0 });
	ASSERT_EQ(0, set_addr(KVM_VGIC_V3_ADDR_TYPE_REDIST, max_phys - 3 * 0x20000));
	ASSERT_EQ(0, set_addr(KVM_VGIC_V3_ADDR_TYPE_DIST, 0));
	for (u32 id = 1; id < 4; id++)
		ASSERT_EQ(0, add_vcpu(id)); // each checks the region for the vCPUs before it
	ASSERT_EQ(0, init());
	EXPECT_EQ(-EINVAL, kvmx::vgic_map_resources(vgic_).err());
}

// A joining vCPU is placed after checking the frames of the vCPUs before it (upstream
// places it while creating it): the second vCPU's frame may land on the distributor, the
// third vCPU then finds the overlap.
TEST_F(VgicDevice, vcpu_joining_after_an_overlap_appeared_is_refused)
{
	create({ 0 });
	ASSERT_EQ(0, set_addr(KVM_VGIC_V3_ADDR_TYPE_REDIST, 0));
	ASSERT_EQ(0, set_addr(KVM_VGIC_V3_ADDR_TYPE_DIST, 0x20000));
	ASSERT_EQ(0, add_vcpu(1)); // its frame is the distributor's
	EXPECT_EQ(0x20000u, cpu(1)->rd_base);
	EXPECT_EQ(-EINVAL, add_vcpu(2));
	EXPECT_EQ(2u, vgic_->nr_cpus);
	ASSERT_EQ(0, init());
	EXPECT_EQ(-EINVAL, kvmx::vgic_map_resources(vgic_).err());
}

TEST_F(VgicDevice, register_groups_are_ebusy_while_a_vcpu_runs)
{
	create({ 0 });
	ASSERT_EQ(0, init());
	running_ = true;
	u32 v;
	u64 v64;
	EXPECT_EQ(-EBUSY, dist_uget(0, &v));
	EXPECT_EQ(-EBUSY, rd_uget(0, 0x8, &v));
	EXPECT_EQ(-EBUSY, get(KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, attr_mpidr(0) | 0xc230, &v64));
	EXPECT_EQ(-EBUSY, get(KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, attr_mpidr(0) | 32, &v));
	// The vCPU lookup and the user copy come first.
	EXPECT_EQ(-EINVAL, rd_uget(9, 0x8, &v));
	EXPECT_EQ(-EFAULT, set(KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0, nullptr));
}

TEST_F(VgicDevice, distributor_group_goes_through_the_first_vcpu)
{
	create({});
	u32 v;
	EXPECT_EQ(-EINVAL, dist_uget(0, &v));
	EXPECT_EQ(-EINVAL, has(KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0));
	ASSERT_EQ(0, add_vcpu(0));
	EXPECT_EQ(0, has(KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0xdead00000000ULL)); // mpidr ignored
}

TEST_F(VgicDevice, register_offsets_have_attr_only_where_a_register_is)
{
	create({ 0 });
	const u32 D = KVM_DEV_ARM_VGIC_GRP_DIST_REGS, RD = KVM_DEV_ARM_VGIC_GRP_REDIST_REGS;
	EXPECT_EQ(0, has(D, 0x0));
	EXPECT_EQ(-ENXIO, has(D, 0x2));	  // unaligned
	EXPECT_EQ(-ENXIO, has(D, 0x40));  // GICD_SETSPI_NSR: not implemented
	EXPECT_EQ(0, has(D, 0x100));	  // ISENABLER0: RAZ/WI but a register
	EXPECT_EQ(-ENXIO, has(D, 0x104)); // SPIs not sized before INIT
	EXPECT_EQ(0, has(D, 0xffe8));
	EXPECT_EQ(0, has(RD, attr_mpidr(0) | 0x14));		   // GICR_WAKER
	EXPECT_EQ(0, has(RD, attr_mpidr(0) | (sgi_base + 0x400))); // IPRIORITYR0
	EXPECT_EQ(-ENXIO, has(RD, attr_mpidr(0) | 0x40));	   // GICR_SETLPIR
	EXPECT_EQ(-EINVAL, has(RD, attr_mpidr(7) | 0x14));
	ASSERT_EQ(0, init());
	EXPECT_EQ(0, has(D, 0x104));
	EXPECT_EQ(0, has(D, 0x6000 + 8 * 255));
	EXPECT_EQ(-ENXIO, has(D, 0x6000 + 8 * 256));
}

// Upstream's uaccess answers an offset with no register with 0 and success, although
// KVM_HAS_DEVICE_ATTR says -ENXIO for it.
TEST_F(VgicDevice, unknown_register_offsets_read_zero_and_ignore_writes)
{
	create({ 0 });
	ASSERT_EQ(0, init());
	u32 v = 0x1234;
	EXPECT_EQ(0, dist_uget(0x40, &v));
	EXPECT_EQ(0u, v);
	EXPECT_EQ(0, dist_uset(0x40, 1));
	v = 0x1234;
	EXPECT_EQ(0, dist_uget(0x2, &v));
	EXPECT_EQ(0u, v);
}

TEST_F(VgicDevice, gicd_iidr_restore_takes_revision_2_or_3_only)
{
	create({ 0 });
	ASSERT_EQ(0, init());
	u32 iidr;
	ASSERT_EQ(0, dist_uget(0x8, &iidr));
	EXPECT_EQ(0x4b00343bu, iidr);
	EXPECT_EQ(-EINVAL, dist_uset(0x8, (iidr & ~0xf000u) | 0x1000));
	EXPECT_EQ(-EINVAL, dist_uset(0x8, (iidr & ~0xf000u) | 0x4000));
	EXPECT_EQ(-EINVAL, dist_uset(0x8, iidr ^ 1)); // implementer
	EXPECT_EQ(0, dist_uset(0x8, (iidr & ~0xf000u) | 0x2000));
	u32 ctlr;
	ASSERT_EQ(0, rd_uget(0, 0x0, &ctlr));
	EXPECT_EQ(0u, ctlr); // revision 2: no GICR_CTLR.{IR,CES}
	EXPECT_EQ(0, dist_uset(0x8, iidr));
	ASSERT_EQ(0, rd_uget(0, 0x0, &ctlr));
	EXPECT_EQ(6u, ctlr);
}

TEST_F(VgicDevice, gicd_typer2_restore_must_match_and_typer_is_ignored)
{
	create({ 0 });
	ASSERT_EQ(0, init());
	EXPECT_EQ(-EINVAL, dist_uset(0xc, 1u << 8));
	EXPECT_EQ(0, dist_uset(0xc, 0));
	u32 typer;
	ASSERT_EQ(0, dist_uget(0x4, &typer));
	EXPECT_EQ(0, dist_uset(0x4, 0));
	u32 again;
	ASSERT_EQ(0, dist_uget(0x4, &again));
	EXPECT_EQ(typer, again);
}

TEST_F(VgicDevice, gicd_statusr_reads_all_ones_as_upstream_and_ignores_writes)
{
	create({ 0 });
	ASSERT_EQ(0, init());
	EXPECT_EQ(0, dist_uset(0x10, 0));
	u32 v;
	ASSERT_EQ(0, dist_uget(0x10, &v));
	EXPECT_EQ(~0u, v);
	ASSERT_EQ(0, rd_uget(0, 0x10, &v));
	EXPECT_EQ(0u, v); // GICR_STATUSR is RAZ/WI
}

TEST_F(VgicDevice, gicr_typer_ignores_userspace_writes)
{
	create({ 0, 1 });
	ASSERT_EQ(0, init());
	u32 v = 0xffffffff;
	ASSERT_EQ(0, set(KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, attr_mpidr(1) | 0x8, &v));
	ASSERT_EQ(0, rd_uget(1, 0x8, &v));
	EXPECT_EQ(0x100u, v);
	ASSERT_EQ(0, rd_uget(1, 0xc, &v));
	EXPECT_EQ(1u, v); // the affinity, upper word
}

TEST_F(VgicDevice, pending_uaccess_is_the_latch_and_icpendr_is_raz_wi)
{
	create({ 0 });
	ready();
	// A level SPI held high by its device reads pending to the guest, not to userspace.
	dist_write(0xc08, 4, 0); // INTIDs 32-47 level
	ASSERT_EQ(0, kvmx::vgic_inject_irq(vgic_, 0, 33, true, nullptr));
	EXPECT_EQ(2u, dist_read(0x204, 4));
	u32 v;
	ASSERT_EQ(0, dist_uget(0x204, &v));
	EXPECT_EQ(0u, v);
	ASSERT_EQ(0, dist_uset(0x204, 1u << 3)); // set INTID 35's latch, clear the rest
	ASSERT_EQ(0, dist_uget(0x204, &v));
	EXPECT_EQ(8u, v);
	ASSERT_EQ(0, dist_uget(0x284, &v));
	EXPECT_EQ(0u, v);		     // ICPENDR RAZ
	ASSERT_EQ(0, dist_uset(0x284, ~0u)); // WI
	ASSERT_EQ(0, dist_uget(0x204, &v));
	EXPECT_EQ(8u, v);
	ASSERT_EQ(0, dist_uset(0x204, 0)); // a clear is a clear too
	ASSERT_EQ(0, dist_uget(0x204, &v));
	EXPECT_EQ(0u, v);
	EXPECT_EQ(2u, dist_read(0x204, 4)); // the line still holds INTID 33
}

TEST_F(VgicDevice, level_info_reads_and_restores_input_lines)
{
	create({ 0, 1 }); // 256 interrupts
	const u32 L = KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO;
	ASSERT_EQ(0, init());
	u32 v = 0xffffffff;
	EXPECT_EQ(-EINVAL, set(L, attr_mpidr(0) | 33, &v));		 // not a multiple of 32
	EXPECT_EQ(-EINVAL, get(L, attr_mpidr(0) | 1ULL << 10 | 32, &v)); // info 1
	EXPECT_EQ(-EINVAL, get(L, attr_mpidr(9) | 32, &v));		 // no such vCPU
	// SGIs are RAZ/WI; PPIs per vCPU.
	ASSERT_EQ(0, set(L, attr_mpidr(1) | 0, &v));
	ASSERT_EQ(0, get(L, attr_mpidr(1) | 0, &v));
	EXPECT_EQ(0xffff0000u, v);
	ASSERT_EQ(0, get(L, attr_mpidr(0) | 0, &v));
	EXPECT_EQ(0u, v);
	// SPIs are one set whatever the affinity; they are edge by default, so the level
	// is kept (restored before the configuration) but reads as 0 until they are level.
	v = 0x5;
	ASSERT_EQ(0, set(L, attr_mpidr(0) | 32, &v));
	ASSERT_EQ(0, get(L, attr_mpidr(1) | 32, &v));
	EXPECT_EQ(0u, v);
	ASSERT_EQ(0, dist_uset(0xc08, 0)); // INTIDs 32-47 level
	ASSERT_EQ(0, get(L, attr_mpidr(1) | 32, &v));
	EXPECT_EQ(5u, v);
	// Beyond the last INTID: RAZ/WI.
	v = ~0u;
	ASSERT_EQ(0, set(L, attr_mpidr(0) | 256, &v));
	ASSERT_EQ(0, get(L, attr_mpidr(0) | 256, &v));
	EXPECT_EQ(0u, v);
}

TEST_F(VgicDevice, register_reads_fault_after_the_access_on_a_bad_pointer)
{
	create({ 0 });
	ASSERT_EQ(0, init());
	void *bad = reinterpret_cast<void *>(0x100);
	EXPECT_EQ(-EFAULT, get(KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0, bad));
	EXPECT_EQ(-EFAULT, get(KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, attr_mpidr(0) | 32, bad));
	EXPECT_EQ(-EFAULT, get(KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, attr_mpidr(0) | 0xc230, bad));
	EXPECT_EQ(-EFAULT, set(KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, attr_mpidr(0) | 0xc230, bad));
}

TEST_F(VgicDevice, create_refuses_after_a_run_and_above_512_vcpus)
{
	kvmx::VgicConfig cfg = {};
	cfg.ipa_bits = 40;
	EXPECT_EQ(-EBUSY, kvmx::vgic_create(cfg, 1, true).err());
	EXPECT_EQ(-E2BIG, kvmx::vgic_create(cfg, 513, false).err());
	fake_host::fail_alloc_after(0);
	EXPECT_EQ(-ENOMEM, kvmx::vgic_create(cfg, 1, false).err());
	fake_host::fail_alloc_after(1); // the lock
	EXPECT_EQ(-ENOMEM, kvmx::vgic_create(cfg, 1, false).err());
}

TEST_F(VgicDevice, init_out_of_memory_leaves_it_uninitialised)
{
	create({ 0 });
	fake_host::fail_alloc_after(0);
	EXPECT_EQ(-ENOMEM, init());
	EXPECT_FALSE(vgic_->initialized);
	EXPECT_EQ(0, init());
}

} // namespace
} // namespace vgic_test
