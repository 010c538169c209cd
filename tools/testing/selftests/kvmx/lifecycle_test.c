// SPDX-License-Identifier: GPL-2.0
/*
 * Lifecycle (issue 8): the fds of a VM closed in every order while its vCPU threads run
 * guests; every kind of kvmx fd (and a vCPU's kvm_run mapping alone) keeps the module
 * from unloading; 1000 VMs, each with a vCPU that ran and a memslot, created and
 * destroyed with no growth in kvmx's live allocations (its live_allocs parameter) or in
 * the kernel's slab usage.
 */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "vcpu_lib.h"

#define REFCNT "/sys/module/kvmx/refcnt"
#define LIVE_ALLOCS "/sys/module/kvmx/parameters/live_allocs"

asm(".pushsection .text\n"
    ".balign 4\n"
    /* Spin, touching guest RAM, forever. */
    ".global g_busy_start, g_busy_end\n"
    "g_busy_start:\n"
    "	movz x4, #0x4002, lsl #16\n"
    "1:	add x3, x3, #1\n"
    "	str x3, [x4]\n"
    "	b 1b\n"
    "g_busy_end:\n"
    /* One MMIO write, then spin. */
    ".global g_once_start, g_once_end\n"
    "g_once_start:\n"
    "	movz x1, #0x9000, lsl #16\n"
    "	movz x4, #0x4002, lsl #16\n"
    "	str x1, [x4]\n"
    "	str xzr, [x1]\n"
    "	b .\n"
    "g_once_end:\n"
    ".popsection\n");

GUEST_PROGRAM(g_busy);
GUEST_PROGRAM(g_once);

static int try_unload(void)
{
	/* O_NONBLOCK: fail at once with EWOULDBLOCK while in use (never called when not). */
	return syscall(__NR_delete_module, "kvmx", O_NONBLOCK);
}

FIXTURE(cycles)
{
	int unused;
};

FIXTURE_SETUP(cycles) {}

FIXTURE_TEARDOWN(cycles) {}

/* ---- closing in every order while vCPUs run ----------------------------------------- */

struct runner {
	int fd;
	atomic_int runs;
	atomic_int stop;
	int last_errno;
};

static void *run_thread(void *p)
{
	struct runner *r = p;

	while (!atomic_load(&r->stop)) {
		if (ioctl(r->fd, KVM_RUN, 0) == 0)
			continue; /* an exit: run again */
		r->last_errno = errno;
		atomic_fetch_add(&r->runs, 1);
		if (errno != EINTR)
			break; /* the fd is gone (EBADF) or the VM is dead */
	}
	return NULL;
}

/* The 24 orders of closing dev, vm, vcpu0, vcpu1 (stats fd last or first, alternately). */
static void permutation(int n, int out[4])
{
	int pool[4] = { 0, 1, 2, 3 };

	for (int i = 4; i > 0; i--) {
		int f = 1;

		for (int j = 1; j < i; j++)
			f *= j;
		int k = n / f;

		n %= f;
		out[4 - i] = pool[k];
		for (int j = k; j < i - 1; j++)
			pool[j] = pool[j + 1];
	}
}

