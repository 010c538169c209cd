// SPDX-License-Identifier: GPL-2.0
/*
 * 32-bit EL1 guests (KVM_ARM_VCPU_EL1_32BIT): a real A32/T32 guest on kvmx's world switch
 * with HCR_EL2.RW = 0. MMIO through banked and T32 16-bit loads and stores, a trapped
 * CP15 ID-register read and VMRS of MVFR0, HVC32 into PSCI, a condition-failed WFI and
 * one in a failing IT block that must not block, a WFI that blocks until the IRQ line,
 * FP/SIMD state across an exit (FPEXC switched), an UNDEF that kvmx injects for a trapped
 * PMU register read, taken in the guest's UND mode, a switch to T32 and a PSCI CPU_ON with
 * a T32 entry point. The guest code is hand assembled (arm-linux-gnueabihf-as output, kept
 * as words with the source beside them); it keeps its MMIO base in r11 across HVCs, since
 * an SMCCC call may clobber r1-r3 (the built-in KVM zeroes them). The same binary passes
 * on the built-in KVM (checked by hand: Documentation/virt/kvmx/arm64.rst).
 *
 * AArch32 EL0 under a 64-bit EL1 (as a 64-bit Linux guest runs armhf userspace): the A64
 * EL1 reports ID_AA64PFR0_EL1 and ERETs to A32 USR code that does MMIO, a trapped MRRC of
 * the physical counter, a first FP use, a WFI that blocks until the IRQ line, a CP14 read
 * kvmx answers with UNDEF (taken at VBAR_EL1 + 0x600), T32 16-bit MMIO and WFE, and an SVC
 * back to EL1 (llvm-mc output for the A32/T32 words).
 */
#include <pthread.h>
#include <stddef.h>

#include "kselftest_harness.h"
#include "vcpu_lib.h"

/* One blob at GUEST_CODE_IPA; entry points and the vector base by offset. */
#define A32_MAIN 0x00
#define A32_VBAR 0x60
#define A32_SECONDARY_T32 0x9a
#define A32_WFI 0xb4
#define A32_CPU_ON 0xc8
#define A32_PTIMER 0xf4
#define MMIO_BASE 0x90000000ULL
#define PSR32_T (1u << 5)
#define PSR32_MODE(p) ((p)&0x1f)
#define MODE_SVC 0x13
#define MODE_UND 0x1b
#define REG_ID_PFR0 SYSREG(3, 0, 0, 1, 0)
#define REG_MVFR0 SYSREG(3, 0, 0, 3, 0)
#define PSCI_SYSTEM_OFF_EXIT KVM_SYSTEM_EVENT_SHUTDOWN

