// SPDX-License-Identifier: GPL-2.0
/*
 * Eventfds for the core (include/kvmx/host.h): references for KVM_IOEVENTFD, and watches
 * for KVM_IRQFD. A watch is a wait-queue entry on the eventfd: a write wakes it in atomic
 * context and the core's fire callback injects; closing the eventfd's last descriptor
 * wakes it with EPOLLHUP and a work item hands that to the core in process context.
 * No policy here: which interrupt an eventfd means is the core's business.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/version.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "glue.h"

/*
 * 6.12 made struct fd one tagged word, read through fd_file(); before, the file was the
 * member .file. A macro, so its presence is the test (a stable backport brings it too).
 */
#ifndef fd_file
#define fd_file(f) ((f).file)
#endif

struct kvmx_eventfd *kvmx_host_eventfd_get(int fd, int *err)
{
	struct eventfd_ctx *ctx = eventfd_ctx_fdget(fd);

	if (IS_ERR(ctx)) {
		*err = PTR_ERR(ctx);
		return NULL;
	}
	return (struct kvmx_eventfd *)ctx;
}

void kvmx_host_eventfd_put(struct kvmx_eventfd *efd)
{
	if (efd)
		eventfd_ctx_put((struct eventfd_ctx *)efd);
}

void kvmx_host_eventfd_signal(struct kvmx_eventfd *efd)
{
	/* 6.8 dropped the count argument: every caller added 1. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	eventfd_signal((struct eventfd_ctx *)efd);
#else
	eventfd_signal((struct eventfd_ctx *)efd, 1);
#endif
}

struct kvmx_eventfd_watch {
	wait_queue_entry_t wait;
	poll_table pt;
	wait_queue_head_t *wqh; /* the eventfd's, set by the poll registration */
	bool queued;		/* on wqh (under wqh->lock) */
	struct eventfd_ctx *ctx;
	void (*fire)(void *arg);
	int (*hangup)(void *arg);
	void *arg;
	struct work_struct hangup_work;
};

/* Off the eventfd's wait queue; idempotent. */
static void kvmx_watch_dequeue(struct kvmx_eventfd_watch *w)
{
	unsigned long flags;

	spin_lock_irqsave(&w->wqh->lock, flags);
	if (w->queued) {
		__remove_wait_queue(w->wqh, &w->wait);
		w->queued = false;
	}
	spin_unlock_irqrestore(&w->wqh->lock, flags);
}

static void kvmx_watch_free(struct kvmx_eventfd_watch *w)
{
	eventfd_ctx_put(w->ctx);
	kvmx_host_free(w);
}

static void kvmx_watch_hangup_work(struct work_struct *work)
{
	struct kvmx_eventfd_watch *w = container_of(work, struct kvmx_eventfd_watch, hangup_work);

	kvmx_watch_dequeue(w);
	if (w->hangup(w->arg))
		kvmx_watch_free(w);
}

/* Called with wqh->lock held and interrupts off. */
static int kvmx_watch_wakeup(wait_queue_entry_t *wait, unsigned int mode, int sync, void *key)
{
	struct kvmx_eventfd_watch *w = container_of(wait, struct kvmx_eventfd_watch, wait);
	__poll_t events = key_to_poll(key);
	u64 cnt;

	if (events & EPOLLIN) {
		eventfd_ctx_do_read(w->ctx, &cnt);
		w->fire(w->arg);
	}
	if (events & EPOLLHUP)
		schedule_work(&w->hangup_work);
	return 0;
}

static void kvmx_watch_queue(struct file *file, wait_queue_head_t *wqh, poll_table *pt)
{
	struct kvmx_eventfd_watch *w = container_of(pt, struct kvmx_eventfd_watch, pt);

	w->wqh = wqh;
	w->queued = true;
	add_wait_queue_priority(wqh, &w->wait);
}

struct kvmx_eventfd_watch *kvmx_host_eventfd_watch(int fd, void (*fire)(void *arg),
						   int (*hangup)(void *arg), void *arg, int *err,
						   int *pending)
{
	struct kvmx_eventfd_watch *w;
	struct eventfd_ctx *ctx;
	struct fd f;
	__poll_t events;
	u64 cnt;

	f = fdget(fd);
	if (!fd_file(f)) {
		*err = -EBADF;
		return NULL;
	}
	ctx = eventfd_ctx_fileget(fd_file(f));
	if (IS_ERR(ctx)) {
		fdput(f);
		*err = PTR_ERR(ctx);
		return NULL;
	}
	w = kvmx_host_zalloc(sizeof(*w));
	if (!w) {
		eventfd_ctx_put(ctx);
		fdput(f);
		*err = -ENOMEM;
		return NULL;
	}
	w->ctx = ctx;
	w->fire = fire;
	w->hangup = hangup;
	w->arg = arg;
	INIT_WORK(&w->hangup_work, kvmx_watch_hangup_work);
	init_waitqueue_func_entry(&w->wait, kvmx_watch_wakeup);
	init_poll_funcptr(&w->pt, kvmx_watch_queue);
	events = vfs_poll(fd_file(f), &w->pt);
	*pending = 0;
	if (events & EPOLLIN) {
		/* Written before the watch began: consume it, the caller delivers it. */
		unsigned long flags;

		spin_lock_irqsave(&w->wqh->lock, flags);
		eventfd_ctx_do_read(ctx, &cnt);
		spin_unlock_irqrestore(&w->wqh->lock, flags);
		*pending = 1;
	}
	fdput(f);
	return w;
}

struct kvmx_eventfd *kvmx_host_eventfd_watched(struct kvmx_eventfd_watch *w)
{
	return (struct kvmx_eventfd *)w->ctx;
}

void kvmx_host_eventfd_unwatch(struct kvmx_eventfd_watch *w)
{
	if (!w)
		return;
	kvmx_watch_dequeue(w);
	/* A hangup already queued finds the watcher gone (it returns 0) or never runs. */
	cancel_work_sync(&w->hangup_work);
	kvmx_watch_free(w);
}
