// SPDX-License-Identifier: GPL-2.0
// The arm64 vCPU's userspace interface (virt/kvmx/core/vcpu.cpp, arch/arm64/kvm/guest.cpp):
// KVM_CREATE_VCPU, the kvm_run mmap, KVM_ARM_VCPU_INIT, core registers through ONE_REG,
// KVM_GET_REG_LIST and the MP state.
#include "vcpu_fixture.hpp"
#include <algorithm>
#include <set>

namespace {

using Guest = Vcpus;

TEST_F(Guest, create_vcpu_gives_an_fd_named_after_its_id)
{
	long fd = create_vcpu(7);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(7, fake_host::vcpu_fd_id(static_cast<int>(fd)));
	EXPECT_EQ(7u, vcpu(fd)->id);
	EXPECT_EQ(0u, vcpu(fd)->idx);
	EXPECT_EQ(vm_, vcpu(fd)->vm);
}

TEST_F(Guest, duplicate_vcpu_id_is_eexist)
{
	ASSERT_GE(create_vcpu(3), 0);
	EXPECT_EQ(-EEXIST, create_vcpu(3));
	EXPECT_EQ(1, fake_host::open_vcpu_fds());
}

TEST_F(Guest, vcpu_id_at_or_beyond_max_vcpu_id_is_einval)
{
	long max_id = kvmx_vm_ioctl(vm_, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID);
	ASSERT_GT(max_id, 0);
	EXPECT_EQ(-EINVAL, create_vcpu(max_id));
	EXPECT_EQ(-EINVAL, create_vcpu(~0UL));
	EXPECT_EQ(-EINVAL, create_vcpu(1UL << 32)); // not truncated to 0
	EXPECT_GE(create_vcpu(max_id - 1), 0);
}

TEST_F(Guest, vcpus_get_creation_indexes_in_order)
{
	long a = create_vcpu(5), b = create_vcpu(2);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	EXPECT_EQ(0u, vcpu(a)->idx);
	EXPECT_EQ(1u, vcpu(b)->idx);
	EXPECT_EQ(vcpu(b), kvmx::vm_vcpu(vm_, 1));
	EXPECT_EQ(nullptr, kvmx::vm_vcpu(vm_, 2));
}

TEST_F(Guest, vcpu_fd_keeps_the_vm_alive_after_the_vm_fd_closes)
{
	long fd = create_vcpu(0);
	ASSERT_GE(fd, 0);
	fake_host::close_fd(vm_fd_);
	vm_fd_ = -1;
	EXPECT_EQ(1u, kvmx_core_nr_vms());
	EXPECT_EQ(0, vcpu_init(fd));
	fake_host::close_fd(static_cast<int>(fd));
	EXPECT_EQ(0u, kvmx_core_nr_vms());
}

TEST_F(Guest, failed_vcpu_fd_install_frees_the_vcpu_and_its_vm_reference)
{
	fake_host::fail_next_fd_install(-EMFILE);
	EXPECT_EQ(-EMFILE, create_vcpu(0));
	EXPECT_EQ(0u, vm_->nr_vcpus);
	EXPECT_EQ(1u, vm_->refs);
	EXPECT_GE(create_vcpu(0), 0); // the id was not taken
}

TEST_F(Guest, vcpu_creation_out_of_memory_at_every_step_leaks_nothing)
{
	for (int n = 0;; n++) {
		fake_host::fail_alloc_after(n);
		long fd = create_vcpu(0);
		fake_host::fail_alloc_after(-1);
		if (fd >= 0)
			break;
		ASSERT_EQ(-ENOMEM, fd) << "allocation " << n;
		ASSERT_EQ(0u, vm_->nr_vcpus);
		ASSERT_LT(n, 100);
	}
}

TEST_F(Guest, mmap_is_kvm_run_then_the_vms_coalesced_mmio_ring)
{
	long fd = create_vcpu(0), fd2 = create_vcpu(1);
	ASSERT_GE(fd, 0);
	ASSERT_GE(fd2, 0);
	EXPECT_EQ(vcpu(fd)->run, run_page(fd));
	EXPECT_NE(nullptr, run_page(fd));
	void *ring = fake_host::vcpu_mmap(static_cast<int>(fd), 1);
	EXPECT_NE(nullptr, ring);
	EXPECT_EQ(ring, fake_host::vcpu_mmap(static_cast<int>(fd2), 1)) << "one ring per VM";
	EXPECT_EQ(nullptr, fake_host::vcpu_mmap(static_cast<int>(fd), 2));
	EXPECT_EQ(8192, kvmx_dev_ioctl(KVM_GET_VCPU_MMAP_SIZE, 0));
	EXPECT_EQ(1, kvmx_dev_ioctl(KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO));
}

TEST_F(Guest, vcpu_init_with_a_target_other_than_generic_v8_is_einval)
{
	long fd = create_vcpu(0);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EINVAL, vcpu_init(fd, 0, KVM_ARM_TARGET_GENERIC_V8 + 1));
	EXPECT_EQ(-EINVAL, vcpu_init(fd, 0, KVM_ARM_TARGET_CORTEX_A57));
	kvm_vcpu_init preferred = {};
	ASSERT_EQ(0, kvmx_vm_ioctl(vm_, KVM_ARM_PREFERRED_TARGET, fake_host::uptr(&preferred)));
	EXPECT_EQ(static_cast<u32>(KVM_ARM_TARGET_GENERIC_V8), preferred.target);
	EXPECT_EQ(0, vcpu_init(fd, 0, preferred.target));
}

