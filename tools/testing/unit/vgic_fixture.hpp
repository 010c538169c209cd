// SPDX-License-Identifier: GPL-2.0
// A vGIC (arch/arm64/kvm/vgic/) on the fake host, without a VM: vCPUs are plain MPIDR
// values, kicks are recorded, and "some vCPU is running" can be switched on. Attributes go
// through the same entry points KVM_{SET,GET,HAS}_DEVICE_ATTR will use.
#pragma once

#include "vgic/vgic.hpp"
#include "fake_host.hpp"
#include <asm/errno.h>
#include <gtest/gtest.h>
#include <functional>
#include <vector>

namespace vgic_test {

using kvmx::u32;
using kvmx::u64;

// The host's ICH_VTR_EL2: 4 list registers, 5 priority bits, 16-bit INTIDs, A3V.
constexpr u32 vtr_4lr_5pri = (4u << 29) | (4u << 26) | (1u << 21) | 3;
// 16 LRs and 7 priority bits (all four active-priority registers of each group).
constexpr u32 vtr_16lr_7pri = (6u << 29) | (6u << 26) | (1u << 21) | 15;

constexpr u64 dist_base = 0x8000000, redist_base = 0x80a0000;
constexpr u32 sgi_base = 0x10000;

// MPIDR_EL1 of vCPU id @id, as kvmx gives it (sysregs.cpp): Aff0 = id[3:0], Aff1 =
// id[11:4], Aff2 = id[19:12].
inline u64 mpidr_of(u32 id)
{
	return (1ULL << 31) | (id & 0xf) | ((id >> 4) & 0xff) << 8 | ((id >> 12) & 0xff) << 16;
}

// The attr's affinity field for that vCPU (Aff3.Aff2.Aff1.Aff0 in bits 63:32).
inline u64 attr_mpidr(u32 id)
{
	return (mpidr_of(id) & 0xffffff) << 32;
}

class Vgic : public ::testing::Test {
protected:
	void SetUp() override { fake_host::reset(); }
	void TearDown() override
	{
		kvmx::vgic_destroy(vgic_);
		EXPECT_EQ(0, fake_host::live_allocs());
		EXPECT_EQ(0, fake_host::misuse());
		EXPECT_EQ(0, locked_);
		EXPECT_EQ(0, kicks_under_lock_) << "kicks run once the vGIC lock is dropped";
	}

	// A vGIC for a 40-bit IPA space with vCPUs of the given ids, in creation order.
	void create(std::vector<u32> ids, u32 vtr = vtr_4lr_5pri, u32 ipa_bits = 40)
	{
		kvmx::VgicConfig cfg = {};
		cfg.hw.ich_vtr = vtr;
		cfg.hw.nr_lr = (vtr & 0xf) + 1;
		cfg.ipa_bits = ipa_bits;
		cfg.ops.ctx = this;
		cfg.ops.kick = [](void *ctx, u32 idx) {
			auto *t = static_cast<Vgic *>(ctx);
			t->kicks_.push_back(idx);
			if (fake_host::spinlocks_held())
				t->kicks_under_lock_++;
			if (t->on_kick_)
				t->on_kick_(idx);
		};
		cfg.ops.lock_all_vcpus = [](void *ctx) {
			auto *t = static_cast<Vgic *>(ctx);
			if (t->running_)
				return false;
			t->locked_++;
			return true;
		};
		cfg.ops.unlock_all_vcpus = [](void *ctx) { static_cast<Vgic *>(ctx)->locked_--; };
		cfg.ops.input_level = [](void *ctx, u32, u32) {
			return static_cast<Vgic *>(ctx)->phys_line_;
		};
		auto r = kvmx::vgic_create(cfg, 0, false);
		ASSERT_TRUE(r.is_ok());
		vgic_ = r.value();
		for (u32 id : ids)
			ASSERT_EQ(0, add_vcpu(id));
	}
	int add_vcpu(u32 id)
	{
		u32 idx = nr_;
		mpidr_[idx] = mpidr_of(id);
		nr_++;
		int r = kvmx::vgic_vcpu_add(vgic_, idx, id, &mpidr_[idx]).err();
		if (r)
			nr_--;
		return r;
	}
	kvmx::VgicCpu *cpu(u32 idx) { return vgic_->cpus[idx]; }

