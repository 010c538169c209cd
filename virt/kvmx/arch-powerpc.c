// SPDX-License-Identifier: GPL-2.0
/*
 * POWER host check: kvmx needs the kernel itself to be the hypervisor (powernv, MSR[HV]
 * set, CPU_FTR_HVMODE), on ISA 3.0 (POWER9) with the radix MMU. A pseries guest kernel
 * (PowerVM, or KVM's nested HV) is not one: the check fails there with -ENODEV.
 * Reads the facts the C++ core may not read itself.
 */
#include <linux/cache.h>
#include <linux/printk.h>
#include <asm/cputable.h>
#include <asm/cpu_has_feature.h>
#include <asm/firmware.h>
#include <asm/mmu.h>
#include <asm/reg.h>

#include "glue.h"

int kvmx_arch_host_check(struct kvmx_host_info *info)
{
	info->ppc_pvr = mfspr(SPRN_PVR);
	if (!cpu_has_feature(CPU_FTR_HVMODE)) {
		pr_err("kvmx: the kernel is not running in hypervisor mode (pseries or a guest), so kvmx cannot install a hypervisor; boot a powernv host (e.g. QEMU -M powernv9)\n");
		return -ENODEV;
	}
	if (!cpu_has_feature(CPU_FTR_ARCH_300)) {
		pr_err("kvmx: POWER before ISA 3.0 (POWER9) is not supported\n");
		return -ENODEV;
	}
	if (!radix_enabled()) {
		pr_err("kvmx: the host uses the hash MMU; kvmx needs a radix host (do not boot with disable_radix)\n");
		return -ENODEV;
	}
	info->ppc_hv_radix = 1;
	return 0;
}
