// SPDX-License-Identifier: GPL-2.0
// The guest PMUv3 (arch/arm64/kvm/pmu.cpp): the cap and vCPU feature follow the host's
// perf-driven PMU; without the feature nothing changes; with it, the registers behave as
// upstream's (PMCR_EL0.N, counters beyond N undefined, SET/CLR pairs, EL0 rules), SW_INCR
// counts and overflows raise the interrupt, and the attributes check what upstream checks.
#include "vcpu_fixture.hpp"

#include "id_regs.hpp"
#include "registry.hpp"
#include "sysregs.hpp"
#include <algorithm>

namespace {

constexpr u32 pmu_feature = 1u << KVM_ARM_VCPU_PMU_V3;
constexpr u32 host_n = 6; // QEMU max's PMCR_EL0.N

constexpr u32 enc(u32 op0, u32 op1, u32 crn, u32 crm, u32 op2)
{
	return kvmx::sysreg_enc(op0, op1, crn, crm, op2);
}
constexpr u32 PMCR = enc(3, 3, 9, 12, 0), PMCNTENSET = enc(3, 3, 9, 12, 1);
constexpr u32 PMCNTENCLR = enc(3, 3, 9, 12, 2), PMOVSCLR = enc(3, 3, 9, 12, 3);
constexpr u32 PMSWINC = enc(3, 3, 9, 12, 4), PMSELR = enc(3, 3, 9, 12, 5);
constexpr u32 PMCEID0 = enc(3, 3, 9, 12, 6), PMXEVCNTR = enc(3, 3, 9, 13, 2);
constexpr u32 PMUSERENR = enc(3, 3, 9, 14, 0), PMOVSSET = enc(3, 3, 9, 14, 3);
constexpr u32 PMINTENSET = enc(3, 0, 9, 14, 1), PMCCNTR = enc(3, 3, 9, 13, 0);
constexpr u32 PMEVCNTR0 = enc(3, 3, 14, 8, 0), PMEVTYPER0 = enc(3, 3, 14, 12, 0);
constexpr u64 REG_PMCR = sys_reg(3, 3, 9, 12, 0), REG_PMCNTENSET = sys_reg(3, 3, 9, 12, 1);
constexpr u64 REG_DFR0 = sys_reg(3, 0, 0, 5, 0), REG_PMEVCNTR3 = sys_reg(3, 3, 14, 8, 3);

class Pmu : public Vcpus {
protected:
	void SetUp() override
	{
		Vcpus::SetUp();
		host_pmu(true);
	}
	// A host whose perf drives a PMUv3p5 with six counters (or none).
	static void host_pmu(bool on)
	{
		kvmx_host_info &h = kvmx::registry().host;
		h.arm64_id_regs[kvmx::ID_AA64DFR0] =
			(h.arm64_id_regs[kvmx::ID_AA64DFR0] & ~0xf00ULL) | (on ? 6ULL << 8 : 0);
		h.arm64_pmu_type = on ? 8 : 0;
		h.arm64_pmu_nr_counters = host_n;
	}
	long attr(long fd, unsigned int cmd, u64 a, const void *p)
	{
		kvm_device_attr at = {};
		at.group = KVM_ARM_VCPU_PMU_V3_CTRL;
		at.attr = a;
		at.addr = fake_host::uptr(p);
		return ioctl(fd, cmd, fake_host::uptr(&at));
	}
	// A guest MRS/MSR as the trap path emulates it: false means UNDEF.
	static bool guest(long fd, u32 e, bool read, u64 *val)
	{
		return kvmx::sysreg_emulate(vcpu(fd), e, read, val);
	}
	static u64 rd(long fd, u32 e)
	{
		u64 v = 0xbad;
		EXPECT_TRUE(guest(fd, e, true, &v)) << std::hex << e;
		return v;
	}
	static void wr(long fd, u32 e, u64 v)
	{
		EXPECT_TRUE(guest(fd, e, false, &v)) << std::hex << e;
	}
};

TEST_F(Pmu, cap_and_feature_follow_the_hosts_perf_pmu)
{
	EXPECT_EQ(1, kvmx_vm_ioctl(vm_, KVM_CHECK_EXTENSION, KVM_CAP_ARM_PMU_V3));
	host_pmu(false);
	EXPECT_EQ(0, kvmx_vm_ioctl(vm_, KVM_CHECK_EXTENSION, KVM_CAP_ARM_PMU_V3));
	long fd = create_vcpu(0);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EINVAL, vcpu_init(fd, pmu_feature));
	host_pmu(true);
	EXPECT_EQ(0, vcpu_init(fd, pmu_feature));
}

