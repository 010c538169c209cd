// SPDX-License-Identifier: GPL-2.0
// Coalesced MMIO (coalesced_mmio.hpp), with upstream's rules (virt/kvm/coalesced_mmio.c):
// a write is coalesced only if a zone holds all of it; the ring keeps one slot free, and
// a write that finds it full (or finds an index userspace corrupted) exits as usual;
// unregistering a range drops every zone that holds all of it, and always succeeds.
#include "coalesced_mmio.hpp"
#include "registry.hpp"
#include "vm.hpp"
#include <linux/kvm.h>

namespace kvmx {

namespace {

// struct kvm_coalesced_mmio_ring, by hand (its flexible array is laid out differently in
// C++): two u32 indexes, then the entries.
constexpr usize ring_header = 8;
constexpr usize entry_size = sizeof(kvm_coalesced_mmio);
// Entries in the ring page: a host page, as upstream's KVM_COALESCED_MMIO_MAX, which
// the VMM computes from its own page size (QEMU: 2047 on a 64 KiB POWER host).
u32 ring_max()
{
	return static_cast<u32>((host_page_bytes() - ring_header) / entry_size);
}
// Upstream shares 1000 devices per bus between zones and ioeventfds; kvmx bounds zones.
constexpr u32 coalesced_max_zones = 256;

static_assert(entry_size == 24, "upstream's struct kvm_coalesced_mmio");

volatile u32 *ring_first(u8 *ring)
{
	return reinterpret_cast<volatile u32 *>(ring);
}

volatile u32 *ring_last(u8 *ring)
{
	return reinterpret_cast<volatile u32 *>(ring + 4);
}

// [addr, addr + len) within @z, as upstream's coalesced_mmio_in_range.
bool holds(const CoalescedZone &z, u64 addr, u64 len)
{
	return addr + len >= addr && addr >= z.addr && addr + len <= z.addr + z.size;
}

} // namespace

Status coalesced_mmio_init(Vm *vm)
{
	CoalescedMmio &c = vm->coalesced;
	c.ring = static_cast<u8 *>(kvmx_host_alloc_page());
	c.lock = kvmx_host_spinlock_create();
	return c.ring && c.lock ? Status::ok() : Status::error(-ENOMEM);
}

void coalesced_mmio_destroy(Vm *vm)
{
	CoalescedMmio &c = vm->coalesced;
	if (c.ring)
		kvmx_host_free_page(c.ring);
	kvmx_host_free(c.zones);
	kvmx_host_spinlock_destroy(c.lock);
	c = CoalescedMmio{};
}

void *coalesced_mmio_ring_page(Vm *vm)
{
	return vm->coalesced.ring;
}

long coalesced_mmio_ioctl(Vm *vm, bool reg, unsigned long arg)
{
	kvm_coalesced_mmio_zone zone;
	if (kvmx_host_copy_from_user(&zone, arg, sizeof(zone)))
		return -EFAULT;
#ifndef KVMX_ARCH_COALESCED_MMIO
	return -EINVAL; // not offered on this arch (KVM_CAP_COALESCED_MMIO reads 0)
#endif
	if (zone.pio != 0 && zone.pio != 1)
		return -EINVAL;
	CoalescedMmio &c = vm->coalesced;
	MutexGuard g(vm->lock);
	if (reg) {
		// Port I/O zones exist only on x86: no access ever matches one here.
		if (!c.zones) {
			auto *z = static_cast<CoalescedZone *>(
				kvmx_host_zalloc(coalesced_max_zones * sizeof(CoalescedZone)));
			if (!z)
				return -ENOMEM;
			SpinGuard s(c.lock);
			c.zones = z;
		}
		SpinGuard s(c.lock);
		if (c.nr_zones == coalesced_max_zones)
			return -ENOSPC;
		c.zones[c.nr_zones] = CoalescedZone{ zone.addr, zone.size, zone.pio };
		store_release(&c.nr_zones, c.nr_zones + 1);
		return 0;
	}
	SpinGuard s(c.lock);
	u32 n = c.nr_zones;
	for (u32 i = 0; i < n;) {
		if (c.zones[i].pio == zone.pio && holds(c.zones[i], zone.addr, zone.size))
			c.zones[i] = c.zones[--n];
		else
			i++;
	}
	store_release(&c.nr_zones, n);
	return 0;
}

bool coalesced_mmio_write(Vm *vm, u64 addr, u32 len, const void *data)
{
	CoalescedMmio &c = vm->coalesced;
	if (!load_acquire(&c.nr_zones) || len > 8)
		return false;
	SpinGuard s(c.lock);
	bool in_zone = false;
	for (u32 i = 0; i < c.nr_zones && !in_zone; i++)
		in_zone = !c.zones[i].pio && holds(c.zones[i], addr, len);
	if (!in_zone)
		return false;
	// Both indexes live in memory userspace writes: read once, checked.
	const u32 max = ring_max();
	u32 insert = *ring_last(c.ring), first = *ring_first(c.ring);
	if (insert >= max || (insert + 1) % max == first)
		return false;
	kvm_coalesced_mmio e = {};
	e.phys_addr = addr;
	e.len = len;
	e.pio = 0;
	__builtin_memcpy(e.data, data, len);
	__builtin_memcpy(c.ring + ring_header + insert * entry_size, &e, sizeof(e));
	store_release(const_cast<u32 *>(ring_last(c.ring)), (insert + 1) % max);
	return true;
}

} // namespace kvmx
