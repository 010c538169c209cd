// SPDX-License-Identifier: GPL-2.0
/*
 * ppc_vmm_test: what a VMM's pseries machine (QEMU -M pseries -accel kvm) asks of a POWER9
 * HV host for a radix guest beyond running it, as TAP: the capabilities and information
 * ioctls it reads at start, the registers it synchronises, the hypercalls it lets the
 * kernel answer (H_REGISTER_VPA, the TCE hypercalls of its PCI host bridges) and
 * KVM_CAP_PPC_ENABLE_HCALL. What it asserts is what the in-kernel kvm-hv (Debian 6.1)
 * does on QEMU powernv9 (`make check-ppc`'s hvref boot); kvmx must do the same. The guest
 * and the VM plumbing are ppc_guest_lib.c's.
 *
 * Cases (each in a fresh VM):
 *   caps     the capabilities QEMU needs read 1 on /dev/kvm and the VM; GET_PVINFO 0 (else
 *            QEMU takes the host for PR KVM)
 *   info     KVM_PPC_GET_SMMU_INFO (POWER9's hash facts, which QEMU compares with its CPU
 *            model), KVM_PPC_GET_RMMU_INFO (radix geometries, 4 KB and 64 KB pages),
 *            KVM_PPC_GET_CPU_CHAR (bits within their masks)
 *   sregs    KVM_GET/SET_SREGS round-trip the PVR; another PVR is EINVAL
 *   onereg   VSCR, DEBUG_INST (read-only), TB_OFFSET (rounded up to 2^24), the PMU, EBB
 *            and POWER8 registers QEMU syncs, PTCR; the VPA registers' rules
 *   hcalls   KVM_CAP_PPC_ENABLE_HCALL's checks; H_REGISTER_VPA switched off reaches
 *            userspace, switched on again the kernel answers;
 *            vCPU KVM_ENABLE_CAP(KVM_CAP_PPC_FWNMI)
 *   tb       KVM_REG_PPC_TB_OFFSET moves the timebase the guest reads
 *   vpa      H_REGISTER_VPA from the guest: register, the VPA registers show it, PAPR's
 *            H_PARAMETER/H_RESOURCE rules
 *   tce      KVM_CREATE_SPAPR_TCE_64 (errors, a mappable table), H_PUT_TCE/H_GET_TCE in
 *            the kernel (the table shows the entry), bad ioba H_PARAMETER, a TCE outside
 *            guest memory and an unknown LIOBN to userspace, H_STUFF_TCE and
 *            H_PUT_TCE_INDIRECT to userspace until KVM_CAP_PPC_ENABLE_HCALL turns them on
 * Usage: ppc_vmm_test [case...]   (default: all)
 */
#include "ppc_guest_lib.c"

#define H_SUCCESS 0
#define H_PARAMETER ((uint64_t)-4)
#define H_RESOURCE ((uint64_t)-16)
#define H_GET_TCE 0x1c
#define H_PUT_TCE 0x20
#define H_REGISTER_VPA 0xdc
#define H_STUFF_TCE 0x138
#define H_PUT_TCE_INDIRECT 0x13c
#define VPA_FUNC(f) ((uint64_t)(f) << 45) /* H_REGISTER_VPA subfunction, flags 16-18 */

static int is_kvmx(int kvm)
{
	return ioctl(kvm, KVM_CHECK_EXTENSION, KVMX_CAP_PPC_STOP0LITE) > 0;
}

/* The result of one hypercall the guest made (g_hcall_par). */
struct hc {
	int to_user; /* the hypercall came to userspace (answered with user_ret) */
	uint64_t r3, r4, tb_before, tb_after;
};

/*
 * The guest issues hcall @nr with r4..r8 = @a; if it reaches userspace it is answered
 * with @user_ret. 0, or -1 (said why) if the guest did not get through.
 */
static int guest_hcall(struct vm *vm, uint64_t nr, const uint64_t a[5], uint64_t user_ret,
		       struct hc *out)
{
	struct vcpu *v = &vm->v[0];
	long got;

