// SPDX-License-Identifier: GPL-2.0
// Writable ID registers (arch/arm64/kvm/id_regs.cpp, upstream 6.7's ABI): the capability,
// KVM_ARM_GET_REG_WRITABLE_MASKS, narrowing a field VM-wide before the first run, what is
// refused, EBUSY after the run, resets that keep the VMM's values, and the traps a
// narrowed field implies.
#include "id_regs.hpp"
#include "registry.hpp"
#include "vcpu_fixture.hpp"
#include <linux/kvmx.h>

namespace {

using IdRegs = Vcpus;

constexpr u64 ID_AA64PFR0_EL1 = sys_reg(3, 0, 0, 4, 0), ID_AA64DFR0_EL1 = sys_reg(3, 0, 0, 5, 0);
constexpr u64 ID_AA64ISAR0_EL1 = sys_reg(3, 0, 0, 6, 0);
constexpr u64 ID_AA64MMFR0_EL1 = sys_reg(3, 0, 0, 7, 0);
constexpr u64 ID_AA64MMFR1_EL1 = sys_reg(3, 0, 0, 7, 1);

constexpr u64 field(u64 val, unsigned int shift)
{
	return (val >> shift) & 0xf;
}

constexpr u64 with_field(u64 val, unsigned int shift, u64 f)
{
	return (val & ~(0xfULL << shift)) | f << shift;
}

// KVM_ARM_FEATURE_ID_RANGE_IDX for op0 3, CRn 0.
constexpr unsigned int range_idx(unsigned int op1, unsigned int crm, unsigned int op2)
{
	return (op1 == 3 ? 2 : op1) * 64 + crm * 8 + op2;
}

long get_masks(kvmx_vm *vm, reg_mask_range *range)
{
	return kvmx_vm_ioctl(vm, KVM_ARM_GET_REG_WRITABLE_MASKS, fake_host::uptr(range));
}

TEST_F(IdRegs, capability_names_the_feature_id_range)
{
	EXPECT_EQ(1 << KVM_ARM_FEATURE_ID_RANGE,
		  kvmx_vm_ioctl(vm_, KVM_CHECK_EXTENSION, KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES));
}

TEST_F(IdRegs, writable_masks_cover_the_narrowable_fields_at_upstreams_indexes)
{
	u64 masks[KVM_ARM_FEATURE_ID_RANGE_SIZE];
	for (u64 &m : masks)
		m = 0xdead;
	reg_mask_range range = {};
	range.addr = fake_host::uptr(masks);
	ASSERT_EQ(0, get_masks(vm_, &range));
	u64 pfr0 = masks[range_idx(0, 4, 0)];
	EXPECT_EQ(0xfULL << 24, pfr0 & 0xfULL << 24) << "GIC";
	EXPECT_EQ(0xfULL, pfr0 & 0xf) << "EL0";
	EXPECT_EQ(0u, pfr0 & 0xfULL << 32) << "SVE";
	EXPECT_EQ(0u, pfr0 & 0xffULL << 16) << "FP, AdvSIMD";
	EXPECT_EQ(0xfULL << 56, masks[range_idx(0, 6, 0)] & 0xfULL << 56) << "TLB";
	EXPECT_EQ(0u, masks[range_idx(0, 6, 1)] & 0xff0000f0ULL) << "pointer authentication";
	u64 mmfr0 = masks[range_idx(0, 7, 0)];
	EXPECT_EQ(0xfULL, mmfr0 & 0xf) << "PARange";
	EXPECT_EQ(0u, mmfr0 & 0xf0) << "ASIDBits, as upstream";
	u64 dfr0 = masks[range_idx(0, 5, 0)];
	EXPECT_EQ(0u, dfr0 & 0xf000) << "BRPs, as upstream";
	EXPECT_EQ(0xfULL << 20, dfr0 & 0xfULL << 20) << "WRPs";
	EXPECT_EQ(0u, masks[range_idx(0, 0, 0)]) << "MIDR_EL1";
	EXPECT_EQ(0u, masks[range_idx(0, 2, 0)]) << "AArch32: not writable";
	EXPECT_EQ(0u, masks[KVM_ARM_FEATURE_ID_RANGE_SIZE - 1]) << "the whole range is written";
}

TEST_F(IdRegs, writable_masks_refuse_other_ranges_reserved_bits_and_bad_addresses)
{
	u64 masks[KVM_ARM_FEATURE_ID_RANGE_SIZE] = {};
	reg_mask_range range = {};
	range.addr = fake_host::uptr(masks);
	range.range = 1;
	EXPECT_EQ(-EINVAL, get_masks(vm_, &range));
	range.range = 0;
	range.reserved[12] = 1;
	EXPECT_EQ(-EINVAL, get_masks(vm_, &range));
	range.reserved[12] = 0;
	range.addr = 0x100;
	EXPECT_EQ(-EFAULT, get_masks(vm_, &range));
	EXPECT_EQ(-EFAULT, kvmx_vm_ioctl(vm_, KVM_ARM_GET_REG_WRITABLE_MASKS, 0x100));
}

// ID_AA64PFR0_EL1 of the QEMU -cpu max host kvmx is tested on (CSV3 1, CSV2 3, DIT, SEL2,
// SVE, RAS 2, GIC, AdvSIMD, FP, EL2 2, EL1 and EL0 AArch64 + AArch32), and what Debian
// 6.1's built-in KVM gives a VM there (QEMU -cpu host,sve=off: CSV2 1, no SVE).
constexpr u64 qemu_max_pfr0 = 0x1301001121110222ULL, builtin_61_pfr0 = 0x1101001021110222ULL;

// That host, with a GICv3 kvmx can give VMs (ID_AA64PFR0_EL1.GIC 1 in the offer).
void become_the_qemu_max_host()
{
	kvmx::registry().host.arm64_id_regs[kvmx::ID_AA64PFR0] = qemu_max_pfr0;
	kvmx::registry().host.arm64_ich_vtr = 0x90000003;
}

TEST_F(IdRegs, a_64bit_vm_is_offered_aarch32_el0_and_the_hosts_el1_field)
{
	become_the_qemu_max_host();
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	EXPECT_EQ(0x1301001021110222ULL, reg(fd, ID_AA64PFR0_EL1)) << "no SVE; EL0/EL1 2";
}

TEST_F(IdRegs, the_builtin_kvms_pfr0_with_aarch32_el0_restores_on_a_64bit_vm)
{
	become_the_qemu_max_host();
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, ID_AA64PFR0_EL1, builtin_61_pfr0)) << "CSV2 3 to 1: narrower";
	EXPECT_EQ(builtin_61_pfr0, reg(fd, ID_AA64PFR0_EL1));
	EXPECT_EQ(0, set_reg64(fd, ID_AA64PFR0_EL1, with_field(builtin_61_pfr0, 0, 1)))
		<< "a VMM may take AArch32 EL0 away from the register, as upstream";
}

