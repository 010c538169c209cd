// SPDX-License-Identifier: GPL-2.0
// Handling of arm64 guest exits, and the blocking a trapped WFI implies.
#pragma once

#include "arch.hpp"
#include "hyp/switch.hpp"

namespace kvmx {

// Dispatch one exit by ESR_EL2.EC (exits.cpp's table).
Result<RunStep> handle_exit(Vcpu *vcpu, const ExitInfo &exit);

// Block as for a WFI until an interrupt is pending for the vCPU, its virtual timer
// fires, a kick or a signal (PSCI CPU_SUSPEND uses it too).
void psci_suspend_as_wfi(Vcpu *vcpu);

// WFI wake-up events: an interrupt line the VMM raised, or the virtual timer's
// condition; and the time until the timer's (KVMX_WAIT_FOREVER for none).
bool psci_wake_event_pending(Vcpu *vcpu);
u64 psci_wake_timeout_ns(Vcpu *vcpu);

// Finish the MMIO access kvm_run returned to userspace (KVM_RUN entry).
void mmio_complete(Vcpu *vcpu);

// Guest memory faults (mmu.cpp): map the page from its memslot, or turn the access
// into KVM_EXIT_MMIO, or inject an abort.
Result<RunStep> handle_guest_abort(Vcpu *vcpu, const ExitInfo &exit);

} // namespace kvmx