	memset(out, 0, sizeof(*out));
	scratch(vm, 0, 0x140)[0] = nr;
	for (int i = 0; i < 5; i++)
		scratch(vm, 0, 0x148)[i] = a[i];
	if (vcpu_start(vm, 0, GA(g_hcall_par), 0))
		return -1;
	got = vcpu_run(v, 5000);
	if (got == (long)nr) {
		out->to_user = 1;
		v->run->papr_hcall.ret = user_ret;
		got = vcpu_run(v, 5000);
	}
	if (got != 0x7050) {
		printf("# hcall 0x%llx: exit 0x%lx, expected 0x7050\n", (unsigned long long)nr,
		       got);
		return -1;
	}
	out->r3 = v->run->papr_hcall.args[0];
	out->r4 = v->run->papr_hcall.args[1];
	out->tb_before = v->run->papr_hcall.args[2];
	out->tb_after = v->run->papr_hcall.args[3];
	return 0;
}

static int cap_both(struct vm *vm, unsigned long cap)
{
	return ioctl(vm->kvm, KVM_CHECK_EXTENSION, cap) > 0 &&
	       ioctl(vm->fd, KVM_CHECK_EXTENSION, cap) > 0;
}

static int enable_cap(int fd, uint32_t cap, uint64_t a0, uint64_t a1)
{
	struct kvm_enable_cap c = { .cap = cap, .args = { a0, a1 } };
	return ioctl(fd, KVM_ENABLE_CAP, &c);
}

/* ---- caps ---------------------------------------------------------------------------- */
static void case_caps(void)
{
	static const struct {
		unsigned long cap;
		const char *name;
	} caps[] = {
		{ KVM_CAP_PPC_SEGSTATE, "PPC_SEGSTATE" },
		{ KVM_CAP_PPC_GET_SMMU_INFO, "PPC_GET_SMMU_INFO" },
		{ KVM_CAP_PPC_MMU_RADIX, "PPC_MMU_RADIX" },
		{ KVM_CAP_PPC_GET_CPU_CHAR, "PPC_GET_CPU_CHAR" },
		{ KVM_CAP_ENABLE_CAP, "ENABLE_CAP" },
		{ KVM_CAP_PPC_ENABLE_HCALL, "PPC_ENABLE_HCALL" },
		{ KVM_CAP_PPC_FWNMI, "PPC_FWNMI" },
		{ KVM_CAP_DEVICE_CTRL, "DEVICE_CTRL" },
		{ KVM_CAP_SPAPR_TCE, "SPAPR_TCE" },
		{ KVM_CAP_SPAPR_TCE_64, "SPAPR_TCE_64" },
		{ KVM_CAP_SPAPR_MULTITCE, "SPAPR_MULTITCE" },
		{ KVM_CAP_PPC_UNSET_IRQ, "PPC_UNSET_IRQ" },
		{ KVM_CAP_PPC_IRQ_LEVEL, "PPC_IRQ_LEVEL" },
		{ KVM_CAP_ONE_REG, "ONE_REG" },
		{ KVM_CAP_PPC_PAPR, "PPC_PAPR" },
		{ KVM_CAP_PPC_AIL_MODE_3, "PPC_AIL_MODE_3" },
	};
	struct vm vm;
	int ok = 1;

	case_begin(2);
	if (vm_create(&vm, 1, 1))
		goto out;
	for (unsigned i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		if (!cap_both(&vm, caps[i].cap)) {
			printf("# KVM_CAP_%s reads 0\n", caps[i].name);
			ok = 0;
		}
	}
	check(ok, "caps_a_pseries_vmm_needs_read_1");
	check(ioctl(vm.fd, KVM_CHECK_EXTENSION, KVM_CAP_PPC_GET_PVINFO) == 0,
	      "get_pvinfo_reads_0_so_the_vmm_sees_hv");
	printf("# KVM_CAP_SPAPR_TCE_VFIO %d (%s)\n",
	       ioctl(vm.fd, KVM_CHECK_EXTENSION, KVM_CAP_SPAPR_TCE_VFIO),
	       is_kvmx(vm.kvm) ? "kvmx" : "kvm-hv");
out:
	vm_destroy(&vm);
	case_end("caps");
}

