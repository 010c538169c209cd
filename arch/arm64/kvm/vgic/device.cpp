// SPDX-License-Identifier: GPL-2.0
// The KVM_DEV_TYPE_ARM_VGIC_V3 device attributes (Documentation/virt/kvm/devices/
// arm-vgic-v3.rst) with upstream's errno, check for check and in upstream's order: frame
// addresses and redistributor regions, NR_IRQS, CTRL, the register groups, the CPU
// interface system registers and line levels. Userspace memory is copied with no lock
// held but the configuration mutex; the interrupt state is reached through its own lock.
#include "vgic.hpp"

namespace kvmx {

namespace {

// KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION's value: count [63:52], base [51:16], flags
// [15:12], index [11:0].
constexpr u64 RDIST_INDEX_MASK = 0xfff, RDIST_BASE_MASK = 0x000fffffffff0000ULL;
constexpr u32 RDIST_FLAGS_SHIFT = 12, RDIST_COUNT_SHIFT = 52;
// vgic-v3.rst: the register groups' attr carries an affinity in bits [63:32] as
// Aff3.Aff2.Aff1.Aff0, the offset (or instr, or level info and vINTID) below.
constexpr u32 ATTR_MPIDR_SHIFT = 32;
constexpr u64 ATTR_OFFSET_MASK = 0xffffffffULL;
constexpr u64 LEVEL_INFO_MASK = 0x3fffffULL << 10, LEVEL_INTID_MASK = 0x3ff;
constexpr u32 LEVEL_INFO_SHIFT = 10, LEVEL_INFO_LINE_LEVEL = 0;
// NR_IRQS: at least 32 SPIs beyond the private interrupts, a multiple of 32, and at most
// upstream's VGIC_MAX_RESERVED (1023), which makes 992 the largest value accepted.
constexpr u32 nr_irqs_min = vgic_nr_private + 32, nr_irqs_max = 1023;

u64 affinity_to_mpidr(u64 aff)
{
	return (aff & 0xffffff) | ((aff >> 24) & 0xff) << 32;
}

Status get_user_u64(kvmx_uptr addr, u64 *v)
{
	return kvmx_host_copy_from_user(v, addr, sizeof(*v)) ? Status::error(-EFAULT)
							     : Status::ok();
}

// GRP_ADDR. Reading a region's characteristics takes its index from the value at addr.
int addr_attr(Vgic *vgic, const kvm_device_attr &attr, bool write)
{
	u64 addr = 0;
	if (write || attr.attr == KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION)
		if (!get_user_u64(attr.addr, &addr).is_ok())
			return -EFAULT;
	int r = 0;
	{
		MutexGuard g(vgic->config_lock);
		switch (attr.attr) {
		case KVM_VGIC_V3_ADDR_TYPE_DIST:
			if (!write) {
				addr = vgic->dist_base;
				break;
			}
			r = vgic_check_iorange(vgic, vgic->dist_base, addr, vgic_frame_align,
					       vgic_dist_size)
				    .err();
			if (!r)
				vgic->dist_base = addr;
			break;
		case KVM_VGIC_V3_ADDR_TYPE_REDIST:
			if (write)
				r = vgic_set_redist_base(vgic, 0, addr, 0).err();
			else
				addr = vgic->nr_regions ? vgic->regions[0].base : vgic_addr_undef;
			break;
		case KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION: {
			// Upstream keeps the 12-bit index in a u8: index 256 is index 0.
			u32 index = static_cast<u8>(addr & RDIST_INDEX_MASK);
			if (write) {
				u32 count = static_cast<u32>(addr >> RDIST_COUNT_SHIFT);
				u32 flags = (addr >> RDIST_FLAGS_SHIFT) & 0xf;
				r = !count || flags
					    ? -EINVAL
					    : vgic_set_redist_base(vgic, index,
								   addr & RDIST_BASE_MASK, count)
						      .err();
				break;
			}
			const VgicRedistRegion *rr = vgic_region_by_index(vgic, index);
			if (!rr) {
				r = -ENOENT;
				break;
			}
			addr = index | rr->base | static_cast<u64>(rr->count) << RDIST_COUNT_SHIFT;
			break;
		}
		default: // GICv2 frames, the ITS (its own device), unknown types
			r = -ENXIO;
		}
	}
	if (!r && !write && kvmx_host_copy_to_user(attr.addr, &addr, sizeof(addr)))
		r = -EFAULT;
	return r;
}

int nr_irqs_set(Vgic *vgic, kvmx_uptr uaddr)
{
	u32 val;
	if (kvmx_host_copy_from_user(&val, uaddr, sizeof(val)))
		return -EFAULT;
	if (val < nr_irqs_min || val > nr_irqs_max || (val & 31))
		return -EINVAL;
	MutexGuard g(vgic->config_lock);
	if (vgic->ready || vgic->nr_spis)
		return -EBUSY;
	vgic->nr_spis = val - vgic_nr_private;
	return 0;
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

int ctrl_set(Vgic *vgic, u64 which)
{
	switch (which) {
	case KVM_DEV_ARM_VGIC_CTRL_INIT: {
		MutexGuard g(vgic->config_lock);
		return vgic_init_locked(vgic).err();
	}
	case KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES: {
		if (!lock_all(vgic))
			return -EBUSY;
		int r;
		{
			MutexGuard g(vgic->config_lock);
			r = vgic->initialized ? vgic_lpi_save_pending(vgic) : -ENXIO;
		}
		unlock_all(vgic);
		return r;
	}
	default:
		return -ENXIO;
	}
}

// The vCPU a register-group attribute names: the distributor's accesses go through the
// first vCPU, the others name one by affinity. nullptr: -EINVAL.
VgicCpu *attr_cpu(Vgic *vgic, const kvm_device_attr &attr)
{
	if (attr.group == KVM_DEV_ARM_VGIC_GRP_DIST_REGS)
		return load_acquire(&vgic->nr_cpus) ? vgic->cpus[0] : nullptr;
	return vgic_cpu_by_mpidr(vgic, affinity_to_mpidr(attr.attr >> ATTR_MPIDR_SHIFT));
}

int sysreg_access(VgicCpu *cpu, const kvm_device_attr &attr, bool write)
{
	u64 val;
	if (write) {
		if (!get_user_u64(attr.addr, &val).is_ok())
			return -EFAULT;
		return vgic_cpu_sysreg_set(cpu, attr.attr, val);
	}
	int r = vgic_cpu_sysreg_get(cpu, attr.attr, &val);
	if (!r && kvmx_host_copy_to_user(attr.addr, &val, sizeof(val)))
		r = -EFAULT;
	return r;
}

int level_info_access(VgicCpu *cpu, u64 attr, bool write, u32 *val)
{
	if (((attr & LEVEL_INFO_MASK) >> LEVEL_INFO_SHIFT) != LEVEL_INFO_LINE_LEVEL)
		return -EINVAL;
	u32 intid = attr & LEVEL_INTID_MASK;
	if (intid % 32)
		return -EINVAL;
	if (write)
		vgic_write_line_level(cpu, intid, *val);
	else
		*val = vgic_read_line_level(cpu, intid);
	return 0;
}

// GRP_DIST_REGS, GRP_REDIST_REGS, GRP_CPU_SYSREGS, GRP_LEVEL_INFO: upstream's
// vgic_v3_attr_regs_access. Every vCPU is kept out of KVM_RUN meanwhile.
int regs_access(Vgic *vgic, const kvm_device_attr &attr, bool write)
{
	VgicCpu *cpu = attr_cpu(vgic, attr);
	if (!cpu)
		return -EINVAL;
	bool uaccess = attr.group != KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS;
	u32 offset = static_cast<u32>(attr.attr & ATTR_OFFSET_MASK);
	u32 val = 0;
	if (uaccess && write && kvmx_host_copy_from_user(&val, attr.addr, sizeof(val)))
		return -EFAULT;
	if (!lock_all(vgic))
		return -EBUSY;
	int r;
	{
		MutexGuard g(vgic->config_lock);
		if (!vgic->initialized) {
			r = -EBUSY;
		} else {
			switch (attr.group) {
			case KVM_DEV_ARM_VGIC_GRP_DIST_REGS:
				r = vgic_dist_uaccess(cpu, write, offset, &val);
				break;
			case KVM_DEV_ARM_VGIC_GRP_REDIST_REGS:
				r = vgic_redist_uaccess(cpu, write, offset, &val);
				break;
			case KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS:
				r = sysreg_access(cpu, attr, write);
				break;
			default:
				r = level_info_access(cpu, attr.attr, write, &val);
			}
		}
	}
	unlock_all(vgic);
	if (!r && uaccess && !write && kvmx_host_copy_to_user(attr.addr, &val, sizeof(val)))
		r = -EFAULT;
	return r;
}

bool is_regs_group(u32 group)
{
	return group == KVM_DEV_ARM_VGIC_GRP_DIST_REGS ||
	       group == KVM_DEV_ARM_VGIC_GRP_REDIST_REGS ||
	       group == KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS ||
	       group == KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO;
}

} // namespace

int vgic_set_attr(Vgic *vgic, const kvm_device_attr &attr)
{
	if (is_regs_group(attr.group))
		return regs_access(vgic, attr, true);
	switch (attr.group) {
	case KVM_DEV_ARM_VGIC_GRP_ADDR:
		return addr_attr(vgic, attr, true);
	case KVM_DEV_ARM_VGIC_GRP_NR_IRQS:
		return nr_irqs_set(vgic, attr.addr);
	case KVM_DEV_ARM_VGIC_GRP_CTRL:
		return ctrl_set(vgic, attr.attr);
	default:
		return -ENXIO;
	}
}

int vgic_get_attr(Vgic *vgic, const kvm_device_attr &attr)
{
	if (is_regs_group(attr.group))
		return regs_access(vgic, attr, false);
	switch (attr.group) {
	case KVM_DEV_ARM_VGIC_GRP_ADDR:
		return addr_attr(vgic, attr, false);
	case KVM_DEV_ARM_VGIC_GRP_NR_IRQS: {
		// 32 until NR_IRQS or INIT sizes the SPIs.
		u32 nr = load_acquire(&vgic->nr_spis) + vgic_nr_private;
		return kvmx_host_copy_to_user(attr.addr, &nr, sizeof(nr)) ? -EFAULT : 0;
	}
	default: // GRP_CTRL attributes cannot be read
		return -ENXIO;
	}
}

int vgic_has_attr(Vgic *vgic, const kvm_device_attr &attr)
{
	switch (attr.group) {
	case KVM_DEV_ARM_VGIC_GRP_ADDR:
		switch (attr.attr) {
		case KVM_VGIC_V3_ADDR_TYPE_DIST:
		case KVM_VGIC_V3_ADDR_TYPE_REDIST:
		case KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION:
			return 0;
		default:
			return -ENXIO;
		}
	case KVM_DEV_ARM_VGIC_GRP_DIST_REGS:
	case KVM_DEV_ARM_VGIC_GRP_REDIST_REGS:
	case KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS: {
		VgicCpu *cpu = attr_cpu(vgic, attr);
		if (!cpu)
			return -EINVAL;
		u32 offset = static_cast<u32>(attr.attr & ATTR_OFFSET_MASK);
		bool ok = attr.group == KVM_DEV_ARM_VGIC_GRP_DIST_REGS
				  ? vgic_dist_has_reg(vgic, offset)
			  : attr.group == KVM_DEV_ARM_VGIC_GRP_REDIST_REGS
				  ? vgic_redist_has_reg(vgic, offset)
				  : vgic_cpu_sysreg_exists(attr.attr);
		return ok ? 0 : -ENXIO;
	}
	case KVM_DEV_ARM_VGIC_GRP_NR_IRQS:
		return 0;
	case KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO:
		return ((attr.attr & LEVEL_INFO_MASK) >> LEVEL_INFO_SHIFT) == LEVEL_INFO_LINE_LEVEL
			       ? 0
			       : -ENXIO;
	case KVM_DEV_ARM_VGIC_GRP_CTRL:
		return attr.attr == KVM_DEV_ARM_VGIC_CTRL_INIT ||
				       attr.attr == KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES
			       ? 0
			       : -ENXIO;
	default:
		return -ENXIO;
	}
}

} // namespace kvmx