TEST_F(IdRegs, el0_and_el1_beyond_the_host_are_still_refused)
{
	// A host whose EL1 is AArch64 only: EL1 2 would be a widening.
	kvmx::registry().host.arm64_id_regs[kvmx::ID_AA64PFR0] = with_field(qemu_max_pfr0, 4, 1);
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	const u64 pfr0 = reg(fd, ID_AA64PFR0_EL1);
	ASSERT_EQ(2u, field(pfr0, 0));
	ASSERT_EQ(1u, field(pfr0, 4));
	EXPECT_EQ(-EINVAL, set_reg64(fd, ID_AA64PFR0_EL1, with_field(pfr0, 4, 2)));
	EXPECT_EQ(-EINVAL, set_reg64(fd, ID_AA64PFR0_EL1, with_field(pfr0, 0, 3)));
	EXPECT_EQ(-EINVAL, set_reg64(fd, ID_AA64PFR0_EL1, with_field(pfr0, 56, 4))) << "CSV2";
	EXPECT_EQ(pfr0, reg(fd, ID_AA64PFR0_EL1));
}

TEST_F(IdRegs, without_aarch32_el0_on_the_host_aarch32_el0_is_a_widening)
{
	kvmx::registry().host.arm64_id_regs[kvmx::ID_AA64PFR0] =
		with_field(with_field(qemu_max_pfr0, 0, 1), 4, 1);
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	const u64 pfr0 = reg(fd, ID_AA64PFR0_EL1);
	EXPECT_EQ(0x11u, pfr0 & 0xff);
	EXPECT_EQ(-EINVAL, set_reg64(fd, ID_AA64PFR0_EL1, with_field(pfr0, 0, 2)));
	EXPECT_EQ(-EINVAL, set_reg64(fd, ID_AA64PFR0_EL1, (pfr0 & ~0xffULL) | 0x22));
}

