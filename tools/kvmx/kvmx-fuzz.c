// SPDX-License-Identifier: GPL-2.0
/*
 * kvmx-fuzz: a bounded, seeded ioctl fuzzer for /dev/kvm (issue 8).
 *
 * Worker threads draw operations from their own xorshift generator (seeded from the run's
 * seed and the thread number): /dev/kvm, VM, vCPU, stats-fd and device ioctls with every
 * ioctl number kvmx implements and random ones, random and boundary arguments (NULL,
 * unmapped, misaligned, kernel addresses, huge sizes, bad flags), memslot add/move/delete,
 * mmap/munmap/mprotect/MADV_DONTNEED of guest memory while vCPUs run, tiny random guests
 * (HVC/SMC with random function ids, MMIO, exclusives and atomics, WFI, random system
 * registers and instructions), fd closes in the middle, and a signaller thread that
 * interrupts the vCPU threads.
 *
 * Usage: kvmx-fuzz [-s SEED] [-n CALLS] [-t THREADS] [-v]
 * Prints the seed first. Every operation draws from its own generator (seed, thread,
 * operation number), so each thread's operations and arguments are fixed by the seed;
 * the fingerprint printed at the end shows it. Scheduling decides only the interleaving
 * of threads and timing-dependent results. Stops after CALLS
 * system calls (default 20000). The output is TAP: the run finished within its time
 * bound, the fuzzer's own fds are all gone at the end (the module's refcount is back to
 * its value before the run). Host-side checks (dmesg, rmmod) are scripts/guest/fuzz.sh's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <linux/kvmx.h>

#define MAX_THREADS 16
#define MAX_FDS 24
#define ARENA_CHUNKS 16
#define CHUNK_SIZE (64UL << 10)
#define CODE_CHUNK 0 /* never made inaccessible: the fuzzer writes guest programs there */
#define NR_PROGRAMS 16
#define PROGRAM_WORDS 64 /* 256 bytes each, 16 of them in the first 4 KiB of the code chunk */
#define ARENA_RESERVE (8ULL << 30) /* PROT_NONE beyond the chunks: huge memslots stay in it */
#ifdef __powerpc64__
/* POWER guests take interrupts at real address 0: the programs are the vectors too. */
#define GUEST_BASE 0x0ULL
#else
#define GUEST_BASE 0x40000000ULL
#endif
#define GUEST_MMIO 0x90000000ULL
#define REFCNT "/sys/module/kvmx/refcnt"

enum kind { K_DEV, K_VM, K_VCPU, K_STATS, K_DEVICE, K_TCE, NR_KINDS };
static const char *const kind_name[NR_KINDS] = { "dev", "vm", "vcpu", "stats", "device", "tce" };

struct entry {
	int fd;		     /* -1: free slot */
	int users;	     /* threads using run right now */
	int dead;	     /* closed: unmap run when the last user leaves */
	struct kvm_run *run; /* vCPUs */
	size_t run_size;
};

static struct {
	pthread_mutex_t lock;
	struct entry e[NR_KINDS][MAX_FDS];
} tab = { .lock = PTHREAD_MUTEX_INITIALIZER };

static uint8_t *arena;	  /* ARENA_CHUNKS * CHUNK_SIZE, guest memory the fuzzer owns */
static uint8_t *scratch;  /* a page of argument data followed by a PROT_NONE page */
static uint8_t *noaccess; /* a PROT_NONE page */
static long run_size;
static atomic_long calls;
static long budget = 20000;
static int nr_threads = 4;
static int verbose;
static atomic_int stop;
static atomic_int workers_done; /* the signaller runs until every worker is done */
static pthread_t workers[MAX_THREADS];
static atomic_long op_count[64];
static atomic_ullong trace_hash; /* the threads' fingerprints of their first 1000 ops */

/* ---- random numbers ------------------------------------------------------------------ */
struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	uint64_t x = r->s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return n ? rnd(r) % n : 0;
}

static int chance(struct rng *r, int percent)
{
	return (int)below(r, 100) < percent;
}

/* A boundary-heavy 64-bit value. */
static uint64_t rnd_val(struct rng *r)
{
	static const uint64_t edge[] = {
		0,
		1,
		2,
		3,
		4,
		7,
		8,
		0xff,
		0x100,
		0xfff,
		0x1000,
		0x7fffffff,
		0x80000000,
		0xffffffff,
		0x100000000ULL,
		0x7fffffffffffffffULL,
		0x8000000000000000ULL,
		~0ULL,
		~0ULL - 1,
		512,
		509,
		510,
		32768,
		65536,
		1ULL << 48,
		1ULL << 52,
	};

	switch (below(r, 4)) {
	case 0:
		return edge[below(r, sizeof(edge) / sizeof(edge[0]))];
	case 1:
		return below(r, 64);
	case 2:
		return 1ULL << below(r, 64);
	default:
		return rnd(r);
	}
}

/* A user pointer for an ioctl argument: mostly valid, sometimes hostile. */
static uint64_t rnd_ptr(struct rng *r, size_t size)
{
	switch (below(r, 10)) {
	case 0:
		return 0;
	case 1:
		return (uintptr_t)noaccess;
	case 2: /* straddles into the PROT_NONE page */
		return (uintptr_t)scratch + 4096 - (size > 1 ? size / 2 : 1);
	case 3:
		return (uintptr_t)scratch + 1 + below(r, 7); /* misaligned */
	case 4:
		return 0xffff800008000000ULL + below(r, 1 << 20); /* a kernel address */
	case 5:
		return rnd(r);
	default:
		return (uintptr_t)scratch + 8 * below(r, 64);
	}
}

static void fill_scratch(struct rng *r)
{
	/* Racy writes from several threads are fine: the bytes are random anyway. */
	for (int i = 0; i < 64; i++) {
		uint64_t v = chance(r, 50) ? rnd_val(r) : rnd(r);

		memcpy(scratch + 8 * below(r, 512), &v, 8);
	}
}

/* ---- fd tables ---------------------------------------------------------------------- */
static void count_call(void)
{
	if (atomic_fetch_add(&calls, 1) + 1 >= budget)
		atomic_store(&stop, 1);
}

static void put_fd(enum kind k, int fd, struct kvm_run *run)
{
	if (fd <= 2) /* never stdin/stdout/stderr (a garbage fd number from a racing thread) */
		return;
	pthread_mutex_lock(&tab.lock);
	for (int i = 0; i < MAX_FDS; i++) {
		struct entry *e = &tab.e[k][i];

		if (e->fd < 0 && !e->users) {
			*e = (struct entry){ .fd = fd, .run = run, .run_size = run_size };
			pthread_mutex_unlock(&tab.lock);
			return;
		}
	}
	pthread_mutex_unlock(&tab.lock);
	/* Table full: close it at once (another close in the middle of everything). */
	if (run)
		munmap(run, run_size);
	close(fd);
	count_call();
}

/* Borrow a random live entry of kind @k: returns its index, or -1 if there is none. */
static int get_fd(struct rng *r, enum kind k, int *fd, struct kvm_run **run)
{
	int start = below(r, MAX_FDS);

	pthread_mutex_lock(&tab.lock);
	for (int n = 0; n < MAX_FDS; n++) {
		int i = (start + n) % MAX_FDS;
		struct entry *e = &tab.e[k][i];

		if (e->fd >= 0 && !e->dead) {
			e->users++;
			*fd = e->fd;
			if (run)
				*run = e->run;
			pthread_mutex_unlock(&tab.lock);
			return i;
		}
	}
	pthread_mutex_unlock(&tab.lock);
	return -1;
}

static void release_entry(enum kind k, int i)
{
	struct entry *e = &tab.e[k][i];
	struct kvm_run *unmap = NULL;

	pthread_mutex_lock(&tab.lock);
	if (--e->users == 0 && e->dead) {
		unmap = e->run;
		e->run = NULL;
		e->dead = 0;
		e->fd = -1;
	}
	pthread_mutex_unlock(&tab.lock);
	if (unmap)
		munmap(unmap, run_size);
}

/* Close a random fd of kind @k while other threads may still be using it. */
static void op_close(struct rng *r, enum kind k)
{
	int start = below(r, MAX_FDS), fd = -1;
	struct kvm_run *unmap = NULL;

	pthread_mutex_lock(&tab.lock);
	for (int n = 0; n < MAX_FDS; n++) {
		struct entry *e = &tab.e[k][(start + n) % MAX_FDS];

		if (e->fd >= 0 && !e->dead) {
			fd = e->fd;
			if (e->users) {
				/* In use: the fd goes now, the run mapping with the last user. */
				e->dead = 1;
			} else {
				unmap = e->run;
				e->run = NULL;
				e->fd = -1;
			}
			break;
		}
	}
	pthread_mutex_unlock(&tab.lock);
	if (fd < 0)
		return;
	if (unmap)
		munmap(unmap, run_size);
	close(fd);
	count_call();
}

/* ---- guest programs ----------------------------------------------------------------- */
#ifndef __powerpc64__
static uint32_t movz(int rd, uint16_t imm, int hw)
{
	return 0xd2800000u | (hw << 21) | ((uint32_t)imm << 5) | rd;
}

static uint32_t movk(int rd, uint16_t imm, int hw)
{
	return 0xf2800000u | (hw << 21) | ((uint32_t)imm << 5) | rd;
}

static int emit_mov64(uint32_t *p, int rd, uint64_t v)
{
	p[0] = movz(rd, v & 0xffff, 0);
	p[1] = movk(rd, (v >> 16) & 0xffff, 1);
	p[2] = movk(rd, (v >> 32) & 0xffff, 2);
	p[3] = movk(rd, (v >> 48) & 0xffff, 3);
	return 4;
}

#endif

/* An IPA for a guest access: RAM, MMIO, a page boundary, beyond the IPA space, anything. */
static uint64_t rnd_ipa(struct rng *r)
{
	switch (below(r, 6)) {
	case 0:
		return GUEST_BASE + 0x1000 + below(r, CHUNK_SIZE - 0x1000);
	case 1:
		return GUEST_MMIO + below(r, 0x10000);
	case 2:
		return GUEST_MMIO + 0xffc + below(r, 8); /* straddles a page */
	case 3:
		return 1ULL << (32 + below(r, 20)); /* beyond small IPA sizes */
	case 4:
		return GUEST_BASE + CHUNK_SIZE * below(r, ARENA_CHUNKS) - below(r, 8);
	default:
#ifdef __powerpc64__
		if (chance(r, 50)) /* the XIVE device's pages, when a VM has them (op_xive) */
			return GUEST_BASE + ARENA_CHUNKS * CHUNK_SIZE + below(r, 36 << 16);
#endif
		return rnd(r) & 0x0000ffffffffffffULL;
	}
}

#ifdef __powerpc64__
/* rd = v: lis, ori, sldi 32, oris, ori. */
static int emit_li64(uint32_t *p, int rd, uint64_t v)
{
	p[0] = 0x3c000000u | rd << 21 | ((v >> 48) & 0xffff);
	p[1] = 0x60000000u | rd << 21 | rd << 16 | ((v >> 32) & 0xffff);
	p[2] = 0x780007c6u | rd << 21 | rd << 16;
	p[3] = 0x64000000u | rd << 21 | rd << 16 | ((v >> 16) & 0xffff);
	p[4] = 0x60000000u | rd << 21 | rd << 16 | (v & 0xffff);
	return 5;
}

