// SPDX-License-Identifier: GPL-2.0
// The ITS (Interrupt Translation Service) and LPIs (Locality-specific Peripheral
// Interrupts) of the vGIC model (arch/arm64/kvm/vgic/its*.cpp, lpi.cpp) against a fake
// guest memory: registers and attributes, the command queue, MSI (Message Signalled
// Interrupt) translation into list registers, and hostile ids, queues and tables.
#include "vgic/its.hpp"
#include "vgic_fixture.hpp"
#include <algorithm>
#include <cstring>

namespace vgic_test {
namespace {

constexpr u64 its_base = 0x8080000, doorbell = its_base + 0x10040;
constexpr u64 mem_base = 0x40000000, mem_size = 0x400000;	  // 4 MB of guest RAM
constexpr u64 prop_tab = mem_base, pend_tab = mem_base + 0x10000; // + 0x10000 per vCPU
constexpr u64 cmdq = mem_base + 0x100000, dev_tab = mem_base + 0x200000;
constexpr u64 coll_tab = mem_base + 0x210000, itt = mem_base + 0x220000;
constexpr u64 valid = 1ULL << 63;
constexpr u32 lpi0 = 8192;
using kvmx::u8;

class VgicIts : public Vgic {
protected:
	void SetUp() override
	{
		Vgic::SetUp();
		mem_.assign(mem_size, 0);
	}

	// A vGIC with its ITS, frames placed, guest memory reachable.
	void create_its(std::vector<u32> ids)
	{
		create(ids);
		vgic_->ops.read_guest = [](void *ctx, u64 gpa, void *buf, u32 len) {
			auto *t = static_cast<VgicIts *>(ctx);
			if (gpa < mem_base || gpa - mem_base + len > mem_size)
				return -EFAULT;
			memcpy(buf, &t->mem_[gpa - mem_base], len);
			return 0;
		};
		vgic_->ops.write_guest = [](void *ctx, u64 gpa, const void *buf, u32 len) {
			auto *t = static_cast<VgicIts *>(ctx);
			if (gpa < mem_base || gpa - mem_base + len > mem_size)
				return -EFAULT;
			memcpy(&t->mem_[gpa - mem_base], buf, len);
			return 0;
		};
		auto r = kvmx::vgic_its_create(vgic_);
		ASSERT_TRUE(r.is_ok());
		its_ = r.value();
	}
	int its_set(u32 group, u64 a, const void *p)
	{
		kvm_device_attr at = {};
		at.group = group;
		at.attr = a;
		at.addr = fake_host::uptr(p);
		return kvmx::vgic_its_set_attr(its_, at);
	}
	int its_get(u32 group, u64 a, void *p)
	{
		kvm_device_attr at = {};
		at.group = group;
		at.attr = a;
		at.addr = fake_host::uptr(p);
		return kvmx::vgic_its_get_attr(its_, at);
	}
	int its_has(u32 group, u64 a)
	{
		kvm_device_attr at = {};
		at.group = group;
		at.attr = a;
		return kvmx::vgic_its_has_attr(its_, at);
	}
	u64 its_read(u64 off, u32 len)
	{
		u64 v = ~0ULL;
		EXPECT_TRUE(kvmx::vgic_its_mmio_access(vgic_, its_base + off, len, false, &v));
		return v;
	}
	void its_write(u64 off, u32 len, u64 v)
	{
		EXPECT_TRUE(kvmx::vgic_its_mmio_access(vgic_, its_base + off, len, true, &v));
	}

	// Everything a Linux guest programs before its first MSI: the frames, INIT, LPI
	// tables (16 ID bits), LPIs enabled on every vCPU, a 64 KB command queue, one-page
	// flat device and collection tables, the ITS enabled.
	void boot_its(std::vector<u32> ids = { 0, 1 })
	{
		create_its(ids);
		u64 a = its_base;
		ASSERT_EQ(0, its_set(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, &a));
		ready();
		rd_write(0, 0x70, 8, prop_tab | 15);
		for (u32 i = 0; i < ids.size(); i++) {
			rd_write(i, 0x78, 8, pend_tab + i * 0x10000);
			rd_write(i, 0x0, 4, 1); // EnableLPIs
			open_cpuif(i);
		}
		its_write(0x80, 8, valid | cmdq | 15); // CBASER: 16 pages of 4 KB
		its_write(0x100, 8, valid | dev_tab);
		its_write(0x108, 8, valid | coll_tab);
		its_write(0x0, 4, 1);
		ASSERT_EQ(1u, its_read(0x0, 4) & 1);
	}

