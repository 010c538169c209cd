// SPDX-License-Identifier: GPL-2.0
/*
 * ppc_run_test: radix HV guests through /dev/kvm on a POWER9 (powernv) host, as TAP. What
 * it asserts is what the in-kernel kvm-hv (Debian 6.1) does on QEMU powernv9 (the
 * reference, `make check-ppc`'s hvref boot); kvmx must do the same. The guest image, its
 * conventions and the VM plumbing are in ppc_guest_lib.c.
 *
 * Cases (each in a fresh VM):
 *   hcall    `sc 1` with r3 = 0x7010, r4..r12 = round+0..8 -> KVM_EXIT_PAPR_HCALL with
 *            nr/args; papr_hcall.ret lands in r3 and args[] are copied back to r4..r12;
 *            200 round trips; KVM_GET_REGS at the exit shows pc = the instruction after
 *            the sc and the GPRs.
 *   regs     KVM_SET_REGS (pc, msr, cr, ctr, lr, xer, gprs) reaches the guest;
 *            KVM_GET_SREGS.pvr = the guest's mfpvr; ONE_REG KVM_REG_PPC_DEC_EXPIRY reads
 *            the deadline the guest programmed (guest timebase) and, written, sets DEC.
 *   mmio     stb/sth/stw/std and lbz/lhz/lwz/ld at guest real address 0x10000000 (no
 *            memslot) -> KVM_EXIT_MMIO with phys_addr, len, is_write and data in guest
 *            memory byte order (little-endian guest: the value's low byte first); load data
 *            from userspace reaches the target register.
 *   dec      DEC programmed, MSR[EE]=1, spin: the 0x900 interrupt during the spin, not
 *            before the deadline; with EE=0 it is held and comes right after mtmsrd EE.
 *   ext      KVM_INTERRUPT: KVM_INTERRUPT_SET is one-shot (delivered once), SET_LEVEL stays
 *            asserted (delivered again after the guest's rfid) until KVM_INTERRUPT_UNSET;
 *            held while MSR[EE]=0; KVM_INTERRUPT from another thread while the guest spins.
 *   ipi      KVM_CAP_PPC_SMT (emulated SMT 2): vCPU 0 msgsndp to thread 1 -> vCPU 1 takes
 *            the privileged doorbell (0xa00) during its spin, once.
 *   cede     H_CEDE (0xe0, with MSR[EE]=0; the hcall sets EE) woken by the decrementer, and
 *            (two vCPUs) by msgsndp from vCPU 0: the interrupt is taken at the instruction
 *            after the sc, with r3 = H_SUCCESS (0). A signal ends KVM_RUN in a cede with
 *            EINTR (KVM_EXIT_INTR); the next KVM_RUN returns from the H_CEDE (r3 = 0).
 *   fp       VR0 += VR1 and FPR0 += FPR1 in the guest around 6400 H_CONFER(-1) round trips
 *            handled in the kernel, while a VMM thread pinned to the same CPU uses those
 *            registers: ONE_REG reads the right counts at every exit to userspace (every
 *            64 rounds) and at the end; VSR2, never touched by the guest, keeps its value.
 * Usage: ppc_run_test [case...]   (default: all)
 */
#include "ppc_guest_lib.c"

static int set_gprs(struct vm *vm, int id, int n, const int *reg, const uint64_t *val)
{
	struct kvm_regs regs;
	if (ioctl(vm->v[id].fd, KVM_GET_REGS, &regs))
		return sys_fail("KVM_GET_REGS");
	for (int i = 0; i < n; i++)
		regs.gpr[reg[i]] = val[i];
	if (ioctl(vm->v[id].fd, KVM_SET_REGS, &regs))
		return sys_fail("KVM_SET_REGS");
	return 0;
}

