// SPDX-License-Identifier: GPL-2.0
// The ITS command queue and MSI translation: the commands a guest writes to its command
// queue (MAPD, MAPC, MAPTI, MAPI, MOVI, DISCARD, INV, INVALL, INT, CLEAR, SYNC, MOVALL)
// applied to the device, ITE and collection lists, and MSIs translated through them into
// LPIs. A command with bad ids changes nothing and raises nothing, as upstream: the
// E_ITS_* codes are only returned internally (there is no command error reporting).
#include "its.hpp"

namespace kvmx {

namespace {

// Command codes (GICv3 architecture specification, chapter 5 "ITS commands").
constexpr u8 CMD_MOVI = 0x01, CMD_INT = 0x03, CMD_CLEAR = 0x04, CMD_SYNC = 0x05;
constexpr u8 CMD_MAPD = 0x08, CMD_MAPC = 0x09, CMD_MAPTI = 0x0a, CMD_MAPI = 0x0b;
constexpr u8 CMD_INV = 0x0c, CMD_INVALL = 0x0d, CMD_MOVALL = 0x0e, CMD_DISCARD = 0x0f;
// The error codes upstream's handlers return (include/linux/irqchip/arm-gic-v3.h).
constexpr int E_MOVI_UNMAPPED_INTERRUPT = 0x010107, E_MOVI_UNMAPPED_COLLECTION = 0x010109;
constexpr int E_INT_UNMAPPED_INTERRUPT = 0x010307, E_CLEAR_UNMAPPED_INTERRUPT = 0x010507;
constexpr int E_MAPD_DEVICE_OOR = 0x010801, E_MAPD_ITTSIZE_OOR = 0x010802;
constexpr int E_MAPC_PROCNUM_OOR = 0x010902, E_MAPC_COLLECTION_OOR = 0x010903;
constexpr int E_MAPTI_UNMAPPED_DEVICE = 0x010a04, E_MAPTI_ID_OOR = 0x010a05;
constexpr int E_MAPTI_PHYSICALID_OOR = 0x010a06, E_INV_UNMAPPED_INTERRUPT = 0x010c07;
constexpr int E_INVALL_UNMAPPED_COLLECTION = 0x010d09, E_MOVALL_PROCNUM_OOR = 0x010e01;
constexpr int E_DISCARD_UNMAPPED_INTERRUPT = 0x010f07;

// GITS_CBASER: Valid [63], address [51:12], Size [7:0] (4 KB pages - 1).
constexpr u64 CBASER_ADDR_MASK = 0x000ffffffffff000ULL;
constexpr u32 cmd_size = 32;

struct Cmd {
	u64 dw[4];
	u8 code() const { return dw[0] & 0xff; }
	u32 devid() const { return static_cast<u32>(dw[0] >> 32); }
	u32 eventid() const { return static_cast<u32>(dw[1]); }
	u32 size() const { return dw[1] & 0x1f; }
	u32 phys_id() const { return static_cast<u32>(dw[1] >> 32); }
	u64 itt_addr() const { return dw[2] & 0x000fffffffffff00ULL; }
	u32 coll() const { return dw[2] & 0xffff; }
	u32 target() const { return static_cast<u32>(dw[2] >> 16); }
	u32 target2() const { return static_cast<u32>(dw[3] >> 16); }
	bool valid() const { return dw[2] >> 63; }
};

} // namespace

// Upstream's vgic_its_check_id: a flat table must hold @id; an indirect one must have a
// valid level-1 entry for its page.
bool vgic_its_check_id(VgicIts *its, u64 baser, u32 id, u64 *eaddr)
{
	if (!(baser & its_baser_valid))
		return false;
	u64 esz = ((baser >> 48) & 0x1f) + 1;
	u64 size = ((baser & 0xff) + 1) * its_page;
	if (!(baser & its_baser_indirect)) {
		if (id >= size / esz)
			return false;
		if (eaddr)
			*eaddr = (baser & its_baser_addr_mask) + id * esz;
		return true;
	}
	u64 per_page = its_page / esz, index = id / per_page;
	if (index >= size / 8)
		return false;
	u64 l1 = 0;
	if (vgic_read_guest(its->vgic, (baser & its_baser_addr_mask) + index * 8, &l1, 8))
		return false;
	if (!(l1 & its_baser_valid))
		return false;
	if (eaddr)
		*eaddr = (l1 & its_l1e_addr_mask) + (id % per_page) * esz;
	return true;
}

ItsDevice *vgic_its_find_device(VgicIts *its, u32 id)
{
	for (ItsDevice *d = its->devices; d; d = d->next)
		if (d->id == id)
			return d;
	return nullptr;
}

ItsCollection *vgic_its_find_collection(VgicIts *its, u32 id)
{
	for (ItsCollection *c = its->collections; c; c = c->next)
		if (c->id == id)
			return c;
	return nullptr;
}

namespace {

ItsIte *find_ite(VgicIts *its, u32 devid, u32 eventid)
{
	ItsDevice *d = vgic_its_find_device(its, devid);
	for (ItsIte *ite = d ? d->ites : nullptr; ite; ite = ite->next)
		if (ite->event_id == eventid)
			return ite;
	return nullptr;
}

bool coll_mapped(const ItsCollection *c)
{
	return c && c->target != its_coll_unmapped;
}

VgicCpu *cpu_by_idx(Vgic *vgic, u32 idx)
{
	return idx < load_acquire(&vgic->nr_cpus) ? vgic->cpus[idx] : nullptr;
}

VgicCpu *coll_cpu(VgicIts *its, const ItsCollection *c)
{
	return coll_mapped(c) ? cpu_by_idx(its->vgic, c->target) : nullptr;
}

// Lock held. The LPI goes to @cpu from now on; if it sits on another vCPU's list, that
// vCPU moves it at its next exit (lr.cpp's prune).
void set_affinity(const VgicLocked &l, VgicIrq *irq, VgicCpu *cpu)
{
	irq->target = cpu;
	vgic_queue_irq(l, irq);
}

void free_ite(const VgicLocked &l, VgicIts *its, ItsDevice *d, ItsIte *ite)
{
	for (ItsIte **p = &d->ites; *p; p = &(*p)->next) {
		if (*p == ite) {
			*p = ite->next;
			break;
		}
	}
	if (ite->irq)
		vgic_lpi_put(l, ite->irq);
	its->nr_ites--;
	kvmx_host_free(ite);
}

void free_device(const VgicLocked &l, VgicIts *its, ItsDevice *d)
{
	while (d->ites)
		free_ite(l, its, d, d->ites);
	for (ItsDevice **p = &its->devices; *p; p = &(*p)->next) {
		if (*p == d) {
			*p = d->next;
			break;
		}
	}
	kvmx_host_free(d);
}

void free_collection(const VgicLocked &l, VgicIts *its, ItsCollection *c)
{
	for (ItsDevice *d = its->devices; d; d = d->next)
		for (ItsIte *ite = d->ites; ite; ite = ite->next)
			if (ite->coll == c)
				ite->coll = nullptr;
	for (ItsCollection **p = &its->collections; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	kvmx_host_free(c);
}

int cmd_mapd(VgicIts *its, const Cmd &c)
{
	u32 id = c.devid();
	// Device ids beyond GITS_TYPER.Devbits are out of range whatever the table holds.
	if (id >= (1u << its_dev_bits) || !vgic_its_check_id(its, its->baser_device, id, nullptr))
		return E_MAPD_DEVICE_OOR;
	u32 bits = c.size() + 1;
	if (c.valid() && bits > its_event_bits)
		return E_MAPD_ITTSIZE_OOR;
	ItsDevice *fresh = nullptr;
	if (c.valid()) {
		fresh = make_zeroed<ItsDevice>();
		if (!fresh)
			return -ENOMEM;
		fresh->id = id;
		fresh->num_eventid_bits = bits;
		fresh->itt_addr = c.itt_addr();
	}
	VgicLocked l(its->vgic);
	// Remapping a device drops its translations, as upstream (UNPREDICTABLE otherwise).
	if (ItsDevice *old = vgic_its_find_device(its, id))
		free_device(l, its, old);
	if (fresh) {
		fresh->next = its->devices;
		its->devices = fresh;
	}
	return 0;
}

// A new collection, unlinked; nullptr without memory.
ItsCollection *new_collection(u32 id, u32 target)
{
	ItsCollection *coll = make_zeroed<ItsCollection>();
	if (coll) {
		coll->id = id;
		coll->target = target;
	}
	return coll;
}

int cmd_mapc(VgicIts *its, const Cmd &c)
{
	Vgic *vgic = its->vgic;
	u32 id = c.coll(), target = c.target();
	if (target >= load_acquire(&vgic->nr_cpus))
		return E_MAPC_PROCNUM_OOR;
	ItsCollection *coll = vgic_its_find_collection(its, id);
	if (!c.valid()) {
		if (coll) {
			VgicLocked l(vgic);
			free_collection(l, its, coll);
		}
		return 0;
	}
	if (!coll) {
		if (!vgic_its_check_id(its, its->baser_coll, id, nullptr))
			return E_MAPC_COLLECTION_OOR;
		coll = new_collection(id, target);
		if (!coll)
			return -ENOMEM;
		VgicLocked l(vgic);
		coll->next = its->collections;
		its->collections = coll;
		return 0;
	}
	VgicLocked l(vgic);
	coll->target = target;
	VgicCpu *cpu = cpu_by_idx(vgic, target);
	for (ItsDevice *d = its->devices; d; d = d->next)
		for (ItsIte *ite = d->ites; ite; ite = ite->next)
			if (ite->coll == coll)
				set_affinity(l, ite->irq, cpu);
	return 0;
}

// What MAPTI needs from guest memory, read before the lock: the LPI's configuration
// byte and its pending bit in the target's pending table.
struct LpiInit {
	u8 prop;
	bool pending;
	int err;
};

LpiInit read_lpi_init(VgicIts *its, u32 lpi, const ItsCollection *coll)
{
	Vgic *vgic = its->vgic;
	LpiInit in = {};
	in.err = vgic_lpi_read_prop(vgic, lpi, &in.prop);
	u64 pendbaser = 0;
	VgicCpu *cpu = nullptr;
	{
		VgicLocked l(vgic);
		if (VgicIrq *irq = vgic_find_lpi(l, lpi))
			cpu = irq->target;
		else
			cpu = coll_cpu(its, coll);
		if (cpu)
			pendbaser = cpu->pendbaser;
	}
	if (!in.err && cpu)
		vgic_lpi_read_pending(vgic, pendbaser, lpi, &in.pending);
	return in;
}

int cmd_mapti(VgicIts *its, const Cmd &c)
{
	Vgic *vgic = its->vgic;
	ItsDevice *d = vgic_its_find_device(its, c.devid());
	if (!d)
		return E_MAPTI_UNMAPPED_DEVICE;
	u32 event = c.eventid();
	if (event >= (1ULL << d->num_eventid_bits))
		return E_MAPTI_ID_OOR;
	u32 lpi = c.code() == CMD_MAPTI ? c.phys_id() : event;
	if (lpi < vgic_min_lpi || lpi >= vgic_max_lpis(load_acquire(&vgic->propbaser)))
		return E_MAPTI_PHYSICALID_OOR;
	if (find_ite(its, c.devid(), event)) // an existing mapping: UNPREDICTABLE, ignored
		return 0;
	if (!vgic_its_find_collection(its, c.coll()) &&
	    !vgic_its_check_id(its, its->baser_coll, c.coll(), nullptr))
		return E_MAPC_COLLECTION_OOR;
	return vgic_its_map_event(its, d, event, lpi, c.coll());
}

int cmd_movi(VgicIts *its, const Cmd &c)
{
	ItsIte *ite = find_ite(its, c.devid(), c.eventid());
	if (!ite)
		return E_MOVI_UNMAPPED_INTERRUPT;
	if (!coll_mapped(ite->coll))
		return E_MOVI_UNMAPPED_COLLECTION;
	ItsCollection *coll = vgic_its_find_collection(its, c.coll());
	if (!coll_mapped(coll))
		return E_MOVI_UNMAPPED_COLLECTION;
	VgicLocked l(its->vgic);
	ite->coll = coll;
	set_affinity(l, ite->irq, coll_cpu(its, coll));
	return 0;
}

int cmd_discard(VgicIts *its, const Cmd &c)
{
	ItsDevice *d = vgic_its_find_device(its, c.devid());
	ItsIte *ite = find_ite(its, c.devid(), c.eventid());
	if (!ite || !coll_mapped(ite->coll))
		return E_DISCARD_UNMAPPED_INTERRUPT;
	VgicLocked l(its->vgic);
	free_ite(l, its, d, ite);
	return 0;
}

int cmd_clear(VgicIts *its, const Cmd &c)
{
	ItsIte *ite = find_ite(its, c.devid(), c.eventid());
	if (!ite)
		return E_CLEAR_UNMAPPED_INTERRUPT;
	VgicLocked l(its->vgic);
	ite->irq->pending_latch = false;
	return 0;
}

int cmd_inv(VgicIts *its, const Cmd &c)
{
	ItsIte *ite = find_ite(its, c.devid(), c.eventid());
	if (!ite)
		return E_INV_UNMAPPED_INTERRUPT;
	u32 lpi = ite->irq->intid;
	u8 prop;
	int r = vgic_lpi_read_prop(its->vgic, lpi, &prop);
	if (r)
		return r;
	VgicLocked l(its->vgic);
	vgic_lpi_apply_prop(l, ite->irq, prop);
	return 0;
}

int cmd_invall(VgicIts *its, const Cmd &c)
{
	VgicCpu *cpu = coll_cpu(its, vgic_its_find_collection(its, c.coll()));
	if (!cpu)
		return E_INVALL_UNMAPPED_COLLECTION;
	vgic_lpi_invall(cpu);
	return 0;
}

// Every LPI of the VM targeting the first vCPU goes to the second (all ITSes' LPIs, as
// upstream: the redistributor, not the ITS, holds them).
int cmd_movall(VgicIts *its, const Cmd &c)
{
	Vgic *vgic = its->vgic;
	VgicCpu *from = cpu_by_idx(vgic, c.target()), *to = cpu_by_idx(vgic, c.target2());
	if (!from || !to)
		return E_MOVALL_PROCNUM_OOR;
	if (from == to)
		return 0;
	VgicLocked l(vgic);
	for (VgicIrq *irq = vgic->lpis; irq; irq = irq->lpi_next)
		if (irq->target == from)
			set_affinity(l, irq, to);
	return 0;
}

int handle_command(VgicIts *its, const Cmd &c)
{
	switch (c.code()) {
	case CMD_MAPD:
		return cmd_mapd(its, c);
	case CMD_MAPC:
		return cmd_mapc(its, c);
	case CMD_MAPTI:
	case CMD_MAPI:
		return cmd_mapti(its, c);
	case CMD_MOVI:
		return cmd_movi(its, c);
	case CMD_DISCARD:
		return cmd_discard(its, c);
	case CMD_CLEAR:
		return cmd_clear(its, c);
	case CMD_INV:
		return cmd_inv(its, c);
	case CMD_INVALL:
		return cmd_invall(its, c);
	case CMD_INT:
		return vgic_its_trigger(its, c.devid(), c.eventid());
	case CMD_MOVALL:
		return cmd_movall(its, c);
	case CMD_SYNC: // the model completes every command at once
		return 0;
	default: // unknown, or GICv4 commands: ignored
		return -ENODEV;
	}
}

int trigger_locked(const VgicLocked &l, VgicIts *its, u32 devid, u32 eventid)
{
	if (!load_acquire(&its->enabled))
		return -EBUSY;
	ItsIte *ite = find_ite(its, devid, eventid);
	if (!ite)
		return E_INT_UNMAPPED_INTERRUPT;
	VgicCpu *cpu = coll_cpu(its, ite->coll);
	if (!cpu)
		return E_INT_UNMAPPED_INTERRUPT;
	if (!cpu->lpis_enabled)
		return -EBUSY;
	ite->irq->pending_latch = true;
	vgic_queue_irq(l, ite->irq);
	return 0;
}

} // namespace

int vgic_its_map_event(VgicIts *its, ItsDevice *d, u32 event, u32 lpi, u32 coll_id)
{
	Vgic *vgic = its->vgic;
	ItsCollection *coll = vgic_its_find_collection(its, coll_id), *new_coll = nullptr;
	if (its->nr_ites >= its_max_ites)
		return -ENOSPC;
	LpiInit in = read_lpi_init(its, lpi, coll);
	if (in.err)
		return in.err; // the property table is not in guest memory: nothing mapped
	auto *ite = make_zeroed<ItsIte>();
	auto *fresh = make_zeroed<VgicIrq>();
	if (!coll)
		coll = new_coll = new_collection(coll_id, its_coll_unmapped);
	if (!ite || !fresh || !coll) {
		kvmx_host_free(ite);
		kvmx_host_free(fresh);
		kvmx_host_free(new_coll);
		return -ENOMEM;
	}
	VgicLocked l(vgic);
	if (new_coll) {
		new_coll->next = its->collections;
		its->collections = new_coll;
	}
	VgicIrq *irq = vgic_lpi_get(l, lpi, fresh);
	if (irq != fresh)
		kvmx_host_free(fresh);
	else
		irq->target = coll_cpu(its, coll);
	ite->event_id = event;
	ite->coll = coll;
	ite->irq = irq;
	ite->next = d->ites;
	d->ites = ite;
	its->nr_ites++;
	irq->pending_latch = in.pending;
	vgic_lpi_apply_prop(l, irq, in.prop);
	return 0;
}

int vgic_its_trigger(VgicIts *its, u32 devid, u32 eventid)
{
	VgicLocked l(its->vgic);
	return trigger_locked(l, its, devid, eventid);
}

void vgic_its_process_commands(VgicIts *its)
{
	if (!its->enabled || !(its->cbaser >> 63))
		return;
	u64 base = its->cbaser & CBASER_ADDR_MASK;
	u64 qsize = ((its->cbaser & 0xff) + 1) * 0x1000;
	// CWRITER and CREADR are both below qsize (their writes check it), so this ends
	// within one lap of the queue.
	while (its->creadr != its->cwriter) {
		Cmd c;
		// A command that cannot be read is skipped (GICv3 specification 6.3.2).
		if (!vgic_read_guest(its->vgic, base + its->creadr, c.dw, cmd_size))
			handle_command(its, c);
		its->creadr += cmd_size;
		if (its->creadr >= qsize)
			its->creadr = 0;
	}
}

void vgic_its_free_devices(VgicIts *its)
{
	VgicLocked l(its->vgic);
	while (its->devices)
		free_device(l, its, its->devices);
}

void vgic_its_free_collections(VgicIts *its)
{
	VgicLocked l(its->vgic);
	while (its->collections)
		free_collection(l, its, its->collections);
}

int vgic_its_inject_msi(Vgic *vgic, u64 address, u32 data, u32 devid, u32 flags)
{
	if (!load_acquire(&vgic->has_its))
		return -ENODEV;
	if (!(flags & KVM_MSI_VALID_DEVID))
		return -EINVAL;
	VgicLocked l(vgic);
	for (VgicIts *its = vgic->its_list; its; its = its->next) {
		u64 base = its->base;
		if (base == vgic_addr_undef || address < base || address - base >= vgic_its_size)
			continue;
		int r = trigger_locked(l, its, devid, data);
		if (r < 0)
			return r;
		return r ? 0 : 1; // KVM_SIGNAL_MSI: 0 means the guest blocked it
	}
	return -EINVAL;
}

} // namespace kvmx