TEST_F(Guest, vcpu_init_with_unknown_feature_bits_is_enoent)
{
	long fd = create_vcpu(0);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-ENOENT, vcpu_init(fd, 1u << (KVM_ARM_VCPU_PTRAUTH_GENERIC + 1)));
	EXPECT_EQ(-ENOENT, vcpu_init(fd, 1u << 31));
	kvm_vcpu_init init = {};
	init.target = KVM_ARM_TARGET_GENERIC_V8;
	init.features[1] = 1;
	EXPECT_EQ(-ENOENT, ioctl(fd, KVM_ARM_VCPU_INIT, fake_host::uptr(&init)));
}

TEST_F(Guest, vcpu_init_with_known_but_unsupported_features_is_einval)
{
	long fd = create_vcpu(0);
	ASSERT_GE(fd, 0);
	for (u32 feature : { KVM_ARM_VCPU_PMU_V3, KVM_ARM_VCPU_SVE, KVM_ARM_VCPU_PTRAUTH_ADDRESS,
			     KVM_ARM_VCPU_PTRAUTH_GENERIC })
		EXPECT_EQ(-EINVAL, vcpu_init(fd, 1u << feature)) << feature;
}

TEST_F(Guest, vcpu_init_again_with_other_features_is_einval)
{
	long fd = create_vcpu(0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, vcpu_init(fd, 1u << KVM_ARM_VCPU_PSCI_0_2));
	EXPECT_EQ(-EINVAL, vcpu_init(fd, 0));
	EXPECT_EQ(0, vcpu_init(fd, 1u << KVM_ARM_VCPU_PSCI_0_2));
}

TEST_F(Guest, vcpu_init_resets_registers)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, reg_x(5), 55));
	ASSERT_EQ(0, set_reg64(fd, REG_PC, 0x1000));
	ASSERT_EQ(0, set_reg64(fd, REG_VBAR_EL1, 0x2000));
	ASSERT_EQ(0, vcpu_init(fd, 1u << KVM_ARM_VCPU_PSCI_0_2));
	EXPECT_EQ(0u, reg(fd, reg_x(5)));
	EXPECT_EQ(0u, reg(fd, REG_PC));
	EXPECT_EQ(0u, reg(fd, REG_VBAR_EL1));
	EXPECT_EQ(pstate_el1h_daif, reg(fd, REG_PSTATE));
	// SCTLR_EL1 resets with the MMU off and its RES1 bits set.
	EXPECT_EQ(0u, reg(fd, REG_SCTLR_EL1) & 1);
}

