// SPDX-License-Identifier: GPL-2.0
// The VM-wide feature ID registers (op0 3, op1 0, CRn 0, CRm 1-7) and CTR_EL0, a vCPU's
// CLIDR_EL1: what kvmx offers, what a VMM may narrow, KVM_ARM_GET_REG_WRITABLE_MASKS.
#pragma once

#include "base.hpp"

namespace kvmx {

// Feature ID register index: (CRm - 1) * 8 + op2.
constexpr u32 id_index(u32 crm, u32 op2)
{
	return (crm - 1) * 8 + op2;
}
constexpr u32 ID_AA64PFR0 = id_index(4, 0), ID_AA64PFR1 = id_index(4, 1);
constexpr u32 ID_AA64ZFR0 = id_index(4, 4), ID_AA64DFR0 = id_index(5, 0);
constexpr u32 ID_AA64ISAR0 = id_index(6, 0), ID_AA64ISAR1 = id_index(6, 1);
constexpr u32 ID_AA64ISAR2 = id_index(6, 2), ID_AA64MMFR0 = id_index(7, 0);
constexpr u32 ID_AA64MMFR1 = id_index(7, 1), ID_AA64MMFR2 = id_index(7, 2);

// The VM's ID registers from the host's, once: at the first KVM_ARM_VCPU_INIT (whose
// @el1_aarch32 is the VM's). Later inits and resets keep them, so a VMM's narrowing
// survives a vCPU reset, as upstream.
void id_regs_vm_init(Vm *vm, bool el1_aarch32);

// ID register @index as the VMM and the guest read it.
u64 id_reg_read(const Vm *vm, u32 index);

// KVM_SET_ONE_REG of ID register @index: 0; -EINVAL if @val offers more than kvmx does or
// changes a bit no writable field holds; -EBUSY if it changes the value once a vCPU of
// the VM has run.
Status id_reg_write(Vm *vm, u32 index, u64 val);

// The bits of ID register @index a VMM may change (its writable fields).
u64 id_reg_writable_mask(u32 index);

// KVM_ARM_GET_REG_WRITABLE_MASKS (the VM ioctl): @arg is a struct reg_mask_range.
long id_regs_get_writable_masks(unsigned long arg);

// CTR_EL0: the VM's (the host's until the VMM narrows DIC, IDC, DminLine or IminLine
// before the first run; EINVAL beyond, EBUSY after the run; a 32-bit VM's is fixed).
u64 ctr_read(const Vm *vm);
Status ctr_write(Vm *vm, u64 val);
// CLIDR_EL1 of a vCPU (ArchVcpu::clidr, the host's at its first init): any value without
// RES0 bits that does not tell the guest it may skip a data cache clean the hardware
// needs (EINVAL), as upstream; a 32-bit VM's is fixed.
Status clidr_write(Vcpu *vcpu, u64 val);
// CCSIDR_EL1 for @csselr, as a guest whose cache registers trap (HCR_EL2.TID2) reads it.
u64 ccsidr_read(const Vcpu *vcpu, u64 csselr);

// HCR_EL2 bits the VM's ID registers ask for: TTLBOS when ID_AA64ISAR0_EL1.TLB says no
// outer-shareable TLB maintenance (the instructions then trap and are undefined); TID2
// when the VMM changed CTR_EL0 or the vCPU's CLIDR_EL1 (the cache registers then trap).
u64 id_regs_hcr(const Vcpu *vcpu);

// ID_AA64MMFR1_EL1.LO: the guest has LORegions (their registers read as zero); without,
// they are undefined, as upstream.
bool id_regs_have_lor(const Vm *vm);

// The VMM narrowed ID_AA64PFR0_EL1.GIC to 0: the VM may not get a vGIC (called under the
// VM lock).
bool id_regs_gic_hidden(const Vm *vm);

// ID_AA64PFR0_EL1.GIC: 1 on a host that can give VMs a GICv3 while this VM may still
// create one or has one (sysregs.cpp's comment on the GIC field).
bool gic_advertised(const Vm *vm);

} // namespace kvmx
