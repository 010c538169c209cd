// SPDX-License-Identifier: GPL-2.0
// The list-register model (arch/arm64/kvm/vgic/lr.cpp): what the world switch will load
// into ICH_LR<n>_EL2 before a run, and how the values it saves after the run fold back
// into the interrupt state. The "guest" here edits the saved LR values as the hardware
// would: acknowledging moves pending to active, deactivating clears the state.
#include "vgic_fixture.hpp"

namespace vgic_test {
namespace {

using namespace kvmx;

class VgicLr : public Vgic {
protected:
	void SetUp() override
	{
		Vgic::SetUp();
		create({ 0, 1 });
		ready();
		open_cpuif(0);
		open_cpuif(1);
	}
	void flush(u32 idx = 0) { vgic_flush_lr_state(cpu(idx)); }
	VgicSyncResult sync(u32 idx = 0)
	{
		VgicSyncResult r = {};
		vgic_sync_lr_state(cpu(idx), &r);
		return r;
	}
	u64 lr(u32 n, u32 idx = 0) { return cpu(idx)->cpuif.lr[n]; }
	u32 used(u32 idx = 0) { return cpu(idx)->cpuif.used_lrs; }
	// The guest acknowledges the interrupt in LR @n (pending -> active).
	void ack(u32 n, u32 idx = 0)
	{
		u64 &v = cpu(idx)->cpuif.lr[n];
		v = (v & ~ICH_LR_STATE) | ICH_LR_ACTIVE;
	}
	// The guest deactivates it (EOI with EOImode 0).
	void eoi(u32 n, u32 idx = 0) { cpu(idx)->cpuif.lr[n] &= ~ICH_LR_STATE; }
	void enable(u32 intid)
	{
		if (intid < vgic_nr_private)
			rd_write(0, sgi_base + 0x100, 4, 1u << intid);
		else
			dist_write(0x100 + intid / 32 * 4, 4, 1u << (intid % 32));
	}
	void level(u32 first) { dist_write(0xc00 + first / 16 * 4, 4, 0); } // 16 INTIDs level
	void prio(u32 intid, u8 p) { dist_write(0x400 + intid, 1, p); }
	void inject(u32 intid, bool lvl = true)
	{
		ASSERT_EQ(0, vgic_inject_irq(vgic_, 0, intid, lvl, nullptr));
	}
};

TEST_F(VgicLr, flush_encodes_intid_priority_group_state_and_eoi)
{
	level(32);
	enable(33);
	prio(33, 0xa0);
	inject(33);
	ASSERT_EQ(0, vgic_inject_irq(vgic_, 0, 5, true, nullptr)); // SGI 5: edge, enabled
	dist_write(0, 4, 2);
	flush();
	ASSERT_EQ(2u, used());
	EXPECT_EQ(33 | ICH_LR_EOI | ICH_LR_PENDING | ICH_LR_GROUP | 0xa0ULL << 48, lr(0));
	EXPECT_EQ(5 | ICH_LR_PENDING | ICH_LR_GROUP, lr(1)); // edge: no EOI maintenance
	EXPECT_FALSE(irq(0, 5)->pending_latch);		     // the LR holds the edge now
	EXPECT_EQ(0u, lr(2));
	EXPECT_EQ(0u, cpu(0)->cpuif.hcr & ICH_HCR_UIE);
}

TEST_F(VgicLr, group0_interrupt_has_no_group_bit)
{
	dist_write(0x84, 4, ~1u); // INTID 32 in Group 0
	enable(32);
	inject(32);
	flush();
	EXPECT_EQ(32 | ICH_LR_PENDING, lr(0));
}

// A mapped level interrupt (the timer's, later) only reports rising edges: its line is
// lowered when it goes into an LR and sampled again from the hardware when the LR comes
// back still pending.
TEST_F(VgicLr, mapped_interrupt_names_its_physical_intid_and_is_resampled)
{
	ASSERT_EQ(0, vgic_map_phys_irq(vgic_, cpu(0), 27, 27));
	enable(27);
	phys_line_ = true;
	inject(27);
	flush();
	EXPECT_EQ(27 | ICH_LR_HW | 27ULL << 32 | ICH_LR_PENDING | ICH_LR_GROUP, lr(0));
	EXPECT_FALSE(irq(0, 27)->line_level);
	sync(); // not taken: the device still holds the line
	EXPECT_TRUE(irq(0, 27)->line_level);
	flush();
	phys_line_ = false;
	sync(); // not taken, and the device dropped it meanwhile
	EXPECT_FALSE(irq(0, 27)->line_level);
	EXPECT_TRUE(ap_list(0).empty());
}

TEST_F(VgicLr, active_mapped_interrupt_is_active_only_and_its_deactivation_is_the_hardwares)
{
	ASSERT_EQ(0, vgic_map_phys_irq(vgic_, cpu(0), 27, 27));
	enable(27);
	phys_line_ = true;
	inject(27);
	flush();
	ack(0);
	sync();
	EXPECT_TRUE(irq(0, 27)->active);
	flush();
	EXPECT_EQ(27 | ICH_LR_HW | 27ULL << 32 | ICH_LR_ACTIVE | ICH_LR_GROUP, lr(0));
	eoi(0);
	EXPECT_EQ(0u, sync().nr_acked); // no EOI maintenance for HW interrupts
	EXPECT_FALSE(irq(0, 27)->active);
	EXPECT_TRUE(ap_list(0).empty()); // a new edge from the hardware brings it back
}

TEST_F(VgicLr, active_level_interrupt_is_never_also_pending_in_the_lr)
{
	level(32);
	enable(40);
	inject(40);
	flush();
	ack(0);
	sync();
	EXPECT_TRUE(irq(0, 40)->active);
	flush();
	EXPECT_EQ(40 | ICH_LR_EOI | ICH_LR_ACTIVE | ICH_LR_GROUP, lr(0));
}

TEST_F(VgicLr, edge_injected_again_while_active_is_active_and_pending)
{
	enable(40);
	inject(40);
	flush();
	ack(0);
	inject(40); // a second edge while the guest handles the first
	EXPECT_EQ(2u, kicks_.size());
	sync();
	flush();
	EXPECT_EQ(40 | ICH_LR_ACTIVE | ICH_LR_PENDING | ICH_LR_GROUP, lr(0));
	EXPECT_EQ(1u, used());
}

TEST_F(VgicLr, fold_keeps_an_edge_the_guest_has_not_taken)
{
	enable(40);
	inject(40);
	flush();
	EXPECT_FALSE(irq(0, 40)->pending_latch);
	sync(); // exited before the guest acknowledged it
	EXPECT_TRUE(irq(0, 40)->pending_latch);
	EXPECT_EQ(std::vector<u32>{ 40 }, ap_list(0));
	flush();
	EXPECT_EQ(40 | ICH_LR_PENDING | ICH_LR_GROUP, lr(0));
}

TEST_F(VgicLr, deactivated_edge_leaves_the_ap_list)
{
	enable(40);
	inject(40);
	flush();
	ack(0);
	sync();
	EXPECT_EQ(std::vector<u32>{ 40 }, ap_list(0)); // active: stays
	flush();
	eoi(0);
	VgicSyncResult r = sync();
	EXPECT_EQ(0u, r.nr_acked); // edge: no EOI maintenance, no resample
	EXPECT_FALSE(irq(0, 40)->active);
	EXPECT_TRUE(ap_list(0).empty());
	flush();
	EXPECT_EQ(0u, used());
}

TEST_F(VgicLr, level_spi_eoi_reports_its_pin_and_clears_the_latch)
{
	level(32);
	enable(40);
	dist_write(0x204, 4, 1u << 8); // ISPENDR: latch INTID 40
	inject(40);		       // and its line is high
	flush();
	ack(0);
	eoi(0);
	VgicSyncResult r = sync();
	ASSERT_EQ(1u, r.nr_acked);
	EXPECT_EQ(8u, r.acked_spi_pins[0]);
	EXPECT_FALSE(irq(0, 40)->pending_latch);
	EXPECT_EQ(std::vector<u32>{ 40 }, ap_list(0)); // the line still holds it pending
	inject(40, false);
	flush();
	EXPECT_EQ(0u, used());
	sync();
	EXPECT_TRUE(ap_list(0).empty());
}

TEST_F(VgicLr, level_ppi_eoi_is_not_reported_as_an_spi)
{
	enable(23);
	inject(23);
	flush();
	eoi(0);
	EXPECT_EQ(0u, sync().nr_acked);
}

TEST_F(VgicLr, more_pending_than_lrs_takes_active_then_priority_and_asks_for_underflow)
{
	for (u32 intid = 40; intid < 46; intid++) {
		enable(intid);
		prio(intid, static_cast<u8>(0xc0 - (intid - 40) * 8)); // 40 lowest priority
	}
	// 40 becomes active: it must keep an LR, whatever its priority.
	inject(40);
	flush();
	ack(0);
	sync();
	for (u32 intid = 41; intid < 46; intid++)
		inject(intid);
	flush(); // 4 LRs for 6 interrupts
	ASSERT_EQ(4u, used());
	EXPECT_EQ(40u, lr(0) & ICH_LR_VINTID_MASK);
	EXPECT_EQ(45u, lr(1) & ICH_LR_VINTID_MASK);
	EXPECT_EQ(44u, lr(2) & ICH_LR_VINTID_MASK);
	EXPECT_EQ(43u, lr(3) & ICH_LR_VINTID_MASK);
	EXPECT_TRUE(cpu(0)->cpuif.hcr & ICH_HCR_UIE);
	// The guest takes and completes all four; the underflow brings it out.
	for (u32 n = 0; n < 4; n++)
		eoi(n);
	sync();
	EXPECT_FALSE(cpu(0)->cpuif.hcr & ICH_HCR_UIE);
	flush();
	ASSERT_EQ(2u, used());
	EXPECT_EQ(42u, lr(0) & ICH_LR_VINTID_MASK);
	EXPECT_EQ(41u, lr(1) & ICH_LR_VINTID_MASK);
	EXPECT_FALSE(cpu(0)->cpuif.hcr & ICH_HCR_UIE);
}

TEST_F(VgicLr, spi_whose_target_moved_migrates_at_the_next_exit)
{
	enable(40);
	inject(40);
	EXPECT_EQ(std::vector<u32>{ 40 }, ap_list(0));
	dist_write(0x6000 + 8 * 40, 8, 1); // IROUTER: vCPU 1
	kicks_.clear();
	flush(); // vCPU 0 no longer presents it
	EXPECT_EQ(0u, used());
	sync();
	EXPECT_TRUE(ap_list(0).empty());
	EXPECT_EQ(std::vector<u32>{ 40 }, ap_list(1));
	EXPECT_EQ(std::vector<u32>{ 1 }, kicks_);
	flush(1);
	EXPECT_EQ(40 | ICH_LR_PENDING | ICH_LR_GROUP, lr(0, 1));
}

TEST_F(VgicLr, active_spi_stays_on_its_vcpu_until_deactivated)
{
	enable(40);
	inject(40);
	flush();
	ack(0);
	sync();
	dist_write(0x6000 + 8 * 40, 8, 1);
	flush();
	EXPECT_EQ(40 | ICH_LR_ACTIVE | ICH_LR_GROUP, lr(0));
	eoi(0);
	sync();
	EXPECT_TRUE(ap_list(0).empty());
	EXPECT_TRUE(ap_list(1).empty()); // nothing pending: nowhere
}

TEST_F(VgicLr, disabled_interrupt_is_not_presented_and_drops_off)
{
	enable(40);
	inject(40);
	dist_write(0x184, 4, 1u << 8); // ICENABLER
	flush();
	EXPECT_EQ(0u, used());
	sync();
	EXPECT_TRUE(ap_list(0).empty());
	EXPECT_TRUE(irq(0, 40)->pending_latch); // still pending, for when it is enabled
	enable(40);
	EXPECT_EQ(std::vector<u32>{ 40 }, ap_list(0));
}

TEST_F(VgicLr, a_storm_of_every_spi_on_one_vcpu_sorts_by_priority)
{
	vgic_destroy(vgic_);
	vgic_ = nullptr;
	nr_ = 0;
	create({ 0 }, vtr_16lr_7pri);
	u32 n = 992;
	ASSERT_EQ(0, set(KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &n));
	ready();
	for (u32 intid = 32; intid < 992; intid += 32)
		dist_write(0x100 + intid / 8, 4, ~0u);
	for (u32 intid = 32; intid < 992; intid++) {
		prio(intid, static_cast<u8>((intid * 37) & 0xff));
		inject(intid);
	}
	flush();
	ASSERT_EQ(16u, used());
	u32 last = 0;
	for (u32 i = 0; i < 16; i++) {
		u32 p = (lr(i) >> 48) & 0xff;
		EXPECT_LE(last, p);
		last = p;
	}
	EXPECT_EQ(0u, (lr(0) >> 48) & 0xff);
	EXPECT_TRUE(cpu(0)->cpuif.hcr & ICH_HCR_UIE);
	// The list is whole: every SPI once, links consistent both ways.
	std::vector<u32> on = ap_list(0);
	EXPECT_EQ(960u, on.size());
	const VgicIrq *prev = nullptr;
	for (const VgicIrq *i = cpu(0)->ap_head; i; i = i->ap_next) {
		EXPECT_EQ(prev, i->ap_prev);
		prev = i;
	}
	EXPECT_EQ(prev, cpu(0)->ap_tail);
	sync(); // nothing taken: every edge back in its latch
	for (u32 intid = 32; intid < 992; intid++)
		ASSERT_TRUE(irq(0, intid)->pending_latch) << intid;
}

TEST_F(VgicLr, flush_and_sync_take_the_lock_and_leave_it)
{
	enable(40);
	inject(40);
	flush();
	sync();
	EXPECT_EQ(0, fake_host::spinlocks_held());
	EXPECT_EQ(0, fake_host::irqs_masked());
}

// The hot paths of a vCPU with nothing queued (most entries and exits, every iteration of
// a halt's polling) leave the VM-wide lock alone; the first queued interrupt brings it back.
TEST_F(VgicLr, an_empty_ap_list_is_flushed_synced_and_polled_without_the_lock)
{
	enable(40);
	const long before = fake_host::spinlock_acquisitions();
	flush();
	EXPECT_EQ(0u, used());
	EXPECT_EQ(0u, sync().nr_acked);
	EXPECT_FALSE(vgic_vcpu_pending_irq(vgic_, cpu(0)));
	EXPECT_EQ(before, fake_host::spinlock_acquisitions());
	inject(40);
	EXPECT_TRUE(vgic_vcpu_pending_irq(vgic_, cpu(0)));
	flush();
	ASSERT_EQ(1u, used());
	EXPECT_EQ(40u, lr(0) & ICH_LR_VINTID_MASK);
	eoi(0);
	sync(); // the LR was in use: folded back under the lock, the interrupt leaves the list
	EXPECT_TRUE(vgic_ap_list_empty(cpu(0)));
	EXPECT_LT(before + 3, fake_host::spinlock_acquisitions());
}

TEST_F(VgicLr, vmcr_fields_round_trip_and_vfiqen_is_res1)
{
	VgicVmcr v = {};
	v.grpen0 = 1;
	v.grpen1 = 1;
	v.cbpr = 1;
	v.eoim = 1;
	v.abpr = 5;
	v.bpr = 2;
	v.pmr = 0xf8;
	v.ackctl = 1; // RES0 for a GICv3 guest
	vgic_set_vmcr(cpu(0), v);
	EXPECT_EQ(0xf8u << 24 | 2u << 21 | 5u << 18 | 1u << 9 | 1u << 4 | 1u << 3 | 3u,
		  cpu(0)->cpuif.vmcr);
	VgicVmcr w = vgic_get_vmcr(cpu(0));
	EXPECT_EQ(1u, w.fiqen);
	EXPECT_EQ(0u, w.ackctl);
	EXPECT_EQ(5u, w.abpr);
	EXPECT_EQ(0xf8u, w.pmr);
}

} // namespace
} // namespace vgic_test
