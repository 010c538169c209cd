// SPDX-License-Identifier: GPL-2.0
// PV time: the stolen-time structure is found through a per-vCPU cache that only a
// memslot change invalidates (one memslot lookup, not one per guest entry), and it is
// written only when the vCPU thread waited for a CPU since the last entry.
#include "vcpu_fixture.hpp"

#include <cstring>
#include <linux/kvmx.h>

namespace {

using PvTime = Vcpus;

constexpr u64 st_offset = 0x2000; // the structure, inside the test RAM

long set_pvtime_ipa(long fd, u64 ipa)
{
	kvm_device_attr attr = {};
	attr.group = KVM_ARM_VCPU_PVTIME_CTRL;
	attr.attr = KVM_ARM_VCPU_PVTIME_IPA;
	attr.addr = fake_host::uptr(&ipa);
	return kvmx_vcpu_ioctl(Vcpus::vcpu(fd), KVM_SET_DEVICE_ATTR, fake_host::uptr(&attr));
}

// @n guest runs, each ended by a host interrupt; before each the vCPU thread "waited"
// @wait_ns for its CPU.
void push_waits(int n, u64 *delay, u64 wait_ns)
{
	for (int i = 0; i < n; i++) {
		*delay += wait_ns;
		u64 now = *delay;
		fake_arch::push([now](kvmx::GuestCpu &) { fake_host::set_run_delay_ns(now); },
				fake_arch::irq_exit());
	}
}

TEST_F(PvTime, structure_lookup_is_cached_across_entries_until_memslots_change)
{
	u64 delay = 1000;
	fake_host::set_run_delay_ns(delay);
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_pvtime_ipa(fd, ram_ipa + st_offset));
	const u64 base_delay = delay;

	push_waits(50, &delay, 7000);
	ASSERT_TRUE(run_script(fd));
	// Every entry after a wait published the new total; one lookup served them all.
	u64 stolen;
	memcpy(&stolen, ram_ + st_offset + 8, sizeof(stolen));
	EXPECT_EQ(delay - base_delay, stolen); // the entry after the last wait included
	EXPECT_EQ(1u, vcpu(fd)->arch.pvtime.lookups);

	// An unrelated memslot appears: the generation moves, the cache is refilled once.
	static unsigned char other[4096] __attribute__((aligned(4096)));
	ASSERT_EQ(0, set_region(1, 0x80000000, sizeof(other), fake_host::uptr(other)));
	push_waits(10, &delay, 1000);
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(2u, vcpu(fd)->arch.pvtime.lookups);
	memcpy(&stolen, ram_ + st_offset + 8, sizeof(stolen));
	EXPECT_EQ(delay - base_delay, stolen);
}

TEST_F(PvTime, entries_without_a_wait_neither_look_up_nor_write)
{
	fake_host::set_run_delay_ns(5000);
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_pvtime_ipa(fd, ram_ipa + st_offset));
	u64 lookups = vcpu(fd)->arch.pvtime.lookups;
	memset(ram_ + st_offset + 8, 0x5a, 8); // would be overwritten by any store
	for (int i = 0; i < 20; i++)
		fake_arch::push(fake_arch::irq_exit());
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(lookups, vcpu(fd)->arch.pvtime.lookups);
	for (int i = 0; i < 8; i++)
		EXPECT_EQ(0x5a, ram_[st_offset + 8 + i]);
}

} // namespace

