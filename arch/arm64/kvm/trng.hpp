// SPDX-License-Identifier: GPL-2.0
// SMCCC TRNG (Arm DEN0098) for arm64 guests.
#pragma once

#include "base.hpp"

namespace kvmx {

// Handle @fid if it is a TRNG call (results in x0-x3); false if it is not one.
bool trng_call(Vcpu *vcpu, u32 fid);

} // namespace kvmx