/* ---- hcall -------------------------------------------------------------------------- */
static void case_hcall(void)
{
	const int rounds = 200;
	struct vm vm;
	struct vcpu *v;
	int exit_ok = 1, back_ok = 1, regs_ok = 1;

	case_begin(3);
	if (vm_create(&vm, 1, 1) || vcpu_start(&vm, 0, GA(g_hcall), 0))
		goto out;
	v = &vm.v[0];
	for (int i = 0; i < rounds && exit_ok && back_ok; i++) {
		long nr = vcpu_run(v, 5000);
		uint64_t *a = v->run->papr_hcall.args;
		if (nr != 0x7010) {
			printf("# round %d: hcall %ld, expected 0x7010\n", i, nr);
			exit_ok = 0;
			break;
		}
		for (int k = 0; k < 9; k++) {
			if (a[k] != (uint64_t)(i + k)) {
				printf("# round %d: args[%d] = 0x%llx, expected 0x%x\n", i, k,
				       (unsigned long long)a[k], i + k);
				exit_ok = 0;
			}
		}
		if (i < 3) {
			struct kvm_regs regs;
			int ok = !ioctl(v->fd, KVM_GET_REGS, &regs) && regs.pc == GA(g_hcall_ret) &&
				 regs.gpr[3] == 0x7010 && regs.gpr[31] == (uint64_t)i &&
				 regs.gpr[13] == SCRATCH(0) &&
				 (regs.msr & (MSR_SF | MSR_LE | MSR_ME | MSR_EE | MSR_PR)) ==
					 GUEST_MSR;
			for (int k = 0; k < 9; k++)
				ok = ok && regs.gpr[4 + k] == (uint64_t)(i + k);
			if (!ok)
				printf("# round %d: KVM_GET_REGS pc 0x%llx (expected 0x%llx) r3 0x%llx "
				       "r4 0x%llx r31 0x%llx msr 0x%llx\n",
				       i, (unsigned long long)regs.pc,
				       (unsigned long long)GA(g_hcall_ret),
				       (unsigned long long)regs.gpr[3],
				       (unsigned long long)regs.gpr[4],
				       (unsigned long long)regs.gpr[31],
				       (unsigned long long)regs.msr);
			regs_ok = regs_ok && ok;
		}
		v->run->papr_hcall.ret = 0x5a5a0000ull + i;
		a[0] = 0xdead00000000ull + i;
		a[8] = 0xbeef00000000ull + i;
		nr = vcpu_run(v, 5000);
		if (nr != 0x7011 || a[0] != 0x5a5a0000ull + i || a[1] != 0xdead00000000ull + i ||
		    a[2] != 0xbeef00000000ull + i || a[3] != (uint64_t)i) {
			printf("# round %d: hcall %ld r3 0x%llx r4 0x%llx r12 0x%llx r31 0x%llx\n",
			       i, nr, (unsigned long long)a[0], (unsigned long long)a[1],
			       (unsigned long long)a[2], (unsigned long long)a[3]);
			back_ok = 0;
		}
	}
	check(exit_ok, "hcall_exit_papr_hcall_nr_and_r4_r12_200_rounds");
	check(exit_ok && back_ok, "hcall_ret_in_r3_and_args_copied_back_to_r4_r12");
	check(exit_ok && regs_ok, "get_regs_at_hcall_exit_pc_after_sc_and_gprs");
out:
	case_end("hcall");
	vm_destroy(&vm);
}

