// SPDX-License-Identifier: GPL-2.0
// XIVE (eXternal Interrupt Virtualization Engine) native exploitation device, upstream's
// KVM_DEV_TYPE_XIVE ABI (Documentation/virt/kvm/devices/xive.rst): sources (one host
// interrupt with its ESB, Event State Buffer, pages each), their EAS (Event Assignment
// Structure) routing, the EQs (Event Queues) in guest memory, the VPs (Virtual
// Processors) of the connected vCPUs with their escalation interrupts, and the state a
// migration moves. The hardware and firmware are reached only through include/kvmx/xive.h.
#include "xive_native.hpp"
#include "arch.hpp"
#include "dirty_log.hpp"
#include "ioctl.hpp"
#include "irq_routing.hpp"
#include "ppc.hpp"
#include "registry.hpp"
#include "vcpu.hpp"
#include "vm.hpp"

namespace kvmx {

namespace {

// Source numbers 0 .. 2^20 - 1, upstream's range, in blocks created on first use.
constexpr u32 block_bits = 10;
constexpr u32 nr_blocks = 1u << 10;
constexpr u64 nr_sources = static_cast<u64>(nr_blocks) << block_bits;
constexpr u32 nr_prios = 8;
constexpr u8 prio_masked = 0xff;
// Queue sizes: 64 KB only, upstream's (and the "ibm,xive-eq-sizes" it advertises), on
// any host page size: a 4 KB-page host takes them only in hugetlbfs memory.
constexpr u32 queue_shift = 16;
// ESB management-page loads (the XIVE_ESB_* offsets of the hardware).
constexpr u32 esb_set_pq_01 = 0xd00;
// Bytes of the TIMA OS ring's words 0-1 (the TIMA's own order).
constexpr u32 w_cppr = 1, w_ipb = 2, w_lsmfb = 3, w_ack = 4;

struct Source {
	kvmx_xive_src *hw; // nullptr until KVM_DEV_XIVE_GRP_SOURCE creates it
	bool lsi, asserted;
	u8 prio; // prio_masked: routed nowhere
	u32 server, eisn;
};

struct SourceBlock {
	Source src[1u << block_bits];
};

struct Queue {
	kvmx_xive_eq *hw;
	kvmx_xive_esc *esc;
	u64 gaddr; // guest real address, 0: unconfigured
	u32 shift;
	void *page; // the pinned guest page behind it
};

} // namespace

struct XiveVcpu {
	kvmx_xive_dev *dev;
	Vcpu *vcpu;
	u32 server, vp, cam;
	int hw_save;
	u8 w01[8]; // OS ring words 0-1 while the VP is not dispatched
	Queue q[nr_prios];
};

} // namespace kvmx

struct kvmx_xive_dev {
	kvmx::Vm *vm;	      // the fd's reference keeps the VM alive
	kvmx_mutex *lock;     // serialises attributes, connect and release
	kvmx::u32 nr_servers; // VP ids vp_base .. vp_base + nr_servers - 1
	kvmx::u32 vp_base;    // valid once vp_alloc
	bool vp_alloc;
	kvmx::SourceBlock *blocks[kvmx::nr_blocks]; // written under lock, read by faults
};

