// SPDX-License-Identifier: GPL-2.0
// LPIs (Locality-specific Peripheral Interrupts, INTIDs from 8192): their list in the VM,
// the configuration byte each has in the guest's property table (GICR_PROPBASER) and the
// pending bit in its target's pending table (GICR_PENDBASER). Only the ITS creates LPIs.
// Guest memory is read through VgicOps with no vGIC lock held; state changes under it.
#include "vgic.hpp"

namespace kvmx {

namespace {

// GICR_PROPBASER: IDbits [4:0], physical address [51:12]. GICR_PENDBASER: address [51:16].
constexpr u64 PROPBASER_IDBITS_MASK = 0x1f;
constexpr u64 PROPBASER_ADDR_MASK = 0x000ffffffffff000ULL;
constexpr u64 PENDBASER_ADDR_MASK = 0x000fffffffff0000ULL;
constexpr u64 PENDBASER_PTZ = 1ULL << 62;
// The LPI configuration table entry (GICv3 specification, "LPI Configuration tables").
constexpr u8 LPI_PROP_ENABLE = 1, LPI_PROP_PRIORITY_MASK = 0xfc;

// The INTIDs of the LPIs targeting @cpu, copied out under the lock so that the caller
// can read guest memory for each without it. nullptr (none, or out of memory).
u32 *lpis_of(Vgic *vgic, VgicCpu *cpu, u32 *n)
{
	*n = 0;
	u32 cap;
	{
		VgicLocked l(vgic);
		cap = vgic->nr_lpis;
	}
	if (!cap)
		return nullptr;
	auto *ids = static_cast<u32 *>(kvmx_host_zalloc(cap * sizeof(u32)));
	if (!ids)
		return nullptr;
	VgicLocked l(vgic);
	for (VgicIrq *irq = vgic->lpis; irq && *n < cap; irq = irq->lpi_next)
		if (irq->target == cpu)
			ids[(*n)++] = irq->intid;
	return ids;
}

} // namespace

VgicIrq *vgic_find_lpi(const VgicLocked &l, u32 intid)
{
	for (VgicIrq *irq = l.vgic()->lpis; irq; irq = irq->lpi_next)
		if (irq->intid == intid)
			return irq;
	return nullptr;
}

u32 vgic_max_lpis(u64 propbaser)
{
	u32 bits = static_cast<u32>(propbaser & PROPBASER_IDBITS_MASK) + 1;
	return 1u << (bits < vgic_lpi_id_bits ? bits : vgic_lpi_id_bits);
}

int vgic_lpi_read_prop(Vgic *vgic, u32 intid, u8 *prop)
{
	u64 base = load_acquire(&vgic->propbaser) & PROPBASER_ADDR_MASK;
	return vgic_read_guest(vgic, base + (intid - vgic_min_lpi), prop, 1);
}

int vgic_lpi_read_pending(Vgic *vgic, u64 pendbaser, u32 intid, bool *pending)
{
	u8 byte = 0;
	int r = vgic_read_guest(vgic, (pendbaser & PENDBASER_ADDR_MASK) + intid / 8, &byte, 1);
	*pending = !r && ((byte >> (intid % 8)) & 1);
	return r;
}

void vgic_lpi_apply_prop(const VgicLocked &l, VgicIrq *irq, u8 prop)
{
	irq->priority = prop & LPI_PROP_PRIORITY_MASK;
	irq->enabled = prop & LPI_PROP_ENABLE;
	vgic_queue_irq(l, irq);
}

VgicIrq *vgic_lpi_get(const VgicLocked &l, u32 intid, VgicIrq *fresh)
{
	Vgic *vgic = l.vgic();
	VgicIrq *irq = vgic_find_lpi(l, intid);
	if (!irq) {
		irq = fresh;
		irq->intid = intid;
		irq->edge = true; // LPIs are edge-triggered, Group 1
		irq->group = true;
		irq->lpi_next = vgic->lpis;
		vgic->lpis = irq;
		vgic->nr_lpis++;
	}
	irq->lpi_refs++;
	return irq;
}

void vgic_lpi_put(const VgicLocked &l, VgicIrq *irq)
{
	if (--irq->lpi_refs)
		return;
	Vgic *vgic = l.vgic();
	// An LR may still hold it; the fold finds it gone (lr.cpp looks LPIs up by INTID
	// and ignores one that is not on the vCPU's list).
	vgic_ap_list_del(irq);
	for (VgicIrq **p = &vgic->lpis; *p; p = &(*p)->lpi_next) {
		if (*p == irq) {
			*p = irq->lpi_next;
			break;
		}
	}
	vgic->nr_lpis--;
	kvmx_host_free(irq);
}

void vgic_lpi_sync_pending_table(VgicCpu *cpu)
{
	Vgic *vgic = cpu->vgic;
	u64 pendbaser;
	{
		VgicLocked l(vgic);
		if (!cpu->lpi_sync_pending)
			return;
		cpu->lpi_sync_pending = false;
		pendbaser = cpu->pendbaser;
	}
	if (pendbaser & PENDBASER_PTZ) // the guest promised a zeroed table
		return;
	u32 n;
	u32 *ids = lpis_of(vgic, cpu, &n);
	for (u32 i = 0; i < n; i++) {
		bool pending;
		if (vgic_lpi_read_pending(vgic, pendbaser, ids[i], &pending))
			continue;
		VgicLocked l(vgic);
		VgicIrq *irq = vgic_find_lpi(l, ids[i]);
		if (!irq)
			continue;
		irq->pending_latch = pending;
		vgic_queue_irq(l, irq);
	}
	kvmx_host_free(ids);
}

void vgic_lpi_flush_pending(const VgicLocked &l, VgicCpu *cpu)
{
	VgicIrq *next;
	for (VgicIrq *irq = cpu->ap_head; irq; irq = next) {
		next = irq->ap_next;
		if (irq->intid < vgic_min_lpi)
			continue;
		irq->pending_latch = false;
		vgic_ap_list_del(irq);
	}
}

void vgic_lpi_invall(VgicCpu *cpu)
{
	Vgic *vgic = cpu->vgic;
	u32 n;
	u32 *ids = lpis_of(vgic, cpu, &n);
	for (u32 i = 0; i < n; i++) {
		u8 prop;
		if (vgic_lpi_read_prop(vgic, ids[i], &prop))
			continue;
		VgicLocked l(vgic);
		VgicIrq *irq = vgic_find_lpi(l, ids[i]);
		if (irq)
			vgic_lpi_apply_prop(l, irq, prop);
	}
	kvmx_host_free(ids);
}

void vgic_lpi_inv(Vgic *vgic, u32 intid)
{
	{
		VgicLocked l(vgic);
		if (!vgic_find_lpi(l, intid))
			return; // also keeps the table read below the LPIs mapped, in range
	}
	u8 prop;
	if (vgic_lpi_read_prop(vgic, intid, &prop))
		return;
	VgicLocked l(vgic);
	if (VgicIrq *irq = vgic_find_lpi(l, intid))
		vgic_lpi_apply_prop(l, irq, prop);
}

void vgic_lpi_queue_all(const VgicLocked &l)
{
	for (VgicIrq *irq = l.vgic()->lpis; irq; irq = irq->lpi_next)
		vgic_queue_irq(l, irq);
}

int vgic_lpi_save_pending(Vgic *vgic)
{
	struct Saved {
		u64 byte_gpa;
		u8 bit;
		bool pending;
	};
	u32 cap;
	{
		VgicLocked l(vgic);
		cap = vgic->nr_lpis;
	}
	if (!cap)
		return 0;
	auto *saved = static_cast<Saved *>(kvmx_host_zalloc(cap * sizeof(Saved)));
	if (!saved)
		return -ENOMEM;
	u32 n = 0;
	{
		VgicLocked l(vgic);
		for (VgicIrq *irq = vgic->lpis; irq && n < cap; irq = irq->lpi_next) {
			if (!irq->target)
				continue;
			u64 base = irq->target->pendbaser & PENDBASER_ADDR_MASK;
			saved[n++] = { base + irq->intid / 8,
				       static_cast<u8>(1u << (irq->intid % 8)),
				       irq->pending_latch };
		}
	}
	int r = 0;
	for (u32 i = 0; i < n && !r; i++) {
		u8 byte;
		r = vgic_read_guest(vgic, saved[i].byte_gpa, &byte, 1);
		if (r || static_cast<bool>(byte & saved[i].bit) == saved[i].pending)
			continue;
		byte ^= saved[i].bit;
		r = vgic_write_guest(vgic, saved[i].byte_gpa, &byte, 1);
	}
	kvmx_host_free(saved);
	return r;
}

void vgic_lpi_free_all(Vgic *vgic)
{
	VgicIrq *next;
	for (VgicIrq *irq = vgic->lpis; irq; irq = next) {
		next = irq->lpi_next;
		kvmx_host_free(irq);
	}
	vgic->lpis = nullptr;
	vgic->nr_lpis = 0;
}

} // namespace kvmx
