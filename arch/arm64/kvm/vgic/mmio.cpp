// SPDX-License-Identifier: GPL-2.0
// GIC register emulation shared by the distributor and redistributor frames: finding the
// register an access names (widths, alignment, INTIDs that exist), the per-interrupt
// registers (IGROUPR, IS/ICENABLER, IS/ICPENDR, IS/ICACTIVER, IPRIORITYR, ICFGR) as the
// guest and as userspace see them, and the line levels of GRP_LEVEL_INFO.
#include "mmio.hpp"

namespace kvmx {

namespace {

// The first INTID a per-interrupt register at @offset covers, @bits per interrupt.
u32 intid_of(u64 offset, u32 bits)
{
	u64 mask = bits * 1024 / 8 - 1;
	return static_cast<u32>((offset & mask) * 8 / bits);
}

bool access_ok(const Vgic *vgic, const VgicRegion &r, u64 offset, u32 len)
{
	u8 flag = len == 1 ? vgic_acc8 : len == 4 ? vgic_acc32 : len == 8 ? vgic_acc64 : 0;
	if (!(r.access & flag) || (offset & (len - 1)))
		return false;
	return !r.bits_per_irq || intid_of(offset, r.bits_per_irq) < vgic_nr_irqs(vgic);
}

// The interrupts a bit-per-interrupt access covers, one call per set bit of @val (or
// every bit when @all).
template <typename F>
void for_each_irq(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val, bool all, F f)
{
	u32 intid = intid_of(offset, 1);
	for (u32 i = 0; i < len * 8; i++) {
		if (!all && !((val >> i) & 1))
			continue;
		VgicIrq *irq = vgic_get_irq(l, cpu, intid + i);
		if (irq)
			f(irq, i);
	}
}

bool mapped_level(const VgicIrq *irq)
{
	return irq->hw && !irq->edge;
}

bool sample_line(const VgicLocked &l, VgicCpu *cpu, const VgicIrq *irq)
{
	const VgicOps &ops = l.vgic()->ops;
	return ops.input_level ? ops.input_level(ops.ctx, cpu->idx, irq->intid) : irq->line_level;
}

} // namespace

const VgicRegion *vgic_find_region(const Vgic *vgic, const VgicRegionTable &t, u64 offset, u32 len)
{
	u32 lo = 0, hi = t.nr;
	while (lo < hi) {
		u32 mid = (lo + hi) / 2;
		const VgicRegion &r = t.regions[mid];
		if (offset < r.offset)
			hi = mid;
		else if (offset >= r.offset + r.len)
			lo = mid + 1;
		else
			return access_ok(vgic, r, offset, len) ? &r : nullptr;
	}
	return nullptr;
}

u64 vgic_region_read(const VgicRegionTable &t, VgicCpu *cpu, u64 offset, u32 len)
{
	VgicLocked l(cpu->vgic);
	const VgicRegion *r = vgic_find_region(cpu->vgic, t, offset, len);
	return r ? r->read(l, cpu, offset, len) : 0;
}

namespace {

// Does a vCPU run with list registers loaded? Their state goes back into the interrupts
// at its next exit (vgic_sync_lr_state), over any change made meanwhile.
bool lrs_loaded(const VgicLocked &l)
{
	const Vgic *vgic = l.vgic();
	for (u32 i = 0; i < vgic->nr_cpus; i++) {
		if (load_acquire(&vgic->cpus[i]->cpuif.used_lrs))
			return true;
	}
	return false;
}

// A guest's IS/ICACTIVER write: the interrupt may sit in a running vCPU's LRs, whose
// state that vCPU's next exit would write back over the change. As upstream halts the
// guest for it (vgic_access_active_prepare), no vCPU holds LRs while it is made: new
// flushes stop (active_halts), every vCPU holding LRs is kicked out, and the change
// waits, without the lock, until the last one synced. Each runs with interrupts masked
// from its flush to its sync, so a kicked vCPU leaves the guest and syncs at once: the
// wait is an IPI's round trip. The writer itself synced before its MMIO exit came here.
void write_active_halted(const VgicRegion &r, VgicCpu *cpu, u64 offset, u32 len, u64 val)
{
	Vgic *vgic = cpu->vgic;
	{
		VgicLocked l(vgic);
		vgic->active_halts++;
		// Only a vCPU with LRs loaded has anything to give back; one that flushes from
		// now on loads none (vgic_flush_lr_state sets used_lrs under this lock). A
		// halted vCPU is not woken for nothing.
		for (u32 i = 0; i < vgic->nr_cpus; i++) {
			if (load_acquire(&vgic->cpus[i]->cpuif.used_lrs))
				vgic_kick(l, vgic->cpus[i]);
		}
	}
	for (;;) {
		{
			VgicLocked l(vgic);
			if (!lrs_loaded(l)) {
				r.write(l, cpu, offset, len, val);
				vgic->active_halts--; // the held-off vCPUs' next entries go in
				return;
			}
		}
		kvmx_host_cpu_relax();
	}
}

} // namespace

void vgic_region_write(const VgicRegionTable &t, VgicCpu *cpu, u64 offset, u32 len, u64 val)
{
	const VgicRegion *r;
	{
		VgicLocked l(cpu->vgic);
		r = vgic_find_region(cpu->vgic, t, offset, len);
		if (!r)
			return;
		if (r->write != vgic_write_sactive && r->write != vgic_write_cactive) {
			r->write(l, cpu, offset, len, val);
			return;
		}
	}
	write_active_halted(*r, cpu, offset, len, val);
}

// Userspace accesses are 32-bit; an offset that names no register reads 0 and ignores a
// write, successfully (upstream's vgic_uaccess).
int vgic_region_uaccess(const VgicRegionTable &t, VgicCpu *cpu, bool is_write, u32 offset, u32 *val)
{
	VgicLocked l(cpu->vgic);
	const VgicRegion *r = vgic_find_region(cpu->vgic, t, offset, 4);
	if (!is_write) {
		*val = r ? static_cast<u32>((r->uread ? r->uread : r->read)(l, cpu, offset, 4)) : 0;
		return 0;
	}
	if (!r)
		return 0;
	if (r->uwrite)
		return r->uwrite(l, cpu, offset, 4, *val);
	r->write(l, cpu, offset, 4, *val);
	return 0;
}

u64 vgic_update_64bit_reg(u64 reg, u64 offset, u32 len, u64 val)
{
	u32 lower = (offset & 4) * 8;
	u64 mask = len >= 8 ? ~0ULL : (1ULL << (len * 8)) - 1;
	return (reg & ~(mask << lower)) | ((val & mask) << lower);
}

u64 vgic_read_raz(const VgicLocked &, VgicCpu *, u64, u32)
{
	return 0;
}

u64 vgic_read_rao(const VgicLocked &, VgicCpu *, u64, u32 len)
{
	return len >= 8 ? ~0ULL : (1ULL << (len * 8)) - 1;
}

void vgic_write_wi(const VgicLocked &, VgicCpu *, u64, u32, u64) {}

int vgic_uwrite_wi(const VgicLocked &, VgicCpu *, u64, u32, u64)
{
	return 0;
}

u64 vgic_read_group(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len)
{
	u64 v = 0;
	for_each_irq(l, cpu, offset, len, 0, true, [&](VgicIrq *irq, u32 i) {
		if (irq->group)
			v |= 1ULL << i;
	});
	return v;
}

void vgic_write_group(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val)
{
	for_each_irq(l, cpu, offset, len, val, true, [&](VgicIrq *irq, u32 i) {
		irq->group = (val >> i) & 1;
		vgic_queue_irq(l, irq);
	});
}

u64 vgic_read_enable(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len)
{
	u64 v = 0;
	for_each_irq(l, cpu, offset, len, 0, true, [&](VgicIrq *irq, u32 i) {
		if (irq->enabled)
			v |= 1ULL << i;
	});
	return v;
}

void vgic_write_senable(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val)
{
	for_each_irq(l, cpu, offset, len, val, false, [&](VgicIrq *irq, u32) {
		// The device may have changed its line while the interrupt was disabled.
		if (mapped_level(irq))
			irq->line_level = sample_line(l, cpu, irq);
		irq->enabled = true;
		vgic_queue_irq(l, irq);
	});
}

void vgic_write_cenable(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val)
{
	for_each_irq(l, cpu, offset, len, val, false,
		     [&](VgicIrq *irq, u32) { irq->enabled = false; });
}

int vgic_uwrite_senable(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val)
{
	for_each_irq(l, cpu, offset, len, val, false, [&](VgicIrq *irq, u32) {
		irq->enabled = true;
		vgic_queue_irq(l, irq);
	});
	return 0;
}

int vgic_uwrite_cenable(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val)
{
	vgic_write_cenable(l, cpu, offset, len, val);
	return 0;
}

// The guest sees pending as the latch OR the line (a mapped level interrupt: the
// physical line); userspace sees the latch alone, which with GRP_LEVEL_INFO's line
// levels is the whole state (Documentation/virt/kvm/devices/arm-vgic-v3.rst).
u64 vgic_read_pending(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len)
{
	u64 v = 0;
	for_each_irq(l, cpu, offset, len, 0, true, [&](VgicIrq *irq, u32 i) {
		bool p = mapped_level(irq) ? sample_line(l, cpu, irq) : vgic_irq_is_pending(irq);
		if (p)
			v |= 1ULL << i;
	});
	return v;
}

u64 vgic_uread_pending(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len)
{
	u64 v = 0;
	for_each_irq(l, cpu, offset, len, 0, true, [&](VgicIrq *irq, u32 i) {
		if (irq->pending_latch)
			v |= 1ULL << i;
	});
	return v;
}

void vgic_write_spending(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val)
{
	for_each_irq(l, cpu, offset, len, val, false, [&](VgicIrq *irq, u32) {
		irq->pending_latch = true;
		vgic_queue_irq(l, irq);
	});
}

void vgic_write_cpending(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val)
{
	for_each_irq(l, cpu, offset, len, val, false,
		     [&](VgicIrq *irq, u32) { irq->pending_latch = false; });
}

// Userspace restores the latch itself, set or clear, whatever the trigger mode (the
// configuration may be restored after it).
int vgic_uwrite_pending(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val)
{
	for_each_irq(l, cpu, offset, len, val, true, [&](VgicIrq *irq, u32 i) {
		irq->pending_latch = (val >> i) & 1;
		if (irq->pending_latch)
			vgic_queue_irq(l, irq);
	});
	return 0;
}

u64 vgic_read_active(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len)
{
	u64 v = 0;
	for_each_irq(l, cpu, offset, len, 0, true, [&](VgicIrq *irq, u32 i) {
		if (irq->active)
			v |= 1ULL << i;
	});
	return v;
}

namespace {

void change_active(const VgicLocked &l, VgicIrq *irq, bool active, bool uaccess)
{
	// Userspace does not move a mapped interrupt's active state (upstream leaves it to
	// the physical side).
	if (irq->hw && uaccess)
		return;
	irq->active = active;
	if (active)
		vgic_queue_irq(l, irq);
}

} // namespace

void vgic_write_sactive(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val)
{
	for_each_irq(l, cpu, offset, len, val, false,
		     [&](VgicIrq *irq, u32) { change_active(l, irq, true, false); });
}

void vgic_write_cactive(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val)
{
	for_each_irq(l, cpu, offset, len, val, false,
		     [&](VgicIrq *irq, u32) { change_active(l, irq, false, false); });
}

int vgic_uwrite_sactive(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val)
{
	for_each_irq(l, cpu, offset, len, val, false,
		     [&](VgicIrq *irq, u32) { change_active(l, irq, true, true); });
	return 0;
}

int vgic_uwrite_cactive(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val)
{
	for_each_irq(l, cpu, offset, len, val, false,
		     [&](VgicIrq *irq, u32) { change_active(l, irq, false, true); });
	return 0;
}

u64 vgic_read_priority(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len)
{
	u32 intid = intid_of(offset, 8);
	u64 v = 0;
	for (u32 i = 0; i < len; i++) {
		const VgicIrq *irq = vgic_get_irq(l, cpu, intid + i);
		if (irq)
			v |= static_cast<u64>(irq->priority) << (i * 8);
	}
	return v;
}

void vgic_write_priority(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val)
{
	u32 intid = intid_of(offset, 8);
	for (u32 i = 0; i < len; i++) {
		VgicIrq *irq = vgic_get_irq(l, cpu, intid + i);
		if (irq)
			irq->priority = (val >> (i * 8)) & vgic_pri_mask;
	}
}

// Two bits per interrupt, Int_config[1] set for edge. SGIs are always edge; PPIs stay
// level (IMPLEMENTATION DEFINED; the timer relies on it), so private bits ignore writes.
u64 vgic_read_config(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len)
{
	u32 intid = intid_of(offset, 2);
	u64 v = 0;
	for (u32 i = 0; i < len * 4; i++) {
		const VgicIrq *irq = vgic_get_irq(l, cpu, intid + i);
		if (irq && irq->edge)
			v |= 2ULL << (i * 2);
	}
	return v;
}

void vgic_write_config(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val)
{
	u32 intid = intid_of(offset, 2);
	for (u32 i = 0; i < len * 4; i++) {
		if (intid + i < vgic_nr_private)
			continue;
		VgicIrq *irq = vgic_get_irq(l, cpu, intid + i);
		if (irq)
			irq->edge = (val >> (i * 2 + 1)) & 1;
	}
}

// GRP_LEVEL_INFO: bit n is INTID @intid + n's input line; SGIs and INTIDs past the last
// are RAZ/WI. A level is set whatever the trigger mode, so it may be restored before the
// configuration; it reads back only for level-triggered interrupts.
u32 vgic_read_line_level(VgicCpu *cpu, u32 intid)
{
	VgicLocked l(cpu->vgic);
	u32 v = 0;
	for (u32 i = 0; i < 32; i++) {
		if (intid + i < vgic_nr_sgis || intid + i >= vgic_nr_irqs(cpu->vgic))
			continue;
		const VgicIrq *irq = vgic_get_irq(l, cpu, intid + i);
		if (irq && !irq->edge && irq->line_level)
			v |= 1u << i;
	}
	return v;
}

void vgic_write_line_level(VgicCpu *cpu, u32 intid, u32 val)
{
	VgicLocked l(cpu->vgic);
	for (u32 i = 0; i < 32; i++) {
		if (intid + i < vgic_nr_sgis || intid + i >= vgic_nr_irqs(cpu->vgic))
			continue;
		VgicIrq *irq = vgic_get_irq(l, cpu, intid + i);
		if (!irq)
			continue;
		irq->line_level = (val >> i) & 1;
		if (irq->line_level)
			vgic_queue_irq(l, irq);
	}
}

} // namespace kvmx
