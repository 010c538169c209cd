// SPDX-License-Identifier: GPL-2.0
// The SMCCC filter (arch/arm64/kvm/smccc_filter.cpp, upstream Linux 6.4's VM attribute):
// the ranges a VMM sets with KVM_SET_DEVICE_ATTR on the VM, with upstream's errno, and
// what the guest's HVC or SMC then gets: kvmx's own answer, NOT_SUPPORTED, or an exit to
// userspace with KVM_EXIT_HYPERCALL.
#include "vcpu_fixture.hpp"
#include <linux/kvmx.h>

namespace {

using fake_arch::esr;

constexpr u64 SMCCC_VERSION = 0x80000000, SMCCC_ARCH_WORKAROUND_1 = 0x80008000;
constexpr u64 PSCI_VERSION = 0x84000000, CPU_ON_64 = 0xc4000003;
constexpr u64 NOT_SUPPORTED = ~0ULL;

class Filter : public Vcpus {
protected:
	long attr(unsigned int cmd, u32 group, u64 which, const kvm_smccc_filter *f)
	{
		kvm_device_attr a = {};
		a.group = group;
		a.attr = which;
		a.addr = fake_host::uptr(f);
		return kvmx_vm_ioctl(vm_, cmd, fake_host::uptr(&a));
	}
	long set(u32 base, u32 nr, kvmx::u8 action)
	{
		kvm_smccc_filter f = {};
		f.base = base;
		f.nr_functions = nr;
		f.action = action;
		return attr(KVM_SET_DEVICE_ATTR, KVM_ARM_VM_SMCCC_CTRL, KVM_ARM_VM_SMCCC_FILTER,
			    &f);
	}
	static u64 x0(long fd) { return cpu(fd).frame.x[0]; }
};

TEST_F(Filter, the_attribute_exists_only_on_the_vm_with_upstreams_errno)
{
	kvm_smccc_filter f = {};
	EXPECT_EQ(0, attr(KVM_HAS_DEVICE_ATTR, KVM_ARM_VM_SMCCC_CTRL, KVM_ARM_VM_SMCCC_FILTER, &f));
	EXPECT_EQ(-ENXIO, attr(KVM_HAS_DEVICE_ATTR, KVM_ARM_VM_SMCCC_CTRL, 1, &f));
	EXPECT_EQ(-ENXIO, attr(KVM_HAS_DEVICE_ATTR, 1, KVM_ARM_VM_SMCCC_FILTER, &f));
	EXPECT_EQ(-EINVAL, attr(KVM_GET_DEVICE_ATTR, KVM_ARM_VM_SMCCC_CTRL, 0, &f));
	EXPECT_EQ(-EFAULT, kvmx_vm_ioctl(vm_, KVM_SET_DEVICE_ATTR, 0x10));
	f.nr_functions = 1;
	f.base = PSCI_VERSION;
	f.pad[14] = 1;
	EXPECT_EQ(-EINVAL, attr(KVM_SET_DEVICE_ATTR, KVM_ARM_VM_SMCCC_CTRL, 0, &f)) << "padding";
	EXPECT_EQ(-EINVAL, set(CPU_ON_64, 0, KVM_SMCCC_FILTER_DENY)) << "no functions";
	EXPECT_EQ(-EINVAL, set(~0u, ~0u, KVM_SMCCC_FILTER_DENY)) << "wraps";
	EXPECT_EQ(-EINVAL, set(CPU_ON_64, 1, 3)) << "no such action";
	// The SMCCC architecture ranges stay kvmx's.
	EXPECT_EQ(-EEXIST, set(SMCCC_ARCH_WORKAROUND_1, 1, KVM_SMCCC_FILTER_DENY));
	EXPECT_EQ(-EEXIST, set(0xc0000000, 1, KVM_SMCCC_FILTER_DENY));
	EXPECT_EQ(0, set(CPU_ON_64, 1, KVM_SMCCC_FILTER_DENY));
	EXPECT_EQ(-EEXIST, set(CPU_ON_64, 1, KVM_SMCCC_FILTER_DENY)) << "overlap";
	EXPECT_EQ(-EEXIST, set(CPU_ON_64 - 1, 2, KVM_SMCCC_FILTER_HANDLE)) << "overlap";
	EXPECT_EQ(0, set(CPU_ON_64 + 1, 10, KVM_SMCCC_FILTER_FWD_TO_USER));
	EXPECT_EQ(0, set(0x7fffffff, 1, KVM_SMCCC_FILTER_DENY)) << "just below SMCCC_VERSION";
	// Bounded: an insertion beyond the array is ENOMEM (4 so far, 2 reserved).
	long r = 0;
	u32 n = 0;
	for (; n < 1000 && !r; n++)
		r = set(0x10000u + 2 * n, 1, KVM_SMCCC_FILTER_DENY);
	EXPECT_EQ(-ENOMEM, r);
	EXPECT_EQ(512u - 5, n - 1);
}

TEST_F(Filter, denied_calls_answer_not_supported_forwarded_ones_exit)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set(PSCI_VERSION, 1, KVM_SMCCC_FILTER_DENY));
	ASSERT_EQ(0, set(0x86000000, 2, KVM_SMCCC_FILTER_FWD_TO_USER));
	push_hvc(PSCI_VERSION);
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(NOT_SUPPORTED, x0(fd));
	push_hvc(SMCCC_VERSION); // not filtered: kvmx answers
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0x10001u, x0(fd));
	// HVC: PC stays past it, no SMC flag.
	ASSERT_EQ(0, set_reg64(fd, REG_PC, ram_ipa + 4));
	push_hvc(0x86000001, 7);
	ASSERT_EQ(0, run(fd));
	kvm_run *r = run_page(fd);
	EXPECT_EQ(static_cast<u32>(KVM_EXIT_HYPERCALL), r->exit_reason);
	EXPECT_EQ(0x86000001u, r->hypercall.nr);
	u64 flags;
	memcpy(&flags, &r->hypercall.longmode, sizeof(flags));
	EXPECT_EQ(0u, flags);
	EXPECT_EQ(7u, cpu(fd).frame.x[1]) << "arguments stay in the registers";
	EXPECT_EQ(ram_ipa + 4, reg(fd, REG_PC));
	// SMC: skipped, the flag set.
	ASSERT_EQ(0, set_reg64(fd, REG_PC, ram_ipa + 8));
	fake_arch::push([](kvmx::GuestCpu &c) { c.frame.x[0] = 0x86000000; },
			fake_arch::sync_exit(esr(fake_arch::EC_SMC64, 0)));
	ASSERT_EQ(0, run(fd));
	EXPECT_EQ(static_cast<u32>(KVM_EXIT_HYPERCALL), r->exit_reason);
	EXPECT_EQ(0x86000000u, r->hypercall.nr);
	memcpy(&flags, &r->hypercall.longmode, sizeof(flags));
	EXPECT_EQ(u64(KVM_HYPERCALL_EXIT_SMC), flags);
	EXPECT_EQ(ram_ipa + 12, reg(fd, REG_PC));
	// The VM has run: the filter is frozen.
	EXPECT_EQ(-EBUSY, set(0x1000, 1, KVM_SMCCC_FILTER_DENY));
}

} // namespace