TEST_F(Pmu, without_the_feature_pmu_registers_are_undefined_unlisted_and_absent)
{
	long fd = ready_vcpu(0, 0);
	ASSERT_GE(fd, 0);
	u64 v = 0;
	EXPECT_FALSE(guest(fd, PMCR, true, &v));
	EXPECT_FALSE(guest(fd, PMCCNTR, true, &v));
	EXPECT_EQ(-ENOENT, get_reg(fd, REG_PMCR, &v));
	EXPECT_EQ(0u, (reg(fd, REG_DFR0) >> 8) & 0xf) << "no PMUVer";
	u64 n = 0;
	EXPECT_EQ(-ENXIO, attr(fd, KVM_HAS_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_INIT, nullptr));
	EXPECT_EQ(-ENODEV, attr(fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_INIT, &n));
	const auto list = reg_list(fd);
	EXPECT_EQ(list.end(), std::find(list.begin(), list.end(), REG_PMCR));
}

TEST_F(Pmu, the_feature_shows_pmuver_and_lists_upstreams_74_registers)
{
	long plain = ready_vcpu(0, 0);
	long fd = ready_vcpu(1, pmu_feature);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(6u, (reg(fd, REG_DFR0) >> 8) & 0xf);
	EXPECT_EQ(0u, (reg(plain, REG_DFR0) >> 8) & 0xf) << "per vCPU, as upstream";
	EXPECT_EQ(reg_list(plain).size() + 74, reg_list(fd).size());
	EXPECT_EQ(u64{ host_n }, (reg(fd, REG_PMCR) >> 11) & 0x1f);
	// The VMM restores what it read; a PMUVer above the host's is refused.
	EXPECT_EQ(0, set_reg64(fd, REG_DFR0, reg(fd, REG_DFR0)));
	EXPECT_EQ(-EINVAL, set_reg64(fd, REG_DFR0, reg(fd, REG_DFR0) | 0xf00));
}

TEST_F(Pmu, pmcr_n_can_be_lowered_before_the_first_run_never_raised)
{
	long fd = ready_vcpu(0, pmu_feature);
	ASSERT_GE(fd, 0);
	const u64 pmcr = reg(fd, REG_PMCR);
	EXPECT_EQ(0, set_reg64(fd, REG_PMCR, (pmcr & ~0xf800ULL) | 2 << 11));
	EXPECT_EQ(2u, (rd(fd, PMCR) >> 11) & 0x1f);
	EXPECT_EQ(0, set_reg64(fd, REG_PMCR, (pmcr & ~0xf800ULL) | 9 << 11));
	EXPECT_EQ(2u, (reg(fd, REG_PMCR) >> 11) & 0x1f) << "larger than the host: ignored";
	// The guest cannot change N.
	wr(fd, PMCR, 5 << 11);
	EXPECT_EQ(2u, (rd(fd, PMCR) >> 11) & 0x1f);
	// A vCPU reset keeps the VM's N.
	ASSERT_EQ(0, vcpu_init(fd, pmu_feature));
	EXPECT_EQ(2u, (reg(fd, REG_PMCR) >> 11) & 0x1f);
}

TEST_F(Pmu, counters_beyond_n_are_undefined_and_their_bits_read_as_zero)
{
	long fd = ready_vcpu(0, pmu_feature);
	ASSERT_GE(fd, 0);
	u64 v = 0;
	EXPECT_TRUE(guest(fd, PMEVCNTR0 + host_n - 1, true, &v));
	EXPECT_FALSE(guest(fd, PMEVCNTR0 + host_n, true, &v));
	EXPECT_FALSE(guest(fd, PMEVTYPER0 + host_n, false, &v));
	wr(fd, PMSELR, host_n);
	EXPECT_FALSE(guest(fd, PMXEVCNTR, true, &v));
	wr(fd, PMSELR, 31); // the cycle counter through the selector
	wr(fd, PMCCNTR, 0x1234);
	EXPECT_EQ(0x1234u, rd(fd, PMXEVCNTR));
	wr(fd, PMCNTENSET, ~0ULL);
	EXPECT_EQ((1ULL << 31) | 0x3f, rd(fd, PMCNTENSET));
	wr(fd, PMCNTENCLR, 1);
	EXPECT_EQ((1ULL << 31) | 0x3e, rd(fd, PMCNTENCLR));
	// ONE_REG follows upstream 6.12: SET sets, only valid counters.
	EXPECT_EQ(0, set_reg64(fd, REG_PMCNTENSET, ~0ULL));
	EXPECT_EQ((1ULL << 31) | 0x3f, reg(fd, REG_PMCNTENSET));
	EXPECT_FALSE(guest(fd, PMCEID0, false, &v)) << "read-only";
	EXPECT_FALSE(guest(fd, PMSWINC, true, &v)) << "write-only";
}

