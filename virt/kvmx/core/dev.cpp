// SPDX-License-Identifier: GPL-2.0
// /dev/kvm: module init/exit of the core and the system ioctls (API version, capability
// checks, VM creation). Holds the registry; must not touch VM internals beyond vm.hpp.
#include "arch.hpp"
#include "caps.hpp"
#include "ioctl.hpp"
#include "registry.hpp"
#include "memslot.hpp"
#include "vm.hpp"
#include <linux/kvm.h>

namespace kvmx {

namespace {

Registry the_registry;

long create_vm(unsigned long type)
{
	Result<Vm *> vm = vm_create(type);
	if (!vm.is_ok())
		return vm.err();

	// On success the fd owns the creation reference; on failure it is ours to drop.
	int fd = kvmx_host_vm_fd_install(vm.value());
	if (fd < 0)
		vm_put(vm.value());
	return fd;
}

long dev_ioctl(unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case KVM_GET_API_VERSION:
		return arg ? -EINVAL : KVM_API_VERSION;
	case KVM_CHECK_EXTENSION:
		return check_extension(nullptr, arg);
	case KVM_CREATE_VM:
		return create_vm(arg);
	case KVM_GET_VCPU_MMAP_SIZE:
		// struct kvm_run, then the coalesced MMIO ring (no dirty ring pages), as
		// upstream's size without x86's port I/O page.
		if (arg)
			return -EINVAL;
#ifdef KVMX_ARCH_COALESCED_MMIO
		return static_cast<long>(host_page_bytes() * (1 + KVM_COALESCED_MMIO_PAGE_OFFSET));
#else
		return static_cast<long>(host_page_bytes());
#endif
	default:
		return unknown_ioctl(cmd);
	}
}

} // namespace

Registry &registry()
{
	return the_registry;
}

} // namespace kvmx

extern "C" int kvmx_core_init(const struct kvmx_host_info *info)
{
	kvmx::Registry &reg = kvmx::registry();

	if (reg.initialised)
		return -EBUSY;
	kvmx::Status st = kvmx::arch_init(*info);
	if (!st.is_ok())
		return st.err();
	reg.host = *info;
	reg.nr_vms = 0;
	reg.next_vm_id = 0;
	for (kvmx::u64 &word : reg.guest_ids)
		word = 0;
	reg.initialised = true;
	return 0;
}

extern "C" void kvmx_core_exit(void)
{
	// Every fd holds a module reference, so no VM can be alive here.
	kvmx::registry().initialised = false;
}

extern "C" long kvmx_dev_ioctl(unsigned int cmd, unsigned long arg)
{
	return kvmx::dev_ioctl(cmd, arg);
}

extern "C" unsigned int kvmx_core_nr_vms(void)
{
	return kvmx::atomic_read(&kvmx::registry().nr_vms);
}
