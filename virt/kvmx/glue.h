/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared by the C glue files (main.c, host.c, arch-*.c). Not seen by the
 * C++ core, which reaches the glue only through include/kvmx/host.h.
 */
#ifndef KVMX_GLUE_H
#define KVMX_GLUE_H

#include <linux/types.h>
#include <kvmx/core.h>

/* Module parameters (main.c). */
extern bool kvmx_debug;

/* host.c: pr_err() if any kvmx_host_zalloc() allocation is still live (called at unload). */
void kvmx_host_check_leaks(void);
/* The module's live allocations (kvmx_host_zalloc, kvmx_host_alloc_page) right now. */
long kvmx_host_live_allocs(void);

/*
 * Per-arch host check (arch-<arch>.c): 0 if kvmx can run on this host, else -ENODEV
 * after one pr_err() line saying why. Fills the arch fields of @info.
 */
int kvmx_arch_host_check(struct kvmx_host_info *info);
/* arm64: the host PMUv3 perf drives, if any (pmu-arm64.c). */
void kvmx_arm64_pmu_probe(struct kvmx_host_info *info);
/* Frees what kvmx_arch_host_check allocated (at unload, or after a failed load). */
void kvmx_arch_host_release(void);

/* sched.c: fill the scheduler facts of @info (sched_info_on). */
void kvmx_sched_host_info(struct kvmx_host_info *info);
/* sched.c: what kicks need (allocated at load, -ENOMEM), freed at unload. */
int kvmx_sched_init(void);
void kvmx_sched_exit(void);

/*
 * kunit.c, only against a kernel with CONFIG_KUNIT: run the in-kernel suites at load if
 * the kunit parameter asks for it (core up, /dev/kvm not yet registered); exit removes
 * their results. Nothing at all otherwise.
 */
#if IS_ENABLED(CONFIG_KUNIT)
void kvmx_kunit_run(void);
void kvmx_kunit_exit(void);
#else
static inline void kvmx_kunit_run(void) {}
static inline void kvmx_kunit_exit(void) {}
#endif

#endif /* KVMX_GLUE_H */
