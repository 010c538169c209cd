// SPDX-License-Identifier: GPL-2.0
// AArch32 guests: a vCPU whose EL1 is AArch32 (KVM_ARM_VCPU_EL1_32BIT), and AArch32 EL0
// code under either kind of EL1. What differs from AArch64 when an exit comes from
// AArch32 state: banked registers, conditional and 16-bit (T32) instructions, the CP15,
// CP14 and VMRS trap classes, and exception entry into the AArch32 EL1 modes.
#pragma once

#include "base.hpp"
#include "hyp/switch.hpp"
#include <asm/ptrace.h>

namespace kvmx {

// SPSR_EL2 of an exit from AArch32 state (ARM ARM C5.2.19): M[4:0], T, F, I, A, E, IT,
// GE, IL, SS, PAN, SSBS, DIT, Q and the flags.
constexpr u64 PSR32_MODE_MASK = 0x1f;
constexpr u64 PSR32_MODE_USR = 0x10, PSR32_MODE_FIQ = 0x11, PSR32_MODE_IRQ = 0x12;
constexpr u64 PSR32_MODE_SVC = 0x13, PSR32_MODE_ABT = 0x17, PSR32_MODE_UND = 0x1b;
constexpr u64 PSR32_MODE_SYS = 0x1f;
constexpr u64 PSR32_T = 1ULL << 5, PSR32_F = 1ULL << 6, PSR32_I = 1ULL << 7;
constexpr u64 PSR32_A = 1ULL << 8, PSR32_E = 1ULL << 9;
constexpr u64 PSR32_IT_LOW = 3ULL << 25, PSR32_IT_HIGH = 0x3fULL << 10;
constexpr u64 PSR32_GE = 0xfULL << 16, PSR32_SS = 1ULL << 21, PSR32_PAN = 1ULL << 22;
constexpr u64 PSR32_SSBS = 1ULL << 23, PSR32_DIT = 1ULL << 24, PSR32_Q = 1ULL << 27;
constexpr u64 PSR32_NZCV = 0xfULL << 28;
// In an AArch32 SPSR_<mode> (the guest's own view, G8.2.168) DIT sits at bit 21.
constexpr u64 SPSR32_DIT = 1ULL << 21;

// Reset PSTATE: EL1h with D, A, I, F masked; for a 32-bit EL1, SVC mode with A, I and F
// masked (as upstream).
constexpr u64 pstate_reset_aarch64 = 0x3c5;
constexpr u64 pstate_reset_aarch32 = PSR_MODE32_BIT | PSR32_MODE_SVC | PSR32_A | PSR32_I | PSR32_F;

inline u64 arm64_reset_pstate(const GuestCpu &c)
{
	return c.el1_aarch32 ? pstate_reset_aarch32 : pstate_reset_aarch64;
}

// Whether every host CPU can run EL1 in AArch32 (ID_AA64PFR0_EL1.EL1 == 0b0010).
bool arm64_host_has_aarch32_el1();
// Whether every host CPU can run EL0 in AArch32 (ID_AA64PFR0_EL1.EL0 == 0b0010): a 64-bit
// VM is then offered AArch32 EL0 (its EL1 may ERET to it whatever kvmx says: HCR_EL2.RW
// only decides EL1's width), as upstream.
bool arm64_host_has_aarch32_el0();

inline bool in_aarch32(const GuestCpu &c)
{
	return c.pstate & PSR_MODE32_BIT;
}

// The X register that holds AArch32 register @r (0-14) in @pstate's mode (D1.20.1: the
// banked SP/LR of IRQ, SVC, ABT, UND and R8-R14 of FIQ), or -1 for R15 and for a mode
// without a mapping.
int aarch32_reg_index(u64 pstate, u32 r);

// Whether a trapped conditional instruction (EC 0x00-0x0f) passes its condition: the
// ESR's COND when CV is set, else the IT block's, else "always".
bool aarch32_condition_passes(u64 pstate, u64 esr);

// Step @c's PC over the AArch32 instruction that trapped (2 or 4 bytes by ESR_EL2.IL)
// and advance the IT block state of a T32 instruction.
void aarch32_skip_instruction(GuestCpu &c, u64 esr);

// Exceptions into a 32-bit EL1 (G1.12): Undefined Instruction, and Prefetch / Data Abort
// with a synchronous external abort (or a debug event) fault status.
void aarch32_inject_undef(Vcpu *vcpu);
void aarch32_inject_abort(Vcpu *vcpu, bool data, u64 va, bool debug_event);

// PSCI entry (CPU_ON, SYSTEM_SUSPEND, reset) of a 32-bit vCPU: bit 0 of @entry selects
// T32, @big_endian sets CPSR.E.
void aarch32_set_entry(GuestCpu &c, u64 entry, bool big_endian);
// The caller's data endianness as PSCI passes it on (CPSR.E).
inline bool aarch32_big_endian(const GuestCpu &c)
{
	return c.pstate & PSR32_E;
}

// Trapped coprocessor accesses: MCR/MRC to CP15 (EC 0x03), MCRR/MRRC to CP15 (0x04),
// VMRS of the feature registers (0x08). false: the guest gets an UNDEF.
bool aarch32_cp15_trap(Vcpu *vcpu, u64 esr);
bool aarch32_cp15_64_trap(Vcpu *vcpu, u64 esr);
bool aarch32_vmrs_trap(Vcpu *vcpu, u64 esr);

} // namespace kvmx