	// Queue one command and let the ITS run it.
	void cmd(u64 d0, u64 d1 = 0, u64 d2 = 0, u64 d3 = 0)
	{
		u64 w = its_read(0x88, 8);
		u64 dw[4] = { d0, d1, d2, d3 };
		memcpy(&mem_[cmdq - mem_base + w], dw, sizeof(dw));
		its_write(0x88, 8, (w + 32) % 0x10000);
	}
	void mapd(u32 dev, u32 bits, bool v = true)
	{
		cmd(0x08 | u64(dev) << 32, bits - 1, (v ? valid : 0) | itt);
	}
	void mapc(u32 coll, u32 target, bool v = true)
	{
		cmd(0x09, 0, (v ? valid : 0) | u64(target) << 16 | coll);
	}
	void mapti(u32 dev, u32 ev, u32 lpi, u32 coll)
	{
		cmd(0x0a | u64(dev) << 32, ev | u64(lpi) << 32, coll);
	}
	void dev_ev(u8 code, u32 dev, u32 ev, u32 coll = 0)
	{
		cmd(code | u64(dev) << 32, ev, coll);
	}
	// An LPI's configuration byte: priority and enable.
	void prop(u32 lpi, u8 v) { mem_[prop_tab - mem_base + lpi - lpi0] = v; }
	int msi(u32 dev, u32 ev, u64 addr = doorbell, u32 flags = KVM_MSI_VALID_DEVID)
	{
		return kvmx::vgic_its_inject_msi(vgic_, addr, ev, dev, flags);
	}
	kvmx::VgicIrq *lpi(u32 intid)
	{
		kvmx::VgicLocked l(vgic_);
		return kvmx::vgic_find_lpi(l, intid);
	}
	// Device 5 with 4 event bits, collection 0 on vCPU @target, event 3 -> LPI 8192.
	void map_one(u32 target = 1, u8 priority = 0xa0)
	{
		prop(lpi0, priority | 1);
		mapd(5, 4);
		mapc(0, target);
		mapti(5, 3, lpi0, 0);
		ASSERT_NE(nullptr, lpi(lpi0));
	}

