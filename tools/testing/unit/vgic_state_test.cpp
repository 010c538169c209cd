// SPDX-License-Identifier: GPL-2.0
// vGIC interrupt state (arch/arm64/kvm/vgic/irq.cpp): reset values, injection by edge and
// level, owners, KVM_IRQ_LINE and routing pins, the target of each interrupt, the choice
// of the next interrupt to present, WFI wake-ups and SGIs from ICC_SGI*R_EL1.
#include "vgic_fixture.hpp"

#include <algorithm>

namespace vgic_test {
namespace {

using VgicState = Vgic;

// ICC_SGI1R_EL1: INTID [27:24], Aff3 [55:48], Aff2 [39:32], Aff1 [23:16], IRM [40],
// target list [15:0].
u64 sgi1r(u32 intid, u32 aff1, u32 targets, bool irm = false, u32 aff2 = 0)
{
	return static_cast<u64>(intid) << 24 | static_cast<u64>(aff2) << 32 | aff1 << 16 | targets |
	       (irm ? 1ULL << 40 : 0);
}

u32 irq_line(u32 type, u32 vcpu, u32 num)
{
	return type << KVM_ARM_IRQ_TYPE_SHIFT | (vcpu & 0xff) << KVM_ARM_IRQ_VCPU_SHIFT |
	       (vcpu >> 8) << KVM_ARM_IRQ_VCPU2_SHIFT | num;
}

TEST_F(VgicState, reset_sgis_enabled_edge_ppis_level_spis_edge_all_group1)
{
	create({ 0 });
	ASSERT_EQ(0, init());
	u32 v;
	ASSERT_EQ(0, rd_uget(0, sgi_base + 0x100, &v)); // ISENABLER0
	EXPECT_EQ(0xffffu, v);
	ASSERT_EQ(0, rd_uget(0, sgi_base + 0xc00, &v)); // ICFGR0: SGIs edge
	EXPECT_EQ(0xaaaaaaaau, v);
	ASSERT_EQ(0, rd_uget(0, sgi_base + 0xc04, &v)); // ICFGR1: PPIs level
	EXPECT_EQ(0u, v);
	ASSERT_EQ(0, rd_uget(0, sgi_base + 0x80, &v)); // IGROUPR0
	EXPECT_EQ(~0u, v);
	ASSERT_EQ(0, dist_uget(0xc08, &v)); // SPIs edge, disabled, group 1, priority 0
	EXPECT_EQ(0xaaaaaaaau, v);
	ASSERT_EQ(0, dist_uget(0x104, &v));
	EXPECT_EQ(0u, v);
	ASSERT_EQ(0, dist_uget(0x84, &v));
	EXPECT_EQ(~0u, v);
	ASSERT_EQ(0, dist_uget(0x420, &v));
	EXPECT_EQ(0u, v);
	ASSERT_EQ(0, dist_uget(0x6100, &v)); // IROUTER32: affinity 0.0.0
	EXPECT_EQ(0u, v);
	EXPECT_EQ(cpu(0), irq(0, 32)->target);
}

TEST_F(VgicState, injection_before_init_is_ebusy_and_unknown_interrupts_einval)
{
	create({ 0 });
	EXPECT_EQ(-EBUSY, kvmx::vgic_inject_irq(vgic_, 0, 40, true, nullptr));
	ASSERT_EQ(0, init());
	EXPECT_EQ(-EINVAL, kvmx::vgic_inject_irq(vgic_, 0, 256, true, nullptr));
	EXPECT_EQ(-EINVAL, kvmx::vgic_inject_irq(vgic_, 0, 8192, true, nullptr)); // no LPIs
	EXPECT_EQ(-EINVAL, kvmx::vgic_inject_irq(vgic_, 1, 20, true, nullptr));	  // no vCPU 1
	EXPECT_EQ(0, kvmx::vgic_inject_irq(vgic_, 1, 40, true, nullptr));	  // SPIs ignore it
}

TEST_F(VgicState, edge_injection_latches_rising_edges_only)
{
	create({ 0 });
	ready();
	dist_write(0x104, 4, 1u << 8); // enable INTID 40
	ASSERT_EQ(0, kvmx::vgic_inject_irq(vgic_, 0, 40, false, nullptr));
	EXPECT_FALSE(irq(0, 40)->pending_latch);
	EXPECT_TRUE(ap_list(0).empty());
	ASSERT_EQ(0, kvmx::vgic_inject_irq(vgic_, 0, 40, true, nullptr));
	EXPECT_TRUE(irq(0, 40)->pending_latch);
	EXPECT_EQ(std::vector<u32>{ 40 }, ap_list(0));
	EXPECT_EQ(std::vector<u32>{ 0 }, kicks_);
	ASSERT_EQ(0, kvmx::vgic_inject_irq(vgic_, 0, 40, false, nullptr));
	EXPECT_TRUE(irq(0, 40)->pending_latch); // a falling edge changes nothing
	ASSERT_EQ(0, kvmx::vgic_inject_irq(vgic_, 0, 40, true, nullptr));
	EXPECT_EQ(std::vector<u32>{ 40 }, ap_list(0)); // queued once, kicked again
	EXPECT_EQ(2u, kicks_.size());
}

TEST_F(VgicState, level_injection_follows_the_line)
{
	create({ 0 });
	ready();
	dist_write(0xc08, 4, 0);       // INTIDs 32-47 level
	dist_write(0x104, 4, 1u << 1); // enable INTID 33
	ASSERT_EQ(0, kvmx::vgic_inject_irq(vgic_, 0, 33, true, nullptr));
	EXPECT_TRUE(kvmx::vgic_irq_is_pending(irq(0, 33)));
	EXPECT_FALSE(irq(0, 33)->pending_latch);
	EXPECT_EQ(std::vector<u32>{ 33 }, ap_list(0));
	ASSERT_EQ(0, kvmx::vgic_inject_irq(vgic_, 0, 33, true, nullptr)); // no change: no kick
	EXPECT_EQ(1u, kicks_.size());
	ASSERT_EQ(0, kvmx::vgic_inject_irq(vgic_, 0, 33, false, nullptr));
	EXPECT_FALSE(kvmx::vgic_irq_is_pending(irq(0, 33)));
}

TEST_F(VgicState, an_owned_line_answers_its_owner_only)
{
	create({ 0 });
	int timer;
	EXPECT_EQ(-EAGAIN, kvmx::vgic_set_owner(vgic_, cpu(0), 27, &timer));
	ready();
	ASSERT_EQ(0, kvmx::vgic_set_owner(vgic_, cpu(0), 27, &timer));
	EXPECT_EQ(0, kvmx::vgic_set_owner(vgic_, cpu(0), 27, &timer));
	int other;
	EXPECT_EQ(-EEXIST, kvmx::vgic_set_owner(vgic_, cpu(0), 27, &other));
	EXPECT_EQ(-EINVAL, kvmx::vgic_set_owner(vgic_, cpu(0), 3, &timer));    // an SGI
	EXPECT_EQ(-EINVAL, kvmx::vgic_set_owner(vgic_, cpu(0), 256, &timer));  // no such SPI
	EXPECT_EQ(-EINVAL, kvmx::vgic_set_owner(vgic_, cpu(0), 8192, &timer)); // an LPI
	EXPECT_EQ(0, kvmx::vgic_set_owner(vgic_, cpu(0), 40, &other));	       // an SPI
	ASSERT_EQ(0, kvmx::vgic_inject_irq(vgic_, 0, 40, true, nullptr));
	EXPECT_FALSE(irq(0, 40)->pending_latch);
	ASSERT_EQ(0, kvmx::vgic_inject_irq(vgic_, 0, 27, true, nullptr));
	EXPECT_FALSE(irq(0, 27)->line_level); // userspace cannot drive it
	ASSERT_EQ(0, kvmx::vgic_inject_irq(vgic_, 0, 27, true, &timer));
	EXPECT_TRUE(irq(0, 27)->line_level);
}

TEST_F(VgicState, irq_line_decodes_ppis_by_vcpu_index_and_spis)
{
	create({ 5, 0x123 }); // ids differ from indices; the index picks the vCPU
	ready();
	using kvmx::vgic_irq_line;
	ASSERT_EQ(0, vgic_irq_line(vgic_, irq_line(KVM_ARM_IRQ_TYPE_PPI, 1, 23), true));
	EXPECT_TRUE(irq(1, 23)->line_level);
	EXPECT_FALSE(irq(0, 23)->line_level);
	EXPECT_EQ(-EINVAL, vgic_irq_line(vgic_, irq_line(KVM_ARM_IRQ_TYPE_PPI, 2, 23), true));
	EXPECT_EQ(-EINVAL, vgic_irq_line(vgic_, irq_line(KVM_ARM_IRQ_TYPE_PPI, 256, 23), true));
	EXPECT_EQ(-EINVAL, vgic_irq_line(vgic_, irq_line(KVM_ARM_IRQ_TYPE_PPI, 0, 15), true));
	EXPECT_EQ(-EINVAL, vgic_irq_line(vgic_, irq_line(KVM_ARM_IRQ_TYPE_PPI, 0, 32), true));
	ASSERT_EQ(0, vgic_irq_line(vgic_, irq_line(KVM_ARM_IRQ_TYPE_SPI, 7, 100), true));
	EXPECT_TRUE(irq(0, 100)->pending_latch); // edge by default
	EXPECT_EQ(-EINVAL, vgic_irq_line(vgic_, irq_line(KVM_ARM_IRQ_TYPE_SPI, 0, 31), true));
	EXPECT_EQ(-EINVAL, vgic_irq_line(vgic_, irq_line(KVM_ARM_IRQ_TYPE_SPI, 0, 256), true));
	EXPECT_EQ(-EINVAL, vgic_irq_line(vgic_, irq_line(KVM_ARM_IRQ_TYPE_CPU, 0, 0), true));
	EXPECT_EQ(-EINVAL, vgic_irq_line(vgic_, irq_line(3, 0, 40), true));
}

TEST_F(VgicState, routing_pins_are_spis_from_32)
{
	create({ 0 });
	ready();
	ASSERT_EQ(0, kvmx::vgic_set_spi(vgic_, 0, true));
	EXPECT_TRUE(irq(0, 32)->pending_latch);
	ASSERT_EQ(0, kvmx::vgic_set_spi(vgic_, 223, true));
	EXPECT_TRUE(irq(0, 255)->pending_latch);
	EXPECT_EQ(-EINVAL, kvmx::vgic_set_spi(vgic_, 224, true));
	EXPECT_EQ(-EINVAL, kvmx::vgic_set_spi(vgic_, ~0u - 10, true));
}

TEST_F(VgicState, spis_go_to_the_vcpu_irouter_names)
{
	create({ 0, 1, 17 });
	ready();
	dist_write(0x104, 4, 1u << 8);
	dist_write(0x6000 + 8 * 40, 8, 0xff000000000101ULL); // Aff3 and mode dropped
	EXPECT_EQ(0x101u, dist_read(0x6000 + 8 * 40, 8));
	EXPECT_EQ(cpu(2), irq(0, 40)->target);
	dist_write(0x6000 + 8 * 40 + 4, 4, 0xffffffff); // the upper word is WI
	EXPECT_EQ(0u, dist_read(0x6000 + 8 * 40 + 4, 4));
	ASSERT_EQ(0, kvmx::vgic_inject_irq(vgic_, 0, 40, true, nullptr));
	EXPECT_EQ(std::vector<u32>{ 40 }, ap_list(2));
	EXPECT_EQ(std::vector<u32>{ 2 }, kicks_);
	// An affinity no vCPU has: pending, delivered nowhere.
	dist_write(0x6000 + 8 * 41, 4, 0x30000);
	EXPECT_EQ(nullptr, irq(0, 41)->target);
	dist_write(0x104, 4, 1u << 9);
	ASSERT_EQ(0, kvmx::vgic_inject_irq(vgic_, 0, 41, true, nullptr));
	EXPECT_TRUE(irq(0, 41)->pending_latch);
	for (u32 i = 0; i < 3; i++) {
		std::vector<u32> on = ap_list(i);
		EXPECT_EQ(0, std::count(on.begin(), on.end(), 41u));
	}
}

TEST_F(VgicState, a_disabled_distributor_forwards_nothing_until_enabled)
{
	create({ 0 });
	ready(false);
	dist_write(0x104, 4, 1u << 8);
	ASSERT_EQ(0, kvmx::vgic_inject_irq(vgic_, 0, 40, true, nullptr));
	EXPECT_TRUE(ap_list(0).empty());
	dist_write(0, 4, 2); // GICD_CTLR.EnableGrp1
	EXPECT_EQ(std::vector<u32>{ 40 }, ap_list(0));
	EXPECT_FALSE(kicks_.empty());
}

TEST_F(VgicState, next_irq_is_the_highest_priority_then_the_lowest_intid)
{
	create({ 0 });
	ready();
	open_cpuif(0);
	dist_write(0x104, 4, 0xf00);	  // INTIDs 40-43
	dist_write(0x428, 4, 0x80a0a0c0); // priorities 40: 0xc0, 41: 0xa0, 42: 0xa0, 43: 0x80
	for (u32 intid : { 40u, 42u, 41u })
		ASSERT_EQ(0, kvmx::vgic_inject_irq(vgic_, 0, intid, true, nullptr));
	{
		kvmx::VgicLocked l(vgic_);
		EXPECT_EQ(41u, kvmx::vgic_next_irq(l, cpu(0))->intid);
	}
	ASSERT_EQ(0, kvmx::vgic_inject_irq(vgic_, 0, 43, true, nullptr));
	kvmx::VgicLocked l(vgic_);
	EXPECT_EQ(43u, kvmx::vgic_next_irq(l, cpu(0))->intid);
}

TEST_F(VgicState, next_irq_skips_disabled_active_masked_and_group_disabled_ones)
{
	create({ 0 });
	ready();
	open_cpuif(0, 0x90);
	dist_write(0x104, 4, 0xf00);
	dist_write(0x428, 4, 0x10a02030); // 40: 0x30, 41: 0x20, 42: 0xa0, 43: 0x10
	dist_write(0x84, 4, ~(1u << 11)); // INTID 43 in Group 0
	for (u32 intid : { 40u, 41u, 42u, 43u })
		ASSERT_EQ(0, kvmx::vgic_inject_irq(vgic_, 0, intid, true, nullptr));
	dist_write(0x304, 4, 1u << 9); // 41 active
	auto next = [&] {
		kvmx::VgicLocked l(vgic_);
		const kvmx::VgicIrq *i = kvmx::vgic_next_irq(l, cpu(0));
		return i ? i->intid : 0u;
	};
	EXPECT_EQ(43u, next());
	kvmx::VgicVmcr v = kvmx::vgic_get_vmcr(cpu(0));
	v.grpen0 = 0;
	kvmx::vgic_set_vmcr(cpu(0), v);
	EXPECT_EQ(40u, next());	       // 42 is below the priority mask
	dist_write(0x184, 4, 1u << 8); // disable 40
	EXPECT_EQ(0u, next());
	v.pmr = 0xff;
	kvmx::vgic_set_vmcr(cpu(0), v);
	EXPECT_EQ(42u, next());
	dist_write(0, 4, 0);
	EXPECT_EQ(0u, next()); // distributor off
}

TEST_F(VgicState, wfi_wakes_for_a_deliverable_interrupt_above_the_priority_mask)
{
	create({ 0 });
	ready();
	dist_write(0x104, 4, 1u << 8);
	dist_write(0x428, 1, 0x80);
	ASSERT_EQ(0, kvmx::vgic_inject_irq(vgic_, 0, 40, true, nullptr));
	EXPECT_FALSE(kvmx::vgic_vcpu_pending_irq(vgic_, cpu(0))); // PMR 0 masks everything
	open_cpuif(0, 0x80);
	EXPECT_FALSE(kvmx::vgic_vcpu_pending_irq(vgic_, cpu(0)));
	open_cpuif(0, 0x88);
	EXPECT_TRUE(kvmx::vgic_vcpu_pending_irq(vgic_, cpu(0)));
	dist_write(0, 4, 0);
	EXPECT_FALSE(kvmx::vgic_vcpu_pending_irq(vgic_, cpu(0)));
}

TEST_F(VgicState, sgi1r_reaches_the_target_list_at_the_named_affinity)
{
	create({ 0, 1, 2, 16, 17 }); // 16 and 17 are Aff1 1
	ready();
	kvmx::vgic_dispatch_sgi(vgic_, cpu(0), sgi1r(5, 0, 0b101), true);
	EXPECT_TRUE(irq(0, 5)->pending_latch);
	EXPECT_FALSE(irq(1, 5)->pending_latch);
	EXPECT_TRUE(irq(2, 5)->pending_latch);
	EXPECT_FALSE(irq(3, 5)->pending_latch);
	kvmx::vgic_dispatch_sgi(vgic_, cpu(0), sgi1r(9, 1, 0b10), true);
	EXPECT_TRUE(irq(4, 9)->pending_latch);
	EXPECT_FALSE(irq(3, 9)->pending_latch);
	EXPECT_FALSE(irq(1, 9)->pending_latch);
	kvmx::vgic_dispatch_sgi(vgic_, cpu(0), sgi1r(9, 1, 0b10, false, 1), true); // Aff2 1
	EXPECT_EQ(1u, ap_list(4).size());
	EXPECT_EQ(std::vector<u32>{ 9 }, ap_list(4));
}

TEST_F(VgicState, sgi1r_with_irm_broadcasts_to_every_vcpu_but_the_sender)
{
	create({ 0, 1, 2 });
	ready();
	kvmx::vgic_dispatch_sgi(vgic_, cpu(1), sgi1r(3, 0x55, 0, true), true);
	EXPECT_TRUE(irq(0, 3)->pending_latch);
	EXPECT_FALSE(irq(1, 3)->pending_latch);
	EXPECT_TRUE(irq(2, 3)->pending_latch);
}

// The kicks a queueing made are sent once the vGIC lock is dropped (the fixture checks
// that none ran under it), each vCPU once; a broadcast to more vCPUs than one lock keeps
// track of kicks every vCPU.
TEST_F(VgicState, kicks_are_sent_after_the_lock_once_per_vcpu)
{
	create({ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 });
	ready();
	kvmx::vgic_dispatch_sgi(vgic_, cpu(0), sgi1r(5, 0, 0b1110), true);
	EXPECT_EQ((std::vector<u32>{ 1, 2, 3 }), kicks_);
	kicks_.clear();
	kvmx::vgic_dispatch_sgi(vgic_, cpu(0), sgi1r(6, 0, 0, true), true);
	EXPECT_EQ(12u, kicks_.size()) << "11 targets: more than are tracked, every vCPU kicked";
	for (u32 i = 1; i < 12; i++)
		EXPECT_TRUE(irq(i, 6)->pending_latch);
}

TEST_F(VgicState, sgi0r_raises_group0_sgis_only)
{
	create({ 0, 1 });
	ready();
	kvmx::vgic_dispatch_sgi(vgic_, cpu(0), sgi1r(2, 0, 0b10), false);
	EXPECT_FALSE(irq(1, 2)->pending_latch); // Group 1 by default
	rd_write(1, sgi_base + 0x80, 4, ~(1u << 2));
	kvmx::vgic_dispatch_sgi(vgic_, cpu(0), sgi1r(2, 0, 0b10), false);
	EXPECT_TRUE(irq(1, 2)->pending_latch);
	kvmx::vgic_dispatch_sgi(vgic_, cpu(0), sgi1r(4, 0, 0b10), true); // SGI1R: either group
	EXPECT_TRUE(irq(1, 4)->pending_latch);
}

TEST_F(VgicState, mapped_interrupt_records_its_physical_intid)
{
	create({ 0 });
	ready();
	EXPECT_EQ(0, kvmx::vgic_map_phys_irq(vgic_, cpu(0), 27, 27));
	EXPECT_TRUE(irq(0, 27)->hw);
	EXPECT_EQ(27u, irq(0, 27)->hwintid);
	EXPECT_EQ(0, kvmx::vgic_unmap_phys_irq(vgic_, cpu(0), 27));
	EXPECT_FALSE(irq(0, 27)->hw);
	EXPECT_EQ(-EINVAL, kvmx::vgic_map_phys_irq(vgic_, cpu(0), 300, 27));
}

} // namespace
} // namespace vgic_test
