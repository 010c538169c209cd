// SPDX-License-Identifier: GPL-2.0
// A fixture for vCPU tests: a VM with guest RAM in one memslot, vCPUs created and
// initialised through the ioctls a VMM uses, ONE_REG helpers and KVM_RUN against the
// fake world switch. Every fd it hands out is closed at teardown before the Core fixture
// checks for leaks.
#pragma once

#include "core_fixture.hpp"
#include "ioctl.hpp"
#include "vcpu.hpp"
#include "vm.hpp"
#include <cstddef>
#include <cstdlib>
#include <linux/kvm.h>
#include <vector>

using kvmx::u32;
using kvmx::u64;

// ONE_REG ids.
constexpr u64 core_id(u64 size, u64 word_offset)
{
	return KVM_REG_ARM64 | size | KVM_REG_ARM_CORE | word_offset;
}
#define CORE_REG(name) core_id(KVM_REG_SIZE_U64, KVM_REG_ARM_CORE_REG(name))
#define CORE_REG32(name) core_id(KVM_REG_SIZE_U32, KVM_REG_ARM_CORE_REG(name))
#define CORE_REG128(name) core_id(KVM_REG_SIZE_U128, KVM_REG_ARM_CORE_REG(name))
constexpr u64 sys_reg(u64 op0, u64 op1, u64 crn, u64 crm, u64 op2)
{
	return KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM64_SYSREG | op0 << 14 | op1 << 11 |
	       crn << 7 | crm << 3 | op2;
}
constexpr u64 REG_PC = CORE_REG(regs.pc), REG_PSTATE = CORE_REG(regs.pstate);
constexpr u64 REG_SCTLR_EL1 = sys_reg(3, 0, 1, 0, 0), REG_VBAR_EL1 = sys_reg(3, 0, 12, 0, 0);
constexpr u64 REG_ESR_EL1 = sys_reg(3, 0, 5, 2, 0), REG_FAR_EL1 = sys_reg(3, 0, 6, 0, 0);
constexpr u64 REG_MPIDR_EL1 = sys_reg(3, 0, 0, 0, 5);
constexpr u64 REG_ELR_EL1 = CORE_REG(elr_el1), REG_SPSR_EL1 = CORE_REG(spsr[0]);
inline constexpr u64 reg_x(unsigned int n)
{
	return core_id(KVM_REG_SIZE_U64, KVM_REG_ARM_CORE_REG(regs.regs) + 2 * static_cast<u64>(n));
}

// PSTATE after VCPU_INIT: EL1h with D, A, I, F masked.
constexpr u64 pstate_el1h_daif = 0x3c5;

class Vcpus : public Core {
protected:
	static constexpr u64 ram_ipa = 0x40000000, ram_size = 16 * 4096;
	static constexpr u64 mmio_ipa = 0x90000000; // outside every memslot

	void SetUp() override
	{
		Core::SetUp();
		ram_ = static_cast<unsigned char *>(aligned_alloc(4096, ram_size));
		ASSERT_NE(nullptr, ram_);
		ASSERT_EQ(0, init());
		vm_fd_ = static_cast<int>(kvmx_dev_ioctl(KVM_CREATE_VM, 0));
		ASSERT_GE(vm_fd_, 0);
		vm_ = fake_host::vm_of_fd(vm_fd_);
		ASSERT_EQ(0, set_region(0, ram_ipa, ram_size, fake_host::uptr(ram_)));
	}

	void TearDown() override
	{
		for (int fd : fds_)
			fake_host::close_fd(fd);
		if (vm_fd_ >= 0)
			fake_host::close_fd(vm_fd_);
		free(ram_);
		Core::TearDown();
	}

	long set_region(u32 slot, u64 gpa, u64 size, u64 hva, u32 flags = 0)
	{
		kvm_userspace_memory_region r = {};
		r.slot = slot;
		r.flags = flags;
		r.guest_phys_addr = gpa;
		r.memory_size = size;
		r.userspace_addr = hva;
		return kvmx_vm_ioctl(vm_, KVM_SET_USER_MEMORY_REGION, fake_host::uptr(&r));
	}

	// KVM_CREATE_VCPU: the fd (remembered for teardown) or -errno.
	long create_vcpu(unsigned long id)
	{
		long fd = kvmx_vm_ioctl(vm_, KVM_CREATE_VCPU, id);
		if (fd >= 0)
			fds_.push_back(static_cast<int>(fd));
		return fd;
	}

public:
	// Static helpers, usable from free functions of the tests too.
	static kvmx_vcpu *vcpu(long fd) { return fake_host::vcpu_of_fd(static_cast<int>(fd)); }

	static long ioctl(long fd, unsigned int cmd, unsigned long arg)
	{
		return kvmx_vcpu_ioctl(vcpu(fd), cmd, arg);
	}