/* mfspr/mtspr r5 with the SPR number's two halves swapped, as the encoding wants. */
static uint32_t spr_op(int to, unsigned int spr)
{
	return (to ? 0x7ca003a6u : 0x7ca002a6u) | (spr & 0x1f) << 16 | ((spr >> 5) & 0x1f) << 11;
}

static void make_program(struct rng *r, uint32_t *p)
{
	static const uint32_t access[] = {
		0x90a90000, /* stw r5, 0(r9) */
		0x80a90000, /* lwz r5, 0(r9) */
		0x98a90000, /* stb r5, 0(r9) */
		0xa0a90000, /* lhz r5, 0(r9) */
		0xe8a90000, /* ld r5, 0(r9) */
		0xf8a90000, /* std r5, 0(r9) */
		0x7ca04828, /* lwarx r5, 0, r9 */
		0x7ca0492d, /* stwcx. r5, 0, r9 */
		0x7ca048a8, /* ldarx r5, 0, r9 */
		0x7ca049ad, /* stdcx. r5, 0, r9 */
		0x7c004fec, /* dcbz 0, r9 */
		0x7ca04c2c, /* lwbrx r5, 0, r9 */
	};
	/* H_CEDE, H_CONFER, H_PROD, H_REGISTER_VPA, the TCE calls, others and KVM's range. */
	static const uint64_t hcalls[] = { 0xe0,  0xe4,	 0xe8, 0xdc, 0x1c,   0x20,
					   0x138, 0x13c, 0x04, 0x08, 0x7100, 0xf000 };
	int n = 0;

	while (n < PROGRAM_WORDS - 12) {
		switch (below(r, 12)) {
		case 0: /* sc 1: H_CEDE, H_CONFER, H_PROD, others and anything */
			n += emit_li64(p + n, 3,
				       chance(r, 60) ? hcalls[below(r, sizeof(hcalls) / 8)]
						     : rnd(r));
			/* r4: a vCPU id or one of the fuzzer's LIOBNs; r5-r7: addresses, TCEs. */
			n += emit_li64(p + n, 4,
				       chance(r, 50)   ? below(r, 4)
				       : chance(r, 50) ? 0x80000000u + below(r, 4)
						       : rnd_val(r));
			n += emit_li64(p + n, 5,
				       chance(r, 50) ? 0x1000 * below(r, 64) : rnd_val(r));
			n += emit_li64(p + n, 6,
				       chance(r, 50) ? rnd_ipa(r) | below(r, 4) : rnd_val(r));
			n += emit_li64(p + n, 7, chance(r, 70) ? below(r, 600) : rnd_val(r));
			p[n++] = 0x44000022;
			break;
		case 1:
		case 2:
		case 3: /* a memory access */
			n += emit_li64(p + n, 9, rnd_ipa(r));
			p[n++] = access[below(r, sizeof(access) / sizeof(access[0]))];
			break;
		case 4: /* the decrementer, then maybe external interrupts on or off */
			n += emit_li64(p + n, 5, chance(r, 70) ? below(r, 100000) : rnd(r));
			p[n++] = 0x7cb603a6; /* mtdec r5 */
			if (chance(r, 50)) {
				n += emit_li64(p + n, 5,
					       0x8000000000001001ULL |
						       (chance(r, 50) ? 0x8000 : 0));
				p[n++] = 0x7ca10164; /* mtmsrd r5, 1 */
			}
			break;
		case 5: /* stop, msgsndp, msgclrp */
			n += emit_li64(p + n, 5, chance(r, 70) ? (5u << 27) | below(r, 8) : rnd(r));
			p[n++] = chance(r, 40)	 ? 0x4c0002e4
				 : chance(r, 70) ? 0x7c00291c
						 : 0x7c00295c;
			break;
		case 6: /* mfspr/mtspr of a random SPR */
			if (chance(r, 50))
				n += emit_li64(p + n, 5, rnd_val(r));
			p[n++] = spr_op(chance(r, 50), (unsigned int)below(r, 1024));
			break;
		case 7: /* a whole new MSR (translation, endianness, problem state...) */
			n += emit_li64(p + n, 5,
				       chance(r, 50) ? 0x8000000000001001ULL | rnd(r) : rnd(r));
			p[n++] = 0x7ca00164; /* mtmsrd r5 */
			break;
		case 8:
			p[n++] = (uint32_t)rnd(r); /* anything */
			break;
		case 9:
			p[n++] = chance(r, 50) ? 0x4c000024 : 0x7fe00008; /* rfid / trap */
			break;
		case 10:
			n += emit_li64(p + n, 5, rnd_val(r));
			p[n++] = 0x7c002a24; /* tlbiel r5 */
			break;
		default:
			p[n++] = 0x60000000; /* nop */
		}
	}
	/* Loop back to the start forever (the signaller ends the KVM_RUN). */
	p[n] = 0x48000000u | ((uint32_t)(-4 * n) & 0x3fffffc);
}
#else
static void make_program(struct rng *r, uint32_t *p)
{
	static const uint32_t access[] = {
		0xf9000020, /* str x0, [x1] */
		0xf9400020, /* ldr x0, [x1] */
		0x39000020, /* strb w0, [x1] */
		0x79400020, /* ldrh w0, [x1] */
		0xb9800020, /* ldrsw x0, [x1] */
		0xc85f7c20, /* ldxr x0, [x1] */
		0xc8027c20, /* stxr w2, x0, [x1] */
		0xf8200022, /* ldadd x0, x2, [x1] (LSE) */
		0xc8dffc20, /* ldar x0, [x1] */
		0xa9400c22, /* ldp x2, x3, [x1] */
		0xd50b7421, /* dc zva, x1 */
		0xd50b7e21, /* dc civac, x1 */
		0x3d800020, /* str q0, [x1] */
	};
	int n = 0;

	while (n < PROGRAM_WORDS - 8) {
		switch (below(r, 10)) {
		case 0: /* HVC or SMC with a random function id */
			n += emit_mov64(p + n, 0,
					chance(r, 50) ? (0x84000000 | below(r, 0x20)) |
								(below(r, 2) << 30)
						      : rnd(r));
			p[n++] = chance(r, 70) ? 0xd4000002 : 0xd4000003;
			break;
		case 1:
		case 2:
		case 3: /* a memory access */
			n += emit_mov64(p + n, 1, rnd_ipa(r));
			p[n++] = access[below(r, sizeof(access) / sizeof(access[0]))];
			break;
		case 4:
			p[n++] = chance(r, 70) ? 0xd503207f : 0xd503205f; /* wfi / wfe */
			break;
		case 5: /* mrs/msr of a random system register, a third of them the PMU's */
			p[n++] = (chance(r, 50) ? 0xd5300000 : 0xd5100000) |
				 ((chance(r, 33) ? 1 << 14 | (chance(r, 80) ? 3 : 0) << 11 |
							   (chance(r, 50) ? 9 : 14) << 7 |
							   below(r, 1 << 7)
						 : below(r, 1 << 15))
				  << 5) |
				 below(r, 31);
			break;
		case 6: /* VBAR_EL1 somewhere (RAM, MMIO, unmapped) */
			n += emit_mov64(p + n, 3,
					chance(r, 50) ? GUEST_BASE : rnd_ipa(r) & ~0x7ffULL);
			p[n++] = 0xd518c003; /* msr vbar_el1, x3 */
			break;
		case 7:
			p[n++] = (uint32_t)rnd(r); /* anything */
			break;
		case 8:
			p[n++] = chance(r, 50) ? 0xd69f03e0 : 0xd4200000; /* eret / brk #0 */
			break;
		default:
			p[n++] = 0xd503201f; /* nop */
		}
	}
	/* Loop back to the start forever (the signaller ends the KVM_RUN). */
	p[n] = 0x14000000u | ((uint32_t)(-n) & 0x3ffffff);
}

#endif

/* ---- operations --------------------------------------------------------------------- */
static long xioctl(int fd, unsigned long cmd, uint64_t arg)
{
	long ret = ioctl(fd, cmd, (unsigned long)arg);

	count_call();
	return ret;
}

static void op_open_dev(struct rng *r)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	count_call();
	(void)r;
	if (fd >= 0)
		put_fd(K_DEV, fd, NULL);
}

static void op_create_vm(struct rng *r)
{
	int dev, i = get_fd(r, K_DEV, &dev, NULL);
	uint64_t type;
	long vm;

	if (i < 0)
		return op_open_dev(r);
	type = chance(r, 60) ? 0 : chance(r, 50) ? 32 + below(r, 21) : rnd_val(r);
	vm = xioctl(dev, KVM_CREATE_VM, type);
	release_entry(K_DEV, i);
	if (vm >= 0)
		put_fd(K_VM, vm, NULL);
}

static uint64_t rnd_gpa(struct rng *r)
{
	switch (below(r, 5)) {
	case 0:
	case 1:
		return GUEST_BASE + CHUNK_SIZE * below(r, ARENA_CHUNKS);
	case 2:
		return (rnd(r) & 0xffffffffff000ULL);
	case 3:
		return 1ULL << below(r, 64);
	default:
		return rnd_val(r);
	}
}

static uint64_t rnd_uaddr(struct rng *r)
{
	switch (below(r, 8)) {
	case 0:
		return 0;
	case 1:
		return (uintptr_t)noaccess;
	case 2:
		return (uintptr_t)arena + 1;
	case 3:
		return chance(r, 50) ? 0xffff800010000000ULL : 0xc000000000010000ULL;
	default:
		return (uintptr_t)arena + CHUNK_SIZE * below(r, ARENA_CHUNKS);
	}
}

static void op_memslot(struct rng *r)
{
	static const uint32_t flags[] = { 0, KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_READONLY, 3, 4, ~0u };
	int vm, i = get_fd(r, K_VM, &vm, NULL);
	struct kvm_userspace_memory_region reg;
	uint64_t arg;

	if (i < 0)
		return;
	reg.slot = chance(r, 80) ? below(r, 8) : (uint32_t)rnd_val(r);
	reg.flags = chance(r, 70) ? 0 : flags[below(r, sizeof(flags) / sizeof(flags[0]))];
	reg.guest_phys_addr = rnd_gpa(r);
	switch (below(r, 6)) {
	case 0:
		reg.memory_size = 0; /* delete */
		break;
	case 1:
		reg.memory_size = rnd_val(r);
		break;
	case 2:
		reg.memory_size = 4096 * (1 + below(r, 16));
		break;
	default:
		reg.memory_size = CHUNK_SIZE * (1 + below(r, 2));
	}
	reg.userspace_addr = rnd_uaddr(r);
	/*
	 * A slot the kernel accepts lets the guests write its memory: keep every one that could
	 * be accepted inside the reservation (user addresses end at 1 << 48), so that no guest
	 * scribbles over the fuzzer's own stacks and heap.
	 */
	if (reg.userspace_addr >= (uintptr_t)arena &&
	    reg.userspace_addr < (uintptr_t)arena + ARENA_RESERVE &&
	    reg.userspace_addr + reg.memory_size > (uintptr_t)arena + ARENA_RESERVE &&
	    reg.userspace_addr + reg.memory_size >= reg.userspace_addr &&
	    reg.userspace_addr + reg.memory_size <= (1ULL << 48))
		reg.memory_size =
			((uintptr_t)arena + ARENA_RESERVE - reg.userspace_addr) & ~0xfffULL;
	memcpy(scratch + 1024, &reg, sizeof(reg));
	arg = chance(r, 90) ? (uintptr_t)(scratch + 1024) : rnd_ptr(r, sizeof(reg));
	xioctl(vm, KVM_SET_USER_MEMORY_REGION, arg);
	release_entry(K_VM, i);
}

