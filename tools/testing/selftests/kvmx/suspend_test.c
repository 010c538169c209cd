// SPDX-License-Identifier: GPL-2.0
/*
 * PSCI SYSTEM_SUSPEND: the guest's request exits to the VMM with the vCPU reset to its
 * resume point; KVM_MP_STATE_SUSPENDED blocks in KVM_RUN until a wake-up event (user
 * IRQ line, virtual timer) or a signal; a suspended guest migrates through registers
 * and MP state alone.
 */
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <time.h>

#include "kselftest_harness.h"
#include "vcpu_lib.h"

#define RESUME_IPA (GUEST_RAM_IPA + 0x1000)
#define CONTEXT_ID 0x5eed

asm(".pushsection .text\n"
    ".balign 4\n"
    /* SYSTEM_SUSPEND(x1 = entry, x2 = context id) then report x0 (the error code). */
    ".global g_suspend_start, g_suspend_end\n"
    "g_suspend_start:\n"
    "	movz x0, #0x000e\n"
    "	movk x0, #0xc400, lsl #16\n"
    "	hvc #0\n"
    "	movz x1, #0x9000, lsl #16\n"
    "	str x0, [x1]\n"
    "	b .\n"
    "g_suspend_end:\n"
    /* The resume point: report x0 (the context id). */
    ".global g_resume_start, g_resume_end\n"
    "g_resume_start:\n"
    "	movz x1, #0x9000, lsl #16\n"
    "	str x0, [x1, #8]\n"
    "	b .\n"
    "g_resume_end:\n"
    ".popsection\n");

GUEST_PROGRAM(g_suspend);
GUEST_PROGRAM(g_resume);

#define LOAD(m, ipa, prog) load_program(m, ipa, prog##_start, prog##_end)
#define PSCI_DENIED ((uint64_t)-3)
#define PSCI_INVALID_ADDRESS ((uint64_t)-9)
#define PSCI_NOT_SUPPORTED ((uint64_t)-1)

static int setup(struct vmm *m, struct vcpu *v, int enable_cap, uint64_t entry)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_ARM_SYSTEM_SUSPEND };

	if (vmm_create(m) || vcpu_add(m, v, 0, 1 << KVM_ARM_VCPU_PSCI_0_2, GUEST_CODE_IPA))
		return -1;
	if (enable_cap && ioctl(m->vm, KVM_ENABLE_CAP, &cap))
		return -1;
	LOAD(m, GUEST_CODE_IPA, g_suspend);
	LOAD(m, RESUME_IPA, g_resume);
	if (vcpu_set(v, CORE_REG(regs.regs[1]), entry))
		return -1;
	return vcpu_set(v, CORE_REG(regs.regs[2]), CONTEXT_ID);
}

static uint64_t reported_error(struct __test_metadata *_metadata, struct vcpu *v)
{
	EXPECT_EQ(0, vcpu_run(v));
	EXPECT_EQ(KVM_EXIT_MMIO, v->run->exit_reason);
	EXPECT_EQ(GUEST_MMIO_IPA, v->run->mmio.phys_addr);
	return mmio_data(v);
}

static void set_mp(struct vcpu *v, __u32 state)
{
	struct kvm_mp_state mp = { .mp_state = state };

	ioctl(v->fd, KVM_SET_MP_STATE, &mp);
}

static __u32 get_mp(struct vcpu *v)
{
	struct kvm_mp_state mp = { .mp_state = 0xff };

	ioctl(v->fd, KVM_GET_MP_STATE, &mp);
	return mp.mp_state;
}

static void suspend_exit(struct __test_metadata *_metadata, struct vcpu *v)
{
	ASSERT_EQ(0, vcpu_run(v));
	ASSERT_EQ(KVM_EXIT_SYSTEM_EVENT, v->run->exit_reason);
	ASSERT_EQ(KVM_SYSTEM_EVENT_SUSPEND, v->run->system_event.type);
}

TEST(suspend_not_supported_without_cap)
{
	struct vmm m;
	struct vcpu v;
	ASSERT_EQ(0, setup(&m, &v, 0, RESUME_IPA));
	EXPECT_EQ(PSCI_NOT_SUPPORTED, reported_error(_metadata, &v));
	close(v.fd);
	vmm_destroy(&m);
}

TEST(suspend_denied_while_another_vcpu_is_on)
{
	struct vmm m;
	struct vcpu v, other;

	ASSERT_EQ(0, setup(&m, &v, 1, RESUME_IPA));
	ASSERT_EQ(0, vcpu_add(&m, &other, 1, 1 << KVM_ARM_VCPU_PSCI_0_2, GUEST_CODE_IPA));
	EXPECT_EQ(PSCI_DENIED, reported_error(_metadata, &v));
	close(other.fd);
	close(v.fd);
	vmm_destroy(&m);
}

TEST(suspend_rejects_entry_beyond_ipa_space)
{
	struct vmm m;
	struct vcpu v;

	ASSERT_EQ(0, setup(&m, &v, 1, 1ULL << 40));
	EXPECT_EQ(PSCI_INVALID_ADDRESS, reported_error(_metadata, &v));
	close(v.fd);
	vmm_destroy(&m);
}