/* ---- regs, sregs, DEC_EXPIRY -------------------------------------------------------- */
static void case_regs(void)
{
	const uint64_t cr = 0x12345678, ctr = 0x1111222233334444ull, lr = 0x5555666677778888ull,
		       xer = 0x20000007, r20 = 0xa5a5a5a5a5a5a5a5ull, r31 = 0x0123456789abcdefull;
	const uint64_t dec_ticks = MS_TICKS(300);
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct vm vm;
	struct vcpu *v;
	uint64_t *a, expiry = 0, target;
	long nr;

	case_begin(6);
	if (vm_create(&vm, 1, 1) || vcpu_start(&vm, 0, GA(g_regs), 0))
		goto out;
	v = &vm.v[0];
	a = v->run->papr_hcall.args;
	if (ioctl(v->fd, KVM_GET_REGS, &regs))
		goto out;
	regs.cr = cr;
	regs.ctr = ctr;
	regs.lr = lr;
	regs.xer = xer;
	regs.gpr[20] = r20;
	regs.gpr[31] = r31;
	regs.gpr[28] = dec_ticks;
	if (ioctl(v->fd, KVM_SET_REGS, &regs))
		goto out;
	nr = vcpu_run(v, 5000);
	printf("# guest saw: cr 0x%llx ctr 0x%llx lr 0x%llx xer 0x%llx r20 0x%llx r31 0x%llx msr "
	       "0x%llx pvr 0x%llx\n",
	       (unsigned long long)a[0], (unsigned long long)a[1], (unsigned long long)a[2],
	       (unsigned long long)a[3], (unsigned long long)a[4], (unsigned long long)a[5],
	       (unsigned long long)a[6], (unsigned long long)a[7]);
	check(nr == 0x7020 && (a[0] & 0xffffffff) == cr && a[1] == ctr && a[2] == lr &&
		      a[3] == xer && a[4] == r20 && a[5] == r31,
	      "set_regs_cr_ctr_lr_xer_gprs_reach_the_guest");
	check(nr == 0x7020 && (a[6] & (MSR_SF | MSR_EE | MSR_PR | MSR_IR | MSR_DR | MSR_ME |
				       MSR_LE)) == GUEST_MSR,
	      "set_regs_msr_reaches_the_guest");
	check(nr == 0x7020 && !ioctl(v->fd, KVM_GET_SREGS, &sregs) && sregs.pvr == a[7] &&
		      (sregs.pvr >> 16) == 0x004e,
	      "get_sregs_pvr_is_the_guest_pvr_power9");
	nr = vcpu_run(v, 5000);
	/* the guest wrote DEC = dec_ticks between timebase a[0] and a[1] */
	if (nr == 0x7021)
		one_reg(v, 0, KVM_REG_PPC_DEC_EXPIRY, &expiry);
	printf("# DEC %llu ticks programmed between TB %llu and %llu; DEC_EXPIRY %llu (%+lld)\n",
	       (unsigned long long)a[2], (unsigned long long)a[0], (unsigned long long)a[1],
	       (unsigned long long)expiry, (long long)(expiry - (a[0] + dec_ticks)));
	check(nr == 0x7021 && a[2] == dec_ticks && expiry + 2 >= a[0] + dec_ticks &&
		      expiry <= a[1] + dec_ticks + 2,
	      "one_reg_dec_expiry_reads_the_guest_deadline");
	target = a[1] + MS_TICKS(1000);
	check(nr == 0x7021 && !one_reg(v, 1, KVM_REG_PPC_DEC_EXPIRY, &target),
	      "one_reg_dec_expiry_set");
	nr = vcpu_run(v, 5000);
	printf("# DEC_EXPIRY set to %llu: guest TB %llu DEC %lld (TB+DEC %+lld from it)\n",
	       (unsigned long long)target, (unsigned long long)a[0],
	       (long long)dec_value(&vm, a[1]), (long long)(a[0] + dec_value(&vm, a[1]) - target));
	/*
	 * kvm-hv writes DEC = expiry - (a timebase it read a little before entering the
	 * guest), so the guest's TB+DEC lands slightly after the expiry (tens of us on TCG).
	 */
	check(nr == 0x7022 && dec_value(&vm, a[1]) > 0 &&
		      a[0] + dec_value(&vm, a[1]) <= target + MS_TICKS(1) &&
		      a[0] + dec_value(&vm, a[1]) + MS_TICKS(1) >= target,
	      "dec_expiry_written_is_the_guest_dec");
out:
	case_end("regs");
	vm_destroy(&vm);
}

/* ---- MMIO --------------------------------------------------------------------------- */
static int mmio_is(struct vcpu *v, long nr, uint64_t off, unsigned len, int write,
		   const uint8_t *data, const char *name)
{
	struct kvm_run *run = v->run;
	int ok = nr == -2 && run->mmio.phys_addr == MMIO_BASE + off && run->mmio.len == len &&
		 run->mmio.is_write == write && (!write || !memcmp(run->mmio.data, data, len));
	if (nr == -2)
		printf("# %s: phys 0x%llx len %u write %u data %02x %02x %02x %02x %02x %02x %02x "
		       "%02x\n",
		       name, (unsigned long long)run->mmio.phys_addr, run->mmio.len,
		       run->mmio.is_write, run->mmio.data[0], run->mmio.data[1], run->mmio.data[2],
		       run->mmio.data[3], run->mmio.data[4], run->mmio.data[5], run->mmio.data[6],
		       run->mmio.data[7]);
	if (nr == -2 && !write)
		memcpy(run->mmio.data, data, len);
	return check(ok, name);
}

