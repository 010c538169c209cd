// SPDX-License-Identifier: GPL-2.0
/*
 * ppc_stop0lite_test: kvmx's stop0lite capability (KVMX_CAP_PPC_STOP0LITE, issue 7 item 3)
 * as TAP. The guest image and plumbing are ppc_guest_lib.c's; the guest's idle code is
 * g_stop: program DEC (or park it), write PSSCR through its privileged view (SPR 823),
 * optionally set MSR[EE], write the shared flag word, `stop`, and report 0x7080 from the
 * instruction after the stop (timebase and DEC after the wake, timebase before the stop),
 * then set EE (a pending interrupt is taken right there, at g_stop_ee) and report 0x7081.
 *
 * ISA facts relied on (Power ISA 3.0B Book III, and their names in Linux's
 * arch/powerpc/include/asm/reg.h):
 *   - PSSCR (SPR 855 for the hypervisor, SPR 823 its privileged view): RL bits 60:63
 *     (PSSCR_RL_MASK 0xf), MTL 56:59, TR 54:55, PSLL 44:47, EC bit 43 (PSSCR_EC 0x100000),
 *     ESL bit 42 (PSSCR_ESL 0x200000), SD bit 41; only PLS, TR, MTL and RL are guest
 *     visible (kvm-hv's PSSCR_GUEST_VIS; KVM_REG_PPC_PSSCR keeps only those).
 *   - stop0lite is `stop` with RL=0, ESL=0, EC=0. With ESL=0 no state is lost (LKML
 *     2016, "Bit 42 - Enable State Loss: 0 - No state is lost irrespective of other
 *     fields") and the thread resumes at the instruction after the stop: Linux's
 *     isa300_idle_stop_noloss ("An EC=0 type wakeup will return with a value of 0") and
 *     power9_idle_stop ("EC=ESL=0 case ... Wake synchronously"). Linux executes it with
 *     MSR[EE]=0 (prep_irq_for_idle_irqsoff hard-disables) and relies on being woken by the
 *     pending interrupt, so with EC=0 an interrupt-causing exception ends the stop
 *     whatever MSR[EE] is (QEMU's cpu_has_work for POWER9 likewise: with EC clear, any
 *     pending interrupt). With MSR[EE]=1 the interrupt is then taken with SRR0 = the
 *     instruction after the stop and the ordinary SRR1 of that interrupt, whose
 *     SRR1[42:45] (the wake-reason field, Linux SRR1_WAKEMASK_P8 0x3c0000) is 0.
 *   - Only a stop with ESL=1 (and EC=1) wakes through the System Reset vector 0x100 with
 *     the reason in SRR1[42:45]: SRR1_WAKEDEC 0x180000 (decrementer), SRR1_WAKEDBELL
 *     0x140000 (privileged doorbell), SRR1_WAKEEE 0x200000 (external), SRR1_WAKEHVI
 *     0x240000, and SRR1[46:47] the state loss (SRR1_WAKESTATE). This test never uses
 *     ESL=1.
 *   - A guest `stop` traps to the hypervisor as Hypervisor Facility Unavailable (0xf80)
 *     when the hypervisor's PSSCR has ESL or EC set (POWER9, the 2020 review: "the
 *     PSSCR[ESL|EC] bits need to be cleared by the hypervisor" for a guest stop not to
 *     trap; QEMU only with scripts/qemu-patches/ppc-stop-hfu.patch). ESL and EC are not
 *     among the guest-visible fields (kvm-hv's PSSCR_GUEST_VIS 0xf0000000000003ff).
 *
 * Checks:
 *   - KVM_CHECK_EXTENSION(KVMX_CAP_PPC_STOP0LITE) reads the same 0 or 1 on /dev/kvm and
 *     on the VM; ONE_REG KVM_REG_PPC_PSSCR set to 0 (RL=0, the stop0lite level) reads 0.
 *   - Without KVM_ENABLE_CAP: the guest's stop ends in a program interrupt (0x700) at the
 *     stop, SRR1 illegal instruction (0x80000, the hypervisor saw it: usage `ill`, the
 *     default) or privileged instruction (0x40000, the CPU never trapped: `priv`, for
 *     unpatched QEMU), and the VM keeps running guest code.
 *   - KVM_ENABLE_CAP on the VM: refused with EINVAL where the cap reads 0 (the in-kernel
 *     kvm-hv: every check below is then skipped); accepted where it reads 1, and then:
 *     timer wake with EE=0 (resumes at the next instruction, not before the deadline, DEC
 *     negative; the 0x900 comes after mtmsrd EE with SRR1[42:45]=0), timer wake with
 *     EE=1 (0x900 at the instruction after the stop), doorbell wake from vCPU 0 (msgsndp,
 *     KVM_CAP_PPC_SMT 2) with EE=0 and with EE=1 likewise; KVM_INTERRUPT from another
 *     thread wakes it (EE=0: next instruction, then 0x500 after mtmsrd EE); a signal ends
 *     KVM_RUN with EINTR (KVM_EXIT_INTR) and the next KVM_RUN resumes after the stop at
 *     once (as kvm-hv does for H_CEDE), although DEC is parked.
 * Usage: ppc_stop0lite_test [ill|priv]
 */
