// SPDX-License-Identifier: GPL-2.0
/* KVM_SET_USER_MEMORY_REGION: add, move, delete, flags, and every rejection upstream has. */
#include <errno.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "kvmx_util.h"

#define MEM_SIZE (2UL << 20)

FIXTURE(vm)
{
	int kvm, vm;
	void *mem;
};

FIXTURE_SETUP(vm)
{
	self->kvm = kvmx_open_dev();
	ASSERT_GE(self->kvm, 0);
	self->vm = ioctl(self->kvm, KVM_CREATE_VM, 0);
	ASSERT_GE(self->vm, 0);
	self->mem =
		mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
}

FIXTURE_TEARDOWN(vm)
{
	munmap(self->mem, MEM_SIZE);
	close(self->vm);
	close(self->kvm);
}

static int set_region(int vm, __u32 slot, __u32 flags, __u64 gpa, __u64 size, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (unsigned long)hva,
	};

	return ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) ? -errno : 0;
}

TEST_F(vm, nr_memslots_is_512)
{
	EXPECT_EQ(512, ioctl(self->vm, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS));
	EXPECT_EQ(1, ioctl(self->vm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY));
}

TEST_F(vm, add_move_flags_delete)
{
	EXPECT_EQ(0, set_region(self->vm, 0, 0, 0x80000000, MEM_SIZE, self->mem));
	EXPECT_EQ(0, set_region(self->vm, 0, 0, 0x80000000, MEM_SIZE, self->mem)); /* no change */
	EXPECT_EQ(0, set_region(self->vm, 0, 0, 0x80001000, MEM_SIZE, self->mem)); /* move */
	EXPECT_EQ(0, set_region(self->vm, 0, KVM_MEM_LOG_DIRTY_PAGES, 0x80001000, MEM_SIZE,
				self->mem));
	EXPECT_EQ(0, set_region(self->vm, 0, 0, 0, 0, NULL));	    /* delete */
	EXPECT_EQ(-EINVAL, set_region(self->vm, 0, 0, 0, 0, NULL)); /* already gone */
}

TEST_F(vm, overlap_is_eexist)
{
	ASSERT_EQ(0, set_region(self->vm, 0, 0, 0x80000000, MEM_SIZE, self->mem));
	EXPECT_EQ(-EEXIST,
		  set_region(self->vm, 1, 0, 0x80000000 + MEM_SIZE - 0x1000, MEM_SIZE, self->mem));
	EXPECT_EQ(0, set_region(self->vm, 1, 0, 0x80000000 + MEM_SIZE, MEM_SIZE, self->mem));
}

TEST_F(vm, misaligned_or_bad_slot_is_einval)
{
	EXPECT_EQ(-EINVAL, set_region(self->vm, 0, 0, 0x80000800, MEM_SIZE, self->mem));
	EXPECT_EQ(-EINVAL, set_region(self->vm, 0, 0, 0x80000000, MEM_SIZE - 1, self->mem));
	EXPECT_EQ(-EINVAL, set_region(self->vm, 0, 0, 0x80000000, MEM_SIZE, (char *)self->mem + 1));
	EXPECT_EQ(-EINVAL, set_region(self->vm, 512, 0, 0x80000000, MEM_SIZE, self->mem));
	EXPECT_EQ(-EINVAL, set_region(self->vm, 1 << 16, 0, 0x80000000, MEM_SIZE, self->mem));
	EXPECT_EQ(-EINVAL, set_region(self->vm, 0, 1U << 7, 0x80000000, MEM_SIZE, self->mem));
}

TEST_F(vm, kernel_address_is_einval)
{
	EXPECT_EQ(-EINVAL,
		  set_region(self->vm, 0, 0, 0x80000000, MEM_SIZE, (void *)0xffff800000000000UL));
}

TEST_F(vm, beyond_ipa_size_is_efault)
{
	/* Default VM: 40-bit IPA. */
	EXPECT_EQ(-EFAULT, set_region(self->vm, 0, 0, (1UL << 40) - 0x1000, MEM_SIZE, self->mem));
	EXPECT_EQ(0, set_region(self->vm, 0, 0, (1UL << 40) - MEM_SIZE, MEM_SIZE, self->mem));
}

TEST_F(vm, unreadable_argument_is_efault)
{
	EXPECT_EQ(-1, ioctl(self->vm, KVM_SET_USER_MEMORY_REGION, (void *)16));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(vm, changing_size_or_address_of_a_slot_is_einval)
{
	ASSERT_EQ(0, set_region(self->vm, 0, 0, 0x80000000, MEM_SIZE, self->mem));
	EXPECT_EQ(-EINVAL, set_region(self->vm, 0, 0, 0x80000000, MEM_SIZE / 2, self->mem));
	EXPECT_EQ(-EINVAL,
		  set_region(self->vm, 0, 0, 0x80000000, MEM_SIZE / 2, (char *)self->mem + 0x1000));
	EXPECT_EQ(-EINVAL,
		  set_region(self->vm, 0, KVM_MEM_READONLY, 0x80000000, MEM_SIZE, self->mem));
}

TEST_HARNESS_MAIN
