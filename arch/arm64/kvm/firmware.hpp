// SPDX-License-Identifier: GPL-2.0
// The guest's firmware interface (SMCCC over HVC/SMC) and its pseudo-registers.
#pragma once

#include "arch.hpp"
#include "base.hpp"

namespace kvmx {

// Firmware pseudo-registers (KVM_REG_ARM_FW, KVM_REG_ARM_FW_FEAT_BMAP): reset with the
// vCPU, read and written through ONE_REG, listed by KVM_GET_REG_LIST.
void firmware_vm_init(Vm *vm);
void firmware_vcpu_reset(Vcpu *vcpu);
Status firmware_reg_get(Vcpu *vcpu, u64 id, u64 *val);
Status firmware_reg_set(Vcpu *vcpu, u64 id, u64 val);
u32 firmware_reg_list(u64 *out);

// SMCCC return values (Arm DEN0028), as the 64-bit x0 a guest reads: SUCCESS 0,
// NOT_SUPPORTED -1, NOT_REQUIRED -2. (PSCI and TRNG define their own.)
constexpr u64 SMCCC_RET_SUCCESS = 0, SMCCC_RET_NOT_SUPPORTED = ~0ULL,
	      SMCCC_RET_NOT_REQUIRED = ~1ULL;

// SMCCC ARCH_WORKAROUND function ids (SMCCC 1.1+, Arm DEN0028).
constexpr u32 SMCCC_ARCH_WORKAROUND_1 = 0x80008000, SMCCC_ARCH_WORKAROUND_2 = 0x80007fff;
constexpr u32 SMCCC_ARCH_WORKAROUND_3 = 0x80003fff;
// SMCCC_ARCH_FEATURES of ARCH_WORKAROUND @fid, from the level the vCPU's register holds:
// NOT_REQUIRED answers 1 (WORKAROUND_1 and _3: this CPU is not affected) or -2
// (WORKAROUND_2: not required), anything else NOT_SUPPORTED (-1): kvmx implements none
// of the calls.
u64 smccc_workaround_features(const Vcpu *vcpu, u32 fid);

// An SMCCC call from the guest (HVC or trapped SMC, PC already past it; @esr the exit's
// syndrome): the result lands in x0-x3, or the call becomes an exit to userspace (the
// SMCCC filter's FWD_TO_USER, or a PSCI system event).
Result<RunStep> smccc_call(Vcpu *vcpu, u64 esr);
// SMCCC 2.5: a 64-bit (SMC64/HVC64) function id does not exist for a caller in AArch32
// state; calls and feature queries of one answer NOT_SUPPORTED.
bool smccc_fid_callable(const Vcpu *vcpu, u32 fid);

} // namespace kvmx
