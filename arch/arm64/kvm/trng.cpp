// SPDX-License-Identifier: GPL-2.0
// The SMCCC True Random Number Generator interface (Arm DEN0098) for arm64 guests,
// backed by the host's CSPRNG. Offered when the VMM leaves KVM_REG_ARM_STD_BIT_TRNG_V1_0
// set in KVM_REG_ARM_STD_BMAP.
#include "trng.hpp"
#include "firmware.hpp"
#include "vcpu.hpp"
#include "vm.hpp"
#include <linux/kvm.h>

namespace kvmx {

namespace {

constexpr u32 TRNG_VERSION = 0x84000050, TRNG_FEATURES = 0x84000051;
constexpr u32 TRNG_GET_UUID = 0x84000052, TRNG_RND32 = 0x84000053, TRNG_RND64 = 0xc4000053;
constexpr u64 TRNG_VERSION_1_0 = 0x10000;
constexpr u64 TRNG_SUCCESS = 0, TRNG_NOT_SUPPORTED = ~0ULL, TRNG_INVALID_PARAMETERS = ~1ULL;

// This implementation's UUID (DEN0098 2.3): 6f1c3e5a-9d2b-4a47-8e61-0b7c2f94d3a8,
// in the register order the specification gives (w0 = bytes 0-3, little-endian).
constexpr u64 trng_uuid[4] = { 0x5a3e1c6f, 0x474a2b9d, 0x7c0b618e, 0xa8d3942f };

bool trng_enabled(const Vcpu *vcpu)
{
	return vcpu->vm->arch.fw_bmap[0] & (1ULL << KVM_REG_ARM_STD_BIT_TRNG_V1_0);
}

// RND32/RND64: @bits random bits (1..96 or 1..192), right-aligned in x1..x3.
void random_bits(u64 *x, u64 bits, bool wide)
{
	u64 max = wide ? 192 : 96;
	if (bits == 0 || bits > max) {
		x[0] = TRNG_INVALID_PARAMETERS;
		x[1] = x[2] = x[3] = 0;
		return;
	}
	u64 r[3];
	kvmx_host_random_bytes(r, sizeof(r));
	u32 width = wide ? 64 : 32;
	u64 word_mask = wide ? ~0ULL : 0xffffffffULL;
	// x3 holds the least significant word, x1 the most significant.
	for (u32 i = 0; i < 3; i++) {
		u64 lo = static_cast<u64>(i) * width; // first bit of this word
		u64 v = r[i] & word_mask;
		if (bits <= lo)
			v = 0;
		else if (bits - lo < width)
			v &= (1ULL << (bits - lo)) - 1;
		x[3 - i] = v;
	}
	for (u64 &w : r)
		w = 0;
	x[0] = TRNG_SUCCESS;
}

} // namespace

bool trng_call(Vcpu *vcpu, u32 fid)
{
	u64 *x = vcpu->arch.cpu.frame.x;
	switch (fid) {
	case TRNG_VERSION:
	case TRNG_FEATURES:
	case TRNG_GET_UUID:
	case TRNG_RND32:
	case TRNG_RND64:
		break;
	default:
		return false;
	}
	if (!trng_enabled(vcpu)) {
		x[0] = TRNG_NOT_SUPPORTED;
		return true;
	}
	switch (fid) {
	case TRNG_VERSION:
		x[0] = TRNG_VERSION_1_0;
		break;
	case TRNG_FEATURES: {
		u32 f = static_cast<u32>(x[1]);
		bool known = f == TRNG_VERSION || f == TRNG_FEATURES || f == TRNG_GET_UUID ||
			     f == TRNG_RND32 || (f == TRNG_RND64 && smccc_fid_callable(vcpu, f));
		x[0] = known ? TRNG_SUCCESS : TRNG_NOT_SUPPORTED;
		break;
	}
	case TRNG_GET_UUID:
		for (u32 i = 0; i < 4; i++)
			x[i] = trng_uuid[i];
		break;
	case TRNG_RND32:
		random_bits(x, static_cast<u32>(x[1]), false);
		break;
	default:
		random_bits(x, x[1], true);
		break;
	}
	return true;
}

} // namespace kvmx