TEST_F(Guest, power_off_feature_starts_the_vcpu_stopped)
{
	long off = create_vcpu(0), on = create_vcpu(1);
	ASSERT_GE(off, 0);
	ASSERT_GE(on, 0);
	ASSERT_EQ(0, vcpu_init(off, 1u << KVM_ARM_VCPU_POWER_OFF | 1u << KVM_ARM_VCPU_PSCI_0_2));
	ASSERT_EQ(0, vcpu_init(on, 1u << KVM_ARM_VCPU_PSCI_0_2));
	kvm_mp_state mp = { 0xff };
	ASSERT_EQ(0, ioctl(off, KVM_GET_MP_STATE, fake_host::uptr(&mp)));
	EXPECT_EQ(static_cast<u32>(KVM_MP_STATE_STOPPED), mp.mp_state);
	ASSERT_EQ(0, ioctl(on, KVM_GET_MP_STATE, fake_host::uptr(&mp)));
	EXPECT_EQ(static_cast<u32>(KVM_MP_STATE_RUNNABLE), mp.mp_state);
}

TEST_F(Guest, set_mp_state_accepts_runnable_and_stopped_only)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	kvm_mp_state mp = { KVM_MP_STATE_STOPPED };
	EXPECT_EQ(0, ioctl(fd, KVM_SET_MP_STATE, fake_host::uptr(&mp)));
	EXPECT_EQ(static_cast<u32>(KVM_MP_STATE_STOPPED), vcpu(fd)->arch.mp_state);
	mp.mp_state = KVM_MP_STATE_HALTED;
	EXPECT_EQ(-EINVAL, ioctl(fd, KVM_SET_MP_STATE, fake_host::uptr(&mp)));
	mp.mp_state = KVM_MP_STATE_RUNNABLE;
	EXPECT_EQ(0, ioctl(fd, KVM_SET_MP_STATE, fake_host::uptr(&mp)));
}

TEST_F(Guest, one_reg_and_run_before_vcpu_init_are_enoexec)
{
	long fd = create_vcpu(0);
	ASSERT_GE(fd, 0);
	u64 val;
	EXPECT_EQ(-ENOEXEC, get_reg(fd, REG_PC, &val));
	EXPECT_EQ(-ENOEXEC, set_reg64(fd, REG_PC, 0));
	EXPECT_EQ(-ENOEXEC, run(fd));
	u64 list[2] = { 1, 0 };
	EXPECT_EQ(-ENOEXEC, ioctl(fd, kvmx::kvm_get_reg_list_ioctl, fake_host::uptr(list)));
	EXPECT_EQ(0, fake_arch::world_switches());
}

TEST_F(Guest, core_registers_round_trip)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	for (unsigned int n = 0; n < 31; n++)
		ASSERT_EQ(0, set_reg64(fd, reg_x(n), 0x1000 + n));
	for (unsigned int n = 0; n < 31; n++)
		EXPECT_EQ(0x1000u + n, reg(fd, reg_x(n)));
	EXPECT_EQ(0x1000u + 7, cpu(fd).frame.x[7]);
	ASSERT_EQ(0, set_reg64(fd, CORE_REG(regs.sp), 0xabc0));
	EXPECT_EQ(0xabc0u, cpu(fd).frame.sp_el0);
	ASSERT_EQ(0, set_reg64(fd, CORE_REG(sp_el1), 0xdef0));
	EXPECT_EQ(0xdef0u, reg(fd, CORE_REG(sp_el1)));
	ASSERT_EQ(0, set_reg64(fd, REG_ELR_EL1, 0x1234));
	EXPECT_EQ(0x1234u, reg(fd, REG_ELR_EL1));
	ASSERT_EQ(0, set_reg64(fd, CORE_REG(spsr[3]), 0x1d3));
	EXPECT_EQ(0x1d3u, reg(fd, CORE_REG(spsr[3])));
}

