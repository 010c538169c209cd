// SPDX-License-Identifier: GPL-2.0
// KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS (arch/arm64/kvm/vgic/cpu_sysregs.cpp): the ICC_*
// registers a VMM saves and restores, their encodings, the ICH_VMCR_EL2 fields behind
// them and upstream's refusals.
#include "vgic_fixture.hpp"

namespace vgic_test {
namespace {

// The attr's instr field for (op0, op1, CRn, CRm, op2).
constexpr u64 instr(u32 op0, u32 op1, u32 crn, u32 crm, u32 op2)
{
	return op0 << 14 | op1 << 11 | crn << 7 | crm << 3 | op2;
}

constexpr u64 PMR = instr(3, 0, 4, 6, 0), BPR0 = instr(3, 0, 12, 8, 3);
constexpr u64 BPR1 = instr(3, 0, 12, 12, 3), CTLR = instr(3, 0, 12, 12, 4);
constexpr u64 SRE = instr(3, 0, 12, 12, 5), IGRPEN0 = instr(3, 0, 12, 12, 6);
constexpr u64 IGRPEN1 = instr(3, 0, 12, 12, 7), IAR1 = instr(3, 0, 12, 12, 0);

constexpr u64 ap0r(u32 n)
{
	return instr(3, 0, 12, 8, 4 + n);
}
constexpr u64 ap1r(u32 n)
{
	return instr(3, 0, 12, 9, n);
}

class VgicSysregs : public Vgic {
protected:
	int sget(u64 reg, u64 *v, u32 id = 0)
	{
		return get(KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, attr_mpidr(id) | reg, v);
	}
	int sset(u64 reg, u64 v, u32 id = 0)
	{
		return set(KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, attr_mpidr(id) | reg, &v);
	}
	u64 sread(u64 reg, u32 id = 0)
	{
		u64 v = 0xdead;
		EXPECT_EQ(0, sget(reg, &v, id));
		return v;
	}
};

TEST_F(VgicSysregs, the_fifteen_icc_registers_exist_and_nothing_else)
{
	create({ 0 });
	const u64 regs[] = { PMR,     BPR0,    ap0r(0), ap0r(1), ap0r(2), ap0r(3), ap1r(0), ap1r(1),
			     ap1r(2), ap1r(3), BPR1,	CTLR,	 SRE,	  IGRPEN0, IGRPEN1 };
	for (u64 r : regs)
		EXPECT_EQ(0, has(KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, attr_mpidr(0) | r)) << r;
	EXPECT_EQ(-ENXIO, has(KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, attr_mpidr(0) | IAR1));
	EXPECT_EQ(-EINVAL, has(KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, attr_mpidr(5) | PMR));
	ASSERT_EQ(0, init());
	u64 v;
	EXPECT_EQ(-ENOENT, sget(IAR1, &v));
	EXPECT_EQ(-ENOENT, sset(IAR1, 0));
	// Bits 31:16 of the attr are reserved and ignored.
	EXPECT_EQ(0, get(KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, attr_mpidr(0) | 0xffff0000 | PMR, &v));
}

TEST_F(VgicSysregs, cpu_interface_starts_with_a_zero_vmcr_and_sre_fixed)
{
	create({ 0 });
	ASSERT_EQ(0, init());
	EXPECT_EQ(0u, sread(PMR));
	EXPECT_EQ(0u, sread(BPR0));
	EXPECT_EQ(0u, sread(BPR1));
	EXPECT_EQ(0u, sread(IGRPEN1));
	EXPECT_EQ(7u, sread(SRE)); // SRE, DFB, DIB
	EXPECT_EQ(kvmx::ICH_HCR_EN, cpu(0)->cpuif.hcr);
}

TEST_F(VgicSysregs, pmr_bprs_and_group_enables_land_in_ich_vmcr)
{
	create({ 0 });
	ASSERT_EQ(0, init());
	ASSERT_EQ(0, sset(PMR, 0x1f0)); // 8 bits kept
	ASSERT_EQ(0, sset(BPR0, 2));
	ASSERT_EQ(0, sset(BPR1, 0xb)); // 3 bits kept
	ASSERT_EQ(0, sset(IGRPEN0, 1));
	ASSERT_EQ(0, sset(IGRPEN1, 3));
	EXPECT_EQ(0xf0u, sread(PMR));
	EXPECT_EQ(2u, sread(BPR0));
	EXPECT_EQ(3u, sread(BPR1));
	EXPECT_EQ(1u, sread(IGRPEN0));
	EXPECT_EQ(1u, sread(IGRPEN1));
	// PMR [31:24], BPR0 [23:21], BPR1 [20:18], VFIQEn (RES1 for a GICv3 guest), VENG1,
	// VENG0.
	EXPECT_EQ(0xf0u << 24 | 2u << 21 | 3u << 18 | 1u << 3 | 3u, cpu(0)->cpuif.vmcr);
}

TEST_F(VgicSysregs, bpr1_follows_bpr0_while_cbpr_is_set)
{
	create({ 0 });
	ASSERT_EQ(0, init());
	ASSERT_EQ(0, sset(BPR1, 5));
	u64 ctlr = sread(CTLR);
	ASSERT_EQ(0, sset(CTLR, ctlr | 1)); // CBPR
	ASSERT_EQ(0, sset(BPR0, 2));
	EXPECT_EQ(3u, sread(BPR1));
	ASSERT_EQ(0, sset(BPR1, 6)); // ignored while CBPR
	EXPECT_EQ(3u, sread(BPR1));
	ASSERT_EQ(0, sset(BPR0, 7));
	EXPECT_EQ(7u, sread(BPR1)); // saturates
	ASSERT_EQ(0, sset(CTLR, ctlr));
	EXPECT_EQ(5u, sread(BPR1)); // its own value again
}

TEST_F(VgicSysregs, ctlr_reports_the_hosts_widths_and_refuses_wider_ones)
{
	create({ 0 }); // 5 priority bits, 16-bit INTIDs, A3V, no SEIS
	ASSERT_EQ(0, init());
	u64 ctlr = sread(CTLR);
	EXPECT_EQ(4u << 8 | 0u << 11 | 1u << 15, ctlr);
	ASSERT_EQ(0, sset(CTLR, ctlr | 2)); // EOImode
	EXPECT_EQ(ctlr | 2, sread(CTLR));
	EXPECT_EQ(1u, (cpu(0)->cpuif.vmcr >> 9) & 1);
	EXPECT_EQ(-EINVAL, sset(CTLR, (ctlr & ~0x700ULL) | 5u << 8)); // 6 priority bits
	EXPECT_EQ(-EINVAL, sset(CTLR, ctlr | 1u << 11));	      // 24-bit INTIDs
	EXPECT_EQ(-EINVAL, sset(CTLR, ctlr | 1u << 14));	      // SEIS
	EXPECT_EQ(-EINVAL, sset(CTLR, ctlr & ~(1ULL << 15)));	      // A3V
	// Narrowing is accepted; upstream narrows the priority bits before it checks the
	// INTID bits, so a refused restore can still have narrowed them.
	EXPECT_EQ(-EINVAL, sset(CTLR, (ctlr & ~0x700ULL) | 3u << 8 | 1u << 11));
	EXPECT_EQ(3u << 8, sread(CTLR) & 0x700);
}

TEST_F(VgicSysregs, active_priority_registers_exist_as_the_priority_bits_need)
{
	create({ 0 }); // 5 bits: one register per group
	ASSERT_EQ(0, init());
	ASSERT_EQ(0, sset(ap0r(0), 0x80000001));
	ASSERT_EQ(0, sset(ap1r(0), 0x2));
	EXPECT_EQ(0x80000001u, sread(ap0r(0)));
	EXPECT_EQ(0x80000001u, cpu(0)->cpuif.ap0r[0]);
	EXPECT_EQ(2u, cpu(0)->cpuif.ap1r[0]);
	u64 v;
	EXPECT_EQ(-EINVAL, sget(ap0r(1), &v));
	EXPECT_EQ(-EINVAL, sset(ap1r(3), 1));
}

TEST_F(VgicSysregs, seven_priority_bits_give_four_active_priority_registers)
{
	create({ 0 }, vtr_16lr_7pri);
	ASSERT_EQ(0, init());
	for (u32 n = 0; n < 4; n++) {
		ASSERT_EQ(0, sset(ap0r(n), 0x10 + n));
		ASSERT_EQ(0, sset(ap1r(n), 0x20 + n));
	}
	for (u32 n = 0; n < 4; n++) {
		EXPECT_EQ(0x10u + n, cpu(0)->cpuif.ap0r[n]);
		EXPECT_EQ(0x20u + n, sread(ap1r(n)));
	}
	// Restoring 6 bits leaves two registers per group.
	u64 ctlr = sread(CTLR);
	ASSERT_EQ(0, sset(CTLR, (ctlr & ~0x700ULL) | 5u << 8));
	u64 v;
	EXPECT_EQ(0, sget(ap0r(1), &v));
	EXPECT_EQ(-EINVAL, sget(ap0r(2), &v));
}

TEST_F(VgicSysregs, sre_restore_must_keep_sre)
{
	create({ 0 });
	ASSERT_EQ(0, init());
	EXPECT_EQ(-EINVAL, sset(SRE, 6));
	EXPECT_EQ(0, sset(SRE, 1));
	EXPECT_EQ(7u, sread(SRE));
}

TEST_F(VgicSysregs, registers_belong_to_the_vcpu_the_affinity_names)
{
	create({ 0, 17 }); // the second is Aff1 1, Aff0 1
	ASSERT_EQ(0, init());
	ASSERT_EQ(0, sset(PMR, 0x80, 17));
	EXPECT_EQ(0x80u, sread(PMR, 17));
	EXPECT_EQ(0u, sread(PMR, 0));
	EXPECT_EQ(0x80u, kvmx::vgic_get_vmcr(cpu(1)).pmr);
	u64 v;
	EXPECT_EQ(-EINVAL, sget(PMR, &v, 1)); // no vCPU with affinity 0.0.1
}

TEST_F(VgicSysregs, sysregs_need_init)
{
	create({ 0 });
	u64 v;
	EXPECT_EQ(-EBUSY, sget(PMR, &v));
	EXPECT_EQ(-EBUSY, sset(PMR, 0));
}

} // namespace
} // namespace vgic_test
