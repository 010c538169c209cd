// SPDX-License-Identifier: GPL-2.0
// Helpers for the in-kernel KUnit cases written in C++: expectations that report through
// kvmx_kunit_fail() and return whether they held (a case returns early by hand: KUnit's
// own assertions would leave the case thread without running destructors, so locks and
// VMs held by guards would leak), and owners for test VMs, vCPUs and user memory.
#pragma once

#include "vm.hpp"
#include <kvmx/kunit.h>

namespace kvmx::ktest {

inline bool check(struct ::kunit *t, bool ok, const char *file, int line, const char *expr)
{
	if (!ok)
		kvmx_kunit_fail(t, file, line, "expected %s", expr);
	return ok;
}

inline bool check_eq(struct ::kunit *t, s64 want, s64 got, const char *want_expr,
		     const char *got_expr, const char *file, int line)
{
	if (want != got)
		kvmx_kunit_fail(t, file, line,
				"%s == %s: expected %lld (0x%llx), got %lld (0x%llx)", got_expr,
				want_expr, want, static_cast<u64>(want), got,
				static_cast<u64>(got));
	return want == got;
}

// Borrowed user address space for one case (kvmx_kunit_mm_begin/end), released last:
// declare it before any TestVm so that the VMs are gone first.
class UserMm {
public:
	UserMm() : ok_(kvmx_kunit_mm_begin() == 0) {}
	~UserMm()
	{
		if (ok_)
			kvmx_kunit_mm_end();
	}
	UserMm(const UserMm &) = delete;
	UserMm &operator=(const UserMm &) = delete;
	bool ok() const { return ok_; }
	kvmx_uptr map(usize size) const { return ok_ ? kvmx_kunit_user_map(size) : 0; }

private:
	bool ok_;
};

// A VM created without an fd (vm_create), dropped at the end of the scope. Its vCPUs are
// created without fds too and freed with it.
class TestVm {
public:
	explicit TestVm(unsigned long type = 0)
	{
		Result<Vm *> r = vm_create(type);
		vm_ = r.is_ok() ? r.value() : nullptr;
		err_ = r.err();
	}
	~TestVm()
	{
		if (vm_)
			vm_put(vm_);
	}
	TestVm(const TestVm &) = delete;
	TestVm &operator=(const TestVm &) = delete;

	Vm *get() const { return vm_; }
	int err() const { return err_; }

	// A vCPU with id @id, published as KVM_CREATE_VCPU would, or nullptr.
	Vcpu *add_vcpu(u32 id)
	{
		MutexGuard guard(vm_->lock);
		u32 n = vm_->nr_vcpus;
		Result<Vcpu *> r = vcpu_alloc(vm_, id, n);
		if (!r.is_ok())
			return nullptr;
		vm_->vcpus[n] = r.value();
		store_release(&vm_->nr_vcpus, n + 1);
		return r.value();
	}

private:
	Vm *vm_ = nullptr;
	int err_ = 0;
};

// A kvm_userspace_memory_region built in one expression.
inline kvm_userspace_memory_region region(u32 slot, u64 gpa, u64 size, u64 hva, u32 flags = 0)
{
	kvm_userspace_memory_region r = {};
	r.slot = slot;
	r.flags = flags;
	r.guest_phys_addr = gpa;
	r.memory_size = size;
	r.userspace_addr = hva;
	return r;
}

} // namespace kvmx::ktest

// The expression texts and the line are the point of these two macros; they hide no
// control flow (a case writes `if (!EXPECT_EQ(...)) return;` itself).
#define KX_EXPECT(test, cond) ::kvmx::ktest::check((test), (cond), __FILE__, __LINE__, #cond)
#define KX_EXPECT_EQ(test, want, got)                                                              \
	::kvmx::ktest::check_eq((test), static_cast<::kvmx::s64>(want),                            \
				static_cast<::kvmx::s64>(got), #want, #got, __FILE__, __LINE__)