TEST_F(Pmu, sw_incr_counts_and_its_overflow_raises_the_interrupt_line)
{
	long fd = ready_vcpu(0, pmu_feature);
	ASSERT_GE(fd, 0);
	u32 none = 0;
	ASSERT_EQ(0, attr(fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_INIT, &none));
	wr(fd, PMEVTYPER0 + 1, 0); // SW_INCR
	wr(fd, PMEVCNTR0 + 1, 0xfffffffe);
	wr(fd, PMCNTENSET, 2);
	wr(fd, PMINTENSET, 2);
	wr(fd, PMSWINC, 2);
	EXPECT_EQ(0xfffffffeu, rd(fd, PMEVCNTR0 + 1)) << "PMCR_EL0.E clear: no count";
	wr(fd, PMCR, 1);
	wr(fd, PMSWINC, 2 | 1); // counter 0 is not enabled
	EXPECT_EQ(0xffffffffu, rd(fd, PMEVCNTR0 + 1));
	EXPECT_EQ(0u, rd(fd, PMEVCNTR0));
	EXPECT_EQ(0u, rd(fd, PMOVSSET));
	wr(fd, PMSWINC, 2);
	// PMUv3p5: 64-bit event counters; without PMCR_EL0.LP they overflow at 32 bits.
	EXPECT_EQ(1ULL << 32, rd(fd, PMEVCNTR0 + 1));
	EXPECT_EQ(2u, rd(fd, PMOVSSET));
	EXPECT_EQ(1u, rd(fd, PMCEID0) & 1) << "SW_INCR is a common event kvmx counts";
	// No in-kernel irqchip: the line goes to the VMM (KVM_ARM_DEV_PMU) before any entry.
	EXPECT_FALSE(kvmx::pmu_prepare_entry(vcpu(fd)));
	kvmx::pmu_update_run(vcpu(fd));
	EXPECT_TRUE(run_page(fd)->s.regs.device_irq_level & KVM_ARM_DEV_PMU);
	EXPECT_TRUE(kvmx::pmu_prepare_entry(vcpu(fd)));
	wr(fd, PMOVSCLR, 2);
	EXPECT_FALSE(kvmx::pmu_prepare_entry(vcpu(fd)));
	kvmx::pmu_update_run(vcpu(fd));
	EXPECT_FALSE(run_page(fd)->s.regs.device_irq_level & KVM_ARM_DEV_PMU);
}

TEST_F(Pmu, el0_accesses_follow_pmuserenr)
{
	long fd = ready_vcpu(0, pmu_feature);
	ASSERT_GE(fd, 0);
	cpu(fd).pstate = 0; // EL0t
	u64 v = 0;
	EXPECT_FALSE(guest(fd, PMCR, true, &v));
	EXPECT_FALSE(guest(fd, PMCCNTR, true, &v));
	EXPECT_FALSE(guest(fd, PMUSERENR, false, &v)) << "read-only at EL0";
	EXPECT_TRUE(guest(fd, PMUSERENR, true, &v));
	cpu(fd).pstate = pstate_el1h_daif;
	wr(fd, PMUSERENR, 4); // CR: cycle counter reads
	cpu(fd).pstate = 0;
	EXPECT_TRUE(guest(fd, PMCCNTR, true, &v));
	EXPECT_FALSE(guest(fd, PMCCNTR, false, &v)) << "writes need EN";
	EXPECT_FALSE(guest(fd, PMINTENSET, true, &v)) << "an EL1 register";
	cpu(fd).pstate = pstate_el1h_daif;
	wr(fd, PMUSERENR, 1);
	cpu(fd).pstate = 0;
	EXPECT_TRUE(guest(fd, PMCR, true, &v));
}

