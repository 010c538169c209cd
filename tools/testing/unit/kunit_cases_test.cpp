// SPDX-License-Identifier: GPL-2.0
// The in-kernel KUnit cases (virt/kvmx/core/kunit/, arch/arm64/kvm/kunit/) run here too,
// against the fake host, one GoogleTest per case: the same assertions, checked on every
// `make unit` and not only on the debug kernel. The few cases whose point is the real
// kernel's user/kernel address split are kernel-only (listed below, not instantiated).
#include "core_fixture.hpp"
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <kvmx/kunit.h>
#include <string>
#include <vector>

struct kunit {
	std::vector<std::string> failures;
};

namespace {

std::vector<void *> user_maps;
bool mm_lent;

// Cases that need the kernel: a host pointer is valid "user memory" on the fake host.
const char *const kernel_only[] = {
	"kernel_addresses_as_user_pointers_fail_with_efault",
	"memory_regions_must_be_user_memory",
};

bool is_kernel_only(const char *name)
{
	for (const char *k : kernel_only) {
		if (!strcmp(k, name))
			return true;
	}
	return false;
}

} // namespace

extern "C" void kvmx_kunit_fail(struct kunit *test, const char *file, int line, const char *fmt,
				...)
{
	char buf[512];
	va_list args;
	va_start(args, fmt);
	vsnprintf(buf, sizeof(buf), fmt, args);
	va_end(args);
	test->failures.push_back(std::string(file) + ":" + std::to_string(line) + ": " + buf);
}

extern "C" int kvmx_kunit_mm_begin(void)
{
	if (mm_lent)
		return -EINVAL;
	mm_lent = true;
	return 0;
}

extern "C" kvmx_uptr kvmx_kunit_user_map(kvmx_size_t size)
{
	if (!mm_lent)
		return 0;
	void *p = aligned_alloc(4096, (size + 4095) & ~4095UL);
	if (!p)
		return 0;
	memset(p, 0, (size + 4095) & ~4095UL);
	user_maps.push_back(p);
	return fake_host::uptr(p);
}

extern "C" void kvmx_kunit_mm_end(void)
{
	for (void *p : user_maps)
		free(p);
	user_maps.clear();
	mm_lent = false;
}

extern "C" long kvmx_kunit_live_allocs(void)
{
	return fake_host::live_allocs();
}

namespace {

struct KunitCase {
	std::string suite;
	const kvmx_kunit_case *c;
};

std::vector<KunitCase> all_cases()
{
	const std::pair<const char *, const kvmx_kunit_case *> suites[] = {
		{ "kvmx_memslot", kvmx_kunit_memslot_cases },
		{ "kvmx_caps", kvmx_kunit_caps_cases },
		{ "kvmx_ioctl", kvmx_kunit_ioctl_cases },
		{ "kvmx_stage2", kvmx_kunit_stage2_cases },
		{ "kvmx_psci", kvmx_kunit_psci_cases },
		{ "kvmx_pvtime", kvmx_kunit_pvtime_cases },
	};
	std::vector<KunitCase> out;
	for (const auto &s : suites) {
		for (const kvmx_kunit_case *c = s.second; c->name; c++) {
			if (!is_kernel_only(c->name))
				out.push_back({ s.first, c });
		}
	}
	return out;
}

void PrintTo(const KunitCase &kc, std::ostream *os)
{
	*os << kc.suite << "." << kc.c->name;
}

class KunitCases : public Core, public ::testing::WithParamInterface<KunitCase> {};

TEST_P(KunitCases, passes_on_the_fake_host)
{
	const KunitCase &kc = GetParam();
	ASSERT_EQ(0, init());
	const unsigned int vms = kvmx_core_nr_vms();
	const long allocs = fake_host::live_allocs();
	struct kunit test;
	kc.c->run(&test);
	for (const std::string &f : test.failures)
		ADD_FAILURE() << kc.suite << "." << kc.c->name << ": " << f;
	EXPECT_FALSE(mm_lent) << "the case did not give the address space back";
	EXPECT_EQ(vms, kvmx_core_nr_vms()) << "the case left a VM alive";
	EXPECT_EQ(allocs, fake_host::live_allocs()) << "the case leaked host allocations";
}

INSTANTIATE_TEST_SUITE_P(Kernel, KunitCases, ::testing::ValuesIn(all_cases()),
			 [](const ::testing::TestParamInfo<KunitCase> &info) {
				 return info.param.suite + "_" + info.param.c->name;
			 });

} // namespace
