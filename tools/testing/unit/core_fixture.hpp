// SPDX-License-Identifier: GPL-2.0
// A test fixture that brings the core up on a fake arm64 host and checks, on the way down,
// that the test left no VM alive and no allocation behind.
#pragma once

#include "fake_host.hpp"
#include <gtest/gtest.h>
#include <kvmx/core.h>

// ID_AA64MMFR0_EL1.PARange encodings (ARM ARM D19.2.64).
constexpr kvmx_u64 parange_40 = 2, parange_48 = 5, parange_52 = 6;

class Core : public ::testing::Test {
protected:
	void SetUp() override { fake_host::reset(); }

	void TearDown() override
	{
		if (up_) {
			EXPECT_EQ(0u, kvmx_core_nr_vms()) << "a test left a VM alive";
			kvmx_core_exit();
		}
		EXPECT_EQ(0, fake_host::live_allocs()) << "a test leaked an allocation";
	}

	int init(kvmx_u64 mmfr0 = parange_48, unsigned int max_vms = 1024)
	{
		kvmx_host_info info = {};
		info.nr_cpus = 2;
		info.max_vms = max_vms;
		info.arm64_id_aa64mmfr0 = mmfr0;
		int r = kvmx_core_init(&info);
		up_ = r == 0;
		return r;
	}

	bool up_ = false;
};