	int attr(int (*op)(kvmx::Vgic *, const kvm_device_attr &), u32 group, u64 a, const void *p)
	{
		kvm_device_attr at = {};
		at.group = group;
		at.attr = a;
		at.addr = fake_host::uptr(p);
		return op(vgic_, at);
	}
	int set(u32 group, u64 a, const void *p) { return attr(kvmx::vgic_set_attr, group, a, p); }
	int get(u32 group, u64 a, void *p) { return attr(kvmx::vgic_get_attr, group, a, p); }
	int has(u32 group, u64 a) { return attr(kvmx::vgic_has_attr, group, a, nullptr); }
	int set_addr(u64 type, u64 v) { return set(KVM_DEV_ARM_VGIC_GRP_ADDR, type, &v); }
	int init() { return set(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, nullptr); }

	// Frames placed, INIT done, ready to run, distributor enabled.
	void ready(bool enable = true)
	{
		ASSERT_EQ(0, set_addr(KVM_VGIC_V3_ADDR_TYPE_DIST, dist_base));
		ASSERT_EQ(0, set_addr(KVM_VGIC_V3_ADDR_TYPE_REDIST, redist_base));
		ASSERT_EQ(0, init());
		ASSERT_EQ(0, kvmx::vgic_map_resources(vgic_).err());
		if (enable)
			dist_write(0, 4, 2); // GICD_CTLR.EnableGrp1
	}

	// Guest MMIO through the frame decoder, as the exit path will issue it.
	u64 dist_read(u64 off, u32 len, u32 vcpu = 0)
	{
		u64 v = ~0ULL;
		EXPECT_TRUE(
			kvmx::vgic_mmio_access(vgic_, cpu(vcpu), dist_base + off, len, false, &v));
		return v;
	}
	void dist_write(u64 off, u32 len, u64 v, u32 vcpu = 0)
	{
		EXPECT_TRUE(
			kvmx::vgic_mmio_access(vgic_, cpu(vcpu), dist_base + off, len, true, &v));
	}
	u64 rd_read(u32 idx, u64 off, u32 len)
	{
		return kvmx::vgic_redist_read(cpu(idx), off, len);
	}
	void rd_write(u32 idx, u64 off, u32 len, u64 v)
	{
		kvmx::vgic_redist_write(cpu(idx), off, len, v);
	}

	// Userspace register access (GRP_DIST_REGS / GRP_REDIST_REGS).
	int dist_uget(u32 off, u32 *v) { return get(KVM_DEV_ARM_VGIC_GRP_DIST_REGS, off, v); }
	int dist_uset(u32 off, u32 v) { return set(KVM_DEV_ARM_VGIC_GRP_DIST_REGS, off, &v); }
	int rd_uget(u32 id, u32 off, u32 *v)
	{
		return get(KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, attr_mpidr(id) | off, v);
	}

	kvmx::VgicIrq *irq(u32 idx, u32 intid)
	{
		kvmx::VgicLocked l(vgic_);
		return kvmx::vgic_get_irq(l, cpu(idx), intid);
	}
	// The INTIDs on a vCPU's ap list, in order.
	std::vector<u32> ap_list(u32 idx)
	{
		std::vector<u32> v;
		for (const kvmx::VgicIrq *i = cpu(idx)->ap_head; i; i = i->ap_next)
			v.push_back(i->intid);
		return v;
	}
	// The guest's ICC_PMR_EL1 and group enables, as it would program them.
	void open_cpuif(u32 idx, u32 pmr = 0xff)
	{
		kvmx::VgicVmcr v = kvmx::vgic_get_vmcr(cpu(idx));
		v.pmr = pmr;
		v.grpen0 = v.grpen1 = 1;
		kvmx::vgic_set_vmcr(cpu(idx), v);
	}

	kvmx::Vgic *vgic_ = nullptr;
	u64 mpidr_[kvmx::vgic_max_vcpus] = {};
	u32 nr_ = 0;
	std::vector<u32> kicks_;
	std::function<void(u32)> on_kick_; // what a kicked vCPU does (a test's stand-in)
	int kicks_under_lock_ = 0;	   // kicks made with a spinlock held (the vGIC's)
	bool running_ = false;		   // lock_all_vcpus fails: a vCPU is in KVM_RUN
	int locked_ = 0;
	bool phys_line_ = false; // what input_level reports for mapped interrupts
};

} // namespace vgic_test
