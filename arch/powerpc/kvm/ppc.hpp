// SPDX-License-Identifier: GPL-2.0
// What the files of arch/powerpc/kvm/ share: the world switch, exit handling, interrupt
// delivery and guest-memory helpers.
#pragma once

#include "arch.hpp"
#include "base.hpp"
#include "spr.hpp"
#include <kvmx/ppc.h>

namespace kvmx {

// Enter the guest once (interrupts hard-disabled by the caller) and fill vcpu->arch.exit.
// @lpcr is the LPCR to run with, @hdec the hypervisor decrementer.
void ppc_world_switch(Vcpu *vcpu, u64 lpcr, s64 hdec);

// Handle the exit in vcpu->arch.exit (interrupts enabled again).
Result<RunStep> ppc_handle_exit(Vcpu *vcpu);

// Deliver interrupt @vec to the guest now (as the hardware would): SRR0/SRR1 from the
// current PC/MSR with @srr1_flags, the MSR the LPCR asks for, PC at the vector.
void ppc_inject(Vcpu *vcpu, u64 vec, u64 srr1_flags);
// The interrupts kvmx delivers before entering the guest (external, when enabled).
void ppc_deliver_pending(Vcpu *vcpu, u64 *lpcr);

// Map the memslot page holding guest real address @gpa: true when mapped (or the fault
// should simply be retried), false when no memslot backs it (MMIO, or a write to a
// read-only slot), or an error (-EFAULT: no user memory).
Result<bool> ppc_map_guest_page(Vcpu *vcpu, u64 gpa, bool write);

// Read @len bytes of guest real memory at @gpa (memslots only). 0 or -EFAULT.
int ppc_read_guest(Vcpu *vcpu, u64 gpa, void *buf, u32 len);

// The guest's timebase now (no offset: the host's).
inline u64 ppc_tb()
{
	return ppc::mftb();
}

// Finish an MMIO load the VMM completed (KVM_RUN after KVM_EXIT_MMIO).
void ppc_mmio_complete(Vcpu *vcpu);

} // namespace kvmx