	static long vcpu_init(long fd, u32 features0 = 0, u32 target = KVM_ARM_TARGET_GENERIC_V8)
	{
		kvm_vcpu_init init = {};
		init.target = target;
		init.features[0] = features0;
		return ioctl(fd, KVM_ARM_VCPU_INIT, fake_host::uptr(&init));
	}

	// A vCPU created and initialised (PSCI 0.2 unless told otherwise); fails the test
	// (fd -1) if either step fails.
	long ready_vcpu(unsigned long id = 0, u32 features0 = 1u << KVM_ARM_VCPU_PSCI_0_2)
	{
		long fd = create_vcpu(id);
		EXPECT_GE(fd, 0);
		if (fd < 0)
			return -1;
		EXPECT_EQ(0, vcpu_init(fd, features0));
		return fd;
	}

	static long get_reg(long fd, u64 id, void *val)
	{
		kvm_one_reg r = { id, fake_host::uptr(val) };
		return ioctl(fd, KVM_GET_ONE_REG, fake_host::uptr(&r));
	}
	static long set_reg(long fd, u64 id, const void *val)
	{
		kvm_one_reg r = { id, fake_host::uptr(val) };
		return ioctl(fd, KVM_SET_ONE_REG, fake_host::uptr(&r));
	}
	// A 64-bit register that must be readable (fails the test otherwise).
	static u64 reg(long fd, u64 id)
	{
		u64 val = 0xdeadbeef;
		EXPECT_EQ(0, get_reg(fd, id, &val)) << std::hex << id;
		return val;
	}
	static long set_reg64(long fd, u64 id, u64 val) { return set_reg(fd, id, &val); }

	static long run(long fd) { return ioctl(fd, KVM_RUN, 0); }
	static kvm_run *run_page(long fd)
	{
		return static_cast<kvm_run *>(fake_host::vcpu_mmap(static_cast<int>(fd), 0));
	}
	static kvmx::GuestCpu &cpu(long fd) { return vcpu(fd)->arch.cpu; }

	// KVM_RUN through the whole fake_arch script: the fake world switch makes a signal
	// pending once the script is exhausted, so KVM_RUN must end with -EINTR and
	// KVM_EXIT_INTR then (and not earlier with an exit to userspace). Clears the signal.
	static ::testing::AssertionResult run_script(long fd)
	{
		int overruns = fake_arch::script_overruns();
		long r = run(fd);
		fake_host::set_signal_pending(false);
		if (r != -EINTR || fake_arch::script_overruns() != overruns + 1)
			return ::testing::AssertionFailure()
			       << "KVM_RUN returned " << r << " with exit reason "
			       << run_page(fd)->exit_reason << " and " << fake_arch::runs_left()
			       << " guest runs left in the script";
		if (run_page(fd)->exit_reason != KVM_EXIT_INTR)
			return ::testing::AssertionFailure()
			       << "exit reason " << run_page(fd)->exit_reason;
		return ::testing::AssertionSuccess();
	}

	// KVM_RUN that must end in a signal (a blocked vCPU: the fake host's wait without
	// timeout "receives" one) before the script is exhausted. Clears the signal.
	static ::testing::AssertionResult run_until_signal(long fd)
	{
		int overruns = fake_arch::script_overruns();
		long r = run(fd);
		fake_host::set_signal_pending(false);
		if (r != -EINTR || run_page(fd)->exit_reason != KVM_EXIT_INTR)
			return ::testing::AssertionFailure()
			       << "KVM_RUN returned " << r << " with exit reason "
			       << run_page(fd)->exit_reason;
		if (fake_arch::script_overruns() != overruns)
			return ::testing::AssertionFailure() << "the guest ran past its script";
		return ::testing::AssertionSuccess();
	}

	// PSCI/SMCCC call from the guest: x0..x3 set as the guest would, then an HVC exit.
	static void push_hvc(u64 x0, u64 x1 = 0, u64 x2 = 0, u64 x3 = 0)
	{
		fake_arch::push(
			[=](kvmx::GuestCpu &c) {
				c.frame.x[0] = x0;
				c.frame.x[1] = x1;
				c.frame.x[2] = x2;
				c.frame.x[3] = x3;
			},
			fake_arch::hvc_exit());
	}

	// KVM_GET_REG_LIST in full.
	static std::vector<u64> reg_list(long fd)
	{
		std::vector<u64> buf(1, 0);
		long r = ioctl(fd, kvmx::kvm_get_reg_list_ioctl, fake_host::uptr(buf.data()));
		EXPECT_EQ(-E2BIG, r);
		buf.resize(1 + buf[0]);
		r = ioctl(fd, kvmx::kvm_get_reg_list_ioctl, fake_host::uptr(buf.data()));
		EXPECT_EQ(0, r);
		return std::vector<u64>(buf.begin() + 1, buf.end());
	}

protected:
	unsigned char *ram_ = nullptr;
	int vm_fd_ = -1;
	kvmx_vm *vm_ = nullptr;
	std::vector<int> fds_;
};
