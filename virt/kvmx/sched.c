// SPDX-License-Identifier: GPL-2.0
/*
 * What the run loop needs from the scheduler (include/kvmx/host.h): spinlocks, wait
 * queues with timeouts, signals, IPIs to kick a running guest and time. No policy lives
 * here.
 */
#include <linux/hrtimer.h>
#include <linux/preempt.h>
#include <linux/random.h>
#include <linux/uaccess.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/stat.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/signal.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/wait.h>

#include "glue.h"

struct kvmx_spinlock {
	spinlock_t lock;
};

struct kvmx_spinlock *kvmx_host_spinlock_create(void)
{
	struct kvmx_spinlock *l = kvmx_host_zalloc(sizeof(*l));

	if (l)
		spin_lock_init(&l->lock);
	return l;
}

void kvmx_host_spinlock_destroy(struct kvmx_spinlock *l)
{
	kvmx_host_free(l);
}

void kvmx_host_spin_lock(struct kvmx_spinlock *l) __acquires(&l->lock)
{
	spin_lock(&l->lock);
}

void kvmx_host_spin_unlock(struct kvmx_spinlock *l) __releases(&l->lock)
{
	spin_unlock(&l->lock);
}

struct kvmx_waitq {
	wait_queue_head_t head;
};

struct kvmx_waitq *kvmx_host_waitq_create(void)
{
	struct kvmx_waitq *wq = kvmx_host_zalloc(sizeof(*wq));

	if (wq)
		init_waitqueue_head(&wq->head);
	return wq;
}

void kvmx_host_waitq_destroy(struct kvmx_waitq *wq)
{
	kvmx_host_free(wq);
}

