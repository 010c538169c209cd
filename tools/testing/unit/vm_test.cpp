// SPDX-License-Identifier: GPL-2.0
// VM creation and VM-fd ioctls (virt/kvmx/core/vm.cpp, arch/arm64/kvm/vm.cpp).
#include "core_fixture.hpp"
#include "vm.hpp"
#include <linux/kvm.h>
#include <linux/kvmx.h>

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

TEST_F(Core, set_user_memory_region2_is_the_same_slot_without_guest_memfd)
{
	ASSERT_EQ(0, init());
	EXPECT_EQ(1, kvmx_dev_ioctl(KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY2));
	EXPECT_EQ(0, kvmx_dev_ioctl(KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD));
	EXPECT_EQ(160u, sizeof(kvm_userspace_memory_region2)); // upstream's layout
	long fd = kvmx_dev_ioctl(KVM_CREATE_VM, 0);
	ASSERT_GE(fd, 0);
	struct kvmx_vm *vm = fake_host::vm_of_fd(fd);
	kvm_userspace_memory_region2 r = {};
	r.slot = 3;
	r.flags = KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY;
	r.guest_phys_addr = 0x80000000;
	r.memory_size = 0x200000;
	r.userspace_addr = 0x7f0000000000;
	// The guest_memfd fields and the padding mean nothing without KVM_MEM_GUEST_MEMFD.
	r.guest_memfd = ~0u;
	r.guest_memfd_offset = 0x123;
	r.pad1 = 1;
	r.pad2[13] = 1;
	EXPECT_EQ(0, kvmx_vm_ioctl(vm, KVM_SET_USER_MEMORY_REGION2, fake_host::uptr(&r)));
	ASSERT_EQ(1u, vm->memslots->count());
	EXPECT_EQ(0x80000u, vm->memslots->find(0x80000)->base_gfn);
	EXPECT_EQ(kvmx::u32(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY),
		  vm->memslots->find(0x80000)->flags);
	// No private memory here: the flag is refused, and every flag upstream does not
	// define, before anything else is looked at.
	r.slot = 4;
	r.guest_phys_addr = 0x90000000;
	r.flags = KVM_MEM_GUEST_MEMFD;
	EXPECT_EQ(-EINVAL, kvmx_vm_ioctl(vm, KVM_SET_USER_MEMORY_REGION2, fake_host::uptr(&r)));
	for (unsigned bit = 3; bit < 32; bit++) {
		r.flags = 1u << bit;
		r.userspace_addr = 0;
		EXPECT_EQ(-EINVAL,
			  kvmx_vm_ioctl(vm, KVM_SET_USER_MEMORY_REGION2, fake_host::uptr(&r)))
			<< bit;
	}
	// KVM_SET_USER_MEMORY_REGION knows only its own flags.
	kvm_userspace_memory_region r1 = {};
	r1.slot = 4;
	r1.flags = KVM_MEM_GUEST_MEMFD;
	r1.guest_phys_addr = 0x90000000;
	r1.memory_size = 0x200000;
	r1.userspace_addr = 0x7f0000400000;
	EXPECT_EQ(-EINVAL, kvmx_vm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, fake_host::uptr(&r1)));
	// The whole 160 bytes are read: a struct ending at an unmapped page is EFAULT.
	EXPECT_EQ(-EFAULT, kvmx_vm_ioctl(vm, KVM_SET_USER_MEMORY_REGION2, 0x10));
	// Deleting through either ioctl.
	r.flags = 0;
	r.slot = 3;
	r.memory_size = 0;
	EXPECT_EQ(0, kvmx_vm_ioctl(vm, KVM_SET_USER_MEMORY_REGION2, fake_host::uptr(&r)));
	EXPECT_EQ(0u, vm->memslots->count());
	fake_host::close_fd(fd);
}
