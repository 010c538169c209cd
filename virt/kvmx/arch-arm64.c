// SPDX-License-Identifier: GPL-2.0
/*
 * arm64 host check: kvmx needs the kernel itself at EL2 with VHE (HCR_EL2.E2H set), as
 * Debian's kernel runs when the firmware enters it at EL2 and KVM is kept out with
 * kvm-arm.mode=none. Reads the system registers the core may not read itself.
 */
#include <linux/printk.h>
#include <asm/cpufeature.h>
#include <asm/neon.h>
#include <asm/kvm_arm.h>
#include <asm/sysreg.h>
#include <asm/virt.h>

#include "glue.h"

/* The feature-ID registers the kernel sanitises across CPUs, as (CRm, op2) of op0=3 op1=0 CRn=0. */
static const u8 kvmx_sanitised_id_regs[][2] = {
	{ 1, 0 }, { 1, 1 }, { 1, 2 }, { 1, 4 }, { 1, 5 }, { 1, 6 }, { 1, 7 }, { 2, 0 }, { 2, 1 },
	{ 2, 2 }, { 2, 3 }, { 2, 4 }, { 2, 5 }, { 2, 6 }, { 2, 7 }, { 3, 0 }, { 3, 1 }, { 3, 2 },
	{ 3, 4 }, { 3, 5 }, { 3, 6 }, { 4, 0 }, { 4, 1 }, { 4, 4 }, { 4, 5 }, { 5, 0 }, { 5, 1 },
	{ 6, 0 }, { 6, 1 }, { 6, 2 }, { 7, 0 }, { 7, 1 }, { 7, 2 },
};

static void kvmx_read_id_regs(struct kvmx_host_info *info)
{
	unsigned int i, crm, op2;
	u64 mmfr1;

	for (i = 0; i < ARRAY_SIZE(kvmx_sanitised_id_regs); i++) {
		crm = kvmx_sanitised_id_regs[i][0];
		op2 = kvmx_sanitised_id_regs[i][1];
		info->arm64_id_regs[(crm - 1) * 8 + op2] =
			read_sanitised_ftr_reg(sys_reg(3, 0, 0, crm, op2));
	}
	info->arm64_midr = read_cpuid_id();
	info->arm64_revidr = read_sysreg(revidr_el1);
	info->arm64_ctr = read_sanitised_ftr_reg(SYS_CTR_EL0);
	info->arm64_clidr = read_sysreg(clidr_el1);
	info->arm64_aidr = read_sysreg(aidr_el1);
	info->arm64_dczid = read_sanitised_ftr_reg(SYS_DCZID_EL0);
	mmfr1 = read_sanitised_ftr_reg(SYS_ID_AA64MMFR1_EL1);
	/* ID_AA64MMFR1_EL1.VMIDBits, bits [7:4]: 0b0010 means 16-bit VMIDs. */
	info->arm64_vmid_bits = ((mmfr1 >> 4) & 0xf) == 2 ? 16 : 8;
}

void kvmx_host_fpsimd_begin(void)
{
	kernel_neon_begin();
}

void kvmx_host_fpsimd_end(void)
{
	kernel_neon_end();
}

int kvmx_arch_host_check(struct kvmx_host_info *info)
{
	if (!is_kernel_in_hyp_mode()) {
		pr_err("kvmx: the kernel is not running at EL2, so kvmx cannot install a hypervisor; boot a VHE host entered at EL2 (e.g. QEMU -M virt,virtualization=on)\n");
		return -ENODEV;
	}
	if (!(read_sysreg(hcr_el2) & HCR_E2H)) {
		pr_err("kvmx: EL2 without VHE (HCR_EL2.E2H clear) is not supported\n");
		return -ENODEV;
	}
	info->arm64_id_aa64mmfr0 = read_sanitised_ftr_reg(SYS_ID_AA64MMFR0_EL1);
	kvmx_read_id_regs(info);
	return 0;
}

void kvmx_arch_host_release(void) {}