asm(".pushsection .text\n"
    ".balign 4\n"
    ".global g_a32_start, g_a32_end\n"
    "g_a32_start:\n"
    /* main: +0x0 */
    "	.inst 0xe300b000\n" /* movw fp, #0 */
    "	.inst 0xe349b000\n" /* movt fp, #36864 */
    "	.inst 0xee103f11\n" /* mrc 15, 0, r3, cr0, cr1, {0} */
    "	.inst 0xe58b3000\n" /* str r3, [fp] */
    "	.inst 0xe59b4004\n" /* ldr r4, [fp, #4] */
    "	.inst 0xe58b4008\n" /* str r4, [fp, #8] */
    "	.inst 0xe3000000\n" /* movw r0, #0 */
    "	.inst 0xe3480400\n" /* movt r0, #33792 */
    "	.inst 0xe1400070\n" /* hvc 0 */
    "	.inst 0xe58b000c\n" /* str r0, [fp, #12] */
    "	.inst 0xe3a05001\n" /* mov r5, #1 */
    "	.inst 0xe3550002\n" /* cmp r5, #2 */
    "	.inst 0x0320f003\n" /* wfieq */
    "	.inst 0xeef76a10\n" /* vmrs r6, mvfr0 */
    "	.inst 0xe58b6010\n" /* str r6, [fp, #16] */
    "	.inst 0xe3a07101\n" /* mov r7, #1073741824 */
    "	.inst 0xeee87a10\n" /* vmsr fpexc, r7 */
    "	.inst 0xee004a10\n" /* vmov s0, r4 */
    "	.inst 0xe3000000\n" /* movw r0, #0 */
    "	.inst 0xe3480400\n" /* movt r0, #33792 */
    "	.inst 0xe1400070\n" /* hvc 0 */
    "	.inst 0xee109a10\n" /* vmov r9, s0 */
    "	.inst 0xe58b9014\n" /* str r9, [fp, #20] */
    "	.inst 0xee19af1c\n" /* mrc p15, 0, r10, c9, c12, 0: PMCR, no PMU: kvmx injects UNDEF */
    /* vec: +0x60 */
    "	.inst 0xeafffffe\n" /* b 60 */
    "	.inst 0xeaffffff\n" /* b 68 */
    /* und: +0x68 */
    "	.inst 0xe58be018\n" /* str lr, [fp, #24] */
    "	.inst 0xe14f7000\n" /* mrs r7, SPSR */
    "	.inst 0xe58b701c\n" /* str r7, [fp, #28] */
    "	.inst 0xe1a0200b\n" /* mov r2, fp */
    "	.inst 0xe28f8001\n" /* adr r8, th + 1 */
    "	.inst 0xe12fff18\n" /* bx r8 */
    /* th: +0x80 */
    "	.hword 0x6851\n"	 /* ldr r1, [r2, #4] */
    "	.hword 0x6091\n"	 /* str r1, [r2, #8] */
    "	.hword 0x4289\n"	 /* cmp r1, r1 */
    "	.hword 0xbf18\n"	 /* it ne */
    "	.hword 0xbf30\n"	 /* wfine */
    "	.hword 0x60d1\n"	 /* str r1, [r2, #12] */
    "	.hword 0xf240, 0x0008\n" /* movw r0, #8 */
    "	.hword 0xf2c8, 0x4000\n" /* movt r0, #33792 */
    "	.hword 0xf7e0, 0x8000\n" /* hvc #0 */
    "	.hword 0xe7fe\n"	 /* b.n 98 */
    /* sec: +0x9a */
    "	.hword 0xf240, 0x0200\n" /* movw r2, #0 */
    "	.hword 0xf2c9, 0x0200\n" /* movt r2, #36864 */
    "	.hword 0x6210\n"	 /* str r0, [r2, #32] */
    "	.hword 0xf240, 0x0008\n" /* movw r0, #8 */
    "	.hword 0xf2c8, 0x4000\n" /* movt r0, #33792 */
    "	.hword 0xf7e0, 0x8000\n" /* hvc #0 */
    "	.hword 0xe7fe\n"	 /* b.n b0 */
    /* wfi: +0xb4 */
    "	.hword 0\n"	    /* padding */
    "	.inst 0xe320f003\n" /* wfi */
    "	.inst 0xe3000008\n" /* movw r0, #8 */
    "	.inst 0xe3480400\n" /* movt r0, #33792 */
    "	.inst 0xe1400070\n" /* hvc 0 */
    "	.inst 0xeafffffe\n" /* b c4 */
    /* cpuon: +0xc8 */
    "	.inst 0xe3000003\n" /* movw r0, #3 */
    "	.inst 0xe3480400\n" /* movt r0, #33792 */
    "	.inst 0xe3a01001\n" /* mov r1, #1 */
    "	.inst 0xe24f2041\n" /* adr r2, sec + 1 */
    "	.inst 0xe30b3eef\n" /* movw r3, #48879 */
    "	.inst 0xe1400070\n" /* hvc 0 */
    "	.inst 0xe3002000\n" /* movw r2, #0 */
    "	.inst 0xe3492000\n" /* movt r2, #36864 */
    "	.inst 0xe5820024\n" /* str r0, [r2, #36] */
    "	.inst 0xe320f003\n" /* wfi */
    "	.inst 0xeafffffe\n" /* b f0 */
    /* ptimer: +0xf4 */
    "	.inst 0xe300b000\n" /* movw fp, #0 */
    "	.inst 0xe349b000\n" /* movt fp, #36864 */
    "	.inst 0xec532f0e\n" /* mrrc p15, 0, r2, r3, c14: CNTPCT */
    "	.inst 0xe58b2000\n" /* str r2, [fp] */
    "	.inst 0xe58b3004\n" /* str r3, [fp, #4] */
    "	.inst 0xec432f2e\n" /* mcrr p15, 2, r2, r3, c14: CNTP_CVAL */
    "	.inst 0xec576f2e\n" /* mrrc p15, 2, r6, r7, c14 */
    "	.inst 0xe58b6008\n" /* str r6, [fp, #8] */
    "	.inst 0xe58b700c\n" /* str r7, [fp, #12] */
    "	.inst 0xe3a08001\n" /* mov r8, #1 */
    "	.inst 0xee0e8f32\n" /* mcr p15, 0, r8, c14, c2, 1: CNTP_CTL */
    "	.inst 0xee1e5f32\n" /* mrc p15, 0, r5, c14, c2, 1 */
    "	.inst 0xe58b5010\n" /* str r5, [fp, #16] */
    "	.inst 0xe3000008\n" /* movw r0, #8 */
    "	.inst 0xe3480400\n" /* movt r0, #33792 */
    "	.inst 0xe1400070\n" /* hvc 0 */
    "	.inst 0xeafffffe\n" /* b 134 */

    "g_a32_end:\n"
    ".popsection\n");
