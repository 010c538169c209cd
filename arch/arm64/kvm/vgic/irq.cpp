// SPDX-License-Identifier: GPL-2.0
// vGIC interrupt state: looking interrupts up, driving their inputs (KVM_IRQ_LINE, irqfd
// routes, in-kernel owners), the ap ("active or pending") list of each vCPU that the
// list-register flush reads, the choice of the next interrupt to present and SGI
// (Software Generated Interrupt) generation from ICC_SGI*R_EL1. Everything under the one
// vGIC lock (VgicLocked); no hardware access.
#include "vgic.hpp"

namespace kvmx {

namespace {

// ICC_SGI1R_EL1 fields (GICv3 architecture specification, "ICC_SGI1R_EL1").
constexpr u32 SGI1R_TARGET_LIST_MASK = 0xffff;
constexpr u32 SGI1R_AFF1_SHIFT = 16, SGI1R_INTID_SHIFT = 24, SGI1R_AFF2_SHIFT = 32;
constexpr u32 SGI1R_IRM_SHIFT = 40, SGI1R_AFF3_SHIFT = 48;

void ap_list_add(VgicCpu *cpu, VgicIrq *irq)
{
	irq->ap_prev = cpu->ap_tail;
	irq->ap_next = nullptr;
	if (cpu->ap_tail)
		cpu->ap_tail->ap_next = irq;
	else
		store_release(&cpu->ap_head, irq);
	cpu->ap_tail = irq;
	irq->on = cpu;
}

bool validate_injection(const VgicIrq *irq, bool level, const void *owner)
{
	if (irq->owner != owner)
		return false;
	return irq->edge ? level : irq->line_level != level;
}

// Pending, enabled, inactive and above the priority mask: worth waking the vCPU for.
bool wakes(const VgicIrq *irq, u32 pmr)
{
	return vgic_irq_is_pending(irq) && irq->enabled && !irq->active && irq->priority < pmr;
}

VgicCpu *cpu_by_idx(Vgic *vgic, u32 idx)
{
	return idx < vgic->nr_cpus ? vgic->cpus[idx] : nullptr;
}

} // namespace

void vgic_ap_list_del(VgicIrq *irq)
{
	VgicCpu *cpu = irq->on;
	if (!cpu)
		return;
	if (irq->ap_prev)
		irq->ap_prev->ap_next = irq->ap_next;
	else
		store_release(&cpu->ap_head, irq->ap_next);
	if (irq->ap_next)
		irq->ap_next->ap_prev = irq->ap_prev;
	else
		cpu->ap_tail = irq->ap_prev;
	irq->ap_next = irq->ap_prev = nullptr;
	irq->on = nullptr;
}

int vgic_read_guest(Vgic *vgic, u64 gpa, void *buf, u32 len)
{
	const VgicOps &ops = vgic->ops;
	return ops.read_guest ? ops.read_guest(ops.ctx, gpa, buf, len) : -EFAULT;
}

int vgic_write_guest(Vgic *vgic, u64 gpa, const void *buf, u32 len)
{
	const VgicOps &ops = vgic->ops;
	return ops.write_guest ? ops.write_guest(ops.ctx, gpa, buf, len) : -EFAULT;
}

bool vgic_irq_is_pending(const VgicIrq *irq)
{
	return irq->pending_latch || (!irq->edge && irq->line_level);
}

VgicIrq *vgic_get_irq(const VgicLocked &l, VgicCpu *cpu, u32 intid)
{
	Vgic *vgic = l.vgic();
	if (intid < vgic_nr_private)
		return cpu ? &cpu->private_irqs[intid] : nullptr;
	if (intid < vgic_nr_irqs(vgic) && vgic->spis)
		return &vgic->spis[intid - vgic_nr_private];
	if (intid >= vgic_min_lpi)
		return vgic_find_lpi(l, intid);
	return nullptr;
}

VgicCpu *vgic_target_oracle(const VgicLocked &l, const VgicIrq *irq)
{
	// An active interrupt stays where it is until the guest deactivates it.
	if (irq->active)
		return irq->on ? irq->on : irq->target;
	if (irq->enabled && vgic_irq_is_pending(irq)) {
		if (!l.vgic()->enabled) // the distributor forwards nothing while disabled
			return nullptr;
		return irq->target;
	}
	return nullptr;
}

void VgicLocked::defer_kick(u32 idx) const
{
	for (u32 i = 0; i < nr_kicks_; i++)
		if (kicks_[i] == idx)
			return;
	if (nr_kicks_ < max_deferred_kicks)
		kicks_[nr_kicks_++] = idx;
	else
		kick_all_ = true;
}

void VgicLocked::run_kicks(u32 nr_cpus)
{
	const VgicOps &ops = vgic_->ops;
	if (!ops.kick)
		return;
	if (kick_all_) {
		for (u32 i = 0; i < nr_cpus; i++)
			ops.kick(ops.ctx, vgic_->cpus[i]->idx);
		return;
	}
	for (u32 i = 0; i < nr_kicks_; i++)
		ops.kick(ops.ctx, kicks_[i]);
}

void vgic_kick(const VgicLocked &l, VgicCpu *cpu)
{
	l.defer_kick(cpu->idx);
}

void vgic_queue_irq(const VgicLocked &l, VgicIrq *irq)
{
	VgicCpu *target = vgic_target_oracle(l, irq);
	if (!target)
		return;
	// Already queued: nothing moves, but the vCPU may have EOIed an earlier edge and
	// must come out to see this one (no maintenance interrupt tells it).
	if (!irq->on)
		ap_list_add(target, irq);
	vgic_kick(l, target);
}

int vgic_inject_irq(Vgic *vgic, u32 cpu_idx, u32 intid, bool level, const void *owner)
{
	VgicLocked l(vgic);
	if (!vgic->initialized)
		return -EBUSY; // a GICv3 is never initialised lazily
	VgicCpu *cpu = cpu_by_idx(vgic, cpu_idx);
	if (!cpu && intid < vgic_nr_private)
		return -EINVAL;
	VgicIrq *irq = vgic_get_irq(l, cpu, intid);
	if (!irq)
		return -EINVAL;
	if (!validate_injection(irq, level, owner))
		return 0;
	if (irq->edge)
		irq->pending_latch = true;
	else
		irq->line_level = level;
	vgic_queue_irq(l, irq);
	return 0;
}

int vgic_set_owner(Vgic *vgic, VgicCpu *cpu, u32 intid, const void *owner)
{
	VgicLocked l(vgic);
	if (!vgic->initialized)
		return -EAGAIN;
	// SGIs and LPIs cannot be wired to a device; PPIs and existing SPIs can.
	bool ppi = intid >= vgic_nr_sgis && intid < vgic_nr_private;
	bool spi = intid >= vgic_nr_private && intid < vgic_nr_irqs(vgic);
	VgicIrq *irq = ppi || spi ? vgic_get_irq(l, cpu, intid) : nullptr;
	if (!irq)
		return -EINVAL;
	if (irq->owner && irq->owner != owner)
		return -EEXIST;
	irq->owner = owner;
	return 0;
}

int vgic_map_phys_irq(Vgic *vgic, VgicCpu *cpu, u32 intid, u32 hwintid)
{
	VgicLocked l(vgic);
	VgicIrq *irq = vgic_get_irq(l, cpu, intid);
	if (!irq)
		return -EINVAL;
	irq->hw = true;
	irq->hwintid = hwintid;
	return 0;
}

int vgic_unmap_phys_irq(Vgic *vgic, VgicCpu *cpu, u32 intid)
{
	VgicLocked l(vgic);
	VgicIrq *irq = vgic_get_irq(l, cpu, intid);
	if (!irq)
		return -EINVAL;
	irq->hw = false;
	irq->hwintid = 0;
	return 0;
}

// KVM_IRQ_LINE with an in-kernel GICv3 (Documentation/virt/kvm/api.rst): a PPI of the
// vCPU the index fields name, or an SPI. Type CPU is the caller's (-ENXIO with a vGIC).
int vgic_irq_line(Vgic *vgic, u32 irq, bool level)
{
	u32 type = (irq >> KVM_ARM_IRQ_TYPE_SHIFT) & KVM_ARM_IRQ_TYPE_MASK;
	u32 idx = ((irq >> KVM_ARM_IRQ_VCPU2_SHIFT) & KVM_ARM_IRQ_VCPU2_MASK) *
			  (KVM_ARM_IRQ_VCPU_MASK + 1) +
		  ((irq >> KVM_ARM_IRQ_VCPU_SHIFT) & KVM_ARM_IRQ_VCPU_MASK);
	u32 num = (irq >> KVM_ARM_IRQ_NUM_SHIFT) & KVM_ARM_IRQ_NUM_MASK;
	switch (type) {
	case KVM_ARM_IRQ_TYPE_PPI:
		// The vCPU by creation index, as api.rst documents. (Upstream 6.1 looks the
		// vCPU up by index and then injects into the vCPU whose index equals its id.)
		if (idx >= load_acquire(&vgic->nr_cpus))
			return -EINVAL;
		if (num < vgic_nr_sgis || num >= vgic_nr_private)
			return -EINVAL;
		return vgic_inject_irq(vgic, idx, num, level, nullptr);
	case KVM_ARM_IRQ_TYPE_SPI:
		if (num < vgic_nr_private)
			return -EINVAL;
		return vgic_inject_irq(vgic, 0, num, level, nullptr);
	default:
		return -EINVAL;
	}
}

int vgic_set_spi(Vgic *vgic, u32 pin, bool level)
{
	u32 intid = pin + vgic_nr_private;
	if (intid < vgic_nr_private || intid >= vgic_nr_irqs(vgic))
		return -EINVAL;
	return vgic_inject_irq(vgic, 0, intid, level, nullptr);
}

bool vgic_vcpu_pending_irq(Vgic *vgic, VgicCpu *cpu)
{
	if (vgic_ap_list_empty(cpu))
		return false;
	VgicLocked l(vgic);
	if (!vgic->enabled)
		return false;
	u32 pmr = vgic_get_vmcr(cpu).pmr;
	for (const VgicIrq *irq = cpu->ap_head; irq; irq = irq->ap_next)
		if (wakes(irq, pmr))
			return true;
	return false;
}

VgicIrq *vgic_next_irq(const VgicLocked &l, VgicCpu *cpu)
{
	if (!l.vgic()->enabled)
		return nullptr;
	VgicVmcr vmcr = vgic_get_vmcr(cpu);
	VgicIrq *best = nullptr;
	for (VgicIrq *irq = cpu->ap_head; irq; irq = irq->ap_next) {
		if (!irq->enabled || irq->active || !vgic_irq_is_pending(irq))
			continue;
		if (!(irq->group ? vmcr.grpen1 : vmcr.grpen0) || irq->priority >= vmcr.pmr)
			continue;
		if (vgic_target_oracle(l, irq) != cpu)
			continue;
		if (!best || irq->priority < best->priority ||
		    (irq->priority == best->priority && irq->intid < best->intid))
			best = irq;
	}
	return best;
}

// Upstream compares the loop's vCPU index with the sender's vCPU id to leave the sender
// out of a broadcast; the architecture says "every PE but self", which is what this does
// (the two agree whenever ids equal indices, as QEMU creates them).
void vgic_dispatch_sgi(Vgic *vgic, VgicCpu *src, u64 reg, bool allow_group1)
{
	u32 sgi = (reg >> SGI1R_INTID_SHIFT) & 0xf;
	bool broadcast = (reg >> SGI1R_IRM_SHIFT) & 1;
	u32 targets = reg & SGI1R_TARGET_LIST_MASK;
	// Aff3.Aff2.Aff1 in MPIDR_EL1's layout; the range selector (RS) is ignored, as
	// upstream, which never advertises ICC_CTLR_EL1.RSS (Aff0 stays within 0-15).
	u64 aff = ((reg >> SGI1R_AFF3_SHIFT) & 0xff) << 32 |
		  ((reg >> SGI1R_AFF2_SHIFT) & 0xff) << 16 |
		  ((reg >> SGI1R_AFF1_SHIFT) & 0xff) << 8;
	VgicLocked l(vgic);
	for (u32 i = 0; i < vgic->nr_cpus; i++) {
		if (!broadcast && !targets)
			break;
		VgicCpu *cpu = vgic->cpus[i];
		if (broadcast && cpu == src)
			continue;
		if (!broadcast) {
			u64 mpidr = load_acquire(cpu->mpidr) & 0xff00ffffffULL;
			u32 aff0 = mpidr & 0xff;
			if ((mpidr & ~0xffULL) != aff || aff0 > 15 || !(targets & (1u << aff0)))
				continue;
			targets &= ~(1u << aff0);
		}
		VgicIrq *irq = &cpu->private_irqs[sgi];
		// ICC_SGI0R_EL1 (and ASGI1R, with GICD_CTLR.DS set) raises Group 0 SGIs only;
		// ICC_SGI1R_EL1 raises the SGI whatever its group.
		if (irq->group && !allow_group1)
			continue;
		irq->pending_latch = true;
		vgic_queue_irq(l, irq);
	}
}

void vgic_queue_all(const VgicLocked &l)
{
	Vgic *vgic = l.vgic();
	for (u32 i = 0; i < vgic->nr_cpus; i++)
		for (VgicIrq &irq : vgic->cpus[i]->private_irqs)
			vgic_queue_irq(l, &irq);
	for (u32 i = 0; vgic->spis && i < vgic->nr_spis; i++)
		vgic_queue_irq(l, &vgic->spis[i]);
	vgic_lpi_queue_all(l);
}

void vgic_kick_vcpus(const VgicLocked &l)
{
	Vgic *vgic = l.vgic();
	for (u32 i = 0; i < vgic->nr_cpus; i++) {
		VgicCpu *cpu = vgic->cpus[i];
		u32 pmr = vgic_get_vmcr(cpu).pmr;
		for (const VgicIrq *irq = cpu->ap_head; irq; irq = irq->ap_next) {
			if (wakes(irq, pmr)) {
				vgic_kick(l, cpu);
				break;
			}
		}
	}
}

} // namespace kvmx
