// SPDX-License-Identifier: GPL-2.0
// vGIC lifetime and layout: creation, vCPUs joining, KVM_DEV_ARM_VGIC_CTRL_INIT, the
// placement of redistributor (GICR) frames in their regions and the checks before the
// first guest run. Upstream's rules and errno (vgic-init.c, vgic-v3.c, vgic-mmio-v3.c);
// nothing here touches interrupt state beyond its reset values.
#include "vgic.hpp"

namespace kvmx {

namespace {

// MPIDR_EL1 affinity fields: Aff3 [39:32], Aff2-Aff0 [23:0].
constexpr u64 mpidr_hwid_mask = 0xff00ffffffULL;
// GICR_PENDBASER reset value: inner read-allocate write-back, outer same as inner,
// inner shareable (upstream's INITIAL_PENDBASER_VALUE).
constexpr u64 pendbaser_initial = (3ULL << 7) | (1ULL << 10);

u64 region_size(const Vgic *vgic, const VgicRedistRegion &r)
{
	return (r.count ? static_cast<u64>(r.count) : vgic->nr_cpus) * vgic_redist_size;
}

bool region_full(const VgicRedistRegion &r)
{
	return r.count && r.free_index >= r.count;
}

bool rdist_overlap(const Vgic *vgic, u64 base, u64 size)
{
	for (u32 i = 0; i < vgic->nr_regions; i++) {
		const VgicRedistRegion &r = vgic->regions[i];
		if (base + size > r.base && base < r.base + region_size(vgic, r))
			return true;
	}
	return false;
}

bool dist_overlap(const Vgic *vgic, u64 base, u64 size)
{
	return base + size > vgic->dist_base && base < vgic->dist_base + vgic_dist_size;
}

// No frame wraps, leaves the IPA space or is misaligned, and the distributor overlaps no
// redistributor region (upstream's vgic_v3_check_base).
bool check_base(const Vgic *vgic)
{
	if (vgic->dist_base != vgic_addr_undef &&
	    vgic->dist_base + vgic_dist_size < vgic->dist_base)
		return false;
	for (u32 i = 0; i < vgic->nr_regions; i++) {
		const VgicRedistRegion &r = vgic->regions[i];
		if (!vgic_check_iorange(vgic, vgic_addr_undef, r.base, vgic_frame_align,
					region_size(vgic, r))
			     .is_ok())
			return false;
	}
	if (vgic->dist_base == vgic_addr_undef)
		return true;
	return !rdist_overlap(vgic, vgic->dist_base, vgic_dist_size);
}

// Give @cpu the next free redistributor slot, if any region has one.
Status place_redist(Vgic *vgic, VgicCpu *cpu)
{
	if (cpu->rd_base != vgic_addr_undef)
		return Status::ok();
	int free = -1;
	for (u32 i = 0; i < vgic->nr_regions && free < 0; i++)
		if (!region_full(vgic->regions[i]))
			free = static_cast<int>(i);
	if (free < 0)
		return Status::ok(); // placed when a region with room appears
	if (!check_base(vgic))
		return Status::error(-EINVAL);
	VgicRedistRegion &r = vgic->regions[free];
	cpu->rdreg = free;
	cpu->rdreg_index = r.free_index;
	cpu->rd_base = r.base + r.free_index * vgic_redist_size;
	r.free_index++;
	return Status::ok();
}

void init_private_irqs(VgicCpu *cpu)
{
	for (u32 i = 0; i < vgic_nr_private; i++) {
		VgicIrq &irq = cpu->private_irqs[i];
		irq.intid = i;
		irq.target = cpu;
		// SGIs are enabled and edge-triggered; PPIs level-triggered (upstream's reset).
		irq.enabled = i < vgic_nr_sgis;
		irq.edge = i < vgic_nr_sgis;
	}
}

Status alloc_region(Vgic *vgic, u32 index, u64 base, u32 count)
{
	u64 size = (count ? static_cast<u64>(count) : vgic->nr_cpus) * vgic_redist_size;
	if (base + size < base)
		return Status::error(-EINVAL);
	if (vgic->nr_regions == 0) {
		if (index != 0)
			return Status::error(-EINVAL);
	} else {
		const VgicRedistRegion &last = vgic->regions[vgic->nr_regions - 1];
		if (!count && last.count) // no legacy region after discrete ones
			return Status::error(-EINVAL);
		if (!count) // a second legacy region
			return Status::error(-EEXIST);
		if (index != last.index + 1)
			return Status::error(-EINVAL);
	}
	// Only the legacy region is checked against the distributor here; a discrete one is
	// when a vCPU is placed in it (check_base), or at the first run.
	if (!count && vgic->dist_base != vgic_addr_undef && dist_overlap(vgic, base, size))
		return Status::error(-EINVAL);
	if (rdist_overlap(vgic, base, size))
		return Status::error(-EINVAL);
	Status st = vgic_check_iorange(vgic, vgic_addr_undef, base, vgic_frame_align, size);
	if (!st.is_ok())
		return st;
	if (vgic->nr_regions == vgic_max_regions) // unreachable: indices are 8 bits
		return Status::error(-EINVAL);
	VgicRedistRegion &r = vgic->regions[vgic->nr_regions++];
	r.base = base;
	r.count = count;
	r.free_index = 0;
	r.index = index;
	return Status::ok();
}

} // namespace

u32 vgic_nr_irqs(const Vgic *vgic)
{
	return vgic->nr_spis + vgic_nr_private;
}

Status vgic_check_iorange(const Vgic *vgic, u64 cur, u64 addr, u64 align, u64 size)
{
	if (cur != vgic_addr_undef)
		return Status::error(-EEXIST);
	if ((addr & (align - 1)) || (size & (align - 1)))
		return Status::error(-EINVAL);
	if (addr + size < addr)
		return Status::error(-EINVAL);
	u64 phys_size = 1ULL << vgic->ipa_bits;
	if ((addr & ~(phys_size - 1)) || addr + size > phys_size)
		return Status::error(-E2BIG);
	return Status::ok();
}

Result<Vgic *> vgic_create(const VgicConfig &cfg, u32 nr_vcpus, bool any_ran)
{
	if (any_ran)
		return Status::error(-EBUSY);
	if (nr_vcpus > vgic_max_vcpus)
		return Status::error(-E2BIG);
	Vgic *vgic = make_zeroed<Vgic>();
	if (!vgic)
		return Status::error(-ENOMEM);
	vgic->lock = kvmx_host_spinlock_create();
	vgic->config_lock = kvmx_host_mutex_create();
	if (!vgic->lock || !vgic->config_lock) {
		vgic_destroy(vgic);
		return Status::error(-ENOMEM);
	}
	vgic->hw = cfg.hw;
	if (vgic->hw.nr_lr > vgic_max_lrs)
		vgic->hw.nr_lr = vgic_max_lrs;
	vgic->ops = cfg.ops;
	vgic->ipa_bits = cfg.ipa_bits;
	vgic->dist_base = vgic_addr_undef;
	return vgic;
}

void vgic_destroy(Vgic *vgic)
{
	if (!vgic)
		return;
	vgic_its_destroy_all(vgic);
	vgic_lpi_free_all(vgic);
	for (u32 i = 0; i < vgic->nr_cpus; i++)
		destroy(vgic->cpus[i]);
	kvmx_host_free(vgic->spis);
	if (vgic->lock)
		kvmx_host_spinlock_destroy(vgic->lock);
	if (vgic->config_lock)
		kvmx_host_mutex_destroy(vgic->config_lock);
	destroy(vgic);
}

Status vgic_vcpu_add(Vgic *vgic, u32 idx, u32 id, const u64 *mpidr)
{
	MutexGuard g(vgic->config_lock);
	if (vgic->initialized)
		return Status::error(-EBUSY);
	if (idx != vgic->nr_cpus || vgic->nr_cpus == vgic_max_vcpus)
		return Status::error(-EINVAL);
	VgicCpu *cpu = make_zeroed<VgicCpu>();
	if (!cpu)
		return Status::error(-ENOMEM);
	cpu->vgic = vgic;
	cpu->idx = idx;
	cpu->id = id;
	cpu->mpidr = mpidr;
	cpu->rdreg = -1;
	cpu->rd_base = vgic_addr_undef;
	init_private_irqs(cpu);
	// Placed before it counts among the vCPUs, as upstream places a vCPU while creating
	// it: a legacy region is checked for the vCPUs that existed before.
	Status st = place_redist(vgic, cpu);
	if (!st.is_ok()) {
		destroy(cpu);
		return st;
	}
	VgicLocked l(vgic);
	vgic->cpus[vgic->nr_cpus] = cpu;
	// Published last: attribute lookups read the vCPUs without the locks, as upstream.
	store_release(&vgic->nr_cpus, vgic->nr_cpus + 1);
	return Status::ok();
}

void vgic_cpuif_enable(VgicCpu *cpu)
{
	const VgicHwInfo &hw = cpu->vgic->hw;
	cpu->cpuif.vmcr = 0; // the binary points take their reset values
	cpu->cpuif.sre = ICC_SRE_DIB | ICC_SRE_DFB | ICC_SRE_SRE;
	cpu->cpuif.hcr = ICH_HCR_EN;
	cpu->pendbaser = pendbaser_initial;
	cpu->num_id_bits = (hw.ich_vtr >> ICH_VTR_ID_BITS_SHIFT) & 7;
	cpu->num_pri_bits = ((hw.ich_vtr >> ICH_VTR_PRI_BITS_SHIFT) & 7) + 1;
}

Status vgic_init_locked(Vgic *vgic)
{
	if (vgic->initialized)
		return Status::ok();
	if (!vgic->nr_spis)
		vgic->nr_spis = vgic_default_irqs - vgic_nr_private;
	auto *spis = static_cast<VgicIrq *>(kvmx_host_zalloc(vgic->nr_spis * sizeof(VgicIrq)));
	if (!spis)
		return Status::error(-ENOMEM);
	VgicCpu *cpu0 = vgic->nr_cpus ? vgic->cpus[0] : nullptr;
	for (u32 i = 0; i < vgic->nr_spis; i++) {
		spis[i].intid = vgic_nr_private + i;
		spis[i].target = cpu0; // IROUTER 0: the vCPU with affinity 0.0.0 in practice
		spis[i].group = true;  // edge, disabled, priority 0
		spis[i].edge = true;
	}
	VgicLocked l(vgic);
	vgic->spis = spis;
	for (u32 c = 0; c < vgic->nr_cpus; c++) {
		for (VgicIrq &irq : vgic->cpus[c]->private_irqs)
			irq.group = true;
		vgic_cpuif_enable(vgic->cpus[c]);
	}
	if (!vgic->implementation_rev)
		vgic->implementation_rev = vgic_imp_rev_3;
	vgic->initialized = true;
	return Status::ok();
}

Status vgic_map_resources(Vgic *vgic)
{
	MutexGuard g(vgic->config_lock);
	if (vgic->ready)
		return Status::ok();
	for (u32 i = 0; i < vgic->nr_cpus; i++)
		if (vgic->cpus[i]->rd_base == vgic_addr_undef)
			return Status::error(-ENXIO);
	if (vgic->dist_base == vgic_addr_undef)
		return Status::error(-ENXIO);
	if (!check_base(vgic))
		return Status::error(-EINVAL);
	if (!vgic->initialized)
		return Status::error(-EBUSY);
	store_release(&vgic->ready, true); // the frames decode from now on
	return Status::ok();
}

Status vgic_set_redist_base(Vgic *vgic, u32 index, u64 base, u32 count)
{
	Status st = alloc_region(vgic, index, base, count);
	if (!st.is_ok())
		return st;
	int added = static_cast<int>(vgic->nr_regions - 1);
	for (u32 i = 0; i < vgic->nr_cpus; i++) {
		st = place_redist(vgic, vgic->cpus[i]);
		if (st.is_ok())
			continue;
		// The region goes again; vCPUs placed in it lose their frame. (Upstream also
		// unregisters the earlier vCPUs' MMIO devices here while they keep their
		// addresses; kvmx leaves them as they were.)
		for (u32 j = 0; j < vgic->nr_cpus; j++) {
			VgicCpu *c = vgic->cpus[j];
			if (c->rdreg == added) {
				c->rdreg = -1;
				c->rd_base = vgic_addr_undef;
			}
		}
		vgic->nr_regions--;
		return st;
	}
	return Status::ok();
}

VgicRedistRegion *vgic_region_by_index(Vgic *vgic, u32 index)
{
	for (u32 i = 0; i < vgic->nr_regions; i++)
		if (vgic->regions[i].index == index)
			return &vgic->regions[i];
	return nullptr;
}

// GICR_TYPER.Last: the last redistributor of a contiguous run of frames.
bool vgic_rdist_is_last(const VgicCpu *cpu)
{
	const Vgic *vgic = cpu->vgic;
	if (cpu->rdreg < 0)
		return false;
	const VgicRedistRegion &r = vgic->regions[cpu->rdreg];
	if (cpu->rdreg_index + 1 < r.free_index)
		return false;
	if (r.count && cpu->rdreg_index == r.count - 1) {
		// The region's last frame: another region may continue right after it.
		u64 end = r.base + r.count * vgic_redist_size;
		for (u32 i = 0; i < vgic->nr_regions; i++)
			if (vgic->regions[i].base == end && vgic->regions[i].free_index > 0)
				return false;
	}
	return true;
}

VgicCpu *vgic_cpu_by_mpidr(Vgic *vgic, u64 mpidr)
{
	mpidr &= mpidr_hwid_mask;
	u32 n = load_acquire(&vgic->nr_cpus);
	for (u32 i = 0; i < n; i++) {
		VgicCpu *cpu = vgic->cpus[i];
		if ((load_acquire(cpu->mpidr) & mpidr_hwid_mask) == mpidr)
			return cpu;
	}
	return nullptr;
}

} // namespace kvmx