namespace kvmx {

namespace {

// Upstream's guest priorities: 0-6 (7 is the hypervisor's), 0xff masked.
bool prio_ok(u32 prio)
{
	return prio < 7;
}

Source *find_source(kvmx_xive_dev *dev, u64 irq)
{
	if (irq >= nr_sources)
		return nullptr;
	SourceBlock *b = load_acquire(&dev->blocks[irq >> block_bits]);
	return b ? &b->src[irq & ((1u << block_bits) - 1)] : nullptr;
}

// The vCPUs connected to @dev, in creation order, until @fn returns true: that one, or
// nullptr after the last.
template <typename F> XiveVcpu *find_connected(kvmx_xive_dev *dev, F fn)
{
	Vm *vm = dev->vm;
	u32 n = load_acquire(&vm->nr_vcpus);
	for (u32 i = 0; i < n; i++) {
		Vcpu *v = vm_vcpu(vm, i);
		XiveVcpu *xv = v ? load_acquire(&v->arch.xive) : nullptr;
		if (xv && xv->dev == dev && fn(xv))
			return xv;
	}
	return nullptr;
}

XiveVcpu *find_server(kvmx_xive_dev *dev, u32 server)
{
	return find_connected(dev, [server](XiveVcpu *xv) { return xv->server == server; });
}

template <typename F> void for_each_source(kvmx_xive_dev *dev, F fn)
{
	for (u32 b = 0; b < nr_blocks; b++) {
		if (!dev->blocks[b])
			continue;
		for (Source &s : dev->blocks[b]->src)
			if (s.hw)
				fn(s);
	}
}

void mask_source(Source &s)
{
	kvmx_xive_src_esb_load(s.hw, esb_set_pq_01);
	(void)kvmx_xive_src_route(s.hw, 0, prio_masked, 0);
	s.prio = prio_masked;
	s.server = 0;
	s.eisn = 0;
}

// Escalation: an event reached a queue of this VP while it was not dispatched. Hard
// interrupt context: note it and wake the vCPU if it idles; no IPI (the vCPU, if it is
// about to enter, finds the event when its VP is dispatched).
void escalation(void *arg)
{
	Vcpu *v = static_cast<XiveVcpu *>(arg)->vcpu;
	__atomic_fetch_or(&v->arch.pending, pend_xive, __ATOMIC_SEQ_CST);
	store_release(&v->wake_req, 1u);
	kvmx_host_wake(v->wq);
}

void queue_release(XiveVcpu *xv, u8 prio)
{
	Queue &q = xv->q[prio];
	if (q.esc) {
		kvmx_xive_esc_detach(q.esc);
		q.esc = nullptr;
	}
	if (q.hw) {
		kvmx_xive_eq_disable(q.hw, xv->vp, prio);
		kvmx_xive_eq_free(q.hw);
		q.hw = nullptr;
	}
	if (q.page) {
		kvmx_host_put_user_page(q.page, 1);
		q.page = nullptr;
	}
	q.gaddr = 0;
	q.shift = 0;
}

// Mask every source routed to @xv and unconfigure its queues (device lock held).
void vcpu_reset(XiveVcpu *xv)
{
	for_each_source(xv->dev, [xv](Source &s) {
		if (s.prio != prio_masked && s.server == xv->server)
			mask_source(s);
	});
	for (u8 p = 0; p < nr_prios; p++)
		queue_release(xv, p);
}

// Disconnect @v (vCPU lock and device lock held).
void vcpu_disconnect(Vcpu *v)
{
	XiveVcpu *xv = v->arch.xive;
	if (!xv)
		return;
	vcpu_reset(xv);
	kvmx_xive_vp_disable(xv->vp);
	store_release(&v->arch.xive, static_cast<XiveVcpu *>(nullptr));
	__atomic_fetch_and(&v->arch.pending, ~pend_xive, __ATOMIC_SEQ_CST);
	destroy(xv);
}

// ---- attributes ----

long set_nr_servers(kvmx_xive_dev *dev, u64 addr)
{
	u32 n;
	if (kvmx_host_copy_from_user(&n, addr, sizeof(n)))
		return -EFAULT;
	if (!n || n > max_vcpus)
		return -EINVAL;
	MutexGuard g(dev->lock);
	// The VP block is sized once, at the first connect; the ids it serves stay fixed.
	if (dev->vp_alloc)
		return -EBUSY;
	dev->nr_servers = n;
	return 0;
}

long reset(kvmx_xive_dev *dev)
{
	MutexGuard g(dev->lock);
	find_connected(dev, [](XiveVcpu *xv) {
		vcpu_reset(xv);
		return false; // every one
	});
	for_each_source(dev, [](Source &s) { mask_source(s); });
	return 0;
}

// Before a migration: events in flight land in their queues, and the queue pages are
// marked dirty so that the dirty log carries them.
long eq_sync(kvmx_xive_dev *dev)
{
	MutexGuard g(dev->lock);
	for_each_source(dev, [](Source &s) {
		if (s.prio != prio_masked)
			kvmx_xive_src_sync(s.hw, 1);
	});
	Vm *vm = dev->vm;
	find_connected(dev, [vm](XiveVcpu *xv) {
		for (const Queue &q : xv->q) {
			if (!q.gaddr)
				continue;
			SpinGuard mmu(vm->mmu_lock);
			u64 gfn = q.gaddr >> page_shift;
			for (u64 i = 0; i < (1ULL << (q.shift - page_shift)); i++) {
				const Memslot *s = vm->memslots->find(gfn + i);
				if (s)
					mark_page_dirty(vm, *s, gfn + i);
			}
		}
		return false; // every one
	});
	return 0;
}

long create_source(kvmx_xive_dev *dev, u64 irq, u64 addr)
{
	if (irq >= nr_sources)
		return -E2BIG;
	u64 val;
	if (kvmx_host_copy_from_user(&val, addr, sizeof(val)))
		return -EFAULT;
	MutexGuard g(dev->lock);
	SourceBlock *&b = dev->blocks[irq >> block_bits];
	if (!b) {
		SourceBlock *nb = make_zeroed<SourceBlock>();
		if (!nb)
			return -ENOMEM;
		store_release(&b, nb);
	}
	Source &s = b->src[irq & ((1u << block_bits) - 1)];
	if (!s.hw) {
		kvmx_xive_src *hw = kvmx_xive_src_alloc();
		if (!hw)
			return -ENXIO;
		store_release(&s.hw, hw);
	}
	// Created (or restored) masked: the VMM routes it with SOURCE_CONFIG and sets its
	// PQ bits through the ESB page.
	s.lsi = val & KVM_XIVE_LEVEL_SENSITIVE;
	s.asserted = s.lsi && (val & KVM_XIVE_LEVEL_ASSERTED);
	mask_source(s);
	return 0;
}

// The vCPU that serves events of priority @prio for @server: the one asked for if its
// queue is configured, else any with that queue (upstream's fallback); nullptr if none.
XiveVcpu *pick_target(kvmx_xive_dev *dev, u32 server, u8 prio, long *err)
{
	XiveVcpu *xv = find_server(dev, server);
	if (!xv) {
		*err = -EINVAL;
		return nullptr;
	}
	if (xv->q[prio].gaddr)
		return xv;
	xv = find_connected(dev, [prio](XiveVcpu *o) { return o->q[prio].gaddr != 0; });
	if (!xv)
		*err = -EBUSY;
	return xv;
}

long config_source(kvmx_xive_dev *dev, u64 irq, u64 addr)
{
	u64 cfg;
	Source *s = find_source(dev, irq);
	if (!s)
		return -ENOENT;
	if (kvmx_host_copy_from_user(&cfg, addr, sizeof(cfg)))
		return -EFAULT;
	u32 prio = static_cast<u32>((cfg & KVM_XIVE_SOURCE_PRIORITY_MASK) >>
				    KVM_XIVE_SOURCE_PRIORITY_SHIFT);
	u32 server = static_cast<u32>((cfg & KVM_XIVE_SOURCE_SERVER_MASK) >>
				      KVM_XIVE_SOURCE_SERVER_SHIFT);
	bool masked = cfg & KVM_XIVE_SOURCE_MASKED_MASK;
	u32 eisn =
		static_cast<u32>((cfg & KVM_XIVE_SOURCE_EISN_MASK) >> KVM_XIVE_SOURCE_EISN_SHIFT);
	MutexGuard g(dev->lock);
	if (!s->hw)
		return -EINVAL;
	if (!prio_ok(prio))
		return -EINVAL;
	if (masked) {
		if (s->prio != prio_masked)
			mask_source(*s);
		return 0;
	}
	if (s->prio == prio && s->server == server && s->eisn == eisn)
		return 0;
	long err = 0;
	XiveVcpu *t = pick_target(dev, server, static_cast<u8>(prio), &err);
	if (!t)
		return err;
	if (kvmx_xive_src_route(s->hw, t->vp, static_cast<u8>(prio), eisn))
		return -ENXIO;
	s->prio = static_cast<u8>(prio);
	s->server = t->server;
	s->eisn = eisn;
	return 0;
}

long sync_source(kvmx_xive_dev *dev, u64 irq)
{
	Source *s = find_source(dev, irq);
	if (!s)
		return -ENOENT;
	MutexGuard g(dev->lock);
	if (!s->hw)
		return -EINVAL;
	kvmx_xive_src_sync(s->hw, 0);
	return 0;
}

void decode_eq(u64 attr, u32 *server, u32 *prio)
{
	*prio = static_cast<u32>((attr & KVM_XIVE_EQ_PRIORITY_MASK) >> KVM_XIVE_EQ_PRIORITY_SHIFT);
	*server = static_cast<u32>((attr & KVM_XIVE_EQ_SERVER_MASK) >> KVM_XIVE_EQ_SERVER_SHIFT);
}

// Pin the guest page holding a queue at guest real address @gaddr: its host address.
long pin_queue_page(Vm *vm, u64 gaddr, u32 shift, u64 *pa, void **page)
{
	u64 hva;
	{
		SpinGuard mmu(vm->mmu_lock);
		const Memslot *s = vm->memslots->find(gaddr >> page_shift);
		u64 size = 1ULL << shift;
		if (!s || s->readonly() ||
		    !range_within(gaddr, size, s->base_gfn << page_shift, s->npages << page_shift))
			return -EINVAL;
		hva = s->gfn_to_hva(gaddr >> page_shift);
	}
	if (kvmx_host_get_user_page(hva, 1, pa, page))
		return -EINVAL;
	// The queue is one physically contiguous block: it must fit in the host page behind
	// it, a huge page where the VMM's memory is hugetlbfs. Upstream's rule, so a 64 KB
	// queue in ordinary memory of a 4 KB-page host is -EINVAL there as here.
	if (*pa & ((1ULL << shift) - 1) || shift > kvmx_xive_user_page_shift(hva)) {
		kvmx_host_put_user_page(*page, 0);
		return -EINVAL;
	}
	return 0;
}

// The connected vCPU serving @server, with upstream's errors for the EQ attributes.
long eq_target(kvmx_xive_dev *dev, u32 server, u32 prio, XiveVcpu **xv)
{
	*xv = find_server(dev, server);
	if (!*xv)
		return -ENOENT;
	return prio_ok(prio) ? 0 : -EINVAL;
}

long set_queue(kvmx_xive_dev *dev, u64 attr, u64 addr)
{
	kvm_ppc_xive_eq eq;
	u32 server, prio;
	XiveVcpu *xv;
	decode_eq(attr, &server, &prio);
	if (kvmx_host_copy_from_user(&eq, addr, sizeof(eq)))
		return -EFAULT;
	{
		MutexGuard g(dev->lock);
		long r = eq_target(dev, server, prio, &xv);
		if (r)
			return r;
		if (!eq.qshift) {
			queue_release(xv, static_cast<u8>(prio)); // qshift 0: unconfigure
			return 0;
		}
	}
	if (eq.flags != KVM_XIVE_EQ_ALWAYS_NOTIFY || eq.qshift != queue_shift ||
	    (eq.qaddr & ((1ULL << eq.qshift) - 1)))
		return -EINVAL;
	// Pinned without the device lock (faulting guest memory in must not wait for it).
	u64 pa = 0;
	void *page = nullptr;
	long r = pin_queue_page(dev->vm, eq.qaddr, eq.qshift, &pa, &page);
	if (r)
		return r;
	MutexGuard g(dev->lock);
	r = eq_target(dev, server, prio, &xv); // it may have been disconnected meanwhile
	if (r) {
		kvmx_host_put_user_page(page, 0);
		return r;
	}
	Queue &q = xv->q[prio];
	u8 p = static_cast<u8>(prio);
	if (!q.hw && !(q.hw = kvmx_xive_eq_alloc())) {
		kvmx_host_put_user_page(page, 0);
		return -ENOMEM;
	}
	u32 esc_hwirq = 0;
	if (kvmx_xive_eq_configure(q.hw, xv->vp, p, pa, eq.qshift, &esc_hwirq)) {
		kvmx_host_put_user_page(page, 0);
		queue_release(xv, p);
		return -EIO;
	}
	if (q.page)
		kvmx_host_put_user_page(q.page, 1);
	q.page = page;
	q.gaddr = eq.qaddr;
	q.shift = eq.qshift;
	// A fresh queue starts at index 0 with toggle 1; anything else is a restore.
	if ((eq.qtoggle != 1 || eq.qindex != 0) &&
	    kvmx_xive_eq_set_state(xv->vp, p, eq.qtoggle, eq.qindex)) {
		queue_release(xv, p);
		return -EIO;
	}
	if (!q.esc) {
		q.esc = kvmx_xive_esc_attach(esc_hwirq, dev->vm->arch.lpid, xv->server, prio,
					     escalation, xv);
		if (!q.esc) {
			queue_release(xv, p);
			return -EIO;
		}
	}
	return 0;
}

long get_queue(kvmx_xive_dev *dev, u64 attr, u64 addr)
{
	u32 server, prio;
	decode_eq(attr, &server, &prio);
	kvm_ppc_xive_eq eq{};
	{
		MutexGuard g(dev->lock);
		XiveVcpu *xv;
		long r = eq_target(dev, server, prio, &xv);
		if (r)
			return r;
		const Queue &q = xv->q[prio];
		if (!q.gaddr)
			return 0; // nothing configured: upstream leaves the buffer as it is
		int n = kvmx_xive_eq_always_notify(xv->vp, static_cast<u8>(prio));
		if (n < 0)
			return n;
		eq.flags = n ? KVM_XIVE_EQ_ALWAYS_NOTIFY : 0;
		eq.qshift = q.shift;
		eq.qaddr = q.gaddr;
		if (kvmx_xive_eq_get_state(xv->vp, static_cast<u8>(prio), &eq.qtoggle, &eq.qindex))
			return -EIO;
	}
	return kvmx_host_copy_to_user(addr, &eq, sizeof(eq)) ? -EFAULT : 0;
}

long set_attr(kvmx_xive_dev *dev, const kvm_device_attr &a)
{
	switch (a.group) {
	case KVM_DEV_XIVE_GRP_CTRL:
		switch (a.attr) {
		case KVM_DEV_XIVE_RESET:
			return reset(dev);
		case KVM_DEV_XIVE_EQ_SYNC:
			return eq_sync(dev);
		case KVM_DEV_XIVE_NR_SERVERS:
			return set_nr_servers(dev, a.addr);
		}
		return -ENXIO;
	case KVM_DEV_XIVE_GRP_SOURCE:
		return create_source(dev, a.attr, a.addr);
	case KVM_DEV_XIVE_GRP_SOURCE_CONFIG:
		return config_source(dev, a.attr, a.addr);
	case KVM_DEV_XIVE_GRP_EQ_CONFIG:
		return set_queue(dev, a.attr, a.addr);
	case KVM_DEV_XIVE_GRP_SOURCE_SYNC:
		return sync_source(dev, a.attr);
	default:
		return -ENXIO;
	}
}

long has_attr(const kvm_device_attr &a)
{
	switch (a.group) {
	case KVM_DEV_XIVE_GRP_CTRL:
		return a.attr == KVM_DEV_XIVE_RESET || a.attr == KVM_DEV_XIVE_EQ_SYNC ||
				       a.attr == KVM_DEV_XIVE_NR_SERVERS
			       ? 0
			       : -ENXIO;
	case KVM_DEV_XIVE_GRP_SOURCE:
	case KVM_DEV_XIVE_GRP_SOURCE_CONFIG:
	case KVM_DEV_XIVE_GRP_SOURCE_SYNC:
		return a.attr < nr_sources ? 0 : -ENXIO;
	case KVM_DEV_XIVE_GRP_EQ_CONFIG:
		return 0;
	default:
		return -ENXIO;
	}
}

// Interrupt priority of the highest pending bit of an IPB (0 = most favoured), 0xff none.
u8 ipb_prio(u8 ipb)
{
	for (u8 p = 0; p < 8; p++)
		if (ipb & (0x80 >> p))
			return p;
	return prio_masked;
}

} // namespace

bool xive_host_ok()
{
	return kvmx_xive_host_ok() != 0;
}

long xive_create_device(Vm *vm, kvm_create_device *cd)
{
	if (cd->type != KVM_DEV_TYPE_XIVE || !xive_host_ok())
		return -ENODEV;
	if (cd->flags & KVM_CREATE_DEVICE_TEST)
		return 0;
	MutexGuard g(vm->lock);
	if (vm->arch.xive)
		return -EEXIST;
	kvmx_xive_dev *dev = make_zeroed<kvmx_xive_dev>();
	if (!dev)
		return -ENOMEM;
	dev->lock = kvmx_host_mutex_create();
	if (!dev->lock) {
		destroy(dev);
		return -ENOMEM;
	}
	dev->vm = vm;
	dev->nr_servers = max_vcpus;
	vm_get(vm);
	int fd = kvmx_host_xive_fd_install(dev);
	if (fd < 0) {
		kvmx_host_mutex_destroy(dev->lock);
		destroy(dev);
		vm_put(vm);
		return fd;
	}
	store_release(&vm->arch.xive, dev);
	cd->fd = static_cast<u32>(fd);
	return 0;
}

long xive_connect_vcpu(Vcpu *vcpu, const kvm_enable_cap &cap)
{
	if (cap.flags)
		return -EINVAL;
	void *file = nullptr;
	int err = 0;
	kvmx_xive_dev *dev = kvmx_host_xive_fd_get(static_cast<int>(cap.args[0]), &file, &err);
	if (!dev)
		return err == -EPERM && !xive_host_ok() ? -ENXIO : err;
	long r = 0;
	{
		MutexGuard g(dev->lock);
		u64 server = cap.args[1];
		if (dev->vm != vcpu->vm)
			r = -EPERM;
		else if (vcpu->arch.xive)
			r = -EBUSY;
		else if (server >= dev->nr_servers)
			r = -EINVAL;
		else if (find_server(dev, static_cast<u32>(server)))
			r = -EEXIST;
		if (!r && !dev->vp_alloc) {
			// One VP per server number, allocated at the first connect.
			if (kvmx_xive_vp_block_alloc(dev->nr_servers, &dev->vp_base))
				r = -ENOSPC;
			else
				dev->vp_alloc = true;
		}
		XiveVcpu *xv = r ? nullptr : make_zeroed<XiveVcpu>();
		if (!r && !xv)
			r = -ENOMEM;
		if (xv) {
			xv->dev = dev;
			xv->vcpu = vcpu;
			xv->server = static_cast<u32>(server);
			xv->vp = dev->vp_base + xv->server;
			if (kvmx_xive_vp_enable(xv->vp, &xv->cam, &xv->hw_save)) {
				destroy(xv);
				r = -EIO;
			} else {
				// Upstream's initial context: CPPR 0 (everything held off until
				// the guest opens it) and no acknowledge pending.
				xv->w01[w_ack] = 0xff;
				store_release(&vcpu->arch.xive, xv);
			}
		}
	}
	kvmx_host_xive_fd_put(file);
	return r;
}

long xive_get_vp_state(Vcpu *vcpu, u64 val[2])
{
	XiveVcpu *xv = vcpu->arch.xive;
	if (!xv)
		return -ENXIO;
	u8 ipb = 0;
	// Events that arrived while the VP was not dispatched are in its NVT (Notification
	// Virtual Target) backup, not in the saved ring: merge them (upstream's format).
	if (kvmx_xive_vp_ipb(xv->vp, &ipb))
		return -EIO;
	u8 w[8];
	for (u32 i = 0; i < 8; i++)
		w[i] = xv->w01[i];
	w[w_ipb] |= ipb;
	__builtin_memcpy(&val[0], w, 8);
	val[1] = 0;
	return 0;
}

long xive_set_vp_state(Vcpu *vcpu, const u64 val[2])
{
	XiveVcpu *xv = vcpu->arch.xive;
	if (!xv)
		return -ENXIO;
	__builtin_memcpy(xv->w01, &val[0], 8);
	return 0;
}

void xive_push(Vcpu *vcpu)
{
	XiveVcpu *xv = vcpu->arch.xive;
	if (!xv)
		return;
	// What escalated so far is in the VP's backup now, and the hardware presents it
	// once the VP is dispatched.
	__atomic_fetch_and(&vcpu->arch.pending, ~pend_xive, __ATOMIC_SEQ_CST);
	kvmx_xive_push(xv->w01, xv->cam, xv->hw_save);
}

void xive_pull(Vcpu *vcpu)
{
	XiveVcpu *xv = vcpu->arch.xive;
	if (!xv)
		return;
	kvmx_xive_pull(xv->w01, xv->hw_save);
	// As upstream: no group-interrupt state survives, and no acknowledge is pending.
	xv->w01[w_lsmfb] = 0;
	xv->w01[w_ack] = 0xff;
	if (xive_pending(vcpu))
		__atomic_fetch_or(&vcpu->arch.pending, pend_xive, __ATOMIC_SEQ_CST);
}

bool xive_pending(const Vcpu *vcpu)
{
	const XiveVcpu *xv = vcpu->arch.xive;
	if (!xv)
		return false;
	// Not pend_xive: an escalation only says an event arrived, not that the CPPR lets
	// it through; the hardware presents it, if it may, once the VP is pushed.
	// The Interrupt Pending Buffer against the Current Processor Priority Register.
	return ipb_prio(xv->w01[w_ipb]) < xv->w01[w_cppr];
}

int xive_set_irq(Vm *vm, u32 irq, int level)
{
	// The device stays while the caller holds the irq lock: release clears
	// vm->arch.xive under it before tearing anything down.
	kvmx_xive_dev *dev = load_acquire(&vm->arch.xive);
	if (!dev)
		return -ENODEV;
	Source *s = find_source(dev, irq);
	kvmx_xive_src *hw = s ? load_acquire(&s->hw) : nullptr;
	if (!hw)
		return -EINVAL;
	if ((level == 1 && s->lsi) || level == static_cast<int>(KVM_INTERRUPT_SET_LEVEL)) {
		s->asserted = true;
	} else if (level == 0 || level == static_cast<int>(KVM_INTERRUPT_UNSET)) {
		s->asserted = false;
		return 0;
	}
	kvmx_xive_src_trigger(hw);
	return 0;
}

} // namespace kvmx