// KVM_CAP_STEAL_TIME and the PV time attributes follow the host scheduler, as on upstream
// KVM: offered only when it tracks each task's run delay (CONFIG_SCHED_INFO).
namespace {

constexpr u64 pv_time_features = 0xc5000020, pv_time_st = 0xc5000021;
constexpr u64 smccc_not_supported = ~0ULL;

long pvtime_attr(long fd, unsigned int cmd, u64 which, u64 *val)
{
	kvm_device_attr attr = {};
	attr.group = KVM_ARM_VCPU_PVTIME_CTRL;
	attr.attr = which;
	attr.addr = fake_host::uptr(val);
	return Vcpus::ioctl(fd, cmd, fake_host::uptr(&attr));
}

class PvTimeNoSchedInfo : public Vcpus {
protected:
	void SetUp() override
	{
		sched_info_on_ = 0;
		Vcpus::SetUp();
	}
};

TEST_F(PvTime, steal_time_cap_and_attributes_offered_when_host_tracks_run_delay)
{
	EXPECT_EQ(1, kvmx_dev_ioctl(KVM_CHECK_EXTENSION, KVM_CAP_STEAL_TIME));
	EXPECT_EQ(1, kvmx_vm_ioctl(vm_, KVM_CHECK_EXTENSION, KVM_CAP_STEAL_TIME));
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	u64 val = 0;
	EXPECT_EQ(0, pvtime_attr(fd, KVM_HAS_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_IPA, &val));
	EXPECT_EQ(0, pvtime_attr(fd, KVM_HAS_DEVICE_ATTR, KVMX_ARM_VCPU_PVTIME_REVISION, &val));
	ASSERT_EQ(0, pvtime_attr(fd, KVM_GET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_IPA, &val));
	EXPECT_EQ(kvmx::invalid_gpa, val);
	val = ram_ipa + st_offset;
	ASSERT_EQ(0, pvtime_attr(fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_IPA, &val));
	val = 0;
	ASSERT_EQ(0, pvtime_attr(fd, KVM_GET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_IPA, &val));
	EXPECT_EQ(ram_ipa + st_offset, val);
	push_hvc(pv_time_st);
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(ram_ipa + st_offset, cpu(fd).frame.x[0]);
}

TEST_F(PvTimeNoSchedInfo, steal_time_cap_reads_zero_on_dev_and_vm)
{
	EXPECT_EQ(0, kvmx_dev_ioctl(KVM_CHECK_EXTENSION, KVM_CAP_STEAL_TIME));
	EXPECT_EQ(0, kvmx_vm_ioctl(vm_, KVM_CHECK_EXTENSION, KVM_CAP_STEAL_TIME));
	// The rest of the vCPU attribute machinery is still there.
	EXPECT_EQ(1, kvmx_vm_ioctl(vm_, KVM_CHECK_EXTENSION, KVM_CAP_VCPU_ATTRIBUTES));
}

TEST_F(PvTimeNoSchedInfo, every_pvtime_attribute_fails_with_enxio)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	for (u64 which : { (u64)KVM_ARM_VCPU_PVTIME_IPA, (u64)KVMX_ARM_VCPU_PVTIME_REVISION }) {
		u64 val = which == KVM_ARM_VCPU_PVTIME_IPA ? ram_ipa + st_offset : 0;
		EXPECT_EQ(-ENXIO, pvtime_attr(fd, KVM_HAS_DEVICE_ATTR, which, &val)) << which;
		EXPECT_EQ(-ENXIO, pvtime_attr(fd, KVM_SET_DEVICE_ATTR, which, &val)) << which;
		EXPECT_EQ(-ENXIO, pvtime_attr(fd, KVM_GET_DEVICE_ATTR, which, &val)) << which;
	}
	// Nothing was placed: the guest's structure stays as it was, and the guest's
	// PV_TIME calls say not supported.
	memset(ram_ + st_offset, 0x5a, 64);
	u64 delay = 1000;
	push_waits(5, &delay, 3000);
	push_hvc(pv_time_st);
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(smccc_not_supported, cpu(fd).frame.x[0]);
	push_hvc(pv_time_features, pv_time_st);
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(smccc_not_supported, cpu(fd).frame.x[0]);
	for (int i = 0; i < 64; i++)
		EXPECT_EQ(0x5a, ram_[st_offset + i]) << i;
}

} // namespace