#ifdef __powerpc64__
/*
 * A radix VM with RAM at 0 (code chunk first: the programs double as interrupt vectors),
 * sometimes stop0lite, emulated SMT and a process table somewhere, and a vCPU that
 * starts in a program in real mode (or not).
 */
static void op_runnable(struct rng *r)
{
	int dev, i = get_fd(r, K_DEV, &dev, NULL);
	struct kvm_userspace_memory_region reg = {
		.guest_phys_addr = GUEST_BASE,
		.memory_size = CHUNK_SIZE * 2,
		.userspace_addr = (uintptr_t)arena,
	};
	struct kvm_ppc_mmuv3_cfg mmu = {
		.flags = KVM_PPC_MMUV3_RADIX | (chance(r, 70) ? KVM_PPC_MMUV3_GTSE : 0),
		.process_table = (1ULL << 63) | ((CHUNK_SIZE + 4096 * below(r, 8)) & ~0xfffULL) |
				 below(r, 3),
	};
	struct kvm_enable_cap papr = { .cap = KVM_CAP_PPC_PAPR };
	struct kvm_one_reg one;
	struct kvm_regs regs;
	uint64_t lpcr;
	long vm, vcpu;
	void *run;

	if (i < 0)
		return op_open_dev(r);
	vm = xioctl(dev, KVM_CREATE_VM, chance(r, 50) ? 0 : KVM_VM_PPC_HV);
	release_entry(K_DEV, i);
	if (vm < 0)
		return;
	xioctl(vm, KVM_SET_USER_MEMORY_REGION, (uintptr_t)&reg);
	if (chance(r, 40)) {
		struct kvm_enable_cap cap = { .cap = KVMX_CAP_PPC_STOP0LITE };

		xioctl(vm, KVM_ENABLE_CAP, (uintptr_t)&cap);
	}
	if (chance(r, 40)) {
		struct kvm_enable_cap cap = { .cap = KVM_CAP_PPC_SMT,
					      .args = { 1 << below(r, 4) } };

		xioctl(vm, KVM_ENABLE_CAP, (uintptr_t)&cap);
	}
	if (chance(r, 40)) {
		/* Halt polling off, short or long for this VM's idle vCPUs. */
		struct kvm_enable_cap cap = { .cap = KVM_CAP_HALT_POLL,
					      .args = { chance(r, 30) ? 0 : below(r, 500000) } };

		xioctl(vm, KVM_ENABLE_CAP, (uintptr_t)&cap);
	}
	if (chance(r, 70))
		xioctl(vm, KVM_PPC_CONFIGURE_V3_MMU, (uintptr_t)&mmu);
	vcpu = xioctl(vm, KVM_CREATE_VCPU, below(r, 4));
	if (vcpu < 0) {
		put_fd(K_VM, vm, NULL);
		return;
	}
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	count_call();
	if (run == MAP_FAILED)
		run = NULL;
	xioctl(vcpu, KVM_ENABLE_CAP, (uintptr_t)&papr);
	lpcr = (1ULL << 25) | (chance(r, 30) ? 3ULL << 23 : 0); /* ILE, maybe AIL=3 */
	one.id = KVM_REG_PPC_LPCR_64;
	one.addr = (uintptr_t)&lpcr;
	xioctl(vcpu, KVM_SET_ONE_REG, (uintptr_t)&one);
	memset(&regs, 0, sizeof(regs));
	regs.pc = GUEST_BASE + 4 * PROGRAM_WORDS * below(r, NR_PROGRAMS);
	regs.msr =
		0x8000000000001001ULL | (chance(r, 30) ? 0x8000 : 0) | (chance(r, 20) ? 0x30 : 0);
	xioctl(vcpu, KVM_SET_REGS, (uintptr_t)&regs);
	put_fd(K_VM, vm, NULL);
	put_fd(K_VCPU, vcpu, run);
}
#else
/* A VM with RAM at GUEST_BASE (code chunk first) and a vCPU that starts in a program. */
static void op_runnable(struct rng *r)
{
	int dev, i = get_fd(r, K_DEV, &dev, NULL);
	struct kvm_userspace_memory_region reg = {
		.guest_phys_addr = GUEST_BASE,
		.memory_size = CHUNK_SIZE * 2,
		.userspace_addr = (uintptr_t)arena,
	};
	struct kvm_vcpu_init init;
	struct kvm_one_reg one;
	uint64_t pc, cpacr = 3 << 20;
	long vm, vcpu;
	void *run;

	if (i < 0)
		return op_open_dev(r);
	vm = xioctl(dev, KVM_CREATE_VM, 0);
	release_entry(K_DEV, i);
	if (vm < 0)
		return;
	xioctl(vm, KVM_SET_USER_MEMORY_REGION, (uintptr_t)&reg);
	if (chance(r, 30)) {
		struct kvm_enable_cap cap = { .cap = KVM_CAP_ARM_SYSTEM_SUSPEND };

		xioctl(vm, KVM_ENABLE_CAP, (uintptr_t)&cap);
	}
	vcpu = xioctl(vm, KVM_CREATE_VCPU, below(r, 4));
	if (vcpu < 0) {
		put_fd(K_VM, vm, NULL);
		return;
	}
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	count_call();
	if (run == MAP_FAILED)
		run = NULL;
	if (!xioctl(vm, KVM_ARM_PREFERRED_TARGET, (uintptr_t)&init)) {
		init.features[0] =
			chance(r, 80) ? 1 << KVM_ARM_VCPU_PSCI_0_2 : (uint32_t)rnd_val(r);
		if (chance(r, 25)) /* a guest PMU, sometimes initialised, with an IRQ or not */
			init.features[0] |= 1 << KVM_ARM_VCPU_PMU_V3;
		xioctl(vcpu, KVM_ARM_VCPU_INIT, (uintptr_t)&init);
		if (chance(r, 50)) {
			int irq = chance(r, 80) ? 23 : (int)rnd(r);
			struct kvm_device_attr a = {
				.group = KVM_ARM_VCPU_PMU_V3_CTRL,
				.attr = KVM_ARM_VCPU_PMU_V3_IRQ,
				.addr = (uintptr_t)&irq,
			};

			if (chance(r, 50))
				xioctl(vcpu, KVM_SET_DEVICE_ATTR, (uintptr_t)&a);
			a.attr = KVM_ARM_VCPU_PMU_V3_INIT;
			xioctl(vcpu, KVM_SET_DEVICE_ATTR, (uintptr_t)&a);
		}
	}
	pc = GUEST_BASE + 4 * PROGRAM_WORDS * below(r, NR_PROGRAMS);
	one.id = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |
		 (offsetof(struct kvm_regs, regs.pc) / sizeof(__u32));
	one.addr = (uintptr_t)&pc;
	xioctl(vcpu, KVM_SET_ONE_REG, (uintptr_t)&one);
	one.id = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM64_SYSREG | (3 << 14) | (1 << 7) | 2;
	one.addr = (uintptr_t)&cpacr;
	xioctl(vcpu, KVM_SET_ONE_REG, (uintptr_t)&one);
	if (chance(r, 30)) { /* PV time somewhere: RAM, MMIO, or soon-to-go memory */
		uint64_t ipa = chance(r, 50) ? GUEST_BASE + CHUNK_SIZE + 64 * below(r, 16)
					     : rnd_ipa(r) & ~63ULL;
		struct kvm_device_attr a = {
			.group = KVM_ARM_VCPU_PVTIME_CTRL,
			.attr = KVM_ARM_VCPU_PVTIME_IPA,
			.addr = (uintptr_t)&ipa,
		};

		xioctl(vcpu, KVM_SET_DEVICE_ATTR, (uintptr_t)&a);
	}
	put_fd(K_VM, vm, NULL);
	put_fd(K_VCPU, vcpu, run);
}

#endif

static void op_run(struct rng *r)
{
	struct kvm_run *run;
	int fd, i = get_fd(r, K_VCPU, &fd, &run);
	int n = 1 + below(r, 4);

	if (i < 0)
		return op_runnable(r);
	while (n-- && !atomic_load(&stop)) {
		if (run) {
			run->immediate_exit = chance(r, 5);
			if (run->exit_reason == KVM_EXIT_MMIO && !run->mmio.is_write) {
				uint64_t v = rnd_val(r);

				memcpy(run->mmio.data, &v, sizeof(v));
			}
		}
		if (xioctl(fd, KVM_RUN, 0) < 0 && errno != EINTR)
			break;
	}
	release_entry(K_VCPU, i);
}

/* The ioctls kvmx implements, by the fd they belong to, with their argument sizes. */
struct known {
	enum kind k;
	unsigned long cmd;
	size_t size;
};

