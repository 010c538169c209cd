// SPDX-License-Identifier: GPL-2.0
// POWER9 architecture facts kvmx uses (Power ISA 3.0B): SPR numbers, MSR/LPCR/HFSCR/PSSCR
// bits, interrupt vectors and SRR1 fields, and the instructions that read and write SPRs.
// Bit masks use the CPU's numbering of a 64-bit value (bit 0 = least significant).
#pragma once

#include "base.hpp"

namespace kvmx::ppc {

// Special purpose registers.
enum Spr : u32 {
	SPR_XER = 1,
	SPR_LR = 8,
	SPR_CTR = 9,
	SPR_DSCR = 17,
	SPR_DSISR = 18,
	SPR_DAR = 19,
	SPR_DEC = 22,
	SPR_SRR0 = 26,
	SPR_SRR1 = 27,
	SPR_CFAR = 28,
	SPR_AMR = 29,
	SPR_PID = 48,
	SPR_IAMR = 61,
	SPR_CTRLF = 136,
	SPR_TIDR = 144,
	SPR_CTRLT = 152,
	SPR_FSCR = 153,
	SPR_UAMOR = 157,
	SPR_PSPB = 159,
	SPR_DPDES = 176,
	SPR_DAWR0 = 180,
	SPR_CIABR = 187,
	SPR_DAWRX0 = 188,
	SPR_HFSCR = 190,
	SPR_VRSAVE = 256,
	SPR_SPRG3_USER = 259,
	SPR_TBRL = 268,
	SPR_SPRG0 = 272,
	SPR_SPRG1 = 273,
	SPR_SPRG2 = 274,
	SPR_SPRG3 = 275,
	SPR_TBU40 = 286, // hypervisor: writes the upper 40 bits of the timebase
	SPR_PVR = 287,
	SPR_HDSISR = 306,
	SPR_HDAR = 307,
	SPR_SPURR = 308,
	SPR_PURR = 309,
	SPR_HDEC = 310,
	SPR_HSRR0 = 314,
	SPR_HSRR1 = 315,
	SPR_LPCR = 318,
	SPR_LPIDR = 319,
	SPR_HEIR = 339,
	SPR_IC = 848,
	SPR_VTB = 849,
	SPR_TAR = 815,
	SPR_ASDR = 816,
	SPR_PSSCR_PR = 823,
	SPR_PSSCR = 855,
	SPR_PPR = 896,
};

template <u32 N> inline u64 mfspr()
{
	u64 v;
	asm volatile("mfspr %0, %1" : "=r"(v) : "i"(N));
	return v;
}

template <u32 N> inline void mtspr(u64 v)
{
	asm volatile("mtspr %0, %1" : : "i"(N), "r"(v) : "memory");
}

inline u64 mftb()
{
	u64 v;
	asm volatile("mfspr %0, 268" : "=r"(v));
	return v;
}

inline void isync()
{
	asm volatile("isync" : : : "memory");
}

inline void hwsync()
{
	asm volatile("sync" : : : "memory");
}

constexpr u64 bit(u32 n)
{
	return 1ULL << n;
}

// MSR.
constexpr u64 MSR_SF = bit(63), MSR_HV = bit(60), MSR_TS = 3ULL << 33, MSR_TM = bit(32),
	      MSR_VEC = bit(25), MSR_VSX = bit(23), MSR_EE = bit(15), MSR_PR = bit(14),
	      MSR_FP = bit(13), MSR_ME = bit(12), MSR_FE0 = bit(11), MSR_SE = bit(10),
	      MSR_BE = bit(9), MSR_FE1 = bit(8), MSR_IR = bit(5), MSR_DR = bit(4), MSR_PMM = bit(2),
	      MSR_RI = bit(1), MSR_LE = bit(0);
// SRR1 keeps the MSR minus the bits that interrupts report their causes in.
constexpr u64 SRR1_MSR_BITS = ~0x783f0000ULL;
// SRR1 causes: program interrupt, ISI.
constexpr u64 SRR1_PROGILL = 0x00080000, SRR1_PROGPRIV = 0x00040000;
constexpr u64 SRR1_ISI_NOPT = 0x40000000;

// LPCR.
constexpr u64 LPCR_DPFD_SHIFT = 52, LPCR_ILE = bit(25), LPCR_AIL = 3ULL << 23, LPCR_UPRT = bit(22),
	      LPCR_HR = bit(20), LPCR_LD = bit(17), LPCR_PECE = 0x1f000, LPCR_MER = bit(11),
	      LPCR_GTSE = bit(10), LPCR_TC = bit(9), LPCR_HEIC = bit(4), LPCR_LPES = 0xc,
	      LPCR_HVICE = bit(1), LPCR_HDICE = bit(0);
// LPCR fields a VMM may set per vCPU (KVM_REG_PPC_LPCR(_64)): upstream's kvm-hv set minus
// TC (hash guests only). AIL is kept only as 3, and only where KVM_CAP_PPC_AIL_MODE_3
// reads 1 (one_reg.cpp).
constexpr u64 LPCR_AIL_3 = 3ULL << 23;
// Where LPCR[AIL] = 3 moves an interrupt taken with translation on: this plus its vector.
constexpr u64 AIL3_VECTOR_BASE = 0xc000000000004000ULL;
constexpr u64 LPCR_VCPU_MASK = 7ULL << LPCR_DPFD_SHIFT | LPCR_ILE | LPCR_AIL | LPCR_LD;

// HFSCR/FSCR facility bits, and the interrupt cause in the top byte.
constexpr u64 HFSCR_FP = bit(0), HFSCR_VECVSX = bit(1), HFSCR_DSCR = bit(2), HFSCR_PM = bit(3),
	      HFSCR_BHRB = bit(4), HFSCR_TM = bit(5), HFSCR_EBB = bit(7), HFSCR_TAR = bit(8),
	      HFSCR_MSGP = bit(10);
constexpr u32 HFSCR_IC_SHIFT = 56;
constexpr u64 FSCR_IC_MSGP = 10;

// PSSCR (stop parameters).
constexpr u64 PSSCR_EC = bit(20), PSSCR_ESL = bit(21);

// Interrupt vectors (trap numbers the exit path reports).
enum Trap : int {
	TRAP_SYSTEM_RESET = 0x100,
	TRAP_MACHINE_CHECK = 0x200,
	TRAP_DATA_STORAGE = 0x300,
	TRAP_INST_STORAGE = 0x400,
	TRAP_EXTERNAL = 0x500,
	TRAP_PROGRAM = 0x700,
	TRAP_DECREMENTER = 0x900,
	TRAP_HV_DECREMENTER = 0x980,
	TRAP_DOORBELL = 0xa00,
	TRAP_SYSCALL = 0xc00,
	TRAP_H_DATA_STORAGE = 0xe00,
	TRAP_H_INST_STORAGE = 0xe20,
	TRAP_H_EMUL_ASSIST = 0xe40,
	TRAP_HMI = 0xe60,
	TRAP_H_DOORBELL = 0xe80,
	TRAP_H_VIRT = 0xea0,
	TRAP_H_FAC_UNAVAIL = 0xf80,
};

// Stop (XL-form: primary opcode 19, extended opcode 370) and msgsndp (31/142).
constexpr u32 INSN_STOP = 0x4c0002e4;

} // namespace kvmx::ppc
