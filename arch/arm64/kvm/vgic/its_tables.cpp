// SPDX-License-Identifier: GPL-2.0
// KVM_DEV_ARM_ITS_SAVE_TABLES and KVM_DEV_ARM_ITS_RESTORE_TABLES: the ITS's translations
// written into the guest's own tables and read back from them, in the layout of upstream's
// ITS table ABI revision 0 (Documentation/virt/kvm/devices/arm-vgic-its.rst), so that a
// VMM migrates them with guest memory, between kvmx and the in-kernel KVM too. Every entry
// is 8 bytes, little-endian:
//   DTE (device table, indexed by DeviceID, flat or two-level): Valid [63], Next [62:49]
//     (DeviceID distance to the next valid DTE, 0 for the last, at most 2^14 - 1),
//     ITT address [51:8] in [48:5], Size [4:0] (EventID bits - 1).
//   ITE (a device's ITT, indexed by EventID): Next [63:48] (EventID distance, as above,
//     at most 2^16 - 1), pINTID [47:16] (the LPI; 0 marks an invalid entry), ICID [15:0].
//   CTE (collection table, in no order, ended by an invalid entry or the table's end):
//     Valid [63], RDBase [51:16] (the target vCPU's index, or 0xffffffff when unmapped),
//     ICID [15:0].
// The caller (its_regs.cpp's ctrl) holds cmd_lock, so the lists change only here; the
// vGIC lock is taken where they do (MSI translation walks them under it alone).
#include "its.hpp"