TEST_F(IdRegs, aarch32_id_registers_of_a_64bit_vm_read_the_offer_and_ignore_writes)
{
	constexpr u64 ID_PFR0_EL1 = sys_reg(3, 0, 0, 1, 0), ID_DFR0_EL1 = sys_reg(3, 0, 0, 1, 2);
	constexpr u64 ID_AFR0_EL1 = sys_reg(3, 0, 0, 1, 3), MVFR0_EL1 = sys_reg(3, 0, 0, 3, 0);
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	const u64 pfr0_32 = host_id::pfr0_32_value & ~(0xfULL << 20); // no AMU
	EXPECT_EQ(pfr0_32, reg(fd, ID_PFR0_EL1));
	EXPECT_EQ(0u, reg(fd, ID_DFR0_EL1)) << "no CP14 debug, no PMU";
	EXPECT_EQ(host_id::mvfr0_value, reg(fd, MVFR0_EL1));
	for (u64 id : { ID_PFR0_EL1, ID_DFR0_EL1, MVFR0_EL1 }) {
		EXPECT_EQ(0, set_reg64(fd, id, 0)) << id;
		EXPECT_EQ(0, set_reg64(fd, id, ~0ULL)) << id;
	}
	EXPECT_EQ(pfr0_32, reg(fd, ID_PFR0_EL1));
	EXPECT_EQ(0u, reg(fd, ID_DFR0_EL1));
	EXPECT_EQ(host_id::mvfr0_value, reg(fd, MVFR0_EL1));
	EXPECT_EQ(-EINVAL, set_reg64(fd, ID_AFR0_EL1, 1)) << "takes only what it reads";
	EXPECT_EQ(0, set_reg64(fd, ID_AFR0_EL1, 0));

	// The guest reads the same (MRS of ID_PFR0_EL1 and MVFR0_EL1, HCR_EL2.TID3).
	ASSERT_EQ(0, set_reg64(fd, REG_PC, ram_ipa));
	fake_arch::push(fake_arch::sysreg_exit(3, 0, 0, 1, 0, 3, true));
	fake_arch::push(fake_arch::sysreg_exit(3, 0, 0, 3, 0, 4, true));
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(pfr0_32, reg(fd, reg_x(3)));
	EXPECT_EQ(host_id::mvfr0_value, reg(fd, reg_x(4)));
}

TEST_F(IdRegs, a_narrowed_field_is_what_every_vcpu_and_the_guest_read)
{
	long a = ready_vcpu(0), b = ready_vcpu(1);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	u64 isar0 = reg(a, ID_AA64ISAR0_EL1);
	ASSERT_EQ(2u, field(isar0, 4)) << "AES with PMULL";
	u64 narrowed = with_field(isar0, 4, 1);
	ASSERT_EQ(0, set_reg64(a, ID_AA64ISAR0_EL1, narrowed));
	EXPECT_EQ(narrowed, reg(b, ID_AA64ISAR0_EL1)) << "one value for the VM";
	ASSERT_EQ(0, set_reg64(b, REG_PC, ram_ipa));
	fake_arch::push(fake_arch::sysreg_exit(3, 0, 0, 6, 0, 3, true)); // MRS X3, ID_AA64ISAR0
	ASSERT_TRUE(run_script(b));
	EXPECT_EQ(narrowed, reg(b, reg_x(3)));
}