	std::vector<kvmx::u8> mem_;
	kvmx::VgicIts *its_ = nullptr;
};

TEST_F(VgicIts, lpis_are_advertised_only_once_an_its_exists)
{
	create({ 0 });
	ready();
	EXPECT_EQ(7u | 9u << 19, dist_read(0x4, 4));
	rd_write(0, 0x0, 4, 1); // EnableLPIs: RAZ/WI without an ITS
	EXPECT_EQ(0u, rd_read(0, 0x0, 4) & 1);
	EXPECT_EQ(0u, rd_read(0, 0x8, 8) & 1); // GICR_TYPER.PLPIS
	auto r = kvmx::vgic_its_create(vgic_);
	ASSERT_TRUE(r.is_ok());
	EXPECT_EQ(7u | 15u << 19 | 1u << 17, dist_read(0x4, 4)); // 16 ID bits, LPIS
	EXPECT_EQ(1u, rd_read(0, 0x8, 8) & 1);
	rd_write(0, 0x0, 4, 1);
	EXPECT_EQ(1u, rd_read(0, 0x0, 4) & 1);
	// PROPBASER and PENDBASER are frozen while LPIs are enabled.
	u64 pend = rd_read(0, 0x78, 8);
	rd_write(0, 0x78, 8, pend_tab);
	EXPECT_EQ(pend, rd_read(0, 0x78, 8));
}

TEST_F(VgicIts, its_registers_identify_as_upstreams)
{
	boot_its({ 0 });
	EXPECT_EQ(0x4b00043bu, its_read(0x4, 4));
	EXPECT_EQ(1u | 7u << 4 | 15u << 8 | 15u << 13, its_read(0x8, 8));
	EXPECT_EQ(0x3bu, its_read(0xffe8, 4));
	EXPECT_EQ(0x40u, its_read(0xffd0, 4));
	EXPECT_EQ(1u | 1u << 31, its_read(0x0, 4)); // enabled, quiescent
	// BASER0: device table, 8-byte entries, 64 KB pages whatever the guest asks.
	u64 b0 = its_read(0x100, 8);
	EXPECT_EQ(1u, (b0 >> 56) & 7);
	EXPECT_EQ(7u, (b0 >> 48) & 0x1f);
	EXPECT_EQ(2u, (b0 >> 8) & 3);
	EXPECT_EQ(4u, (its_read(0x108, 8) >> 56) & 7);
	EXPECT_EQ(0u, its_read(0x110, 8)); // BASER2..7: not implemented
	// Bad widths and misalignment read as zero; writes are ignored.
	EXPECT_EQ(0u, its_read(0x0, 8));
	EXPECT_EQ(0u, its_read(0x84, 8));
	its_write(0x8, 8, 0);
	EXPECT_EQ(1u, its_read(0x8, 4) & 1);
	// The translation page is not a register the guest can use (as upstream).
	EXPECT_EQ(0u, its_read(0x10040, 4));
	u64 v;
	EXPECT_FALSE(kvmx::vgic_its_mmio_access(vgic_, its_base + 0x20000, 4, false, &v));
}

TEST_F(VgicIts, msi_reaches_the_collections_vcpu_as_an_lr)
{
	boot_its();
	map_one(1);
	EXPECT_EQ(1, msi(5, 3));
	EXPECT_EQ(std::vector<u32>({ lpi0 }), ap_list(1));
	EXPECT_TRUE(ap_list(0).empty());
	EXPECT_TRUE(kvmx::vgic_vcpu_pending_irq(vgic_, cpu(1)));
	kvmx::vgic_flush_lr_state(cpu(1));
	ASSERT_EQ(1u, cpu(1)->cpuif.used_lrs);
	u64 lr = cpu(1)->cpuif.lr[0];
	EXPECT_EQ(u64(lpi0), lr & 0xffffffff);
	EXPECT_EQ(kvmx::ICH_LR_PENDING | kvmx::ICH_LR_GROUP | 0xa0ULL << 48, lr & ~0xffffffffULL);
	// The guest acknowledges and completes it: the LPI leaves the ap list.
	cpu(1)->cpuif.lr[0] = lr & ~kvmx::ICH_LR_STATE;
	kvmx::VgicSyncResult res;
	kvmx::vgic_sync_lr_state(cpu(1), &res);
	EXPECT_EQ(0u, res.nr_acked);
	EXPECT_TRUE(ap_list(1).empty());
	// Unmapped events and devices: the guest blocked them.
	EXPECT_EQ(0, msi(5, 4));
	EXPECT_EQ(0, msi(6, 3));
	EXPECT_EQ(-EINVAL, msi(5, 3, doorbell, 0));	   // no device id
	EXPECT_EQ(-EINVAL, msi(5, 3, its_base + 0x20000)); // no ITS there
	EXPECT_EQ(1, msi(5, 3, its_base));		   // anywhere in the frames
}

TEST_F(VgicIts, msis_need_the_its_and_the_targets_lpis_enabled)
{
	boot_its();
	map_one(0);
	rd_write(0, 0x0, 4, 0);
	EXPECT_EQ(-EBUSY, msi(5, 3));
	rd_write(0, 0x0, 4, 1);
	its_write(0x0, 4, 0);
	EXPECT_EQ(-EBUSY, msi(5, 3));
	EXPECT_EQ(0u, its_read(0x0, 4) & 1);
	kvmx::vgic_destroy(vgic_);
	vgic_ = nullptr;
	nr_ = 0;
	create({ 0 }); // no ITS
	EXPECT_EQ(-ENODEV, kvmx::vgic_its_inject_msi(vgic_, doorbell, 3, 5, KVM_MSI_VALID_DEVID));
}

TEST_F(VgicIts, a_disabled_lpi_waits_for_inv)
{
	boot_its();
	map_one(0, 0x40);
	prop(lpi0, 0x40);   // disabled
	dev_ev(0x0c, 5, 3); // INV
	EXPECT_FALSE(lpi(lpi0)->enabled);
	EXPECT_EQ(1, msi(5, 3));
	EXPECT_TRUE(ap_list(0).empty());
	EXPECT_TRUE(lpi(lpi0)->pending_latch);
	prop(lpi0, 0x61);
	cmd(0x0d, 0, 0); // INVALL collection 0
	EXPECT_TRUE(lpi(lpi0)->enabled);
	EXPECT_EQ(0x60u, lpi(lpi0)->priority);
	EXPECT_EQ(std::vector<u32>({ lpi0 }), ap_list(0));
}

// Linux enables an LPI through the redistributor when GICR_CTLR.IR says it may: the
// property byte, then its INTID into GICR_INVLPIR (no INV command).
TEST_F(VgicIts, invlpir_and_invallr_reread_the_lpi_config)
{
	boot_its();
	EXPECT_EQ(4u, rd_read(1, 0x0, 4) & 4); // GICR_CTLR.IR
	map_one(1, 0x40);
	prop(lpi0, 0x40); // disabled
	dev_ev(0x0c, 5, 3);
	EXPECT_EQ(1, msi(5, 3));
	EXPECT_TRUE(ap_list(1).empty());
	prop(lpi0, 0x51);
	rd_write(0, 0xa0, 8, lpi0); // any redistributor, whatever the LPI's target
	EXPECT_TRUE(lpi(lpi0)->enabled);
	EXPECT_EQ(0x50u, lpi(lpi0)->priority);
	EXPECT_EQ(std::vector<u32>({ lpi0 }), ap_list(1));
	prop(lpi0, 0x70);
	rd_write(1, 0xb0, 4, 0); // INVALLR: the LPIs of that redistributor
	EXPECT_FALSE(lpi(lpi0)->enabled);
	EXPECT_EQ(0x70u, lpi(lpi0)->priority);
	prop(lpi0, 0x31);
	rd_write(1, 0xa0, 4, 8191); // no LPI: nothing
	rd_write(1, 0xa0, 4, lpi0 + 1);
	EXPECT_FALSE(lpi(lpi0)->enabled);
	rd_write(1, 0x0, 4, 0); // EnableLPIs off: ignored
	rd_write(1, 0xa0, 4, lpi0);
	EXPECT_FALSE(lpi(lpi0)->enabled);
	rd_write(1, 0x0, 4, 1);
	rd_write(1, 0xa0, 4, lpi0);
	EXPECT_TRUE(lpi(lpi0)->enabled);
	EXPECT_EQ(0u, rd_read(1, 0xa0, 8)); // write-only
	EXPECT_EQ(0u, rd_read(1, 0xc0, 4)); // GICR_SYNCR: never busy
}

TEST_F(VgicIts, int_clear_and_discard_commands)
{
	boot_its();
	map_one(1);
	dev_ev(0x03, 5, 3); // INT
	EXPECT_TRUE(lpi(lpi0)->pending_latch);
	dev_ev(0x04, 5, 3); // CLEAR
	EXPECT_FALSE(lpi(lpi0)->pending_latch);
	dev_ev(0x0f, 5, 3); // DISCARD
	EXPECT_EQ(nullptr, lpi(lpi0));
	EXPECT_EQ(0u, vgic_->nr_lpis);
	EXPECT_TRUE(ap_list(1).empty());
	EXPECT_EQ(0, msi(5, 3));
	dev_ev(0x0f, 5, 3); // twice: nothing there
	dev_ev(0x03, 5, 3);
}

TEST_F(VgicIts, two_events_may_share_an_lpi_until_both_go)
{
	boot_its();
	map_one(1);
	mapti(5, 4, lpi0, 0);
	EXPECT_EQ(2u, lpi(lpi0)->lpi_refs);
	EXPECT_EQ(1u, vgic_->nr_lpis);
	dev_ev(0x0f, 5, 3);
	ASSERT_NE(nullptr, lpi(lpi0));
	EXPECT_EQ(1, msi(5, 4));
	mapd(5, 4, false); // unmapping the device drops its events
	EXPECT_EQ(nullptr, lpi(lpi0));
}

TEST_F(VgicIts, movi_mapc_and_movall_retarget_lpis)
{
	boot_its({ 0, 1, 2 });
	map_one(0);
	mapc(1, 1);
	dev_ev(0x01, 5, 3, 1); // MOVI to collection 1
	EXPECT_EQ(cpu(1), lpi(lpi0)->target);
	EXPECT_EQ(1, msi(5, 3));
	EXPECT_EQ(std::vector<u32>({ lpi0 }), ap_list(1));
	mapc(1, 2); // remapping the collection moves its LPIs
	EXPECT_EQ(cpu(2), lpi(lpi0)->target);
	cmd(0x0e, 0, 2ULL << 16, 0ULL << 16); // MOVALL 2 -> 0
	EXPECT_EQ(cpu(0), lpi(lpi0)->target);
	cmd(0x0e, 0, 7ULL << 16, 0); // no vCPU 7: ignored
	EXPECT_EQ(cpu(0), lpi(lpi0)->target);
	mapc(1, 0, false); // unmapped collection: the event is blocked
	EXPECT_EQ(0, msi(5, 3));
	dev_ev(0x01, 5, 3, 0); // MOVI from an unmapped collection: ignored
	mapc(0, 9);	       // no vCPU 9: ignored
	EXPECT_EQ(0, msi(5, 3));
}

TEST_F(VgicIts, pending_table_is_read_when_lpis_are_enabled)
{
	boot_its();
	rd_write(0, 0x0, 4, 0);
	map_one(0);
	EXPECT_FALSE(lpi(lpi0)->pending_latch);
	mem_[pend_tab - mem_base + lpi0 / 8] = 1; // LPI 8192's bit
	rd_write(0, 0x0, 4, 1);
	EXPECT_TRUE(lpi(lpi0)->pending_latch);
	EXPECT_EQ(std::vector<u32>({ lpi0 }), ap_list(0));
	// Disabling LPIs drops what was pending.
	rd_write(0, 0x0, 4, 0);
	EXPECT_FALSE(lpi(lpi0)->pending_latch);
	EXPECT_TRUE(ap_list(0).empty());
	// PTZ: the guest says the table is zeroed, nothing is read.
	rd_write(0, 0x78, 8, pend_tab | 1ULL << 62);
	rd_write(0, 0x0, 4, 1);
	EXPECT_FALSE(lpi(lpi0)->pending_latch);
}

TEST_F(VgicIts, mapti_checks_the_lpi_range_and_event_size)
{
	boot_its();
	rd_write(0, 0x0, 4, 0);
	rd_write(0, 0x70, 8, prop_tab | 13); // 14 ID bits: LPIs below 16384
	prop(lpi0, 1);
	mapd(5, 2);
	mapc(0, 0);
	mapti(5, 0, 8191, 0);
	mapti(5, 1, 16384, 0);
	mapti(5, 4, lpi0, 0); // event 4 needs 3 bits
	EXPECT_EQ(0u, vgic_->nr_lpis);
	mapti(5, 3, 16383, 0);
	EXPECT_NE(nullptr, lpi(16383));
	cmd(0x0b | 5ULL << 32, 2, 0); // MAPI: event 2 is LPI 2, out of range
	EXPECT_EQ(1u, vgic_->nr_lpis);
	mapti(5, 3, lpi0, 0); // an existing mapping is kept
	EXPECT_EQ(1u, vgic_->nr_lpis);
}

TEST_F(VgicIts, hostile_device_and_collection_ids_are_ignored)
{
	boot_its();
	mapd(0xffffffff, 4);
	mapd(8192, 4);	// one 64 KB page of 8-byte entries holds ids 0-8191
	mapd(8191, 32); // 32 event bits: more than GITS_TYPER offers
	mapc(8192, 0);	// beyond the collection table
	mapd(8191, 16); // fine
	EXPECT_EQ(nullptr, its_->devices->next);
	EXPECT_EQ(8191u, its_->devices->id);
	EXPECT_EQ(nullptr, its_->collections);
	mapti(8191, 0xffff, lpi0, 0xffff); // collection 65535 beyond the table
	EXPECT_EQ(0u, vgic_->nr_lpis);
	mapti(8191, 0x10000, lpi0, 0); // event beyond 16 bits
	EXPECT_EQ(0u, vgic_->nr_lpis);
	cmd(0xff, ~0ULL, ~0ULL, ~0ULL); // unknown command
	cmd(0x0e, 0, ~0ULL, ~0ULL);	// MOVALL with huge targets
	EXPECT_EQ(1u | 1u << 31, its_read(0x0, 4));
}

TEST_F(VgicIts, indirect_device_table_needs_a_valid_level1_entry)
{
	create_its({ 0 });
	u64 a = its_base;
	ASSERT_EQ(0, its_set(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, &a));
	ready();
	its_write(0x80, 8, valid | cmdq | 15);
	its_write(0x100, 8, valid | 1ULL << 62 | dev_tab);
	its_write(0x108, 8, valid | coll_tab);
	its_write(0x0, 4, 1);
	mapd(0, 4);	   // level-1 entry 0 is not valid
	mapd(8192 * 3, 4); // nor entry 3
	EXPECT_EQ(nullptr, its_->devices);
	u64 l1 = valid | 0x123450000ULL; // a level-2 page outside guest memory: never read
	memcpy(&mem_[dev_tab - mem_base + 3 * 8], &l1, 8);
	mapd(8192 * 3, 4);
	EXPECT_EQ(u32(8192 * 3), its_->devices->id);
	mapd(0xffff, 4); // level-1 entry 7: not valid
	EXPECT_EQ(nullptr, its_->devices->next);
	// The collection table is never indirect.
	EXPECT_EQ(0u, its_read(0x108, 8) >> 62 & 1);
}

TEST_F(VgicIts, the_command_queue_wraps_and_ignores_cwriter_beyond_it)
{
	boot_its();
	map_one(1);
	// Fill to the end of the 64 KB queue with SYNCs, then an INT that wraps to offset 0.
	for (u32 i = its_read(0x88, 8) / 32; i < 0x10000 / 32 - 1; i++)
		cmd(0x05);
	EXPECT_EQ(0x10000u - 32, its_read(0x88, 8));
	dev_ev(0x03, 5, 3);
	EXPECT_EQ(0u, its_read(0x88, 8));
	EXPECT_EQ(0u, its_read(0x90, 8));
	EXPECT_TRUE(lpi(lpi0)->pending_latch);
	its_write(0x88, 8, 0x10000); // beyond the queue: ignored
	EXPECT_EQ(0u, its_read(0x88, 8));
	its_write(0x88, 8, 0x1f); // low bits are not an offset
	EXPECT_EQ(0u, its_read(0x88, 8));
	// A queue outside guest memory: commands are skipped, the reader still advances.
	its_write(0x0, 4, 0);
	its_write(0x80, 8, valid | 0x7ff0000 | 0);
	its_write(0x0, 4, 1);
	its_write(0x88, 8, 0xfe0);
	EXPECT_EQ(0xfe0u, its_read(0x90, 8));
	its_write(0x88, 8, 0x1000); // a one-page queue ends at 4 KB
	EXPECT_EQ(0xfe0u, its_read(0x88, 8));
}

TEST_F(VgicIts, a_property_table_outside_memory_maps_nothing)
{
	boot_its();
	rd_write(0, 0x0, 4, 0);
	rd_write(0, 0x70, 8, 0x7ff0000 | 15);
	mapd(5, 4);
	mapc(0, 0);
	mapti(5, 3, lpi0, 0);
	EXPECT_EQ(0u, vgic_->nr_lpis);
	EXPECT_EQ(nullptr, its_->devices->ites);
}

TEST_F(VgicIts, invalid_baser_or_reset_drops_all_translations)
{
	boot_its();
	map_one(1);
	its_write(0x108, 8, coll_tab); // ignored while enabled
	EXPECT_EQ(1u, its_read(0x108, 8) >> 63);
	its_write(0x0, 4, 0);
	its_write(0x100, 8, dev_tab);
	EXPECT_EQ(nullptr, its_->devices);
	EXPECT_EQ(0u, vgic_->nr_lpis);
	its_write(0x108, 8, coll_tab);
	EXPECT_EQ(nullptr, its_->collections);
	// Enabling needs valid tables.
	its_write(0x0, 4, 1);
	EXPECT_EQ(0u, its_read(0x0, 4) & 1);
	its_write(0x100, 8, valid | dev_tab);
	its_write(0x108, 8, valid | coll_tab);
	its_write(0x0, 4, 1);
	map_one(1);
	EXPECT_EQ(0, its_set(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_CTRL_RESET, nullptr));
	EXPECT_EQ(nullptr, its_->devices);
	EXPECT_EQ(nullptr, its_->collections);
	EXPECT_EQ(0u, its_read(0x0, 4) & 1);
	EXPECT_EQ(0u, its_read(0x80, 8));
	EXPECT_EQ(0u, its_read(0x100, 8) >> 63);
}

TEST_F(VgicIts, attributes_follow_upstreams_errno)
{
	create_its({ 0 });
	const void *bad = reinterpret_cast<const void *>(0x100);
	u64 a = its_base + 0x1000, v = 0;
	EXPECT_EQ(-ENODEV, its_set(KVM_DEV_ARM_VGIC_GRP_ADDR, 0, &a));
	EXPECT_EQ(-EFAULT, its_set(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, bad));
	EXPECT_EQ(-EINVAL, its_set(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, &a));
	a = 1ULL << 40;
	EXPECT_EQ(-E2BIG, its_set(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, &a));
	ASSERT_EQ(0, its_get(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, &v));
	EXPECT_EQ(~0ULL, v);
	// Registers need the frame placed.
	EXPECT_EQ(-ENXIO, its_get(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x8, &v));
	a = its_base;
	ASSERT_EQ(0, its_set(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, &a));
	EXPECT_EQ(-EEXIST, its_set(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, &a));
	ASSERT_EQ(0, its_get(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, &v));
	EXPECT_EQ(its_base, v);
	EXPECT_EQ(-ENODEV, its_get(KVM_DEV_ARM_VGIC_GRP_ADDR, 1, &v));
	EXPECT_EQ(-EFAULT, its_get(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE,
				   reinterpret_cast<void *>(0x100)));
	// GRP_ITS_REGS: 64-bit registers whole, 32-bit ones aligned to 4.
	EXPECT_EQ(-EINVAL, its_get(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x8c, &v));
	EXPECT_EQ(-EINVAL, its_get(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x2, &v));
	EXPECT_EQ(-ENXIO, its_get(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x10, &v));
	ASSERT_EQ(0, its_get(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x8, &v));
	EXPECT_EQ(1u | 7u << 4 | 15u << 8 | 15u << 13, v);
	EXPECT_EQ(-EFAULT, its_set(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x80, bad));
	running_ = true;
	EXPECT_EQ(-EBUSY, its_get(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x8, &v));
	EXPECT_EQ(-EBUSY, its_set(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_CTRL_RESET, nullptr));
	EXPECT_EQ(0, its_set(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, nullptr));
	running_ = false;
	// SAVE/RESTORE_TABLES with no valid table: nothing to do.
	EXPECT_EQ(0, its_set(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_SAVE_TABLES, nullptr));
	EXPECT_EQ(0, its_set(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_RESTORE_TABLES, nullptr));
	EXPECT_EQ(0, its_has(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_SAVE_TABLES));
	EXPECT_EQ(0, its_has(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_RESTORE_TABLES));
	EXPECT_EQ(-ENXIO, its_has(KVM_DEV_ARM_VGIC_GRP_CTRL, 7));
	EXPECT_EQ(-ENXIO, its_set(7, 0, &v));
	EXPECT_EQ(-ENXIO, its_get(KVM_DEV_ARM_VGIC_GRP_CTRL, 0, &v));
	EXPECT_EQ(0, its_has(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE));
	EXPECT_EQ(-ENXIO, its_has(KVM_DEV_ARM_VGIC_GRP_ADDR, 0));
	EXPECT_EQ(0, its_has(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_CTRL_RESET));
	EXPECT_EQ(0, its_has(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x100));
	EXPECT_EQ(-ENXIO, its_has(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x10));
	EXPECT_EQ(-ENXIO, its_has(KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0));
}

TEST_F(VgicIts, userspace_restores_the_queue_registers)
{
	create_its({ 0 });
	u64 a = its_base;
	ASSERT_EQ(0, its_set(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, &a));
	u64 v = 1ULL << 12; // IIDR revision 1: no such ABI
	EXPECT_EQ(-EINVAL, its_set(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x4, &v));
	v = 0;
	EXPECT_EQ(0, its_set(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x4, &v));
	v = valid | cmdq | 15;
	ASSERT_EQ(0, its_set(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x80, &v));
	v = 0x40;
	ASSERT_EQ(0, its_set(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x90, &v)); // CREADR
	v = 0x10000;
	ASSERT_EQ(0, its_set(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x90, &v)); // beyond: ignored
	ASSERT_EQ(0, its_get(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x90, &v));
	EXPECT_EQ(0x40u, v);
	v = 0x40;
	ASSERT_EQ(0, its_set(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x88, &v)); // CWRITER
	ASSERT_EQ(0, its_get(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x0, &v));
	EXPECT_EQ(1u << 31, v); // disabled, quiescent
}

TEST_F(VgicIts, an_lpi_discarded_while_in_an_lr_is_forgotten_at_the_fold)
{
	boot_its();
	map_one(1);
	EXPECT_EQ(1, msi(5, 3));
	kvmx::vgic_flush_lr_state(cpu(1));
	ASSERT_EQ(1u, cpu(1)->cpuif.used_lrs);
	dev_ev(0x0f, 5, 3);
	map_one(1); // the same INTID, a new LPI
	cpu(1)->cpuif.lr[0] |= kvmx::ICH_LR_ACTIVE;
	kvmx::VgicSyncResult res;
	kvmx::vgic_sync_lr_state(cpu(1), &res);
	EXPECT_FALSE(lpi(lpi0)->active);
}

TEST_F(VgicIts, save_pending_tables_writes_the_lpis_pending_bits)
{
	boot_its();
	map_one(1);
	prop(lpi0 + 9, 0); // LPI 8201, disabled: stays pending
	mapti(5, 4, lpi0 + 9, 0);
	EXPECT_EQ(1, msi(5, 4));
	mem_[pend_tab + 0x10000 - mem_base + lpi0 / 8] = 1; // stale bit of LPI 8192
	ASSERT_EQ(0, set(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES, nullptr));
	EXPECT_EQ(0u, mem_[pend_tab + 0x10000 - mem_base + lpi0 / 8]);
	EXPECT_EQ(2u, mem_[pend_tab + 0x10000 - mem_base + (lpi0 + 9) / 8]);
	running_ = true;
	EXPECT_EQ(-EBUSY,
		  set(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES, nullptr));
	running_ = false;
}

TEST_F(VgicIts, teardown_with_live_translations_frees_everything)
{
	boot_its({ 0, 1, 2, 3 });
	for (u32 d = 0; d < 8; d++) {
		mapd(d, 8);
		for (u32 e = 0; e < 16; e++) {
			prop(lpi0 + d * 16 + e, 1);
			mapti(d, e, lpi0 + d * 16 + e, d % 4);
		}
		mapc(d % 4, d % 4);
	}
	EXPECT_EQ(128u, vgic_->nr_lpis);
	EXPECT_EQ(128u, its_->nr_ites);
	for (u32 d = 0; d < 8; d++)
		EXPECT_EQ(1, msi(d, 15));
	// TearDown destroys the vGIC with all of it: the fake host checks for leaks.
}

// --- SAVE_TABLES / RESTORE_TABLES (upstream's ITS table ABI revision 0) ---

class VgicItsTables : public VgicIts {
protected:
	static constexpr u64 itt_a = itt, itt_b = itt + 0x1000;

