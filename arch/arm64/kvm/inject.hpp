// SPDX-License-Identifier: GPL-2.0
// Exceptions kvmx raises in an arm64 guest on its behalf.
#pragma once

#include "base.hpp"

namespace kvmx {

// Undefined instruction at the guest's PC (ESR_ELx.EC 0x00).
void inject_undef(Vcpu *vcpu);
// Synchronous external abort on a data access / instruction fetch at @va.
void inject_dabt(Vcpu *vcpu, u64 va);
void inject_pabt(Vcpu *vcpu, u64 va);
// Any synchronous exception into an AArch64 EL1, with its ESR_EL1 value (and FAR_EL1 if
// @set_far).
void inject_sync(Vcpu *vcpu, u64 esr, bool set_far, u64 far);
// Step the guest's PC over the instruction that trapped (4 bytes; AArch32: the length
// ESR_EL2.IL of the latest exit gives, and the IT block advances).
void skip_instruction(Vcpu *vcpu);

} // namespace kvmx
