// SPDX-License-Identifier: GPL-2.0
/*
 * arm64: what the guest PMU (arch/arm64/kvm/pmu.cpp) needs to know of the host's PMUv3:
 * whether perf drives one (its arm_pmuv3 driver registered an event source), that event
 * source's perf type (the KVM_ARM_VCPU_PMU_V3_SET_PMU id), and its number of event
 * counters (PMCR_EL0.N). Probed once at load by creating, then releasing, a disabled
 * kernel counter for CPU_CYCLES; it never counts and touches no PMU register of a guest.
 */
#include <linux/err.h>
#include <linux/perf_event.h>
#include <asm/sysreg.h>

#include "glue.h"

/* ARMv8 PMUv3 common event 0x11, CPU_CYCLES (ARM ARM D17.11). */
#define KVMX_PMU_CPU_CYCLES 0x11

void kvmx_arm64_pmu_probe(struct kvmx_host_info *info)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_RAW,
		.size = sizeof(attr),
		.config = KVMX_PMU_CPU_CYCLES,
		.disabled = 1,
		.exclude_kernel = 1,
		.exclude_hv = 1,
	};
	struct perf_event *event;
	/* ID_AA64DFR0_EL1.PMUVer, bits [11:8]: 0 none, 0xf IMPLEMENTATION DEFINED. */
	u64 pmuver = (read_sanitised_ftr_reg(SYS_ID_AA64DFR0_EL1) >> 8) & 0xf;

	info->arm64_pmu_type = 0;
	info->arm64_pmu_nr_counters = 0;
	if (pmuver == 0 || pmuver == 0xf)
		return;
	event = perf_event_create_kernel_counter(&attr, -1, current, NULL, NULL);
	if (IS_ERR(event)) {
		pr_info("kvmx: no guest PMU: perf has no PMUv3 event source (%ld)\n",
			PTR_ERR(event));
		return;
	}
	if (event->pmu)
		info->arm64_pmu_type = event->pmu->type;
	perf_event_release_kernel(event);
	/* PMCR_EL0.N, bits [15:11]: event counters the host implements. */
	info->arm64_pmu_nr_counters = (read_sysreg(pmcr_el0) >> 11) & 0x1f;
}
