// SPDX-License-Identifier: GPL-2.0
// Freestanding basics for the C++ core: fixed-width types, placement new, errno values,
// Status/Result. Builds both freestanding (kernel) and hosted (unit tests); no libstdc++.
#pragma once

#include <kvmx/host.h>
#include <asm/errno.h> // uapi errno values: the core's error codes are the kernel's

#if __STDC_HOSTED__
#include <new>
#else
inline void *operator new(__SIZE_TYPE__, void *where) noexcept
{
	return where;
}
#endif

namespace kvmx {

using u8 = unsigned char;
using u16 = unsigned short;
using u32 = unsigned int;
using u64 = kvmx_u64;
using s64 = long long;
using usize = kvmx_size_t;

// The VM object is defined in vm.hpp; the C glue sees it as the opaque struct kvmx_vm.
using Vm = kvmx_vm;
using Vcpu = kvmx_vcpu;

// An error is a negative errno, success is 0. Guest-visible results (SMCCC, PSCI, PAPR)
// are never a Status: they are the architecture's own codes.
class [[nodiscard]] Status {
public:
	static constexpr Status ok() { return Status(0); }
	static constexpr Status error(int negative_errno) { return Status(negative_errno); }

	constexpr bool is_ok() const { return err_ == 0; }
	constexpr int err() const { return err_; }

private:
	constexpr explicit Status(int err) : err_(err) {}
	int err_;
};

template <typename T> class [[nodiscard]] Result {
public:
	Result(T value) : value_(value), err_(0) {}
	Result(Status status) : value_(), err_(status.err()) {}

	bool is_ok() const { return err_ == 0; }
	int err() const { return err_; }
	T value() const { return value_; }

private:
	T value_;
	int err_;
};

// Overflow-safe check that [base, base + size) lies inside [lo, lo + len).
constexpr bool range_within(u64 base, u64 size, u64 lo, u64 len)
{
	return base >= lo && size <= len && base - lo <= len - size;
}

// Allocate and construct a T with the host allocator; nullptr when out of memory.
template <typename T> T *make_zeroed()
{
	void *mem = kvmx_host_zalloc(sizeof(T));
	return mem ? new (mem) T() : nullptr;
}

template <typename T> void destroy(T *obj)
{
	if (obj) {
		obj->~T();
		kvmx_host_free(obj);
	}
}

// Holds a host mutex for its scope: state reached through a MutexGuard is serialised.
class MutexGuard {
public:
	explicit MutexGuard(kvmx_mutex *mutex) : mutex_(mutex) { kvmx_host_mutex_lock(mutex_); }
	~MutexGuard() { kvmx_host_mutex_unlock(mutex_); }
	MutexGuard(const MutexGuard &) = delete;
	MutexGuard &operator=(const MutexGuard &) = delete;

private:
	kvmx_mutex *mutex_;
};

// Atomic counters through the compiler's builtins: sequentially consistent, lock-free on
// every target kvmx builds for, and usable both in the kernel and in hosted tests.
inline u32 atomic_inc_return(u32 *v)
{
	return __atomic_add_fetch(v, 1, __ATOMIC_SEQ_CST);
}
inline u32 atomic_dec_return(u32 *v)
{
	return __atomic_sub_fetch(v, 1, __ATOMIC_SEQ_CST);
}
inline u32 atomic_read(const u32 *v)
{
	return __atomic_load_n(v, __ATOMIC_SEQ_CST);
}
template <typename T> inline T load_acquire(const T *v)
{
	return __atomic_load_n(v, __ATOMIC_ACQUIRE);
}
template <typename T> inline void store_release(T *v, T val)
{
	__atomic_store_n(v, val, __ATOMIC_RELEASE);
}
template <typename T> inline T exchange(T *v, T val)
{
	return __atomic_exchange_n(v, val, __ATOMIC_SEQ_CST);
}
inline void full_barrier()
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

// Holds a host spinlock for its scope.
class SpinGuard {
public:
	explicit SpinGuard(kvmx_spinlock *lock) : lock_(lock) { kvmx_host_spin_lock(lock_); }
	~SpinGuard() { kvmx_host_spin_unlock(lock_); }
	SpinGuard(const SpinGuard &) = delete;
	SpinGuard &operator=(const SpinGuard &) = delete;

private:
	kvmx_spinlock *lock_;
};

} // namespace kvmx