TEST_F(Pmu, attributes_check_what_upstream_checks)
{
	long fd = ready_vcpu(0, pmu_feature);
	ASSERT_GE(fd, 0);
	int irq = 23;
	EXPECT_EQ(0, attr(fd, KVM_HAS_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_FILTER, nullptr));
	EXPECT_EQ(-ENXIO, attr(fd, KVM_HAS_DEVICE_ATTR, 99, nullptr));
	EXPECT_EQ(-EINVAL, attr(fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_IRQ, &irq))
		<< "no in-kernel irqchip";
	EXPECT_EQ(-EINVAL, attr(fd, KVM_GET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_IRQ, &irq));
	int id = 7;
	EXPECT_EQ(-ENXIO, attr(fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_SET_PMU, &id));
	id = 8;
	EXPECT_EQ(0, attr(fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_SET_PMU, &id));
	kvm_pmu_event_filter f = {};
	f.nevents = 1;
	f.action = 2;
	EXPECT_EQ(-EINVAL, attr(fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_FILTER, &f));
	f.action = KVM_PMU_EVENT_DENY;
	f.base_event = 0xffff;
	f.nevents = 2;
	EXPECT_EQ(-EINVAL, attr(fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_FILTER, &f));
	f.base_event = 0; // deny SW_INCR: everything else stays allowed
	f.nevents = 1;
	EXPECT_EQ(0, attr(fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_FILTER, &f));
	EXPECT_EQ(0u, rd(fd, PMCEID0) & 1);
	EXPECT_EQ(-EFAULT, attr(fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_FILTER, nullptr));
	// The first run needs INIT.
	fake_arch::push(fake_arch::irq_exit());
	EXPECT_EQ(-EINVAL, run(fd));
	EXPECT_EQ(0, attr(fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_INIT, nullptr));
	EXPECT_EQ(-EBUSY, attr(fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_INIT, nullptr));
	// With the filter, a counter programmed with SW_INCR no longer counts.
	wr(fd, PMCR, 1);
	wr(fd, PMCNTENSET, 1);
	wr(fd, PMSWINC, 1);
	EXPECT_EQ(0u, rd(fd, PMEVCNTR0));
	ASSERT_TRUE(run_script(fd));
}

TEST_F(Pmu, register_values_round_trip_through_one_reg)
{
	long fd = ready_vcpu(0, pmu_feature);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(0, set_reg64(fd, REG_PMEVCNTR3, 0x123456789ULL));
	EXPECT_EQ(0x123456789ULL, reg(fd, REG_PMEVCNTR3));
	EXPECT_EQ(0x123456789ULL, rd(fd, PMEVCNTR0 + 3)) << "PMUv3p5: 64-bit counters";
	for (u64 id : reg_list(fd)) {
		if ((id & KVM_REG_ARM_COPROC_MASK) != KVM_REG_ARM64_SYSREG)
			continue;
		u64 v;
		ASSERT_EQ(0, get_reg(fd, id, &v)) << std::hex << id;
		EXPECT_EQ(0, set_reg64(fd, id, v)) << std::hex << id;
		EXPECT_EQ(v, reg(fd, id)) << std::hex << id;
	}
}

} // namespace

