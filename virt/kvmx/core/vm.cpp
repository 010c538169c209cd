// SPDX-License-Identifier: GPL-2.0
// VM lifetime and VM-fd ioctls. Owns the VM count against the max_vms limit; must not
// know about fds or processes (the glue owns those).
#include "vm.hpp"
#include "caps.hpp"
#include "ioctl.hpp"
#include "registry.hpp"
#include <linux/kvm.h>

namespace kvmx {

namespace {

Status vm_init_memory(Vm *vm)
{
	vm->lock = kvmx_host_mutex_create();
	if (!vm->lock)
		return Status::error(-ENOMEM);
	Result<MemslotTable *> slots = MemslotTable::create();
	if (!slots.is_ok())
		return Status::error(slots.err());
	vm->memslots = slots.value();
	return Status::ok();
}

void vm_free(Vm *vm)
{
	MemslotTable::destroy(vm->memslots);
	kvmx_host_mutex_destroy(vm->lock);
	destroy(vm);
}

long set_user_memory_region(Vm *vm, unsigned long arg)
{
	kvm_userspace_memory_region region;

	if (kvmx_host_copy_from_user(&region, arg, sizeof(region)))
		return -EFAULT;
	// The table checks alignment and wrap-around; whether the range is user memory of
	// this process (access_ok, untagged) only the host can tell. Deletion ignores it.
	if (region.memory_size &&
	    !kvmx_host_user_range_ok(region.userspace_addr, region.memory_size))
		return -EINVAL;
	MutexGuard guard(vm->lock);
	Result<MemslotUpdate> update = vm->memslots->set(region, vm->arch.ipa_bits);
	return update.is_ok() ? 0 : update.err();
}

} // namespace

Result<Vm *> vm_create(unsigned long type)
{
	Registry &reg = registry();

	if (atomic_inc_return(&reg.nr_vms) > reg.host.max_vms) {
		atomic_dec_return(&reg.nr_vms);
		return Status::error(-ENOSPC);
	}

	Vm *vm = make_zeroed<Vm>();
	if (!vm) {
		atomic_dec_return(&reg.nr_vms);
		return Status::error(-ENOMEM);
	}
	vm->id = atomic_inc_return(&reg.next_vm_id);
	vm->refs = 1;

	Status st = arch_vm_init(vm->arch, type);
	if (st.is_ok())
		st = vm_init_memory(vm);
	if (!st.is_ok()) {
		vm_free(vm);
		atomic_dec_return(&reg.nr_vms);
		return st;
	}
	kvmx_host_log(KVMX_LOG_DEBUG, "kvmx: vm %u created (type 0x%lx)\n", vm->id, type);
	return vm;
}

void vm_get(Vm *vm)
{
	atomic_inc_return(&vm->refs);
}

void vm_put(Vm *vm)
{
	if (atomic_dec_return(&vm->refs) != 0)
		return;
	kvmx_host_log(KVMX_LOG_DEBUG, "kvmx: vm %u destroyed\n", vm->id);
	vm_free(vm);
	atomic_dec_return(&registry().nr_vms);
}

long vm_ioctl(Vm *vm, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case KVM_CHECK_EXTENSION:
		return check_extension(vm, arg);
	case KVM_SET_USER_MEMORY_REGION:
		return set_user_memory_region(vm, arg);
	default:
		return unknown_ioctl(cmd);
	}
}

} // namespace kvmx

extern "C" long kvmx_vm_ioctl(struct kvmx_vm *vm, unsigned int cmd, unsigned long arg)
{
	return kvmx::vm_ioctl(vm, cmd, arg);
}

extern "C" void kvmx_vm_release(struct kvmx_vm *vm)
{
	kvmx::vm_put(vm);
}
