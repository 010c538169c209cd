/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers shared by the kvmx kselftests. */
#ifndef KVMX_SELFTEST_UTIL_H
#define KVMX_SELFTEST_UTIL_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <linux/kvmx.h>

struct kvmx_cap_name {
	unsigned long number;
	const char *name;
};

/* Every capability the module knows: the same list the core's registry is built from. */
static const struct kvmx_cap_name kvmx_known_caps[] = {
#define KVMX_CAP(constant) { constant, #constant },
#include <kvmx/caps.def>
#undef KVMX_CAP
};
#define KVMX_NR_KNOWN_CAPS (sizeof(kvmx_known_caps) / sizeof(kvmx_known_caps[0]))

static inline int kvmx_open_dev(void)
{
	return open("/dev/kvm", O_RDWR | O_CLOEXEC);
}

/* Read an unsigned decimal from a sysfs/procfs file; -1 on error. */
static inline long kvmx_read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

#endif