static const struct known known[] = {
	{ K_DEV, KVM_GET_API_VERSION, 0 },
	{ K_DEV, KVM_CREATE_VM, 0 },
	{ K_DEV, KVM_CHECK_EXTENSION, 0 },
	{ K_DEV, KVM_GET_VCPU_MMAP_SIZE, 0 },
#ifndef __powerpc64__
	{ K_DEV, KVM_ARM_PREFERRED_TARGET, sizeof(struct kvm_vcpu_init) },
#endif
	{ K_VM, KVM_CHECK_EXTENSION, 0 },
	{ K_VM, KVM_CREATE_VCPU, 0 },
	{ K_VM, KVM_SET_USER_MEMORY_REGION, sizeof(struct kvm_userspace_memory_region) },
	{ K_VM, KVM_SET_USER_MEMORY_REGION2, sizeof(struct kvm_userspace_memory_region2) },
	{ K_VM, KVM_GET_DIRTY_LOG, sizeof(struct kvm_dirty_log) },
	{ K_VM, KVM_CLEAR_DIRTY_LOG, sizeof(struct kvm_clear_dirty_log) },
#ifdef __powerpc64__
	{ K_VM, KVM_PPC_CONFIGURE_V3_MMU, sizeof(struct kvm_ppc_mmuv3_cfg) },
	{ K_VM, KVM_PPC_GET_SMMU_INFO, sizeof(struct kvm_ppc_smmu_info) },
	{ K_VM, KVM_PPC_GET_RMMU_INFO, sizeof(struct kvm_ppc_rmmu_info) },
	{ K_VM, KVM_PPC_GET_CPU_CHAR, sizeof(struct kvm_ppc_cpu_char) },
	{ K_VM, KVM_CREATE_SPAPR_TCE_64, sizeof(struct kvm_create_spapr_tce_64) },
	{ K_VM, KVM_CREATE_SPAPR_TCE, sizeof(struct kvm_create_spapr_tce) },
#else
	{ K_VM, KVM_ARM_PREFERRED_TARGET, sizeof(struct kvm_vcpu_init) },
	{ K_VM, KVM_IRQ_LINE, sizeof(struct kvm_irq_level) },
	{ K_VM, KVM_SET_DEVICE_ATTR, sizeof(struct kvm_device_attr) }, /* the SMCCC filter */
	{ K_VM, KVM_HAS_DEVICE_ATTR, sizeof(struct kvm_device_attr) },
	{ K_VM, KVM_ARM_GET_REG_WRITABLE_MASKS, sizeof(struct reg_mask_range) },
#endif
	{ K_VM, KVM_ENABLE_CAP, sizeof(struct kvm_enable_cap) },
	{ K_VM, KVM_IOEVENTFD, sizeof(struct kvm_ioeventfd) },
	{ K_VM, KVM_IRQFD, sizeof(struct kvm_irqfd) },
	{ K_VM, KVM_SET_GSI_ROUTING, 8 },
	{ K_VM, KVM_SIGNAL_MSI, sizeof(struct kvm_msi) },
	{ K_VM, KVM_CREATE_DEVICE, sizeof(struct kvm_create_device) },
	{ K_VM, KVM_GET_STATS_FD, 0 },
	{ K_VCPU, KVM_RUN, 0 },
	{ K_VCPU, KVM_SET_SIGNAL_MASK, 12 },
#ifdef __powerpc64__
	{ K_VCPU, KVM_INTERRUPT, sizeof(struct kvm_interrupt) },
	{ K_VCPU, KVM_GET_SREGS, sizeof(struct kvm_sregs) },
	{ K_VCPU, KVM_SET_SREGS, sizeof(struct kvm_sregs) },
#else
	{ K_VCPU, KVM_ARM_VCPU_INIT, sizeof(struct kvm_vcpu_init) },
	{ K_VCPU, KVM_GET_VCPU_EVENTS, sizeof(struct kvm_vcpu_events) },
	{ K_VCPU, KVM_SET_VCPU_EVENTS, sizeof(struct kvm_vcpu_events) },
#endif
	{ K_VCPU, KVM_GET_ONE_REG, sizeof(struct kvm_one_reg) },
	{ K_VCPU, KVM_SET_ONE_REG, sizeof(struct kvm_one_reg) },
	{ K_VCPU, KVM_GET_REG_LIST, 8 },
	{ K_VCPU, KVM_GET_REGS, sizeof(struct kvm_regs) },
	{ K_VCPU, KVM_SET_REGS, sizeof(struct kvm_regs) },
	{ K_VCPU, KVM_GET_FPU, sizeof(struct kvm_fpu) },
	{ K_VCPU, KVM_SET_FPU, sizeof(struct kvm_fpu) },
	{ K_VCPU, KVM_GET_MP_STATE, sizeof(struct kvm_mp_state) },
	{ K_VCPU, KVM_SET_MP_STATE, sizeof(struct kvm_mp_state) },
	{ K_VCPU, KVM_SET_GUEST_DEBUG, sizeof(struct kvm_guest_debug) },
	{ K_VCPU, KVM_GET_DEVICE_ATTR, sizeof(struct kvm_device_attr) },
	{ K_VCPU, KVM_SET_DEVICE_ATTR, sizeof(struct kvm_device_attr) },
	{ K_VCPU, KVM_HAS_DEVICE_ATTR, sizeof(struct kvm_device_attr) },
	{ K_VCPU, KVM_ENABLE_CAP, sizeof(struct kvm_enable_cap) },
	{ K_VCPU, KVM_GET_STATS_FD, 0 },
#ifndef __powerpc64__
	{ K_VCPU, KVM_IRQ_LINE, sizeof(struct kvm_irq_level) },
#endif
	{ K_DEVICE, KVM_GET_DEVICE_ATTR, sizeof(struct kvm_device_attr) },
	{ K_DEVICE, KVM_SET_DEVICE_ATTR, sizeof(struct kvm_device_attr) },
	{ K_DEVICE, KVM_HAS_DEVICE_ATTR, sizeof(struct kvm_device_attr) },
};
#define NR_KNOWN (sizeof(known) / sizeof(known[0]))

/* A register id: a known one (core, sysreg, firmware, PV time), or anything. */
static uint64_t rnd_reg_id(struct rng *r)
{
	uint64_t size = (uint64_t)below(r, 8) << KVM_REG_SIZE_SHIFT;
#ifdef __powerpc64__
	/* POWER: the SPR-like ids (1..0xc4), FPR/VR/VSR ranges, any size, or anything. */
	switch (below(r, 4)) {
	case 0:
		return KVM_REG_PPC | KVM_REG_SIZE_U64 | below(r, 0xc8);
	case 1:
		return KVM_REG_PPC | KVM_REG_SIZE_U32 | below(r, 0xc8);
	case 2:
		return KVM_REG_PPC | (chance(r, 50) ? KVM_REG_SIZE_U128 : size) | below(r, 0x100);
	default:
		return rnd(r);
	}
#else

	static const uint64_t timers[] = {
		KVM_REG_ARM_TIMER_CTL,	KVM_REG_ARM_TIMER_CNT,	KVM_REG_ARM_TIMER_CVAL,
		KVM_REG_ARM_PTIMER_CTL, KVM_REG_ARM_PTIMER_CNT, KVM_REG_ARM_PTIMER_CVAL,
	};

	switch (below(r, 7)) {
	case 0:
		return KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | below(r, 80);
	case 1:
		return KVM_REG_ARM64 | (chance(r, 50) ? KVM_REG_SIZE_U128 : size) |
		       KVM_REG_ARM_CORE | below(r, 0x200);
	case 2:
		return KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM64_SYSREG |
		       (below(r, 4) << 14 | below(r, 1 << 14));
	case 3:
		return KVM_REG_ARM64 | (chance(r, 80) ? KVM_REG_SIZE_U64 : size) | KVM_REG_ARM_FW |
		       below(r, 8) | (chance(r, 50) ? (1 << 8) : 0);
	case 4: /* both timers: a counter written sets an offset (the physical one traps) */
		return timers[below(r, 6)];
	case 5: /* the CCSIDR registers (DEMUX): CSSELR 0-15, mostly 32-bit */
		return KVM_REG_ARM64 | (chance(r, 80) ? KVM_REG_SIZE_U32 : size) |
		       KVM_REG_ARM_DEMUX | below(r, 16) | (chance(r, 10) ? 1 << 8 : 0);
	default:
		return rnd(r);
	}
#endif
}

