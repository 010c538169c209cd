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
// ID_AA64DFR0_EL1.PMUVer [11:8]; 0xf: an IMPLEMENTATION DEFINED PMU.
constexpr u32 DFR0_PMUVER_SHIFT = 8;
constexpr u64 PMUVER_IMPDEF = 0xf;

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
// CCSIDR_EL1 for @csselr (CSSELR_EL1's Level and InD), as a 64-bit guest reads it (its
// cache registers always trap): the value the VMM set (KVM_REG_ARM_DEMUX_ID_CCSIDR),
// else a cache of one set and one way with the smallest line CTR_EL0 names, as upstream.
u64 ccsidr_read(const Vcpu *vcpu, u64 csselr);
// ONE_REG of CCSIDR @csselr (< ccsidr_count): a write is taken when no RES0 bit is set and
// the line is no smaller than CTR_EL0's for that cache (upstream's rule; a 32-bit VM's,
// whose guest reads the hardware's, takes only the value it reads).
constexpr u32 ccsidr_count = 14;
u32 ccsidr_get(const Vcpu *vcpu, u32 csselr);
Status ccsidr_set(Vcpu *vcpu, u32 csselr, u32 val);

// HCR_EL2 bits the VM's ID registers ask for: TTLBOS when ID_AA64ISAR0_EL1.TLB says no
// outer-shareable TLB maintenance (the instructions then trap and are undefined); for a
// 64-bit VM, TID4 (CCSIDR, CLIDR, CSSELR trap) where the host has FEAT_EVT and the VM
// keeps the host's CTR_EL0, TID2 (CTR_EL0 too) otherwise, as upstream.
u64 id_regs_hcr(const Vcpu *vcpu);

// What the host's ID registers say of branch-predictor attacks: CSV2 (not affected by
// Spectre v2), CSV2 3 or ECBHB (not affected by Spectre-BHB). firmware.cpp's SMCCC
// workaround levels.
bool host_not_affected_by_spectre_v2();
bool host_not_affected_by_spectre_bhb();

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