GUEST_PROGRAM(g_a32);

/* A 32-bit vCPU @id of @m starting at blob offset @entry (CP10/CP11 enabled in CPACR). */
static int vcpu32_add(struct vmm *m, struct vcpu *v, int id, uint32_t extra, uint64_t entry)
{
	load_program(m, GUEST_CODE_IPA, g_a32_start, g_a32_end);
	if (vcpu_add(m, v, id, 1u << KVM_ARM_VCPU_EL1_32BIT | 1u << KVM_ARM_VCPU_PSCI_0_2 | extra,
		     GUEST_CODE_IPA + entry))
		return -1;
	return vcpu_set(v, REG_CPACR_EL1, 0xf << 20);
}

/* The MMIO writes a guest made, in order. */
struct writes {
	int n;
	uint64_t off[32], val[32];
};

/* Run until an exit other than an MMIO access, recording writes in @w and answering every
 * read with @read_value. Returns the exit reason, or -errno if KVM_RUN failed. */
static int run_recording(struct vcpu *v, struct writes *w, uint32_t read_value, int *reads)
{
	for (;;) {
		if (vcpu_run(v))
			return -errno;
		if (v->run->exit_reason != KVM_EXIT_MMIO)
			return v->run->exit_reason;
		if (!v->run->mmio.is_write) {
			memcpy(v->run->mmio.data, &read_value, 4);
			(*reads)++;
		} else if (w->n < 32) {
			w->off[w->n] = v->run->mmio.phys_addr - MMIO_BASE;
			w->val[w->n++] = mmio_data(v);
		}
	}
}

TEST(el1_32bit_capability_is_offered)
{
	int kvm = kvmx_open_dev();

	ASSERT_GE(kvm, 0);
	EXPECT_EQ(1, ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_EL1_32BIT));
	close(kvm);
}