/* Fill the argument structure of @cmd in scratch with plausible-but-random contents. */
static uint64_t make_arg(struct rng *r, unsigned long cmd, size_t size)
{
	uint8_t *a = scratch + 2048;
	uint64_t *q = (uint64_t *)a;

	fill_scratch(r);
	memset(a, 0, 512);
	switch (cmd) {
	case KVM_CHECK_EXTENSION:
		return chance(r, 70)   ? below(r, 240)
		       : chance(r, 50) ? KVMX_CAP_BASE + below(r, 8)
				       : rnd_val(r);
	case KVM_CREATE_VCPU:
		return chance(r, 80) ? below(r, 8) : rnd_val(r);
	case KVM_CREATE_VM:
		return chance(r, 50) ? 0 : rnd_val(r);
	case KVM_GET_ONE_REG:
	case KVM_SET_ONE_REG: {
		struct kvm_one_reg *o = (void *)a;

		o->id = rnd_reg_id(r);
		o->addr = chance(r, 70) ? (uintptr_t)scratch + 8 * below(r, 32) : rnd_ptr(r, 16);
		break;
	}
	case KVM_GET_REG_LIST:
		q[0] = chance(r, 50) ? below(r, 600) : rnd_val(r);
		break;
	case KVM_SET_SIGNAL_MASK: {
		/* len, then the set at offset 4; SIGUSR1 (the signaller's) stays deliverable
		 * so that a blocked or spinning KVM_RUN is still interrupted (and again in
		 * signal_mask_arg, as other threads write scratch meanwhile). */
		uint64_t set = rnd_val(r) & ~(1ULL << (SIGUSR1 - 1));
		uint32_t len = chance(r, 85) ? 8 : (uint32_t)rnd_val(r);

		memcpy(a, &len, 4);
		memcpy(a + 4, &set, 8);
		if (chance(r, 10))
			return 0; /* NULL: drop the mask */
		break;
	}
	case KVM_SET_MP_STATE:
		q[0] = chance(r, 80) ? below(r, 10) : rnd(r);
		break;
	case KVM_GET_DEVICE_ATTR:
	case KVM_SET_DEVICE_ATTR:
	case KVM_HAS_DEVICE_ATTR: {
		struct kvm_device_attr *d = (void *)a;

		d->flags = chance(r, 90) ? 0 : rnd(r);
		d->group = chance(r, 70) ? below(r, 4) : rnd_val(r);
		d->attr = chance(r, 70) ? below(r, 4) : rnd_val(r);
		d->addr = chance(r, 60) ? (uintptr_t)scratch + 8 * below(r, 32) : rnd_ptr(r, 8);
		q[4] = chance(r, 50) ? GUEST_BASE + 64 * below(r, 2048) : rnd_val(r);
#ifndef __powerpc64__
		if (chance(r, 30)) { /* the VM's SMCCC filter: a plausible range */
			struct kvm_smccc_filter *f = (void *)(scratch + 1024);

			memset(f, 0, sizeof(*f));
			f->base = chance(r, 70) ? 0x84000000u + below(r, 32) : (uint32_t)rnd(r);
			f->nr_functions = chance(r, 80) ? 1 + below(r, 4) : (uint32_t)rnd(r);
			f->action = below(r, 4);
			if (chance(r, 5))
				f->pad[below(r, 15)] = 1;
			d->group = KVM_ARM_VM_SMCCC_CTRL;
			d->attr = KVM_ARM_VM_SMCCC_FILTER;
			d->addr = (uintptr_t)f;
		} else if (chance(r, 30)) { /* a vCPU's PMU: IRQ, INIT, FILTER or SET_PMU */
			struct kvm_pmu_event_filter *f = (void *)(scratch + 1024);
			int *n = (int *)(scratch + 1024);

			d->group = KVM_ARM_VCPU_PMU_V3_CTRL;
			d->attr = below(r, 5);
			d->addr = (uintptr_t)(scratch + 1024);
			if (d->attr == KVM_ARM_VCPU_PMU_V3_FILTER) {
				memset(f, 0, sizeof(*f));
				f->base_event = chance(r, 70) ? below(r, 0x40) : (uint16_t)rnd(r);
				f->nevents = chance(r, 70) ? 1 + below(r, 16) : (uint16_t)rnd(r);
				f->action = below(r, 3);
			} else {
				*n = chance(r, 70) ? (int)below(r, 1100) : (int)rnd(r);
			}
		}
#endif
		break;
	}
	case KVM_IRQ_LINE: {
		struct kvm_irq_level *l = (void *)a;

		l->irq = chance(r, 70) ? (below(r, 4) << 24 | below(r, 4) << 16 | below(r, 4))
				       : rnd(r);
		l->level = below(r, 3);
		break;
	}
	case KVM_ENABLE_CAP: {
		struct kvm_enable_cap *c = (void *)a;

#ifdef __powerpc64__
		static const uint32_t caps[] = { KVM_CAP_PPC_PAPR,	 KVM_CAP_PPC_SMT,
						 KVMX_CAP_PPC_STOP0LITE, KVM_CAP_PPC_ENABLE_HCALL,
						 KVM_CAP_PPC_FWNMI,	 KVM_CAP_HALT_POLL };
		static const uint64_t hcalls[] = {
			0xe0, 0xe4, 0xe8, 0xdc, 0x1c, 0x20, 0x138, 0x13c
		};

		c->cap = chance(r, 50) ? caps[below(r, 6)] : below(r, 240);
#else
		c->cap = chance(r, 50) ? KVM_CAP_ARM_SYSTEM_SUSPEND : below(r, 240);
#endif
		c->flags = chance(r, 80) ? 0 : rnd(r);
		for (int i = 0; i < 4; i++)
			c->args[i] = rnd_val(r);
#ifdef __powerpc64__
		if (c->cap == KVM_CAP_PPC_ENABLE_HCALL && chance(r, 70)) {
			c->args[0] = hcalls[below(r, 8)];
			c->args[1] = below(r, 3);
		}
		/* The halt-polling bound: mostly plausible ns, sometimes beyond 32 bits. */
		if (c->cap == KVM_CAP_HALT_POLL && chance(r, 70))
			c->args[0] = chance(r, 20) ? 0 : below(r, 1000000);
#endif
		break;
	}
#ifndef __powerpc64__
	case KVM_ARM_GET_REG_WRITABLE_MASKS: {
		/* 192 masks: into the scratch page's first half, or a hostile pointer. */
		struct reg_mask_range *m = (void *)a;

		m->addr = chance(r, 70) ? (uintptr_t)scratch
					: rnd_ptr(r, KVM_ARM_FEATURE_ID_RANGE_SIZE * 8);
		m->range = chance(r, 85) ? KVM_ARM_FEATURE_ID_RANGE : (uint32_t)rnd(r);
		if (chance(r, 10))
			m->reserved[below(r, 13)] = (uint32_t)rnd(r);
		break;
	}
#endif
	case KVM_CREATE_DEVICE: {
		struct kvm_create_device *d = (void *)a;

		d->type = below(r, 12);
		d->flags = chance(r, 70) ? 0 : rnd(r);
		break;
	}
	case KVM_GET_DIRTY_LOG: {
		struct kvm_dirty_log *l = (void *)a;

		l->slot = below(r, 8) | (chance(r, 20) ? below(r, 4) << 16 : 0);
		l->dirty_bitmap =
			(void *)(uintptr_t)(chance(r, 60) ? (uintptr_t)scratch : rnd_ptr(r, 64));
		break;
	}
	case KVM_CLEAR_DIRTY_LOG: {
		struct kvm_clear_dirty_log *l = (void *)a;

		l->slot = below(r, 8);
		l->first_page = chance(r, 60) ? 64 * below(r, 4) : rnd_val(r);
		l->num_pages = chance(r, 60) ? 64 * below(r, 4) : rnd_val(r);
		l->dirty_bitmap =
			(void *)(uintptr_t)(chance(r, 60) ? (uintptr_t)scratch : rnd_ptr(r, 64));
		break;
	}
#ifdef __powerpc64__
	case KVM_INTERRUPT:
		q[0] = chance(r, 80) ? (uint32_t)-1 - below(r, 3) : rnd(r); /* SET, UNSET, LEVEL */
		break;
	case KVM_CREATE_SPAPR_TCE_64: {
		struct kvm_create_spapr_tce_64 *t = (void *)a;

		t->liobn = chance(r, 80) ? 0x80000000u + below(r, 4) : (uint32_t)rnd(r);
		t->page_shift = chance(r, 80) ? 12 + 4 * below(r, 3) : below(r, 64);
		t->offset = chance(r, 70) ? below(r, 16) : rnd_val(r);
		t->size = chance(r, 80) ? 1 + below(r, 1 << 14) : rnd_val(r);
		t->flags = chance(r, 90) ? 0 : rnd(r);
		break;
	}
	case KVM_PPC_CONFIGURE_V3_MMU: {
		struct kvm_ppc_mmuv3_cfg *c = (void *)a;

		c->flags = chance(r, 70) ? KVM_PPC_MMUV3_RADIX | below(r, 2) : rnd(r);
		c->process_table = chance(r, 70)
					   ? (1ULL << 63) | (rnd_gpa(r) & ~0xfffULL) | below(r, 30)
					   : rnd_val(r);
		break;
	}
#else
	case KVM_ARM_VCPU_INIT: {
		struct kvm_vcpu_init *v = (void *)a;

		v->target = chance(r, 80) ? 5 + below(r, 4) : rnd(r); /* GENERIC_V8 is 5 */
		v->features[0] = chance(r, 50) ? 1 << KVM_ARM_VCPU_PSCI_0_2 : (uint32_t)rnd_val(r);
		if (chance(r, 20))
			v->features[0] |= 1 << KVM_ARM_VCPU_PMU_V3;
		break;
	}
#endif
	default:
		for (size_t i = 0; i < size / 8 && i < 64; i++)
			q[i] = chance(r, 50) ? rnd_val(r) : 0;
	}
	if (!size)
		return rnd_val(r);
	return chance(r, 85) ? (uintptr_t)a : rnd_ptr(r, size);
}

#ifdef __powerpc64__
static atomic_long tce_ok[2]; /* TCE tables made, mappings of one */
#endif

/*
 * KVM_SET_SIGNAL_MASK's argument as the kernel will read it, with SIGUSR1 (the
 * signaller's) deliverable, in the caller's own @buf. Built in scratch, which every thread
 * fills with random bytes at any time, the set could otherwise block SIGUSR1 by the time
 * the kernel reads it, and a vCPU run with that mask in a guest loop or a WFI is never
 * interrupted (as on any KVM): the run would hang. Arguments the kernel cannot read (NULL,
 * the PROT_NONE page, straddling into it, kernel addresses) stay as they are.
 */
static uint64_t signal_mask_arg(uint64_t arg, uint8_t buf[12])
{
	uint64_t set;

	if (arg >= (uintptr_t)scratch && arg + 12 <= (uintptr_t)noaccess)
		memcpy(buf, (void *)(uintptr_t)arg, 12);
	else if (!arg || (arg >= (uintptr_t)scratch && arg < (uintptr_t)noaccess + 2 * 4096) ||
		 arg >> 63)
		return arg;
	else /* a random address that might be mapped: no mask at all */
		return 0;
	memcpy(&set, buf + 4, 8);
	set &= ~(1ULL << (SIGUSR1 - 1));
	memcpy(buf + 4, &set, 8);
	return (uintptr_t)buf;
}

static void op_known_ioctl(struct rng *r)
{
	const struct known *k = &known[below(r, NR_KNOWN)];
	enum kind kind = chance(r, 90) ? k->k : (enum kind)below(r, NR_KINDS);
	struct kvm_run *run;
	int fd, i = get_fd(r, kind, &fd, &run);
	long ret;

	if (i < 0)
		return;
	uint64_t arg = make_arg(r, k->cmd, k->size);
	struct kvm_create_device cd;

	if (k->cmd == KVM_CREATE_DEVICE && arg >= (uintptr_t)scratch &&
	    arg + sizeof(cd) <= (uintptr_t)noaccess) {
		/*
		 * The new device's fd comes back in the argument, and scratch is every
		 * thread's: take it from this thread's own copy, so that every device made
		 * is in the table (and closed at the end).
		 */
		memcpy(&cd, (void *)(uintptr_t)arg, sizeof(cd));
		arg = (uintptr_t)&cd;
	}
	uint8_t mask[12];

	if (k->cmd == KVM_SET_SIGNAL_MASK)
		arg = signal_mask_arg(arg, mask);
	ret = xioctl(fd, k->cmd, arg);
	release_entry(kind, i);
	/* New fds from the ioctls that make them. */
#ifdef __powerpc64__
	/* A TCE table's fd: its own kind (mapped and touched by op_tce). */
	if (ret > 2 && kind == K_VM &&
	    (k->cmd == KVM_CREATE_SPAPR_TCE_64 || k->cmd == KVM_CREATE_SPAPR_TCE)) {
		put_fd(K_TCE, ret, NULL);
		atomic_fetch_add(&tce_ok[0], 1);
	}
#endif
	if (ret >= 0 && (k->cmd == KVM_CREATE_VM || k->cmd == KVM_CREATE_VCPU ||
			 k->cmd == KVM_GET_STATS_FD || k->cmd == KVM_CREATE_DEVICE)) {
		if (k->cmd == KVM_CREATE_VM && kind == K_DEV)
			put_fd(K_VM, ret, NULL);
		else if (k->cmd == KVM_CREATE_VCPU && kind == K_VM)
			put_fd(K_VCPU, ret, NULL);
		else if (k->cmd == KVM_GET_STATS_FD)
			put_fd(K_STATS, ret, NULL);
		else if (k->cmd == KVM_CREATE_DEVICE && arg == (uintptr_t)&cd &&
			 !(cd.flags & KVM_CREATE_DEVICE_TEST))
			put_fd(K_DEVICE, cd.fd, NULL);
	}
}

static void op_random_ioctl(struct rng *r)
{
	enum kind kind = below(r, NR_KINDS);
	int fd, i = get_fd(r, kind, &fd, NULL);
	unsigned long cmd;

	if (i < 0)
		return;
	if (chance(r, 70)) /* KVM's type, any number, direction and size */
		cmd = _IOC(below(r, 4), KVMIO, below(r, 256), below(r, 1 << 14));
	else
		cmd = (uint32_t)rnd(r);
	if (cmd == KVM_SET_SIGNAL_MASK) /* op_known_ioctl's, with SIGUSR1 kept deliverable */
		cmd = KVM_GET_API_VERSION;
	xioctl(fd, cmd, chance(r, 50) ? (uintptr_t)scratch : rnd_ptr(r, 64));
	release_entry(kind, i);
}

static void op_stats(struct rng *r)
{
	int fd, i = get_fd(r, K_STATS, &fd, NULL);
	uint8_t buf[512];

	if (i < 0) {
		enum kind k = chance(r, 50) ? K_VM : K_VCPU;

		i = get_fd(r, k, &fd, NULL);
		if (i < 0)
			return;
		long s = xioctl(fd, KVM_GET_STATS_FD, 0);

		release_entry(k, i);
		if (s >= 0)
			put_fd(K_STATS, s, NULL);
		return;
	}
	switch (below(r, 4)) {
	case 0:
		pread(fd, buf, below(r, sizeof(buf)), chance(r, 70) ? below(r, 4096) : rnd_val(r));
		break;
	case 1:
		read(fd, buf, below(r, sizeof(buf)));
		break;
	case 2:
		pread(fd, (void *)(uintptr_t)rnd_ptr(r, 64), below(r, 4096), below(r, 1024));
		break;
	default:
		lseek(fd, rnd_val(r), below(r, 5));
	}
	count_call();
	release_entry(K_STATS, i);
}

