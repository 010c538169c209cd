// SPDX-License-Identifier: GPL-2.0
// VM creation and VM-fd ioctls (virt/kvmx/core/vm.cpp, arch/arm64/kvm/vm.cpp).
#include "core_fixture.hpp"
#include "vm.hpp"
#include <linux/kvm.h>

TEST_F(Core, default_type_gives_a_40_bit_ipa)
{
	ASSERT_EQ(0, init());
	long fd = kvmx_dev_ioctl(KVM_CREATE_VM, 0);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(40u, fake_host::vm_of_fd(fd)->arch.ipa_bits);
	fake_host::close_fd(fd);
}

TEST_F(Core, every_ipa_size_from_32_to_the_limit_is_accepted)
{
	ASSERT_EQ(0, init(parange_48));
	for (unsigned long bits = 32; bits <= 48; bits++) {
		long fd = kvmx_dev_ioctl(KVM_CREATE_VM, KVM_VM_TYPE_ARM_IPA_SIZE(bits));
		ASSERT_GE(fd, 0) << bits;
		EXPECT_EQ(bits, fake_host::vm_of_fd(fd)->arch.ipa_bits);
		fake_host::close_fd(fd);
	}
}

TEST_F(Core, bad_vm_types_are_einval)
{
	ASSERT_EQ(0, init(parange_40));
	for (unsigned long type : std::initializer_list<unsigned long>{
		     KVM_VM_TYPE_ARM_IPA_SIZE(1UL), KVM_VM_TYPE_ARM_IPA_SIZE(31UL),
		     KVM_VM_TYPE_ARM_IPA_SIZE(41UL), KVM_VM_TYPE_ARM_IPA_SIZE(255UL), 0x100UL,
		     1UL << 63, ~0UL })
		EXPECT_EQ(-EINVAL, kvmx_dev_ioctl(KVM_CREATE_VM, type)) << std::hex << type;
	EXPECT_EQ(0u, kvmx_core_nr_vms());
}

TEST_F(Core, vm_lives_until_its_last_reference)
{
	ASSERT_EQ(0, init());
	long fd = kvmx_dev_ioctl(KVM_CREATE_VM, 0);
	ASSERT_GE(fd, 0);
	struct kvmx_vm *vm = fake_host::vm_of_fd(fd);
	kvmx::vm_get(vm);
	fake_host::close_fd(fd);
	EXPECT_EQ(1u, kvmx_core_nr_vms());
	EXPECT_EQ(1, kvmx_vm_ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_CHECK_EXTENSION_VM));
	kvmx::vm_put(vm);
	EXPECT_EQ(0u, kvmx_core_nr_vms());
}

TEST_F(Core, vm_ids_are_distinct)
{
	ASSERT_EQ(0, init());
	long a = kvmx_dev_ioctl(KVM_CREATE_VM, 0), b = kvmx_dev_ioctl(KVM_CREATE_VM, 0);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	EXPECT_NE(fake_host::vm_of_fd(a)->id, fake_host::vm_of_fd(b)->id);
	fake_host::close_fd(a);
	fake_host::close_fd(b);
}

TEST_F(Core, unknown_vm_ioctls_fail_cleanly)
{
	ASSERT_EQ(0, init());
	long fd = kvmx_dev_ioctl(KVM_CREATE_VM, 0);
	ASSERT_GE(fd, 0);
	struct kvmx_vm *vm = fake_host::vm_of_fd(fd);
	EXPECT_EQ(-EINVAL, kvmx_vm_ioctl(vm, _IO(KVMIO, 0xfe), 0));
	EXPECT_EQ(-EINVAL, kvmx_vm_ioctl(vm, KVM_GET_API_VERSION, 0));
	EXPECT_EQ(-ENOTTY, kvmx_vm_ioctl(vm, _IOW('x', 1, int), 0));
	fake_host::close_fd(fd);
}

TEST(RangeWithin, overflow_safe)
{
	using kvmx::range_within;
	EXPECT_TRUE(range_within(0x1000, 0x1000, 0x1000, 0x2000));
	EXPECT_TRUE(range_within(0x2000, 0x1000, 0x1000, 0x2000));
	EXPECT_FALSE(range_within(0x2001, 0x1000, 0x1000, 0x2000));
	EXPECT_FALSE(range_within(0xfff, 0x10, 0x1000, 0x2000));
	EXPECT_FALSE(range_within(~0ULL - 0x10, 0x100, 0, ~0ULL));
	EXPECT_TRUE(range_within(~0ULL - 0x100, 0x100, 0, ~0ULL));
}

TEST_F(Core, memslot_caps_report_the_table)
{
	ASSERT_EQ(0, init());
	EXPECT_EQ(1, kvmx_dev_ioctl(KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY));
	EXPECT_EQ(512, kvmx_dev_ioctl(KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS));
}

TEST_F(Core, set_user_memory_region_through_the_vm_ioctl)
{
	ASSERT_EQ(0, init());
	long fd = kvmx_dev_ioctl(KVM_CREATE_VM, 0);
	ASSERT_GE(fd, 0);
	struct kvmx_vm *vm = fake_host::vm_of_fd(fd);
	kvm_userspace_memory_region r = {};
	r.slot = 0;
	r.guest_phys_addr = 0x80000000;
	r.memory_size = 0x200000;
	r.userspace_addr = 0x7f0000000000;
	EXPECT_EQ(0, kvmx_vm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, fake_host::uptr(&r)));
	EXPECT_EQ(1u, vm->memslots->count());
	r.slot = 1;
	EXPECT_EQ(-EEXIST, kvmx_vm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, fake_host::uptr(&r)));
	// Not user memory of the process: EINVAL before the table is consulted.
	r.userspace_addr = 1UL << 48;
	r.guest_phys_addr = 0x90000000;
	EXPECT_EQ(-EINVAL, kvmx_vm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, fake_host::uptr(&r)));
	// The argument itself unreadable: EFAULT.
	EXPECT_EQ(-EFAULT, kvmx_vm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, 0x10));
	// Delete needs only the slot id.
	r.slot = 0;
	r.memory_size = 0;
	EXPECT_EQ(0, kvmx_vm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, fake_host::uptr(&r)));
	EXPECT_EQ(0u, vm->memslots->count());
	fake_host::close_fd(fd);
}