TEST_F(IdRegs, a_field_may_go_back_up_to_the_offer_but_not_beyond)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	u64 isar0 = reg(fd, ID_AA64ISAR0_EL1);
	ASSERT_EQ(0, set_reg64(fd, ID_AA64ISAR0_EL1, with_field(isar0, 4, 0)));
	EXPECT_EQ(0, set_reg64(fd, ID_AA64ISAR0_EL1, isar0)) << "the offer itself";
	EXPECT_EQ(-EINVAL, set_reg64(fd, ID_AA64ISAR0_EL1, with_field(isar0, 4, 3)));
	EXPECT_EQ(-EINVAL, set_reg64(fd, ID_AA64ISAR0_EL1, with_field(isar0, 60, 1))) << "RNDR";
	EXPECT_EQ(isar0, reg(fd, ID_AA64ISAR0_EL1));
}

TEST_F(IdRegs, signed_fields_narrow_to_not_implemented)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	u64 mmfr0 = reg(fd, ID_AA64MMFR0_EL1);
	ASSERT_EQ(0u, field(mmfr0, 28)) << "TGRAN4 implemented";
	EXPECT_EQ(0, set_reg64(fd, ID_AA64MMFR0_EL1, with_field(mmfr0, 28, 0xf)));
	EXPECT_EQ(-EINVAL, set_reg64(fd, ID_AA64MMFR0_EL1, with_field(mmfr0, 28, 1)))
		<< "52-bit with 4 KB pages: more than offered";
	u64 dfr0 = reg(fd, ID_AA64DFR0_EL1);
	EXPECT_EQ(0, set_reg64(fd, ID_AA64DFR0_EL1, with_field(dfr0, 36, 0xf))) << "DoubleLock";
}

TEST_F(IdRegs, debugver_stays_armv8_and_an_impdef_pmu_reads_as_none)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	u64 dfr0 = reg(fd, ID_AA64DFR0_EL1);
	EXPECT_EQ(-EINVAL, set_reg64(fd, ID_AA64DFR0_EL1, with_field(dfr0, 0, 5)));
	EXPECT_EQ(-EINVAL, set_reg64(fd, ID_AA64DFR0_EL1, with_field(dfr0, 8, 1))) << "PMUv3";
	EXPECT_EQ(0, set_reg64(fd, ID_AA64DFR0_EL1, with_field(dfr0, 8, 0xf)));
	EXPECT_EQ(dfr0, reg(fd, ID_AA64DFR0_EL1));
	EXPECT_EQ(0, set_reg64(fd, ID_AA64DFR0_EL1, with_field(dfr0, 20, 0))) << "one watchpoint";
}

TEST_F(IdRegs, gic_field_narrowed_to_zero_sticks_before_the_run)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	u64 pfr0 = reg(fd, ID_AA64PFR0_EL1);
	ASSERT_EQ(0, set_reg64(fd, ID_AA64PFR0_EL1, with_field(pfr0, 24, 0)));
	EXPECT_EQ(0u, field(reg(fd, ID_AA64PFR0_EL1), 24));
	EXPECT_EQ(-EINVAL, set_reg64(fd, ID_AA64PFR0_EL1, with_field(pfr0, 24, 3)));
}

TEST_F(IdRegs, a_change_after_the_first_run_is_ebusy_the_same_value_is_fine)
{
	long a = ready_vcpu(0), b = ready_vcpu(1);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	u64 isar0 = reg(a, ID_AA64ISAR0_EL1);
	fake_arch::push(fake_arch::sysreg_exit(3, 0, 0, 6, 0, 3, true));
	ASSERT_TRUE(run_script(a));
	EXPECT_EQ(-EBUSY, set_reg64(b, ID_AA64ISAR0_EL1, with_field(isar0, 4, 0)));
	EXPECT_EQ(-EBUSY, set_reg64(b, ID_AA64ISAR0_EL1, with_field(isar0, 60, 1)));
	EXPECT_EQ(0, set_reg64(b, ID_AA64ISAR0_EL1, isar0));
	EXPECT_EQ(isar0, reg(a, ID_AA64ISAR0_EL1));
}

