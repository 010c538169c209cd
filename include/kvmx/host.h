/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host interface: the only way the C++ core reaches the operating system.
 * Implemented by virt/kvmx/host.c in the kernel and by tools/testing/unit/fake_host.cpp
 * (malloc, memcpy) in the host unit tests. Plain C, no Linux types, so both sides parse it.
 */
#ifndef KVMX_HOST_H
#define KVMX_HOST_H

#ifdef __cplusplus
extern "C" {
#endif

typedef __SIZE_TYPE__ kvmx_size_t;
typedef unsigned long long kvmx_u64; /* same type as the kernel's u64 on every arch */
typedef unsigned long kvmx_uptr;     /* a userspace address, never dereferenced by the core */

struct kvmx_vm;

/* Memory: zeroed on success, NULL on failure. May sleep. */
void *kvmx_host_zalloc(kvmx_size_t size);
void kvmx_host_free(void *ptr);

/* Whole pages (4 KB, zeroed, page aligned) for page tables and shared pages; may sleep. */
void *kvmx_host_alloc_page(void);
void kvmx_host_free_page(void *page);
/*
 * A table the architecture sizes, whatever the host's page size: @bytes (a power of two,
 * at most 1 MB) of zeroed, physically contiguous memory aligned to @bytes (POWER's 64 KB
 * radix root on a 4 KB-page kernel). Free with the same @bytes. May sleep.
 */
void *kvmx_host_alloc_table(kvmx_u64 bytes);
void kvmx_host_free_table(void *table, kvmx_u64 bytes);
/* Linear-map translation of memory from kvmx_host_alloc_page (and back). */
kvmx_u64 kvmx_host_virt_to_phys(const void *va);
void *kvmx_host_phys_to_virt(kvmx_u64 pa);

/* Mask/unmask interrupts on this CPU (local_irq_save/restore); also stops preemption. */
unsigned long kvmx_host_irq_save(void);
void kvmx_host_irq_restore(unsigned long flags);

/* Sleeping locks. create returns NULL when out of memory. */
struct kvmx_mutex;
struct kvmx_mutex *kvmx_host_mutex_create(void);
void kvmx_host_mutex_destroy(struct kvmx_mutex *mutex);
void kvmx_host_mutex_lock(struct kvmx_mutex *mutex);
void kvmx_host_mutex_unlock(struct kvmx_mutex *mutex);
/* 1 if the mutex was free and is now held by the caller, 0 if someone holds it. */
int kvmx_host_mutex_trylock(struct kvmx_mutex *mutex);

/*
 * 1 if [addr, addr + len) is an untagged range of the calling process's user address
 * space (access_ok), else 0. Says nothing about what is mapped there.
 */
int kvmx_host_user_range_ok(kvmx_uptr addr, kvmx_size_t len);

/* Userspace copies: 0 on success, -EFAULT if any byte could not be copied. */
int kvmx_host_copy_from_user(void *dst, kvmx_uptr src, kvmx_size_t len);
int kvmx_host_copy_to_user(kvmx_uptr dst, const void *src, kvmx_size_t len);

/*
 * File descriptors: wrap @vm in a new anonymous-inode fd for the calling process.
 * Returns the fd or -errno. On success the fd owns one reference to @vm and drops it
 * through kvmx_vm_release() when the last user of the file closes it.
 */
int kvmx_host_vm_fd_install(struct kvmx_vm *vm);

/*
 * vCPU fds: wrap @vcpu in a new anonymous-inode fd ("kvm-vcpu:<id>"). Same ownership
 * rule as the VM fd: on success the fd owns one reference and drops it through
 * kvmx_vcpu_release(); mmap of the fd maps kvmx_vcpu_mmap_page().
 */
struct kvmx_vcpu;
int kvmx_host_vcpu_fd_install(struct kvmx_vcpu *vcpu, unsigned int id);

/*
 * Binary stats fds (KVM_GET_STATS_FD) of @vm, or of @vcpu when not NULL. The fd owns one
 * reference to @vm (taken by the caller) and drops it through kvmx_vm_release(); reads
 * come back through kvmx_stats_read().
 */
int kvmx_host_stats_fd_install(struct kvmx_vm *vm, struct kvmx_vcpu *vcpu);
/* The calling thread's process id (tgid) in its own pid namespace. */
unsigned int kvmx_host_pid(void);

/* Spinlocks (never sleep while holding one). create returns NULL when out of memory. */
struct kvmx_spinlock;
struct kvmx_spinlock *kvmx_host_spinlock_create(void);
void kvmx_host_spinlock_destroy(struct kvmx_spinlock *lock);
void kvmx_host_spin_lock(struct kvmx_spinlock *lock);
void kvmx_host_spin_unlock(struct kvmx_spinlock *lock);

/*
 * Guest memory. get_user_page takes a reference on the page backing the calling
 * process's user address @hva (faulting it in, for writing if @write), stores the
 * physical address of the 4 KB piece holding @hva in *pa and an opaque handle in *page. 0, -EFAULT (nothing mapped
 * there or not writable), -EHWPOISON, -ENOMEM, -EINTR (signal while faulting).
 * put_user_page drops the reference, marking the page dirty if @dirty.
 */
int kvmx_host_get_user_page(kvmx_uptr hva, int write, kvmx_u64 *pa, void **page);
void kvmx_host_put_user_page(void *page, int dirty);
/*
 * The same without faulting or sleeping: succeeds only if the page is already mapped
 * in the process with the access asked for (lockless page-table walk); -EAGAIN else.
 */
int kvmx_host_get_user_page_fast(kvmx_uptr hva, int write, kvmx_u64 *pa, void **page);

/*
 * Device memory: where the calling process maps @hva through a VM_IO/VM_PFNMAP mapping
 * (a device's registers, e.g. the XIVE ESB and TIMA pages), the physical address of the
 * 4 KB piece holding @hva, faulting it in first. No reference is taken: such pages are
 * not RAM, and the MMU notifier reports their unmapping as for any page. 0 or -EFAULT
 * (nothing there, not such a mapping, or not writable when @write).
 */
int kvmx_host_get_user_pfn(kvmx_uptr hva, int write, kvmx_u64 *pa);

/*
 * MMU notifier on the calling process's address space, for @vm: from registration until
 * unregister, kvmx_vm_mmu_invalidate_begin/_end (core.h) bracket every change to the
 * mapping of a user range, and kvmx_vm_mmu_release runs when the address space dies.
 * register returns an opaque handle or NULL (-ENOMEM); unregister waits for callbacks.
 */
struct kvmx_mmu_notifier;
struct kvmx_mmu_notifier *kvmx_host_mmu_notifier_register(struct kvmx_vm *vm);
void kvmx_host_mmu_notifier_unregister(struct kvmx_mmu_notifier *mn);

/*
 * Blocking a vCPU thread. wait sleeps until @ready(@arg) returns non-zero (checked
 * before sleeping and after every wake), @timeout_ns passes (KVMX_WAIT_FOREVER for
 * none) or a signal is pending. Returns 0 (ready), -ETIME or -EINTR. wake wakes every
 * waiter of @wq so that it re-checks its condition.
 */
#define KVMX_WAIT_FOREVER (~0ULL)
struct kvmx_waitq;
struct kvmx_waitq *kvmx_host_waitq_create(void);
void kvmx_host_waitq_destroy(struct kvmx_waitq *wq);
int kvmx_host_wait(struct kvmx_waitq *wq, kvmx_u64 timeout_ns, int (*ready)(void *arg), void *arg);
void kvmx_host_wake(struct kvmx_waitq *wq);

/* The scheduler and signals, for the run loop. */
int kvmx_host_signal_pending(void);
/* SIGKILL pending: long loops outside the run loop give up (-EINTR) only for that. */
int kvmx_host_fatal_signal_pending(void);
/*
 * KVM_SET_SIGNAL_MASK: the size of the kernel's sigset_t (8 bytes on both arches), and
 * the signal mask the calling thread runs KVM_RUN with (SIGKILL and SIGSTOP stay
 * unblocked); leave restores the thread's own mask, as upstream's kvm_sigset_*.
 */
unsigned int kvmx_host_sigset_size(void);
void kvmx_host_sigmask_enter(kvmx_u64 set);
void kvmx_host_sigmask_leave(void);
void kvmx_host_cond_resched(void);
/* The CPU the caller runs on; stable only while interrupts are masked. */
unsigned int kvmx_host_cpu_id(void);
/* Interrupt @cpu so that a guest running there exits promptly (an IPI; no-op if self). */
void kvmx_host_kick_cpu(unsigned int cpu);
/*
 * A sched-out hook for a vCPU thread (a preempt notifier): between hook_enter and
 * hook_leave on one thread, @out(@arg) runs each time that thread is scheduled out, on
 * the CPU it leaves, with interrupts masked, before the next task runs there. It lets a
 * vCPU keep guest state in a CPU's registers across exits the kernel handles, as
 * upstream's vcpu_load/vcpu_put. create: NULL without memory or where the kernel has no
 * preempt notifiers (then state must not stay in the registers). enter and leave: on the
 * thread itself, leave before the hook is destroyed.
 */
struct kvmx_sched_hook;
struct kvmx_sched_hook *kvmx_host_sched_hook_create(void (*out)(void *arg), void *arg);
void kvmx_host_sched_hook_destroy(struct kvmx_sched_hook *hook);
void kvmx_host_sched_hook_enter(struct kvmx_sched_hook *hook);
void kvmx_host_sched_hook_leave(struct kvmx_sched_hook *hook);
/*
 * Halt polling (virt/kvmx/core/halt_poll.cpp). can_poll: nothing else wants this CPU (no
 * other runnable task, no reschedule pending), so a short busy wait costs no one but
 * this thread. cpu_relax: one pause of a busy-wait loop. halt_poll_ns: the module
 * parameter halt_poll_ns, the most a vCPU polls before it sleeps where the VMM did not
 * choose (KVM_CAP_HALT_POLL); read live, it may change at any time.
 */
int kvmx_host_can_poll(void);
void kvmx_host_cpu_relax(void);
unsigned int kvmx_host_halt_poll_ns(void);
/* Monotonic time in ns. */
kvmx_u64 kvmx_host_time_ns(void);
/* Wall-clock (CLOCK_REALTIME) time in ns. */
kvmx_u64 kvmx_host_realtime_ns(void);
/*
 * Total time the calling thread has spent runnable but waiting for a CPU (the
 * scheduler's run delay), in ns; never decreases.
 */
kvmx_u64 kvmx_host_run_delay_ns(void);
/* Cryptographically secure random bytes (never blocks once the host is booted). */
void kvmx_host_random_bytes(void *buf, kvmx_size_t len);
/*
 * Store @val at the naturally aligned user address @addr with one single-copy-atomic
 * 64-bit store. 0 or -EFAULT.
 */
int kvmx_host_put_user_u64(kvmx_uptr addr, kvmx_u64 val);

/*
 * FP/SIMD: between begin and end the caller owns this CPU's FP/SIMD (and SVE/SME)
 * registers; the host's user state was saved and is restored on return to user. No
 * sleeping in between (preemption is off). arm64 only.
 */
void kvmx_host_fpsimd_begin(void);
void kvmx_host_fpsimd_end(void);

/*
 * Eventfds (KVM_IOEVENTFD, KVM_IRQFD). get takes a reference on the eventfd behind the
 * calling process's descriptor @fd: NULL with *err = -EBADF (no such descriptor) or
 * -EINVAL (not an eventfd). signal adds 1 to its counter and wakes its readers; any
 * context, never sleeps. Two references are the same eventfd if the pointers are equal.
 */
struct kvmx_eventfd;
struct kvmx_eventfd *kvmx_host_eventfd_get(int fd, int *err);
void kvmx_host_eventfd_put(struct kvmx_eventfd *efd);
void kvmx_host_eventfd_signal(struct kvmx_eventfd *efd);

/*
 * Watching an eventfd (irqfd): the eventfd behind the calling process's descriptor @fd
 * (NULL with *err = -EBADF, -EINVAL as for get, or -ENOMEM). From watch until unwatch,
 * every write that makes it readable consumes its counter and calls @fire(@arg) in
 * atomic context (never sleep there). A counter already non-zero at watch time is
 * consumed and reported as *pending = 1 instead: the caller delivers it once it is ready.
 * When the eventfd's last descriptor is closed, @hangup(@arg) runs once in process
 * context (it may sleep and take the caller's locks): it returns non-zero if the watcher
 * gives the watch up there (the host then ends it: no fire afterwards, the handle is
 * gone), 0 if the watcher unwatches it itself (it was already on its way out).
 * unwatch ends the watch: no fire runs after it returns; it waits for a running hangup,
 * so never call it holding a lock hangup takes. watched names the eventfd (for equality).
 */
struct kvmx_eventfd_watch;
struct kvmx_eventfd_watch *kvmx_host_eventfd_watch(int fd, void (*fire)(void *arg),
						   int (*hangup)(void *arg), void *arg, int *err,
						   int *pending);
struct kvmx_eventfd *kvmx_host_eventfd_watched(struct kvmx_eventfd_watch *watch);
void kvmx_host_eventfd_unwatch(struct kvmx_eventfd_watch *watch);

/*
 * arm64: the host interrupts of the guests' EL1 timers on this CPU, bit 0 the virtual
 * timer's (the GIC's PPI 27 on QEMU's virt machine), bit 1 the physical one's (PPI 30).
 * @enable: enabled (1) or masked (0); enabled, an interrupt ends a guest run when the
 * guest's timer fires (the interrupt itself does nothing more). @active: when forwarded
 * (kvmx_host_info.arm64_timer_hwintid[n]; ignored otherwise), its active state: active, it
 * cannot fire again until the guest deactivates it through an ICH_LR_HW list register (or
 * kvmx clears it); forwarded, the host's handler leaves it active. Interrupts must be
 * masked; interrupts the host does not have (no "arm,armv8-timer" device-tree node) are
 * left alone. Most calls change nothing and return at once.
 */
void kvmx_host_arm64_timer_irqs(unsigned int enable, unsigned int active);
/*
 * The guest ran with an ICH_LR_HW list register naming guest timer @n's host interrupt: it
 * may have deactivated it, so the next kvmx_host_arm64_timer_irqs writes the state.
 * Interrupts must be masked.
 */
void kvmx_host_arm64_timer_active_unknown(unsigned int n);
/* arm64: the hw_timers module parameter: map the timers of vCPUs that first run now. */
int kvmx_host_arm64_hw_timers(void);
/*
 * arm64: forward the guest timers' host interrupts from now on (once; the first vCPU that
 * maps its timers asks). 0 or -errno (then map nothing). Process context.
 */
int kvmx_host_arm64_timer_forward(void);

/*
 * arm64: a host perf counter behind a guest PMU counter (pmu-arm64.c), bound to the
 * calling thread (the vCPU's, in KVM_RUN). It counts host PMU event @event (the guest's
 * event number, on the PMU kvmx_host_info.arm64_pmu_type names) at EL1 only when @el1
 * (on a VHE host only guests run at EL1), else at EL0 only: the EL0 one must be enabled
 * only while the thread is in KVM_RUN (then its EL0 is the guest's). It starts disabled
 * unless @enabled. After @period events kvmx_arm64_pmu_overflow(@ctx) runs (interrupt
 * context). NULL if perf refuses. create and release sleep; read and enable are process
 * context.
 */
struct kvmx_pmu_event;
struct kvmx_pmu_event *kvmx_host_arm64_pmu_event_create(unsigned int event, int el1,
							kvmx_u64 period, int enabled, void *ctx);
void kvmx_host_arm64_pmu_event_release(struct kvmx_pmu_event *e);
kvmx_u64 kvmx_host_arm64_pmu_event_read(struct kvmx_pmu_event *e);
void kvmx_host_arm64_pmu_event_enable(struct kvmx_pmu_event *e, int enable);
/* Implemented by the core: a counter's period elapsed. */
void kvmx_arm64_pmu_overflow(void *ctx);

/*
 * arm64: the GIC's maintenance interrupt on this CPU, enabled once per CPU (it only ends
 * a guest run: the vGIC's list registers want attention). Interrupts must be masked;
 * no-op where the host has no vGIC support (kvmx_host_info.arm64_ich_vtr 0).
 */
void kvmx_host_arm64_gic_maint_irq(void);

/*
 * arm64: the in-kernel vGIC's device file ("kvm-arm-vgic-v3"), as KVM_CREATE_DEVICE
 * returns it: its ioctls go to kvmx_arm64_vgic_dev_ioctl(@dev, ...), its last close to
 * kvmx_arm64_vgic_dev_release(@dev). The new descriptor, or -errno.
 */
struct kvmx_vgic_dev;
int kvmx_host_arm64_vgic_fd_install(struct kvmx_vgic_dev *dev);
long kvmx_arm64_vgic_dev_ioctl(struct kvmx_vgic_dev *dev, unsigned int cmd, unsigned long arg);
void kvmx_arm64_vgic_dev_release(struct kvmx_vgic_dev *dev);

/* Logging. Levels follow the kernel's: 3 error, 4 warning, 6 info, 7 debug. */
enum kvmx_log_level {
	KVMX_LOG_ERR = 3,
	KVMX_LOG_WARN = 4,
	KVMX_LOG_INFO = 6,
	KVMX_LOG_DEBUG = 7,
};
void kvmx_host_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * For anything a guest or an unprivileged user can trigger: rate-limited across the
 * module and tagged with the VM (and vCPU, -1 for none) it concerns.
 */
void kvmx_host_log_guest(int level, unsigned int vm_id, int vcpu_id, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#ifdef __cplusplus
}
#endif

#endif /* KVMX_HOST_H */