/* ---- info ---------------------------------------------------------------------------- */
static void case_info(void)
{
	struct kvm_ppc_smmu_info smmu;
	struct kvm_ppc_rmmu_info rmmu;
	struct kvm_ppc_cpu_char cc;
	struct vm vm;
	int ok, has4k = 0, has64k = 0;

	case_begin(3);
	if (vm_create(&vm, 1, 1))
		goto out;
	memset(&smmu, 0, sizeof(smmu));
	ok = !ioctl(vm.fd, KVM_PPC_GET_SMMU_INFO, &smmu);
	ok = ok &&
	     (smmu.flags & (KVM_PPC_PAGE_SIZES_REAL | KVM_PPC_1T_SEGMENTS)) ==
		     (KVM_PPC_PAGE_SIZES_REAL | KVM_PPC_1T_SEGMENTS) &&
	     smmu.slb_size == 32 && smmu.data_keys == 32 && smmu.instr_keys == 32 &&
	     smmu.sps[0].page_shift == 12 && smmu.sps[0].slb_enc == 0 &&
	     smmu.sps[0].enc[0].page_shift == 12 && smmu.sps[0].enc[0].pte_enc == 0 &&
	     smmu.sps[0].enc[1].page_shift == 24 && smmu.sps[0].enc[1].pte_enc == 0x38 &&
	     smmu.sps[1].page_shift == 16 && smmu.sps[1].slb_enc == 0x110 &&
	     smmu.sps[1].enc[0].pte_enc == 1 && smmu.sps[1].enc[1].pte_enc == 8 &&
	     smmu.sps[2].page_shift == 24 && smmu.sps[2].slb_enc == 0x100 &&
	     smmu.sps[2].enc[0].page_shift == 24 && smmu.sps[3].page_shift == 0;
	printf("# SMMU flags 0x%llx slb %u keys %u/%u\n", (unsigned long long)smmu.flags,
	       smmu.slb_size, smmu.data_keys, smmu.instr_keys);
	check(ok, "smmu_info_describes_power9_hash_mmu");
	memset(&rmmu, 0, sizeof(rmmu));
	ok = !ioctl(vm.fd, KVM_PPC_GET_RMMU_INFO, &rmmu);
	for (int i = 0; i < 8; i++) {
		has4k |= rmmu.ap_encodings[i] == 0xc;
		has64k |= rmmu.ap_encodings[i] == 0xa0000010;
		if (rmmu.ap_encodings[i])
			printf("# RMMU ap %d 0x%x\n", i, rmmu.ap_encodings[i]);
	}
	ok = ok && rmmu.geometries[0].page_shift == 12 && rmmu.geometries[0].level_bits[0] == 9 &&
	     rmmu.geometries[0].level_bits[3] == 13 && rmmu.geometries[1].page_shift == 16 &&
	     rmmu.geometries[1].level_bits[0] == 5 && rmmu.geometries[1].level_bits[3] == 13 &&
	     rmmu.geometries[2].page_shift == 0 && has4k && has64k;
	check(ok, "rmmu_info_radix_geometries_and_4k_64k_pages");
	memset(&cc, 0xff, sizeof(cc));
	ok = !ioctl(vm.fd, KVM_PPC_GET_CPU_CHAR, &cc);
	printf("# CPU_CHAR character 0x%llx/0x%llx behaviour 0x%llx/0x%llx\n",
	       (unsigned long long)cc.character, (unsigned long long)cc.character_mask,
	       (unsigned long long)cc.behaviour, (unsigned long long)cc.behaviour_mask);
	check(ok && !(cc.character & ~cc.character_mask) && !(cc.behaviour & ~cc.behaviour_mask),
	      "cpu_char_bits_within_their_masks");
out:
	vm_destroy(&vm);
	case_end("info");
}