static void case_mmio(void)
{
	static const uint8_t st1[] = { 0x5a }, st2[] = { 0x34, 0x12 },
			     st4[] = { 0x44, 0x33, 0x22, 0x11 }, st8[] = { 8, 7, 6, 5, 4, 3, 2, 1 },
			     ld1[] = { 0xa5 }, ld2[] = { 0xc3, 0x96 }, ld4[] = { 1, 2, 3, 4 },
			     ld8[] = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17 };
	struct vm vm;
	struct vcpu *v;
	struct kvm_regs regs;
	uint64_t *a;
	long nr;

	case_begin(10);
	if (vm_create(&vm, 1, 1) || vcpu_start(&vm, 0, GA(g_mmio), 0))
		goto out;
	v = &vm.v[0];
	a = v->run->papr_hcall.args;
	nr = vcpu_run(v, 5000);
	mmio_is(v, nr, 0, 1, 1, st1, "mmio_stb_exit_addr_len_data");
	/* kvm-hv has already stepped past the instruction when it exits for MMIO */
	check(nr == -2 && !ioctl(v->fd, KVM_GET_REGS, &regs) && regs.pc == GA(g_mmio_stb) + 4,
	      "mmio_exit_pc_is_after_the_access");
	printf("# pc at the stb exit 0x%llx (stb at 0x%llx)\n", (unsigned long long)regs.pc,
	       (unsigned long long)GA(g_mmio_stb));
	nr = vcpu_run(v, 5000);
	mmio_is(v, nr, 2, 2, 1, st2, "mmio_sth_exit_addr_len_data_le");
	nr = vcpu_run(v, 5000);
	mmio_is(v, nr, 4, 4, 1, st4, "mmio_stw_exit_addr_len_data_le");
	nr = vcpu_run(v, 5000);
	mmio_is(v, nr, 8, 8, 1, st8, "mmio_std_exit_addr_len_data_le");
	nr = vcpu_run(v, 5000);
	mmio_is(v, nr, 16, 1, 0, ld1, "mmio_lbz_exit_addr_len");
	nr = vcpu_run(v, 5000);
	mmio_is(v, nr, 18, 2, 0, ld2, "mmio_lhz_exit_addr_len");
	nr = vcpu_run(v, 5000);
	mmio_is(v, nr, 20, 4, 0, ld4, "mmio_lwz_exit_addr_len");
	nr = vcpu_run(v, 5000);
	mmio_is(v, nr, 24, 8, 0, ld8, "mmio_ld_exit_addr_len");
	nr = vcpu_run(v, 5000);
	printf("# loads gave 0x%llx 0x%llx 0x%llx 0x%llx\n", (unsigned long long)a[0],
	       (unsigned long long)a[1], (unsigned long long)a[2], (unsigned long long)a[3]);
	check(nr == 0x7030 && a[0] == 0xa5 && a[1] == 0x96c3 && a[2] == 0x04030201 &&
		      a[3] == 0x1716151413121110ull,
	      "mmio_load_data_reaches_registers_le");
out:
	case_end("mmio");
	vm_destroy(&vm);
}

/* ---- decrementer -------------------------------------------------------------------- */
static void case_dec(void)
{
	const uint64_t dec_ticks = MS_TICKS(2), spin = MS_TICKS(300);
	const int regs_[] = { 28, 27 };
	uint64_t vals[] = { dec_ticks, spin };
	struct vec_report r;
	struct vm vm;
	struct vcpu *v;
	long nr;

	case_begin(6);
	if (vm_create(&vm, 1, 1) || vcpu_start(&vm, 0, GA(g_dec), 0) ||
	    set_gprs(&vm, 0, 2, regs_, vals))
		goto out;
	v = &vm.v[0];
	nr = vcpu_run(v, 5000);
	r = vec_report(v, nr);
	print_vec("decrementer", &r);
	printf("# DEC interrupt %lld ns after the deadline\n",
	       (long long)ticks_to_ns(r.tb - (r.r20 + dec_ticks)));
	check(nr == HC_VEC(0x900) && r.srr0 >= GA(g_dec_spin) && r.srr0 < GA(g_dec_spin_end),
	      "dec_interrupt_0x900_during_the_spin");
	check(nr == HC_VEC(0x900) && (r.srr1 & (MSR_SF | MSR_EE | MSR_ME | MSR_LE)) ==
					     (MSR_SF | MSR_EE | MSR_ME | MSR_LE),
	      "dec_srr1_has_the_interrupted_msr_ee");
	check(nr == HC_VEC(0x900) && r.tb >= r.r20 + dec_ticks && dec_value(&vm, r.dec) < 0 &&
		      r.count == 1,
	      "dec_not_before_the_deadline_and_dec_negative");
	nr = vcpu_run(v, 5000); /* back into the spin; DEC parked: no second interrupt */
	check(nr == 0x7031, "dec_parked_no_second_interrupt");
	vm_destroy(&vm);

	/* held while MSR[EE]=0, taken right after mtmsrd sets it */
	vals[0] = US_TICKS(100);
	vals[1] = MS_TICKS(20);
	if (vm_create(&vm, 1, 1) || vcpu_start(&vm, 0, GA(g_dec_held), 0) ||
	    set_gprs(&vm, 0, 2, regs_, vals))
		goto out;
	v = &vm.v[0];
	nr = vcpu_run(v, 5000);
	printf("# EE=0 after the deadline: hcall %s, DEC %lld\n", hc_name(nr),
	       (long long)dec_value(&vm, v->run->papr_hcall.args[0]));
	check(nr == 0x7032 && dec_value(&vm, v->run->papr_hcall.args[0]) < 0,
	      "dec_held_while_ee_0");
	nr = vcpu_run(v, 5000);
	r = vec_report(v, nr);
	print_vec("decrementer after mtmsrd EE", &r);
	check(nr == HC_VEC(0x900) && r.srr0 == GA(g_dec_held_ee),
	      "dec_taken_right_after_mtmsrd_ee");
out:
	case_end("dec");
	vm_destroy(&vm);
}