namespace kvmx {

namespace {

constexpr u64 VALID = 1ULL << 63;
constexpr u32 esz = 8; // DTE, ITE, CTE and level-1 entries alike (ABI revision 0)
constexpr u32 DTE_NEXT_SHIFT = 49, DTE_ITT_SHIFT = 5;
constexpr u64 DTE_NEXT_MAX = (1u << 14) - 1, DTE_ITT_MASK = (1ULL << 44) - 1;
constexpr u32 ITE_NEXT_SHIFT = 48, ITE_LPI_SHIFT = 16;
constexpr u64 ITE_NEXT_MAX = (1u << 16) - 1, ICID_MASK = 0xffff;
constexpr u32 CTE_RDBASE_SHIFT = 16;
// A fatal signal is looked at every this many entries of a long scan.
constexpr u32 scan_check_every = 4096;

u64 table_size(u64 baser)
{
	return ((baser & 0xff) + 1) * its_page;
}

int write_entry(VgicIts *its, u64 gpa, u64 val)
{
	u8 b[esz];
	for (u32 i = 0; i < esz; i++)
		b[i] = static_cast<u8>(val >> (8 * i));
	return vgic_write_guest(its->vgic, gpa, b, esz);
}

int read_entry(VgicIts *its, u64 gpa, u64 *val)
{
	u8 b[esz];
	int r = vgic_read_guest(its->vgic, gpa, b, esz);
	if (r)
		return r;
	*val = 0;
	for (u32 i = 0; i < esz; i++)
		*val |= static_cast<u64>(b[i]) << (8 * i);
	return 0;
}

// A singly linked list sorted by @key, stably (merge sort: O(n log n), depth log2 n).
template <typename T, typename K> T *sort_list(T *head, K key)
{
	if (!head || !head->next)
		return head;
	T *slow = head, *fast = head->next;
	while (fast && fast->next) {
		slow = slow->next;
		fast = fast->next->next;
	}
	T *b = sort_list(slow->next, key);
	slow->next = nullptr;
	T *a = sort_list(head, key);
	T *out = nullptr, **tail = &out;
	while (a && b) {
		if (key(a) <= key(b)) {
			*tail = a;
			a = a->next;
		} else {
			*tail = b;
			b = b->next;
		}
		tail = &(*tail)->next;
	}
	*tail = a ? a : b;
	return out;
}

u32 capped(u32 distance, u64 max)
{
	return distance > max ? static_cast<u32>(max) : distance;
}

// An ITE whose collection the guest unmapped (MAPC with V=0) names no ICID: it cannot be
// triggered, moved or discarded any more, and is not saved.
bool ite_saved(const ItsIte *ite)
{
	return ite->coll != nullptr;
}

int save_itt(VgicIts *its, ItsDevice *d)
{
	{
		VgicLocked l(its->vgic);
		d->ites = sort_list(d->ites, [](const ItsIte *i) { return i->event_id; });
	}
	for (ItsIte *ite = d->ites; ite; ite = ite->next) {
		if (!ite_saved(ite))
			continue;
		ItsIte *n = ite->next;
		while (n && !ite_saved(n))
			n = n->next;
		u64 next = n ? capped(n->event_id - ite->event_id, ITE_NEXT_MAX) : 0;
		u64 val = next << ITE_NEXT_SHIFT |
			  static_cast<u64>(ite->irq->intid) << ITE_LPI_SHIFT |
			  (ite->coll->id & ICID_MASK);
		int r = write_entry(its, d->itt_addr + static_cast<u64>(ite->event_id) * esz, val);
		if (r)
			return r;
	}
	return 0;
}

int save_device_table(VgicIts *its)
{
	u64 baser = its->baser_device;
	if (!(baser & VALID))
		return 0;
	{
		VgicLocked l(its->vgic);
		its->devices = sort_list(its->devices, [](const ItsDevice *d) { return d->id; });
	}
	for (ItsDevice *d = its->devices; d; d = d->next) {
		u64 eaddr;
		if (!vgic_its_check_id(its, baser, d->id, &eaddr))
			return -EINVAL;
		int r = save_itt(its, d);
		if (r)
			return r;
		u64 next = d->next ? capped(d->next->id - d->id, DTE_NEXT_MAX) : 0;
		u64 val = VALID | next << DTE_NEXT_SHIFT |
			  ((d->itt_addr >> 8) & DTE_ITT_MASK) << DTE_ITT_SHIFT |
			  (d->num_eventid_bits - 1);
		r = write_entry(its, eaddr, val);
		if (r)
			return r;
		kvmx_host_cond_resched();
	}
	return 0;
}

// Every collection, then an invalid entry if the table has room left.
int save_collection_table(VgicIts *its)
{
	u64 baser = its->baser_coll;
	if (!(baser & VALID))
		return 0;
	u64 gpa = baser & its_baser_addr_mask, max = table_size(baser), filled = 0;
	for (ItsCollection *c = its->collections; c; c = c->next) {
		if (filled + esz > max) // only if the guest shrank the table under its collections
			return -ENOSPC;
		u64 val = VALID | static_cast<u64>(c->target) << CTE_RDBASE_SHIFT |
			  (c->id & ICID_MASK);
		int r = write_entry(its, gpa + filled, val);
		if (r)
			return r;
		filled += esz;
	}
	return filled < max ? write_entry(its, gpa + filled, 0) : 0;
}

// --- Restore ---

// One entry of a table being scanned: > 0 the distance in entries to the next one to
// read, 0 this was the last, < 0 an error.
using EntryFn = int (*)(VgicIts *its, u32 id, u64 entry, void *opaque);

struct Scan {
	u32 entries; // read so far, for the fatal-signal check
};

// Entries from @gpa on, @size bytes, the first with id @id: 1 when the table ended
// without a last entry, else what @fn returned last, or a read error.
int scan_table(VgicIts *its, Scan *s, u64 gpa, u64 size, u32 id, EntryFn fn, void *opaque)
{
	while (size >= esz) {
		u64 entry;
		int r = read_entry(its, gpa, &entry);
		if (r)
			return r;
		int next = fn(its, id, entry, opaque);
		if (next <= 0)
			return next;
		u64 bytes = static_cast<u64>(next) * esz;
		if (bytes >= size)
			break;
		id += next;
		gpa += bytes;
		size -= bytes;
		if (++s->entries % scan_check_every == 0) {
			if (kvmx_host_fatal_signal_pending())
				return -EINTR;
			kvmx_host_cond_resched();
		}
	}
	return 1;
}

int restore_ite(VgicIts *its, u32 event, u64 entry, void *opaque)
{
	auto *d = static_cast<ItsDevice *>(opaque);
	u32 lpi = static_cast<u32>(entry >> ITE_LPI_SHIFT);
	if (!lpi)
		return 1; // not valid: the next entry
	if (lpi < vgic_min_lpi)
		return -EINVAL;
	u32 next = static_cast<u32>(entry >> ITE_NEXT_SHIFT);
	if (static_cast<u64>(event) + next >= (1ULL << d->num_eventid_bits))
		return -EINVAL;
	u32 icid = static_cast<u32>(entry & ICID_MASK);
	if (!vgic_its_find_collection(its, icid))
		return -EINVAL;
	int r = vgic_its_map_event(its, d, event, lpi, icid);
	if (r)
		return r;
	return static_cast<int>(next);
}

struct DteCtx {
	Scan *scan;
};

int restore_dte(VgicIts *its, u32 id, u64 entry, void *opaque)
{
	auto *ctx = static_cast<DteCtx *>(opaque);
	if (!(entry & VALID))
		return 1;
	u32 next = static_cast<u32>((entry >> DTE_NEXT_SHIFT) & DTE_NEXT_MAX);
	u32 bits = static_cast<u32>(entry & 0x1f) + 1;
	if (id >= (1u << its_dev_bits) || bits > its_event_bits ||
	    !vgic_its_check_id(its, its->baser_device, id, nullptr))
		return -EINVAL;
	if (vgic_its_find_device(its, id))
		return -EEXIST;
	auto *d = make_zeroed<ItsDevice>();
	if (!d)
		return -ENOMEM;
	d->id = id;
	d->num_eventid_bits = bits;
	d->itt_addr = ((entry >> DTE_ITT_SHIFT) & DTE_ITT_MASK) << 8;
	{
		VgicLocked l(its->vgic);
		d->next = its->devices;
		its->devices = d;
	}
	int r = scan_table(its, ctx->scan, d->itt_addr, (1ULL << bits) * esz, 0, restore_ite, d);
	if (r < 0)
		return r; // the caller frees every device, this one with its ITEs
	return static_cast<int>(next);
}

// A level-1 entry of a two-level device table: its level-2 page holds the DTEs of
// its_page / esz consecutive DeviceIDs.
int restore_l1(VgicIts *its, u32 index, u64 entry, void *opaque)
{
	auto *ctx = static_cast<DteCtx *>(opaque);
	if (!(entry & VALID))
		return 1;
	u32 first = index * static_cast<u32>(its_page / esz);
	return scan_table(its, ctx->scan, entry & its_l1e_addr_mask, its_page, first, restore_dte,
			  ctx);
}

int restore_device_table(VgicIts *its, Scan *s)
{
	u64 baser = its->baser_device;
	if (!(baser & VALID))
		return 0;
	DteCtx ctx = { s };
	u64 gpa = baser & its_baser_addr_mask;
	int r = scan_table(its, s, gpa, table_size(baser), 0,
			   baser & its_baser_indirect ? restore_l1 : restore_dte, &ctx);
	if (r < 0) {
		vgic_its_free_devices(its);
		return r;
	}
	return 0;
}

int restore_cte(VgicIts *its, u32, u64 entry, void *)
{
	if (!(entry & VALID))
		return 0; // the end of the table
	u32 target = static_cast<u32>(entry >> CTE_RDBASE_SHIFT);
	u32 icid = static_cast<u32>(entry & ICID_MASK);
	if (target != its_coll_unmapped && target >= load_acquire(&its->vgic->nr_cpus))
		return -EINVAL;
	if (vgic_its_find_collection(its, icid))
		return -EEXIST;
	if (!vgic_its_check_id(its, its->baser_coll, icid, nullptr))
		return -EINVAL;
	auto *c = make_zeroed<ItsCollection>();
	if (!c)
		return -ENOMEM;
	c->id = icid;
	c->target = target;
	VgicLocked l(its->vgic);
	c->next = its->collections;
	its->collections = c;
	return 1;
}

int restore_collection_table(VgicIts *its, Scan *s)
{
	u64 baser = its->baser_coll;
	if (!(baser & VALID))
		return 0;
	int r = scan_table(its, s, baser & its_baser_addr_mask, table_size(baser), 0, restore_cte,
			   nullptr);
	if (r < 0) {
		vgic_its_free_collections(its);
		return r;
	}
	return 0;
}

} // namespace

int vgic_its_save_tables(VgicIts *its)
{
	int r = save_device_table(its);
	return r ? r : save_collection_table(its);
}

// Collections first: an ITE names one that must exist. On an error nothing restored
// stays.
int vgic_its_restore_tables(VgicIts *its)
{
	Scan s = { 0 };
	int r = restore_collection_table(its, &s);
	if (r)
		return r;
	r = restore_device_table(its, &s);
	if (r)
		vgic_its_free_collections(its);
	return r;
}

} // namespace kvmx
