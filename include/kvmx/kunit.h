/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel KUnit suites (built only against a kernel with CONFIG_KUNIT): the C ABI
 * between virt/kvmx/kunit.c, which owns KUnit and the suites, and the C++ cases in
 * virt/kvmx/core/kunit/ and arch/<arch>/kvm/kunit/, which exercise real core objects.
 * Plain C, no Linux types: the C++ side sees struct kunit only as an opaque pointer.
 */
#ifndef KVMX_KUNIT_H
#define KVMX_KUNIT_H

#include <kvmx/host.h>

#ifdef __cplusplus
extern "C" {
#endif

struct kunit;

/* One case of a suite; every table ends with an entry whose name is NULL. */
struct kvmx_kunit_case {
	const char *name;
	void (*run)(struct kunit *test);
};

/* Mark the running case failed, with a message tagged "file:line". */
void kvmx_kunit_fail(struct kunit *test, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * User memory for a case that drives ioctls as userspace would: begin lends the test
 * thread the address space of the process that loaded kvmx (kthread_use_mm), map makes
 * anonymous read-write mappings in it (0 on failure), end unmaps them all and gives the
 * address space back. A VM created in between follows that address space (MMU notifier)
 * and must be gone before end.
 */
int kvmx_kunit_mm_begin(void);
kvmx_uptr kvmx_kunit_user_map(kvmx_size_t size);
void kvmx_kunit_mm_end(void);

/* The module's live host allocations (kvmx_host_zalloc and kvmx_host_alloc_page). */
long kvmx_kunit_live_allocs(void);

/* The cases, by suite. */
extern const struct kvmx_kunit_case kvmx_kunit_memslot_cases[];
extern const struct kvmx_kunit_case kvmx_kunit_caps_cases[];
extern const struct kvmx_kunit_case kvmx_kunit_ioctl_cases[];
extern const struct kvmx_kunit_case kvmx_kunit_stage2_cases[];
extern const struct kvmx_kunit_case kvmx_kunit_psci_cases[];
extern const struct kvmx_kunit_case kvmx_kunit_pvtime_cases[];

#ifdef __cplusplus
}
#endif

#endif /* KVMX_KUNIT_H */
