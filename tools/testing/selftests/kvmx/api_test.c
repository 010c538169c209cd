// SPDX-License-Identifier: GPL-2.0
/* /dev/kvm basics: the device node, API version and the answers to unknown ioctls. */
#include <errno.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>

#include "kselftest_harness.h"
#include "kvmx_util.h"

TEST(dev_kvm_is_misc_char_device_232)
{
	struct stat st;

	ASSERT_EQ(0, stat("/dev/kvm", &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(10, major(st.st_rdev));
	EXPECT_EQ(232, minor(st.st_rdev));
}

TEST(api_version_is_12)
{
	int kvm = kvmx_open_dev();

	ASSERT_GE(kvm, 0);
	EXPECT_EQ(12, ioctl(kvm, KVM_GET_API_VERSION, 0));
	close(kvm);
}

TEST(api_version_rejects_nonzero_argument)
{
	int kvm = kvmx_open_dev();

	ASSERT_GE(kvm, 0);
	EXPECT_EQ(-1, ioctl(kvm, KVM_GET_API_VERSION, 1));
	EXPECT_EQ(EINVAL, errno);
	close(kvm);
}

TEST(unknown_kvm_ioctl_on_dev_is_einval)
{
	int kvm = kvmx_open_dev();

	ASSERT_GE(kvm, 0);
	EXPECT_EQ(-1, ioctl(kvm, _IO(KVMIO, 0xfe), 0));
	EXPECT_EQ(EINVAL, errno);
	close(kvm);
}

TEST(foreign_ioctl_on_dev_is_enotty)
{
	struct termios t;
	int kvm = kvmx_open_dev();

	ASSERT_GE(kvm, 0);
	EXPECT_EQ(-1, ioctl(kvm, TCGETS, &t));
	EXPECT_EQ(ENOTTY, errno);
	close(kvm);
}

TEST(dev_kvm_opens_read_only_too)
{
	int kvm = open("/dev/kvm", O_RDONLY);

	ASSERT_GE(kvm, 0);
	EXPECT_EQ(12, ioctl(kvm, KVM_GET_API_VERSION, 0));
	close(kvm);
}

TEST_HARNESS_MAIN
