// SPDX-License-Identifier: GPL-2.0
// The EL1 virtual timer as an interrupt source. Without an in-kernel interrupt controller
// (KVM_CAP_ARM_USER_IRQ) its output line is reported to the VMM's own irqchip in
// kvm_run->s.regs.device_irq_level, and KVM_RUN returns (-EINTR, KVM_EXIT_INTR) before
// entering the guest whenever the line differs from what the VMM was last told.
#pragma once

#include "base.hpp"

namespace kvmx {

// The timer's condition: enabled, not masked, compare value reached. The time until it
// will be (0 when it is; KVMX_WAIT_FOREVER when it cannot be without a guest write).
bool vtimer_level(Vcpu *vcpu);
u64 vtimer_deadline_ns(Vcpu *vcpu);

// Does the VMM's irqchip need to hear of a line change? (never with an in-kernel one)
bool vtimer_should_notify_user(Vcpu *vcpu);
// Write the line into kvm_run for the VMM (every return from KVM_RUN).
void vtimer_update_run(Vcpu *vcpu);
// Just before entry, interrupts masked: false if the VMM must first hear of a line change
// (no entry then). Otherwise let the timer's host interrupt end the guest run while the
// line is low, and keep it masked while high (a level the VMM knows of would otherwise end
// every entry at once).
bool vtimer_prepare_entry(Vcpu *vcpu);

} // namespace kvmx
