// SPDX-License-Identifier: GPL-2.0
// The ITS device: creation and teardown, its register frame (GITS_CTLR, IIDR, TYPER,
// CBASER, CWRITER, CREADR, BASER<n>, the ID registers) for the guest and for userspace
// (KVM_DEV_ARM_VGIC_GRP_ITS_REGS), and the KVM_DEV_TYPE_ARM_VGIC_ITS attributes with
// upstream's errno. The commands themselves are its.cpp's.
#include "its.hpp"
#include "mmio.hpp"

namespace kvmx {

namespace {

// Register offsets (GICv3 architecture specification, "ITS register map").
constexpr u32 GITS_CTLR = 0x0, GITS_IIDR = 0x4, GITS_TYPER = 0x8, GITS_CBASER = 0x80;
constexpr u32 GITS_CWRITER = 0x88, GITS_CREADR = 0x90, GITS_BASER = 0x100;
constexpr u32 GITS_IDREGS = 0xffd0, GITS_PIDR4 = 0xffd0;
constexpr u32 CTLR_ENABLE = 1u << 0, CTLR_QUIESCENT = 1u << 31;
constexpr u32 IIDR_REV_SHIFT = 12, PRODUCT_ID_KVM = 0x4b, IMPLEMENTER_ARM = 0x43b;
constexpr u32 nr_abis = 1; // ABI revision 0 only
constexpr u32 ite_esz = 8, dte_esz = 8, cte_esz = 8;
constexpr u64 TYPER_PLPIS = 1;
constexpr u32 TYPER_ITT_ENTRY_SIZE_SHIFT = 4, TYPER_IDBITS_SHIFT = 8, TYPER_DEVBITS_SHIFT = 13;
// GITS_BASER<n> and GITS_CBASER fields.
constexpr u64 BASER_VALID = 1ULL << 63, BASER_INDIRECT = 1ULL << 62;
constexpr u32 BASER_TYPE_SHIFT = 56, BASER_ESZ_SHIFT = 48;
constexpr u64 BASER_RO_MASK = (7ULL << BASER_TYPE_SHIFT) | (0x1fULL << BASER_ESZ_SHIFT);
constexpr u64 BASER_TYPE_DEVICE = 1, BASER_TYPE_COLLECTION = 4;
constexpr u32 SHAREABILITY_SHIFT = 10, INNER_CACHE_SHIFT = 59, OUTER_CACHE_SHIFT = 53;
constexpr u64 PAGE_SIZE_MASK = 3ULL << 8, PAGE_SIZE_64K = 2ULL << 8;
constexpr u64 CACHE_RAWB = 3, INNER_SHAREABLE = 1;
constexpr u64 INITIAL_BASER =
	CACHE_RAWB << INNER_CACHE_SHIFT | INNER_SHAREABLE << SHAREABILITY_SHIFT | PAGE_SIZE_64K;
// GICR_PROPBASER as an ITS's creation leaves it: inner read-allocate write-back, inner
// shareable (upstream's INITIAL_PROPBASER_VALUE).
constexpr u64 INITIAL_PROPBASER = CACHE_RAWB << 7 | INNER_SHAREABLE << 10;

constexpr u8 A32 = vgic_acc32, A32_64 = vgic_acc32 | vgic_acc64;

// Upstream's BASER sanitising: no outer shareability, inner cacheable, outer either
// non-cacheable or as inner.
u64 sanitise(u64 reg)
{
	u64 sh = (reg >> SHAREABILITY_SHIFT) & 3, in = (reg >> INNER_CACHE_SHIFT) & 7,
	    out = (reg >> OUTER_CACHE_SHIFT) & 7;
	if (sh == 2)
		sh = INNER_SHAREABLE;
	if (in <= 1)
		in = CACHE_RAWB;
	if (out > 1)
		out = 0;
	reg &= ~((3ULL << SHAREABILITY_SHIFT) | (7ULL << INNER_CACHE_SHIFT) |
		 (7ULL << OUTER_CACHE_SHIFT));
	return reg | sh << SHAREABILITY_SHIFT | in << INNER_CACHE_SHIFT | out << OUTER_CACHE_SHIFT;
}

u64 cmdq_size(u64 cbaser)
{
	return ((cbaser & 0xff) + 1) * 0x1000;
}

u64 cmd_offset(u64 v)
{
	return v & 0xfffe0ULL; // bits [19:5]
}

using ItsRead = u64 (*)(VgicIts *its, u64 offset, u32 len);
using ItsWrite = void (*)(VgicIts *its, u64 offset, u32 len, u64 val);
using ItsUWrite = int (*)(VgicIts *its, u64 offset, u32 len, u64 val);

struct ItsRegion {
	u32 offset, len;
	u8 access;
	ItsRead read;
	ItsWrite write;
	ItsUWrite uwrite; // userspace's write, if it differs
};

u64 read_ctlr(VgicIts *its, u64, u32)
{
	return (its->creadr == its->cwriter ? CTLR_QUIESCENT : 0) |
	       (its->enabled ? CTLR_ENABLE : 0);
}

void write_ctlr(VgicIts *its, u64, u32, u64 val)
{
	// Enabling with an invalid table or queue is UNPREDICTABLE: ignored, as upstream.
	if (!its->enabled && (val & CTLR_ENABLE) &&
	    (!(its->baser_device & BASER_VALID) || !(its->baser_coll & BASER_VALID) ||
	     !(its->cbaser & BASER_VALID)))
		return;
	{
		VgicLocked l(its->vgic); // MSI injection reads it under this lock
		store_release(&its->enabled, static_cast<bool>(val & CTLR_ENABLE));
	}
	vgic_its_process_commands(its);
}

u64 read_iidr(VgicIts *its, u64, u32)
{
	return its->abi_rev << IIDR_REV_SHIFT | PRODUCT_ID_KVM << 24 | IMPLEMENTER_ARM;
}

int uwrite_iidr(VgicIts *its, u64, u32, u64 val)
{
	u32 rev = (val >> IIDR_REV_SHIFT) & 0xf;
	if (rev >= nr_abis)
		return -EINVAL;
	its->abi_rev = rev;
	return 0;
}

u64 read_typer(VgicIts *, u64 offset, u32 len)
{
	u64 v = TYPER_PLPIS | (ite_esz - 1) << TYPER_ITT_ENTRY_SIZE_SHIFT |
		static_cast<u64>(its_event_bits - 1) << TYPER_IDBITS_SHIFT |
		static_cast<u64>(its_dev_bits - 1) << TYPER_DEVBITS_SHIFT;
	return vgic_extract_bytes(v, offset, len);
}

u64 read_cbaser(VgicIts *its, u64 offset, u32 len)
{
	return vgic_extract_bytes(its->cbaser, offset, len);
}

void write_cbaser(VgicIts *its, u64 offset, u32 len, u64 val)
{
	if (its->enabled) // read-only while the ITS is enabled
		return;
	its->cbaser = sanitise(vgic_update_64bit_reg(its->cbaser, offset, len, val)) &
		      ~(0xfULL << 12);	// the queue is 64 KB aligned
	its->creadr = its->cwriter = 0; // an empty queue
}

u64 read_cwriter(VgicIts *its, u64 offset, u32 len)
{
	return vgic_extract_bytes(its->cwriter, offset, len);
}

void write_cwriter(VgicIts *its, u64 offset, u32 len, u64 val)
{
	u64 reg = cmd_offset(vgic_update_64bit_reg(its->cwriter, offset, len, val));
	if (reg >= cmdq_size(its->cbaser)) // beyond the queue: ignored
		return;
	its->cwriter = reg;
	vgic_its_process_commands(its);
}

u64 read_creadr(VgicIts *its, u64 offset, u32 len)
{
	return vgic_extract_bytes(its->creadr, offset, len);
}

int uwrite_creadr(VgicIts *its, u64, u32, u64 val)
{
	if (its->enabled)
		return 0;
	u64 off = cmd_offset(val);
	if (off < cmdq_size(its->cbaser))
		its->creadr = off;
	return 0;
}

u64 *baser_of(VgicIts *its, u64 offset)
{
	switch ((offset - GITS_BASER) / 8) {
	case 0:
		return &its->baser_device;
	case 1:
		return &its->baser_coll;
	default:
		return nullptr;
	}
}

u64 read_baser(VgicIts *its, u64 offset, u32 len)
{
	u64 *reg = baser_of(its, offset);
	return reg ? vgic_extract_bytes(*reg, offset, len) : 0;
}

// GITS_BASER0 is the device table, GITS_BASER1 the collection table (flat only, as
// upstream); type and entry size are fixed, the page size is 64 KB. Invalidating a table
// drops what it held.
void write_baser(VgicIts *its, u64 offset, u32 len, u64 val)
{
	u64 *reg = baser_of(its, offset);
	if (its->enabled || !reg)
		return;
	bool dev = reg == &its->baser_device;
	u64 v = vgic_update_64bit_reg(*reg, offset, len, val) & ~BASER_RO_MASK;
	if (!dev)
		v &= ~BASER_INDIRECT;
	v |= static_cast<u64>((dev ? dte_esz : cte_esz) - 1) << BASER_ESZ_SHIFT;
	v |= (dev ? BASER_TYPE_DEVICE : BASER_TYPE_COLLECTION) << BASER_TYPE_SHIFT;
	*reg = (sanitise(v) & ~PAGE_SIZE_MASK) | PAGE_SIZE_64K;
	if (*reg & BASER_VALID)
		return;
	if (dev)
		vgic_its_free_devices(its);
	else
		vgic_its_free_collections(its);
}

u64 read_idregs(VgicIts *, u64 offset, u32)
{
	switch (offset & 0xffff) {
	case 0xffe0: // GITS_PIDR0..2: upstream's part number and GICv3 architecture
		return 0x92;
	case 0xffe4:
		return 0xb4;
	case 0xffe8:
		return 0x3b;
	case GITS_PIDR4: // a 64 KB software-visible page
		return 0x40;
	case 0xfff0: // GITS_CIDR0..3: a GIC's component ids
		return 0x0d;
	case 0xfff4:
		return 0xf0;
	case 0xfff8:
		return 0x05;
	case 0xfffc:
		return 0xb1;
	default:
		return 0;
	}
}

void write_wi(VgicIts *, u64, u32, u64) {}

constexpr ItsRegion regions[] = {
	{ GITS_CTLR, 4, A32, read_ctlr, write_ctlr, nullptr },
	{ GITS_IIDR, 4, A32, read_iidr, write_wi, uwrite_iidr },
	{ GITS_TYPER, 8, A32_64, read_typer, write_wi, nullptr },
	{ GITS_CBASER, 8, A32_64, read_cbaser, write_cbaser, nullptr },
	{ GITS_CWRITER, 8, A32_64, read_cwriter, write_cwriter, nullptr },
	{ GITS_CREADR, 8, A32_64, read_creadr, write_wi, uwrite_creadr },
	{ GITS_BASER, 0x40, A32_64, read_baser, write_baser, nullptr },
	{ GITS_IDREGS, 0x30, A32, read_idregs, write_wi, nullptr },
};

const ItsRegion *find_region(u64 offset)
{
	for (const ItsRegion &r : regions)
		if (offset >= r.offset && offset - r.offset < r.len)
			return &r;
	return nullptr;
}

// A guest access: a register that allows its width, naturally aligned; else RAZ/WI.
const ItsRegion *guest_region(u64 offset, u32 len)
{
	const ItsRegion *r = find_region(offset);
	if (!r || (len != 4 && len != 8) || (offset & (len - 1)) || !(r->access & len))
		return nullptr;
	return r;
}

bool lock_all(Vgic *vgic)
{
	return !vgic->ops.lock_all_vcpus || vgic->ops.lock_all_vcpus(vgic->ops.ctx);
}

void unlock_all(Vgic *vgic)
{
	if (vgic->ops.unlock_all_vcpus)
		vgic->ops.unlock_all_vcpus(vgic->ops.ctx);
}

// CTRL_RESET: tables invalid, queue empty, ITS disabled, translations gone.
void reset(VgicIts *its)
{
	its->baser_coll &= ~BASER_VALID;
	its->baser_device &= ~BASER_VALID;
	its->cbaser = its->creadr = its->cwriter = 0;
	{
		VgicLocked l(its->vgic);
		store_release(&its->enabled, false);
	}
	vgic_its_free_devices(its);
	vgic_its_free_collections(its);
}

int ctrl(VgicIts *its, u64 which)
{
	if (which == KVM_DEV_ARM_VGIC_CTRL_INIT)
		return 0; // nothing to do, as upstream
	Vgic *vgic = its->vgic;
	if (!lock_all(vgic))
		return -EBUSY;
	int r = 0;
	{
		MutexGuard g(its->cmd_lock);
		switch (which) {
		case KVM_DEV_ARM_ITS_CTRL_RESET:
			reset(its);
			break;
		case KVM_DEV_ARM_ITS_SAVE_TABLES:
			r = vgic_its_save_tables(its);
			break;
		case KVM_DEV_ARM_ITS_RESTORE_TABLES:
			r = vgic_its_restore_tables(its);
			break;
		default: // upstream accepts unknown CTRL attributes silently
			break;
		}
	}
	unlock_all(vgic);
	return r;
}

// GRP_ITS_REGS: 64-bit registers are accessed whole, the 32-bit ones (CTLR, IIDR, the ID
// registers) as 32 bits; the value is a u64 in userspace either way.
int regs_access(VgicIts *its, u64 offset, u64 *val, bool write)
{
	u64 align = offset < GITS_TYPER || offset >= GITS_PIDR4 ? 3 : 7;
	if (offset & align)
		return -EINVAL;
	const ItsRegion *r;
	{
		MutexGuard g(its->cmd_lock);
		if (its->base == vgic_addr_undef)
			return -ENXIO;
		r = find_region(offset);
	}
	if (!r)
		return -ENXIO;
	Vgic *vgic = its->vgic;
	if (!lock_all(vgic))
		return -EBUSY;
	int ret = 0;
	{
		MutexGuard g(its->cmd_lock);
		u32 len = (r->access & vgic_acc64) ? 8 : 4;
		if (!write)
			*val = r->read(its, offset, len);
		else if (r->uwrite)
			ret = r->uwrite(its, offset, len, *val);
		else
			r->write(its, offset, len, *val);
	}
	unlock_all(vgic);
	return ret;
}

int set_addr(VgicIts *its, u64 addr)
{
	Vgic *vgic = its->vgic;
	MutexGuard g(its->cmd_lock);
	int r = vgic_check_iorange(vgic, its->base, addr, vgic_frame_align, vgic_its_size).err();
	if (r)
		return r;
	VgicLocked l(vgic); // MSI injection finds the ITS by it
	its->base = addr;
	return 0;
}

} // namespace

Result<VgicIts *> vgic_its_create(Vgic *vgic)
{
	auto *its = make_zeroed<VgicIts>();
	if (!its)
		return Status::error(-ENOMEM);
	its->cmd_lock = kvmx_host_mutex_create();
	if (!its->cmd_lock) {
		destroy(its);
		return Status::error(-ENOMEM);
	}
	its->vgic = vgic;
	its->base = vgic_addr_undef;
	its->baser_device = INITIAL_BASER | BASER_TYPE_DEVICE << BASER_TYPE_SHIFT |
			    static_cast<u64>(dte_esz - 1) << BASER_ESZ_SHIFT;
	its->baser_coll = INITIAL_BASER | BASER_TYPE_COLLECTION << BASER_TYPE_SHIFT |
			  static_cast<u64>(cte_esz - 1) << BASER_ESZ_SHIFT;
	MutexGuard g(vgic->config_lock);
	VgicLocked l(vgic);
	vgic->propbaser = INITIAL_PROPBASER;
	its->next = vgic->its_list;
	store_release(&vgic->its_list, its); // vgic_its_mmio_access reads it unlocked
	store_release(&vgic->has_its, true);
	return its;
}

void vgic_its_destroy_all(Vgic *vgic)
{
	while (VgicIts *its = vgic->its_list) {
		vgic_its_free_devices(its);
		vgic_its_free_collections(its);
		vgic->its_list = its->next;
		kvmx_host_mutex_destroy(its->cmd_lock);
		destroy(its);
	}
}

u64 vgic_its_read(VgicIts *its, u64 offset, u32 len)
{
	const ItsRegion *r = guest_region(offset, len);
	if (!r)
		return 0;
	MutexGuard g(its->cmd_lock);
	return r->read(its, offset, len);
}

void vgic_its_write(VgicIts *its, u64 offset, u32 len, u64 val)
{
	const ItsRegion *r = guest_region(offset, len);
	if (!r)
		return;
	MutexGuard g(its->cmd_lock);
	r->write(its, offset, len, val);
}

// The ITS list only grows while the VM lives, and an ITS's base is set once.
bool vgic_its_mmio_access(Vgic *vgic, u64 ipa, u32 len, bool is_write, u64 *val)
{
	for (VgicIts *its = load_acquire(&vgic->its_list); its; its = its->next) {
		u64 base = load_acquire(&its->base);
		if (base == vgic_addr_undef || ipa < base || ipa - base >= vgic_its_size ||
		    len > vgic_its_size - (ipa - base))
			continue;
		if (is_write)
			vgic_its_write(its, ipa - base, len, *val);
		else
			*val = vgic_its_read(its, ipa - base, len);
		return true;
	}
	return false;
}

int vgic_its_set_attr(VgicIts *its, const kvm_device_attr &attr)
{
	u64 v;
	switch (attr.group) {
	case KVM_DEV_ARM_VGIC_GRP_ADDR:
		if (attr.attr != KVM_VGIC_ITS_ADDR_TYPE)
			return -ENODEV;
		if (kvmx_host_copy_from_user(&v, attr.addr, sizeof(v)))
			return -EFAULT;
		return set_addr(its, v);
	case KVM_DEV_ARM_VGIC_GRP_CTRL:
		return ctrl(its, attr.attr);
	case KVM_DEV_ARM_VGIC_GRP_ITS_REGS:
		if (kvmx_host_copy_from_user(&v, attr.addr, sizeof(v)))
			return -EFAULT;
		return regs_access(its, attr.attr, &v, true);
	default:
		return -ENXIO;
	}
}

int vgic_its_get_attr(VgicIts *its, const kvm_device_attr &attr)
{
	u64 v;
	switch (attr.group) {
	case KVM_DEV_ARM_VGIC_GRP_ADDR:
		if (attr.attr != KVM_VGIC_ITS_ADDR_TYPE)
			return -ENODEV;
		v = load_acquire(&its->base);
		break;
	case KVM_DEV_ARM_VGIC_GRP_ITS_REGS: {
		int r = regs_access(its, attr.attr, &v, false);
		if (r)
			return r;
		break;
	}
	default:
		return -ENXIO;
	}
	return kvmx_host_copy_to_user(attr.addr, &v, sizeof(v)) ? -EFAULT : 0;
}

int vgic_its_has_attr(VgicIts *, const kvm_device_attr &attr)
{
	switch (attr.group) {
	case KVM_DEV_ARM_VGIC_GRP_ADDR:
		return attr.attr == KVM_VGIC_ITS_ADDR_TYPE ? 0 : -ENXIO;
	case KVM_DEV_ARM_VGIC_GRP_CTRL:
		switch (attr.attr) {
		case KVM_DEV_ARM_VGIC_CTRL_INIT:
		case KVM_DEV_ARM_ITS_CTRL_RESET:
		case KVM_DEV_ARM_ITS_SAVE_TABLES:
		case KVM_DEV_ARM_ITS_RESTORE_TABLES:
			return 0;
		default:
			return -ENXIO;
		}
	case KVM_DEV_ARM_VGIC_GRP_ITS_REGS:
		return find_region(attr.attr) ? 0 : -ENXIO;
	default:
		return -ENXIO;
	}
}

} // namespace kvmx