/* ---- sregs --------------------------------------------------------------------------- */
static void case_sregs(void)
{
	struct kvm_sregs s;
	struct vm vm;
	uint32_t pvr;

	case_begin(2);
	if (vm_create(&vm, 1, 1))
		goto out;
	memset(&s, 0, sizeof(s));
	check(!ioctl(vm.v[0].fd, KVM_GET_SREGS, &s) && (pvr = s.pvr) != 0 &&
		      !ioctl(vm.v[0].fd, KVM_SET_SREGS, &s),
	      "sregs_pvr_round_trips");
	s.pvr ^= 0x100;
	check(fails_with(vm.v[0].fd, KVM_SET_SREGS, &s, EINVAL), "set_sregs_other_pvr_einval");
out:
	vm_destroy(&vm);
	case_end("sregs");
}

/* ---- onereg -------------------------------------------------------------------------- */
static int reg_round_trips(struct vcpu *v, uint64_t id, uint64_t val, uint64_t expect)
{
	uint64_t got[2] = { 0, 0 }, in[2] = { val, 0 };
	if (one_reg(v, 1, id, in) || one_reg(v, 0, id, got)) {
		printf("# ONE_REG 0x%llx: %s\n", (unsigned long long)id, strerror(errno));
		return 0;
	}
	if (got[0] != expect)
		printf("# ONE_REG 0x%llx: wrote 0x%llx, read 0x%llx, expected 0x%llx\n",
		       (unsigned long long)id, (unsigned long long)val, (unsigned long long)got[0],
		       (unsigned long long)expect);
	return got[0] == expect;
}