static void op_mmap_vcpu(struct rng *r)
{
	enum kind kind = chance(r, 80) ? K_VCPU : below(r, NR_KINDS);
	int fd, i = get_fd(r, kind, &fd, NULL);
	void *p;
	size_t len = chance(r, 70) ? (size_t)run_size : 4096 * below(r, 8);

	if (i < 0)
		return;
	off_t off = chance(r, 80) ? 0 : 4096 * below(r, 4);

	p = mmap(NULL, len, chance(r, 80) ? PROT_READ | PROT_WRITE : PROT_READ | PROT_EXEC,
		 chance(r, 80) ? MAP_SHARED : MAP_PRIVATE, fd, off);
	count_call();
	release_entry(kind, i);
	if (p != MAP_FAILED) {
		/* Fault in the kvm_run page (anything past it is SIGBUS, as on upstream KVM). */
		if (kind == K_VCPU && !off && len && chance(r, 50))
			((volatile uint8_t *)p)[below(r, 64)];
		munmap(p, len);
		count_call();
	}
}

static void op_memory(struct rng *r)
{
	int c = below(r, ARENA_CHUNKS);
	uint8_t *p = arena + c * CHUNK_SIZE;
	size_t off = chance(r, 50) ? 0 : 4096 * below(r, CHUNK_SIZE / 4096);
	size_t len = (CHUNK_SIZE - off) ? 4096 * (1 + below(r, (CHUNK_SIZE - off) / 4096)) : 4096;

	if (off + len > CHUNK_SIZE)
		len = CHUNK_SIZE - off;
	switch (below(r, 4)) {
	case 0:
		madvise(p + off, len, MADV_DONTNEED);
		break;
	case 1: /* a fresh mapping over it: the old pages go (MMU notifier) */
		mmap(p + off, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		     -1, 0);
		break;
	case 2:
		if (c != CODE_CHUNK)
			mprotect(p + off, len, chance(r, 50) ? PROT_NONE : PROT_READ);
		break;
	default:
		mprotect(p + off, len, PROT_READ | PROT_WRITE);
	}
	count_call();
	if (c == CODE_CHUNK && off < 4096 * 2) {
		/* The programs are gone: write new ones (as the guests may be running them). */
		uint32_t prog[PROGRAM_WORDS];

		for (int i = 0; i < NR_PROGRAMS; i++) {
			make_program(r, prog);
			memcpy(arena + 4 * PROGRAM_WORDS * i, prog, sizeof(prog));
		}
		__builtin___clear_cache((char *)arena,
					(char *)arena + 4 * PROGRAM_WORDS * NR_PROGRAMS);
	}
}

#ifdef __powerpc64__
/*
 * A TCE table's fd (KVM_CREATE_SPAPR_TCE_64, made by op_known_ioctl): mapped at random
 * offsets and lengths, its first page written and read (every table has one: anything
 * past a table's end is SIGBUS, as upstream), unmapped, while guests' TCE hypercalls
 * write the same table.
 */
static void op_tce(struct rng *r)
{
	int fd, i = get_fd(r, K_TCE, &fd, NULL);
	size_t len = 4096 * (1 + below(r, 32));
	off_t off = chance(r, 70) ? 0 : 65536 * below(r, 4);
	int prot = chance(r, 80) ? PROT_READ | PROT_WRITE : PROT_READ;
	volatile uint64_t *p;

	if (i < 0)
		return;
	p = mmap(NULL, len, prot, MAP_SHARED, fd, off);
	count_call();
	release_entry(K_TCE, i);
	if (p == MAP_FAILED)
		return;
	atomic_fetch_add(&tce_ok[1], 1);
	if (!off) {
		uint64_t v = p[below(r, 8)];

		if (prot & PROT_WRITE)
			p[below(r, 8)] = v ^ 3;
	}
	munmap((void *)p, len);
}

/*
 * The XIVE device (KVM_DEV_TYPE_XIVE) with plausible arguments: sources, their routing,
 * event queues in guest memory, vCPU connects, controls; its TIMA and ESB pages mapped
 * into a VM at XIVE_GPA (where the guest programs' loads and stores reach them) and
 * triggered from here. Only pages that exist are touched (anything else is SIGBUS).
 */
#define XIVE_GPA (GUEST_BASE + ARENA_CHUNKS * CHUNK_SIZE)
#define XIVE_SOURCES 16
static atomic_long xive_ok[3]; /* attributes accepted, vCPUs connected, mappings lent */

static int xive_attr(int dev, uint32_t group, uint64_t attr, void *val)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uintptr_t)val };
	int ret = xioctl(dev, KVM_SET_DEVICE_ATTR, (uintptr_t)&a);

	if (!ret)
		atomic_fetch_add(&xive_ok[0], 1);
	return ret;
}

/*
 * A whole working configuration on one VM, so that the random operations find one: the
 * device, new vCPUs connected as servers 0-1, their queues in guest RAM, routed sources.
 */
static void xive_setup(struct rng *r)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_XIVE };
	int vm, i = get_fd(r, K_VM, &vm, NULL);

	if (i < 0)
		return;
	if (xioctl(vm, KVM_CREATE_DEVICE, (uintptr_t)&cd)) {
		release_entry(K_VM, i);
		return;
	}
	for (uint32_t s = 0; s < 2; s++) {
		struct kvm_enable_cap cap = { .cap = KVM_CAP_PPC_IRQ_XIVE, .args = { cd.fd, s } };
		struct kvm_ppc_xive_eq eq = { .flags = KVM_XIVE_EQ_ALWAYS_NOTIFY, .qshift = 16 };
		int vcpu = xioctl(vm, KVM_CREATE_VCPU, 4 + below(r, 60));

		if (vcpu < 0)
			continue;
		if (!xioctl(vcpu, KVM_ENABLE_CAP, (uintptr_t)&cap))
			atomic_fetch_add(&xive_ok[1], 1);
		eq.qaddr = GUEST_BASE + CHUNK_SIZE * (1 + below(r, ARENA_CHUNKS - 1));
		xive_attr(cd.fd, KVM_DEV_XIVE_GRP_EQ_CONFIG, s << 3 | 6, &eq);
		put_fd(K_VCPU, vcpu, NULL);
	}
	for (uint64_t src = 0; src < XIVE_SOURCES; src++) {
		uint64_t v = 0;

		xive_attr(cd.fd, KVM_DEV_XIVE_GRP_SOURCE, src, &v);
		v = 6 | below(r, 2) << 3 | (uint64_t)src << 33;
		xive_attr(cd.fd, KVM_DEV_XIVE_GRP_SOURCE_CONFIG, src, &v);
	}
	put_fd(K_DEVICE, cd.fd, NULL);
	release_entry(K_VM, i);
}

static void op_xive(struct rng *r)
{
	const long pg = sysconf(_SC_PAGESIZE);
	int dev, i = get_fd(r, K_DEVICE, &dev, NULL);
	struct kvm_device_attr a = { 0 };
	uint64_t *val = (uint64_t *)(scratch + 3072);
	uint64_t src = below(r, XIVE_SOURCES);

	if (chance(r, 10) || i < 0) {
		if (i >= 0)
			release_entry(K_DEVICE, i);
		xive_setup(r);
		return;
	}
	memset(val, 0, 64);
	a.addr = (uintptr_t)val;
	a.attr = src;
	switch (below(r, 8)) {
	case 0: /* create (or restore) a source */
		a.group = KVM_DEV_XIVE_GRP_SOURCE;
		val[0] = below(r, 4);
		break;
	case 1: /* route it: priority 0-7, server 0-3, masked or not, an EISN */
		a.group = KVM_DEV_XIVE_GRP_SOURCE_CONFIG;
		val[0] = below(r, 8) | below(r, 4) << 3 | (uint64_t)below(r, 2) << 32 |
			 (rnd(r) & 0xffff) << 33;
		break;
	case 2: { /* an event queue in (or beside) guest RAM */
		struct kvm_ppc_xive_eq *eq = (void *)val;

		a.group = KVM_DEV_XIVE_GRP_EQ_CONFIG;
		a.attr = below(r, 4) << 3 | below(r, 8);
		eq->flags = chance(r, 90) ? KVM_XIVE_EQ_ALWAYS_NOTIFY : rnd(r);
		eq->qshift = chance(r, 20) ? 0 : chance(r, 80) ? 16 : below(r, 32);
		eq->qaddr = chance(r, 80) ? GUEST_BASE + CHUNK_SIZE * below(r, ARENA_CHUNKS + 2)
					  : rnd_val(r);
		eq->qtoggle = below(r, 2);
		eq->qindex = chance(r, 70) ? 0 : rnd(r);
		break;
	}
	case 3: /* controls: reset, sync, server count */
		a.group = KVM_DEV_XIVE_GRP_CTRL;
		a.attr = 1 + below(r, 3);
		val[0] = below(r, 8);
		break;
	case 4: { /* connect a vCPU (any VM's: another VM's is refused) */
		int vcpu, j = get_fd(r, K_VCPU, &vcpu, NULL);
		struct kvm_enable_cap cap = { .cap = KVM_CAP_PPC_IRQ_XIVE };

		if (j >= 0) {
			cap.args[0] = dev;
			cap.args[1] = below(r, 5);
			if (!xioctl(vcpu, KVM_ENABLE_CAP, (uintptr_t)&cap))
				atomic_fetch_add(&xive_ok[1], 1);
			release_entry(K_VCPU, j);
		}
		release_entry(K_DEVICE, i);
		return;
	}
	default: { /* map the TIMA or some ESB pages, trigger, and lend them to a VM */
		int tima = chance(r, 30), vm, j;
		size_t n = tima ? 4 : 2 * XIVE_SOURCES;
		volatile uint8_t *p =
			mmap(NULL, n * pg, PROT_READ | PROT_WRITE, MAP_SHARED, dev,
			     (tima ? KVM_XIVE_TIMA_PAGE_OFFSET : KVM_XIVE_ESB_PAGE_OFFSET) * pg);
		count_call();
		if (p == MAP_FAILED)
			break;
		/* A source that exists has ESB pages: create it first, then use them. */
		a.group = KVM_DEV_XIVE_GRP_SOURCE;
		if (tima) {
			(void)p[2 * pg + (below(r, 64) << 4)]; /* the OS page's registers */
		} else if (!xioctl(dev, KVM_SET_DEVICE_ATTR, (uintptr_t)&a)) {
			volatile uint8_t *esb = p + 2 * src * pg;

			if (chance(r, 50))
				*(volatile uint64_t *)esb = 0; /* trigger */
			else
				(void)*(volatile uint64_t *)(esb + pg + 0x400 * below(r, 4) +
							     0x100 * below(r, 4));
			count_call();
		}
		j = get_fd(r, K_VM, &vm, NULL);
		if (j >= 0) {
			struct kvm_userspace_memory_region reg = {
				.slot = 7,
				.guest_phys_addr = XIVE_GPA + (tima ? 0 : 4 * pg),
				.memory_size = n * pg,
				.userspace_addr = (uintptr_t)p,
			};

			if (!xioctl(vm, KVM_SET_USER_MEMORY_REGION, (uintptr_t)&reg))
				atomic_fetch_add(&xive_ok[2], 1);
			release_entry(K_VM, j);
		}
		/* Gone again: the slot now names nothing (the MMU notifier unmaps it). */
		munmap((void *)p, n * pg);
		count_call();
		release_entry(K_DEVICE, i);
		return;
	}
	}
	if (!xioctl(dev, chance(r, 90) ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR,
		    chance(r, 95) ? (uintptr_t)&a : rnd_ptr(r, sizeof(a))))
		atomic_fetch_add(&xive_ok[0], 1);
	release_entry(K_DEVICE, i);
}
#endif

