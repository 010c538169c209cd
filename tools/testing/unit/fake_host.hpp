// SPDX-License-Identifier: GPL-2.0
// Test control over the fake include/kvmx/host.h (fake_host.cpp): allocation accounting,
// fd table, user pages, wait queues, signals, injected failures and captured log lines.
// Single-threaded: nothing here ever blocks, and lock misuse is counted, not deadlocked.
#pragma once

#include <kvmx/core.h>
#include <string>
#include <vector>

namespace fake_host {

// Reset all fake state; call between tests (the Core fixture does).
// The size of kvmx_host_alloc_page's pages (the host's PAGE_SIZE; 4096 after reset).
void set_page_bytes(size_t bytes);
void reset();

long live_allocs();
// Make the n-th next allocation (0 = the very next) fail.
void fail_alloc_after(int n);

// The fd table shared by VM, vCPU and stats fds, as one process's fd table would be.
// VM fds handed out by kvmx_host_vm_fd_install: fd -> VM, nullptr once closed (or if the
// fd is not a VM fd).
struct kvmx_vm *vm_of_fd(int fd);
// vCPU fds handed out by kvmx_host_vcpu_fd_install: fd -> vCPU, nullptr otherwise.
struct kvmx_vcpu *vcpu_of_fd(int fd);
// The "kvm-vcpu:<id>" id the vCPU fd was installed with, -1 if @fd is not a vCPU fd.
int vcpu_fd_id(int fd);
int open_vm_fds();
int open_vcpu_fds();
// An ioctl on a vGIC device fd KVM_CREATE_DEVICE returned (-EBADF for any other fd).
long vgic_fd_ioctl(int fd, unsigned int cmd, unsigned long arg);
int open_fds(); // of any kind
// Close the fd: drops the fd's reference through kvmx_vm_release / kvmx_vcpu_release, as
// the kernel does when the last user of the file goes away.
void close_fd(int fd);
// Make the next fd install (VM, vCPU or stats) fail with this -errno.
void fail_next_fd_install(int err);
// mmap of a vCPU fd: the kernel address of page @pgoff (kvmx_vcpu_mmap_page), or nullptr.
void *vcpu_mmap(int fd, unsigned long pgoff);

// User memory: addresses below this are unmapped and fault.
constexpr unsigned long fault_below = 0x10000;
inline kvmx_uptr uptr(const void *p)
{
	return reinterpret_cast<kvmx_uptr>(p);
}

// kvmx_host_get_user_page / put_user_page: pa = hva (the identity "physical" space of this
// fake) for hva >= fault_below, else -EFAULT.
struct UserPageStats {
	long gets;	    // successful get_user_page calls
	long puts;	    // put_user_page calls
	long dirty_puts;    // of which marked the page dirty
	long write_gets;    // successful gets for writing
	long fast_gets;	    // of which by get_user_page_fast
	kvmx_uptr last_hva; // of the last get (successful or not)
	bool last_write;
};
const UserPageStats &user_pages();
// References taken and not yet dropped (gets - puts): 0 after every ioctl.
long user_page_refs();
// Make the next get_user_page fail with this -errno (-EFAULT, -EHWPOISON, -EINTR...).
void fail_next_get_user_page(int err);
// Make @hva's page one the process has mapped already (writable or not), so that
// get_user_page_fast finds it. Cleared by reset().
void mark_user_page_present(kvmx_uptr hva, bool writable);
// Called inside get_user_page after the reference is taken, e.g. to run an MMU-notifier
// invalidation that races the fault. Cleared by reset().
void on_get_user_page(void (*hook)(kvmx_uptr hva, void *arg), void *arg);

// MMU notifiers registered and not yet unregistered, and the VM of the last one.
int live_mmu_notifiers();
struct kvmx_vm *mmu_notifier_vm();

// Wait queues: kvmx_host_wait never sleeps. It calls ready(); 0 if it says so. Else,
// with a finite timeout, the time passes (kvmx_host_time_ns and the on_wait_timeout hook
// move on by it) and the wait returns -ETIME; with KVMX_WAIT_FOREVER a signal comes: it
// becomes pending (set_signal_pending(false) clears it) and the wait returns -EINTR.
struct WaitStats {
	long waits;		  // kvmx_host_wait calls
	long wakes;		  // kvmx_host_wake calls
	kvmx_u64 last_timeout_ns; // of the last wait
	int last_result;
};
const WaitStats &waits();
// Called with the timeout of every wait that timed out (fake_arch moves its counter).
void on_wait_timeout(void (*hook)(kvmx_u64 ns));

// kvmx_host_signal_pending's answer; counts of the checks and of cond_resched.
void set_signal_pending(bool pending);
// kvmx_host_fatal_signal_pending's answer (SIGKILL pending).
void set_fatal_signal_pending(bool pending);
// What kvmx_host_sigmask_enter/leave saw: KVM_RUN ran with the mask @last while active.
struct SigmaskState {
	bool active;
	kvmx_u64 last;
	int enters;
	int unbalanced; // an enter while active, or a leave while not
};
extern SigmaskState sigmask_state;
long signal_checks();
long resched_calls();

// kvmx_host_cpu_id's answer (default 0), and the kicks sent to each CPU.
void set_cpu_id(unsigned int cpu);
long kicks(unsigned int cpu);
// Halt polling: the module parameter's answer (default 0: never poll), can_poll's
// (default yes), and cpu_relax, which moves time on by @step_ns (default 100) and then
// calls @hook with the new time (cleared by reset()); the relax calls so far.
void set_halt_poll_ns(unsigned int ns);
void set_can_poll(bool can);
void on_cpu_relax(kvmx_u64 step_ns, void (*hook)(kvmx_u64 now));
long relax_calls();
void set_time_ns(kvmx_u64 ns);
void set_realtime_ns(kvmx_u64 ns);
void set_run_delay_ns(kvmx_u64 ns);
// kvmx_host_random_bytes calls (which fill 0xa0, 0xa1, ... : not random at all).
long random_requests();
void set_pid(unsigned int pid);
// kvmx_host_fpsimd_begin/end pairs completed, and whether one is open now.
long fpsimd_sections();
bool fpsimd_open();

// Host-interface misuse seen so far (0 in a correct run): spinlocks taken twice or
// released unheld, sleeping calls (allocation, user copies, mutexes, user pages, waits)
// made with a spinlock held or interrupts masked, unbalanced irq_save/restore or FP/SIMD
// sections. misuse_log says what happened.
int misuse();
const std::vector<std::string> &misuse_log();
int spinlocks_held();
// Spinlock acquisitions since the host was created (hot paths that must avoid the lock).
long spinlock_acquisitions();
int irqs_masked();
// The thread is scheduled out (kvmx_host_wait does it too when it does not end at once):
// the sched-out hook entered, if any, runs with interrupts masked. How often so far, and
// whether a hook is entered now (between kvmx_host_sched_hook_enter and _leave).
void sched_out();
long sched_outs();
bool sched_hook_entered();

// Eventfds: descriptors 100..163 are eventfds (any other >= 0 is "not an eventfd",
// negative ones do not exist). counter() is what a read would return; write() adds 1
// and, if the eventfd is watched, consumes it and calls the watch's fire (as the kernel's
// wake-up does); close() is the last close: the watch's hangup runs. References taken
// and not yet dropped (get/put, watches) are counted.
constexpr int eventfd_first = 100, eventfd_count = 64;
kvmx_u64 eventfd_counter(int fd);
void eventfd_write(int fd);
void eventfd_close(int fd);
long eventfd_refs();
int eventfd_watches();

// The virtual timer's last kvmx_host_arm64_timer_irqs state (1 enabled, 0 masked), -1 if
// never set.
int vtimer_irq();
// The last kvmx_host_arm64_timer_irqs active state of timer @n (0 virtual, 1 physical).
int timer_active(unsigned int n);

// Host perf counters behind guest PMU counters: how many exist; advance the enabled one
// counting @event at EL1 (or EL0) by @n, with perf's overflow callback when its period
// elapses (false if there is none); make creation fail.
int pmu_events();
bool pmu_count(unsigned int event, bool el1, kvmx_u64 n);
void set_pmu_create_fails(bool fail);

const std::vector<std::string> &log_lines();
int guest_log_lines();

} // namespace fake_host
