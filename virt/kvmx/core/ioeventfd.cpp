// SPDX-License-Identifier: GPL-2.0
// KVM_IOEVENTFD with upstream's rules (Documentation/virt/kvm/api.rst): lengths 0, 1, 2,
// 4 or 8 (0 = any length, never with a datamatch), no range wrap-around, -EEXIST when an
// entry on the same bus and address could match the same write, -ENOENT to deassign what
// is not there. The PIO and virtio-ccw buses are kept for the ABI but never match here.
// Owns the table only; the eventfds themselves are the host's (kvmx_host_eventfd_*).
#include "ioeventfd.hpp"
#include "vm.hpp"
#include <linux/kvm.h>

namespace kvmx {

namespace {

enum class Bus : u8 { mmio, pio, ccw };

// More than any VMM registers (QEMU: one per virtqueue); bounds the kernel memory a VM
// can pin. Upstream has no such bound for ioeventfds; -ENOSPC as for its I/O bus limit.
constexpr u32 max_ioeventfds = 4096;

constexpr u32 valid_flags = KVM_IOEVENTFD_FLAG_DATAMATCH | KVM_IOEVENTFD_FLAG_PIO |
			    KVM_IOEVENTFD_FLAG_DEASSIGN | KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY;

Bus bus_of(u32 flags)
{
	if (flags & KVM_IOEVENTFD_FLAG_PIO)
		return Bus::pio;
	if (flags & KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY)
		return Bus::ccw;
	return Bus::mmio;
}

} // namespace

struct Ioeventfd {
	u64 addr;
	u64 datamatch;
	kvmx_eventfd *efd;
	u32 len; // 0: any length
	Bus bus;
	bool wildcard; // no datamatch
};

namespace {

// Could one write trigger both? (upstream's collision rule)
bool collides(const Ioeventfd &a, const Ioeventfd &b)
{
	return a.bus == b.bus && a.addr == b.addr &&
	       (!a.len || !b.len ||
		(a.len == b.len && (a.wildcard || b.wildcard || a.datamatch == b.datamatch)));
}

bool matches(const Ioeventfd &e, u64 addr, u32 len, const u8 *data)
{
	if (e.bus != Bus::mmio || e.addr != addr)
		return false;
	if (!e.len || e.wildcard)
		return !e.len || e.len == len;
	if (e.len != len)
		return false;
	// The value as the host reads the bytes (both kvmx hosts are little-endian).
	u64 val = 0;
	for (u32 i = 0; i < len; i++)
		val |= static_cast<u64>(data[i]) << (8 * i);
	return val == e.datamatch;
}

// Replace the entries with @fresh (count @n): under the VM lock, readers see either.
void publish(IoeventfdTable &t, Ioeventfd *fresh, u32 n)
{
	u32 mmio = 0;
	for (u32 i = 0; i < n; i++)
		mmio += fresh[i].bus == Bus::mmio;
	Ioeventfd *old;
	{
		SpinGuard guard(t.lock);
		old = t.entries;
		t.entries = fresh;
		t.count = n;
		store_release(&t.mmio_count, mmio);
	}
	kvmx_host_free(old);
}

long assign(Vm *vm, const kvm_ioeventfd &args)
{
	switch (args.len) {
	case 0:
	case 1:
	case 2:
	case 4:
	case 8:
		break;
	default:
		return -EINVAL;
	}
	if (args.addr + args.len < args.addr)
		return -EINVAL;
	if (args.flags & ~valid_flags)
		return -EINVAL;
	if (!args.len && (args.flags & KVM_IOEVENTFD_FLAG_DATAMATCH))
		return -EINVAL;
	int err = 0;
	kvmx_eventfd *efd = kvmx_host_eventfd_get(args.fd, &err);
	if (!efd)
		return err;
	Ioeventfd entry{};
	entry.addr = args.addr;
	entry.len = args.len;
	entry.bus = bus_of(args.flags);
	entry.wildcard = !(args.flags & KVM_IOEVENTFD_FLAG_DATAMATCH);
	entry.datamatch = entry.wildcard ? 0 : args.datamatch;
	entry.efd = efd;

	MutexGuard guard(vm->lock);
	IoeventfdTable &t = *vm->ioeventfds;
	long r = 0;
	for (u32 i = 0; i < t.count && !r; i++) {
		if (collides(t.entries[i], entry))
			r = -EEXIST;
	}
	if (!r && t.count >= max_ioeventfds)
		r = -ENOSPC;
	Ioeventfd *fresh = nullptr;
	if (!r) {
		fresh = static_cast<Ioeventfd *>(
			kvmx_host_zalloc(sizeof(Ioeventfd) * (t.count + 1)));
		if (!fresh)
			r = -ENOMEM;
	}
	if (r) {
		kvmx_host_eventfd_put(efd);
		return r;
	}
	for (u32 i = 0; i < t.count; i++)
		fresh[i] = t.entries[i];
	fresh[t.count] = entry;
	publish(t, fresh, t.count + 1);
	return 0;
}

long deassign(Vm *vm, const kvm_ioeventfd &args)
{
	int err = 0;
	kvmx_eventfd *efd = kvmx_host_eventfd_get(args.fd, &err);
	if (!efd)
		return err;
	const Bus bus = bus_of(args.flags);
	const bool wildcard = !(args.flags & KVM_IOEVENTFD_FLAG_DATAMATCH);
	long r = -ENOENT;
	{
		MutexGuard guard(vm->lock);
		IoeventfdTable &t = *vm->ioeventfds;
		for (u32 i = 0; i < t.count; i++) {
			const Ioeventfd &e = t.entries[i];
			if (e.bus != bus || e.efd != efd || e.addr != args.addr ||
			    e.len != args.len || e.wildcard != wildcard ||
			    (!wildcard && e.datamatch != args.datamatch))
				continue;
			kvmx_eventfd *gone = e.efd;
			Ioeventfd *fresh = nullptr;
			if (t.count > 1) {
				fresh = static_cast<Ioeventfd *>(
					kvmx_host_zalloc(sizeof(Ioeventfd) * (t.count - 1)));
				if (!fresh) {
					r = -ENOMEM;
					break;
				}
				for (u32 j = 0, k = 0; j < t.count; j++) {
					if (j != i)
						fresh[k++] = t.entries[j];
				}
			}
			publish(t, fresh, t.count - 1);
			kvmx_host_eventfd_put(gone);
			r = 0;
			break;
		}
	}
	kvmx_host_eventfd_put(efd);
	return r;
}

} // namespace

Status ioeventfd_init(Vm *vm)
{
	vm->ioeventfds = make_zeroed<IoeventfdTable>();
	if (!vm->ioeventfds)
		return Status::error(-ENOMEM);
	vm->ioeventfds->lock = kvmx_host_spinlock_create();
	return vm->ioeventfds->lock ? Status::ok() : Status::error(-ENOMEM);
}

void ioeventfd_destroy(Vm *vm)
{
	IoeventfdTable *t = vm->ioeventfds;
	if (!t)
		return;
	for (u32 i = 0; i < t->count; i++)
		kvmx_host_eventfd_put(t->entries[i].efd);
	kvmx_host_free(t->entries);
	kvmx_host_spinlock_destroy(t->lock);
	destroy(t);
	vm->ioeventfds = nullptr;
}

long ioeventfd_ioctl(Vm *vm, unsigned long arg)
{
	kvm_ioeventfd args;
	if (kvmx_host_copy_from_user(&args, arg, sizeof(args)))
		return -EFAULT;
	if (args.flags & KVM_IOEVENTFD_FLAG_DEASSIGN)
		return deassign(vm, args);
	return assign(vm, args);
}

bool ioeventfd_mmio_write(Vm *vm, u64 addr, u32 len, const void *data)
{
	IoeventfdTable &t = *vm->ioeventfds;
	if (!load_acquire(&t.mmio_count))
		return false;
	SpinGuard guard(t.lock);
	for (u32 i = 0; i < t.count; i++) {
		if (matches(t.entries[i], addr, len, static_cast<const u8 *>(data))) {
			kvmx_host_eventfd_signal(t.entries[i].efd);
			return true;
		}
	}
	return false;
}

} // namespace kvmx