/*
 * Eventfds bound to VMs (KVM_IOEVENTFD, KVM_IRQFD, KVM_SET_GSI_ROUTING, KVM_SIGNAL_MSI):
 * real eventfds at addresses the guest programs write to, random and closed descriptors,
 * overlapping ranges, deassigns of what was never assigned, the eventfd closed while bound.
 */
#define NR_EVENTFDS 8
static atomic_int evfds[NR_EVENTFDS] = { -1, -1, -1, -1, -1, -1, -1, -1 };

static int rnd_evfd(struct rng *r)
{
	int i = below(r, NR_EVENTFDS), fd;

	switch (below(r, 8)) {
	case 0:
		return (int)rnd(r); /* anything */
	case 1:
		return r->s & 1 ? 0 : -1; /* stdin (not an eventfd), or none */
	default:
		fd = atomic_load(&evfds[i]);
		if (fd < 0) {
			fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
			if (fd >= 0) {
				int none = -1;

				if (!atomic_compare_exchange_strong(&evfds[i], &none, fd)) {
					close(fd);
					fd = none;
				}
			}
		}
		return fd;
	}
}

#ifndef __powerpc64__
static atomic_long vgic_ok[4]; /* vGICs made, attributes accepted, lines driven, ITSes */

static int vgic_attr(int dev, unsigned long cmd, uint32_t group, uint64_t attr, void *val)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uintptr_t)val };
	int ret = xioctl(dev, cmd, (uintptr_t)&a);

	if (!ret)
		atomic_fetch_add(&vgic_ok[1], 1);
	return ret;
}

/*
 * arm64's in-kernel GICv3 on a random VM, mostly configured as a VMM does (frames placed,
 * sometimes NR_IRQS, usually INIT), so that its vCPUs run with it and the attribute
 * operations below find a working device.
 */
static void vgic_setup(struct rng *r)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	int vm, i = get_fd(r, K_VM, &vm, NULL);
	uint64_t *val = (uint64_t *)(scratch + 3072);

	if (i < 0)
		return;
	if (chance(r, 5))
		cd.type = (uint32_t)below(r, 16);
	if (xioctl(vm, KVM_CREATE_DEVICE, (uintptr_t)&cd)) {
		release_entry(K_VM, i);
		return;
	}
	atomic_fetch_add(&vgic_ok[0], 1);
	if (chance(r, 50)) {
		*val = 32 * (2 + below(r, 30));
		vgic_attr(cd.fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, val);
	}
	*val = chance(r, 90) ? 0x08000000 : rnd_ipa(r);
	vgic_attr(cd.fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST,
		  val);
	*val = chance(r, 90) ? 0x080a0000 : rnd_ipa(r);
	vgic_attr(cd.fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR,
		  KVM_VGIC_V3_ADDR_TYPE_REDIST, val);
	if (chance(r, 90))
		vgic_attr(cd.fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CTRL,
			  KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
	put_fd(K_DEVICE, cd.fd, NULL);
	/* Often an ITS too, with its frame: op_vgic then drives its registers and tables. */
	cd.type = KVM_DEV_TYPE_ARM_VGIC_ITS;
	if (chance(r, 50) && !xioctl(vm, KVM_CREATE_DEVICE, (uintptr_t)&cd)) {
		atomic_fetch_add(&vgic_ok[3], 1);
		*val = chance(r, 90) ? 0x08080000 : rnd_ipa(r);
		vgic_attr(cd.fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR,
			  KVM_VGIC_ITS_ADDR_TYPE, val);
		put_fd(K_DEVICE, cd.fd, NULL);
	}
	release_entry(K_VM, i);
}

/* A GITS_CBASER/BASER<n> value: usually valid tables in guest memory (1 to 4 pages of 64
 * KB, sometimes two-level), else anything. */
static uint64_t its_table_val(struct rng *r)
{
	if (chance(r, 20))
		return rnd_val(r);
	return (chance(r, 90) ? 1ULL << 63 : 0) | (chance(r, 30) ? 1ULL << 62 : 0) |
	       (GUEST_BASE + below(r, 16) * 0x10000) | below(r, 4);
}

/* Register groups, CPU system registers, line levels and KVM_IRQ_LINE, valid and not. */
static void op_vgic(struct rng *r)
{
	static const unsigned long cmds[] = { KVM_SET_DEVICE_ATTR, KVM_GET_DEVICE_ATTR,
					      KVM_HAS_DEVICE_ATTR };
	int dev, i = get_fd(r, K_DEVICE, &dev, NULL);
	unsigned long cmd = cmds[below(r, 3)];
	/* Usually an aligned value in the scratch page; sometimes straddling the guard page. */
	void *val = chance(r, 95) ? (void *)(scratch + 3072) : (void *)(scratch + 4092);
	uint64_t mpidr = below(r, 4) << 32;

	if (chance(r, 10) || i < 0) {
		if (i >= 0)
			release_entry(K_DEVICE, i);
		if (chance(r, 30)) {
			int vm, j = get_fd(r, K_VM, &vm, NULL);
			struct kvm_irq_level l = { .irq = (uint32_t)(below(r, 3) << 24 |
								     below(r, 4) << 16 |
								     below(r, 1024)),
						   .level = (uint32_t)below(r, 2) };

			if (j < 0)
				return;
			if (chance(r, 5))
				l.irq = (uint32_t)rnd(r);
			if (!xioctl(vm, KVM_IRQ_LINE, (uintptr_t)&l))
				atomic_fetch_add(&vgic_ok[2], 1);
			release_entry(K_VM, j);
			return;
		}
		vgic_setup(r);
		return;
	}
	*(uint64_t *)(scratch + 3072) = rnd_val(r);
	switch (below(r, 8)) {
	case 0:
		vgic_attr(dev, cmd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, below(r, 0x10000) & ~3ULL, val);
		break;
	case 1:
		vgic_attr(dev, cmd, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
			  mpidr | (below(r, 0x20000) & ~3ULL), val);
		break;
	case 2: /* ICC_* encodings (op0 3, op1 0, CRn 12, CRm 4-12) and strays */
		vgic_attr(dev, cmd, KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS,
			  mpidr | 3 << 14 | 12 << 7 | (4 + below(r, 9)) << 3 | below(r, 8), val);
		break;
	case 3:
		vgic_attr(dev, cmd, KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO,
			  mpidr | (chance(r, 90) ? 32 * below(r, 32) : rnd(r) & 0xffffffff), val);
		break;
	case 4:
		vgic_attr(dev, cmd, (uint32_t)below(r, 12), rnd(r), val);
		break;
	case 5: { /* the ITS's registers: CTLR, CBASER, CWRITER, CREADR, BASER0/1, strays */
		static const uint64_t offs[] = { 0x0, 0x4, 0x80, 0x88, 0x90, 0x100, 0x108, 0xffe8 };
		uint64_t off = chance(r, 90) ? offs[below(r, 8)] : below(r, 0x10000);

		if (off >= 0x80 && off <= 0x108 && off != 0x88 && off != 0x90)
			*(uint64_t *)(scratch + 3072) = its_table_val(r);
		else if (off == 0)
			*(uint64_t *)(scratch + 3072) = below(r, 2);
		vgic_attr(dev, cmd, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, off, val);
		break;
	}
	case 6: /* RESET, SAVE_TABLES, RESTORE_TABLES on an ITS (SAVE_PENDING_TABLES on a GIC) */
		vgic_attr(dev, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CTRL, 1 + below(r, 3),
			  NULL);
		break;
	default:
		vgic_attr(dev, cmd, KVM_DEV_ARM_VGIC_GRP_CTRL, below(r, 4), val);
	}
	release_entry(K_DEVICE, i);
}
#endif

static void op_eventfd(struct rng *r)
{
	int vm, i = get_fd(r, K_VM, &vm, NULL);

	if (i < 0)
		return op_create_vm(r);
	switch (below(r, 6)) {
	case 0:
	case 1: {
		static const uint32_t lens[] = { 0, 1, 2, 4, 8, 3, 16 };
		struct kvm_ioeventfd io = {
			.datamatch = chance(r, 50) ? below(r, 4) : rnd_val(r),
			.addr = chance(r, 70) ? GUEST_MMIO + 8 * below(r, 16) : rnd_ipa(r),
			.len = chance(r, 90) ? lens[below(r, 7)] : (uint32_t)rnd(r),
			.fd = rnd_evfd(r),
			.flags = chance(r, 80) ? below(r, 16) : (uint32_t)rnd(r),
		};

		xioctl(vm, KVM_IOEVENTFD, (uintptr_t)&io);
		break;
	}
	case 2: {
		struct kvm_irqfd irqfd = {
			.fd = rnd_evfd(r),
			.gsi = chance(r, 80) ? below(r, 64) : (uint32_t)rnd(r),
			.flags = chance(r, 80) ? below(r, 4) : (uint32_t)rnd(r),
			.resamplefd = rnd_evfd(r),
		};

		xioctl(vm, KVM_IRQFD, (uintptr_t)&irqfd);
		break;
	}
	case 3: {
		/* A routing table in the scratch page; nr may claim more than fits. */
		uint32_t nr = chance(r, 80) ? below(r, 8) : (uint32_t)rnd(r);
		uint32_t *head = (uint32_t *)scratch;
		struct kvm_irq_routing_entry *e = (void *)(scratch + 8);
		size_t room = (4096 - 8) / sizeof(*e);

		for (size_t k = 0; k < room; k++) {
			e[k] = (struct kvm_irq_routing_entry){
				.gsi = chance(r, 80) ? below(r, 8) : (uint32_t)rnd(r),
				.type = chance(r, 80) ? 1 + below(r, 2) : (uint32_t)rnd(r),
				.flags = chance(r, 80) ? 0 : (uint32_t)rnd(r),
			};
			e[k].u.irqchip.irqchip = chance(r, 80) ? 0 : below(r, 4);
			e[k].u.irqchip.pin = chance(r, 80) ? below(r, 32) : (uint32_t)rnd(r);
		}
		head[0] = nr;
		head[1] = chance(r, 90) ? 0 : (uint32_t)rnd(r);
		xioctl(vm, KVM_SET_GSI_ROUTING, (uintptr_t)scratch);
		break;
	}
	case 4: {
		struct kvm_msi msi = { .address_lo = rnd(r), .data = rnd(r), .flags = below(r, 2) };

		xioctl(vm, KVM_SIGNAL_MSI, (uintptr_t)&msi);
		break;
	}
	default: {
		/* Close an eventfd that may be bound: KVM keeps its own reference (ioeventfd) or
		 * ends the binding (irqfd); a write first makes a bound irqfd fire. */
		int k = below(r, NR_EVENTFDS), fd = atomic_exchange(&evfds[k], -1);
		uint64_t one = 1;

		if (fd >= 0) {
			if (chance(r, 50) && write(fd, &one, sizeof(one)) < 0)
				one = 0;
			close(fd);
			count_call();
		}
	}
	}
	release_entry(K_VM, i);
}

