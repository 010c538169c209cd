/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For userspace tools (kvmx-probe, the kselftests): every capability the module knows,
 * by number and name, from the same include/kvmx/caps.def list as the core's registry.
 * Include after <linux/kvm.h> and <linux/kvmx.h>.
 */
#ifndef KVMX_CAP_NAMES_H
#define KVMX_CAP_NAMES_H

struct kvmx_cap_name {
	unsigned long number;
	const char *name;
};

static const struct kvmx_cap_name kvmx_known_caps[] = {
#define KVMX_CAP(constant) { constant, #constant },
#include <kvmx/caps.def>
#undef KVMX_CAP
};

#define KVMX_NR_KNOWN_CAPS (sizeof(kvmx_known_caps) / sizeof(kvmx_known_caps[0]))

#endif
