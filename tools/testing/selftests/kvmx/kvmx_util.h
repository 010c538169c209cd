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

/* Every capability the module knows: the same list the core's registry is built from. */
#include <kvmx/cap_names.h>

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
