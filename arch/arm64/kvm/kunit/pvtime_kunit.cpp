// SPDX-License-Identifier: GPL-2.0
// KUnit suite kvmx_pvtime: PV stolen time (pvtime.cpp) against the real scheduler: the
// capability and attributes follow the host's run-delay accounting, the structure's
// placement is checked, the guest's PV_TIME calls follow it, and the stolen time lands
// in user memory with one store, also after the memslot went away (it then does not).
#include "arch_vcpu.hpp"
#include "caps.hpp"
#include "pvtime.hpp"
#include "registry.hpp"
#include "vcpu_helpers.hpp"
#include <linux/kvmx.h>

namespace kvmx::ktest {

namespace {

constexpr u64 PV_TIME_FEATURES = 0xc5000020, PV_TIME_ST = 0xc5000021;
constexpr u64 NOT_SUPPORTED = ~0ULL;
constexpr u64 ram_ipa = 0x40000000, ram_size = 0x4000;

// A VM with one initialised vCPU and one memslot of user memory at ram_ipa.
struct Setup {
	UserMm mm;
	TestVm vm;
	Vcpu *vcpu = nullptr;
	kvmx_uptr ram = 0, arg = 0;

	bool make(struct ::kunit *test)
	{
		if (!KX_EXPECT(test, mm.ok()) || !KX_EXPECT(test, vm.get() != nullptr))
			return false;
		vcpu = vm.add_vcpu(0);
		ram = mm.map(ram_size);
		arg = mm.map(4096);
		if (!KX_EXPECT(test, vcpu && ram && arg))
			return false;
		return KX_EXPECT_EQ(test, 0, init_vcpu(mm, vcpu, psci_0_2_feature)) &&
		       KX_EXPECT_EQ(test, 0, set_slot(ram_size));
	}
	long set_slot(u64 size)
	{
		kvm_userspace_memory_region r = region(0, ram_ipa, size, size ? ram : 0);
		if (kvmx_host_copy_to_user(arg, &r, sizeof(r)))
			return -EFAULT;
		return vm_ioctl(vm.get(), KVM_SET_USER_MEMORY_REGION, arg);
	}
	// KVM_{HAS,SET,GET}_DEVICE_ATTR in the PV time group; *val in and out.
	long attr(unsigned int cmd, u64 which, u64 *val)
	{
		kvmx_uptr v = arg + 512;
		kvm_device_attr a = {};
		a.group = KVM_ARM_VCPU_PVTIME_CTRL;
		a.attr = which;
		a.addr = v;
		if (kvmx_host_copy_to_user(v, val, sizeof(*val)) ||
		    kvmx_host_copy_to_user(arg, &a, sizeof(a)))
			return -EFAULT;
		long r = vcpu_ioctl(vcpu, cmd, arg);
		if (kvmx_host_copy_from_user(val, v, sizeof(*val)))
			return -EFAULT;
		return r;
	}
	u64 stolen_in_guest_memory(u64 offset)
	{
		u64 val = 0xdead;
		if (kvmx_host_copy_from_user(&val, ram + offset + 8, sizeof(val)))
			return 0xdead;
		return val;
	}
};

void steal_time_cap_and_attributes_follow_the_host_scheduler(struct ::kunit *test)
{
	Setup s;
	if (!s.make(test))
		return;
	const bool on = registry().host.sched_info_on != 0;
	KX_EXPECT_EQ(test, on ? 1 : 0, check_extension(nullptr, KVM_CAP_STEAL_TIME));
	KX_EXPECT_EQ(test, on ? 1 : 0,
		     vm_ioctl(s.vm.get(), KVM_CHECK_EXTENSION, KVM_CAP_STEAL_TIME));
	u64 val = 0;
	const long want = on ? 0 : -ENXIO;
	KX_EXPECT_EQ(test, want, s.attr(KVM_HAS_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_IPA, &val));
	KX_EXPECT_EQ(test, want, s.attr(KVM_HAS_DEVICE_ATTR, KVMX_ARM_VCPU_PVTIME_REVISION, &val));
	KX_EXPECT_EQ(test, -ENXIO, s.attr(KVM_HAS_DEVICE_ATTR, 0x99, &val));
}

void structure_placement_is_checked(struct ::kunit *test)
{
	Setup s;
	if (!s.make(test))
		return;
	if (!registry().host.sched_info_on) {
		u64 val = ram_ipa;
		KX_EXPECT_EQ(test, -ENXIO,
			     s.attr(KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_IPA, &val));
		return;
	}
	u64 val = 0;
	KX_EXPECT_EQ(test, 0, s.attr(KVM_GET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_IPA, &val));
	KX_EXPECT_EQ(test, invalid_gpa, val);
	val = ram_ipa + 0x20; // not 64-byte aligned
	KX_EXPECT_EQ(test, -EINVAL, s.attr(KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_IPA, &val));
	val = ram_ipa + ram_size; // outside every memslot
	KX_EXPECT_EQ(test, -EINVAL, s.attr(KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_IPA, &val));
	val = ram_ipa + 0x1040;
	KX_EXPECT_EQ(test, 0, s.attr(KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_IPA, &val));
	val = ram_ipa;
	KX_EXPECT_EQ(test, -EEXIST, s.attr(KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_IPA, &val));
	val = 0;
	KX_EXPECT_EQ(test, 0, s.attr(KVM_GET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_IPA, &val));
	KX_EXPECT_EQ(test, ram_ipa + 0x1040, val);
	val = 1; // only revision 0 exists
	KX_EXPECT_EQ(test, -EINVAL,
		     s.attr(KVM_SET_DEVICE_ATTR, KVMX_ARM_VCPU_PVTIME_REVISION, &val));
}

void guest_calls_follow_the_structure_and_the_firmware_bitmap(struct ::kunit *test)
{
	Setup s;
	if (!s.make(test))
		return;
	KX_EXPECT_EQ(test, NOT_SUPPORTED, guest_call(s.vcpu, PV_TIME_ST));
	KX_EXPECT_EQ(test, NOT_SUPPORTED, guest_call(s.vcpu, PV_TIME_FEATURES, PV_TIME_ST));
	if (!registry().host.sched_info_on)
		return; // nothing can be placed: the calls stay unsupported
	u64 val = ram_ipa + 0x40;
	if (!KX_EXPECT_EQ(test, 0, s.attr(KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_IPA, &val)))
		return;
	KX_EXPECT_EQ(test, ram_ipa + 0x40, guest_call(s.vcpu, PV_TIME_ST));
	KX_EXPECT_EQ(test, 0, guest_call(s.vcpu, PV_TIME_FEATURES, PV_TIME_ST));
	KX_EXPECT_EQ(test, 0, guest_call(s.vcpu, PV_TIME_FEATURES, PV_TIME_FEATURES));
	KX_EXPECT_EQ(test, NOT_SUPPORTED, guest_call(s.vcpu, PV_TIME_FEATURES, 0xc5000022));
	// The VMM hides PV time from the guest through the firmware bitmap.
	s.vm.get()->arch.fw_bmap[1] = 0;
	KX_EXPECT_EQ(test, NOT_SUPPORTED, guest_call(s.vcpu, PV_TIME_ST));
}

void stolen_time_is_published_only_while_the_memory_is_there(struct ::kunit *test)
{
	Setup s;
	if (!s.make(test))
		return;
	if (!registry().host.sched_info_on)
		return; // covered by the cases above: nothing to publish
	u64 val = ram_ipa + 0x80;
	if (!KX_EXPECT_EQ(test, 0, s.attr(KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_IPA, &val)))
		return;
	KX_EXPECT_EQ(test, 0, s.stolen_in_guest_memory(0x80)); // a fresh structure
	// As if the vCPU thread had waited 5 us for a CPU since the last entry.
	PvTime &pv = s.vcpu->arch.pvtime;
	pv.last_run_delay = kvmx_host_run_delay_ns() - 5000;
	pvtime_update(s.vcpu);
	const u64 stolen = s.stolen_in_guest_memory(0x80);
	KX_EXPECT(test, stolen >= 5000 && stolen < 5000 + 1000000000ULL);
	KX_EXPECT_EQ(test, pv.stolen_ns, stolen);
	// The memslot goes away: the update finds no memory and writes nothing.
	const u64 lookups = pv.lookups;
	KX_EXPECT_EQ(test, 0, s.set_slot(0));
	pv.last_run_delay = kvmx_host_run_delay_ns() - 5000;
	pvtime_update(s.vcpu);
	KX_EXPECT_EQ(test, stolen, pv.stolen_ns);
	KX_EXPECT_EQ(test, lookups + 1, pv.lookups);
	KX_EXPECT_EQ(test, bad_hva, pv.cached_hva);
	KX_EXPECT_EQ(test, stolen, s.stolen_in_guest_memory(0x80));
}

} // namespace

} // namespace kvmx::ktest

extern "C" const struct kvmx_kunit_case kvmx_kunit_pvtime_cases[] = {
	{ "steal_time_cap_and_attributes_follow_the_host_scheduler",
	  kvmx::ktest::steal_time_cap_and_attributes_follow_the_host_scheduler },
	{ "structure_placement_is_checked", kvmx::ktest::structure_placement_is_checked },
	{ "guest_calls_follow_the_structure_and_the_firmware_bitmap",
	  kvmx::ktest::guest_calls_follow_the_structure_and_the_firmware_bitmap },
	{ "stolen_time_is_published_only_while_the_memory_is_there",
	  kvmx::ktest::stolen_time_is_published_only_while_the_memory_is_there },
	{ nullptr, nullptr },
};
