// SPDX-License-Identifier: GPL-2.0
// Within vgic/ only: the register-region tables the distributor and redistributor frames
// are described by (mmio_v3.cpp) and the generic per-interrupt handlers they use
// (mmio.cpp). A handler runs with the vGIC lock held; @cpu is the accessing vCPU for the
// distributor and the redistributor's own vCPU for a GICR frame.
#pragma once

#include "vgic.hpp"

namespace kvmx {

constexpr u8 vgic_acc8 = 1, vgic_acc32 = 4, vgic_acc64 = 8; // access widths allowed

using VgicRead = u64 (*)(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len);
using VgicWrite = void (*)(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val);
using VgicUWrite = int (*)(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val);

struct VgicRegion {
	u32 offset, len;
	u8 bits_per_irq; // per-interrupt register: accesses beyond the last INTID are RAZ/WI
	u8 access;	 // vgic_acc* widths allowed
	VgicRead read;
	VgicWrite write;
	VgicRead uread;	   // userspace's read, if it differs
	VgicUWrite uwrite; // userspace's write, if it differs
};

struct VgicRegionTable {
	const VgicRegion *regions;
	u32 nr;
};

const VgicRegionTable &vgic_dist_regions();
const VgicRegionTable &vgic_redist_regions();

// The region an access of @len bytes at @offset may use, or nullptr (RAZ/WI).
const VgicRegion *vgic_find_region(const Vgic *vgic, const VgicRegionTable &t, u64 offset, u32 len);
u64 vgic_region_read(const VgicRegionTable &t, VgicCpu *cpu, u64 offset, u32 len);
void vgic_region_write(const VgicRegionTable &t, VgicCpu *cpu, u64 offset, u32 len, u64 val);
int vgic_region_uaccess(const VgicRegionTable &t, VgicCpu *cpu, bool is_write, u32 offset,
			u32 *val);

// The bytes of a 64-bit register an access of @len bytes at @offset reads.
inline u64 vgic_extract_bytes(u64 data, u64 offset, u32 len)
{
	data >>= (offset & 7) * 8;
	return len >= 8 ? data : data & ((1ULL << (len * 8)) - 1);
}
// A 64-bit register after a write of @len bytes at @offset (either half, or all of it).
u64 vgic_update_64bit_reg(u64 reg, u64 offset, u32 len, u64 val);

// Generic handlers.
u64 vgic_read_raz(const VgicLocked &, VgicCpu *, u64, u32);
u64 vgic_read_rao(const VgicLocked &, VgicCpu *, u64, u32);
void vgic_write_wi(const VgicLocked &, VgicCpu *, u64, u32, u64);
int vgic_uwrite_wi(const VgicLocked &, VgicCpu *, u64, u32, u64);
u64 vgic_read_group(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len);
void vgic_write_group(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val);
u64 vgic_read_enable(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len);
void vgic_write_senable(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val);
void vgic_write_cenable(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val);
int vgic_uwrite_senable(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val);
int vgic_uwrite_cenable(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val);
u64 vgic_read_pending(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len);
u64 vgic_uread_pending(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len);
void vgic_write_spending(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val);
void vgic_write_cpending(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val);
int vgic_uwrite_pending(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val);
u64 vgic_read_active(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len);
void vgic_write_sactive(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val);
void vgic_write_cactive(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val);
int vgic_uwrite_sactive(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val);
int vgic_uwrite_cactive(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val);
u64 vgic_read_priority(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len);
void vgic_write_priority(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val);
u64 vgic_read_config(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len);
void vgic_write_config(const VgicLocked &l, VgicCpu *cpu, u64 offset, u32 len, u64 val);

} // namespace kvmx
