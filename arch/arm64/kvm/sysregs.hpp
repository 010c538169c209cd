// SPDX-License-Identifier: GPL-2.0
// arm64 system registers as userspace (ONE_REG) and trapping guests see them.
#pragma once

#include "base.hpp"

namespace kvmx {

// op0:op1:CRn:CRm:op2 packed as in KVM_REG_ARM64_SYSREG ids (ARM64_SYS_REG's low 16 bits).
constexpr u32 sysreg_enc(u32 op0, u32 op1, u32 crn, u32 crm, u32 op2)
{
	return op0 << 14 | op1 << 11 | crn << 7 | crm << 3 | op2;
}

// Reset the vCPU's system registers (KVM_ARM_VCPU_INIT). ID registers come from the
// host's sanitised values with the features kvmx does not virtualise hidden.
void sysregs_reset(Vcpu *vcpu);

// ONE_REG for KVM_REG_ARM64_SYSREG ids (timer registers included). -ENOENT for ids
// kvmx does not expose; -EINVAL for a value an invariant or ID register cannot take.
Status sysreg_get(Vcpu *vcpu, u32 enc, u64 *val);
Status sysreg_set(Vcpu *vcpu, u32 enc, u64 val);
// The exposed ids (full 64-bit ONE_REG ids) into @out[0, return) (@out may be null).
u32 sysreg_list(u64 *out);

// OSLSR_EL1.OSLK: the guest's OS lock, which blocks its debug exceptions.
constexpr u64 oslsr_oslk = 1ULL << 1;

// What a handler of some registers (the physical timer's, the vGIC's ICC_* ones) answers
// for a trapped access: not_mine (any other register), done, or undef.
enum class SysregClaim { not_mine, done, undef };

// A trapped MRS/MSR (ESR_EL2.EC 0x18): emulate it; false if the guest should get UNDEF.
bool sysreg_trap(Vcpu *vcpu, u64 esr);
// The same for a guest access to the register @enc from any encoding (AArch32 CP15
// accesses map onto their AArch64 registers): reads fill @val, writes take it.
bool sysreg_emulate(Vcpu *vcpu, u32 enc, bool read, u64 *val);

} // namespace kvmx