#include "ppc_guest_lib.c"

#define NR_ENABLED 11

static int expect_ill = 1;

static int new_vm(struct vm *vm, int nr, int smt, int enable)
{
	struct kvm_enable_cap cap = { .cap = KVMX_CAP_PPC_STOP0LITE };
	uint64_t zero = 0;
	if (vm_create(vm, nr, smt))
		return -1;
	if (enable && ioctl(vm->fd, KVM_ENABLE_CAP, &cap))
		return sys_fail("KVM_ENABLE_CAP(KVMX_CAP_PPC_STOP0LITE)");
	for (int i = 0; i < nr; i++)
		if (one_reg(&vm->v[i], 1, KVM_REG_PPC_PSSCR, &zero))
			return sys_fail("KVM_SET_ONE_REG(PSSCR)");
	return 0;
}

static void stop_params(struct vm *vm, int id, uint64_t dec, int ee)
{
	*scratch(vm, id, PAR_DEC) = dec;
	*scratch(vm, id, PAR_PSSCR) = 0; /* RL=0, ESL=0, EC=0: stop0lite */
	*scratch(vm, id, PAR_EE) = ee;
}

static void cap_absent(void)
{
	struct vec_report r;
	struct vm vm;
	struct vcpu *v;
	long nr;
	int alive = 0;

	if (new_vm(&vm, 1, 1, 0) || vcpu_start(&vm, 0, GA(g_stop), 0)) {
		check(0, "absent_setup");
		check(0, "absent_setup");
		check(0, "absent_setup");
		vm_destroy(&vm);
		return;
	}
	v = &vm.v[0];
	stop_params(&vm, 0, 0, 0);
	nr = vcpu_run(v, 5000);
	r = vec_report(v, nr);
	print_vec("stop without the cap", &r);
	check(nr == HC_VEC(0x700) && r.srr0 == GA(g_stop_insn),
	      "absent_stop_ends_in_program_interrupt_at_the_stop");
	check(nr == HC_VEC(0x700) &&
		      (r.srr1 & (SRR1_ILL | SRR1_PRIV)) == (expect_ill ? SRR1_ILL : SRR1_PRIV),
	      expect_ill ? "absent_srr1_illegal_instruction"
			 : "absent_srr1_privileged_instruction");
	v->run->papr_hcall.ret = GA(g_alive);
	for (int i = 0; i < 3; i++)
		alive += vcpu_run(v, 5000) == 0x7090;
	check(alive == 3, "absent_vm_stays_alive");
	vm_destroy(&vm);
}

