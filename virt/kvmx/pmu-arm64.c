// SPDX-License-Identifier: GPL-2.0
/*
 * arm64: what the guest PMU (arch/arm64/kvm/pmu.cpp) needs to know of the host's PMUv3:
 * whether perf drives one (its arm_pmuv3 driver registered an event source), that event
 * source's perf type (the KVM_ARM_VCPU_PMU_V3_SET_PMU id), and its number of event
 * counters (PMCR_EL0.N). Probed once at load by creating, then releasing, a disabled
 * kernel counter for CPU_CYCLES. Then the host counters behind the guest's: perf kernel
 * counters bound to the vCPU thread, which never touch a PMU register themselves.
 */
#include <linux/err.h>
#include <linux/perf_event.h>
#include <asm/sysreg.h>

#include "glue.h"

/* The perf type of the PMU found at load (0: none). */
static u32 kvmx_pmu_type;

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
	kvmx_pmu_type = info->arm64_pmu_type;
	perf_event_release_kernel(event);
	/* PMCR_EL0.N, bits [15:11]: event counters the host implements. */
	info->arm64_pmu_nr_counters = (read_sysreg(pmcr_el0) >> 11) & 0x1f;
	info->arm64_pmceid[0] = read_sysreg(pmceid0_el0);
	info->arm64_pmceid[1] = read_sysreg(pmceid1_el0);
}

/* The guest counter's host counter: perf's event, and the context its overflow reports. */
static void kvmx_pmu_overflow(struct perf_event *event, struct perf_sample_data *data,
			      struct pt_regs *regs)
{
	kvmx_arm64_pmu_overflow(event->overflow_handler_context);
}

struct kvmx_pmu_event *kvmx_host_arm64_pmu_event_create(unsigned int event, int el1, u64 period,
							int enabled, void *ctx)
{
	struct perf_event_attr attr = {
		.type = kvmx_pmu_type,
		.size = sizeof(attr),
		.config = event,
		.sample_period = period,
		.disabled = !enabled,
		.exclude_hv = 1,
		/*
		 * On a VHE host the kernel runs at EL2 and only guests at EL1: excluding the host
		 * leaves EL1, excluding the kernel (EL2 and EL1) leaves EL0.
		 */
		.exclude_host = el1 ? 1 : 0,
		.exclude_kernel = el1 ? 0 : 1,
	};
	struct perf_event *e;

	if (!attr.type)
		return NULL;
	e = perf_event_create_kernel_counter(&attr, -1, current, kvmx_pmu_overflow, ctx);
	return IS_ERR(e) ? NULL : (struct kvmx_pmu_event *)e;
}

void kvmx_host_arm64_pmu_event_release(struct kvmx_pmu_event *e)
{
	if (e)
		perf_event_release_kernel((struct perf_event *)e);
}

u64 kvmx_host_arm64_pmu_event_read(struct kvmx_pmu_event *e)
{
	u64 enabled, running;

	return perf_event_read_value((struct perf_event *)e, &enabled, &running);
}

void kvmx_host_arm64_pmu_event_enable(struct kvmx_pmu_event *e, int enable)
{
	if (enable)
		perf_event_enable((struct perf_event *)e);
	else
		perf_event_disable((struct perf_event *)e);
}