/* ---- external interrupts ------------------------------------------------------------ */
static void case_ext(void)
{
	const uint64_t after_spin_sc = GA(g_ee_spin_end) + 8;
	struct vec_report r;
	struct vm vm;
	struct vcpu *v;
	long nr;
	int n0x7040, ok;

	case_begin(10);
	if (vm_create(&vm, 1, 1) || vcpu_start(&vm, 0, GA(g_ee_report), 0))
		goto out;
	v = &vm.v[0];
	*scratch(&vm, 0, PAR_SPIN) = MS_TICKS(50);
	nr = vcpu_run(v, 5000);
	if (!check(nr == 0x7040, "ext_guest_ready_with_ee"))
		goto out;
	/* one-shot: KVM_INTERRUPT_SET before KVM_RUN, guest MSR[EE]=1 */
	check(!kvm_interrupt(v, KVM_INTERRUPT_SET), "kvm_interrupt_set");
	nr = vcpu_run(v, 5000);
	r = vec_report(v, nr);
	print_vec("external (SET)", &r);
	check(nr == HC_VEC(0x500) && r.srr0 == GA(g_ee_after_sc) && (r.srr1 & MSR_EE) &&
		      r.count == 1,
	      "ext_set_delivered_at_entry_srr0_is_the_resume_pc");
	nr = vcpu_run(v, 5000);
	check(nr == 0x7041, "ext_set_is_one_shot_not_delivered_again");

	/* level: delivered again after the guest's rfid until KVM_INTERRUPT_UNSET */
	kvm_interrupt(v, KVM_INTERRUPT_SET_LEVEL);
	nr = vcpu_run(v, 5000);
	r = vec_report(v, nr);
	print_vec("external (SET_LEVEL), first", &r);
	ok = nr == HC_VEC(0x500) && r.srr0 == after_spin_sc;
	n0x7040 = 0;
	do {
		nr = vcpu_run(v, 5000);
		n0x7040 += nr == 0x7040;
	} while (nr == 0x7040 && n0x7040 < 3);
	r = vec_report(v, nr);
	print_vec("external (SET_LEVEL), second", &r);
	printf("# second level delivery after %d guest hcall(s): %s\n", n0x7040,
	       n0x7040 ? "at the next entry (no mediated interrupt on rfid)"
		       : "on the guest's rfid (LPCR[MER])");
	check(ok && nr == HC_VEC(0x500) && r.count == 3,
	      "ext_set_level_delivered_again_after_rfid");
	check(!kvm_interrupt(v, KVM_INTERRUPT_UNSET), "kvm_interrupt_unset");
	do {
		nr = vcpu_run(v, 5000);
	} while (nr == 0x7040);
	check(nr == 0x7041, "ext_unset_stops_delivery");

	/* from another thread while the guest spins with EE=1 */
	nr = vcpu_run(v, 5000);
	if (nr == 0x7040) {
		struct async_irq ai = { .v = v, .delay_ms = 50, .r = -1 };
		pthread_t t;
		uint64_t t0 = now_ns(), dt;
		*scratch(&vm, 0, PAR_SPIN) = MS_TICKS(3000);
		pthread_create(&t, NULL, async_irq_thread, &ai);
		nr = vcpu_run(v, 5000);
		dt = now_ns() - t0;
		pthread_join(t, NULL);
		r = vec_report(v, nr);
		print_vec("external from another thread", &r);
		printf("# KVM_RUN returned after %llu ms\n", (unsigned long long)(dt / 1000000));
		check(ai.r == 0 && nr == HC_VEC(0x500) && r.srr0 >= GA(g_ee_spin) &&
			      r.srr0 < GA(g_ee_spin_end) && dt >= 40000000ull,
		      "ext_from_other_thread_interrupts_the_spinning_guest");
	}
	vm_destroy(&vm);

	/* held while MSR[EE]=0, delivered once the guest sets EE */
	if (vm_create(&vm, 1, 1) || vcpu_start(&vm, 0, GA(g_ext_hold), 0))
		goto out;
	v = &vm.v[0];
	*scratch(&vm, 0, PAR_SPIN) = MS_TICKS(30);
	nr = vcpu_run(v, 5000);
	if (nr != 0x7050)
		goto out;
	kvm_interrupt(v, KVM_INTERRUPT_SET_LEVEL);
	nr = vcpu_run(v, 5000);
	check(nr == 0x7051, "ext_held_while_ee_0");
	nr = vcpu_run(v, 5000);
	r = vec_report(v, nr);
	print_vec("external after mtmsrd EE", &r);
	printf("# taken %s\n", r.srr0 == GA(g_ext_hold_ee) ? "right after the mtmsrd (LPCR[MER])"
							   : "later in the spin");
	check(nr == HC_VEC(0x500) && r.srr0 >= GA(g_ext_hold_ee) &&
		      r.srr0 < GA(g_ext_hold_spin_end),
	      "ext_delivered_once_ee_set");
	kvm_interrupt(v, KVM_INTERRUPT_UNSET);
	v->run->papr_hcall.ret = GA(g_ext_hold_done);
	nr = vcpu_run(v, 5000);
	(void)nr;
out:
	case_end("ext");
	vm_destroy(&vm);
}

