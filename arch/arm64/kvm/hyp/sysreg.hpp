// SPDX-License-Identifier: GPL-2.0
// System register access for the EL2 code in hyp/: inline mrs/msr by architectural name.
// Only hyp/ includes this; everything outside hyp/ builds for the host unit tests too.
#pragma once

#include "base.hpp"

// Registers the assembler may not know by name under the compiler's -march: generic
// S<op0>_<op1>_C<n>_C<m>_<op2> encodings (ARM ARM D13.3, the _EL12/_EL02 aliases).
#define SCTLR_EL12 S3_5_C1_C0_0
#define CPACR_EL12 S3_5_C1_C0_2
#define TTBR0_EL12 S3_5_C2_C0_0
#define TTBR1_EL12 S3_5_C2_C0_1
#define TCR_EL12 S3_5_C2_C0_2
#define SPSR_EL12 S3_5_C4_C0_0
#define ELR_EL12 S3_5_C4_C0_1
#define AFSR0_EL12 S3_5_C5_C1_0
#define AFSR1_EL12 S3_5_C5_C1_1
#define ESR_EL12 S3_5_C5_C2_0
#define FAR_EL12 S3_5_C6_C0_0
#define MAIR_EL12 S3_5_C10_C2_0
#define AMAIR_EL12 S3_5_C10_C3_0
#define VBAR_EL12 S3_5_C12_C0_0
#define CONTEXTIDR_EL12 S3_5_C13_C0_1
#define CNTKCTL_EL12 S3_5_C14_C1_0
#define CNTV_CTL_EL02 S3_5_C14_C3_1
#define CNTV_CVAL_EL02 S3_5_C14_C3_2
#define CNTP_CTL_EL02 S3_5_C14_C2_1
#define CNTP_CVAL_EL02 S3_5_C14_C2_2
// GICv3 CPU interface, hypervisor view (GICv3 architecture specification, 12.4-12.5).
#define ICC_SRE_EL2 S3_4_C12_C9_5
#define ICH_HCR_EL2 S3_4_C12_C11_0
#define ICH_VTR_EL2 S3_4_C12_C11_1
#define ICH_VMCR_EL2 S3_4_C12_C11_7

#define kvmx_sysreg_str(reg) #reg
#define kvmx_read_sysreg_s(reg)                                                                    \
	({                                                                                         \
		kvmx::u64 __val;                                                                   \
		asm volatile("mrs %0, " kvmx_sysreg_str(reg) : "=r"(__val)::"memory");             \
		__val;                                                                             \
	})
#define kvmx_write_sysreg_s(val, reg)                                                              \
	asm volatile("msr " kvmx_sysreg_str(reg) ", %0" ::"r"(static_cast<kvmx::u64>(val))         \
		     : "memory")
// One level of indirection so that the encoding macros above expand first.
#define kvmx_read_sysreg(reg) kvmx_read_sysreg_s(reg)
#define kvmx_write_sysreg(val, reg) kvmx_write_sysreg_s(val, reg)

namespace kvmx {

inline void isb()
{
	asm volatile("isb" ::: "memory");
}

inline void dsb_ish()
{
	asm volatile("dsb ish" ::: "memory");
}

} // namespace kvmx
