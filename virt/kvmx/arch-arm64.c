// SPDX-License-Identifier: GPL-2.0
/*
 * arm64 host check: kvmx needs the kernel itself at EL2 with VHE (HCR_EL2.E2H set), as
 * Debian's kernel runs when the firmware enters it at EL2 and KVM is kept out with
 * kvm-arm.mode=none. Reads the system registers the core may not read itself.
 */
#include <linux/printk.h>
#include <asm/cpufeature.h>
#include <asm/kvm_arm.h>
#include <asm/sysreg.h>
#include <asm/virt.h>

#include "glue.h"

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
	return 0;
}
