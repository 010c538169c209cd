// SPDX-License-Identifier: GPL-2.0
// KUnit suite kvmx_ioctl: argument validation at the edge, through the same entry points
// the glue calls for /dev/kvm, VM and vCPU fds, with arguments in real user memory of a
// borrowed address space: bad numbers, kernel addresses passed as user pointers, memory
// regions that are not user memory, vCPU id bounds, unknown ioctls.
#include "check.hpp"
#include "registry.hpp"
#include <linux/kvm.h>

namespace kvmx::ktest {

namespace {

constexpr unsigned int not_kvm_ioctl = _IO('x', 1);
constexpr unsigned int unknown_kvm_ioctl = _IO(KVMIO, 0xfe);

// Copy @val to a fresh user page; its user address, or 0.
template <typename T> kvmx_uptr to_user(const UserMm &mm, const T &val)
{
	kvmx_uptr u = mm.map(4096);
	if (u && kvmx_host_copy_to_user(u, &val, sizeof(val)))
		return 0;
	return u;
}

void dev_ioctls_check_their_arguments(struct ::kunit *test)
{
	const u32 vms = kvmx_core_nr_vms();
	KX_EXPECT_EQ(test, KVM_API_VERSION, kvmx_dev_ioctl(KVM_GET_API_VERSION, 0));
	KX_EXPECT_EQ(test, -EINVAL, kvmx_dev_ioctl(KVM_GET_API_VERSION, 1));
	KX_EXPECT_EQ(test, 8192, kvmx_dev_ioctl(KVM_GET_VCPU_MMAP_SIZE, 0)); // + the ring page
	KX_EXPECT_EQ(test, -EINVAL, kvmx_dev_ioctl(KVM_GET_VCPU_MMAP_SIZE, ~0UL));
	KX_EXPECT_EQ(test, -EINVAL, kvmx_dev_ioctl(unknown_kvm_ioctl, 0));
	KX_EXPECT_EQ(test, -ENOTTY, kvmx_dev_ioctl(not_kvm_ioctl, 0));
	// An invalid VM type fails before any fd or memory exists.
	KX_EXPECT_EQ(test, -EINVAL, kvmx_dev_ioctl(KVM_CREATE_VM, ~0UL));
	KX_EXPECT_EQ(test, vms, kvmx_core_nr_vms());
}

void kernel_addresses_as_user_pointers_fail_with_efault(struct ::kunit *test)
{
	UserMm mm;
	if (!KX_EXPECT(test, mm.ok()))
		return;
	TestVm vm;
	if (!KX_EXPECT(test, vm.get() != nullptr))
		return;
	Vm *v = vm.get();
	// Well-formed arguments, but in kernel memory: the copies must refuse them.
	kvm_userspace_memory_region r = region(0, 0x100000, 0x1000, 0x10000000);
	kvm_enable_cap cap = {};
	cap.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2;
	kvm_dirty_log log = {};
	const unsigned long k_r = reinterpret_cast<unsigned long>(&r);
	KX_EXPECT_EQ(test, -EFAULT, vm_ioctl(v, KVM_SET_USER_MEMORY_REGION, k_r));
	KX_EXPECT_EQ(test, -EFAULT,
		     vm_ioctl(v, KVM_ENABLE_CAP, reinterpret_cast<unsigned long>(&cap)));
	KX_EXPECT_EQ(test, -EFAULT,
		     vm_ioctl(v, KVM_GET_DIRTY_LOG, reinterpret_cast<unsigned long>(&log)));
	KX_EXPECT_EQ(test, 0, v->memslots->count());
	KX_EXPECT_EQ(test, 0, v->dirty_log_manual);
	// NULL and the last page of the address space, too.
	KX_EXPECT_EQ(test, -EFAULT, vm_ioctl(v, KVM_SET_USER_MEMORY_REGION, 0));
	KX_EXPECT_EQ(test, -EFAULT, vm_ioctl(v, KVM_SET_USER_MEMORY_REGION, ~0UL - 16));
}

void memory_regions_must_be_user_memory(struct ::kunit *test)
{
	UserMm mm;
	if (!KX_EXPECT(test, mm.ok()))
		return;
	TestVm vm;
	if (!KX_EXPECT(test, vm.get() != nullptr))
		return;
	Vm *v = vm.get();
	kvmx_uptr ram = mm.map(0x4000);
	if (!KX_EXPECT(test, ram != 0))
		return;
	// A kernel address as the slot's backing memory is refused as upstream does.
	u64 kernel_page = reinterpret_cast<u64>(v->memslots) & ~0xfffULL;
	kvmx_uptr arg = to_user(mm, region(0, 0x100000, 0x1000, kernel_page));
	if (!KX_EXPECT(test, arg != 0))
		return;
	KX_EXPECT_EQ(test, -EINVAL, vm_ioctl(v, KVM_SET_USER_MEMORY_REGION, arg));
	// Real user memory works, through the same path, and so does deleting it.
	arg = to_user(mm, region(0, 0x100000, 0x4000, ram, KVM_MEM_LOG_DIRTY_PAGES));
	KX_EXPECT_EQ(test, 0, vm_ioctl(v, KVM_SET_USER_MEMORY_REGION, arg));
	KX_EXPECT_EQ(test, 1, v->memslots->count());
	KX_EXPECT(test, v->dirty_bitmaps[0] != nullptr);
	// The same memory under another slot overlapping in IPA space: -EEXIST.
	arg = to_user(mm, region(1, 0x102000, 0x1000, ram));
	KX_EXPECT_EQ(test, -EEXIST, vm_ioctl(v, KVM_SET_USER_MEMORY_REGION, arg));
	// The dirty log of a slot that does not log, or does not exist.
	kvm_dirty_log log = {};
	log.slot = 1;
	log.dirty_bitmap = reinterpret_cast<void *>(mm.map(4096));
	KX_EXPECT_EQ(test, -ENOENT, vm_ioctl(v, KVM_GET_DIRTY_LOG, to_user(mm, log)));
	log.slot = 1u << 16;
	KX_EXPECT_EQ(test, -EINVAL, vm_ioctl(v, KVM_GET_DIRTY_LOG, to_user(mm, log)));
	log.slot = 0;
	KX_EXPECT_EQ(test, 0, vm_ioctl(v, KVM_GET_DIRTY_LOG, to_user(mm, log)));
	arg = to_user(mm, region(0, 0, 0, 0));
	KX_EXPECT_EQ(test, 0, vm_ioctl(v, KVM_SET_USER_MEMORY_REGION, arg));
	KX_EXPECT_EQ(test, 0, v->memslots->count());
	KX_EXPECT(test, v->dirty_bitmaps[0] == nullptr);
}

void vcpu_ids_are_bounded_and_unique(struct ::kunit *test)
{
	UserMm mm;
	if (!KX_EXPECT(test, mm.ok()))
		return;
	TestVm vm;
	if (!KX_EXPECT(test, vm.get() != nullptr))
		return;
	// Refused before any fd could be made.
	KX_EXPECT_EQ(test, -EINVAL, vcpu_create(vm.get(), max_vcpus));
	KX_EXPECT_EQ(test, -EINVAL, vcpu_create(vm.get(), ~0UL));
	KX_EXPECT_EQ(test, -EINVAL, vcpu_create(vm.get(), 1UL << 32));
	if (!KX_EXPECT(test, vm.add_vcpu(5) != nullptr))
		return;
	KX_EXPECT_EQ(test, -EEXIST, vcpu_create(vm.get(), 5));
	KX_EXPECT_EQ(test, 1, vm.get()->nr_vcpus);
	KX_EXPECT(test, vm_vcpu(vm.get(), 0) && vm_vcpu(vm.get(), 0)->id == 5);
	KX_EXPECT(test, vm_vcpu(vm.get(), 1) == nullptr);
	KX_EXPECT(test, vm_vcpu(vm.get(), ~0u) == nullptr);
}

void unknown_vm_and_vcpu_ioctls_are_refused(struct ::kunit *test)
{
	UserMm mm;
	if (!KX_EXPECT(test, mm.ok()))
		return;
	TestVm vm;
	if (!KX_EXPECT(test, vm.get() != nullptr))
		return;
	Vcpu *vcpu = vm.add_vcpu(0);
	if (!KX_EXPECT(test, vcpu != nullptr))
		return;
	KX_EXPECT_EQ(test, -EINVAL, vm_ioctl(vm.get(), unknown_kvm_ioctl, 0));
	KX_EXPECT_EQ(test, -ENOTTY, vm_ioctl(vm.get(), not_kvm_ioctl, 0));
	KX_EXPECT_EQ(test, -EINVAL, vcpu_ioctl(vcpu, unknown_kvm_ioctl, 0));
	KX_EXPECT_EQ(test, -ENOTTY, vcpu_ioctl(vcpu, not_kvm_ioctl, 0));
	// KVM_RUN takes no argument.
	KX_EXPECT_EQ(test, -EINVAL, vcpu_ioctl(vcpu, KVM_RUN, 1));
	// Manual dirty-log protection: unknown flags refused, known ones kept.
	kvm_enable_cap cap = {};
	cap.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2;
	cap.args[0] = ~0ULL;
	KX_EXPECT_EQ(test, -EINVAL, vm_ioctl(vm.get(), KVM_ENABLE_CAP, to_user(mm, cap)));
	cap.args[0] = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
	cap.flags = 1;
	KX_EXPECT_EQ(test, -EINVAL, vm_ioctl(vm.get(), KVM_ENABLE_CAP, to_user(mm, cap)));
	cap.flags = 0;
	KX_EXPECT_EQ(test, 0, vm_ioctl(vm.get(), KVM_ENABLE_CAP, to_user(mm, cap)));
	KX_EXPECT_EQ(test, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE, vm.get()->dirty_log_manual);
}

void max_vms_limit_is_enforced(struct ::kunit *test)
{
	UserMm mm;
	if (!KX_EXPECT(test, mm.ok()))
		return;
	// Fill up to the module's max_vms only when that is small; the default (1024)
	// would take too long, so then check one VM comes and goes cleanly.
	const u32 limit = registry().host.max_vms;
	const u32 before = kvmx_core_nr_vms();
	if (limit > 64) {
		{
			TestVm vm;
			KX_EXPECT(test, vm.get() != nullptr);
			KX_EXPECT_EQ(test, before + 1, kvmx_core_nr_vms());
		}
		KX_EXPECT_EQ(test, before, kvmx_core_nr_vms());
		return;
	}
	Vm *vms[64] = {};
	u32 n = 0;
	for (; before + n < limit; n++) {
		Result<Vm *> r = vm_create(0);
		if (!KX_EXPECT(test, r.is_ok()))
			break;
		vms[n] = r.value();
	}
	Result<Vm *> over = vm_create(0);
	KX_EXPECT_EQ(test, -ENOSPC, over.err());
	if (over.is_ok())
		vm_put(over.value());
	for (u32 i = 0; i < n; i++)
		vm_put(vms[i]);
	KX_EXPECT_EQ(test, before, kvmx_core_nr_vms());
}

} // namespace

} // namespace kvmx::ktest

extern "C" const struct kvmx_kunit_case kvmx_kunit_ioctl_cases[] = {
	{ "dev_ioctls_check_their_arguments", kvmx::ktest::dev_ioctls_check_their_arguments },
	{ "kernel_addresses_as_user_pointers_fail_with_efault",
	  kvmx::ktest::kernel_addresses_as_user_pointers_fail_with_efault },
	{ "memory_regions_must_be_user_memory", kvmx::ktest::memory_regions_must_be_user_memory },
	{ "vcpu_ids_are_bounded_and_unique", kvmx::ktest::vcpu_ids_are_bounded_and_unique },
	{ "unknown_vm_and_vcpu_ioctls_are_refused",
	  kvmx::ktest::unknown_vm_and_vcpu_ioctls_are_refused },
	{ "max_vms_limit_is_enforced", kvmx::ktest::max_vms_limit_is_enforced },
	{ nullptr, nullptr },
};