TEST_F(Guest, vector_registers_are_128_bits)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	const u64 v[2] = { 0x0123456789abcdefULL, 0xfedcba9876543210ULL };
	ASSERT_EQ(0, set_reg(fd, CORE_REG128(fp_regs.vregs[9]), v));
	u64 out[2] = {};
	ASSERT_EQ(0, get_reg(fd, CORE_REG128(fp_regs.vregs[9]), out));
	EXPECT_EQ(v[0], out[0]);
	EXPECT_EQ(v[1], out[1]);
	EXPECT_EQ(v[0], cpu(fd).fp.v[18]);
	EXPECT_EQ(v[1], cpu(fd).fp.v[19]);
	u32 fpsr = 0x08000010;
	ASSERT_EQ(0, set_reg(fd, CORE_REG32(fp_regs.fpsr), &fpsr));
	u32 fpsr_out = 0;
	ASSERT_EQ(0, get_reg(fd, CORE_REG32(fp_regs.fpsr), &fpsr_out));
	EXPECT_EQ(fpsr, fpsr_out);
}

TEST_F(Guest, core_register_with_the_wrong_size_is_einval)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	u64 val[2] = {};
	EXPECT_EQ(-EINVAL,
		  get_reg(fd, core_id(KVM_REG_SIZE_U32, KVM_REG_ARM_CORE_REG(regs.pc)), val));
	EXPECT_EQ(-EINVAL,
		  get_reg(fd, core_id(KVM_REG_SIZE_U128, KVM_REG_ARM_CORE_REG(regs.pc)), val));
	EXPECT_EQ(-EINVAL, get_reg(fd, CORE_REG(fp_regs.vregs[0]), val));
	EXPECT_EQ(-EINVAL, get_reg(fd, CORE_REG(fp_regs.fpsr), val));
	EXPECT_EQ(-EINVAL, set_reg(fd, CORE_REG32(regs.regs[0]), val));
	// The middle of a register is not a register.
	EXPECT_EQ(-EINVAL, get_reg(fd, core_id(KVM_REG_SIZE_U64, 1), val));
}

TEST_F(Guest, core_offset_beyond_kvm_regs_is_enoent)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	u64 val = 0;
	EXPECT_EQ(-ENOENT, get_reg(fd, core_id(KVM_REG_SIZE_U64, sizeof(kvm_regs) / 4), &val));
	EXPECT_EQ(-ENOENT, set_reg(fd, core_id(KVM_REG_SIZE_U64, 0xffff), &val));
}

TEST_F(Guest, non_arm64_register_ids_are_einval_and_unknown_classes_enoent)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	u64 val = 0;
	EXPECT_EQ(-EINVAL, get_reg(fd, REG_PC & ~KVM_REG_ARCH_MASK, &val));
	EXPECT_EQ(-ENOENT, get_reg(fd, KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM64_SVE, &val));
	EXPECT_EQ(-ENOENT, get_reg(fd, KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_DEMUX, &val));
}

TEST_F(Guest, pstate_accepts_aarch64_el0_and_el1_modes_and_aarch32_usr_only)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	for (u64 mode : std::initializer_list<u64>{ PSR_MODE_EL0t, PSR_MODE_EL1t, PSR_MODE_EL1h })
		EXPECT_EQ(0, set_reg64(fd, REG_PSTATE, mode | PSR_D_BIT)) << mode;
	EXPECT_EQ(static_cast<u64>(PSR_MODE_EL1h | PSR_D_BIT), reg(fd, REG_PSTATE));
	for (u64 mode : std::initializer_list<u64>{ PSR_MODE_EL2t, PSR_MODE_EL2h, PSR_MODE_EL3h,
						    0x13 /* AArch32 svc */, 0x1f, 0x2 })
		EXPECT_EQ(-EINVAL, set_reg64(fd, REG_PSTATE, mode)) << mode;
	EXPECT_EQ(static_cast<u64>(PSR_MODE_EL1h | PSR_D_BIT), reg(fd, REG_PSTATE));
	EXPECT_EQ(0, set_reg64(fd, REG_PSTATE, 0x10)) << "AArch32 usr: the host has AArch32 EL0";
}

