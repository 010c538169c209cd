// SPDX-License-Identifier: GPL-2.0
/*
 * PV time (stolen time): the IPA attribute's error paths, kvmx's revision attribute,
 * stolen time that grows only while the vCPU thread waits for its CPU, and a guest that
 * never sees the value go backwards.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>

#include "kselftest_harness.h"
#include "vcpu_lib.h"

#define ST_IPA GUEST_DATA_IPA

asm(".pushsection .text\n"
    ".balign 4\n"
    /* Read stolen_time (x5 = structure) forever; report a decrease through MMIO. */
    ".global g_watch_start, g_watch_end\n"
    "g_watch_start:\n"
    "	movz x1, #0x9000, lsl #16\n"
    "	movz x5, #0x4002, lsl #16\n"
    "	mov x4, #0\n"
    "1:	ldr x3, [x5, #8]\n"
    "	cmp x3, x4\n"
    "	b.lo 2f\n"
    "	mov x4, x3\n"
    "	b 1b\n"
    "2:	str x3, [x1]\n"
    "	b .\n"
    "g_watch_end:\n"
    ".popsection\n");

GUEST_PROGRAM(g_watch);

static int attr(struct vcpu *v, unsigned long cmd, __u64 which, uint64_t *val)
{
	struct kvm_device_attr a = {
		.group = KVM_ARM_VCPU_PVTIME_CTRL,
		.attr = which,
		.addr = (uintptr_t)val,
	};

	return ioctl(v->fd, cmd, &a);
}

FIXTURE(pv)
{
	struct vmm m;
	struct vcpu v;
};

FIXTURE_SETUP(pv)
{
	ASSERT_EQ(0, vmm_create(&self->m));
	ASSERT_EQ(0, vcpu_add(&self->m, &self->v, 0, 1 << KVM_ARM_VCPU_PSCI_0_2, GUEST_CODE_IPA));
}

FIXTURE_TEARDOWN(pv)
{
	close(self->v.fd);
	vmm_destroy(&self->m);
}

TEST_F(pv, ipa_attribute_checks_alignment_memory_and_uniqueness)
{
	uint64_t ipa;

	EXPECT_EQ(1, ioctl(self->m.kvm, KVM_CHECK_EXTENSION, KVM_CAP_STEAL_TIME));
	EXPECT_EQ(0, attr(&self->v, KVM_HAS_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_IPA, NULL));
	ASSERT_EQ(0, attr(&self->v, KVM_GET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_IPA, &ipa));
	EXPECT_EQ(~0ULL, ipa); /* INVALID_GPA while unset */
	ipa = ST_IPA + 32;
	EXPECT_EQ(-1, attr(&self->v, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_IPA, &ipa));
	EXPECT_EQ(EINVAL, errno);
	ipa = GUEST_MMIO_IPA;
	EXPECT_EQ(-1, attr(&self->v, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_IPA, &ipa));
	EXPECT_EQ(EINVAL, errno);
	ipa = ST_IPA;
	EXPECT_EQ(0, attr(&self->v, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_IPA, &ipa));
	EXPECT_EQ(-1, attr(&self->v, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_IPA, &ipa));
	EXPECT_EQ(EEXIST, errno);
	ipa = 0;
	ASSERT_EQ(0, attr(&self->v, KVM_GET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_IPA, &ipa));
	EXPECT_EQ(ST_IPA, ipa);
	EXPECT_EQ(-1, attr(&self->v, KVM_HAS_DEVICE_ATTR, 0x77, NULL));
	EXPECT_EQ(ENXIO, errno);
}

TEST_F(pv, setting_the_ipa_zeroes_the_structure)
{
	uint8_t *st = self->m.ram + (ST_IPA - GUEST_RAM_IPA);
	uint64_t ipa = ST_IPA;

	memset(st, 0xa5, 64);
	ASSERT_EQ(0, attr(&self->v, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_IPA, &ipa));
	for (int i = 0; i < 64; i++)
		ASSERT_EQ(0, st[i]);
}

TEST_F(pv, revision_attribute_accepts_only_what_kvmx_provides)
{
	uint64_t rev = 7;

	EXPECT_EQ(0, attr(&self->v, KVM_HAS_DEVICE_ATTR, KVMX_ARM_VCPU_PVTIME_REVISION, NULL));
	ASSERT_EQ(0, attr(&self->v, KVM_GET_DEVICE_ATTR, KVMX_ARM_VCPU_PVTIME_REVISION, &rev));
	EXPECT_EQ(0, rev);
	EXPECT_EQ(0, attr(&self->v, KVM_SET_DEVICE_ATTR, KVMX_ARM_VCPU_PVTIME_REVISION, &rev));
	rev = 1;
	EXPECT_EQ(-1, attr(&self->v, KVM_SET_DEVICE_ATTR, KVMX_ARM_VCPU_PVTIME_REVISION, &rev));
	EXPECT_EQ(EINVAL, errno);
}

static volatile int stop_spinning;

static void *spin_on_cpu0(void *unused)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	while (!stop_spinning)
		;
	return NULL;
}

/* Run the watching guest for @seconds; return the stolen time it was last told. */
static uint64_t run_for(struct __test_metadata *_metadata, struct vmm *m, struct vcpu *v,
			int seconds)
{
	struct sigaction sa = { .sa_handler = ignore_signal };
	uint64_t *st = (uint64_t *)(m->ram + (ST_IPA - GUEST_RAM_IPA));

	sigaction(SIGALRM, &sa, NULL);
	alarm(seconds);
	/* The guest only exits (MMIO) if it saw stolen time go backwards. */
	EXPECT_EQ(-1, vcpu_run(v));
	EXPECT_EQ(EINTR, errno);
	return __atomic_load_n(&st[1], __ATOMIC_RELAXED);
}

TEST_F(pv, stolen_time_grows_only_under_cpu_contention)
{
	uint64_t ipa = ST_IPA, quiet, busy;
	cpu_set_t set;
	pthread_t t;

	load_program(&self->m, GUEST_CODE_IPA, g_watch_start, g_watch_end);
	ASSERT_EQ(0, attr(&self->v, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_IPA, &ipa));
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(set), &set));

	quiet = run_for(_metadata, &self->m, &self->v, 1);
	pthread_create(&t, NULL, spin_on_cpu0, NULL);
	busy = run_for(_metadata, &self->m, &self->v, 2) - quiet;
	stop_spinning = 1;
	pthread_join(t, NULL);
	TH_LOG("stolen time: %.3f s alone for 1 s, %.3f s more sharing CPU 0 for 2 s", quiet / 1e9,
	       busy / 1e9);
	/* Alone, the vCPU thread hardly waits; sharing one CPU it waits about half the time. */
	EXPECT_LT(quiet, 200 * 1000 * 1000ULL);
	EXPECT_GT(busy, 400 * 1000 * 1000ULL);
}

TEST_HARNESS_MAIN