/* ---- two vCPUs: doorbells ----------------------------------------------------------- */
/* ipi: after the doorbell, restart the EE spin short to see no second doorbell */
static uint64_t ipi_answer(struct target_log *t, int i, long nr)
{
	(void)i;
	if (nr == HC_VEC(0xa00)) {
		*scratch(t->vm, t->id, PAR_SPIN) = MS_TICKS(50);
		return GA(g_ee_report);
	}
	return 0;
}

static void case_ipi(void)
{
	struct target_log t = {
		.id = 1, .answer = ipi_answer, .stop_after = 4, .timeout_ms = 5000
	};
	struct vm vm;
	pthread_t th;
	uint64_t send_tb = 0, one = 1;
	int sent;

	case_begin(5);
	if (vm_create(&vm, 2, 2) || vcpu_start(&vm, 0, GA(g_send), 0) ||
	    vcpu_start(&vm, 1, GA(g_ee_report), 0))
		goto out;
	t.vm = &vm;
	{
		int r = one_reg(&vm.v[1], 0, KVM_REG_PPC_DPDES, &one);
		printf("# KVM_GET_ONE_REG(DPDES): %d (%s), value %llu\n", r,
		       r ? strerror(errno) : "ok", (unsigned long long)one);
		check(!r && one == 0, "one_reg_dpdes_reads_0_before_any_doorbell");
	}
	*scratch(&vm, 1, PAR_SPIN) = MS_TICKS(3000);
	pthread_create(&th, NULL, target_thread, &t);
	if (!wait_ready(&t, 5000) || t.nr[0] != 0x7040) {
		pthread_join(th, NULL);
		goto out;
	}
	usleep(20000); /* vCPU 1 is in its EE=1 spin */
	sent = send_doorbell(&vm, 0, 0, &send_tb);
	pthread_join(th, NULL);
	for (int i = 0; i < t.n; i++)
		print_vec("vcpu 1", &t.r[i]);
	check(sent, "msgsndp_to_thread_1_completes_on_vcpu_0");
	check(t.n >= 2 && t.nr[1] == HC_VEC(0xa00) && t.r[1].srr0 >= GA(g_ee_after_sc) &&
		      t.r[1].srr0 < GA(g_ee_spin_end) && (t.r[1].srr1 & MSR_EE),
	      "vcpu_1_takes_the_doorbell_0xa00_during_its_spin");
	check(t.n >= 2 && t.nr[1] == HC_VEC(0xa00) && t.r[1].tb >= send_tb && t.r[1].count == 1,
	      "doorbell_after_the_send_and_once");
	check(t.n == 4 && t.nr[2] == 0x7040 && t.nr[3] == 0x7041,
	      "doorbell_not_delivered_again_after_rfi");
out:
	case_end("ipi");
	vm_destroy(&vm);
}