TEST_F(Guest, one_reg_with_a_bad_user_address_is_efault)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	kvm_one_reg r = { REG_PC, 0x10 };
	EXPECT_EQ(-EFAULT, ioctl(fd, KVM_GET_ONE_REG, fake_host::uptr(&r)));
	EXPECT_EQ(-EFAULT, ioctl(fd, KVM_SET_ONE_REG, fake_host::uptr(&r)));
	EXPECT_EQ(-EFAULT, ioctl(fd, KVM_GET_ONE_REG, 0x20));
}

TEST_F(Guest, reg_list_too_small_is_e2big_and_reports_the_count)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	u64 buf[4] = { 3, 0, 0, 0 };
	EXPECT_EQ(-E2BIG, ioctl(fd, kvmx::kvm_get_reg_list_ioctl, fake_host::uptr(buf)));
	EXPECT_GT(buf[0], 3u);
	EXPECT_EQ(0u, buf[1]); // nothing written past n
	std::vector<u64> list = reg_list(fd);
	EXPECT_EQ(list.size(), std::set<u64>(list.begin(), list.end()).size()) << "duplicates";
}

// Upstream 6.1's get-reg-list "vregs" configuration (base + vregs): the registers a VMM
// may migrate from KVM, none of which kvmx may lack.
std::vector<u64> upstream_base_and_vregs()
{
	std::vector<u64> ids;
	for (unsigned int n = 0; n < 31; n++)
		ids.push_back(reg_x(n));
	for (u64 id : { CORE_REG(regs.sp), CORE_REG(regs.pc), CORE_REG(regs.pstate),
			CORE_REG(sp_el1), CORE_REG(elr_el1), CORE_REG(spsr[0]), CORE_REG(spsr[1]),
			CORE_REG(spsr[2]), CORE_REG(spsr[3]), CORE_REG(spsr[4]),
			CORE_REG32(fp_regs.fpsr), CORE_REG32(fp_regs.fpcr) })
		ids.push_back(id);
	for (unsigned int n = 0; n < 32; n++)
		ids.push_back(core_id(KVM_REG_SIZE_U128, KVM_REG_ARM_CORE_REG(fp_regs.vregs) +
								 4 * static_cast<u64>(n)));
	for (u64 r = 0; r < 4; r++)
		ids.push_back(KVM_REG_ARM_FW_REG(r)); // PSCI version, ARCH_WORKAROUND_1..3
	for (u64 r = 0; r < 3; r++)
		ids.push_back(KVM_REG_ARM_FW_FEAT_BMAP_REG(r));
	// Timer: CTL, CVAL and CNT under their (historically swapped) UAPI encodings.
	for (u64 id : { sys_reg(3, 3, 14, 3, 1), sys_reg(3, 3, 14, 3, 2), sys_reg(3, 3, 14, 0, 2) })
		ids.push_back(id);
	// Identification: MIDR, REVIDR, CLIDR, AIDR, CTR, MPIDR.
	for (u64 id : { sys_reg(3, 0, 0, 0, 0), sys_reg(3, 0, 0, 0, 6), sys_reg(3, 1, 0, 0, 1),
			sys_reg(3, 1, 0, 0, 7), sys_reg(3, 3, 0, 0, 1), sys_reg(3, 0, 0, 0, 5) })
		ids.push_back(id);
	// Debug: DBGBVR/BCR/WVR/WCR<n>_EL1 for n = 0..15, MDCCINT, MDSCR, OSLSR, DBGVCR32.
	for (u64 crm = 0; crm < 16; crm++) {
		for (u64 op2 = 4; op2 < 8; op2++)
			ids.push_back(sys_reg(2, 0, 0, crm, op2));
	}
	for (u64 id : { sys_reg(2, 0, 0, 2, 0), sys_reg(2, 0, 0, 2, 2), sys_reg(2, 0, 1, 1, 4),
			sys_reg(2, 4, 0, 7, 0) })
		ids.push_back(id);
	// The whole feature-ID space op0=3 op1=0 CRn=0 CRm=1..7.
	for (u64 crm = 1; crm < 8; crm++) {
		for (u64 op2 = 0; op2 < 8; op2++)
			ids.push_back(sys_reg(3, 0, 0, crm, op2));
	}
	// EL1/EL0 context and the AArch32 state of a 64-bit guest.
	for (u64 id : { sys_reg(3, 0, 1, 0, 0),	 sys_reg(3, 0, 1, 0, 1),  sys_reg(3, 0, 1, 0, 2),
			sys_reg(3, 0, 2, 0, 0),	 sys_reg(3, 0, 2, 0, 1),  sys_reg(3, 0, 2, 0, 2),
			sys_reg(3, 0, 5, 1, 0),	 sys_reg(3, 0, 5, 1, 1),  sys_reg(3, 0, 5, 2, 0),
			sys_reg(3, 0, 6, 0, 0),	 sys_reg(3, 0, 7, 4, 0),  sys_reg(3, 0, 10, 2, 0),
			sys_reg(3, 0, 10, 3, 0), sys_reg(3, 0, 12, 0, 0), sys_reg(3, 0, 12, 1, 1),
			sys_reg(3, 0, 13, 0, 1), sys_reg(3, 0, 13, 0, 4), sys_reg(3, 0, 14, 1, 0),
			sys_reg(3, 2, 0, 0, 0),	 sys_reg(3, 3, 13, 0, 2), sys_reg(3, 3, 13, 0, 3),
			sys_reg(3, 4, 3, 0, 0),	 sys_reg(3, 4, 5, 0, 1),  sys_reg(3, 4, 5, 3, 0) })
		ids.push_back(id);
	return ids;
}

