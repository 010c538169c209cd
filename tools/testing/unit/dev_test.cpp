// SPDX-License-Identifier: GPL-2.0
// /dev/kvm ioctls and core init/exit (virt/kvmx/core/dev.cpp).
#include "core_fixture.hpp"
#include <linux/kvm.h>

TEST_F(Core, init_succeeds_on_a_48_bit_host)
{
	EXPECT_EQ(0, init());
}

TEST_F(Core, init_twice_is_ebusy)
{
	ASSERT_EQ(0, init());
	kvmx_host_info info = {};
	info.max_vms = 1;
	info.arm64_id_aa64mmfr0 = parange_48;
	EXPECT_EQ(-EBUSY, kvmx_core_init(&info));
}

TEST_F(Core, init_refuses_host_with_ipa_below_40_bits)
{
	EXPECT_EQ(-ENODEV, init(/*PARange 36 bits*/ 1));
	ASSERT_FALSE(fake_host::log_lines().empty());
	EXPECT_NE(std::string::npos, fake_host::log_lines().back().find("IPA"));
}

TEST_F(Core, api_version_is_12)
{
	ASSERT_EQ(0, init());
	EXPECT_EQ(12, kvmx_dev_ioctl(KVM_GET_API_VERSION, 0));
}

TEST_F(Core, api_version_with_argument_is_einval)
{
	ASSERT_EQ(0, init());
	EXPECT_EQ(-EINVAL, kvmx_dev_ioctl(KVM_GET_API_VERSION, 7));
}

TEST_F(Core, unknown_kvm_ioctl_is_einval_foreign_is_enotty)
{
	ASSERT_EQ(0, init());
	EXPECT_EQ(-EINVAL, kvmx_dev_ioctl(_IO(KVMIO, 0xfe), 0));
	EXPECT_EQ(-ENOTTY, kvmx_dev_ioctl(_IO('T', 1), 0));
}

TEST_F(Core, create_vm_returns_fd_holding_the_vm)
{
	ASSERT_EQ(0, init());
	long fd = kvmx_dev_ioctl(KVM_CREATE_VM, 0);
	ASSERT_GE(fd, 0);
	EXPECT_NE(nullptr, fake_host::vm_of_fd(fd));
	EXPECT_EQ(1u, kvmx_core_nr_vms());
	fake_host::close_fd(fd);
	EXPECT_EQ(0u, kvmx_core_nr_vms());
}

TEST_F(Core, create_vm_fd_failure_frees_the_vm)
{
	ASSERT_EQ(0, init());
	fake_host::fail_next_fd_install(-EMFILE);
	EXPECT_EQ(-EMFILE, kvmx_dev_ioctl(KVM_CREATE_VM, 0));
	EXPECT_EQ(0u, kvmx_core_nr_vms());
}

TEST_F(Core, create_vm_out_of_memory_is_enomem)
{
	ASSERT_EQ(0, init());
	fake_host::fail_alloc_after(0);
	EXPECT_EQ(-ENOMEM, kvmx_dev_ioctl(KVM_CREATE_VM, 0));
	EXPECT_EQ(0u, kvmx_core_nr_vms());
}

TEST_F(Core, max_vms_limit_is_enospc_and_frees_up)
{
	ASSERT_EQ(0, init(parange_48, 2));
	long a = kvmx_dev_ioctl(KVM_CREATE_VM, 0);
	long b = kvmx_dev_ioctl(KVM_CREATE_VM, 0);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	EXPECT_EQ(-ENOSPC, kvmx_dev_ioctl(KVM_CREATE_VM, 0));
	fake_host::close_fd(a);
	long c = kvmx_dev_ioctl(KVM_CREATE_VM, 0);
	EXPECT_GE(c, 0);
	fake_host::close_fd(b);
	fake_host::close_fd(c);
}