TEST_F(IdRegs, vcpu_reset_keeps_the_vmms_id_registers_and_mpidr)
{
	long fd = ready_vcpu(3);
	ASSERT_GE(fd, 0);
	u64 isar0 = with_field(reg(fd, ID_AA64ISAR0_EL1), 16, 0); // no CRC32
	ASSERT_EQ(0, set_reg64(fd, ID_AA64ISAR0_EL1, isar0));
	ASSERT_EQ(0, set_reg64(fd, REG_MPIDR_EL1, 1ULL << 31 | 0x204));
	ASSERT_EQ(0, vcpu_init(fd, 1u << KVM_ARM_VCPU_PSCI_0_2));
	EXPECT_EQ(isar0, reg(fd, ID_AA64ISAR0_EL1));
	EXPECT_EQ(1ULL << 31 | 0x204, reg(fd, REG_MPIDR_EL1));
	long other = ready_vcpu(4);
	ASSERT_GE(other, 0);
	EXPECT_EQ(isar0, reg(other, ID_AA64ISAR0_EL1)) << "a later vCPU joins the VM's values";
	EXPECT_EQ(1ULL << 31 | 4, reg(other, REG_MPIDR_EL1));
}

TEST_F(IdRegs, lor_registers_are_undefined_once_lo_is_narrowed_away)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	vm_->arch.id_regs[kvmx::ID_AA64MMFR1] |= 1ULL << 16; // as a host with FEAT_LOR offers
	u64 mmfr1 = reg(fd, ID_AA64MMFR1_EL1);
	ASSERT_EQ(0, set_reg64(fd, REG_VBAR_EL1, 0x10000));
	ASSERT_EQ(0, set_reg64(fd, REG_PC, ram_ipa));
	vm_->arch.id_regs[kvmx::ID_AA64MMFR1] = with_field(mmfr1, 16, 0);
	fake_arch::push(fake_arch::sysreg_exit(3, 0, 10, 4, 7, 1, true)); // MRS X1, LORID_EL1
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0x10000u + 0x200, reg(fd, REG_PC)) << "undefined";
}

TEST_F(IdRegs, no_outer_shareable_tlbi_in_the_id_register_sets_ttlbos)
{
	kvmx::registry().host.arm64_id_regs[kvmx::ID_AA64ISAR0] |= 2ULL << 56; // OS and range
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	constexpr u64 ttlbos = 1ULL << 55;
	fake_arch::push(fake_arch::sysreg_exit(3, 0, 0, 6, 0, 3, true));
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0u, fake_arch::last_entry_cpu().hcr & ttlbos) << "offered: not trapped";
	EXPECT_EQ(-EBUSY,
		  set_reg64(fd, ID_AA64ISAR0_EL1, with_field(reg(fd, ID_AA64ISAR0_EL1), 56, 0)));

	long vm2 = kvmx_dev_ioctl(KVM_CREATE_VM, 0);
	ASSERT_GE(vm2, 0);
	kvmx_vm *v = fake_host::vm_of_fd(static_cast<int>(vm2));
	long fd2 = kvmx_vm_ioctl(v, KVM_CREATE_VCPU, 0);
	ASSERT_GE(fd2, 0);
	ASSERT_EQ(0, vcpu_init(fd2, 1u << KVM_ARM_VCPU_PSCI_0_2));
	u64 isar0 = reg(fd2, ID_AA64ISAR0_EL1);
	ASSERT_EQ(2u, field(isar0, 56));
	ASSERT_EQ(0, set_reg64(fd2, ID_AA64ISAR0_EL1, with_field(isar0, 56, 0)));
	fake_arch::push(fake_arch::sysreg_exit(3, 0, 0, 6, 0, 3, true));
	ASSERT_TRUE(run_script(fd2));
	EXPECT_EQ(ttlbos, fake_arch::last_entry_cpu().hcr & ttlbos) << "TLBI ...OS now trap";
	fake_host::close_fd(static_cast<int>(fd2));
	fake_host::close_fd(static_cast<int>(vm2));
}

constexpr u64 CTR_EL0 = sys_reg(3, 3, 0, 0, 1), CLIDR_EL1 = sys_reg(3, 1, 0, 0, 1);
constexpr u64 CTR_DIC = 1ULL << 29, CTR_IDC = 1ULL << 28;
constexpr u64 HCR_TID2 = 1ULL << 17, HCR_TID4 = 1ULL << 49;