TEST(a32_and_t32_guest_runs_its_program)
{
	struct vmm m;
	struct vcpu v;
	struct writes w = { 0 };
	int reads = 0;

	ASSERT_EQ(0, vmm_create(&m));
	ASSERT_EQ(0, vcpu32_add(&m, &v, 0, 0, A32_MAIN));
	ASSERT_EQ(0, vcpu_set(&v, REG_VBAR_EL1, GUEST_CODE_IPA + A32_VBAR));
	ASSERT_EQ(MODE_SVC, PSR32_MODE(vcpu_get(&v, CORE_REG(regs.pstate))));

	ASSERT_EQ(KVM_EXIT_SYSTEM_EVENT, run_recording(&v, &w, 0x12345678, &reads));
	EXPECT_EQ(PSCI_SYSTEM_OFF_EXIT, v.run->system_event.type);
	EXPECT_EQ(2, reads); /* A32 LDR, then T32 16-bit LDR */

	const uint64_t id_pfr0 = vcpu_get(&v, REG_ID_PFR0), mvfr0 = vcpu_get(&v, REG_MVFR0);
	const struct {
		uint64_t off, val, mask;
	} want[] = {
		{ 0, id_pfr0, ~0ULL },		      /* MRC p15 ID_PFR0 (trapped) */
		{ 8, 0x12345678, ~0ULL },	      /* A32 LDR/STR through r4 */
		{ 12, 0x10001, ~0ULL },		      /* HVC32 PSCI_VERSION: 1.1 */
		{ 16, mvfr0, ~0ULL },		      /* VMRS MVFR0 (trapped) */
		{ 20, 0x12345678, ~0ULL },	      /* s0 kept across an exit */
		{ 24, GUEST_CODE_IPA + 0x60, ~0ULL }, /* LR_und = MRC + 4 */
		{ 28, 0, 0 },			      /* the guest's own SPSR read (see below) */
		{ 8, 0x12345678, ~0ULL },	      /* T32 16-bit LDR/STR */
		{ 12, 0x12345678, ~0ULL },	      /* after IT NE; WFINE (Z set) */
	};
	ASSERT_EQ(sizeof(want) / sizeof(want[0]), w.n);
	for (int i = 0; i < w.n; i++) {
		EXPECT_EQ(want[i].off, w.off[i]);
		EXPECT_EQ(want[i].val, w.val[i] & want[i].mask);
	}
	EXPECT_NE(0, id_pfr0);
	EXPECT_NE(0, mvfr0);

	/* Where it stopped: UND mode (never returned), T32, at the HVC's successor. */
	uint64_t pstate = vcpu_get(&v, CORE_REG(regs.pstate));
	EXPECT_EQ(MODE_UND, PSR32_MODE(pstate));
	EXPECT_TRUE(pstate & PSR32_T);
	EXPECT_EQ(GUEST_CODE_IPA + 0x60, vcpu_get(&v, CORE_REG(regs.regs[22]))); /* LR_und */
	/*
	 * SPSR_und as kvmx entered the exception: the A32 SVC state before the MRC. (QEMU
	 * 10.0's TCG does not show a banked SPSR written at EL2 to AArch32 code that ERETs
	 * into that mode, so the guest's own MRS reads 0 there on the built-in KVM and on
	 * kvmx alike: the ONE_REG value is the one to check.)
	 */
	uint64_t spsr_und = vcpu_get(&v, CORE_REG(spsr[KVM_SPSR_UND]));
	EXPECT_EQ(MODE_SVC, PSR32_MODE(spsr_und));
	EXPECT_EQ(0, spsr_und & PSR32_T);
	EXPECT_EQ(GUEST_CODE_IPA + 0x98, vcpu_get(&v, CORE_REG(regs.pc)));
	vmm_destroy(&m);
}

TEST(wfi_blocks_until_the_irq_line)
{
	struct vmm m;
	struct vcpu v;
	pthread_t t;
	struct irq_args irq = { .delay_ms = 300 };
	struct writes w = { 0 };
	int reads = 0;

	ASSERT_EQ(0, vmm_create(&m));
	irq.vm = m.vm;
	ASSERT_EQ(0, vcpu32_add(&m, &v, 0, 0, A32_WFI));
	double t0 = now_s();
	ASSERT_EQ(0, pthread_create(&t, NULL, raise_irq_later, &irq));
	ASSERT_EQ(KVM_EXIT_SYSTEM_EVENT, run_recording(&v, &w, 0, &reads));
	double waited = now_s() - t0;
	pthread_join(t, NULL);
	EXPECT_GE(waited, 0.25);
	EXPECT_EQ(PSCI_SYSTEM_OFF_EXIT, v.run->system_event.type);
	vmm_destroy(&m);
}

TEST(cpu_on_starts_a_32bit_vcpu_at_a_t32_entry_point)
{
	struct vmm m;
	struct vcpu boot, sec;
	struct writes w = { 0 };
	int reads = 0;

	ASSERT_EQ(0, vmm_create(&m));
	ASSERT_EQ(0, vcpu32_add(&m, &boot, 0, 0, A32_CPU_ON));
	ASSERT_EQ(0, vcpu32_add(&m, &sec, 1, 1u << KVM_ARM_VCPU_POWER_OFF, 0));

	/* The boot vCPU calls CPU_ON, reports its result, then waits in WFI. */
	ASSERT_EQ(0, vcpu_run(&boot));
	ASSERT_EQ(KVM_EXIT_MMIO, boot.run->exit_reason);
	EXPECT_EQ(MMIO_BASE + 36, boot.run->mmio.phys_addr);
	EXPECT_EQ(0, mmio_data(&boot));

	/* The secondary starts in T32 at the entry point with the context id in r0. */
	ASSERT_EQ(KVM_EXIT_SYSTEM_EVENT, run_recording(&sec, &w, 0, &reads));
	ASSERT_EQ(1, w.n);
	EXPECT_EQ(32, w.off[0]);
	EXPECT_EQ(0xbeef, w.val[0]);
	EXPECT_TRUE(vcpu_get(&sec, CORE_REG(regs.pstate)) & PSR32_T);
	vmm_destroy(&m);
}

