// SPDX-License-Identifier: GPL-2.0
// A test fixture that brings the core up on a fake arm64 host and checks, on the way down,
// that the test left no VM alive, no allocation, user-page reference or MMU notifier
// behind, and used the host interface correctly (locks, atomic context).
#pragma once

#include "fake_arch.hpp"
#include "fake_host.hpp"
#include <gtest/gtest.h>
#include <kvmx/core.h>

// ID_AA64MMFR0_EL1.PARange encodings (ARM ARM D19.2.64).
constexpr kvmx_u64 parange_40 = 2, parange_48 = 5, parange_52 = 6;

// The fake host's sanitised ID registers: a Cortex-A72-like core that also claims the
// features kvmx must hide from guests (SVE, PMU, pointer authentication, MTE, AArch32 at
// EL0/EL1, the GIC system-register interface). Indexed (CRm - 1) * 8 + op2.
namespace host_id {
constexpr unsigned int pfr0 = 24, pfr1 = 25, zfr0 = 28, dfr0 = 32, isar0 = 40, isar1 = 41;
constexpr unsigned int mmfr0 = 48, mmfr1 = 49;
// AArch32 feature registers: ID_PFR0, ID_DFR0, MVFR0.
constexpr unsigned int pfr0_32 = 0, dfr0_32 = 2, mvfr0 = 16;
// ID_PFR0: A32, T32, Jazelle, T32EE, AMU 1; ID_DFR0: v8 debug, PerfMon 3; MVFR0: VFP.
constexpr kvmx_u64 pfr0_32_value = 0x00101131, dfr0_32_value = 0x03010066;
constexpr kvmx_u64 mvfr0_value = 0x10110222;
// EL0/EL1 AArch64+AArch32 (2), EL2/EL3 (1), GIC 1, SVE 1, CSV2 1.
constexpr kvmx_u64 pfr0_value = 0x0100000101001122ULL;
// BT 1, SSBS 2, MTE 2.
constexpr kvmx_u64 pfr1_value = 0x221;
// DebugVer 8, PMUVer 6, BRPs 5, WRPs 3, CTX_CMPs 1.
constexpr kvmx_u64 dfr0_value = 0x10305608;
// AES, SHA1, SHA2, CRC32, atomics.
constexpr kvmx_u64 isar0_value = 0x211120;
// DPB, APA, API, JSCVT, FCMA, LRCPC, GPA, GPI all 1.
constexpr kvmx_u64 isar1_value = 0x11111111;
// VH, PAN.
constexpr kvmx_u64 mmfr1_value = 0x100100;
constexpr kvmx_u64 midr = 0x410fd083, revidr = 0x7, ctr = 0x8444c004, clidr = 0x0a200023;
constexpr kvmx_u64 aidr = 0, dczid = 4;
} // namespace host_id

class Core : public ::testing::Test {
protected:
	void SetUp() override
	{
		fake_host::reset();
		fake_arch::reset();
	}

	void TearDown() override
	{
		if (up_) {
			EXPECT_EQ(0u, kvmx_core_nr_vms()) << "a test left a VM alive";
			kvmx_core_exit();
		}
		EXPECT_EQ(0, fake_host::live_allocs()) << "a test leaked an allocation";
		EXPECT_EQ(0, fake_host::user_page_refs()) << "a user page reference leaked";
		EXPECT_EQ(0, fake_host::live_mmu_notifiers())
			<< "an MMU notifier stayed registered";
		EXPECT_EQ(0, fake_host::spinlocks_held());
		EXPECT_EQ(0, fake_host::irqs_masked());
		EXPECT_FALSE(fake_host::fpsimd_open());
		for (const std::string &line : fake_host::misuse_log())
			ADD_FAILURE() << "host interface misuse: " << line;
	}

	static kvmx_host_info host_info(kvmx_u64 mmfr0, unsigned int max_vms)
	{
		kvmx_host_info info = {};
		info.nr_cpus = 2;
		info.max_vms = max_vms;
		info.sched_info_on = 1;
		info.arm64_id_aa64mmfr0 = mmfr0;
		info.arm64_id_regs[host_id::pfr0] = host_id::pfr0_value;
		info.arm64_id_regs[host_id::pfr1] = host_id::pfr1_value;
		info.arm64_id_regs[host_id::zfr0] = 1;
		info.arm64_id_regs[host_id::dfr0] = host_id::dfr0_value;
		info.arm64_id_regs[host_id::isar0] = host_id::isar0_value;
		info.arm64_id_regs[host_id::isar1] = host_id::isar1_value;
		info.arm64_id_regs[host_id::mmfr0] = mmfr0;
		info.arm64_id_regs[host_id::mmfr1] = host_id::mmfr1_value;
		info.arm64_id_regs[host_id::pfr0_32] = host_id::pfr0_32_value;
		info.arm64_id_regs[host_id::dfr0_32] = host_id::dfr0_32_value;
		info.arm64_id_regs[host_id::mvfr0] = host_id::mvfr0_value;
		info.arm64_midr = host_id::midr;
		info.arm64_revidr = host_id::revidr;
		info.arm64_ctr = host_id::ctr;
		info.arm64_clidr = host_id::clidr;
		info.arm64_aidr = host_id::aidr;
		info.arm64_dczid = host_id::dczid;
		info.arm64_vmid_bits = 16;
		return info;
	}

	int init(kvmx_u64 mmfr0 = parange_48, unsigned int max_vms = 1024)
	{
		kvmx_host_info info = host_info(mmfr0, max_vms);
		info.sched_info_on = sched_info_on_;
		info.page_shift = page_shift_;
		fake_host::set_page_bytes(page_shift_ ? size_t{ 1 } << page_shift_ : 4096);
		int r = kvmx_core_init(&info);
		up_ = r == 0;
		return r;
	}

	bool up_ = false;
	// The host scheduler tracks run delay (CONFIG_SCHED_INFO), as Debian's kernel does.
	unsigned int sched_info_on_ = 1;
	// The host's PAGE_SHIFT (0: taken as 4 KiB).
	unsigned int page_shift_ = 0;
};
