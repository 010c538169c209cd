// SPDX-License-Identifier: GPL-2.0
// The capability registry (virt/kvmx/core/caps.cpp, arch/arm64/kvm/vm.cpp).
#include "caps.hpp"
#include "core_fixture.hpp"
#include <linux/kvm.h>
#include <linux/kvmx.h>
#include <set>

using kvmx::CapInfo;

TEST_F(Core, known_list_has_the_roadmap_caps)
{
	for (kvmx_u64 cap : { KVM_CAP_ARM_PSCI_0_2, KVM_CAP_ARM_SYSTEM_SUSPEND, KVM_CAP_STEAL_TIME,
			      KVM_CAP_PPC_IRQ_XIVE, (int)KVMX_CAP_PPC_STOP0LITE })
		EXPECT_TRUE(kvmx::cap_is_known(cap)) << cap;
}

TEST_F(Core, known_list_has_no_duplicates_and_names_match)
{
	kvmx::usize n;
	const CapInfo *caps = kvmx::known_caps(&n);
	std::set<kvmx_u64> seen;
	for (kvmx::usize i = 0; i < n; i++) {
		EXPECT_TRUE(seen.insert(caps[i].number).second) << caps[i].name;
		std::string name = caps[i].name;
		EXPECT_TRUE(name.rfind("KVM_CAP_", 0) == 0 || name.rfind("KVMX_CAP_", 0) == 0)
			<< name;
	}
}

TEST_F(Core, unknown_caps_read_zero_on_dev_and_vm)
{
	ASSERT_EQ(0, init());
	long fd = kvmx_dev_ioctl(KVM_CREATE_VM, 0);
	ASSERT_GE(fd, 0);
	struct kvmx_vm *vm = fake_host::vm_of_fd(fd);
	for (kvmx_u64 cap = 0; cap < 1024; cap++) {
		long dev = kvmx_dev_ioctl(KVM_CHECK_EXTENSION, cap);
		EXPECT_EQ(dev, kvmx_vm_ioctl(vm, KVM_CHECK_EXTENSION, cap)) << cap;
		if (!kvmx::cap_is_known(cap)) {
			EXPECT_EQ(0, dev) << cap;
		}
	}
	EXPECT_EQ(0, kvmx_dev_ioctl(KVM_CHECK_EXTENSION, ~0UL));
	fake_host::close_fd(fd);
}

TEST_F(Core, check_extension_vm_reads_one)
{
	ASSERT_EQ(0, init());
	EXPECT_EQ(1, kvmx_dev_ioctl(KVM_CHECK_EXTENSION, KVM_CAP_CHECK_EXTENSION_VM));
}

TEST_F(Core, unimplemented_features_read_zero)
{
	ASSERT_EQ(0, init());
	for (kvmx_u64 cap : { KVM_CAP_ARM_PMU_V3, KVM_CAP_GUEST_DEBUG_HW_BPS, KVM_CAP_ARM_SVE,
			      KVM_CAP_PPC_IRQ_XIVE, (int)KVMX_CAP_PPC_STOP0LITE })
		EXPECT_EQ(0, kvmx_dev_ioctl(KVM_CHECK_EXTENSION, cap)) << cap;
}

TEST_F(Core, vcpu_features_read_one)
{
	ASSERT_EQ(0, init());
	for (kvmx_u64 cap :
	     { KVM_CAP_ONE_REG, KVM_CAP_IMMEDIATE_EXIT, KVM_CAP_SYNC_MMU, KVM_CAP_ARM_PSCI,
	       KVM_CAP_ARM_PSCI_0_2, KVM_CAP_ARM_SYSTEM_SUSPEND, KVM_CAP_SET_GUEST_DEBUG })
		EXPECT_EQ(1, kvmx_dev_ioctl(KVM_CHECK_EXTENSION, cap)) << cap;
}

TEST_F(Core, vcpu_limits_follow_the_host_cpus_and_max_vcpus)
{
	ASSERT_EQ(0, init());
	EXPECT_EQ(2, kvmx_dev_ioctl(KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS));
	EXPECT_EQ(512, kvmx_dev_ioctl(KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS));
	EXPECT_EQ(512, kvmx_dev_ioctl(KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID));
}

struct IpaCase {
	kvmx_u64 parange;
	long bits;
};

class IpaLimit : public Core, public ::testing::WithParamInterface<IpaCase> {};

TEST_P(IpaLimit, ipa_size_cap_follows_parange_capped_at_48)
{
	ASSERT_EQ(0, init(GetParam().parange));
	EXPECT_EQ(GetParam().bits, kvmx_dev_ioctl(KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE));
}

INSTANTIATE_TEST_SUITE_P(Parange, IpaLimit,
			 ::testing::Values(IpaCase{ 2, 40 }, IpaCase{ 3, 42 }, IpaCase{ 4, 44 },
					   IpaCase{ 5, 48 }, IpaCase{ 6, 48 }, IpaCase{ 0xf, 48 }));