TEST_F(IdRegs, ctr_narrows_line_sizes_and_dic_idc_vm_wide_and_the_guest_reads_it)
{
	kvmx::registry().host.arm64_ctr = host_id::ctr | CTR_DIC | CTR_IDC;
	long a = ready_vcpu(0), b = ready_vcpu(1);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	const u64 ctr = reg(a, CTR_EL0);
	ASSERT_EQ(host_id::ctr | CTR_DIC | CTR_IDC, ctr);
	const u64 narrowed = (ctr & ~CTR_DIC) - 1; // IminLine one smaller
	ASSERT_EQ(0, set_reg64(a, CTR_EL0, narrowed));
	EXPECT_EQ(narrowed, reg(b, CTR_EL0)) << "one CTR_EL0 for the VM";
	EXPECT_EQ(-EINVAL, set_reg64(a, CTR_EL0, ctr + 1)) << "IminLine above the host's";
	EXPECT_EQ(-EINVAL, set_reg64(a, CTR_EL0, ctr ^ 1ULL << 14)) << "L1Ip is not writable";
	ASSERT_EQ(0, set_reg64(b, REG_PC, ram_ipa));
	fake_arch::push(fake_arch::sysreg_exit(3, 3, 0, 0, 1, 3, true)); // MRS X3, CTR_EL0
	ASSERT_TRUE(run_script(b));
	EXPECT_EQ(HCR_TID2, fake_arch::last_entry_cpu().hcr & HCR_TID2);
	EXPECT_EQ(narrowed, reg(b, reg_x(3)));
	EXPECT_EQ(-EBUSY, set_reg64(a, CTR_EL0, ctr));
	EXPECT_EQ(0, set_reg64(a, CTR_EL0, narrowed));
}

TEST_F(IdRegs, a_64bit_vm_traps_its_cache_registers_with_tid4_where_the_host_has_evt)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(HCR_TID2, fake_arch::last_entry_cpu().hcr & (HCR_TID2 | HCR_TID4))
		<< "no FEAT_EVT: CTR_EL0 traps too";
	kvmx::registry().host.arm64_id_regs[kvmx::ID_AA64MMFR2] |= 2ULL << 56; // EVT 2
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(HCR_TID4, fake_arch::last_entry_cpu().hcr & (HCR_TID2 | HCR_TID4));
}

TEST_F(IdRegs, a_32bit_vm_reads_the_hardware_cache_registers)
{
	long fd = ready_vcpu(0, 1u << KVM_ARM_VCPU_PSCI_0_2 | 1u << KVM_ARM_VCPU_EL1_32BIT);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, REG_PSTATE, 0x13)); // AArch32 SVC
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0u, fake_arch::last_entry_cpu().hcr & (HCR_TID2 | HCR_TID4));
	// Its CCSIDR registers take only the value they read.
	const u64 ccsidr0 = KVM_REG_ARM64 | KVM_REG_SIZE_U32 | KVM_REG_ARM_DEMUX;
	u32 v = 0;
	ASSERT_EQ(0, get_reg(fd, ccsidr0, &v));
	EXPECT_EQ(0, set_reg(fd, ccsidr0, &v));
	const u32 other = v + 1;
	EXPECT_EQ(-EINVAL, set_reg(fd, ccsidr0, &other));
}

// KVM_REG_ARM_DEMUX_ID_CCSIDR register for CSSELR value @csselr.
constexpr u64 ccsidr_id(u64 csselr)
{
	return KVM_REG_ARM64 | KVM_REG_SIZE_U32 | KVM_REG_ARM_DEMUX | KVM_REG_ARM_DEMUX_ID_CCSIDR |
	       csselr;
}