TEST_F(Guest, reg_list_has_every_register_of_upstream_base_and_vregs)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	std::vector<u64> list = reg_list(fd);
	std::set<u64> have(list.begin(), list.end());
	std::vector<u64> blessed = upstream_base_and_vregs();
	ASSERT_EQ(239u, blessed.size()); // upstream's 207 base + 32 vregs
	for (u64 id : blessed)
		EXPECT_TRUE(have.count(id)) << "missing register id 0x" << std::hex << id;
}

TEST_F(Guest, every_listed_register_reads_and_writes_back_its_own_value)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	for (u64 id : reg_list(fd)) {
		u64 val[2] = { 0x5a5a5a5a5a5a5a5aULL, 0x5a5a5a5a5a5a5a5aULL };
		ASSERT_EQ(0, get_reg(fd, id, val)) << std::hex << id;
		EXPECT_EQ(0, set_reg(fd, id, val)) << std::hex << id;
		u64 again[2] = { ~val[0], ~val[1] };
		ASSERT_EQ(0, get_reg(fd, id, again)) << std::hex << id;
		u32 size = 1u << ((id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
		EXPECT_EQ(0, memcmp(val, again, size)) << std::hex << id;
	}
}

TEST_F(Guest, reg_list_ids_have_the_arm64_arch_and_a_valid_size)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	for (u64 id : reg_list(fd)) {
		EXPECT_EQ(static_cast<u64>(KVM_REG_ARM64), id & KVM_REG_ARCH_MASK)
			<< std::hex << id;
		u64 size = id & KVM_REG_SIZE_MASK;
		EXPECT_TRUE(size == KVM_REG_SIZE_U32 || size == KVM_REG_SIZE_U64 ||
			    size == KVM_REG_SIZE_U128)
			<< std::hex << id;
	}
}

TEST_F(Guest, unknown_vcpu_ioctls_fail_cleanly)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EINVAL, ioctl(fd, _IO(KVMIO, 0xfe), 0));
	EXPECT_EQ(-ENOTTY, ioctl(fd, _IOW('x', 1, int), 0));
	EXPECT_EQ(-EINVAL, ioctl(fd, KVM_GET_REGS, 0));
	EXPECT_EQ(-EINVAL, ioctl(fd, KVM_RUN, 1));
}

} // namespace