/* ---- threads ------------------------------------------------------------------------ */
enum op {
	OP_OPEN,
	OP_VM,
	OP_RUNNABLE,
	OP_MEMSLOT,
	OP_RUN,
	OP_KNOWN,
	OP_RANDOM,
	OP_STATS,
	OP_MMAP,
	OP_MEMORY,
	OP_CLOSE,
	OP_XIVE,
	OP_EVENTFD,
	OP_TCE,
	OP_VGIC,
	NR_OPS
};
static const char *const op_name[NR_OPS] = {
	"open",	       "create_vm",    "runnable_vm", "memslot",   "run",
	"known_ioctl", "random_ioctl", "stats",	      "mmap_vcpu", "guest_memory",
	"close",       "xive",	       "eventfd",     "tce",	   "vgic",
};
#ifdef __powerpc64__
static const int op_weight[NR_OPS] = { 2, 3, 4, 10, 10, 40, 10, 5, 3, 6, 5, 8, 6, 3, 0 };
#else
static const int op_weight[NR_OPS] = { 2, 3, 4, 10, 10, 40, 10, 5, 3, 6, 5, 0, 6, 0, 6 };
#endif

static enum op pick_op(struct rng *r)
{
	int total = 0, x;

	for (int i = 0; i < NR_OPS; i++)
		total += op_weight[i];
	x = below(r, total);
	for (int i = 0; i < NR_OPS; i++) {
		if (x < op_weight[i])
			return i;
		x -= op_weight[i];
	}
	return OP_KNOWN;
}

/* SplitMix64: a well-mixed, never-zero generator state from a counter. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x ? x : 1;
}

static void *worker(void *p)
{
	uint64_t base = (uintptr_t)p, n = 0, trace = 0;

	while (!atomic_load(&stop)) {
		/*
		 * Each operation draws from its own generator, seeded by the thread's seed and
		 * the operation's number: what one call returns never shifts the choices of the
		 * next, so a one-thread run replays from its seed.
		 */
		struct rng r = { .s = mix(base ^ mix(n)) };
		enum op op = pick_op(&r);

		if (n < 1000) /* fingerprint of the first operations: replays must match it */
			trace = mix(trace ^ (n << 8 | op));
		if (++n == 1000)
			atomic_fetch_xor(&trace_hash, trace);

		atomic_fetch_add(&op_count[op], 1);
		switch (op) {
		case OP_OPEN:
			op_open_dev(&r);
			break;
		case OP_VM:
			op_create_vm(&r);
			break;
		case OP_RUNNABLE:
			op_runnable(&r);
			break;
		case OP_MEMSLOT:
			op_memslot(&r);
			break;
		case OP_RUN:
			op_run(&r);
			break;
		case OP_KNOWN:
			op_known_ioctl(&r);
			break;
		case OP_RANDOM:
			op_random_ioctl(&r);
			break;
		case OP_STATS:
			op_stats(&r);
			break;
		case OP_MMAP:
			op_mmap_vcpu(&r);
			break;
		case OP_MEMORY:
			op_memory(&r);
			break;
#ifdef __powerpc64__
		case OP_XIVE:
			op_xive(&r);
			break;
#endif
#ifdef __powerpc64__
		case OP_TCE:
			op_tce(&r);
			break;
#endif
		case OP_EVENTFD:
			op_eventfd(&r);
			break;
#ifndef __powerpc64__
		case OP_VGIC:
			op_vgic(&r);
			break;
#endif
		default:
			op_close(&r, below(&r, NR_KINDS));
		}
	}
	atomic_fetch_add(&workers_done, 1);
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
}

/* Interrupt the workers (their KVM_RUNs, their WFIs) every millisecond or so. */
static void *signaller(void *p)
{
	struct rng r = { .s = (uintptr_t)p | 1 };
	struct timespec ts = { 0, 1000000 };

	while (atomic_load(&workers_done) < nr_threads) {
		nanosleep(&ts, NULL);
		pthread_kill(workers[below(&r, nr_threads)], SIGUSR1);
	}
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The kvmx files this process still has open (a reference the table lost), by fd. */
static void list_kvm_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	char path[300], target[128];

	while (d && (de = readdir(d))) {
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = 0;
			if (strstr(target, "kvm"))
				printf("# still open: fd %s -> %s\n", de->d_name, target);
		}
	}
	if (d)
		closedir(d);
}

static long read_refcnt(void)
{
	FILE *f = fopen(REFCNT, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

int main(int argc, char **argv)
{
	uint64_t seed = 0;
	int have_seed = 0, opt, fails = 0, dev;
	struct sigaction sa = { .sa_handler = on_signal };
	pthread_t sig;
	long ref_before, ref_after, open_left = 0;
	double t0, secs;
	struct rng r;

	while ((opt = getopt(argc, argv, "s:n:t:v")) != -1) {
		switch (opt) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			have_seed = 1;
			break;
		case 'n':
			budget = strtol(optarg, NULL, 0);
			break;
		case 't':
			nr_threads = atoi(optarg);
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			fprintf(stderr, "usage: %s [-s SEED] [-n CALLS] [-t THREADS] [-v]\n",
				argv[0]);
			return 2;
		}
	}
	if (nr_threads < 1 || nr_threads > MAX_THREADS || budget < 1) {
		fprintf(stderr, "kvmx-fuzz: 1..%d threads and a positive budget\n", MAX_THREADS);
		return 2;
	}
	if (!have_seed)
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..3\n");
	printf("# kvmx-fuzz seed %#llx, %ld calls, %d threads (rerun: kvmx-fuzz -s %#llx -n %ld -t %d)\n",
	       (unsigned long long)seed, budget, nr_threads, (unsigned long long)seed, budget,
	       nr_threads);

	dev = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		printf("Bail out! /dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	run_size = ioctl(dev, KVM_GET_VCPU_MMAP_SIZE, 0);
	close(dev);
	ref_before = read_refcnt();
	for (int k = 0; k < NR_KINDS; k++)
		for (int i = 0; i < MAX_FDS; i++)
			tab.e[k][i].fd = -1;
	arena = mmap(NULL, ARENA_RESERVE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		     -1, 0);
	if (arena != MAP_FAILED)
		mprotect(arena, ARENA_CHUNKS * CHUNK_SIZE, PROT_READ | PROT_WRITE);
	scratch = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arena == MAP_FAILED || scratch == MAP_FAILED || run_size <= 0) {
		printf("Bail out! setup failed\n");
		return 1;
	}
	noaccess = scratch + 4096;
	mprotect(noaccess, 2 * 4096, PROT_NONE);
	r.s = seed ? seed : 1;
	for (int i = 0; i < NR_PROGRAMS; i++)
		make_program(&r, (uint32_t *)(arena + 4 * PROGRAM_WORDS * i));
	__builtin___clear_cache((char *)arena, (char *)arena + 4 * PROGRAM_WORDS * NR_PROGRAMS);

	sigaction(SIGUSR1, &sa, NULL); /* no SA_RESTART: KVM_RUN returns EINTR */
	t0 = now();
	for (int i = 0; i < nr_threads; i++)
		pthread_create(&workers[i], NULL, worker,
			       (void *)(uintptr_t)(seed * 0x9e3779b97f4a7c15ULL + i + 1));
	pthread_create(&sig, NULL, signaller, (void *)(uintptr_t)seed);
	/* The signaller first: it must never signal a thread that has been joined. */
	pthread_join(sig, NULL);
	for (int i = 0; i < nr_threads; i++)
		pthread_join(workers[i], NULL);
	secs = now() - t0;
	printf("# %ld calls in %.1f s (%.0f calls/s)\n", (long)atomic_load(&calls), secs,
	       atomic_load(&calls) / secs);
	for (int i = 0; i < NR_OPS; i++)
		printf("#   %-14s %ld\n", op_name[i], (long)atomic_load(&op_count[i]));
#ifdef __powerpc64__
	printf("# xive: %ld attributes accepted, %ld vCPUs connected, %ld mappings lent to VMs\n",
	       (long)atomic_load(&xive_ok[0]), (long)atomic_load(&xive_ok[1]),
	       (long)atomic_load(&xive_ok[2]));
	printf("# tce: %ld tables made, %ld mapped\n", (long)atomic_load(&tce_ok[0]),
	       (long)atomic_load(&tce_ok[1]));
#else
	printf("# vgic: %ld made (%ld with an ITS), %ld attributes accepted, %ld lines driven\n",
	       (long)atomic_load(&vgic_ok[0]), (long)atomic_load(&vgic_ok[3]),
	       (long)atomic_load(&vgic_ok[1]), (long)atomic_load(&vgic_ok[2]));
#endif
	printf("# fingerprint of the first 1000 operations of each thread: %#llx\n",
	       (unsigned long long)atomic_load(&trace_hash));
	printf("ok 1 fuzz_budget_of_%ld_calls_completes\n", budget);

	/* Close what is left in a random order (kinds shuffled), as a VMM that crashed would. */
	int rot = below(&r, NR_KINDS);

	for (int n = 0; n < NR_KINDS; n++) {
		enum kind k = (n + rot) % NR_KINDS;

		for (int i = 0; i < MAX_FDS; i++) {
			struct entry *e = &tab.e[k][i];

			if (e->fd < 0)
				continue;
			if (e->run)
				munmap(e->run, run_size);
			if (!e->dead)
				close(e->fd);
			if (verbose)
				printf("# closing %s fd %d\n", kind_name[k], e->fd);
			e->fd = -1;
			open_left++;
		}
	}
	printf("# %ld fds were open at the end\n", open_left);
	ref_after = read_refcnt();
	printf("# module refcnt %ld before, %ld after\n", ref_before, ref_after);
	if (ref_after != ref_before)
		list_kvm_fds();
	if (ref_before < 0 || ref_after != ref_before)
		fails++;
	printf("%sok 2 every_fd_closed_returns_the_module_references\n",
	       ref_after == ref_before && ref_before >= 0 ? "" : "not ");
	/* The host still works: a fresh VM with a vCPU. */
	dev = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	{
		long vm = dev >= 0 ? ioctl(dev, KVM_CREATE_VM, 0) : -1;
		long vcpu = vm >= 0 ? ioctl(vm, KVM_CREATE_VCPU, 0) : -1;

		printf("%sok 3 dev_kvm_still_works_after_fuzzing\n", vcpu >= 0 ? "" : "not ");
		fails += vcpu < 0;
		if (vcpu >= 0)
			close(vcpu);
		if (vm >= 0)
			close(vm);
		if (dev >= 0)
			close(dev);
	}
	return fails ? 1 : 0;
}