TEST_F(IdRegs, ccsidr_registers_are_listed_fabricated_and_restore_the_builtin_kvms_values)
{
	long fd = ready_vcpu(), other = ready_vcpu(1);
	ASSERT_GE(fd, 0);
	ASSERT_GE(other, 0);
	std::vector<u64> list = reg_list(fd);
	for (u64 csselr = 0; csselr < 14; csselr++)
		EXPECT_EQ(1, std::count(list.begin(), list.end(), ccsidr_id(csselr))) << csselr;
	EXPECT_EQ(0, std::count(list.begin(), list.end(), ccsidr_id(14)));
	// The host's CTR_EL0 (0x8444c004): DminLine and IminLine 4 (64 bytes): LineSize 2,
	// one set, one way.
	u32 v = 0;
	ASSERT_EQ(0, get_reg(fd, ccsidr_id(0), &v));
	EXPECT_EQ(2u, v);
	ASSERT_EQ(0, get_reg(fd, ccsidr_id(13), &v));
	EXPECT_EQ(2u, v);
	// Debian 6.1's built-in KVM on QEMU -cpu max saves the hardware's: L1D 32 KB (4 ways,
	// 128 sets, 64-byte lines), L1I, L2.
	const u32 l1d = 0x700fe01a, l1i = 0x201fe012, l2 = 0x70ffe07a;
	EXPECT_EQ(0, set_reg(fd, ccsidr_id(0), &l1d));
	EXPECT_EQ(0, set_reg(fd, ccsidr_id(1), &l1i));
	EXPECT_EQ(0, set_reg(fd, ccsidr_id(2), &l2));
	ASSERT_EQ(0, get_reg(fd, ccsidr_id(2), &v));
	EXPECT_EQ(l2, v);
	ASSERT_EQ(0, get_reg(fd, ccsidr_id(4), &v));
	EXPECT_EQ(2u, v) << "the others keep the fabricated value";
	ASSERT_EQ(0, get_reg(other, ccsidr_id(0), &v));
	EXPECT_EQ(2u, v) << "per vCPU";
	// A line smaller than CTR_EL0's (LineSize 1: 32 bytes) is refused.
	const u32 small = (l1d & ~7u) | 1;
	EXPECT_EQ(-EINVAL, set_reg(fd, ccsidr_id(0), &small));
	// Ids: a 64-bit size, CSSELR 14, another DEMUX id, bits beyond.
	EXPECT_EQ(-ENOENT, get_reg(fd, (ccsidr_id(0) & ~KVM_REG_SIZE_MASK) | KVM_REG_SIZE_U64, &v));
	EXPECT_EQ(-ENOENT, get_reg(fd, ccsidr_id(14), &v));
	EXPECT_EQ(-ENOENT, set_reg(fd, ccsidr_id(0) | 1ULL << KVM_REG_ARM_DEMUX_ID_SHIFT, &l1d));
	EXPECT_EQ(-ENOENT, get_reg(fd, ccsidr_id(0) | 1ULL << 32, &v));
	// The guest reads them (CSSELR_EL1 0: L1 data), and a reset keeps them.
	ASSERT_EQ(0, vcpu_init(fd, 1u << KVM_ARM_VCPU_PSCI_0_2));
	ASSERT_EQ(0, set_reg64(fd, REG_PC, ram_ipa));
	fake_arch::push([](kvmx::GuestCpu &c) { c.frame.x[4] = 0; },
			fake_arch::sysreg_exit(3, 2, 0, 0, 0, 4, false)); // MSR CSSELR_EL1, X4
	fake_arch::push(fake_arch::sysreg_exit(3, 1, 0, 0, 0, 5, true));  // MRS X5, CCSIDR_EL1
	fake_arch::push([](kvmx::GuestCpu &c) { c.frame.x[4] = 15; },
			fake_arch::sysreg_exit(3, 2, 0, 0, 0, 4, false)); // no such cache
	fake_arch::push(fake_arch::sysreg_exit(3, 1, 0, 0, 0, 6, true));  // MRS X6, CCSIDR_EL1
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(l1d, reg(fd, reg_x(5)));
	EXPECT_EQ(2u, reg(fd, reg_x(6)));
}

