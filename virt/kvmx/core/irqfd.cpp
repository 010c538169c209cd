// SPDX-License-Identifier: GPL-2.0
// KVM_IRQFD with upstream's ABI: flags DEASSIGN and RESAMPLE only (-EINVAL otherwise),
// -EAGAIN while the VM has no in-kernel interrupt controller ready, -EBADF/-EINVAL for a
// descriptor that is no eventfd, -EBUSY for an eventfd already bound on this VM;
// deassigning what is not bound succeeds. An irqfd ends when the VMM deassigns it, when
// its eventfd's last descriptor closes, or with the VM. The watch itself is the host's.
#include "irqfd.hpp"
#include "arch.hpp"
#include "irq_routing.hpp"
#include "vm.hpp"
#include <linux/kvm.h>

namespace kvmx {

struct Irqfd {
	Vm *vm;
	u32 gsi;
	kvmx_eventfd_watch *watch;
	kvmx_eventfd *efd;	// what the watch watches (identity only)
	kvmx_eventfd *resample; // level-triggered if set
	u32 live;		// atomic: published, fire may inject
	u32 missed;		// atomic: fired before it was published
	u32 resample_due;	// atomic: acknowledged, resample eventfd not yet signalled
	Irqfd *next;		// VM list, under the VM lock
};

namespace {

void inject(Irqfd *irqfd)
{
	irq_set(irqfd->vm, irqfd->gsi, 1);
	if (!irqfd->resample && !arch_irqfd_raise_only(irqfd->vm))
		irq_set(irqfd->vm, irqfd->gsi, 0);
}

void fire(void *arg)
{
	auto *irqfd = static_cast<Irqfd *>(arg);
	if (load_acquire(&irqfd->live))
		inject(irqfd);
	else
		store_release(&irqfd->missed, 1u);
}

// Unlink @irqfd from its VM's list (VM lock held); false if it was not there.
bool unlink(Irqfd *irqfd)
{
	IrqLockGuard irq(irqfd->vm->irq->lock);
	for (Irqfd **p = &irqfd->vm->irq->irqfds; *p; p = &(*p)->next) {
		if (*p == irqfd) {
			*p = irqfd->next;
			return true;
		}
	}
	return false;
}

void free_irqfd(Irqfd *irqfd)
{
	kvmx_host_eventfd_put(irqfd->resample);
	destroy(irqfd);
}

int hangup(void *arg)
{
	auto *irqfd = static_cast<Irqfd *>(arg);
	bool mine;
	{
		MutexGuard guard(irqfd->vm->lock);
		mine = unlink(irqfd);
	}
	if (!mine)
		return 0; // a deassign or the VM's release has it and unwatches it
	if (irqfd->resample)
		irq_set(irqfd->vm, irqfd->gsi, 0);
	free_irqfd(irqfd);
	return 1; // the host ends the watch
}

long assign(Vm *vm, const kvm_irqfd &args)
{
	if (!arch_irqchip_ready(vm))
		return -EAGAIN;
	Irqfd *irqfd = make_zeroed<Irqfd>();
	if (!irqfd)
		return -ENOMEM;
	irqfd->vm = vm;
	irqfd->gsi = args.gsi;
	int err = 0, pending = 0;
	if (args.flags & KVM_IRQFD_FLAG_RESAMPLE) {
		irqfd->resample = kvmx_host_eventfd_get(static_cast<int>(args.resamplefd), &err);
		if (!irqfd->resample) {
			free_irqfd(irqfd);
			return err;
		}
	}
	irqfd->watch = kvmx_host_eventfd_watch(static_cast<int>(args.fd), fire, hangup, irqfd, &err,
					       &pending);
	if (!irqfd->watch) {
		free_irqfd(irqfd);
		return err;
	}
	irqfd->efd = kvmx_host_eventfd_watched(irqfd->watch);
	bool busy = false;
	{
		MutexGuard guard(vm->lock);
		for (Irqfd *p = vm->irq->irqfds; p && !busy; p = p->next)
			busy = p->efd == irqfd->efd;
		if (!busy) {
			IrqLockGuard irq(vm->irq->lock);
			irqfd->next = vm->irq->irqfds;
			vm->irq->irqfds = irqfd;
			store_release(&irqfd->live, 1u);
		}
	}
	if (busy) {
		kvmx_host_eventfd_unwatch(irqfd->watch);
		free_irqfd(irqfd);
		return -EBUSY;
	}
	// A write that came before the irqfd was live is delivered now, as upstream does.
	if (exchange(&irqfd->missed, 0u) || pending)
		inject(irqfd);
	return 0;
}

long deassign(Vm *vm, const kvm_irqfd &args)
{
	int err = 0;
	kvmx_eventfd *efd = kvmx_host_eventfd_get(static_cast<int>(args.fd), &err);
	if (!efd)
		return err;
	Irqfd *gone = nullptr;
	{
		MutexGuard guard(vm->lock);
		for (Irqfd *p = vm->irq->irqfds; p; p = p->next) {
			if (p->efd == efd && p->gsi == args.gsi) {
				gone = p;
				break;
			}
		}
		if (gone)
			unlink(gone);
	}
	kvmx_host_eventfd_put(efd);
	if (gone) {
		kvmx_host_eventfd_unwatch(gone->watch);
		if (gone->resample)
			irq_set(vm, gone->gsi, 0);
		free_irqfd(gone);
	}
	return 0;
}

} // namespace

long irqfd_ioctl(Vm *vm, unsigned long arg)
{
	kvm_irqfd args;
	if (kvmx_host_copy_from_user(&args, arg, sizeof(args)))
		return -EFAULT;
	if (args.flags & ~(KVM_IRQFD_FLAG_DEASSIGN | KVM_IRQFD_FLAG_RESAMPLE))
		return -EINVAL;
	if (args.flags & KVM_IRQFD_FLAG_DEASSIGN)
		return deassign(vm, args);
	return assign(vm, args);
}

void irqfd_release_all(Vm *vm)
{
	for (;;) {
		Irqfd *irqfd;
		{
			MutexGuard guard(vm->lock);
			irqfd = vm->irq->irqfds;
			if (irqfd)
				unlink(irqfd);
		}
		if (!irqfd)
			return;
		kvmx_host_eventfd_unwatch(irqfd->watch);
		free_irqfd(irqfd);
	}
}

void irqfd_resample(Vm *vm, u32 gsi)
{
	// From the interrupt controller's acknowledge path, which may not sleep. The
	// resample eventfds are signalled later by irqfd_resample_flush, outside this lock:
	// signalling wakes the eventfd's waiters, which may be irqfds taking this lock.
	IrqLockGuard irq(vm->irq->lock);
	bool lowered = false;
	for (Irqfd *p = vm->irq->irqfds; p; p = p->next) {
		if (p->gsi != gsi || !p->resample)
			continue;
		if (!lowered) {
			irq_set_locked(vm, gsi, 0);
			lowered = true;
		}
		store_release(&p->resample_due, 1u);
	}
}

void irqfd_resample_flush(Vm *vm)
{
	MutexGuard guard(vm->lock); // listed irqfds stay alive and keep their eventfds
	for (Irqfd *p = vm->irq->irqfds; p; p = p->next) {
		if (p->resample && exchange(&p->resample_due, 0u))
			kvmx_host_eventfd_signal(p->resample);
	}
}

} // namespace kvmx