namespace {

constexpr unsigned int ev_inst_retired = 0x08, ev_cpu_cycles = 0x11;

TEST_F(Pmu, enabled_counters_are_backed_by_host_counters_of_the_guests_levels)
{
	long fd = ready_vcpu(0, pmu_feature);
	ASSERT_GE(fd, 0);
	kvmx::Vcpu *v = vcpu(fd);
	kvmx::pmu_run_begin(v); // as KVM_RUN does: host counters belong to this thread
	wr(fd, PMEVTYPER0 + 2, ev_inst_retired);
	wr(fd, PMEVTYPER0 + 3, (1ULL << 31) | ev_inst_retired); // P: not at EL1
	wr(fd, PMCNTENSET, (1ULL << 31) | 0xc);
	EXPECT_EQ(0, fake_host::pmu_events()) << "PMCR_EL0.E clear: nothing counts";
	wr(fd, PMCR, 1);
	EXPECT_EQ(5, fake_host::pmu_events()) << "EL1 and EL0 each, one for counter 3";
	EXPECT_TRUE(fake_host::pmu_count(ev_inst_retired, true, 100));
	EXPECT_TRUE(fake_host::pmu_count(ev_inst_retired, false, 20));
	EXPECT_TRUE(fake_host::pmu_count(ev_cpu_cycles, true, 1000));
	EXPECT_EQ(120u, rd(fd, PMEVCNTR0 + 2));
	EXPECT_EQ(1000u, rd(fd, PMCCNTR));
	EXPECT_EQ(1000u, reg(fd, sys_reg(3, 3, 9, 13, 0))) << "ONE_REG sees the count too";
	// Outside KVM_RUN the thread's EL0 is the VMM's: its host counters stop.
	kvmx::pmu_run_end(v);
	EXPECT_FALSE(fake_host::pmu_count(ev_cpu_cycles, false, 5));
	kvmx::pmu_run_begin(v);
	EXPECT_TRUE(fake_host::pmu_count(ev_cpu_cycles, false, 5));
	EXPECT_EQ(1005u, rd(fd, PMCCNTR));
	// A write starts over from the new value; disabling folds the count in.
	wr(fd, PMEVCNTR0 + 2, 7);
	EXPECT_TRUE(fake_host::pmu_count(ev_inst_retired, true, 3));
	wr(fd, PMCNTENCLR, 0xc);
	EXPECT_EQ(10u, rd(fd, PMEVCNTR0 + 2));
	EXPECT_EQ(2, fake_host::pmu_events());
	// A reset releases them all.
	kvmx::pmu_run_end(v);
	ASSERT_EQ(0, vcpu_init(fd, pmu_feature));
	EXPECT_EQ(0, fake_host::pmu_events());
}

TEST_F(Pmu, a_host_counters_period_ending_is_the_guest_counters_overflow)
{
	long fd = ready_vcpu(0, pmu_feature);
	ASSERT_GE(fd, 0);
	kvmx::Vcpu *v = vcpu(fd);
	kvmx::pmu_run_begin(v);
	wr(fd, PMEVTYPER0, ev_inst_retired);
	wr(fd, PMEVCNTR0, 0xfffffff0);
	wr(fd, PMINTENSET, 1);
	wr(fd, PMCNTENSET, 1);
	wr(fd, PMCR, 1);
	// 16 events to the overflow, 8 for each level: EL1 alone reports after 8.
	EXPECT_TRUE(fake_host::pmu_count(ev_inst_retired, true, 8));
	kvmx::pmu_sync(v);
	EXPECT_EQ(0u, rd(fd, PMOVSSET)) << "halfway: only a new period";
	EXPECT_EQ(0xfffffff8u, rd(fd, PMEVCNTR0));
	EXPECT_TRUE(fake_host::pmu_count(ev_inst_retired, false, 4));
	EXPECT_TRUE(fake_host::pmu_count(ev_inst_retired, true, 6));
	kvmx::pmu_sync(v);
	EXPECT_EQ(1u, rd(fd, PMOVSSET));
	EXPECT_EQ(0x100000002ULL, rd(fd, PMEVCNTR0)) << "64-bit (PMUv3p5), past 32-bit wrap";
	EXPECT_FALSE(kvmx::pmu_prepare_entry(v)) << "the VMM's irqchip must hear of it";
	kvmx::pmu_run_end(v);
}

TEST_F(Pmu, pmceid_shows_the_hosts_events_and_the_filter)
{
	kvmx::registry().host.arm64_pmceid[0] =
		(1ULL << ev_inst_retired) | (1ULL << ev_cpu_cycles) | (1ULL << 0x1e);
	long fd = ready_vcpu(0, pmu_feature);
	ASSERT_GE(fd, 0);
	EXPECT_EQ((1ULL << ev_inst_retired) | (1ULL << ev_cpu_cycles) | 1, rd(fd, PMCEID0))
		<< "SW_INCR added, CHAIN removed";
	kvm_pmu_event_filter f = {};
	f.base_event = ev_cpu_cycles;
	f.nevents = 1;
	f.action = KVM_PMU_EVENT_ALLOW;
	ASSERT_EQ(0, attr(fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_FILTER, &f));
	EXPECT_EQ(1ULL << ev_cpu_cycles, rd(fd, PMCEID0));
	// A denied event is not backed: no host counter, no count.
	kvmx::pmu_run_begin(vcpu(fd));
	wr(fd, PMEVTYPER0, ev_inst_retired);
	wr(fd, PMCNTENSET, 1);
	wr(fd, PMCR, 1);
	EXPECT_EQ(0, fake_host::pmu_events());
	kvmx::pmu_run_end(vcpu(fd));
}

} // namespace