/* Timer wakes, one vCPU. */
static void enabled_timer(void)
{
	const uint64_t dec = MS_TICKS(2);
	struct vec_report r;
	struct vm vm;
	struct vcpu *v;
	uint64_t *a;
	long nr;

	if (new_vm(&vm, 1, 1, 1) || vcpu_start(&vm, 0, GA(g_stop), 0))
		goto out;
	v = &vm.v[0];
	a = v->run->papr_hcall.args;
	/* EE=0: resumes after the stop; the interrupt waits for EE */
	stop_params(&vm, 0, dec, 0);
	nr = vcpu_run(v, 5000);
	printf("# EE=0 timer wake: hcall %s TB %llu DEC %lld TB before %llu (woken %lld ns after "
	       "the deadline)\n",
	       hc_name(nr), (unsigned long long)a[0], (long long)dec_value(&vm, a[1]),
	       (unsigned long long)a[2], (long long)ticks_to_ns(a[0] - (a[2] + dec)));
	check(nr == 0x7080 && dec_value(&vm, a[1]) < 0,
	      "timer_ee0_resumes_at_next_instruction_dec_pending");
	check(nr == 0x7080 && a[0] >= a[2] + dec, "timer_ee0_not_woken_before_the_deadline");
	nr = vcpu_run(v, 5000);
	r = vec_report(v, nr);
	print_vec("after mtmsrd EE", &r);
	check(nr == HC_VEC(0x900) && r.srr0 == GA(g_stop_ee) && !(r.srr1 & SRR1_WAKEMASK) &&
		      vcpu_run(v, 5000) == 0x7081,
	      "timer_ee0_dec_taken_after_ee_srr1_no_wake_reason");
	/* EE=1: the interrupt right after the stop (g_stop starts over after 0x7081) */
	stop_params(&vm, 0, dec, 1);
	nr = vcpu_run(v, 5000);
	r = vec_report(v, nr);
	print_vec("EE=1 timer wake", &r);
	check(nr == HC_VEC(0x900) && r.srr0 == GA(g_stop_after) && r.tb >= r.r20 + dec &&
		      (r.srr1 & MSR_EE) && !(r.srr1 & SRR1_WAKEMASK),
	      "timer_ee1_dec_interrupt_at_the_instruction_after_stop");
out:
	vm_destroy(&vm);
}

/* Doorbell wakes: vCPU 1 stops, vCPU 0 msgsndp's it 20 ms after vCPU 1 wrote the flag. */
static void enabled_ipi(int ee)
{
	const uint64_t delay = MS_TICKS(20);
	struct target_log t = { .id = 1, .stop_after = 3, .timeout_ms = 5000 };
	struct vm vm;
	pthread_t th;
	uint64_t send_tb = 0;
	int sent;

	if (new_vm(&vm, 2, 2, 1) || vcpu_start(&vm, 0, GA(g_send), 0) ||
	    vcpu_start(&vm, 1, GA(g_stop), 0))
		goto out;
	t.vm = &vm;
	stop_params(&vm, 1, 0, ee);
	*(volatile uint32_t *)(vm.mem + FLAG_ADDR) = 0;
	pthread_create(&th, NULL, target_thread, &t);
	sent = send_doorbell(&vm, FLAG_ADDR, delay, &send_tb);
	pthread_join(th, NULL);
	for (int i = 0; i < t.n; i++)
		print_vec("vcpu 1", &t.r[i]);
	if (!ee) {
		/* 0x7080 (args: TB after, DEC, TB before), then 0xa00 at g_stop_ee, 0x7081 */
		struct vec_report *w = &t.r[0];
		uint64_t tb_after = w->srr0, tb_before = w->tb;
		printf("# EE=0 doorbell wake %lld ns after the msgsndp\n",
		       (long long)ticks_to_ns(tb_after - send_tb));
		check(sent && t.n >= 1 && t.nr[0] == 0x7080 && tb_after >= send_tb &&
			      tb_after + MS_TICKS(1) >= tb_before + delay,
		      "ipi_ee0_resumes_at_next_instruction_after_the_msgsndp");
		check(t.n >= 3 && t.nr[1] == HC_VEC(0xa00) && t.r[1].srr0 == GA(g_stop_ee) &&
			      !(t.r[1].srr1 & SRR1_WAKEMASK) && t.nr[2] == 0x7081,
		      "ipi_ee0_doorbell_taken_after_ee_srr1_no_wake_reason");
	} else {
		printf("# EE=1 doorbell wake %lld ns after the msgsndp\n",
		       (long long)ticks_to_ns(t.r[0].tb - send_tb));
		check(sent && t.n >= 1 && t.nr[0] == HC_VEC(0xa00) &&
			      t.r[0].srr0 == GA(g_stop_after) && t.r[0].tb >= send_tb &&
			      t.r[0].tb + MS_TICKS(1) >= t.r[0].r20 + delay &&
			      !(t.r[0].srr1 & SRR1_WAKEMASK),
		      "ipi_ee1_doorbell_interrupt_at_the_instruction_after_stop");
	}
out:
	vm_destroy(&vm);
}

