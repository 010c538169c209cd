// SPDX-License-Identifier: GPL-2.0
/* KVM_CHECK_EXTENSION: /dev/kvm and the VM fd agree, and unknown numbers read 0. */
#include <errno.h>

#include "kselftest_harness.h"
#include "kvmx_util.h"

/* Upstream numbers are dense from 0; scan well past the last one 6.1 defines. */
#define UPSTREAM_SCAN_END 1024
#define KVMX_SCAN_END 256

static int known(unsigned long cap)
{
	for (size_t i = 0; i < KVMX_NR_KNOWN_CAPS; i++)
		if (kvmx_known_caps[i].number == cap)
			return 1;
	return 0;
}

FIXTURE(vm)
{
	int kvm;
	int vm;
};

FIXTURE_SETUP(vm)
{
	self->kvm = kvmx_open_dev();
	ASSERT_GE(self->kvm, 0);
	self->vm = ioctl(self->kvm, KVM_CREATE_VM, 0);
	ASSERT_GE(self->vm, 0);
}

FIXTURE_TEARDOWN(vm)
{
	close(self->vm);
	close(self->kvm);
}

static void scan(struct __test_metadata *_metadata, FIXTURE_DATA(vm) * self, unsigned long first,
		 unsigned long end)
{
	for (unsigned long cap = first; cap < end; cap++) {
		int dev = ioctl(self->kvm, KVM_CHECK_EXTENSION, cap);
		int vm = ioctl(self->vm, KVM_CHECK_EXTENSION, cap);

		ASSERT_GE(dev, 0) TH_LOG("cap %lu on /dev/kvm: errno %d", cap, errno);
		EXPECT_EQ(dev, vm) TH_LOG("cap %lu: /dev/kvm %d, VM fd %d", cap, dev, vm);
		if (!known(cap)) {
			EXPECT_EQ(0, dev)
			TH_LOG("cap %lu reads %d but is not in caps.def", cap, dev);
		}
	}
}

TEST_F(vm, dev_and_vm_fd_agree_on_upstream_caps)
{
	scan(_metadata, self, 0, UPSTREAM_SCAN_END);
}

TEST_F(vm, dev_and_vm_fd_agree_on_kvmx_caps)
{
	scan(_metadata, self, KVMX_CAP_BASE, KVMX_CAP_BASE + KVMX_SCAN_END);
}

TEST_F(vm, check_extension_vm_reads_1)
{
	EXPECT_EQ(1, ioctl(self->kvm, KVM_CHECK_EXTENSION, KVM_CAP_CHECK_EXTENSION_VM));
}

TEST_F(vm, huge_cap_numbers_read_0)
{
	EXPECT_EQ(0, ioctl(self->kvm, KVM_CHECK_EXTENSION, ~0UL));
	EXPECT_EQ(0, ioctl(self->vm, KVM_CHECK_EXTENSION, 1UL << 40));
}

TEST(known_list_covers_the_roadmap_caps)
{
	const unsigned long required[] = {
		KVM_CAP_ARM_PSCI_0_2, KVM_CAP_ARM_SYSTEM_SUSPEND, KVM_CAP_STEAL_TIME,
		KVM_CAP_PPC_IRQ_XIVE, KVMX_CAP_PPC_STOP0LITE,
	};

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		EXPECT_TRUE(known(required[i])) TH_LOG("cap %lu missing", required[i]);
	}
}

TEST(kvmx_caps_do_not_collide_with_upstream)
{
	EXPECT_GE(KVMX_CAP_PPC_STOP0LITE, KVMX_CAP_BASE);
	EXPECT_GT(KVMX_CAP_BASE, 0x10000UL);
}

TEST_HARNESS_MAIN
