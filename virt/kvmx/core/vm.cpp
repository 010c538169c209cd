// SPDX-License-Identifier: GPL-2.0
// VM lifetime and VM-fd ioctls. Owns the VM count against the max_vms limit; must not
// know about fds or processes (the glue owns those).
#include "vm.hpp"
#include "caps.hpp"
#include "ioctl.hpp"
#include "registry.hpp"
#include <linux/kvm.h>

namespace kvmx {

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
	if (!st.is_ok()) {
		destroy(vm);
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
	destroy(vm);
	atomic_dec_return(&registry().nr_vms);
}

long vm_ioctl(Vm *vm, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case KVM_CHECK_EXTENSION:
		return check_extension(vm, arg);
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