/* KVM_INTERRUPT from another thread and a signal, one vCPU stopped with EE=0, DEC parked. */
static void enabled_ext_and_signal(void)
{
	struct vec_report r;
	struct vm vm;
	struct vcpu *v;
	pthread_t t;
	long nr;

	if (new_vm(&vm, 1, 1, 1) || vcpu_start(&vm, 0, GA(g_stop), 0))
		goto out;
	v = &vm.v[0];
	stop_params(&vm, 0, 0, 0);
	{
		struct async_irq ai = { .v = v, .delay_ms = 30, .r = -1 };
		pthread_create(&t, NULL, async_irq_thread, &ai);
		nr = vcpu_run(v, 5000);
		pthread_join(t, NULL);
		check(ai.r == 0 && nr == 0x7080,
		      "ext_ee0_kvm_interrupt_resumes_at_next_instruction");
	}
	/*
	 * Taken right after mtmsrd EE where the hypervisor's LPCR[MER] works (hardware), or,
	 * under QEMU TCG (MER not modelled), at the next guest entry: after the 0x7081 hcall.
	 */
	nr = vcpu_run(v, 5000);
	if (nr == 0x7081) {
		printf("# not at the mtmsrd: delivered at the next entry (no LPCR[MER] in TCG)\n");
		nr = vcpu_run(v, 5000);
		r = vec_report(v, nr);
		r.srr0 = r.srr0 == GA(g_stop_ee) + 8 ? GA(g_stop_ee) : ~0ull;
	} else {
		r = vec_report(v, nr);
	}
	print_vec("external after mtmsrd EE", &r);
	check(nr == HC_VEC(0x500) && r.srr0 == GA(g_stop_ee) && !(r.srr1 & SRR1_WAKEMASK),
	      "ext_ee0_external_taken_after_ee");
	kvm_interrupt(v, KVM_INTERRUPT_UNSET);
	v->run->papr_hcall.ret = GA(g_stop); /* stop again (EE=0 after the interrupt) */
	check(run_interrupted_by_signal(v, 50), "signal_in_stop_exits_eintr_kvm_exit_intr");
	{
		uint64_t t0 = now_ns();
		nr = vcpu_run(v, 5000);
		check(nr == 0x7080 && now_ns() - t0 < 1000000000ull,
		      "after_signal_resumes_at_next_instruction");
	}
out:
	vm_destroy(&vm);
}