TEST(aarch64_state_is_refused_to_a_32bit_vcpu)
{
	struct vmm m;
	struct vcpu v;

	ASSERT_EQ(0, vmm_create(&m));
	ASSERT_EQ(0, vcpu32_add(&m, &v, 0, 0, A32_MAIN));
	EXPECT_EQ(-1, vcpu_set(&v, CORE_REG(regs.pstate), 0x3c5));
	EXPECT_EQ(EINVAL, errno);
	vmm_destroy(&m);
}

/*
 * With a physical counter offset (KVM_REG_ARM_PTIMER_CNT) the guest's CP15 accesses to the
 * counter and the physical timer trap; the 64-bit ones (MRRC/MCRR) land in both registers:
 * the guest reads the count the VMM set, its CVAL round-trips, and CNTP_CTL shows ISTATUS
 * for a CVAL already reached.
 */
TEST(physical_counter_offset_reaches_cp15_accesses)
{
	struct vmm m;
	struct vcpu v;
	struct writes w = { 0 };
	int reads = 0, r, tries = 0;

	ASSERT_EQ(0, vmm_create(&m));
	ASSERT_EQ(0, vcpu32_add(&m, &v, 0, 0, A32_PTIMER));
	ASSERT_EQ(0, vcpu_set(&v, KVM_REG_ARM_PTIMER_CNT, 0x50ULL << 32));
	/* The enabled timer's line goes high: the VMM hears of it (-EINTR), then runs on. */
	while ((r = run_recording(&v, &w, 0, &reads)) == -EINTR && ++tries < 5)
		;
	ASSERT_EQ(KVM_EXIT_SYSTEM_EVENT, r);
	ASSERT_EQ(5, w.n);
	EXPECT_GE(w.val[1], 0x50) TH_LOG("CNTPCT high word: the count the VMM set");
	EXPECT_LE(w.val[1], 0x51);
	EXPECT_EQ(w.val[0], w.val[2]) TH_LOG("CNTP_CVAL written and read back");
	EXPECT_EQ(w.val[1], w.val[3]);
	EXPECT_EQ(w.val[1] << 32 | w.val[0], vcpu_get(&v, KVM_REG_ARM_PTIMER_CVAL));
	EXPECT_EQ(5, w.val[4]) TH_LOG("CNTP_CTL: ENABLE and ISTATUS");
	vmm_destroy(&m);
}

/*
 * AArch32 EL0 under a 64-bit EL1. Blob at GUEST_CODE_IPA: A64 EL1 entry, then at +0x40 the
 * A32/T32 USR code. Vector blob at GUEST_VECTORS_IPA: every entry records ESR_EL1, ELR_EL1,
 * SPSR_EL1 and its slot (8-byte MMIO writes at +0x100); EC 0 (the UNDEF kvmx injects) goes
 * back to EL0 past the 4-byte instruction, anything else ends in PSCI SYSTEM_OFF.
 */
#define EL0_A32 0x40
#define EL0_UNDEF_MRC (EL0_A32 + 0x2c)
#define EL0_SVC_NEXT (EL0_A32 + 0x44)
#define REG_CNTKCTL_EL1 SYSREG(3, 0, 14, 1, 0)
#define REG_ID_AA64PFR0 SYSREG(3, 0, 0, 4, 0)
#define PFR0_GIC (0xfULL << 24)

