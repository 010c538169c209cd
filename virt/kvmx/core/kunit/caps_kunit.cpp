// SPDX-License-Identifier: GPL-2.0
// KUnit suite kvmx_caps: the capability registry (caps.cpp, include/kvmx/caps.def) as
// loaded in the kernel: a consistent known list, unknown numbers read 0, the generic
// values follow the core's own limits and the host facts gathered at load.
#include "caps.hpp"
#include "check.hpp"
#include "memslot.hpp"
#include "registry.hpp"
#include <linux/kvm.h>

namespace kvmx::ktest {

namespace {

bool starts_with(const char *s, const char *prefix)
{
	for (; *prefix; s++, prefix++) {
		if (*s != *prefix)
			return false;
	}
	return true;
}

void known_list_has_unique_numbers_and_kvm_names(struct ::kunit *test)
{
	usize n = 0;
	const CapInfo *caps = known_caps(&n);
	if (!KX_EXPECT(test, n > 20))
		return;
	for (usize i = 0; i < n; i++) {
		if (!KX_EXPECT(test, caps[i].name && (starts_with(caps[i].name, "KVM_CAP_") ||
						      starts_with(caps[i].name, "KVMX_CAP_"))))
			continue;
		KX_EXPECT(test, cap_is_known(caps[i].number));
		for (usize j = i + 1; j < n; j++) {
			if (caps[j].number == caps[i].number)
				kvmx_kunit_fail(test, __FILE__, __LINE__, "%s and %s share %llu",
						caps[i].name, caps[j].name, caps[i].number);
		}
	}
}

void unknown_capabilities_read_zero(struct ::kunit *test)
{
	u32 unknown = 0;
	for (u64 cap = 0; cap < 4096; cap++) {
		if (cap_is_known(cap))
			continue;
		unknown++;
		KX_EXPECT_EQ(test, 0, check_extension(nullptr, cap));
	}
	KX_EXPECT(test, unknown > 0);
	const u64 huge[] = { 1ULL << 32, ~0ULL, 0x8000000000000000ULL };
	for (u64 cap : huge)
		KX_EXPECT_EQ(test, 0, check_extension(nullptr, cap));
}

void generic_values_follow_the_core_limits(struct ::kunit *test)
{
	const kvmx_host_info &host = registry().host;
	KX_EXPECT_EQ(test, 1, check_extension(nullptr, KVM_CAP_CHECK_EXTENSION_VM));
	KX_EXPECT_EQ(test, 1, check_extension(nullptr, KVM_CAP_USER_MEMORY));
	KX_EXPECT_EQ(test, max_memslots, check_extension(nullptr, KVM_CAP_NR_MEMSLOTS));
	KX_EXPECT_EQ(test, max_vcpus, check_extension(nullptr, KVM_CAP_MAX_VCPUS));
	KX_EXPECT_EQ(test, max_vcpus, check_extension(nullptr, KVM_CAP_MAX_VCPU_ID));
	u32 nr = host.nr_cpus < max_vcpus ? host.nr_cpus : max_vcpus;
	KX_EXPECT(test, nr >= 1);
	KX_EXPECT_EQ(test, nr, check_extension(nullptr, KVM_CAP_NR_VCPUS));
	// The recommendation never exceeds the limit.
	KX_EXPECT(test, check_extension(nullptr, KVM_CAP_NR_VCPUS) <=
				check_extension(nullptr, KVM_CAP_MAX_VCPUS));
}

void vm_answers_agree_with_dev_answers(struct ::kunit *test)
{
	UserMm mm;
	if (!KX_EXPECT(test, mm.ok()))
		return;
	TestVm vm;
	if (!KX_EXPECT(test, vm.get() != nullptr))
		return;
	usize n = 0;
	const CapInfo *caps = known_caps(&n);
	for (usize i = 0; i < n; i++) {
		long dev = check_extension(nullptr, caps[i].number);
		long on_vm = vm_ioctl(vm.get(), KVM_CHECK_EXTENSION, caps[i].number);
		if (dev != on_vm)
			kvmx_kunit_fail(test, __FILE__, __LINE__, "%s: /dev/kvm %ld, VM %ld",
					caps[i].name, dev, on_vm);
	}
}

} // namespace

} // namespace kvmx::ktest

extern "C" const struct kvmx_kunit_case kvmx_kunit_caps_cases[] = {
	{ "known_list_has_unique_numbers_and_kvm_names",
	  kvmx::ktest::known_list_has_unique_numbers_and_kvm_names },
	{ "unknown_capabilities_read_zero", kvmx::ktest::unknown_capabilities_read_zero },
	{ "generic_values_follow_the_core_limits",
	  kvmx::ktest::generic_values_follow_the_core_limits },
	{ "vm_answers_agree_with_dev_answers", kvmx::ktest::vm_answers_agree_with_dev_answers },
	{ nullptr, nullptr },
};
