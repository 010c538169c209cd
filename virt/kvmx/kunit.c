// SPDX-License-Identifier: GPL-2.0
/*
 * In-kernel KUnit suites (only in a kvmx.ko built against a kernel with CONFIG_KUNIT, such
 * as the check-debug kernel; the stock build has none of this). Loading kvmx with kunit=1
 * runs them once, after the core is up and before /dev/kvm appears; their KTAP goes to
 * the kernel log and stays in /sys/kernel/debug/kunit/<suite>/results until rmmod.
 * This file owns KUnit: the suites, the glue's own cases (kvmx_glue) and the services the
 * C++ cases (include/kvmx/kunit.h) need: failure reports and a borrowed user address
 * space, so that ioctls can be driven with arguments in real user memory.
 */
#include <kunit/test.h>
#include <linux/kthread.h>
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/sched/stat.h>
#include <linux/slab.h>

#include <kvmx/kunit.h>
#include "glue.h"

static bool run_kunit;
module_param_named(kunit, run_kunit, bool, 0444);
MODULE_PARM_DESC(kunit, "Run the in-kernel KUnit suites at load (debug kernels only)");

void kvmx_kunit_fail(struct kunit *test, const char *file, int line, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	kunit_err(test, "%s:%d: %pV\n", kbasename(file), line, &vaf);
	va_end(args);
	kunit_set_failure(test);
}

long kvmx_kunit_live_allocs(void)
{
	return kvmx_host_live_allocs();
}

/*
 * The address space of the process that loaded kvmx (insmod, blocked in the module
 * loader while the suites run), referenced for as long as the suites run. The cases run
 * one at a time, each on its own kernel thread, so one set of mappings suffices.
 */
static struct mm_struct *kvmx_kunit_mm;
#define KVMX_KUNIT_MAX_MAPS 32
static struct {
	unsigned long addr, len;
} kvmx_kunit_maps[KVMX_KUNIT_MAX_MAPS];
static unsigned int kvmx_kunit_nr_maps;

int kvmx_kunit_mm_begin(void)
{
	if (!kvmx_kunit_mm || current->mm || !(current->flags & PF_KTHREAD))
		return -EINVAL;
	kthread_use_mm(kvmx_kunit_mm);
	kvmx_kunit_nr_maps = 0;
	return 0;
}

kvmx_uptr kvmx_kunit_user_map(kvmx_size_t size)
{
	unsigned long addr;

	if (current->mm != kvmx_kunit_mm || kvmx_kunit_nr_maps == KVMX_KUNIT_MAX_MAPS)
		return 0;
	size = PAGE_ALIGN(size);
	addr = vm_mmap(NULL, 0, size, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, 0);
	if (IS_ERR_VALUE(addr))
		return 0;
	kvmx_kunit_maps[kvmx_kunit_nr_maps].addr = addr;
	kvmx_kunit_maps[kvmx_kunit_nr_maps].len = size;
	kvmx_kunit_nr_maps++;
	return addr;
}

void kvmx_kunit_mm_end(void)
{
	if (current->mm != kvmx_kunit_mm)
		return;
	while (kvmx_kunit_nr_maps) {
		kvmx_kunit_nr_maps--;
		vm_munmap(kvmx_kunit_maps[kvmx_kunit_nr_maps].addr,
			  kvmx_kunit_maps[kvmx_kunit_nr_maps].len);
	}
	kthread_unuse_mm(kvmx_kunit_mm);
}

/* ---- kvmx_glue: the kernel implementation of include/kvmx/host.h ---------------- */

static void glue_allocations_are_zeroed_and_counted(struct kunit *test)
{
	long before = kvmx_host_live_allocs();
	u8 *p = kvmx_host_zalloc(3000);
	void *page;

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, before + 1, kvmx_host_live_allocs());
	KUNIT_EXPECT_TRUE(test, !memchr_inv(p, 0, 3000));
	kvmx_host_free(p);
	kvmx_host_free(NULL); /* not counted */
	KUNIT_EXPECT_EQ(test, before, kvmx_host_live_allocs());
	page = kvmx_host_alloc_page();
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, 0UL, (unsigned long)page & ~PAGE_MASK);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(page, 0, PAGE_SIZE));
	KUNIT_EXPECT_PTR_EQ(test, page, kvmx_host_phys_to_virt(kvmx_host_virt_to_phys(page)));
	KUNIT_EXPECT_EQ(test, before + 1, kvmx_host_live_allocs());
	kvmx_host_free_page(page);
	KUNIT_EXPECT_EQ(test, before, kvmx_host_live_allocs());
}

