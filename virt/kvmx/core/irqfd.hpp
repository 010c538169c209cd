// SPDX-License-Identifier: GPL-2.0
// KVM_IRQFD: a write to an eventfd raises a GSI in the kernel (edge: raise and lower;
// with a resample eventfd, level: raised until the guest acknowledges it, then lowered
// and the resample eventfd signalled so the VMM re-checks its device).
#pragma once

#include "base.hpp"

namespace kvmx {

// KVM_IRQFD on the VM fd.
long irqfd_ioctl(Vm *vm, unsigned long arg);

// The VM is going away: end every irqfd (no VM lock held; may sleep).
void irqfd_release_all(Vm *vm);

// The arch's interrupt controller saw the guest acknowledge level GSI @gsi: lower it for
// every resampling irqfd on it (any context, never sleeps); their resample eventfds are
// signalled by the next irqfd_resample_flush (process context, no lock held), which the
// arch calls once it may sleep again.
void irqfd_resample(Vm *vm, u32 gsi);
void irqfd_resample_flush(Vm *vm);

} // namespace kvmx
