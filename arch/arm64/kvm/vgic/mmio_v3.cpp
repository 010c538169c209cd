// SPDX-License-Identifier: GPL-2.0
// The GICv3 register frames: the distributor (GICD, 64 KB) and each vCPU's redistributor
// (GICR: the RD_base frame, then the SGI_base frame 64 KB above it), their register
// tables and the registers that are neither per-interrupt nor shared: GICD_CTLR/TYPER/
// IIDR/TYPER2/IROUTER, GICR_CTLR/IIDR/TYPER/PROPBASER/PENDBASER, the ID registers. What a
// guest sees follows upstream's presentation (GICD_CTLR.DS and ARE_NS set, no LPIs
// without an ITS), so state moves between the two.
#include "mmio.hpp"

namespace kvmx {

namespace {

// Register offsets (GICv3 architecture specification, chapter 12).
constexpr u32 GICD_CTLR = 0x0, GICD_TYPER = 0x4, GICD_IIDR = 0x8, GICD_TYPER2 = 0xc;
constexpr u32 GICR_CTLR = 0x0, GICR_IIDR = 0x4, GICR_TYPER = 0x8;
constexpr u32 GICR_INVLPIR = 0xa0, GICR_INVALLR = 0xb0;
constexpr u32 SGI_BASE = 0x10000;
constexpr u32 GICD_PIDR2 = 0xffe8;
// GICD_CTLR with DS = 1 (one security state): EnableGrp1 is bit 1, as upstream reports.
constexpr u32 CTLR_ENABLE_G1 = 1u << 1, CTLR_ARE_NS = 1u << 4, CTLR_DS = 1u << 6;
constexpr u32 GICR_CTLR_ENABLE_LPIS = 1u << 0, GICR_CTLR_CES = 1u << 1, GICR_CTLR_IR = 1u << 2;
constexpr u32 GICD_TYPER_LPIS = 1u << 17, GICR_TYPER_PLPIS = 1u << 0;
constexpr u32 GICR_TYPER_LAST = 1u << 4;
constexpr u32 IIDR_REVISION_SHIFT = 12, IIDR_REVISION_MASK = 0xfu << IIDR_REVISION_SHIFT;
constexpr u32 IIDR_PRODUCT_ID_SHIFT = 24;
constexpr u32 PRODUCT_ID_KVM = 0x4b; // 'K', as upstream KVM (migration compatibility)
constexpr u32 IMPLEMENTER_ARM = 0x43b;
constexpr u32 INTERRUPT_ID_BITS_SPIS = 10;
constexpr u32 PIDR2_GICV3 = 0x3b; // ArchRev 3

u64 dist_misc_read(const VgicLocked &l, VgicCpu *, u64 offset, u32)
{
	const Vgic *vgic = l.vgic();
	switch (offset & 0xc) {
	case GICD_CTLR:
		return (vgic->enabled ? CTLR_ENABLE_G1 : 0) | CTLR_ARE_NS | CTLR_DS;
	case GICD_TYPER: // ITLinesNumber, IDbits, LPIS with an ITS; no MBIS, no extended SPIs
		if (vgic->has_its)
			return ((vgic_nr_irqs(vgic) >> 5) - 1) | (vgic_lpi_id_bits - 1) << 19 |
			       GICD_TYPER_LPIS;
		return ((vgic_nr_irqs(vgic) >> 5) - 1) | (INTERRUPT_ID_BITS_SPIS - 1) << 19;
	case GICD_IIDR:
		return PRODUCT_ID_KVM << IIDR_PRODUCT_ID_SHIFT |
		       vgic->implementation_rev << IIDR_REVISION_SHIFT | IMPLEMENTER_ARM;
	default: // GICD_TYPER2: no vSGIs without GICv4.1
		return 0;
	}
}

void dist_misc_write(const VgicLocked &l, VgicCpu *, u64 offset, u32, u64 val)
{
	Vgic *vgic = l.vgic();
	if ((offset & 0xc) != GICD_CTLR)
		return; // TYPER, IIDR, TYPER2 are read-only
	bool was = vgic->enabled;
	vgic->enabled = val & CTLR_ENABLE_G1;
	if (!was && vgic->enabled) {
		vgic_queue_all(l);
		vgic_kick_vcpus(l);
	}
}

// Userspace restores GICD_CTLR as it is, and may pick the implementation revision it
// saved (2 or 3); TYPER2 and the rest of IIDR must be what kvmx reports.
int dist_misc_uwrite(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val)
{
	Vgic *vgic = l.vgic();
	u32 reg = static_cast<u32>(dist_misc_read(l, cpu, offset, len));
	switch (offset & 0xc) {
	case GICD_TYPER2:
		return val != reg ? -EINVAL : 0;
	case GICD_IIDR: {
		if ((reg ^ val) & ~IIDR_REVISION_MASK)
			return -EINVAL;
		u32 rev = (val & IIDR_REVISION_MASK) >> IIDR_REVISION_SHIFT;
		if (rev != vgic_imp_rev_2 && rev != vgic_imp_rev_3)
			return -EINVAL;
		vgic->implementation_rev = rev;
		return 0;
	}
	case GICD_CTLR: {
		bool was = vgic->enabled;
		vgic->enabled = val & CTLR_ENABLE_G1;
		if (!was && vgic->enabled)
			vgic_queue_all(l); // whatever order the VMM restores things in
		return 0;
	}
	default:
		return 0;
	}
}

// GICD_IROUTER<n>: Aff2.Aff1.Aff0 kept (Aff3 and Interrupt_Routing_Mode are not
// implemented: the upper word is RAZ/WI, 1-of-N reads back 0).
u64 dist_irouter_read(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len)
{
	const VgicIrq *irq = vgic_get_irq(l, cpu, static_cast<u32>((offset & 0x1fff) / 8));
	if (!irq || (offset & 4))
		return 0;
	return vgic_extract_bytes(irq->mpidr, offset, len);
}

void dist_irouter_write(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32, u64 val)
{
	if (offset & 4)
		return;
	VgicIrq *irq = vgic_get_irq(l, cpu, static_cast<u32>((offset & 0x1fff) / 8));
	if (!irq)
		return;
	irq->mpidr = val & 0xffffff; // MPIDR_EL1's layout: Aff2 [23:16], Aff1, Aff0
	irq->target = vgic_cpu_by_mpidr(l.vgic(), irq->mpidr);
}

u64 idregs_read(const VgicLocked &, VgicCpu *, u64 offset, u32)
{
	return (offset & 0xffff) == GICD_PIDR2 ? PIDR2_GICV3 : 0;
}

// GICR_CTLR: EnableLPIs needs an ITS (RAZ/WI without); revision 3 sets IR and CES.
u64 redist_ctlr_read(const VgicLocked &l, VgicCpu *cpu, u64, u32)
{
	u64 v = l.vgic()->implementation_rev >= vgic_imp_rev_3 ? GICR_CTLR_IR | GICR_CTLR_CES : 0;
	return v | (cpu->lpis_enabled ? GICR_CTLR_ENABLE_LPIS : 0);
}

// Enabling reads the pending table, which needs guest memory: the caller does it once
// the lock is dropped (vgic_lpi_sync_pending_table). Disabling drops pending LPIs.
void redist_ctlr_write(const VgicLocked &l, VgicCpu *cpu, u64, u32, u64 val)
{
	if (!l.vgic()->has_its)
		return;
	bool was = cpu->lpis_enabled;
	cpu->lpis_enabled = val & GICR_CTLR_ENABLE_LPIS;
	if (was && !cpu->lpis_enabled)
		vgic_lpi_flush_pending(l, cpu);
	if (!was && cpu->lpis_enabled)
		cpu->lpi_sync_pending = true;
}

u64 redist_iidr_read(const VgicLocked &, VgicCpu *, u64, u32)
{
	return PRODUCT_ID_KVM << IIDR_PRODUCT_ID_SHIFT | IMPLEMENTER_ARM;
}

u64 redist_typer_read(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len)
{
	u64 mpidr = load_acquire(cpu->mpidr);
	u64 aff = (mpidr & 0xffffff); // Aff2.Aff1.Aff0 (Aff3 not implemented)
	u64 v = aff << 32 | (cpu->id & 0xffff) << 8;
	if (l.vgic()->has_its)
		v |= GICR_TYPER_PLPIS;
	if (vgic_rdist_is_last(cpu))
		v |= GICR_TYPER_LAST;
	return vgic_extract_bytes(v, offset, len);
}

// GICR_PROPBASER/PENDBASER attributes, sanitised as upstream: no outer shareability, no
// inner non-cacheable, outer either non-cacheable or same as inner; RES0 fields cleared.
u64 sanitise_baser(u64 reg, u64 res0)
{
	u64 sh = (reg >> 10) & 3, inner = (reg >> 7) & 7, outer = (reg >> 56) & 7;
	if (sh == 2)
		sh = 1;
	if (inner <= 1)
		inner = 3;
	if (outer > 1)
		outer = 0;
	reg &= ~((3ULL << 10) | (7ULL << 7) | (7ULL << 56));
	reg |= sh << 10 | inner << 7 | outer << 56;
	return reg & ~res0;
}

constexpr u64 PROPBASER_RES0 = (0x1fULL << 59) | (0xfULL << 52) | (3ULL << 5);
constexpr u64 PENDBASER_RES0 =
	(1ULL << 63) | (7ULL << 59) | (0xfULL << 52) | (0xfULL << 12) | 0x7fULL;
constexpr u64 PENDBASER_PTZ = 1ULL << 62;

u64 propbase_read(const VgicLocked &l, VgicCpu *, u64 offset, u32 len)
{
	return vgic_extract_bytes(l.vgic()->propbaser, offset, len);
}

void propbase_write(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val)
{
	Vgic *vgic = l.vgic();
	if (cpu->lpis_enabled) // UNPREDICTABLE with LPIs enabled: ignored, as upstream
		return;
	vgic->propbaser = sanitise_baser(vgic_update_64bit_reg(vgic->propbaser, offset, len, val),
					 PROPBASER_RES0);
}

u64 pendbase_read(const VgicLocked &, VgicCpu *cpu, u64 offset, u32 len)
{
	return vgic_extract_bytes(cpu->pendbaser & ~PENDBASER_PTZ, offset, len);
}

void pendbase_write(const VgicLocked &, VgicCpu *cpu, u64 offset, u32 len, u64 val)
{
	if (cpu->lpis_enabled)
		return;
	cpu->pendbaser = sanitise_baser(vgic_update_64bit_reg(cpu->pendbaser, offset, len, val),
					PENDBASER_RES0);
}

constexpr u8 A32 = vgic_acc32, A8_32 = vgic_acc8 | vgic_acc32, A32_64 = vgic_acc32 | vgic_acc64;

// A per-interrupt register of the distributor: its private part (INTIDs 0-31, banked in
// the redistributors) is RAZ/WI here; the SPIs' part follows it.
constexpr VgicRegion private_raz(u32 off, u8 bpi, u8 acc)
{
	return { off,		bpi * vgic_nr_private / 8u,
		 bpi,		acc,
		 vgic_read_raz, vgic_write_wi,
		 nullptr,	nullptr };
}

constexpr VgicRegion spis(u32 off, u8 bpi, u8 acc, VgicRead rd, VgicWrite wr,
			  VgicRead urd = nullptr, VgicUWrite uwr = nullptr)
{
	return { off + bpi * vgic_nr_private / 8u,
		 bpi * (1024 - vgic_nr_private) / 8u,
		 bpi,
		 acc,
		 rd,
		 wr,
		 urd,
		 uwr };
}

constexpr VgicRegion dist_regions[] = {
	{ GICD_CTLR, 16, 0, A32, dist_misc_read, dist_misc_write, nullptr, dist_misc_uwrite },
	// GICD_STATUSR reads as all ones, as upstream 6.1 presents it.
	{ 0x10, 4, 0, A32, vgic_read_rao, vgic_write_wi, nullptr, nullptr },
	private_raz(0x080, 1, A32), // IGROUPR
	spis(0x080, 1, A32, vgic_read_group, vgic_write_group),
	private_raz(0x100, 1, A32), // ISENABLER
	spis(0x100, 1, A32, vgic_read_enable, vgic_write_senable, nullptr, vgic_uwrite_senable),
	private_raz(0x180, 1, A32), // ICENABLER
	spis(0x180, 1, A32, vgic_read_enable, vgic_write_cenable, nullptr, vgic_uwrite_cenable),
	private_raz(0x200, 1, A32), // ISPENDR
	spis(0x200, 1, A32, vgic_read_pending, vgic_write_spending, vgic_uread_pending,
	     vgic_uwrite_pending),
	private_raz(0x280, 1, A32), // ICPENDR
	spis(0x280, 1, A32, vgic_read_pending, vgic_write_cpending, vgic_read_raz, vgic_uwrite_wi),
	private_raz(0x300, 1, A32), // ISACTIVER
	spis(0x300, 1, A32, vgic_read_active, vgic_write_sactive, nullptr, vgic_uwrite_sactive),
	private_raz(0x380, 1, A32), // ICACTIVER
	spis(0x380, 1, A32, vgic_read_active, vgic_write_cactive, nullptr, vgic_uwrite_cactive),
	private_raz(0x400, 8, A8_32), // IPRIORITYR
	spis(0x400, 8, A8_32, vgic_read_priority, vgic_write_priority),
	private_raz(0x800, 8, A8_32), // ITARGETSR: unused with affinity routing
	spis(0x800, 8, A8_32, vgic_read_raz, vgic_write_wi),
	private_raz(0xc00, 2, A32), // ICFGR
	spis(0xc00, 2, A32, vgic_read_config, vgic_write_config),
	private_raz(0xd00, 1, A32), // IGRPMODR: one security state
	spis(0xd00, 1, A32, vgic_read_raz, vgic_write_wi),
	private_raz(0x6000, 64, A32_64), // IROUTER
	spis(0x6000, 64, A32_64, dist_irouter_read, dist_irouter_write),
	{ 0xffd0, 48, 0, A32, idregs_read, vgic_write_wi, nullptr, nullptr },
};

constexpr VgicRegion redist_regions[] = {
	// RD_base frame.
	{ GICR_CTLR, 4, 0, A32, redist_ctlr_read, redist_ctlr_write, nullptr, nullptr },
	{ GICR_IIDR, 4, 0, A32, redist_iidr_read, vgic_write_wi, nullptr, nullptr },
	{ GICR_TYPER, 8, 0, A32_64, redist_typer_read, vgic_write_wi, nullptr, vgic_uwrite_wi },
	{ 0x10, 4, 0, A32, vgic_read_raz, vgic_write_wi, nullptr, nullptr }, // GICR_STATUSR
	{ 0x14, 4, 0, A32, vgic_read_raz, vgic_write_wi, nullptr, nullptr }, // GICR_WAKER
	{ 0x70, 8, 0, A32_64, propbase_read, propbase_write, nullptr, nullptr },
	{ 0x78, 8, 0, A32_64, pendbase_read, pendbase_write, nullptr, nullptr },
	// INVLPIR, INVALLR: write-only, their effect is vgic_redist_write's.
	{ GICR_INVLPIR, 8, 0, A32_64, vgic_read_raz, vgic_write_wi, nullptr, nullptr },
	{ GICR_INVALLR, 8, 0, A32_64, vgic_read_raz, vgic_write_wi, nullptr, nullptr },
	{ 0xc0, 4, 0, A32, vgic_read_raz, vgic_write_wi, nullptr, nullptr }, // SYNCR: never busy
	{ 0xffd0, 48, 0, A32, idregs_read, vgic_write_wi, nullptr, nullptr },
	// SGI_base frame: the private interrupts' registers.
	{ SGI_BASE + 0x080, 4, 0, A32, vgic_read_group, vgic_write_group, nullptr, nullptr },
	{ SGI_BASE + 0x100, 4, 0, A32, vgic_read_enable, vgic_write_senable, nullptr,
	  vgic_uwrite_senable },
	{ SGI_BASE + 0x180, 4, 0, A32, vgic_read_enable, vgic_write_cenable, nullptr,
	  vgic_uwrite_cenable },
	{ SGI_BASE + 0x200, 4, 0, A32, vgic_read_pending, vgic_write_spending, vgic_uread_pending,
	  vgic_uwrite_pending },
	{ SGI_BASE + 0x280, 4, 0, A32, vgic_read_pending, vgic_write_cpending, vgic_read_raz,
	  vgic_uwrite_wi },
	{ SGI_BASE + 0x300, 4, 0, A32, vgic_read_active, vgic_write_sactive, nullptr,
	  vgic_uwrite_sactive },
	{ SGI_BASE + 0x380, 4, 0, A32, vgic_read_active, vgic_write_cactive, nullptr,
	  vgic_uwrite_cactive },
	{ SGI_BASE + 0x400, 32, 0, A8_32, vgic_read_priority, vgic_write_priority, nullptr,
	  nullptr },
	{ SGI_BASE + 0xc00, 8, 0, A32, vgic_read_config, vgic_write_config, nullptr, nullptr },
	{ SGI_BASE + 0xd00, 4, 0, A32, vgic_read_raz, vgic_write_wi, nullptr,
	  nullptr }, // IGRPMODR0
	{ SGI_BASE + 0xe00, 4, 0, A32, vgic_read_raz, vgic_write_wi, nullptr, nullptr }, // NSACR
};

constexpr VgicRegionTable dist_table = { dist_regions,
					 sizeof(dist_regions) / sizeof(dist_regions[0]) };
constexpr VgicRegionTable redist_table = { redist_regions,
					   sizeof(redist_regions) / sizeof(redist_regions[0]) };

bool contains(u64 base, u64 size, u64 ipa, u32 len)
{
	return base != vgic_addr_undef && ipa >= base && ipa - base < size &&
	       len <= size - (ipa - base);
}

} // namespace

const VgicRegionTable &vgic_dist_regions()
{
	return dist_table;
}

const VgicRegionTable &vgic_redist_regions()
{
	return redist_table;
}

u64 vgic_dist_read(VgicCpu *cpu, u64 offset, u32 len)
{
	return vgic_region_read(dist_table, cpu, offset, len);
}

void vgic_dist_write(VgicCpu *cpu, u64 offset, u32 len, u64 val)
{
	vgic_region_write(dist_table, cpu, offset, len, val);
}

u64 vgic_redist_read(VgicCpu *rd, u64 offset, u32 len)
{
	return vgic_region_read(redist_table, rd, offset, len);
}

void vgic_redist_write(VgicCpu *rd, u64 offset, u32 len, u64 val)
{
	vgic_region_write(redist_table, rd, offset, len, val);
	vgic_lpi_sync_pending_table(rd);
	// GICR_CTLR.IR (revision 3) tells the guest it may invalidate an LPI's cached
	// configuration here instead of with the ITS's INV and INVALL, and Linux then does
	// (it enables an LPI by writing its property byte and its INTID to INVLPIR). Both
	// read the property table: with no lock held, as those commands. The INTID is
	// INVLPIR[31:0]; the V bit (GICv4.1 vPEs) is not offered. Ignored while this
	// redistributor's LPIs are disabled, as upstream.
	if (offset != GICR_INVLPIR && offset != GICR_INVALLR)
		return;
	{
		VgicLocked l(rd->vgic);
		if (!rd->lpis_enabled)
			return;
	}
	if (offset == GICR_INVLPIR)
		vgic_lpi_inv(rd->vgic, static_cast<u32>(val));
	else
		vgic_lpi_invall(rd);
}

// The frames decode once the vGIC is ready (vgic_map_resources); from then on their
// addresses no longer change. An access must lie wholly inside one frame set.
bool vgic_mmio_access(Vgic *vgic, VgicCpu *cpu, u64 ipa, u32 len, bool is_write, u64 *val)
{
	if (!load_acquire(&vgic->ready))
		return false;
	if (contains(vgic->dist_base, vgic_dist_size, ipa, len)) {
		if (is_write)
			vgic_dist_write(cpu, ipa - vgic->dist_base, len, *val);
		else
			*val = vgic_dist_read(cpu, ipa - vgic->dist_base, len);
		return true;
	}
	for (u32 i = 0; i < vgic->nr_cpus; i++) {
		VgicCpu *rd = vgic->cpus[i];
		if (!contains(rd->rd_base, vgic_redist_size, ipa, len))
			continue;
		if (is_write)
			vgic_redist_write(rd, ipa - rd->rd_base, len, *val);
		else
			*val = vgic_redist_read(rd, ipa - rd->rd_base, len);
		return true;
	}
	return false;
}

int vgic_dist_uaccess(VgicCpu *cpu, bool is_write, u32 offset, u32 *val)
{
	return vgic_region_uaccess(dist_table, cpu, is_write, offset, val);
}

int vgic_redist_uaccess(VgicCpu *rd, bool is_write, u32 offset, u32 *val)
{
	int r = vgic_region_uaccess(redist_table, rd, is_write, offset, val);
	vgic_lpi_sync_pending_table(rd);
	return r;
}

bool vgic_dist_has_reg(const Vgic *vgic, u32 offset)
{
	return !(offset & 3) && vgic_find_region(vgic, dist_table, offset, 4);
}

bool vgic_redist_has_reg(const Vgic *vgic, u32 offset)
{
	return !(offset & 3) && vgic_find_region(vgic, redist_table, offset, 4);
}

} // namespace kvmx