static void glue_user_copies_refuse_kernel_addresses(struct kunit *test)
{
	u64 kernel_word = 0x1122334455667788ULL, out = 0;
	kvmx_uptr k = (kvmx_uptr)&kernel_word;

	/* A kernel thread has no user space at all. */
	KUNIT_EXPECT_EQ(test, -EFAULT, kvmx_host_copy_from_user(&out, k, sizeof(out)));
	KUNIT_EXPECT_EQ(test, -EFAULT, kvmx_host_copy_to_user(k, &out, sizeof(out)));
	KUNIT_EXPECT_EQ(test, -EFAULT, kvmx_host_put_user_u64(k, 0));
	KUNIT_EXPECT_EQ(test, 0x1122334455667788ULL, kernel_word);
	KUNIT_EXPECT_EQ(test, 0, kvmx_host_user_range_ok(k, 8));
	KUNIT_EXPECT_EQ(test, 0, kvmx_host_user_range_ok(0x1000, ~0UL));
}

static void glue_user_copies_work_on_user_memory(struct kunit *test)
{
	u64 in = 0xfeedfacecafebeefULL, out = 0;
	kvmx_uptr u;

	KUNIT_ASSERT_EQ(test, 0, kvmx_kunit_mm_begin());
	u = kvmx_kunit_user_map(PAGE_SIZE);
	KUNIT_EXPECT_NE(test, 0UL, u);
	if (u) {
		KUNIT_EXPECT_EQ(test, 1, kvmx_host_user_range_ok(u, PAGE_SIZE));
		KUNIT_EXPECT_EQ(test, 0, kvmx_host_copy_to_user(u + 8, &in, sizeof(in)));
		KUNIT_EXPECT_EQ(test, 0, kvmx_host_copy_from_user(&out, u + 8, sizeof(out)));
		KUNIT_EXPECT_EQ(test, in, out);
		KUNIT_EXPECT_EQ(test, 0, kvmx_host_put_user_u64(u + 16, 42));
		KUNIT_EXPECT_EQ(test, 0, kvmx_host_copy_from_user(&out, u + 16, sizeof(out)));
		KUNIT_EXPECT_EQ(test, 42ULL, out);
		/* Stolen time is published with one aligned store: misaligned is refused. */
		KUNIT_EXPECT_EQ(test, -EFAULT, kvmx_host_put_user_u64(u + 4, 42));
	}
	kvmx_kunit_mm_end();
}

static int glue_never_ready(void *arg)
{
	return 0;
}

static int glue_always_ready(void *arg)
{
	return 1;
}

static void glue_waits_end_ready_or_timed_out(struct kunit *test)
{
	struct kvmx_waitq *wq = kvmx_host_waitq_create();
	u64 start;

	KUNIT_ASSERT_NOT_NULL(test, wq);
	KUNIT_EXPECT_EQ(test, 0, kvmx_host_wait(wq, KVMX_WAIT_FOREVER, glue_always_ready, NULL));
	start = kvmx_host_time_ns();
	KUNIT_EXPECT_EQ(test, -ETIME, kvmx_host_wait(wq, 2000000, glue_never_ready, NULL));
	KUNIT_EXPECT_GE(test, kvmx_host_time_ns() - start, 2000000ULL);
	kvmx_host_waitq_destroy(wq);
}

static void glue_mmu_notifier_needs_an_address_space(struct kunit *test)
{
	/* A kernel thread has none: registration fails instead of following NULL. */
	KUNIT_EXPECT_NULL(test, current->mm);
	KUNIT_EXPECT_NULL(test, kvmx_host_mmu_notifier_register(NULL));
}

static void glue_steal_time_follows_sched_info(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, (long)!!sched_info_on(),
			kvmx_dev_ioctl(KVM_CHECK_EXTENSION, KVM_CAP_STEAL_TIME));
	/* The run delay only grows. */
	KUNIT_EXPECT_LE(test, kvmx_host_run_delay_ns(), kvmx_host_run_delay_ns());
}

static struct kunit_case kvmx_glue_cases[] = { KUNIT_CASE(glue_allocations_are_zeroed_and_counted),
					       KUNIT_CASE(glue_user_copies_refuse_kernel_addresses),
					       KUNIT_CASE(glue_user_copies_work_on_user_memory),
					       KUNIT_CASE(glue_waits_end_ready_or_timed_out),
					       KUNIT_CASE(glue_mmu_notifier_needs_an_address_space),
					       KUNIT_CASE(glue_steal_time_follows_sched_info),
					       {} };

