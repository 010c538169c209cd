/* SPDX-License-Identifier: GPL-2.0 */
/*
 * XIVE (eXternal Interrupt Virtualization Engine) native exploitation on POWER9: what
 * arch/powerpc/kvm/xive_native.cpp (C++) asks of virt/kvmx/xive-powerpc.c (C). The glue
 * wraps the host's XIVE layer (OPAL calls, the kernel's ESB and queue structures, the
 * interrupt core for escalations, the Thread Interrupt Management Area) and the device
 * fd; every decision about the device lives in the C++. Plain C types only.
 * Vocabulary: Documentation/virt/kvmx/xive.rst (VP = Virtual Processor, ESB = Event
 * State Buffer, EQ = Event Queue, TIMA = Thread Interrupt Management Area, ...).
 */
#ifndef KVMX_XIVE_H
#define KVMX_XIVE_H

#include <kvmx/host.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef unsigned char kvmx_u8;
typedef unsigned int kvmx_u32;

/* 1 if this host can give guests a XIVE device: powernv in hypervisor mode, XIVE
 * native with queue-state save/restore (upstream's test), else 0. */
int kvmx_xive_host_ok(void);

/* VP blocks (one VP per server number). alloc: 0 and *base, or -ENOSPC. */
int kvmx_xive_vp_block_alloc(kvmx_u32 nr, kvmx_u32 *base);
void kvmx_xive_vp_block_free(kvmx_u32 base);
/*
 * Enable VP @vp (without single escalation: one escalation interrupt per queue) and
 * read its CAM line (*cam, CPU order, without the valid bit) and whether the hardware
 * saves/restores its thread context itself (*hw_save). 0 or -EIO.
 */
int kvmx_xive_vp_enable(kvmx_u32 vp, kvmx_u32 *cam, int *hw_save);
void kvmx_xive_vp_disable(kvmx_u32 vp);
/* The VP's backed-up Interrupt Pending Buffer (events that arrived while undispatched). */
int kvmx_xive_vp_ipb(kvmx_u32 vp, kvmx_u8 *ipb);

/* Sources: one host interrupt (an IPI of the interrupt controller) per guest source. */
struct kvmx_xive_src;
/* Allocated masked (PQ = 01) and routed nowhere; NULL if none is left (-ENXIO). */
struct kvmx_xive_src *kvmx_xive_src_alloc(void);
void kvmx_xive_src_free(struct kvmx_xive_src *src);
/* A load from the source's ESB management page at @offset (XIVE_ESB_*): the old PQ. */
kvmx_u8 kvmx_xive_src_esb_load(struct kvmx_xive_src *src, kvmx_u32 offset);
/* Trigger the source (a store to its ESB trigger page), as the device it stands for
 * would; any context. */
void kvmx_xive_src_trigger(struct kvmx_xive_src *src);
/* Route to (@vp, @prio) with @eisn; @prio 0xff routes nowhere. 0 or -EIO. */
int kvmx_xive_src_route(struct kvmx_xive_src *src, kvmx_u32 vp, kvmx_u8 prio, kvmx_u32 eisn);
/* Flush events in flight from the source (and into the queues if @queues). */
void kvmx_xive_src_sync(struct kvmx_xive_src *src, int queues);
/* Host physical address of the trigger (@eoi = 0) or EOI/management page; 0: none. */
kvmx_u64 kvmx_xive_src_page(struct kvmx_xive_src *src, int eoi);
/* Host physical address of the TIMA's OS page. */
kvmx_u64 kvmx_xive_tima_os_page(void);

/* Event queues: the host structure for queue @prio of a VP. */
struct kvmx_xive_eq;
struct kvmx_xive_eq *kvmx_xive_eq_alloc(void);
void kvmx_xive_eq_free(struct kvmx_xive_eq *eq);
/*
 * Point the queue at @qpage_pa (2^@shift bytes of pinned guest memory, linear-mapped
 * host RAM), always notifying, escalation enabled; *esc_hwirq = its escalation interrupt.
 * @qpage_pa 0 unconfigures it. 0 or -EIO.
 */
int kvmx_xive_eq_configure(struct kvmx_xive_eq *eq, kvmx_u32 vp, kvmx_u8 prio, kvmx_u64 qpage_pa,
			   kvmx_u32 shift, kvmx_u32 *esc_hwirq);
/*
 * log2 of the size of the host page behind the current process's address @hva: its
 * VMA's page size (a hugetlbfs mapping's huge page), the base page where no VMA holds it.
 * A queue must fit in one such page (upstream sizes it with kvm_host_page_size).
 */
kvmx_u32 kvmx_xive_user_page_shift(kvmx_uptr hva);
void kvmx_xive_eq_disable(struct kvmx_xive_eq *eq, kvmx_u32 vp, kvmx_u8 prio);
int kvmx_xive_eq_get_state(kvmx_u32 vp, kvmx_u8 prio, kvmx_u32 *toggle, kvmx_u32 *index);
int kvmx_xive_eq_set_state(kvmx_u32 vp, kvmx_u8 prio, kvmx_u32 toggle, kvmx_u32 index);
/* 1 if the firmware says the queue notifies unconditionally, 0 if not, or -EIO. */
int kvmx_xive_eq_always_notify(kvmx_u32 vp, kvmx_u8 prio);

/*
 * Escalation: the host interrupt a queue raises when an event arrives for its VP while
 * the VP is not dispatched. @fn(@arg) runs in hard interrupt context. NULL on failure.
 */
struct kvmx_xive_esc;
struct kvmx_xive_esc *kvmx_xive_esc_attach(kvmx_u32 hwirq, kvmx_u32 lpid, kvmx_u32 server,
					   kvmx_u32 prio, void (*fn)(void *arg), void *arg);
void kvmx_xive_esc_detach(struct kvmx_xive_esc *esc);

/*
 * The OS ring of this thread's TIMA (interrupts hard-disabled, MMU on). push dispatches
 * the VP whose CAM line is @cam (CPU order), restoring the ring's words 0-1 from @w01
 * (the TIMA's byte order) unless the hardware keeps them (@hw_save); pull undispatches
 * it and stores words 0-1 into @w01 (unless @hw_save).
 */
void kvmx_xive_push(const kvmx_u8 w01[8], kvmx_u32 cam, int hw_save);
void kvmx_xive_pull(kvmx_u8 w01[8], int hw_save);

/*
 * The device fd ("kvm-xive-native"): ioctls go to kvmx_xive_dev_ioctl, page faults of
 * its mappings to kvmx_xive_dev_page, the last close to kvmx_xive_dev_release. Returns
 * the fd or -errno; on success the fd owns @dev.
 */
struct kvmx_xive_dev;
int kvmx_host_xive_fd_install(struct kvmx_xive_dev *dev);
/* The device behind fd @fd, with a reference on the file in *file: NULL and -EBADF
 * (no such fd) or -EPERM (not a XIVE device fd) in *err. */
struct kvmx_xive_dev *kvmx_host_xive_fd_get(int fd, void **file, int *err);
void kvmx_host_xive_fd_put(void *file);

/* Implemented by the C++ (arch/powerpc/kvm/xive_native.cpp). */
long kvmx_xive_dev_ioctl(struct kvmx_xive_dev *dev, unsigned int cmd, unsigned long arg);
/* The host physical page for page @index of the ESB mapping; 0: SIGBUS. */
kvmx_u64 kvmx_xive_dev_esb_page(struct kvmx_xive_dev *dev, kvmx_u64 index);
void kvmx_xive_dev_release(struct kvmx_xive_dev *dev);

#ifdef __cplusplus
}
#endif

#endif /* KVMX_XIVE_H */
