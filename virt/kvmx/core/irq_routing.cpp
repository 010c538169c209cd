// SPDX-License-Identifier: GPL-2.0
// KVM_SET_GSI_ROUTING with upstream's validation (virt/kvm/irqchip.c's rules, written
// from the API documentation): at most 4096 entries, no flags, GSIs below 4096, MSI
// entries may carry only KVM_MSI_VALID_DEVID, others no flags, a GSI routes to each
// irqchip at most once and to at most one non-irqchip target; the arch judges the rest.
// The table is replaced whole; readers (irq_set) hold the irq lock with interrupts off.
#include "irq_routing.hpp"
#include "arch.hpp"
#include "ioctl.hpp"
#include "irqfd.hpp"
#include "vm.hpp"

namespace kvmx {

struct IrqRouting {
	u32 nr;
	kvm_irq_routing_entry entries[]; // validated copies of the VMM's entries
};

namespace {

Status check_entry(const Vm *vm, const kvm_irq_routing_entry *prev, u32 nprev,
		   const kvm_irq_routing_entry &e)
{
	if (e.gsi >= max_irq_routes)
		return Status::error(-EINVAL);
	if (e.type == KVM_IRQ_ROUTING_MSI ? (e.flags & ~KVM_MSI_VALID_DEVID) : e.flags)
		return Status::error(-EINVAL);
	for (u32 i = 0; i < nprev; i++) {
		const kvm_irq_routing_entry &p = prev[i];
		if (p.gsi != e.gsi)
			continue;
		if (p.type != KVM_IRQ_ROUTING_IRQCHIP || e.type != KVM_IRQ_ROUTING_IRQCHIP ||
		    p.u.irqchip.irqchip == e.u.irqchip.irqchip)
			return Status::error(-EINVAL);
	}
	return arch_routing_entry_check(vm, e);
}

} // namespace

Status irq_state_init(Vm *vm)
{
	vm->irq = make_zeroed<IrqState>();
	if (!vm->irq)
		return Status::error(-ENOMEM);
	vm->irq->lock = kvmx_host_spinlock_create();
	return vm->irq->lock ? Status::ok() : Status::error(-ENOMEM);
}

void irq_state_destroy(Vm *vm)
{
	if (!vm->irq)
		return;
	irqfd_release_all(vm);
	kvmx_host_free(vm->irq->routing);
	kvmx_host_spinlock_destroy(vm->irq->lock);
	destroy(vm->irq);
	vm->irq = nullptr;
}

long set_gsi_routing(Vm *vm, unsigned long arg)
{
	struct {
		u32 nr, flags;
	} head;
	static_assert(sizeof(head) == kvm_irq_routing_head_size, "C layout of kvm_irq_routing");
	if (kvmx_host_copy_from_user(&head, arg, sizeof(head)))
		return -EFAULT;
	if (head.nr > max_irq_routes || head.flags)
		return -EINVAL;
	auto *fresh = static_cast<IrqRouting *>(
		kvmx_host_zalloc(sizeof(IrqRouting) + sizeof(kvm_irq_routing_entry) * head.nr));
	if (!fresh)
		return -ENOMEM;
	fresh->nr = head.nr;
	if (head.nr && kvmx_host_copy_from_user(fresh->entries, arg + sizeof(head),
						sizeof(kvm_irq_routing_entry) * head.nr)) {
		kvmx_host_free(fresh);
		return -EFAULT;
	}
	for (u32 i = 0; i < head.nr; i++) {
		Status st = check_entry(vm, fresh->entries, i, fresh->entries[i]);
		if (!st.is_ok()) {
			kvmx_host_free(fresh);
			return st.err();
		}
	}
	IrqRouting *old;
	{
		MutexGuard guard(vm->lock);
		IrqLockGuard irq(vm->irq->lock);
		old = vm->irq->routing;
		vm->irq->routing = fresh;
	}
	kvmx_host_free(old);
	return 0;
}

long signal_msi(Vm *vm, unsigned long arg)
{
	kvm_msi msi;
	if (kvmx_host_copy_from_user(&msi, arg, sizeof(msi)))
		return -EFAULT;
	if (!arch_irqchip_ready(vm) || (msi.flags & ~KVM_MSI_VALID_DEVID))
		return -EINVAL;
	return arch_signal_msi(vm, msi);
}

int irq_set(Vm *vm, u32 gsi, int level)
{
	IrqLockGuard irq(vm->irq->lock);
	return irq_set_locked(vm, gsi, level);
}

int irq_set_locked(Vm *vm, u32 gsi, int level)
{
	const IrqRouting *rt = vm->irq->routing;
	int n = 0;
	for (u32 i = 0; rt && i < rt->nr; i++) {
		if (rt->entries[i].gsi != gsi)
			continue;
		int r = arch_set_irq(vm, rt->entries[i], level);
		if (r < 0)
			return r;
		n++;
	}
	kvm_irq_routing_entry direct;
	if (!n && arch_gsi_direct(vm, gsi, &direct)) {
		int r = arch_set_irq(vm, direct, level);
		return r < 0 ? r : 1;
	}
	return n;
}

} // namespace kvmx