int main(int argc, char **argv)
{
	struct kvm_enable_cap cap = { .cap = KVMX_CAP_PPC_STOP0LITE };
	struct vm vm;
	uint64_t psscr = 0;
	int kvm, vmfd, cap_kvm, cap_vm = -1, r = 0, e = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "priv"))
		expect_ill = 0;
	else if (argc > 1 && strcmp(argv[1], "ill")) {
		fprintf(stderr, "usage: ppc_stop0lite_test [ill|priv]\n");
		return 2;
	}
	printf("1..%d\n", 7 + NR_ENABLED);
	/* the capability and KVM_ENABLE_CAP on a bare VM (no vCPU, no memory) */
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	cap_kvm = kvm >= 0 ? ioctl(kvm, KVM_CHECK_EXTENSION, KVMX_CAP_PPC_STOP0LITE) : -1;
	vmfd = kvm >= 0 ? ioctl(kvm, KVM_CREATE_VM, KVM_VM_PPC_HV) : -1;
	if (vmfd >= 0) {
		cap_vm = ioctl(vmfd, KVM_CHECK_EXTENSION, KVMX_CAP_PPC_STOP0LITE);
		r = ioctl(vmfd, KVM_ENABLE_CAP, &cap);
		e = errno;
	}
	printf("# KVMX_CAP_PPC_STOP0LITE (0x%x): /dev/kvm %d, VM %d\n", KVMX_CAP_PPC_STOP0LITE,
	       cap_kvm, cap_vm);
	check((cap_kvm == 0 || cap_kvm == 1) && cap_vm == cap_kvm, "cap_reads_0_or_1_same_on_vm");
	if (cap_vm == 1)
		check(vmfd >= 0 && r == 0, "enable_cap_accepted_when_cap_reads_1");
	else
		check(vmfd >= 0 && r == -1 && e == EINVAL,
		      "enable_cap_refused_einval_when_cap_reads_0");
	if (vmfd >= 0)
		close(vmfd);
	/* enabling with a flag is the VMM's mistake: EINVAL */
	vmfd = kvm >= 0 ? ioctl(kvm, KVM_CREATE_VM, KVM_VM_PPC_HV) : -1;
	if (vmfd >= 0) {
		struct kvm_enable_cap bad = { .cap = KVMX_CAP_PPC_STOP0LITE, .flags = 1 };
		r = ioctl(vmfd, KVM_ENABLE_CAP, &bad);
		e = errno;
		close(vmfd);
	}
	check(vmfd >= 0 && r == -1 && e == EINVAL, "enable_cap_with_flags_einval");
	if (kvm >= 0)
		close(kvm);
	/* the guest-visible PSSCR through ONE_REG: RL=5, then 0 (the stop0lite level) */
	if (vm_create(&vm, 1, 1) == 0) {
		psscr = 5;
		r = !one_reg(&vm.v[0], 1, KVM_REG_PPC_PSSCR, &psscr) &&
		    !one_reg(&vm.v[0], 0, KVM_REG_PPC_PSSCR, &psscr) && psscr == 5;
		psscr = 0;
		r = r && !one_reg(&vm.v[0], 1, KVM_REG_PPC_PSSCR, &psscr) &&
		    !one_reg(&vm.v[0], 0, KVM_REG_PPC_PSSCR, &psscr) && psscr == 0;
		check(r, "one_reg_psscr_rl_round_trip");
	} else {
		check(0, "one_reg_psscr_rl_round_trip");
	}
	vm_destroy(&vm);
	cap_absent();
	if (cap_vm != 1) {
		for (int i = 0; i < NR_ENABLED; i++)
			skip("enabled_stop0lite",
			     "KVMX_CAP_PPC_STOP0LITE reads 0 (no stop0lite emulation here, e.g. the "
			     "in-kernel kvm-hv)");
		return tap_failed ? 1 : 0;
	}
	{
		int before = tap_nr;
		enabled_timer();
		while (tap_nr < before + 4)
			check(0, "enabled_timer_aborted");
		before = tap_nr;
		enabled_ipi(0);
		while (tap_nr < before + 2)
			check(0, "enabled_ipi_ee0_aborted");
		before = tap_nr;
		enabled_ipi(1);
		while (tap_nr < before + 1)
			check(0, "enabled_ipi_ee1_aborted");
		before = tap_nr;
		enabled_ext_and_signal();
		while (tap_nr < before + 4)
			check(0, "enabled_ext_signal_aborted");
	}
	return tap_failed ? 1 : 0;
}
