// SPDX-License-Identifier: GPL-2.0
// The XIVE (eXternal Interrupt Virtualization Engine) native exploitation device of a
// POWER9 VM, upstream's KVM_DEV_TYPE_XIVE ABI: what the VM, vCPU and world-switch code
// need from it. Vocabulary: Documentation/virt/kvmx/xive.rst.
#pragma once

#include "base.hpp"
#include <kvmx/xive.h>
#include <linux/kvm.h>

namespace kvmx {

struct XiveVcpu;

// KVM_CHECK_EXTENSION(KVM_CAP_PPC_IRQ_XIVE): 1 where the host can serve the device.
bool xive_host_ok();
// KVM_CREATE_DEVICE(KVM_DEV_TYPE_XIVE) on @vm: 0 with cd->fd set (or a test-only
// success), -ENODEV (no XIVE here), -EEXIST (one per VM), -ENOMEM.
long xive_create_device(Vm *vm, kvm_create_device *cd);
// vCPU KVM_ENABLE_CAP(KVM_CAP_PPC_IRQ_XIVE): connect @vcpu (locked) to the device
// behind fd args[0] as server args[1].
long xive_connect_vcpu(Vcpu *vcpu, const kvm_enable_cap &cap);
// KVM_REG_PPC_VP_STATE of a connected vCPU (locked): -ENXIO when not connected.
long xive_get_vp_state(Vcpu *vcpu, u64 val[2]);
long xive_set_vp_state(Vcpu *vcpu, const u64 val[2]);

// An in-kernel interrupt source (irqfd) drives source @irq of @vm's XIVE device to
// @level, as upstream's kvmppc_xive_set_irq: a level of 0 (or KVM_INTERRUPT_UNSET) only
// deasserts; anything else triggers the source. Called with the VM's irq lock held and
// interrupts off (never sleeps). 0, -ENODEV (no device), -EINVAL (no such source).
int xive_set_irq(Vm *vm, u32 irq, int level);

// World switch (interrupts hard-disabled): dispatch the vCPU's VP on this thread before
// the guest runs, undispatch it after the exit. No-ops for an unconnected vCPU.
void xive_push(Vcpu *vcpu);
void xive_pull(Vcpu *vcpu);
// Whether the context saved at the last pull holds an interrupt its CPPR lets through
// (then the vCPU must not idle, and an entry with MSR[EE] set delivers an external
// interrupt). Events that escalated since only wake the vCPU (pend_xive).
bool xive_pending(const Vcpu *vcpu);

} // namespace kvmx
