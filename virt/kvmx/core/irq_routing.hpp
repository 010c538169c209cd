// SPDX-License-Identifier: GPL-2.0
// GSI routing (KVM_SET_GSI_ROUTING) and the one path every in-kernel interrupt source
// takes to the arch's interrupt controller: irq_set(vm, gsi, level) looks the GSI up and
// hands each of its routes to arch_set_irq. Arch-neutral; the arch validates entries.
#pragma once

#include "base.hpp"
#include <linux/kvm.h>

namespace kvmx {

// Upstream's bound on GSIs and on the entries of one KVM_SET_GSI_ROUTING.
constexpr u32 max_irq_routes = 4096;

struct IrqRouting;

struct IrqState {
	kvmx_spinlock *lock;  // taken with interrupts off: irqfds fire in atomic context
	IrqRouting *routing;  // swapped under `lock`, replaced under the VM lock
	struct Irqfd *irqfds; // KVM_IRQFD list: changed under the VM lock and `lock`
};

Status irq_state_init(Vm *vm);
void irq_state_destroy(Vm *vm);

// Holds the irq lock with this CPU's interrupts off (irqfds fire from any context).
class IrqLockGuard {
public:
	explicit IrqLockGuard(kvmx_spinlock *lock) : lock_(lock)
	{
		flags_ = kvmx_host_irq_save();
		kvmx_host_spin_lock(lock_);
	}
	~IrqLockGuard()
	{
		kvmx_host_spin_unlock(lock_);
		kvmx_host_irq_restore(flags_);
	}
	IrqLockGuard(const IrqLockGuard &) = delete;
	IrqLockGuard &operator=(const IrqLockGuard &) = delete;

private:
	kvmx_spinlock *lock_;
	unsigned long flags_;
};

// KVM_SET_GSI_ROUTING on the VM fd.
long set_gsi_routing(Vm *vm, unsigned long arg);

// KVM_SIGNAL_MSI on the VM fd: -EINVAL without an in-kernel interrupt controller or
// with flags other than KVM_MSI_VALID_DEVID (upstream's answers), else the arch's.
long signal_msi(Vm *vm, unsigned long arg);

// Drive GSI @gsi to @level through its routes; any context, never sleeps. The number of
// routes that took it (0: nothing routed there), or -errno from the arch.
int irq_set(Vm *vm, u32 gsi, int level);
// The same with the irq lock already held.
int irq_set_locked(Vm *vm, u32 gsi, int level);

} // namespace kvmx
