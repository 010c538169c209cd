// SPDX-License-Identifier: GPL-2.0
// The guest's EL1 timers (virtual and physical) as interrupt sources. With the in-kernel
// vGIC their lines drive PPIs 27 and 30. Without one (KVM_CAP_ARM_USER_IRQ) they are
// reported to the VMM's own irqchip in kvm_run->s.regs.device_irq_level, and KVM_RUN
// returns (-EINTR, KVM_EXIT_INTR) before entering the guest whenever a line differs from
// what the VMM was last told. (The vtimer_ names predate the physical timer; each function
// below covers both timers unless it names one.)
#pragma once

#include "base.hpp"
#include "sysregs.hpp"

namespace kvmx {

// A timer's condition: enabled, not masked, compare value reached.
bool vtimer_level(Vcpu *vcpu);
bool ptimer_level(Vcpu *vcpu);
// The time until either timer's condition holds (0 when one does; KVMX_WAIT_FOREVER when
// neither can without a guest write).
u64 vtimer_deadline_ns(Vcpu *vcpu);

// The time until the guest's virtual count reaches @count (0 once it has;
// KVMX_WAIT_FOREVER when too far to say): a WFIT's timeout (exits.cpp).
u64 vcount_deadline_ns(Vcpu *vcpu, u64 count);

// Does the VMM's irqchip need to hear of a line change? (never with an in-kernel one)
bool vtimer_should_notify_user(Vcpu *vcpu);
// Write the lines into kvm_run for the VMM (every return from KVM_RUN).
void vtimer_update_run(Vcpu *vcpu);
// Just before entry, interrupts masked: false if the VMM must first hear of a line change
// (no entry then); with the in-kernel vGIC the lines drive the timers' PPIs instead. Then
// let each timer's host interrupt end the guest run while its line is low, and keep it
// masked while high (a level already delivered would otherwise end every entry at once).
bool vtimer_prepare_entry(Vcpu *vcpu);

// The guest's CNTPCT_EL0/CNTPCTSS_EL0 and CNTP_{CTL,CVAL,TVAL}_EL0 accesses, which trap
// while its physical counter has an offset (hyp/switch.cpp): done (*val read or written),
// undef (a write to a counter), or not_mine for any other register.
SysregClaim ptimer_sysreg(Vcpu *vcpu, u32 enc, bool read, u64 *val);

} // namespace kvmx