asm(".pushsection .text\n"
    ".balign 64\n"
    ".global g_el0_start, g_el0_end\n"
    "g_el0_start:\n"
    "	movz x20, #0x9000, lsl #16\n"
    "	mrs x0, id_aa64pfr0_el1\n"
    "	str x0, [x20, #0x80]\n"
    "	adr x1, g_el0_start + 0x40\n"
    "	msr elr_el1, x1\n"
    "	mov x1, #0x1d0\n" /* SPSR: AArch32 (M[4]) USR, A32, A, I, F masked */
    "	msr spsr_el1, x1\n"
    "	eret\n"
    ".balign 64\n"
    /* +0x40: A32, USR mode */
    "	.inst 0xe300b000\n" /* movw r11, #0 */
    "	.inst 0xe349b000\n" /* movt r11, #0x9000 */
    "	.inst 0xe59b4004\n" /* ldr r4, [r11, #4]: MMIO load */
    "	.inst 0xe58b4008\n" /* str r4, [r11, #8]: MMIO store */
    "	.inst 0xec532f0e\n" /* mrrc p15, 0, r2, r3, c14: CNTPCT, trapped (offset) */
    "	.inst 0xe58b300c\n" /* str r3, [r11, #12] */
    "	.inst 0xee004a10\n" /* vmov s0, r4: first FP use, trapped (lazy FP switch) */
    "	.inst 0xee106a10\n" /* vmov r6, s0 */
    "	.inst 0xe58b6010\n" /* str r6, [r11, #16] */
    "	.inst 0xe320f003\n" /* wfi: trapped (HCR_EL2.TWI), blocks until the IRQ line */
    "	.inst 0xe58b4014\n" /* str r4, [r11, #20] */
    "	.inst 0xee103e10\n" /* mrc p14, 0, r3, c0, c0, 0: DBGDIDR, UNDEF from kvmx */
    "	.inst 0xe1a0200b\n" /* mov r2, r11 */
    "	.inst 0xe28f8001\n" /* adr r8, th + 1 */
    "	.inst 0xe12fff18\n" /* bx r8 */
    /* th: +0x7c */
    "	.hword 0x6194\n" /* str r4, [r2, #24] */
    "	.hword 0xbf20\n" /* wfe: trapped (HCR_EL2.TWE), 16 bits */
    "	.hword 0x61d4\n" /* str r4, [r2, #28] */
    "	.hword 0xdf42\n" /* svc #0x42 */
    "	.hword 0xe7fe\n" /* b . */
    "g_el0_end:\n"
    ".balign 2048\n"
    ".global g_el0vec_start, g_el0vec_end\n"
    "g_el0vec_start:\n"
    ".irp slot, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15\n"
    ".balign 0x80\n"
    "	movz x9, #\\slot\n"
    "	b g_el0vec_common\n"
    ".endr\n"
    "g_el0vec_common:\n"
    "	movz x20, #0x9000, lsl #16\n"
    "	mrs x0, esr_el1\n"
    "	str x0, [x20, #0x100]\n"
    "	mrs x1, elr_el1\n"
    "	str x1, [x20, #0x108]\n"
    "	mrs x2, spsr_el1\n"
    "	str x2, [x20, #0x110]\n"
    "	str x9, [x20, #0x118]\n"
    "	lsr x3, x0, #26\n"
    "	cbnz x3, 1f\n"
    "	add x1, x1, #4\n"
    "	msr elr_el1, x1\n"
    "	eret\n"
    "1:	movz w0, #0x0008\n"
    "	movk w0, #0x8400, lsl #16\n" /* PSCI SYSTEM_OFF */
    "	hvc #0\n"
    "	b .\n"
    "g_el0vec_end:\n"
    ".popsection\n");
GUEST_PROGRAM(g_el0);
GUEST_PROGRAM(g_el0vec);

