// SPDX-License-Identifier: GPL-2.0
// The list-register (LR) model: before a guest runs, the interrupts on a vCPU's ap list
// are written as ICH_LR<n>_EL2 values into its VgicCpuIf (flush); after it exits, the
// values the world switch saved back are folded into the interrupt state (sync). Also the
// ICH_VMCR_EL2 field view. Pure logic: the world switch moves VgicCpuIf to the hardware.
#include "vgic.hpp"

namespace kvmx {

namespace {

bool pending_and_enabled(const VgicIrq *irq)
{
	return irq->enabled && vgic_irq_is_pending(irq);
}

// Upstream's ap-list order: active interrupts first (they must stay in the LRs, their
// deactivation cannot be trapped), then pending and enabled ones by priority; the rest
// last. Stable.
int ap_cmp(const VgicIrq *a, const VgicIrq *b)
{
	if (a->active || b->active)
		return static_cast<int>(b->active) - static_cast<int>(a->active);
	bool pa = pending_and_enabled(a), pb = pending_and_enabled(b);
	if (!pa || !pb)
		return static_cast<int>(pb) - static_cast<int>(pa);
	return static_cast<int>(a->priority) - static_cast<int>(b->priority);
}

VgicIrq *merge(VgicIrq *a, VgicIrq *b)
{
	VgicIrq head = {};
	VgicIrq *tail = &head;
	while (a && b) {
		VgicIrq **from = ap_cmp(a, b) <= 0 ? &a : &b;
		tail->ap_next = *from;
		tail = *from;
		*from = (*from)->ap_next;
	}
	tail->ap_next = a ? a : b;
	return head.ap_next;
}

// Detach the first @n interrupts of @list; the rest, or nullptr.
VgicIrq *split(VgicIrq *list, u32 n)
{
	for (u32 i = 1; list && i < n; i++)
		list = list->ap_next;
	if (!list)
		return nullptr;
	VgicIrq *rest = list->ap_next;
	list->ap_next = nullptr;
	return rest;
}

// Bottom-up merge sort of the ap list (a storm can queue every SPI on one vCPU).
void sort_ap_list(VgicCpu *cpu)
{
	VgicIrq *list = cpu->ap_head;
	for (u32 width = 1;; width *= 2) {
		VgicIrq *out = nullptr, **tail = &out;
		u32 merges = 0;
		while (list) {
			VgicIrq *a = list, *b = split(a, width);
			list = split(b, width);
			*tail = merge(a, b);
			while (*tail)
				tail = &(*tail)->ap_next;
			merges++;
		}
		list = out;
		if (merges <= 1)
			break;
	}
	store_release(&cpu->ap_head, list);
	VgicIrq *prev = nullptr;
	for (VgicIrq *p = list; p; p = p->ap_next) {
		p->ap_prev = prev;
		prev = p;
	}
	cpu->ap_tail = prev;
}

// Drop from the vCPU's ap list what needs no LR any more; move what now belongs to
// another vCPU (an SPI whose IROUTER changed) to that vCPU's list and kick it.
void prune_ap_list(const VgicLocked &l, VgicCpu *cpu)
{
	VgicIrq *next;
	for (VgicIrq *irq = cpu->ap_head; irq; irq = next) {
		next = irq->ap_next;
		VgicCpu *target = vgic_target_oracle(l, irq);
		if (target == cpu)
			continue;
		vgic_ap_list_del(irq);
		if (!target)
			continue;
		vgic_queue_irq(l, irq);
	}
}

// A mapped level interrupt only reports rising edges: after the guest saw it, sample the
// physical line again (upstream's vgic_irq_handle_resampling, less the physical
// deactivation, which the glue's input_level hook owns).
void resample_mapped(const VgicLocked &l, VgicCpu *cpu, VgicIrq *irq, bool deactivated,
		     bool lr_pending)
{
	const VgicOps &ops = l.vgic()->ops;
	if (!irq->hw || irq->edge || !ops.input_level)
		return;
	if (lr_pending || (deactivated && irq->line_level))
		irq->line_level = ops.input_level(ops.ctx, cpu->idx, irq->intid);
}

} // namespace

u64 vgic_populate_lr(const VgicLocked &, VgicIrq *irq)
{
	u64 val = irq->intid;
	bool allow_pending = true;
	if (irq->active)
		val |= ICH_LR_ACTIVE;
	if (irq->hw) {
		val |= ICH_LR_HW | static_cast<u64>(irq->hwintid) << ICH_LR_PINTID_SHIFT;
		// The physical distributor keeps a mapped interrupt's pending state: never
		// pending and active in the LR.
		if (irq->active)
			allow_pending = false;
	} else if (!irq->edge) {
		val |= ICH_LR_EOI; // level: the guest's deactivation must be seen
		if (irq->active)
			allow_pending = false;
	}
	if (allow_pending && vgic_irq_is_pending(irq)) {
		val |= ICH_LR_PENDING;
		if (irq->edge)
			irq->pending_latch = false; // the LR holds the edge now
		else if (irq->hw)
			irq->line_level = false; // re-sampled when the LR comes back
	}
	if (irq->group)
		val |= ICH_LR_GROUP;
	val |= static_cast<u64>(irq->priority) << ICH_LR_PRIORITY_SHIFT;
	return val;
}

bool vgic_flush_lr_state(VgicCpu *cpu)
{
	Vgic *vgic = cpu->vgic;
	VgicCpuIf &cif = cpu->cpuif;
	// Most entries have nothing to present (an interrupt queued after this look kicks
	// the vCPU, which then does not enter: vgic_kvm_entry_abort).
	if (vgic_ap_list_empty(cpu)) {
		cif.used_lrs = 0;
		return true;
	}
	VgicLocked l(vgic);
	if (vgic->active_halts) {
		cif.used_lrs = 0;
		return false;
	}
	u32 nr_lr = vgic->hw.nr_lr;
	u32 depth = 0;
	for (const VgicIrq *irq = cpu->ap_head; irq; irq = irq->ap_next)
		depth += (vgic_irq_is_pending(irq) || irq->active) ? 1 : 0;
	if (depth > nr_lr)
		sort_ap_list(cpu);
	u32 n = 0;
	for (VgicIrq *irq = cpu->ap_head; irq && n < nr_lr; irq = irq->ap_next) {
		if (vgic_target_oracle(l, irq) == cpu)
			cif.lr[n++] = vgic_populate_lr(l, irq);
		// More than fits: ask for a maintenance interrupt when the LRs drain.
		if (n == nr_lr && irq->ap_next)
			cif.hcr |= ICH_HCR_UIE;
	}
	cif.used_lrs = n; // the world switch loads and saves only these
	return true;
}

void vgic_sync_lr_state(VgicCpu *cpu, VgicSyncResult *out)
{
	Vgic *vgic = cpu->vgic;
	VgicCpuIf &cif = cpu->cpuif;
	out->nr_acked = 0;
	cif.hcr &= ~ICH_HCR_UIE;
	// No LR in use and nothing queued: nothing to read back or to move.
	if (!cif.used_lrs && vgic_ap_list_empty(cpu))
		return;
	VgicLocked l(vgic);
	for (u32 i = 0; i < cif.used_lrs && i < vgic_max_lrs; i++) {
		u64 val = cif.lr[i];
		u32 intid = static_cast<u32>(val & ICH_LR_VINTID_MASK);
		// A level SPI the guest deactivated: resampling irqfds want to know.
		if (!(val & ICH_LR_STATE) && (val & ICH_LR_EOI) && !(val & ICH_LR_HW) &&
		    intid >= vgic_nr_private && intid < vgic_nr_irqs(vgic))
			out->acked_spi_pins[out->nr_acked++] = intid - vgic_nr_private;
		VgicIrq *irq = vgic_get_irq(l, cpu, intid);
		// An LPI unmapped while in the LR, perhaps mapped again since: not this one.
		if (!irq || (intid >= vgic_min_lpi && irq->on != cpu))
			continue;
		bool deactivated = irq->active && !(val & ICH_LR_ACTIVE);
		irq->active = val & ICH_LR_ACTIVE;
		// Only an edge keeps its pending state across an exit; a level interrupt the
		// guest acknowledged loses the latch (the line may still hold it pending).
		if (irq->edge && (val & ICH_LR_PENDING))
			irq->pending_latch = true;
		if (!irq->edge && !(val & ICH_LR_STATE))
			irq->pending_latch = false;
		resample_mapped(l, cpu, irq, deactivated, val & ICH_LR_PENDING);
	}
	cif.used_lrs = 0;
	prune_ap_list(l, cpu);
}

VgicVmcr vgic_get_vmcr(const VgicCpu *cpu)
{
	u32 vmcr = cpu->cpuif.vmcr;
	VgicVmcr v;
	// A GICv3 guest with ICC_SRE_EL1.SRE = 1: VFIQEn is RES1, VAckCtl RES0.
	v.fiqen = 1;
	v.ackctl = 0;
	v.grpen0 = (vmcr >> ICH_VMCR_ENG0_SHIFT) & 1;
	v.grpen1 = (vmcr >> ICH_VMCR_ENG1_SHIFT) & 1;
	v.cbpr = (vmcr >> ICH_VMCR_CBPR_SHIFT) & 1;
	v.eoim = (vmcr >> ICH_VMCR_EOIM_SHIFT) & 1;
	v.abpr = (vmcr >> ICH_VMCR_BPR1_SHIFT) & 7;
	v.bpr = (vmcr >> ICH_VMCR_BPR0_SHIFT) & 7;
	v.pmr = (vmcr >> ICH_VMCR_PMR_SHIFT) & 0xff;
	return v;
}

void vgic_set_vmcr(VgicCpu *cpu, const VgicVmcr &v)
{
	u32 vmcr = 1u << ICH_VMCR_FIQ_EN_SHIFT;
	vmcr |= (v.grpen0 & 1) << ICH_VMCR_ENG0_SHIFT;
	vmcr |= (v.grpen1 & 1) << ICH_VMCR_ENG1_SHIFT;
	vmcr |= (v.cbpr & 1) << ICH_VMCR_CBPR_SHIFT;
	vmcr |= (v.eoim & 1) << ICH_VMCR_EOIM_SHIFT;
	vmcr |= (v.abpr & 7) << ICH_VMCR_BPR1_SHIFT;
	vmcr |= (v.bpr & 7) << ICH_VMCR_BPR0_SHIFT;
	vmcr |= (v.pmr & 0xff) << ICH_VMCR_PMR_SHIFT;
	cpu->cpuif.vmcr = vmcr;
}

} // namespace kvmx