using namespace kvmx;

extern "C" long kvmx_xive_dev_ioctl(kvmx_xive_dev *dev, unsigned int cmd, unsigned long arg)
{
	if (cmd != KVM_SET_DEVICE_ATTR && cmd != KVM_GET_DEVICE_ATTR && cmd != KVM_HAS_DEVICE_ATTR)
		return -ENOTTY;
	kvm_device_attr a;
	if (kvmx_host_copy_from_user(&a, arg, sizeof(a)))
		return -EFAULT;
	switch (cmd) {
	case KVM_SET_DEVICE_ATTR:
		return set_attr(dev, a);
	case KVM_GET_DEVICE_ATTR:
		return a.group == KVM_DEV_XIVE_GRP_EQ_CONFIG ? get_queue(dev, a.attr, a.addr)
							     : -ENXIO;
	default:
		return has_attr(a);
	}
}

extern "C" kvmx_u64 kvmx_xive_dev_esb_page(kvmx_xive_dev *dev, kvmx_u64 index)
{
	// Two pages per source: even to trigger, odd to manage (EOI, PQ loads). Sources are
	// never freed while a mapping of the device exists (release comes after the last).
	Source *s = find_source(dev, index / 2);
	kvmx_xive_src *hw = s ? load_acquire(&s->hw) : nullptr;
	return hw ? kvmx_xive_src_page(hw, static_cast<int>(index & 1)) : 0;
}