TEST(aarch32_el0_under_a_64bit_el1_does_mmio_wfi_fp_and_takes_undef_and_svc)
{
	struct vmm m;
	struct vcpu v;
	pthread_t t;
	struct irq_args irq = { .delay_ms = 300 };
	struct writes w = { 0 };
	int reads = 0, r, tries = 0;

	ASSERT_EQ(0, vmm_create(&m));
	irq.vm = m.vm;
	load_program(&m, GUEST_CODE_IPA, g_el0_start, g_el0_end);
	load_program(&m, GUEST_VECTORS_IPA, g_el0vec_start, g_el0vec_end);
	ASSERT_EQ(0, vcpu_add(&m, &v, 0, 1u << KVM_ARM_VCPU_PSCI_0_2, GUEST_CODE_IPA));
	ASSERT_EQ(0, vcpu_set(&v, REG_VBAR_EL1, GUEST_VECTORS_IPA));
	/* EL0 may read the physical counter (CNTKCTL_EL1.EL0PCTEN); with an offset it traps. */
	ASSERT_EQ(0, vcpu_set(&v, REG_CNTKCTL_EL1, vcpu_get(&v, REG_CNTKCTL_EL1) | 1));
	ASSERT_EQ(0, vcpu_set(&v, KVM_REG_ARM_PTIMER_CNT, 0x50ULL << 32));
	const uint64_t pfr0 = vcpu_get(&v, REG_ID_AA64PFR0);

	if ((pfr0 & 0xf) != 2) {
		vmm_destroy(&m);
		SKIP(return, "no AArch32 EL0 on this host (ID_AA64PFR0_EL1.EL0 %lu)",
			   (unsigned long)(pfr0 & 0xf));
	}
	double t0 = now_s();
	ASSERT_EQ(0, pthread_create(&t, NULL, raise_irq_later, &irq));
	while ((r = run_recording(&v, &w, 0x12345678, &reads)) == -EINTR && ++tries < 5)
		;
	double waited = now_s() - t0;
	pthread_join(t, NULL);
	ASSERT_EQ(KVM_EXIT_SYSTEM_EVENT, r);
	EXPECT_EQ(PSCI_SYSTEM_OFF_EXIT, v.run->system_event.type);
	EXPECT_EQ(1, reads);
	EXPECT_GE(waited, 0.25) TH_LOG("the WFI waits for the IRQ line");

	const struct {
		uint64_t off, val, mask;
		const char *what;
	} want[] = {
		{ 0x80, pfr0 & ~PFR0_GIC, ~PFR0_GIC, "ID_AA64PFR0_EL1 (GIC 0 once run)" },
		{ 8, 0x12345678, ~0ULL, "A32 LDR from MMIO into r4, STR of r4" },
		{ 12, 0x50, ~1ULL, "MRRC CNTPCT high word (r3): the VMM's count" },
		{ 16, 0x12345678, ~0ULL, "r4 through s0 (first FP use at EL0)" },
		{ 20, 0x12345678, ~0ULL, "after the WFI" },
		{ 0x100, 0x02000000, ~0ULL, "ESR_EL1: EC 0 (unknown), IL" },
		{ 0x108, GUEST_CODE_IPA + EL0_UNDEF_MRC, ~0ULL, "ELR_EL1: the CP14 MRC" },
		{ 0x110, 0x1d0, ~0ULL, "SPSR_EL1: AArch32 USR, A32" },
		{ 0x118, 12, ~0ULL, "VBAR_EL1 + 0x600: lower EL, AArch32" },
		{ 24, 0x12345678, ~0ULL, "T32 16-bit STR" },
		{ 28, 0x12345678, ~0ULL, "after the T32 16-bit WFE" },
		{ 0x100, 0x11ULL << 26 | 0x42, ~0ULL, "ESR_EL1: SVC32 #0x42, 16-bit" },
		{ 0x108, GUEST_CODE_IPA + EL0_SVC_NEXT, ~0ULL, "ELR_EL1: past the SVC" },
		{ 0x110, 0x1f0, ~0ULL, "SPSR_EL1: AArch32 USR, T32" },
		{ 0x118, 12, ~0ULL, "VBAR_EL1 + 0x600" },
	};
	ASSERT_EQ(sizeof(want) / sizeof(want[0]), w.n);
	for (int i = 0; i < w.n; i++) {
		EXPECT_EQ(want[i].off, w.off[i]) TH_LOG("write %d: %s", i, want[i].what);
		EXPECT_EQ(want[i].val, w.val[i] & want[i].mask)
		TH_LOG("write %d: %s: %#lx", i, want[i].what, (unsigned long)w.val[i]);
	}
	EXPECT_EQ(2, pfr0 & 0xf) TH_LOG("ID_AA64PFR0_EL1.EL0: AArch64 and AArch32");
	EXPECT_EQ(0x12345678, vcpu_get(&v, CORE_REG(regs.regs[4]))) TH_LOG("r4 holds the load");
	vmm_destroy(&m);
}

TEST_HARNESS_MAIN