TEST_F(IdRegs, clidr_is_per_vcpu_survives_reset_and_traps_with_csselr_and_ccsidr)
{
	long a = ready_vcpu(0), b = ready_vcpu(1);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	ASSERT_EQ(host_id::clidr, reg(a, CLIDR_EL1));
	// A unified level 3 beside the host's levels; LoC, LoUU, LoUIS kept.
	const u64 clidr = host_id::clidr | 4ULL << 6;
	ASSERT_EQ(0, set_reg64(a, CLIDR_EL1, clidr));
	EXPECT_EQ(host_id::clidr, reg(b, CLIDR_EL1)) << "per vCPU";
	EXPECT_EQ(-EINVAL, set_reg64(a, CLIDR_EL1, clidr | 1ULL << 47)) << "RES0";
	EXPECT_EQ(-EINVAL, set_reg64(a, CLIDR_EL1, clidr & ~(7ULL << 24)))
		<< "LoC 0: no clean needed, and the host's CTR_EL0.IDC is 0";
	ASSERT_EQ(0, vcpu_init(a, 1u << KVM_ARM_VCPU_PSCI_0_2));
	EXPECT_EQ(clidr, reg(a, CLIDR_EL1)) << "kept by a reset";

	ASSERT_EQ(0, set_reg64(a, REG_PC, ram_ipa));
	fake_arch::push(fake_arch::sysreg_exit(3, 1, 0, 0, 1, 3, true)); // MRS X3, CLIDR_EL1
	fake_arch::push([](kvmx::GuestCpu &c) { c.frame.x[4] = 1; },
			fake_arch::sysreg_exit(3, 2, 0, 0, 0, 4, false)); // MSR CSSELR_EL1, X4
	fake_arch::push(fake_arch::sysreg_exit(3, 1, 0, 0, 0, 5, true));  // MRS X5, CCSIDR_EL1
	fake_arch::push(fake_arch::sysreg_exit(3, 2, 0, 0, 0, 6, true));  // MRS X6, CSSELR_EL1
	ASSERT_TRUE(run_script(a));
	EXPECT_EQ(HCR_TID2, fake_arch::last_entry_cpu().hcr & HCR_TID2);
	EXPECT_EQ(clidr, reg(a, reg_x(3)));
	// The host's CTR_EL0 (0x8444c004): IminLine 4 (16 words, 64 bytes): LineSize 2.
	EXPECT_EQ(2u, reg(a, reg_x(5)));
	EXPECT_EQ(1u, reg(a, reg_x(6)));
	EXPECT_EQ(ram_ipa + 16, reg(a, REG_PC));
}

TEST_F(IdRegs, a_32bit_vm_keeps_el0_el1_ctr_and_clidr)
{
	long fd = ready_vcpu(0, 1u << KVM_ARM_VCPU_PSCI_0_2 | 1u << KVM_ARM_VCPU_EL1_32BIT);
	ASSERT_GE(fd, 0);
	u64 pfr0 = reg(fd, ID_AA64PFR0_EL1);
	ASSERT_EQ(2u, field(pfr0, 4));
	EXPECT_EQ(-EINVAL, set_reg64(fd, ID_AA64PFR0_EL1, with_field(pfr0, 4, 1)));
	EXPECT_EQ(-EINVAL, set_reg64(fd, ID_AA64PFR0_EL1, with_field(pfr0, 0, 1)));
	EXPECT_EQ(0, set_reg64(fd, ID_AA64PFR0_EL1, with_field(pfr0, 56, 0))) << "CSV2";
	EXPECT_EQ(-EINVAL, set_reg64(fd, CTR_EL0, host_id::ctr - 1));
	EXPECT_EQ(0, set_reg64(fd, CTR_EL0, host_id::ctr));
	EXPECT_EQ(-EINVAL, set_reg64(fd, CLIDR_EL1, host_id::clidr | 4ULL << 6));
	EXPECT_EQ(0, set_reg64(fd, CLIDR_EL1, host_id::clidr));
}

TEST_F(IdRegs, masks_name_clidr_and_ctrs_writable_bits)
{
	u64 masks[KVM_ARM_FEATURE_ID_RANGE_SIZE] = {};
	reg_mask_range range = {};
	range.addr = fake_host::uptr(masks);
	ASSERT_EQ(0, get_masks(vm_, &range));
	EXPECT_EQ((1ULL << 47) - 1, masks[range_idx(1, 0, 1)]) << "CLIDR_EL1";
	EXPECT_EQ(CTR_DIC | CTR_IDC | 0xfULL << 16 | 0xf, masks[range_idx(3, 0, 1)]) << "CTR_EL0";
}

} // namespace
