// SPDX-License-Identifier: GPL-2.0
// The GICv3 register frames as a guest sees them (arch/arm64/kvm/vgic/mmio.cpp,
// mmio_v3.cpp): frame decoding, GICD/GICR identification and control registers, the
// per-interrupt registers through both frames, access widths, RAZ/WI for everything
// reserved, and the LPI registers without an ITS.
#include "vgic_fixture.hpp"

namespace vgic_test {
namespace {

using VgicMmio = Vgic;

TEST_F(VgicMmio, frames_decode_once_ready_and_only_whole_accesses)
{
	create({ 0, 1 });
	u64 v = 0;
	ASSERT_EQ(0, set_addr(KVM_VGIC_V3_ADDR_TYPE_DIST, dist_base));
	ASSERT_EQ(0, set_addr(KVM_VGIC_V3_ADDR_TYPE_REDIST, redist_base));
	ASSERT_EQ(0, init());
	EXPECT_FALSE(kvmx::vgic_mmio_access(vgic_, cpu(0), dist_base, 4, false, &v));
	ASSERT_EQ(0, kvmx::vgic_map_resources(vgic_).err());
	EXPECT_TRUE(kvmx::vgic_mmio_access(vgic_, cpu(0), dist_base + 0xfffc, 4, false, &v));
	EXPECT_FALSE(kvmx::vgic_mmio_access(vgic_, cpu(0), dist_base + 0xfffc, 8, false, &v));
	EXPECT_FALSE(kvmx::vgic_mmio_access(vgic_, cpu(0), dist_base - 4, 4, false, &v));
	// vCPU 1's GICR frames, reached from vCPU 0.
	v = 0;
	EXPECT_TRUE(kvmx::vgic_mmio_access(vgic_, cpu(0), redist_base + 0x20008, 8, false, &v));
	EXPECT_EQ(1ULL << 32 | 1 << 8 | 1 << 4, v); // affinity 0.0.1, processor 1, Last
	EXPECT_TRUE(kvmx::vgic_mmio_access(vgic_, cpu(0), redist_base + 0x3fffc, 4, false, &v));
	EXPECT_FALSE(kvmx::vgic_mmio_access(vgic_, cpu(0), redist_base + 0x40000, 4, false, &v));
}

TEST_F(VgicMmio, distributor_identifies_as_upstreams_gicv3)
{
	create({ 0 });
	ready(false);
	EXPECT_EQ(0x50u, dist_read(0x0, 4)); // ARE_NS, DS
	dist_write(0x0, 4, 0xffffffff);
	EXPECT_EQ(0x52u, dist_read(0x0, 4));	     // EnableGrp1A only
	EXPECT_EQ(7u | 9u << 19, dist_read(0x4, 4)); // 256 INTIDs, 10 ID bits, no LPIs
	EXPECT_EQ(0x4b00343bu, dist_read(0x8, 4));
	EXPECT_EQ(0u, dist_read(0xc, 4));	// TYPER2
	EXPECT_EQ(0x3bu, dist_read(0xffe8, 4)); // PIDR2: GICv3
	EXPECT_EQ(0u, dist_read(0xffd0, 4));
	dist_write(0x4, 4, 0);
	dist_write(0x8, 4, 0);
	EXPECT_EQ(0x4b00343bu, dist_read(0x8, 4));
	EXPECT_EQ(0u, dist_read(0x40, 4)); // GICD_SETSPI_NSR: not implemented, RAZ
}

TEST_F(VgicMmio, typer_counts_the_interrupts_nr_irqs_chose)
{
	create({ 0 });
	u32 n = 64;
	ASSERT_EQ(0, set(KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &n));
	ready();
	EXPECT_EQ(1u | 9u << 19, dist_read(0x4, 4));
	dist_write(0x108, 4, ~0u); // ISENABLER2: INTIDs 64-95 do not exist
	EXPECT_EQ(0u, dist_read(0x108, 4));
	EXPECT_EQ(0u, dist_read(0x6000 + 8 * 64, 8));
	dist_write(0x104, 4, ~0u);
	EXPECT_EQ(~0u, dist_read(0x104, 4));
}

TEST_F(VgicMmio, private_interrupts_are_raz_wi_in_the_distributor)
{
	create({ 0 });
	ready();
	EXPECT_EQ(0u, dist_read(0x100, 4)); // SGIs are enabled, but not visible here
	dist_write(0x180, 4, ~0u);
	EXPECT_EQ(0xffffu, rd_read(0, sgi_base + 0x100, 4));
	dist_write(0x400, 4, 0xffffffff);
	EXPECT_EQ(0u, rd_read(0, sgi_base + 0x400, 4));
	EXPECT_EQ(0u, dist_read(0x6000, 8));
}

TEST_F(VgicMmio, enable_pending_active_registers_set_and_clear_by_bit)
{
	create({ 0 });
	ready();
	dist_write(0x104, 4, 0x5);
	dist_write(0x104, 4, 0x8); // ones set, zeros do nothing
	EXPECT_EQ(0xdu, dist_read(0x104, 4));
	EXPECT_EQ(0xdu, dist_read(0x184, 4));
	dist_write(0x184, 4, 0x1);
	EXPECT_EQ(0xcu, dist_read(0x104, 4));
	dist_write(0x204, 4, 0x30);
	EXPECT_EQ(0x30u, dist_read(0x284, 4));
	dist_write(0x284, 4, 0x10);
	EXPECT_EQ(0x20u, dist_read(0x204, 4));
	dist_write(0x304, 4, 0x6);
	EXPECT_EQ(0x6u, dist_read(0x384, 4));
	dist_write(0x384, 4, 0x2);
	EXPECT_EQ(0x4u, dist_read(0x304, 4));
	// The same through the redistributor for SGIs and PPIs.
	rd_write(0, sgi_base + 0x180, 4, 0xffff0000);
	rd_write(0, sgi_base + 0x100, 4, 1u << 27);
	EXPECT_EQ(0x0800ffffu, rd_read(0, sgi_base + 0x100, 4));
	rd_write(0, sgi_base + 0x200, 4, 1u << 3);
	EXPECT_EQ(8u, rd_read(0, sgi_base + 0x280, 4));
	EXPECT_EQ(3u, ap_list(0).back()); // enabled and pending: queued
	rd_write(0, sgi_base + 0x300, 4, 1u << 27);
	EXPECT_EQ(1u << 27, rd_read(0, sgi_base + 0x380, 4));
}

TEST_F(VgicMmio, group_registers_hold_each_bit)
{
	create({ 0 });
	ready();
	dist_write(0x84, 4, 0xf0f0f0f0);
	EXPECT_EQ(0xf0f0f0f0u, dist_read(0x84, 4));
	rd_write(0, sgi_base + 0x80, 4, 0x1);
	EXPECT_EQ(0x1u, rd_read(0, sgi_base + 0x80, 4));
}

TEST_F(VgicMmio, priorities_take_bytes_or_words_and_keep_five_bits)
{
	create({ 0 });
	ready();
	dist_write(0x421, 1, 0xff);
	EXPECT_EQ(0xf8u, dist_read(0x421, 1));
	EXPECT_EQ(0xf800u, dist_read(0x420, 4));
	dist_write(0x424, 4, 0x01234567);
	EXPECT_EQ(0x00204060u, dist_read(0x424, 4));
	rd_write(0, sgi_base + 0x41b, 1, 0xa5);
	EXPECT_EQ(0xa0u, rd_read(0, sgi_base + 0x41b, 1));
	EXPECT_EQ(0xa0u, irq(0, 27)->priority);
}

TEST_F(VgicMmio, trigger_mode_is_configurable_for_spis_only)
{
	create({ 0 });
	ready();
	dist_write(0xc08, 4, 0x55555555); // Int_config[0] is reserved: level
	EXPECT_EQ(0u, dist_read(0xc08, 4));
	dist_write(0xc08, 4, 0x0000000a);
	EXPECT_EQ(0xau, dist_read(0xc08, 4));
	EXPECT_TRUE(irq(0, 32)->edge && irq(0, 33)->edge && !irq(0, 34)->edge);
	rd_write(0, sgi_base + 0xc00, 4, 0);   // SGIs stay edge
	rd_write(0, sgi_base + 0xc04, 4, ~0u); // PPIs stay level
	EXPECT_EQ(0xaaaaaaaau, rd_read(0, sgi_base + 0xc00, 4));
	EXPECT_EQ(0u, rd_read(0, sgi_base + 0xc04, 4));
}

TEST_F(VgicMmio, wrong_widths_and_misalignment_are_raz_wi)
{
	create({ 0 });
	ready();
	dist_write(0x104, 2, 0xffff); // no 16-bit accesses
	dist_write(0x104, 1, 0xff);   // bit registers are 32-bit
	dist_write(0x104, 8, ~0ULL);
	dist_write(0x106, 4, ~0ULL);
	EXPECT_EQ(0u, dist_read(0x104, 4));
	EXPECT_EQ(0u, dist_read(0x104, 2));
	dist_write(0x0, 8, 0); // GICD_CTLR is 32-bit only
	EXPECT_EQ(0x52u, dist_read(0x0, 4));
	dist_write(0x6000 + 8 * 33 + 2, 4, 1); // IROUTER misaligned
	EXPECT_EQ(0u, dist_read(0x6000 + 8 * 33, 8));
	dist_write(0x6000 + 8 * 33, 1, 1); // IROUTER takes 32 and 64 bits
	EXPECT_EQ(0u, dist_read(0x6000 + 8 * 33, 8));
	dist_write(0x6000 + 8 * 33, 4, 1);
	EXPECT_EQ(1u, dist_read(0x6000 + 8 * 33, 8));
	EXPECT_EQ(0u, rd_read(0, sgi_base + 0x100, 8)); // GICR bit registers: 32-bit
}

TEST_F(VgicMmio, redistributor_identifies_and_reserved_registers_are_raz_wi)
{
	create({ 0, 0x123 });
	ready();
	EXPECT_EQ(6u, rd_read(0, 0x0, 4)); // GICR_CTLR.{IR,CES}, no LPIs
	rd_write(0, 0x0, 4, 1);		   // EnableLPIs needs an ITS
	EXPECT_EQ(6u, rd_read(0, 0x0, 4));
	EXPECT_EQ(0x4b00043bu, rd_read(0, 0x4, 4)); // GICR_IIDR
	// GICR_TYPER: affinity 0.0x12.3, processor number 0x123, Last; no PLPIS.
	EXPECT_EQ(0x1203ULL << 32 | 0x123 << 8 | 1 << 4, rd_read(1, 0x8, 8));
	EXPECT_EQ(0x1203u, rd_read(1, 0xc, 4));
	EXPECT_EQ(0u, rd_read(0, 0x8, 8) & (1 << 4)); // vCPU 0 is not the last frame
	EXPECT_EQ(0u, rd_read(0, 0x14, 4));	      // GICR_WAKER: never asleep
	rd_write(0, 0x14, 4, 2);		      // ProcessorSleep: ignored
	EXPECT_EQ(0u, rd_read(0, 0x14, 4));
	EXPECT_EQ(0u, rd_read(0, 0xc0, 4)); // GICR_SYNCR: never busy
	EXPECT_EQ(0x3bu, rd_read(0, 0xffe8, 4));
	EXPECT_EQ(0u, rd_read(0, 0x40, 8));		// GICR_SETLPIR: RAZ
	EXPECT_EQ(0u, rd_read(0, sgi_base + 0xd00, 4)); // IGRPMODR0
	EXPECT_EQ(0u, rd_read(0, sgi_base + 0xe00, 4)); // NSACR
}

TEST_F(VgicMmio, lpi_table_registers_are_sanitised)
{
	create({ 0 });
	ready();
	EXPECT_EQ(0x580u, rd_read(0, 0x78, 8)); // PENDBASER reset: RaWb, inner shareable
	// Outer shareable becomes inner, non-cacheable inner becomes RaWb, outer
	// write-back becomes "same as inner", RES0 bits and PTZ read as 0.
	rd_write(0, 0x78, 8,
		 1ULL << 62 | 7ULL << 56 | 0x12340000 | 0xfULL << 12 | 2ULL << 10 | 1ULL << 7 |
			 0x7f);
	EXPECT_EQ(0x12340000ULL | 1ULL << 10 | 3ULL << 7, rd_read(0, 0x78, 8));
	rd_write(0, 0x70, 4, 0x00001000 | 1u << 7);
	rd_write(0, 0x74, 4, 0x1);
	EXPECT_EQ(0x100001000ULL | 3ULL << 7, rd_read(0, 0x70, 8));
	EXPECT_EQ(1u, rd_read(0, 0x74, 4));
}

TEST_F(VgicMmio, pending_reads_latch_or_line_for_the_guest)
{
	create({ 0 });
	ready();
	dist_write(0xc08, 4, 0); // INTIDs 32-47 level
	ASSERT_EQ(0, kvmx::vgic_inject_irq(vgic_, 0, 35, true, nullptr));
	EXPECT_EQ(8u, dist_read(0x204, 4));
	dist_write(0x284, 4, 8); // ICPENDR cannot lower a line a device holds
	EXPECT_EQ(8u, dist_read(0x204, 4));
	ASSERT_EQ(0, kvmx::vgic_inject_irq(vgic_, 0, 35, false, nullptr));
	EXPECT_EQ(0u, dist_read(0x204, 4));
	dist_write(0x204, 4, 8); // ISPENDR latches a level interrupt too
	EXPECT_EQ(8u, dist_read(0x204, 4));
	dist_write(0x284, 4, 8);
	EXPECT_EQ(0u, dist_read(0x204, 4));
}

TEST_F(VgicMmio, sactive_queues_the_interrupt_and_cactive_leaves_it_for_the_next_exit)
{
	create({ 0 });
	ready();
	dist_write(0x304, 4, 1u << 8);
	EXPECT_EQ(std::vector<u32>{ 40 }, ap_list(0)); // active: must have an LR
	EXPECT_FALSE(kicks_.empty());
	dist_write(0x384, 4, 1u << 8);
	EXPECT_FALSE(irq(0, 40)->active);
	kvmx::VgicSyncResult r = {};
	kvmx::vgic_sync_lr_state(cpu(0), &r);
	EXPECT_TRUE(ap_list(0).empty());
}

// Another vCPU runs with the SPI active in its LR: the ICACTIVER write waits until that
// vCPU was kicked out and synced, so its sync cannot bring the active state back; while
// the write is pending no vCPU loads LRs.
TEST_F(VgicMmio, an_active_write_waits_for_every_vcpu_to_leave_its_list_registers)
{
	create({ 0, 1 });
	ready();
	dist_write(0x6000 + 8 * 40, 8, 1); // IROUTER: SPI 40 to vCPU 1 (Aff0 1)
	dist_write(0x304, 4, 1u << 8);	   // ISACTIVER: SPI 40 active
	ASSERT_EQ(std::vector<u32>{ 40 }, ap_list(1));
	ASSERT_TRUE(kvmx::vgic_flush_lr_state(cpu(1)));
	ASSERT_EQ(1u, cpu(1)->cpuif.used_lrs);
	std::vector<u32> synced;
	on_kick_ = [&](u32 idx) {
		if (idx != 1 || !cpu(1)->cpuif.used_lrs)
			return;
		// vCPU 1 leaves the guest: the LR still holds SPI 40 active.
		kvmx::VgicSyncResult r = {};
		kvmx::vgic_sync_lr_state(cpu(1), &r);
		synced.push_back(idx);
	};
	kicks_.clear();
	dist_write(0x384, 4, 1u << 8); // ICACTIVER from vCPU 0
	EXPECT_EQ(std::vector<u32>{ 1 }, synced);
	EXPECT_FALSE(irq(0, 40)->active) << "the write came after vCPU 1's sync";
	EXPECT_EQ(0u, vgic_->active_halts);
	on_kick_ = nullptr;
	// While a write is pending, a flush loads nothing and says so.
	dist_write(0x304, 4, 1u << 8);
	vgic_->active_halts = 1;
	EXPECT_FALSE(kvmx::vgic_flush_lr_state(cpu(1)));
	EXPECT_EQ(0u, cpu(1)->cpuif.used_lrs);
	vgic_->active_halts = 0;
	EXPECT_TRUE(kvmx::vgic_flush_lr_state(cpu(1)));
	EXPECT_EQ(1u, cpu(1)->cpuif.used_lrs);
	kvmx::VgicSyncResult r = {};
	kvmx::vgic_sync_lr_state(cpu(1), &r);
}

TEST_F(VgicMmio, each_access_takes_and_drops_the_lock)
{
	create({ 0 });
	ready();
	dist_write(0x104, 4, 1);
	(void)dist_read(0x104, 4);
	(void)rd_read(0, 0x8, 8);
	EXPECT_EQ(0, fake_host::spinlocks_held());
	EXPECT_EQ(0, fake_host::irqs_masked());
}

} // namespace
} // namespace vgic_test