/* ---- the suites ------------------------------------------------------------------ */

/* No case may leave a VM or an allocation behind. */
static long kvmx_kunit_allocs_before;
static unsigned int kvmx_kunit_vms_before;

static int kvmx_kunit_case_init(struct kunit *test)
{
	kvmx_kunit_allocs_before = kvmx_host_live_allocs();
	kvmx_kunit_vms_before = kvmx_core_nr_vms();
	return 0;
}

static void kvmx_kunit_case_exit(struct kunit *test)
{
	KUNIT_EXPECT_EQ_MSG(test, kvmx_kunit_vms_before, kvmx_core_nr_vms(),
			    "the case left a VM alive");
	KUNIT_EXPECT_EQ_MSG(test, kvmx_kunit_allocs_before, kvmx_host_live_allocs(),
			    "the case leaked host allocations");
}

#define KVMX_SUITE(suite_name, table)                                                              \
	{                                                                                          \
		.suite = { .name = suite_name,                                                     \
			   .init = kvmx_kunit_case_init,                                           \
			   .exit = kvmx_kunit_case_exit },                                         \
		.cases = table                                                                     \
	}

/* The C++ suites' case tables become KUnit case arrays at load. */
static struct {
	struct kunit_suite suite;
	const struct kvmx_kunit_case *cases;
} kvmx_suites[] = {
	KVMX_SUITE("kvmx_glue", NULL),
	KVMX_SUITE("kvmx_memslot", kvmx_kunit_memslot_cases),
	KVMX_SUITE("kvmx_caps", kvmx_kunit_caps_cases),
	KVMX_SUITE("kvmx_ioctl", kvmx_kunit_ioctl_cases),
#ifdef CONFIG_ARM64
	KVMX_SUITE("kvmx_stage2", kvmx_kunit_stage2_cases),
	KVMX_SUITE("kvmx_psci", kvmx_kunit_psci_cases),
	KVMX_SUITE("kvmx_pvtime", kvmx_kunit_pvtime_cases),
#endif
};

static struct kunit_suite *kvmx_suite_ptrs[ARRAY_SIZE(kvmx_suites)];
static bool kvmx_kunit_ran;

static struct kunit_case *kvmx_kunit_cases(const struct kvmx_kunit_case *table)
{
	struct kunit_case *cases;
	unsigned int n = 0, i;

	while (table[n].name)
		n++;
	cases = kcalloc(n + 1, sizeof(*cases), GFP_KERNEL);
	if (!cases)
		return NULL;
	for (i = 0; i < n; i++) {
		cases[i].name = table[i].name;
		cases[i].run_case = table[i].run;
	}
	return cases;
}

static void kvmx_kunit_free_cases(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kvmx_suites); i++) {
		if (kvmx_suites[i].cases)
			kfree(kvmx_suites[i].suite.test_cases);
		kvmx_suites[i].suite.test_cases = NULL;
	}
}

void kvmx_kunit_run(void)
{
	unsigned int i;

	if (!run_kunit)
		return;
	for (i = 0; i < ARRAY_SIZE(kvmx_suites); i++) {
		struct kunit_suite *s = &kvmx_suites[i].suite;

		s->test_cases = kvmx_suites[i].cases ? kvmx_kunit_cases(kvmx_suites[i].cases)
						     : kvmx_glue_cases;
		if (!s->test_cases) {
			pr_err("kvmx: out of memory for the KUnit suites\n");
			kvmx_kunit_free_cases();
			return;
		}
		kvmx_suite_ptrs[i] = s;
	}
	kvmx_kunit_mm = get_task_mm(current);
	if (!kvmx_kunit_mm)
		pr_warn("kvmx: KUnit suites run without a user address space: the cases that need one fail\n");
	__kunit_test_suites_init(kvmx_suite_ptrs, ARRAY_SIZE(kvmx_suite_ptrs));
	if (kvmx_kunit_mm)
		mmput(kvmx_kunit_mm);
	kvmx_kunit_mm = NULL;
	kvmx_kunit_ran = true;
}

void kvmx_kunit_exit(void)
{
	if (!kvmx_kunit_ran)
		return;
	__kunit_test_suites_exit(kvmx_suite_ptrs, ARRAY_SIZE(kvmx_suite_ptrs));
	kvmx_kunit_free_cases();
	kvmx_kunit_ran = false;
}
