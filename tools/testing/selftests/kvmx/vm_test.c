// SPDX-License-Identifier: GPL-2.0
/* KVM_CREATE_VM: the fd, the arm64 IPA-size type argument, ownership and lifetime. */
#include <errno.h>
#include <string.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "kvmx_util.h"

FIXTURE(kvm)
{
	int kvm;
};

FIXTURE_SETUP(kvm)
{
	self->kvm = kvmx_open_dev();
	ASSERT_GE(self->kvm, 0);
}

FIXTURE_TEARDOWN(kvm)
{
	close(self->kvm);
}

TEST_F(kvm, create_vm_returns_cloexec_anon_fd)
{
	char path[64], link[64];
	int vm = ioctl(self->kvm, KVM_CREATE_VM, 0);
	ssize_t n;

	ASSERT_GE(vm, 0);
	EXPECT_TRUE(fcntl(vm, F_GETFD) & FD_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", vm);
	n = readlink(path, link, sizeof(link) - 1);
	ASSERT_GT(n, 0);
	link[n] = 0;
	EXPECT_STREQ("anon_inode:kvm-vm", link);
	EXPECT_EQ(0, close(vm));
}

#ifdef __aarch64__
TEST_F(kvm, create_vm_accepts_every_ipa_size_up_to_the_limit)
{
	int limit = ioctl(self->kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE);

	ASSERT_GE(limit, 40);
	for (int bits = 32; bits <= limit; bits++) {
		int vm = ioctl(self->kvm, KVM_CREATE_VM, KVM_VM_TYPE_ARM_IPA_SIZE(bits));

		EXPECT_GE(vm, 0) TH_LOG("IPA %d bits: errno %d", bits, errno);
		close(vm);
	}
}

TEST_F(kvm, create_vm_rejects_bad_ipa_sizes)
{
	int limit = ioctl(self->kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE);
	unsigned long bad[] = { KVM_VM_TYPE_ARM_IPA_SIZE(31), KVM_VM_TYPE_ARM_IPA_SIZE(1),
				KVM_VM_TYPE_ARM_IPA_SIZE(limit + 1), 0x100, 1UL << 63 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-1, ioctl(self->kvm, KVM_CREATE_VM, bad[i])) TH_LOG("type 0x%lx", bad[i]);
		EXPECT_EQ(EINVAL, errno);
	}
}
#endif

TEST_F(kvm, many_vms_coexist_and_close)
{
	int vms[64];

	for (int i = 0; i < 64; i++) {
		vms[i] = ioctl(self->kvm, KVM_CREATE_VM, 0);
		ASSERT_GE(vms[i], 0) TH_LOG("vm %d: errno %d", i, errno);
	}
	for (int i = 0; i < 64; i++) {
		EXPECT_EQ(0, close(vms[i]));
	}
}

TEST_F(kvm, vm_outlives_dev_fd)
{
	int vm = ioctl(self->kvm, KVM_CREATE_VM, 0);
	int kvm2;

	ASSERT_GE(vm, 0);
	close(self->kvm);
	self->kvm = -1;
	EXPECT_EQ(1, ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_CHECK_EXTENSION_VM));
	close(vm);
	kvm2 = kvmx_open_dev();
	ASSERT_GE(kvm2, 0);
	self->kvm = kvm2;
}

TEST_F(kvm, vm_fd_in_another_process_gets_eio)
{
	int vm = ioctl(self->kvm, KVM_CREATE_VM, 0);
	int status;
	pid_t pid;

	ASSERT_GE(vm, 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int r = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_CHECK_EXTENSION_VM);

		_exit(r == -1 && errno == EIO ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The creator keeps using it. */
	EXPECT_EQ(1, ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_CHECK_EXTENSION_VM));
	close(vm);
}

TEST_F(kvm, unknown_vm_ioctls_fail_cleanly)
{
	int vm = ioctl(self->kvm, KVM_CREATE_VM, 0);

	ASSERT_GE(vm, 0);
	EXPECT_EQ(-1, ioctl(vm, _IO(KVMIO, 0xfe), 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(vm, _IOW('x', 1, int), 0));
	EXPECT_EQ(ENOTTY, errno);
	/* A /dev/kvm ioctl is not a VM ioctl. */
	EXPECT_EQ(-1, ioctl(vm, KVM_GET_API_VERSION, 0));
	EXPECT_EQ(EINVAL, errno);
	close(vm);
}

TEST_HARNESS_MAIN
