/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tap.h: the TAP output and the small checks shared by the POWER test programs
 * (tools/kvmx/ppc_*.c, ppc_guest_lib.c). Header-only, static inline: each program is
 * one translation unit and uses what it needs.
 */
#ifndef KVMX_TOOLS_TAP_H
#define KVMX_TOOLS_TAP_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

static int tap_nr, tap_failed;

/* One TAP line for @name; returns @cond. */
static inline int check(int cond, const char *name)
{
	tap_nr++;
	if (!cond)
		tap_failed++;
	printf("%sok %d %s\n", cond ? "" : "not ", tap_nr, name);
	fflush(stdout);
	return cond;
}

static inline void skip(const char *name, const char *why)
{
	tap_nr++;
	printf("ok %d %s # SKIP %s\n", tap_nr, name, why);
	fflush(stdout);
}

/* The program cannot go on: a TAP bail-out with errno; returns main's exit status. */
static inline int bail(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	return 1;
}

/* 1 if the ioctl fails with errno @err; else a comment saying what it did instead (a
 * device an unexpected KVM_CREATE_DEVICE made is closed again). */
static inline int fails_with(int fd, unsigned long cmd, void *arg, int err)
{
	int r = ioctl(fd, cmd, arg);

	if (r >= 0 || errno != err) {
		printf("# ioctl 0x%lx: %d errno %d (%s), expected errno %d\n", cmd, r, errno,
		       strerror(errno), err);
		if (r >= 0 && cmd == KVM_CREATE_DEVICE)
			close(((struct kvm_create_device *)arg)->fd);
		return 0;
	}
	return 1;
}

/* kvmx's live allocations (its live_allocs module parameter), -1 if unreadable. */
static inline long live_allocs(void)
{
	FILE *f = fopen("/sys/module/kvmx/parameters/live_allocs", "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

#endif /* KVMX_TOOLS_TAP_H */