/* ---- H_CEDE ------------------------------------------------------------------------- */
static void case_cede(void)
{
	const uint64_t dec_ticks = MS_TICKS(5), delay = MS_TICKS(20);
	struct target_log t = { .id = 1, .stop_after = 2, .timeout_ms = 5000 };
	struct vec_report r;
	struct vm vm;
	struct vcpu *v;
	pthread_t th;
	uint64_t send_tb = 0;
	long nr;
	int sent;

	case_begin(8);
	/* woken by the decrementer */
	if (vm_create(&vm, 1, 1) || vcpu_start(&vm, 0, GA(g_cede), 0))
		goto out;
	v = &vm.v[0];
	*scratch(&vm, 0, PAR_DEC) = dec_ticks;
	nr = vcpu_run(v, 5000);
	r = vec_report(v, nr);
	print_vec("H_CEDE woken by DEC", &r);
	check(nr == HC_VEC(0x900) && r.srr0 == GA(g_cede_ret) && (r.srr1 & MSR_EE) && r.r3 == 0,
	      "cede_dec_wakes_at_the_instruction_after_sc_r3_h_success");
	check(nr == HC_VEC(0x900) && r.tb >= r.r20 + dec_ticks, "cede_dec_not_before_deadline");
	nr = vcpu_run(v, 5000);
	check(nr == 0x7060 && v->run->papr_hcall.args[0] == 0 &&
		      (v->run->papr_hcall.args[2] & MSR_EE),
	      "cede_returns_h_success_with_ee_set");

	/* a signal ends the cede: KVM_RUN fails EINTR, the next one returns from H_CEDE */
	*scratch(&vm, 0, PAR_DEC) = 0; /* DEC parked: nothing else wakes it for 4 s */
	check(run_interrupted_by_signal(v, 50), "cede_signal_exits_eintr_kvm_exit_intr");
	{
		uint64_t t0 = now_ns();
		nr = vcpu_run(v, 5000);
		printf("# after the signal: hcall %s r3 0x%llx after %llu ms\n", hc_name(nr),
		       (unsigned long long)v->run->papr_hcall.args[0],
		       (unsigned long long)((now_ns() - t0) / 1000000));
		check(nr == 0x7060 && v->run->papr_hcall.args[0] == 0 &&
			      now_ns() - t0 < 1000000000ull,
		      "cede_after_signal_resumes_after_sc_r3_h_success");
	}
	vm_destroy(&vm);

	/* woken by a doorbell from vCPU 0 */
	if (vm_create(&vm, 2, 2) || vcpu_start(&vm, 0, GA(g_send), 0) ||
	    vcpu_start(&vm, 1, GA(g_cede), 0))
		goto out;
	t.vm = &vm;
	*(volatile uint32_t *)(vm.mem + FLAG_ADDR) = 0;
	pthread_create(&th, NULL, target_thread, &t);
	sent = send_doorbell(&vm, FLAG_ADDR, delay, &send_tb);
	pthread_join(th, NULL);
	for (int i = 0; i < t.n; i++)
		print_vec("vcpu 1", &t.r[i]);
	check(sent && t.n >= 1 && t.nr[0] == HC_VEC(0xa00) && t.r[0].srr0 == GA(g_cede_ret) &&
		      t.r[0].r3 == 0 && (t.r[0].srr1 & MSR_EE),
	      "cede_doorbell_wakes_at_the_instruction_after_sc_r3_h_success");
	/* vCPU 0 may see the flag a little before vCPU 1 reads its timebase: 1 ms slack */
	printf("# cede woken %lld ns after the msgsndp, %lld ns after the cede\n",
	       (long long)ticks_to_ns(t.r[0].tb - send_tb),
	       (long long)ticks_to_ns(t.r[0].tb - t.r[0].r20));
	check(sent && t.n >= 1 && t.r[0].tb >= send_tb &&
		      t.r[0].tb + MS_TICKS(1) >= t.r[0].r20 + delay,
	      "cede_stayed_idle_until_the_doorbell");
	check(t.n == 2 && t.nr[1] == 0x7060 && t.r[1].srr0 == 0, "cede_doorbell_then_returns_0");
out:
	case_end("cede");
	vm_destroy(&vm);
}

/* ---- fp: FP/VMX registers across in-kernel hcalls -------------------------------- */
static volatile int fp_noise_stop;

/* Another thread on the vCPU thread's CPU, filling the FP/VMX registers with its own. */
static void *fp_noise(void *arg)
{
	while (!fp_noise_stop)
		__asm__ volatile("vspltisw 0, -7\n vspltisw 1, 5\n xxlxor 32, 32, 33\n"
				 "fsub 0, 0, 0\n fadd 1, 0, 0\n" ::
					 : "v0", "v1", "fr0", "fr1", "memory");
	return arg;
}

static int fp_regs_ok(struct vcpu *v, uint64_t rounds, const uint64_t vr0[2], const uint64_t vr1[2],
		      const uint64_t vsr2[2])
{
	uint64_t vr[2], vs[2];
	double f0;
	struct kvm_one_reg r0 = { .id = KVM_REG_PPC_VR(0), .addr = (uintptr_t)vr };
	struct kvm_one_reg r2 = { .id = KVM_REG_PPC_VSR(2), .addr = (uintptr_t)vs };
	struct kvm_one_reg f = { .id = KVM_REG_PPC_FPR(0), .addr = (uintptr_t)&f0 };
	if (ioctl(v->fd, KVM_GET_ONE_REG, &r0) || ioctl(v->fd, KVM_GET_ONE_REG, &r2) ||
	    ioctl(v->fd, KVM_GET_ONE_REG, &f))
		return sys_fail("KVM_GET_ONE_REG");
	if (vr[0] == vr0[0] + rounds * vr1[0] && vr[1] == vr0[1] + rounds * vr1[1] &&
	    f0 == 1.0 + (double)rounds && vs[0] == vsr2[0] && vs[1] == vsr2[1])
		return 1;
	printf("# after %llu rounds: VR0 %#llx %#llx FPR0 %g VSR2 %#llx %#llx\n",
	       (unsigned long long)rounds, (unsigned long long)vr[0], (unsigned long long)vr[1], f0,
	       (unsigned long long)vs[0], (unsigned long long)vs[1]);
	return 0;
}

