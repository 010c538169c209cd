// SPDX-License-Identifier: GPL-2.0
// The vCPU object: created by KVM_CREATE_VCPU, owned by its VM (freed with it), reached
// from userspace through its fd, which holds a reference on the VM. Generic vCPU ioctls
// and the run loop live here; everything about registers and exits is arch code.
#pragma once

#include "arch.hpp"
#include "base.hpp"
#include <linux/kvm.h>

namespace kvmx {

// Binary statistics (KVM_GET_STATS_FD), in the order of stats.cpp's descriptor table.
struct VcpuStats {
	u64 halt_wakeup;      // WFI blocks that ended with a wake-up
	u64 exits;	      // guest exits of any kind
	u64 signal_exits;     // KVM_RUN returns with -EINTR
	u64 wfe_exit_stat;    // WFE traps
	u64 wfi_exit_stat;    // WFI traps
	u64 hvc_exit_stat;    // HVC traps
	u64 mmio_exit_user;   // MMIO handed to userspace
	u64 mmio_exit_kernel; // MMIO handled in the kernel
	u64 irq_exits;	      // host interrupts during a guest run
	// Halt polling (halt_poll.cpp), upstream's names and meanings.
	u64 halt_successful_poll; // halts that ended while polling (no sleep)
	u64 halt_attempted_poll;  // halts that polled at all
	u64 halt_poll_invalid;	  // successful polls ended by a kick with nothing to do
	u64 halt_poll_success_ns; // time polled in successful polls
	u64 halt_poll_fail_ns;	  // time polled in polls that ended in a sleep
	u64 halt_wait_ns;	  // time slept after polling
};

// VM-wide statistics, same rules.
struct VmStats {
	u64 remote_tlb_flush;	       // broadcast stage-2 TLB invalidations done
	u64 remote_tlb_flush_requests; // requests for one (same here: no batching)
};

} // namespace kvmx

struct kvmx_vcpu {
	kvmx::Vm *vm;		// the fd's reference on the VM keeps it alive
	kvmx::u32 id;		// KVM_CREATE_VCPU's argument (arm64: selects MPIDR)
	kvmx::u32 idx;		// creation order, 0-based: index in vm->vcpus
	kvmx_mutex *lock;	// held across every vCPU ioctl (VcpuLocked)
	kvm_run *run;		// the page userspace mmaps at offset 0
	kvmx_waitq *wq;		// a blocked (WFI, stopped) vCPU sleeps here
	kvmx::u32 wake_req;	// atomic: set by kicks, consumed by a blocked vCPU
	kvmx::u32 halt_poll_ns; // this vCPU's poll window now (halt_poll.cpp); vCPU thread
	kvmx::VcpuStats stats;	// updated by the vCPU thread only
	bool sigset_active;	// KVM_SET_SIGNAL_MASK gave a mask for KVM_RUN (vCPU lock)
	kvmx::u64 sigset;
	kvmx::ArchVcpu arch;
};

namespace kvmx {

// KVM_CREATE_VCPU on @vm: the new vCPU's fd or -errno.
long vcpu_create(Vm *vm, unsigned long id);
// The vCPU object alone (id @id, creation index @idx), not yet visible to anyone: for
// vcpu_create and the in-kernel KUnit suites, which publish it without an fd.
Result<Vcpu *> vcpu_alloc(Vm *vm, u32 id, u32 idx);
// Free a vCPU whose VM is going away (no fd references it any more).
void vcpu_free(Vcpu *vcpu);
long vcpu_ioctl(Vcpu *vcpu, unsigned int cmd, unsigned long arg);

// Make a vCPU blocked in the kernel re-check its wake-up conditions, and make one in
// the guest exit promptly (an IPI to its CPU). Any thread.
void vcpu_kick(Vcpu *vcpu);

// vcpu_kick for a change the vCPU's own wake-up condition (vcpu_block's @ready) reports,
// such as an interrupt queued in an in-kernel irqchip: a blocked vCPU wakes and
// re-checks it, one in the guest exits, and no kick is left behind. A kick left behind
// would end the vCPU's next halt at once with nothing to do (a spurious wake-up, which
// also closes its poll window): the vCPU's own thread queues interrupts for itself
// before every entry (the timers' lines).
void vcpu_kick_ready(Vcpu *vcpu);

// Block the calling vCPU thread until @ready(@vcpu) or a kick, @timeout_ns, or a signal.
// 0 (woken), -ETIME, -EINTR.
int vcpu_block(Vcpu *vcpu, u64 timeout_ns, bool (*ready)(Vcpu *vcpu));

// The guest idles (WFI, H_CEDE, stop): as vcpu_block, after a short busy wait for the
// same conditions (halt polling, halt_poll.cpp) whose length adapts to the vCPU's recent
// halts within the VM's bound (KVM_CAP_HALT_POLL, else the module's halt_poll_ns).
// An arch that calls it defines KVMX_ARCH_HALT_POLL in its arch_vcpu.hpp, which makes
// KVM_CAP_HALT_POLL read 1 and KVM_ENABLE_CAP(KVM_CAP_HALT_POLL) work on its VMs.
enum class HaltEnd {
	polled,	     // a wake-up condition came while polling: the thread never slept
	woken,	     // it slept and @ready or a kick woke it
	timed_out,   // @timeout_ns passed
	interrupted, // a signal is pending
};
HaltEnd vcpu_halt(Vcpu *vcpu, u64 timeout_ns, bool (*ready)(Vcpu *vcpu));

} // namespace kvmx
