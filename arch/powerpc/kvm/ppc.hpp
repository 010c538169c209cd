// SPDX-License-Identifier: GPL-2.0
// What the files of arch/powerpc/kvm/ share: the world switch, exit handling, interrupt
// delivery and guest-memory helpers.
#pragma once

#include "arch.hpp"
#include "base.hpp"
#include "spr.hpp"
#include "vcpu.hpp"
#include <kvmx/ppc.h>
#include <linux/kvm.h>

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

// The host's timebase now.
inline u64 ppc_tb()
{
	return ppc::mftb();
}

// The vCPU's timebase now (outside the guest section): the host's plus its offset.
inline u64 ppc_guest_tb(const Vcpu *vcpu)
{
	return ppc::mftb() + vcpu->arch.tb_offset;
}

// Finish an MMIO load the VMM completed (KVM_RUN after KVM_EXIT_MMIO).
void ppc_mmio_complete(Vcpu *vcpu);

// The host information ioctls (host_info.cpp): copy the answer to user @arg, 0 or -EFAULT.
long ppc_get_smmu_info(unsigned long arg);
long ppc_get_rmmu_info(unsigned long arg);
long ppc_get_cpu_char(unsigned long arg);

// The highest PAPR hypercall number upstream knows (H_WATCHDOG): KVM_CAP_PPC_ENABLE_HCALL
// refuses anything above it.
constexpr u64 max_hcall_opcode = 0x45c;
// H_REGISTER_VPA by @vcpu (flags, target vCPU id, guest real address): the PAPR return
// code (vpa.cpp). ONE_REG of KVM_REG_PPC_VPA_ADDR/SLB/DTL: 0 or -EINVAL.
u64 ppc_h_register_vpa(Vcpu *vcpu, u64 flags, u64 target, u64 gpa);
long ppc_vpa_get_reg(Vcpu *vcpu, u64 id, u64 val[2]);
long ppc_vpa_set_reg(Vcpu *vcpu, u64 id, const u64 val[2]);

// KVM_GET_ONE_REG (@set false) and KVM_SET_ONE_REG (one_reg.cpp).
long ppc_one_reg(Vcpu *vcpu, unsigned long arg, bool set);

// The TCE hypercalls (tce.cpp): true when answered here (r3, r4 set), false when they go
// to userspace (no table for the LIOBN, or what upstream calls H_TOO_HARD).
bool ppc_tce_hcall(Vcpu *vcpu, u64 nr);
// KVM_CREATE_SPAPR_TCE(_64): the table's fd or -errno.
long ppc_create_spapr_tce(Vm *vm, const kvm_create_spapr_tce_64 &args);
// The in-kernel hypercalls switched on in a new VM (exits.cpp).
u32 ppc_hcalls_default_on();

// KVM_CAP_PPC_ENABLE_HCALL for hypercall @nr: 0, or -EINVAL when kvmx has no in-kernel
// implementation of it (exits.cpp).
long ppc_hcall_set_enabled(Vm *vm, u64 nr, bool enable);

} // namespace kvmx
