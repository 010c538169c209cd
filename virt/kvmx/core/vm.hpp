// SPDX-License-Identifier: GPL-2.0
// The VM object: lifetime (reference counted, one reference per fd that names it), its
// vCPUs, memslots and the MMU state shared with the arch's stage-2 fault path, and the
// VM fd's ioctls.
#pragma once

#include "arch.hpp"
#include "base.hpp"
#include "coalesced_mmio.hpp"
#include "ioeventfd.hpp"
#include "irq_routing.hpp"
#include "memslot.hpp"
#include "vcpu.hpp"

namespace kvmx {

// Most vCPUs per VM and the bound on vCPU ids (KVM_CAP_MAX_VCPUS, KVM_CAP_MAX_VCPU_ID).
constexpr u32 max_vcpus = 512;

} // namespace kvmx

struct kvmx_vm {
	kvmx::u32 id;	       // for log tags only
	kvmx::u32 creator_pid; // names the stats files ("kvm-<pid>")
	kvmx::VmStats stats;
	kvmx::u32 refs;		      // atomic; the VM is freed when it drops to 0
	kvmx_mutex *lock;	      // serialises memslot changes and vCPU creation
	kvmx::MemslotTable *memslots; // written under lock + mmu_lock, read under either
	kvmx::Vcpu **vcpus;	      // [max_vcpus], by creation index; written under lock
	kvmx::u32 nr_vcpus;	      // atomic: vcpus[0, nr_vcpus) are valid
	bool has_run;		      // some vCPU entered the guest (configuration freezes)
	bool dead;		      // atomic: vm_mark_dead() was called: every ioctl -EIO
	// Guest memory (read by the arch's fault path). mmu_lock guards stage 2 and
	// memslot reads; a fault that raced an invalidation sees mmu_seq move or
	// mmu_in_progress set and retries.
	kvmx_spinlock *mmu_lock;
	kvmx::u64 mmu_seq;
	kvmx::u32 mmu_in_progress;
	kvmx_mmu_notifier *mmu_notifier;
	kvmx::u64 *dirty_bitmaps[kvmx::max_memslots]; // by slot id; written under both locks
	kvmx::u64 dirty_log_manual;		      // KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 flags
	kvmx::u32 max_halt_poll_ns;		      // KVM_CAP_HALT_POLL's bound (halt_poll.cpp)
	bool override_halt_poll_ns;	  // atomic (release after max_halt_poll_ns): the VMM chose
	kvmx::IoeventfdTable *ioeventfds; // KVM_IOEVENTFD (ioeventfd.cpp)
	kvmx::CoalescedMmio coalesced;	  // KVM_REGISTER_COALESCED_MMIO (coalesced_mmio.cpp)
	kvmx::IrqState *irq;		  // GSI routing and irqfds (irq_routing.cpp)
	kvmx::ArchVm arch;
};

namespace kvmx {

// KVM_CREATE_VM: a new VM holding one reference, or -EINVAL (bad type), -ENOMEM,
// -ENOSPC (max_vms reached).
Result<Vm *> vm_create(unsigned long type);
void vm_get(Vm *vm);
void vm_put(Vm *vm);

long vm_ioctl(Vm *vm, unsigned int cmd, unsigned long arg);

// KVM_ENABLE_CAP(KVM_CAP_HALT_POLL) on @vm (halt_poll.cpp): 0 or -EINVAL.
long halt_poll_enable_cap(Vm *vm, const kvm_enable_cap &cap);

// The vCPU created @idx-th (0-based), or nullptr.
Vcpu *vm_vcpu(Vm *vm, u32 idx);

// The VM cannot go on (upstream's kvm_vm_dead, e.g. the arm64 vGIC failed to map at the
// first run): from now on its VM, vCPU and device ioctls fail with -EIO; running vCPUs
// are kicked out. Any thread.
void vm_mark_dead(Vm *vm);
inline bool vm_is_dead(const Vm *vm)
{
	return load_acquire(&vm->dead);
}

} // namespace kvmx
