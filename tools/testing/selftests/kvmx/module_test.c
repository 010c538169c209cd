// SPDX-License-Identifier: GPL-2.0
/* Module reference counting: every kvmx fd pins the module, so rmmod is refused. */
#include <errno.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "kvmx_util.h"

#define REFCNT "/sys/module/kvmx/refcnt"

static int try_unload(void)
{
	/* O_NONBLOCK: fail at once with EWOULDBLOCK when in use, as rmmod does. */
	return syscall(__NR_delete_module, "kvmx", O_NONBLOCK);
}

TEST(dev_fd_holds_a_module_reference)
{
	long base = kvmx_read_long(REFCNT);
	int kvm;

	ASSERT_GE(base, 0);
	kvm = kvmx_open_dev();
	ASSERT_GE(kvm, 0);
	EXPECT_EQ(base + 1, kvmx_read_long(REFCNT));
	EXPECT_EQ(-1, try_unload());
	EXPECT_EQ(EWOULDBLOCK, errno);
	close(kvm);
	EXPECT_EQ(base, kvmx_read_long(REFCNT));
}

TEST(vm_fd_holds_a_module_reference_after_dev_fd_closes)
{
	long base = kvmx_read_long(REFCNT);
	int kvm, vm;

	ASSERT_GE(base, 0);
	kvm = kvmx_open_dev();
	ASSERT_GE(kvm, 0);
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	ASSERT_GE(vm, 0);
	EXPECT_EQ(base + 2, kvmx_read_long(REFCNT));
	close(kvm);
	EXPECT_EQ(base + 1, kvmx_read_long(REFCNT));
	EXPECT_EQ(-1, try_unload());
	EXPECT_EQ(EWOULDBLOCK, errno);
	close(vm);
	EXPECT_EQ(base, kvmx_read_long(REFCNT));
}

TEST(failed_create_vm_leaks_no_reference)
{
	long base = kvmx_read_long(REFCNT);
	int kvm = kvmx_open_dev();

	ASSERT_GE(kvm, 0);
	for (int i = 0; i < 100; i++) {
		EXPECT_EQ(-1, ioctl(kvm, KVM_CREATE_VM, ~0UL));
	}
	EXPECT_EQ(base + 1, kvmx_read_long(REFCNT));
	close(kvm);
	EXPECT_EQ(base, kvmx_read_long(REFCNT));
}

TEST_HARNESS_MAIN