int kvmx_host_wait(struct kvmx_waitq *wq, kvmx_u64 timeout_ns, int (*ready)(void *arg), void *arg)
{
	struct hrtimer_sleeper t;
	DEFINE_WAIT(wait);
	int r;

	if (timeout_ns == KVMX_WAIT_FOREVER) {
		r = wait_event_interruptible(wq->head, ready(arg));
		return r ? -EINTR : 0;
	}
	/*
	 * A guest's timer deadline: no timer slack (wait_event_*_hrtimeout would add the
	 * task's, 50 us by default, to every wake-up), as the in-kernel KVMs' timers.
	 */
	hrtimer_init_sleeper_on_stack(&t, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	hrtimer_set_expires_range_ns(&t.timer, ns_to_ktime(min_t(u64, timeout_ns, KTIME_MAX)), 0);
	hrtimer_sleeper_start_expires(&t, HRTIMER_MODE_REL);
	for (;;) {
		prepare_to_wait(&wq->head, &wait, TASK_INTERRUPTIBLE);
		if (ready(arg)) {
			r = 0;
			break;
		}
		if (!t.task) {
			r = -ETIME;
			break;
		}
		if (signal_pending(current)) {
			r = -EINTR;
			break;
		}
		schedule();
	}
	finish_wait(&wq->head, &wait);
	hrtimer_cancel(&t.timer);
	destroy_hrtimer_on_stack(&t.timer);
	return r;
}

void kvmx_host_wake(struct kvmx_waitq *wq)
{
	wake_up_all(&wq->head);
}

int kvmx_host_signal_pending(void)
{
	return signal_pending(current);
}

int kvmx_host_fatal_signal_pending(void)
{
	return fatal_signal_pending(current);
}

unsigned int kvmx_host_sigset_size(void)
{
	return sizeof(sigset_t);
}

void kvmx_host_sigmask_enter(kvmx_u64 set)
{
	sigset_t s;

	BUILD_BUG_ON(sizeof(s) != sizeof(set));
	memcpy(&s, &set, sizeof(s));
	sigdelsetmask(&s, sigmask(SIGKILL) | sigmask(SIGSTOP));
	/* Only current changes its real_blocked; readers need it a subset of blocked. */
	sigprocmask(SIG_SETMASK, &s, &current->real_blocked);
}

void kvmx_host_sigmask_leave(void)
{
	sigprocmask(SIG_SETMASK, &current->real_blocked, NULL);
	sigemptyset(&current->real_blocked);
}

void kvmx_host_cond_resched(void)
{
	cond_resched();
}

unsigned int kvmx_host_cpu_id(void)
{
	return raw_smp_processor_id();
}

static void kvmx_kick_noop(void *unused) {}

/*
 * Kicks come from any context, also with interrupts masked (an interrupt injected into
 * the vGIC under its lock, an irqfd firing), where smp_call_function_single() may not be
 * used. The asynchronous form needs a call_single_data that is not in flight: each CPU
 * owns one per target CPU and sends with interrupts masked, so none is ever sent twice
 * at once; one still in flight (-EBUSY) is a kick already on its way.
 */
static call_single_data_t __percpu *kvmx_kick_csd;

int kvmx_sched_init(void)
{
	unsigned int cpu, target;

	kvmx_kick_csd = __alloc_percpu(sizeof(call_single_data_t) * nr_cpu_ids,
				       __alignof__(call_single_data_t));
	if (!kvmx_kick_csd)
		return -ENOMEM;
	for_each_possible_cpu(cpu) for (target = 0; target < nr_cpu_ids; target++)
		INIT_CSD(per_cpu_ptr(kvmx_kick_csd, cpu) + target, kvmx_kick_noop, NULL);
	return 0;
}

void kvmx_sched_exit(void)
{
	if (!kvmx_kick_csd)
		return;
	/* A call queued after every kick and waited for: none is still in flight. */
	on_each_cpu(kvmx_kick_noop, NULL, 1);
	free_percpu(kvmx_kick_csd);
	kvmx_kick_csd = NULL;
}

void kvmx_host_kick_cpu(unsigned int cpu)
{
	unsigned long flags;
	int me;

	local_irq_save(flags);
	me = smp_processor_id();
	if (cpu != me && cpu < nr_cpu_ids && cpu_online(cpu))
		smp_call_function_single_async(cpu, this_cpu_ptr(kvmx_kick_csd) + cpu);
	local_irq_restore(flags);
}

#ifdef CONFIG_PREEMPT_NOTIFIERS
struct kvmx_sched_hook {
	struct preempt_notifier pn;
	void (*out)(void *arg);
	void *arg;
};

static void kvmx_hook_sched_in(struct preempt_notifier *pn, int cpu) {}

static void kvmx_hook_sched_out(struct preempt_notifier *pn, struct task_struct *next)
{
	struct kvmx_sched_hook *hook = container_of(pn, struct kvmx_sched_hook, pn);

	hook->out(hook->arg);
}

static struct preempt_ops kvmx_hook_ops = {
	.sched_in = kvmx_hook_sched_in,
	.sched_out = kvmx_hook_sched_out,
};

struct kvmx_sched_hook *kvmx_host_sched_hook_create(void (*out)(void *arg), void *arg)
{
	struct kvmx_sched_hook *hook = kzalloc(sizeof(*hook), GFP_KERNEL_ACCOUNT);

	if (!hook)
		return NULL;
	preempt_notifier_init(&hook->pn, &kvmx_hook_ops);
	hook->out = out;
	hook->arg = arg;
	/* The scheduler calls notifiers only while some user holds this key, as for KVM. */
	preempt_notifier_inc();
	return hook;
}

void kvmx_host_sched_hook_destroy(struct kvmx_sched_hook *hook)
{
	if (!hook)
		return;
	preempt_notifier_dec();
	kfree(hook);
}

void kvmx_host_sched_hook_enter(struct kvmx_sched_hook *hook)
{
	preempt_disable();
	preempt_notifier_register(&hook->pn);
	preempt_enable();
}

void kvmx_host_sched_hook_leave(struct kvmx_sched_hook *hook)
{
	preempt_disable();
	preempt_notifier_unregister(&hook->pn);
	preempt_enable();
}
#else
struct kvmx_sched_hook *kvmx_host_sched_hook_create(void (*out)(void *arg), void *arg)
{
	return NULL;
}

void kvmx_host_sched_hook_destroy(struct kvmx_sched_hook *hook) {}
void kvmx_host_sched_hook_enter(struct kvmx_sched_hook *hook) {}
void kvmx_host_sched_hook_leave(struct kvmx_sched_hook *hook) {}
#endif

int kvmx_host_can_poll(void)
{
	return single_task_running() && !need_resched();
}

void kvmx_host_cpu_relax(void)
{
	cpu_relax();
}

kvmx_u64 kvmx_host_time_ns(void)
{
	return ktime_get_ns();
}

kvmx_u64 kvmx_host_realtime_ns(void)
{
	return ktime_get_real_ns();
}

/*
 * The time current has waited on a run queue. Without CONFIG_SCHED_INFO the scheduler
 * does not keep it; the core then offers no PV stolen time (sched_info_on is 0) and
 * never asks.
 */
kvmx_u64 kvmx_host_run_delay_ns(void)
{
#ifdef CONFIG_SCHED_INFO
	return READ_ONCE(current->sched_info.run_delay);
#else
	return 0;
#endif
}

void kvmx_sched_host_info(struct kvmx_host_info *info)
{
	info->sched_info_on = sched_info_on();
}

void kvmx_host_random_bytes(void *buf, kvmx_size_t len)
{
	get_random_bytes(buf, len);
}

int kvmx_host_put_user_u64(kvmx_uptr addr, kvmx_u64 val)
{
	if (addr & 7)
		return -EFAULT;
	/* put_user of a u64 is one aligned 64-bit store (STTR on arm64). */
	return put_user(val, (u64 __user *)addr);
}