/*
 * VR0/FPR0 count in the guest across H_CONFER round trips handled in the kernel while a
 * thread of the VMM pinned to the same CPU uses the same registers (the vCPU thread is
 * rescheduled inside H_CONFER and between entries); ONE_REG reads the counts at every
 * exit to userspace, and a VSR the guest never touches keeps its value.
 */
static void case_fp(void)
{
	const uint64_t rounds = 6400, vr0[2] = { 0x1000, 0x7000000000000000ull }, vr1[2] = { 1, 3 },
		       vsr2[2] = { 0x0123456789abcdefull, 0xfedcba9876543210ull };
	const double one = 1.0;
	struct kvm_one_reg set[] = {
		{ .id = KVM_REG_PPC_VR(0), .addr = (uintptr_t)vr0 },
		{ .id = KVM_REG_PPC_VR(1), .addr = (uintptr_t)vr1 },
		{ .id = KVM_REG_PPC_VSR(2), .addr = (uintptr_t)vsr2 },
		{ .id = KVM_REG_PPC_FPR(0), .addr = (uintptr_t)&one },
		{ .id = KVM_REG_PPC_FPR(1), .addr = (uintptr_t)&one },
	};
	int mid_ok = 1, end_ok = 0, exits = 0;
	cpu_set_t cpu, old;
	pthread_t th;
	struct vm vm;
	struct vcpu *v;
	long nr;

	case_begin(3);
	if (vm_create(&vm, 1, 1) || vcpu_start(&vm, 0, GA(g_fp), MSR_FP | MSR_VEC | MSR_VSX))
		goto out;
	v = &vm.v[0];
	for (unsigned i = 0; i < sizeof(set) / sizeof(set[0]); i++)
		if (ioctl(v->fd, KVM_SET_ONE_REG, &set[i])) {
			sys_fail("KVM_SET_ONE_REG");
			goto out;
		}
	if (set_gprs(&vm, 0, 1, (const int[]){ 20 }, &rounds))
		goto out;
	sched_getaffinity(0, sizeof(old), &old);
	CPU_ZERO(&cpu);
	CPU_SET(sched_getcpu(), &cpu);
	sched_setaffinity(0, sizeof(cpu), &cpu);
	fp_noise_stop = 0;
	pthread_create(&th, NULL, fp_noise, NULL);
	pthread_setaffinity_np(th, sizeof(cpu), &cpu);
	while ((nr = vcpu_run(v, 60000)) == 0x7030) {
		exits++;
		mid_ok = mid_ok && fp_regs_ok(v, v->run->papr_hcall.args[0], vr0, vr1, vsr2);
	}
	fp_noise_stop = 1;
	pthread_join(th, NULL);
	sched_setaffinity(0, sizeof(old), &old);
	end_ok = nr == 0x7031 && fp_regs_ok(v, rounds, vr0, vr1, vsr2);
	if (nr != 0x7031)
		printf("# hcall %s at the end, expected 0x7031\n", hc_name(nr));
	check(exits == (int)(rounds / 64) && nr == 0x7031, "fp_guest_ran_all_rounds");
	check(exits && mid_ok, "fp_vr_fpr_counts_read_back_at_every_user_exit");
	check(end_ok, "fp_vr_fpr_vsr_survive_in_kernel_hcalls_and_host_fp_use");
out:
	case_end("fp");
	vm_destroy(&vm);
}

static const struct {
	const char *name;
	void (*fn)(void);
} cases[] = {
	{ "hcall", case_hcall }, { "regs", case_regs }, { "mmio", case_mmio }, { "dec", case_dec },
	{ "ext", case_ext },	 { "ipi", case_ipi },	{ "cede", case_cede }, { "fp", case_fp },
};
static const int case_checks[] = { 3, 6, 10, 6, 10, 5, 8, 3 };

int main(int argc, char **argv)
{
	int total = 0, n = sizeof(cases) / sizeof(cases[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < n; i++) {
		int want = argc < 2;
		for (int j = 1; j < argc; j++)
			want |= !strcmp(argv[j], cases[i].name);
		total += want ? case_checks[i] : 0;
	}
	printf("1..%d\n", total);
	for (int i = 0; i < n; i++) {
		int want = argc < 2;
		for (int j = 1; j < argc; j++)
			want |= !strcmp(argv[j], cases[i].name);
		if (want) {
			printf("# case %s\n", cases[i].name);
			cases[i].fn();
		}
	}
	return tap_failed ? 1 : 0;
}