static void case_onereg(void)
{
	static const uint64_t kept[] = {
		KVM_REG_PPC_MMCR0, KVM_REG_PPC_MMCR1, KVM_REG_PPC_MMCRA, KVM_REG_PPC_MMCR2,
		KVM_REG_PPC_SIAR,  KVM_REG_PPC_SDAR,  KVM_REG_PPC_SIER,	 KVM_REG_PPC_EBBHR,
		KVM_REG_PPC_EBBRR, KVM_REG_PPC_BESCR, KVM_REG_PPC_CSIGR, KVM_REG_PPC_TACR,
		KVM_REG_PPC_TCSCR, KVM_REG_PPC_WORT,  KVM_REG_PPC_PTCR,
	};
	struct vm vm;
	struct vcpu *v;
	uint64_t val[2] = { 0, 0 };
	int ok = 1;

	case_begin(5);
	if (vm_create(&vm, 1, 1))
		goto out;
	v = &vm.v[0];
	check(reg_round_trips(v, KVM_REG_PPC_VSCR, 0x10001, 0x10001), "one_reg_vscr_round_trips");
	val[0] = 0;
	check(!one_reg(v, 0, KVM_REG_PPC_DEBUG_INST, val) && (uint32_t)val[0] == 0x00dddd00 &&
		      one_reg(v, 1, KVM_REG_PPC_DEBUG_INST, val) && errno == EINVAL,
	      "debug_inst_reads_the_sw_breakpoint_and_is_read_only");
	check(reg_round_trips(v, KVM_REG_PPC_TB_OFFSET, 0x1234, 0x1000000) &&
		      reg_round_trips(v, KVM_REG_PPC_TB_OFFSET, 0x5000000, 0x5000000) &&
		      reg_round_trips(v, KVM_REG_PPC_TB_OFFSET, 0, 0),
	      "tb_offset_rounds_up_to_2_24");
	for (unsigned i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		ok &= reg_round_trips(v, kept[i], 0x1000 + i * 0x10, 0x1000 + i * 0x10);
	for (unsigned i = 0; i < 6; i++)
		ok &= reg_round_trips(v, KVM_REG_PPC_PMC1 + i, 0x100 + i, 0x100 + i);
	check(ok, "pmu_ebb_p8_and_ptcr_registers_round_trip");
	/* VPA: cache-line aligned; SLB/DTL need a VPA; the VPA is cleared after them. */
	val[0] = 0x20010;
	ok = one_reg(v, 1, KVM_REG_PPC_VPA_ADDR, val) && errno == EINVAL;
	val[0] = 0x21000, val[1] = 0x100;
	ok = ok && one_reg(v, 1, KVM_REG_PPC_VPA_SLB, val) && errno == EINVAL;
	ok = ok && reg_round_trips(v, KVM_REG_PPC_VPA_ADDR, 0x20000, 0x20000);
	val[0] = 0x21000, val[1] = 0x130; /* 6 entries of 48 bytes and 16 more */
	ok = ok && !one_reg(v, 1, KVM_REG_PPC_VPA_DTL, val);
	val[0] = val[1] = 0;
	ok = ok && !one_reg(v, 0, KVM_REG_PPC_VPA_DTL, val) && val[0] == 0x21000 && val[1] == 0x120;
	val[0] = 0;
	ok = ok && one_reg(v, 1, KVM_REG_PPC_VPA_ADDR, val) && errno == EINVAL;
	val[0] = val[1] = 0;
	ok = ok && !one_reg(v, 1, KVM_REG_PPC_VPA_DTL, val) &&
	     !one_reg(v, 1, KVM_REG_PPC_VPA_ADDR, val);
	check(ok, "vpa_registers_follow_upstream_rules");
out:
	vm_destroy(&vm);
	case_end("onereg");
}

/* ---- hcalls -------------------------------------------------------------------------- */
static void case_hcalls(void)
{
	const uint64_t none[5] = { 0 };
	struct vm vm;
	struct hc h;

	case_begin(3);
	if (vm_create(&vm, 1, 1))
		goto out;
	errno = 0;
	check(enable_cap(vm.fd, KVM_CAP_PPC_ENABLE_HCALL, H_CEDE + 1, 1) && errno == EINVAL &&
		      enable_cap(vm.fd, KVM_CAP_PPC_ENABLE_HCALL, H_CEDE, 2) && errno == EINVAL &&
		      enable_cap(vm.fd, KVM_CAP_PPC_ENABLE_HCALL, 0x460, 1) && errno == EINVAL &&
		      enable_cap(vm.fd, KVM_CAP_PPC_ENABLE_HCALL, 0x2b4, 1) && errno == EINVAL &&
		      !enable_cap(vm.fd, KVM_CAP_PPC_ENABLE_HCALL, H_CEDE, 1),
	      "enable_hcall_checks_like_upstream");
	/*
	 * Switched off, an in-kernel hypercall goes to userspace. (Not H_CEDE: kvm-hv's
	 * POWER9 path cedes in the kernel whatever the switch says, kvmx obeys it.)
	 */
	check(!enable_cap(vm.fd, KVM_CAP_PPC_ENABLE_HCALL, H_REGISTER_VPA, 0) &&
		      !guest_hcall(&vm, H_REGISTER_VPA, none, 0x55, &h) && h.to_user &&
		      h.r3 == 0x55 &&
		      !enable_cap(vm.fd, KVM_CAP_PPC_ENABLE_HCALL, H_REGISTER_VPA, 1) &&
		      !guest_hcall(&vm, H_REGISTER_VPA, none, 0x55, &h) && !h.to_user &&
		      h.r3 == H_PARAMETER,
	      "h_register_vpa_switched_off_reaches_userspace");
	check(!enable_cap(vm.v[0].fd, KVM_CAP_PPC_FWNMI, 0, 0), "vcpu_enable_cap_fwnmi");
out:
	vm_destroy(&vm);
	case_end("hcalls");
}

/* ---- tb ------------------------------------------------------------------------------ */
static void case_tb(void)
{
	const uint64_t none[5] = { 0 };
	const uint64_t offset = 1ull << 40;
	uint64_t val[2] = { offset, 0 };
	struct vm vm;
	struct hc h;
	int64_t d;

	case_begin(1);
	if (vm_create(&vm, 1, 1) || one_reg(&vm.v[0], 1, KVM_REG_PPC_TB_OFFSET, val))
		goto out;
	if (guest_hcall(&vm, 0x7051, none, 0, &h))
		goto out;
	/* Guest TB at the sc minus the host's now: the offset, less the time since. */
	d = (int64_t)(h.tb_before - __builtin_ppc_get_timebase());
	printf("# guest TB - host TB = %lld (offset %llu)\n", (long long)d,
	       (unsigned long long)offset);
	check(d <= (int64_t)offset && d > (int64_t)(offset - 5 * TB_HZ),
	      "tb_offset_moves_the_guest_timebase");
out:
	vm_destroy(&vm);
	case_end("tb");
}

/* ---- vpa ----------------------------------------------------------------------------- */
static void put_be(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

static void case_vpa(void)
{
	struct vm vm;
	struct hc h;
	uint64_t val[2] = { 0, 0 };
	int ok;

	case_begin(4);
	if (vm_create(&vm, 1, 1))
		goto out;
	put_be(vm.mem + 0x20000 + 4, 640, 2);	/* VPA length (halfword) */
	put_be(vm.mem + 0x21000 + 4, 40, 4);	/* a DTL too short for one entry */
	put_be(vm.mem + 0x22000 + 4, 0x100, 4); /* SLB shadow */
	put_be(vm.mem + 0x23000 + 4, 500, 4);	/* a DTL of 10 entries and 20 bytes */
	ok = !guest_hcall(&vm, H_REGISTER_VPA, (uint64_t[5]){ VPA_FUNC(2), 0, 0x23000 }, 0, &h) &&
	     !h.to_user && h.r3 == H_RESOURCE;
	ok = ok &&
	     !guest_hcall(&vm, H_REGISTER_VPA, (uint64_t[5]){ VPA_FUNC(1), 0, 0x20000 }, 0, &h) &&
	     !h.to_user && h.r3 == H_SUCCESS && !one_reg(&vm.v[0], 0, KVM_REG_PPC_VPA_ADDR, val) &&
	     val[0] == 0x20000;
	check(ok, "h_register_vpa_in_the_kernel_after_the_vpa_only");
	ok = !guest_hcall(&vm, H_REGISTER_VPA, (uint64_t[5]){ VPA_FUNC(1), 0, 0x20010 }, 0, &h) &&
	     h.r3 == H_PARAMETER &&
	     !guest_hcall(&vm, H_REGISTER_VPA, (uint64_t[5]){ VPA_FUNC(1), 7, 0x20000 }, 0, &h) &&
	     h.r3 == H_PARAMETER &&
	     !guest_hcall(&vm, H_REGISTER_VPA, (uint64_t[5]){ VPA_FUNC(2), 0, 0x21000 }, 0, &h) &&
	     h.r3 == H_PARAMETER;
	check(ok, "h_register_vpa_bad_address_vcpu_or_length_h_parameter");
	ok = !guest_hcall(&vm, H_REGISTER_VPA, (uint64_t[5]){ VPA_FUNC(3), 0, 0x22000 }, 0, &h) &&
	     h.r3 == H_SUCCESS &&
	     !guest_hcall(&vm, H_REGISTER_VPA, (uint64_t[5]){ VPA_FUNC(2), 0, 0x23000 }, 0, &h) &&
	     h.r3 == H_SUCCESS && !one_reg(&vm.v[0], 0, KVM_REG_PPC_VPA_DTL, val) &&
	     val[0] == 0x23000 && val[1] == 480;
	check(ok, "slb_shadow_and_dtl_registered_and_shown");
	ok = !guest_hcall(&vm, H_REGISTER_VPA, (uint64_t[5]){ VPA_FUNC(5), 0, 0 }, 0, &h) &&
	     h.r3 == H_RESOURCE &&
	     !guest_hcall(&vm, H_REGISTER_VPA, (uint64_t[5]){ VPA_FUNC(6), 0, 0 }, 0, &h) &&
	     h.r3 == H_SUCCESS &&
	     !guest_hcall(&vm, H_REGISTER_VPA, (uint64_t[5]){ VPA_FUNC(7), 0, 0 }, 0, &h) &&
	     h.r3 == H_SUCCESS &&
	     !guest_hcall(&vm, H_REGISTER_VPA, (uint64_t[5]){ VPA_FUNC(5), 0, 0 }, 0, &h) &&
	     h.r3 == H_SUCCESS && !one_reg(&vm.v[0], 0, KVM_REG_PPC_VPA_ADDR, val) && val[0] == 0;
	check(ok, "vpa_deregistered_last");
out:
	vm_destroy(&vm);
	case_end("vpa");
}

/* ---- tce ----------------------------------------------------------------------------- */
#define LIOBN 0x80000001u
#define TCE_ENTRIES 1024u

static void case_tce(void)
{
	struct kvm_create_spapr_tce_64 args = {
		.liobn = LIOBN, .page_shift = 12, .offset = 0, .size = TCE_ENTRIES
	};
	struct vm vm;
	struct hc h;
	uint64_t *table = MAP_FAILED;
	int fd = -1, ok;
	long allocs;

	case_begin(7);
	if (vm_create(&vm, 1, 1))
		goto out;
	struct kvm_create_spapr_tce_64 bad = args;
	bad.flags = 1;
	ok = fails_with(vm.fd, KVM_CREATE_SPAPR_TCE_64, &bad, EINVAL);
	bad = args, bad.page_shift = 11;
	ok &= fails_with(vm.fd, KVM_CREATE_SPAPR_TCE_64, &bad, EINVAL);
	bad = args, bad.size = 0;
	ok &= fails_with(vm.fd, KVM_CREATE_SPAPR_TCE_64, &bad, EINVAL);
	fd = ioctl(vm.fd, KVM_CREATE_SPAPR_TCE_64, &args);
	if (fd >= 0)
		table = mmap(NULL, TCE_ENTRIES * 8, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ok &= fd >= 0 && table != MAP_FAILED && table[5] == 0;
	ok &= fails_with(vm.fd, KVM_CREATE_SPAPR_TCE_64, &args, EBUSY);
	check(ok, "create_spapr_tce_64_checks_and_gives_a_mappable_table");
	if (table == MAP_FAILED)
		goto out;
	ok = !guest_hcall(&vm, H_PUT_TCE, (uint64_t[5]){ LIOBN, 0x5000, 0x40003 }, 0, &h) &&
	     !h.to_user && h.r3 == H_SUCCESS && table[5] == 0x40003 &&
	     !guest_hcall(&vm, H_GET_TCE, (uint64_t[5]){ LIOBN, 0x5000 }, 0, &h) && !h.to_user &&
	     h.r3 == H_SUCCESS && h.r4 == 0x40003;
	check(ok, "h_put_tce_and_h_get_tce_in_the_kernel_share_the_table");
	ok = !guest_hcall(&vm, H_PUT_TCE, (uint64_t[5]){ LIOBN, 0x5008, 0x40003 }, 0, &h) &&
	     !h.to_user && h.r3 == H_PARAMETER &&
	     !guest_hcall(&vm, H_PUT_TCE, (uint64_t[5]){ LIOBN, TCE_ENTRIES << 12, 0x40003 }, 0,
			  &h) &&
	     !h.to_user && h.r3 == H_PARAMETER &&
	     !guest_hcall(&vm, H_GET_TCE, (uint64_t[5]){ LIOBN, TCE_ENTRIES << 12 }, 0, &h) &&
	     !h.to_user && h.r3 == H_PARAMETER;
	check(ok, "ioba_unaligned_or_outside_the_window_h_parameter");
	ok = !guest_hcall(&vm, H_PUT_TCE, (uint64_t[5]){ LIOBN, 0x6000, 0x80000003 }, 0x77, &h) &&
	     h.to_user && h.r3 == 0x77 && table[6] == 0 &&
	     !guest_hcall(&vm, H_PUT_TCE, (uint64_t[5]){ LIOBN + 1, 0x6000, 0x40003 }, 0x78, &h) &&
	     h.to_user && h.r3 == 0x78;
	check(ok, "tce_outside_guest_memory_or_unknown_liobn_to_userspace");
	/* H_STUFF_TCE and H_PUT_TCE_INDIRECT: the VMM's until it turns them on. */
	table[7] = 0x50003;
	ok = !guest_hcall(&vm, H_STUFF_TCE, (uint64_t[5]){ LIOBN, 0x7000, 0, 1 }, 0x79, &h) &&
	     h.to_user && h.r3 == 0x79 && table[7] == 0x50003 &&
	     !enable_cap(vm.fd, KVM_CAP_PPC_ENABLE_HCALL, H_STUFF_TCE, 1) &&
	     !guest_hcall(&vm, H_STUFF_TCE, (uint64_t[5]){ LIOBN, 0x7000, 0, 1 }, 0, &h) &&
	     !h.to_user && h.r3 == H_SUCCESS && table[7] == 0 &&
	     !guest_hcall(&vm, H_STUFF_TCE, (uint64_t[5]){ LIOBN, 0x7000, 3, 1 }, 0, &h) &&
	     !h.to_user && h.r3 == H_PARAMETER;
	check(ok, "h_stuff_tce_in_the_kernel_once_enabled");
	/* A list of two TCEs (big-endian) at guest 0x30000 for entries 8 and 9. */
	put_be(vm.mem + 0x30000, 0x41003, 8);
	put_be(vm.mem + 0x30008, 0x42001, 8);
	ok = !guest_hcall(&vm, H_PUT_TCE_INDIRECT, (uint64_t[5]){ LIOBN, 0x8000, 0x30000, 2 }, 0x7a,
			  &h) &&
	     h.to_user && h.r3 == 0x7a && table[8] == 0 &&
	     !enable_cap(vm.fd, KVM_CAP_PPC_ENABLE_HCALL, H_PUT_TCE_INDIRECT, 1) &&
	     !guest_hcall(&vm, H_PUT_TCE_INDIRECT, (uint64_t[5]){ LIOBN, 0x8000, 0x30000, 2 }, 0,
			  &h) &&
	     !h.to_user && h.r3 == H_SUCCESS && table[8] == 0x41003 && table[9] == 0x42001 &&
	     !guest_hcall(&vm, H_PUT_TCE_INDIRECT, (uint64_t[5]){ LIOBN, 0x8000, 0x30008, 1 }, 0,
			  &h) &&
	     !h.to_user && h.r3 == H_PARAMETER &&
	     !guest_hcall(&vm, H_PUT_TCE_INDIRECT, (uint64_t[5]){ LIOBN, 0x8000, 0x30000, 513 }, 0,
			  &h) &&
	     !h.to_user && h.r3 == H_PARAMETER;
	check(ok, "h_put_tce_indirect_in_the_kernel_once_enabled");
	munmap(table, TCE_ENTRIES * 8);
	table = MAP_FAILED;
	close(fd);
	fd = -1;
	vm_destroy(&vm);
	allocs = live_allocs();
	if (allocs < 0)
		skip("tables_freed_with_their_fds", "not kvmx");
	else
		check(allocs == 0, "tables_freed_with_their_fds");
out:
	if (table != MAP_FAILED)
		munmap(table, TCE_ENTRIES * 8);
	if (fd >= 0)
		close(fd);
	vm_destroy(&vm);
	case_end("tce");
}

static const struct {
	const char *name;
	void (*fn)(void);
} cases[] = {
	{ "caps", case_caps },	   { "info", case_info },     { "sregs", case_sregs },
	{ "onereg", case_onereg }, { "hcalls", case_hcalls }, { "tb", case_tb },
	{ "vpa", case_vpa },	   { "tce", case_tce },
};

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int run = argc < 2;
		for (int a = 1; a < argc; a++)
			run |= !strcmp(argv[a], cases[i].name);
		if (run)
			cases[i].fn();
	}
	printf("1..%d\n", tap_nr);
	return tap_failed ? 1 : 0;
}