	u64 entry(u64 gpa)
	{
		u64 v;
		memcpy(&v, &mem_[gpa - mem_base], 8);
		return v;
	}
	void put(u64 gpa, u64 v) { memcpy(&mem_[gpa - mem_base], &v, 8); }
	void mapd_at(u32 dev, u32 bits, u64 itt_addr)
	{
		cmd(0x08 | u64(dev) << 32, bits - 1, valid | itt_addr);
	}
	int save()
	{
		return its_set(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_SAVE_TABLES, nullptr);
	}
	int restore()
	{
		return its_set(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_RESTORE_TABLES, nullptr);
	}
	void uset(u64 off, u64 v) { ASSERT_EQ(0, its_set(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, off, &v)); }
	// What a VMM does on the destination, in the documented order: the ITS reset (a new
	// device), CBASER and the other registers but GITS_CTLR, RESTORE_TABLES, GITS_CTLR.
	// The registers are those saved in @regs (CBASER, BASER0, BASER1).
	void reset_to(const u64 regs[3])
	{
		ASSERT_EQ(0,
			  its_set(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_CTRL_RESET, nullptr));
		EXPECT_EQ(0u, vgic_->nr_lpis);
		uset(0x80, regs[0]);
		uset(0x100, regs[1]);
		uset(0x108, regs[2]);
	}
	void saved_regs(u64 regs[3])
	{
		regs[0] = its_read(0x80, 8);
		regs[1] = its_read(0x100, 8);
		regs[2] = its_read(0x108, 8);
	}
	// Devices 1 (4 event bits) and 5 (2 bits), collections 0 on vCPU 0 and 3 on vCPU 1,
	// collection 7 mapped by MAPTI only (no target); events 1/0, 1/3, 5/2 and 5/3.
	void populate()
	{
		for (u32 i = 0; i < 8; i++)
			prop(lpi0 + i, 0xa0 | 1);
		mapd_at(1, 4, itt_a);
		mapd_at(5, 2, itt_b);
		mapc(0, 0);
		mapc(3, 1);
		mapti(1, 0, lpi0, 0);
		mapti(1, 3, lpi0 + 1, 3);
		mapti(5, 2, lpi0 + 7, 3);
		mapti(5, 3, lpi0 + 5, 7);
		ASSERT_EQ(4u, its_->nr_ites);
	}
};

TEST_F(VgicItsTables, save_writes_upstreams_rev0_entries)
{
	boot_its();
	populate();
	ASSERT_EQ(0, save());
	// DTEs at their DeviceID: valid, distance to the next, ITT address >> 8, Size.
	EXPECT_EQ(valid | 4ULL << 49 | (itt_a >> 8) << 5 | 3, entry(dev_tab + 1 * 8));
	EXPECT_EQ(valid | 0ULL << 49 | (itt_b >> 8) << 5 | 1, entry(dev_tab + 5 * 8));
	EXPECT_EQ(0u, entry(dev_tab));
	// ITEs at their EventID: distance to the next, LPI, ICID.
	EXPECT_EQ(3ULL << 48 | u64(lpi0) << 16 | 0, entry(itt_a));
	EXPECT_EQ(0ULL << 48 | u64(lpi0 + 1) << 16 | 3, entry(itt_a + 3 * 8));
	EXPECT_EQ(1ULL << 48 | u64(lpi0 + 7) << 16 | 3, entry(itt_b + 2 * 8));
	EXPECT_EQ(0ULL << 48 | u64(lpi0 + 5) << 16 | 7, entry(itt_b + 3 * 8));
	// CTEs in no order, then an invalid one: target vCPU (or all ones) and ICID.
	std::vector<u64> ctes;
	for (u32 i = 0; i < 3; i++)
		ctes.push_back(entry(coll_tab + i * 8));
	std::sort(ctes.begin(), ctes.end());
	EXPECT_EQ(std::vector<u64>(
			  { valid | 0, valid | 1ULL << 16 | 3, valid | 0xffffffffULL << 16 | 7 }),
		  ctes);
	EXPECT_EQ(0u, entry(coll_tab + 3 * 8));
}

TEST_F(VgicItsTables, restore_brings_back_every_translation)
{
	boot_its();
	populate();
	u64 regs[3];
	saved_regs(regs);
	ASSERT_EQ(0, save());
	std::vector<kvmx::u8> saved = mem_;
	// A pending bit in vCPU 1's pending table, for LPI 8199 (as SAVE_PENDING_TABLES
	// leaves it).
	mem_[pend_tab + 0x10000 - mem_base + (lpi0 + 7) / 8] = 0x80;
	reset_to(regs);
	ASSERT_EQ(0, restore());
	uset(0x0, 1); // GITS_CTLR last
	EXPECT_EQ(4u, its_->nr_ites);
	EXPECT_EQ(4u, vgic_->nr_lpis);
	EXPECT_EQ(std::vector<u32>({ lpi0 + 7 }), ap_list(1)); // pending from the table
	EXPECT_EQ(1, msi(1, 3));
	EXPECT_EQ(1, msi(1, 0));
	EXPECT_EQ(std::vector<u32>({ lpi0 }), ap_list(0));
	auto l1 = ap_list(1);
	std::sort(l1.begin(), l1.end());
	EXPECT_EQ(std::vector<u32>({ lpi0 + 1, lpi0 + 7 }), l1);
	EXPECT_EQ(0, msi(5, 3)); // collection 7 has no target: blocked, as before the save
	ASSERT_NE(nullptr, kvmx::vgic_its_find_collection(its_, 7));
	EXPECT_EQ(kvmx::its_coll_unmapped, kvmx::vgic_its_find_collection(its_, 7)->target);
	EXPECT_EQ(0xa0, lpi(lpi0 + 5)->priority);
	// Saving again writes the same tables.
	ASSERT_EQ(0, save());
	for (u64 t : { dev_tab, itt_a, itt_b })
		EXPECT_EQ(0, memcmp(&saved[t - mem_base], &mem_[t - mem_base], 0x100))
			<< std::hex << t;
	// And commands go on from the restored state.
	mapc(7, 0);
	EXPECT_EQ(1, msi(5, 3));
}

TEST_F(VgicItsTables, an_indirect_device_table_round_trips)
{
	boot_its();
	its_write(0x0, 4, 0);
	its_write(0x100, 8, valid | 1ULL << 62 | dev_tab);
	constexpr u64 l2 = mem_base + 0x300000;
	put(dev_tab + 2 * 8, valid | l2); // level-1 entry 2: DeviceIDs 16384 to 24575
	its_write(0x0, 4, 1);
	prop(lpi0, 1);
	mapd_at(16384 + 9, 3, itt_a);
	mapc(0, 1);
	mapti(16384 + 9, 6, lpi0, 0);
	ASSERT_NE(nullptr, its_->devices);
	u64 regs[3];
	saved_regs(regs);
	ASSERT_EQ(0, save());
	EXPECT_EQ(valid | (itt_a >> 8) << 5 | 2, entry(l2 + 9 * 8));
	reset_to(regs);
	ASSERT_EQ(0, restore());
	uset(0x0, 1);
	ASSERT_NE(nullptr, its_->devices);
	EXPECT_EQ(u32(16384 + 9), its_->devices->id);
	EXPECT_EQ(1, msi(16384 + 9, 6));
	EXPECT_EQ(std::vector<u32>({ lpi0 }), ap_list(1));
}

TEST_F(VgicItsTables, restore_refuses_bad_entries_and_keeps_nothing)
{
	boot_its();
	u64 regs[3];
	saved_regs(regs);
	prop(lpi0, 1);
	auto attempt = [&](int want, const char *what) {
		reset_to(regs);
		EXPECT_EQ(want, restore()) << what;
		EXPECT_EQ(nullptr, its_->devices) << what;
		EXPECT_EQ(nullptr, its_->collections) << what;
		EXPECT_EQ(0u, vgic_->nr_lpis) << what;
		EXPECT_EQ(0u, its_->nr_ites) << what;
	};
	// A good base: collection 0 on vCPU 0, device 1 with event 0 -> LPI 8192.
	auto good = [&] {
		put(coll_tab, valid | 0);
		put(coll_tab + 8, 0);
		put(dev_tab + 8, valid | (itt_a >> 8) << 5 | 3);
		put(itt_a, u64(lpi0) << 16 | 0);
	};
	good();
	reset_to(regs);
	ASSERT_EQ(0, restore());
	EXPECT_EQ(1u, its_->nr_ites);
	good();
	put(coll_tab, valid | 2ULL << 16); // vCPU 2 of 2
	attempt(-EINVAL, "collection target beyond the vCPUs");
	good();
	put(coll_tab + 8, valid | 0); // ICID 0 twice
	attempt(-EEXIST, "collection twice");
	good();
	put(itt_a, u64(lpi0) << 16 | 5); // no collection 5
	attempt(-EINVAL, "ITE naming no collection");
	good();
	put(itt_a, u64(100) << 16); // an SPI's INTID
	attempt(-EINVAL, "ITE below the LPIs");
	good();
	put(itt_a, 16ULL << 48 | u64(lpi0) << 16); // next beyond 2^4 events
	attempt(-EINVAL, "ITE next beyond the ITT");
	good();
	put(dev_tab + 8, valid | (itt_a >> 8) << 5 | 16); // 17 event bits
	attempt(-EINVAL, "DTE Size beyond GITS_TYPER.ID_bits");
	good();
	put(dev_tab + 8, valid | (0x7ff00000ULL >> 8) << 5 | 3); // ITT outside memory
	attempt(-EFAULT, "ITT outside guest memory");
	// A table outside guest memory.
	good();
	regs[2] = valid | 0x7ff00000;
	attempt(-EFAULT, "collection table outside guest memory");
}

TEST_F(VgicItsTables, a_long_scan_yields_and_gives_up_on_sigkill)
{
	boot_its();
	u64 regs[3];
	saved_regs(regs);
	regs[1] = valid | dev_tab | 15; // 16 pages of 64 KB: 131072 empty DTEs
	reset_to(regs);
	long before = fake_host::resched_calls();
	ASSERT_EQ(0, restore());
	EXPECT_LE(131072 / 4096 - 1, fake_host::resched_calls() - before); // a check per 4096 steps
	fake_host::set_fatal_signal_pending(true);
	reset_to(regs);
	EXPECT_EQ(-EINTR, restore());
	fake_host::set_fatal_signal_pending(false);
}

TEST_F(VgicItsTables, save_needs_every_vcpu_and_a_table_that_holds_the_ids)
{
	boot_its();
	populate();
	running_ = true;
	EXPECT_EQ(-EBUSY, save());
	EXPECT_EQ(-EBUSY, restore());
	running_ = false;
	// The guest made the device table two-level with no level-2 page for devices 1 and
	// 5 (BASER0 keeps its translations while it stays valid): their DTEs have no place.
	its_write(0x0, 4, 0);
	its_write(0x100, 8, valid | 1ULL << 62 | dev_tab);
	EXPECT_EQ(-EINVAL, save());
	// The collection table outside guest memory: the write fails.
	its_write(0x100, 8, valid | dev_tab);
	its_write(0x108, 8, valid | 0x7ff00000);
	EXPECT_NE(nullptr, its_->collections);
	EXPECT_EQ(-EFAULT, save());
}

} // namespace
} // namespace vgic_test