extern "C" void kvmx_xive_dev_release(kvmx_xive_dev *dev)
{
	// The last reference to the device fd (and its mappings) is gone. First no irqfd may
	// reach it any more (they fire under the irq lock), then vCPUs are disconnected under
	// their own lock: none may be running with the VP dispatched.
	Vm *vm = dev->vm;
	{
		MutexGuard g(vm->lock);
		IrqLockGuard irq(vm->irq->lock);
		if (vm->arch.xive == dev)
			store_release(&vm->arch.xive, static_cast<kvmx_xive_dev *>(nullptr));
	}
	u32 n = load_acquire(&vm->nr_vcpus);
	for (u32 i = 0; i < n; i++) {
		Vcpu *v = vm_vcpu(vm, i);
		if (!v)
			continue;
		MutexGuard vl(v->lock);
		MutexGuard g(dev->lock);
		if (v->arch.xive && v->arch.xive->dev == dev)
			vcpu_disconnect(v);
	}
	for (u32 b = 0; b < nr_blocks; b++) {
		if (!dev->blocks[b])
			continue;
		for (Source &s : dev->blocks[b]->src)
			if (s.hw)
				kvmx_xive_src_free(s.hw);
		destroy(dev->blocks[b]);
	}
	if (dev->vp_alloc)
		kvmx_xive_vp_block_free(dev->vp_base);
	kvmx_host_mutex_destroy(dev->lock);
	destroy(dev);
	vm_put(vm);
}