TEST(suspend_exits_with_vcpu_reset_to_resume_point)
{
	struct vmm m;
	struct vcpu v;

	ASSERT_EQ(0, setup(&m, &v, 1, RESUME_IPA));
	suspend_exit(_metadata, &v);
	EXPECT_EQ(RESUME_IPA, vcpu_get(&v, CORE_REG(regs.pc)));
	EXPECT_EQ(CONTEXT_ID, vcpu_get(&v, CORE_REG(regs.regs[0])));
	EXPECT_EQ(0x3c5, vcpu_get(&v, CORE_REG(regs.pstate)));
	/* A plain KVM_RUN resumes at once: the suspend is only an intent. */
	ASSERT_EQ(0, vcpu_run(&v));
	EXPECT_EQ(GUEST_MMIO_IPA + 8, v.run->mmio.phys_addr);
	EXPECT_EQ(CONTEXT_ID, mmio_data(&v));
	close(v.fd);
	vmm_destroy(&m);
}

static void expect_wakeup(struct __test_metadata *_metadata, struct vcpu *v, double min_s)
{
	double start = now_s();

	ASSERT_EQ(0, vcpu_run(v));
	EXPECT_GE(now_s() - start, min_s);
	EXPECT_EQ(KVM_EXIT_SYSTEM_EVENT, v->run->exit_reason);
	EXPECT_EQ(KVM_SYSTEM_EVENT_WAKEUP, v->run->system_event.type);
	/* The VMM decides to resume: the state stays SUSPENDED until it says so. */
	EXPECT_EQ(KVM_MP_STATE_SUSPENDED, get_mp(v));
}

TEST(suspended_vcpu_wakes_on_user_irq_line)
{
	struct irq_args args;
	struct vmm m;
	struct vcpu v;
	pthread_t t;

	ASSERT_EQ(0, setup(&m, &v, 1, RESUME_IPA));
	suspend_exit(_metadata, &v);
	set_mp(&v, KVM_MP_STATE_SUSPENDED);
	args.vm = m.vm;
	args.delay_ms = 300;
	pthread_create(&t, NULL, raise_irq_later, &args);
	expect_wakeup(_metadata, &v, 0.25);
	pthread_join(t, NULL);
	close(v.fd);
	vmm_destroy(&m);
}

TEST(suspended_vcpu_wakes_on_virtual_timer)
{
	uint64_t freq, cnt;
	struct vmm m;
	struct vcpu v;

	asm volatile("mrs %0, cntfrq_el0" : "=r"(freq));
	ASSERT_EQ(0, setup(&m, &v, 1, RESUME_IPA));
	suspend_exit(_metadata, &v);
	cnt = vcpu_get(&v, KVM_REG_ARM_TIMER_CNT);
	ASSERT_EQ(0, vcpu_set(&v, KVM_REG_ARM_TIMER_CVAL, cnt + freq * 3 / 10));
	ASSERT_EQ(0, vcpu_set(&v, KVM_REG_ARM_TIMER_CTL, 1)); /* enabled, not masked */
	set_mp(&v, KVM_MP_STATE_SUSPENDED);
	expect_wakeup(_metadata, &v, 0.2);
	close(v.fd);
	vmm_destroy(&m);
}

TEST(suspended_vcpu_returns_eintr_on_signal)
{
	struct sigaction sa = { .sa_handler = ignore_signal };
	struct vmm m;
	struct vcpu v;

	ASSERT_EQ(0, setup(&m, &v, 1, RESUME_IPA));
	suspend_exit(_metadata, &v);
	set_mp(&v, KVM_MP_STATE_SUSPENDED);
	sigaction(SIGALRM, &sa, NULL);
	alarm(1);
	EXPECT_EQ(-1, vcpu_run(&v));
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ(KVM_MP_STATE_SUSPENDED, get_mp(&v));
	close(v.fd);
	vmm_destroy(&m);
}

TEST(suspended_guest_migrates_and_resumes_at_entry_point)
{
	uint64_t ids[] = { CORE_REG(regs.pc), CORE_REG(regs.pstate), CORE_REG(regs.regs[0]),
			   SYSREG(3, 0, 1, 0, 0) /* SCTLR_EL1 */ };
	uint64_t vals[4];
	struct irq_args args;
	struct vmm src, dst;
	struct vcpu vs, vd;
	pthread_t t;

	ASSERT_EQ(0, setup(&src, &vs, 1, RESUME_IPA));
	suspend_exit(_metadata, &vs);
	for (int i = 0; i < 4; i++)
		vals[i] = vcpu_get(&vs, ids[i]);

	/* A fresh VM on the "destination": memory, registers, MP state; nothing else. */
	struct kvm_enable_cap cap = { .cap = KVM_CAP_ARM_SYSTEM_SUSPEND };

	ASSERT_EQ(0, vmm_create(&dst));
	ASSERT_EQ(0, ioctl(dst.vm, KVM_ENABLE_CAP, &cap));
	ASSERT_EQ(0, vcpu_add(&dst, &vd, 0, 1 << KVM_ARM_VCPU_PSCI_0_2, 0));
	memcpy(dst.ram, src.ram, GUEST_RAM_SIZE);
	close(vs.fd);
	vmm_destroy(&src);
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(0, vcpu_set(&vd, ids[i], vals[i]));
	set_mp(&vd, KVM_MP_STATE_SUSPENDED);

	args.vm = dst.vm;
	args.delay_ms = 200;
	pthread_create(&t, NULL, raise_irq_later, &args);
	expect_wakeup(_metadata, &vd, 0.15);
	pthread_join(t, NULL);
	set_mp(&vd, KVM_MP_STATE_RUNNABLE);
	ASSERT_EQ(0, vcpu_run(&vd));
	EXPECT_EQ(KVM_EXIT_MMIO, vd.run->exit_reason);
	EXPECT_EQ(GUEST_MMIO_IPA + 8, vd.run->mmio.phys_addr);
	EXPECT_EQ(CONTEXT_ID, mmio_data(&vd));
	close(vd.fd);
	vmm_destroy(&dst);
}

TEST_HARNESS_MAIN