TEST_F_TIMEOUT(cycles, close_fds_in_every_order_while_vcpus_run, 300)
{
	struct sigaction sa = { .sa_handler = ignore_signal };
	long base = kvmx_read_long(REFCNT);

	ASSERT_GE(base, 0);
	sigaction(SIGUSR1, &sa, NULL);
	for (int order = 0; order < 24; order++) {
		struct vmm m;
		struct vcpu v[2];
		struct runner r[2] = { 0 };
		pthread_t t[2];
		int fds[4], seq[4], stats;

		ASSERT_EQ(0, vmm_create(&m));
		load_program(&m, GUEST_CODE_IPA, g_busy_start, g_busy_end);
		for (int i = 0; i < 2; i++)
			ASSERT_EQ(0, vcpu_add(&m, &v[i], i, 1 << KVM_ARM_VCPU_PSCI_0_2,
					      GUEST_CODE_IPA));
		/* Before the runs: vCPU ioctls wait for a running KVM_RUN, as upstream's do. */
		stats = ioctl(order & 1 ? v[0].fd : m.vm, KVM_GET_STATS_FD, 0);
		ASSERT_GE(stats, 0);
		for (int i = 0; i < 2; i++) {
			r[i].fd = v[i].fd;
			ASSERT_EQ(0, pthread_create(&t[i], NULL, run_thread, &r[i]));
		}
		if (order & 2)
			close(stats);
		fds[0] = m.kvm;
		fds[1] = m.vm;
		fds[2] = v[0].fd;
		fds[3] = v[1].fd;
		permutation(order, seq);
		usleep(5000); /* both guests are running */
		for (int i = 0; i < 4; i++) {
			close(fds[seq[i]]);
			/* Kick both runners: whatever is still open keeps running. */
			for (int j = 0; j < 2; j++)
				pthread_kill(t[j], SIGUSR1);
			usleep(2000);
		}
		/* Both vCPU fds are closed: the next KVM_RUN of each runner fails with EBADF. */
		for (int j = 0; j < 2; j++) {
			double t0 = now_s();

			while (atomic_load(&r[j].runs) == 0 || r[j].last_errno == EINTR) {
				pthread_kill(t[j], SIGUSR1);
				usleep(1000);
				if (now_s() - t0 > 5)
					break;
			}
			if (now_s() - t0 > 1)
				TH_LOG("order %d vcpu %d: %.1f s, runs %d, errno %d", order, j,
				       now_s() - t0, atomic_load(&r[j].runs), r[j].last_errno);
			atomic_store(&r[j].stop, 1);
			pthread_kill(t[j], SIGUSR1);
			pthread_join(t[j], NULL);
			EXPECT_EQ(EBADF, r[j].last_errno);
		}
		/* The kvm_run mappings still pin the vCPUs (and the module) until unmapped. */
		EXPECT_LT(base, kvmx_read_long(REFCNT));
		EXPECT_EQ(-1, try_unload());
		EXPECT_EQ(EWOULDBLOCK, errno);
		munmap(v[0].run, m.run_size);
		munmap(v[1].run, m.run_size);
		if (!(order & 2))
			close(stats);
		munmap(m.ram, GUEST_RAM_SIZE);
		EXPECT_EQ(base, kvmx_read_long(REFCNT))
		{
			TH_LOG("order %d (%d %d %d %d) left references", order, seq[0], seq[1],
			       seq[2], seq[3]);
		}
	}
}

/* ---- every fd pins the module ------------------------------------------------------- */

TEST(every_kind_of_fd_and_the_run_mapping_pin_the_module)
{
	long base = kvmx_read_long(REFCNT);
	struct vmm m;
	struct vcpu v;
	int stats, fds[4];

	ASSERT_GE(base, 0);
	ASSERT_EQ(0, vmm_create(&m));
	ASSERT_EQ(0, vcpu_add(&m, &v, 0, 1 << KVM_ARM_VCPU_PSCI_0_2, GUEST_CODE_IPA));
	stats = ioctl(v.fd, KVM_GET_STATS_FD, 0);
	ASSERT_GE(stats, 0);
	fds[0] = m.kvm;
	fds[1] = m.vm;
	fds[2] = v.fd;
	fds[3] = stats;
	/* Close all but one, for each one in turn: each alone refuses rmmod. */
	for (int keep = 0; keep < 4; keep++) {
		int dup_fds[4];

		for (int i = 0; i < 4; i++)
			dup_fds[i] = dup(fds[i]);
		for (int i = 0; i < 4; i++)
			if (i != keep)
				close(dup_fds[i]);
		EXPECT_EQ(-1, try_unload());
		EXPECT_EQ(EWOULDBLOCK, errno);
		close(dup_fds[keep]);
	}
	for (int i = 0; i < 4; i++)
		close(fds[i]);
	/* Only the kvm_run mapping is left. */
	EXPECT_LT(base, kvmx_read_long(REFCNT));
	EXPECT_EQ(-1, try_unload());
	EXPECT_EQ(EWOULDBLOCK, errno);
	munmap(v.run, m.run_size);
	munmap(m.ram, GUEST_RAM_SIZE);
	EXPECT_EQ(base, kvmx_read_long(REFCNT));
}

/* ---- 1000 VMs ----------------------------------------------------------------------- */

/* One VM: a memslot, a vCPU that runs to an MMIO exit (stage-2 built), all closed. */
static int one_vm(void)
{
	struct vmm m;
	struct vcpu v;
	int ok;

	if (vmm_create(&m))
		return -1;
	load_program(&m, GUEST_CODE_IPA, g_once_start, g_once_end);
	if (vcpu_add(&m, &v, 0, 1 << KVM_ARM_VCPU_PSCI_0_2, GUEST_CODE_IPA)) {
		vmm_destroy(&m);
		return -1;
	}
	ok = vcpu_run(&v) == 0 && v.run->exit_reason == KVM_EXIT_MMIO &&
	     v.run->mmio.phys_addr == GUEST_MMIO_IPA;
	munmap(v.run, m.run_size);
	close(v.fd);
	vmm_destroy(&m);
	return ok ? 0 : -1;
}

/*
 * Shrink every slab cache: SLUB gives back its per-CPU and partial slabs, and on a KASAN
 * kernel (make check-debug) the shrink also empties the cache's quarantine, where freed
 * objects otherwise stay counted as active for a while (megabytes after 1000 VMs).
 */
static void shrink_slabs(void)
{
	char path[300];
	struct dirent *e;
	DIR *d = opendir("/sys/kernel/slab");
	FILE *f;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", e->d_name);
		f = fopen(path, "w");
		if (f) {
			fputs("1\n", f);
			fclose(f);
		}
	}
	closedir(d);
}

/* Slab memory (bytes in all caches) and kmalloc-cg-* active objects, caches dropped. */
static void slab_usage(long *bytes, long *cg_objs)
{
	char line[512], name[128];
	long active, num, size;
	FILE *f;

	sync();
	f = fopen("/proc/sys/vm/drop_caches", "w");
	if (f) {
		fputs("3\n", f);
		fclose(f);
	}
	shrink_slabs();
	*bytes = 0;
	*cg_objs = 0;
	f = fopen("/proc/slabinfo", "r");
	if (!f) {
		*bytes = -1;
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %ld %ld %ld", name, &active, &num, &size) != 4)
			continue;
		*bytes += active * size;
		if (!strncmp(name, "kmalloc-cg-", 11))
			*cg_objs += active;
	}
	fclose(f);
}

TEST_F_TIMEOUT(cycles, vm_create_destroy_1000_cycles_leaks_nothing, 600)
{
	long live0, live1, bytes0, bytes1, cg0, cg1, failures = 0;
	double t0;

	/* Warm the caches (per-CPU slabs, the VMID allocator), then the baseline. */
	for (int i = 0; i < 50; i++)
		ASSERT_EQ(0, one_vm());
	live0 = kvmx_read_long(LIVE_ALLOCS);
	ASSERT_GE(live0, 0);
	slab_usage(&bytes0, &cg0);
	ASSERT_GE(bytes0, 0);
	t0 = now_s();
	for (int i = 0; i < 1000; i++)
		failures += one_vm() != 0;
	live1 = kvmx_read_long(LIVE_ALLOCS);
	slab_usage(&bytes1, &cg1);
	TH_LOG("1000 VMs in %.1f s: live_allocs %ld -> %ld, slab %ld -> %ld kB (%+ld kB), "
	       "kmalloc-cg objects %ld -> %ld (%+ld)",
	       now_s() - t0, live0, live1, bytes0 / 1024, bytes1 / 1024, (bytes1 - bytes0) / 1024,
	       cg0, cg1, cg1 - cg0);
	EXPECT_EQ(0, failures);
	/* kvmx's own count is exact: nothing of 1000 VMs may be left. */
	EXPECT_EQ(live0, live1);
	/*
	 * Each VM allocates several objects (VM, vCPU, memslots, stage-2 pages): a leak of
	 * even one per VM is >= 1000 objects; SLUB's per-CPU and partial slabs move the
	 * totals by far less on an idle host.
	 */
	EXPECT_LT(cg1 - cg0, 500);
	EXPECT_LT(bytes1 - bytes0, 1024 * 1024);
}

TEST_HARNESS_MAIN
