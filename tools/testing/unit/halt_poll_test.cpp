// SPDX-License-Identifier: GPL-2.0
// Halt polling (virt/kvmx/core/halt_poll.cpp): vcpu_halt busy-waits within the vCPU's
// poll window before it sleeps, the window grows on short halts and drops on long ones
// within the VM's bound (KVM_CAP_HALT_POLL, else the module parameter), and the upstream
// statistics count what happened. The fake host's cpu_relax moves time on by 100 ns.
#include "vcpu_fixture.hpp"

namespace {

using HaltPoll = Vcpus;

// The wake-up condition of the tests: true once the fake time reaches wake_at.
u64 wake_at;
bool ready_at_time(kvmx::Vcpu *)
{
	return kvmx_host_time_ns() >= wake_at;
}
bool never_ready(kvmx::Vcpu *)
{
	return false;
}

// The first halt never polls (empty window); a short one opens the window at 10 us, the
// next ones double it while halts stay shorter than the bound.
TEST_F(HaltPoll, window_grows_from_short_halts_then_catches_the_wake_up)
{
	fake_host::set_halt_poll_ns(200000);
	long fd = create_vcpu(0);
	ASSERT_GE(fd, 0);
	kvmx::Vcpu *v = vcpu(fd);
	// A 50 us timer sleep each time: the fake wait lets the timeout pass.
	EXPECT_EQ(kvmx::HaltEnd::timed_out, kvmx::vcpu_halt(v, 50000, never_ready));
	EXPECT_EQ(0u, v->stats.halt_attempted_poll);
	EXPECT_EQ(10000u, v->halt_poll_ns);
	EXPECT_EQ(kvmx::HaltEnd::timed_out, kvmx::vcpu_halt(v, 50000, never_ready));
	EXPECT_EQ(20000u, v->halt_poll_ns);
	EXPECT_EQ(kvmx::HaltEnd::timed_out, kvmx::vcpu_halt(v, 50000, never_ready));
	EXPECT_EQ(40000u, v->halt_poll_ns);
	EXPECT_EQ(kvmx::HaltEnd::timed_out, kvmx::vcpu_halt(v, 50000, never_ready));
	EXPECT_EQ(80000u, v->halt_poll_ns);
	EXPECT_EQ(3u, v->stats.halt_attempted_poll);
	EXPECT_EQ(0u, v->stats.halt_successful_poll);
	EXPECT_EQ(70000u, v->stats.halt_poll_fail_ns); // 10 + 20 + 40 us
	// Now the window covers the wake-up 30 us away: no sleep at all.
	long waits = fake_host::waits().waits;
	wake_at = kvmx_host_time_ns() + 30000;
	EXPECT_EQ(kvmx::HaltEnd::polled, kvmx::vcpu_halt(v, 50000, ready_at_time));
	EXPECT_EQ(waits, fake_host::waits().waits);
	EXPECT_EQ(1u, v->stats.halt_successful_poll);
	EXPECT_EQ(30000u, v->stats.halt_poll_success_ns);
	EXPECT_EQ(80000u, v->halt_poll_ns); // covered: unchanged
}

TEST_F(HaltPoll, a_halt_longer_than_the_bound_closes_the_window)
{
	fake_host::set_halt_poll_ns(20000);
	long fd = create_vcpu(0);
	ASSERT_GE(fd, 0);
	kvmx::Vcpu *v = vcpu(fd);
	EXPECT_EQ(kvmx::HaltEnd::timed_out, kvmx::vcpu_halt(v, 5000, never_ready));
	EXPECT_EQ(10000u, v->halt_poll_ns);
	EXPECT_EQ(kvmx::HaltEnd::timed_out, kvmx::vcpu_halt(v, 5000000, never_ready));
	EXPECT_EQ(0u, v->halt_poll_ns);
	EXPECT_EQ(5005000u, v->stats.halt_wait_ns + v->stats.halt_poll_fail_ns); // both halts
}

TEST_F(HaltPoll, a_kick_while_polling_ends_it_as_invalid_and_closes_the_window)
{
	fake_host::set_halt_poll_ns(200000);
	long fd = create_vcpu(0);
	ASSERT_GE(fd, 0);
	kvmx::Vcpu *v = vcpu(fd);
	v->halt_poll_ns = 50000;
	kvmx::vcpu_kick(v);
	EXPECT_EQ(kvmx::HaltEnd::polled, kvmx::vcpu_halt(v, 100000, never_ready));
	EXPECT_EQ(1u, v->stats.halt_poll_invalid);
	EXPECT_EQ(0u, v->halt_poll_ns);
}

TEST_F(HaltPoll, no_polling_when_the_host_cpu_is_wanted_or_the_bound_is_zero)
{
	fake_host::set_halt_poll_ns(200000);
	long fd = create_vcpu(0);
	ASSERT_GE(fd, 0);
	kvmx::Vcpu *v = vcpu(fd);
	v->halt_poll_ns = 50000;
	fake_host::set_can_poll(false);
	EXPECT_EQ(kvmx::HaltEnd::timed_out, kvmx::vcpu_halt(v, 100000, never_ready));
	EXPECT_EQ(0, fake_host::relax_calls());
	EXPECT_EQ(1u, v->stats.halt_attempted_poll);
	fake_host::set_can_poll(true);
	fake_host::set_halt_poll_ns(0);
	v->halt_poll_ns = 50000;
	EXPECT_EQ(kvmx::HaltEnd::timed_out, kvmx::vcpu_halt(v, 100000, never_ready));
	EXPECT_EQ(0, fake_host::relax_calls());
	EXPECT_EQ(0u, v->halt_poll_ns);
}

// A pending signal ends a poll at once; the sleep after it returns -EINTR.
TEST_F(HaltPoll, a_signal_ends_the_poll_and_the_halt)
{
	fake_host::set_halt_poll_ns(200000);
	long fd = create_vcpu(0);
	ASSERT_GE(fd, 0);
	kvmx::Vcpu *v = vcpu(fd);
	v->halt_poll_ns = 50000;
	fake_host::set_signal_pending(true);
	EXPECT_EQ(kvmx::HaltEnd::interrupted, kvmx::vcpu_halt(v, KVMX_WAIT_FOREVER, never_ready));
	EXPECT_EQ(0, fake_host::relax_calls());
	fake_host::set_signal_pending(false);
}

// KVM_ENABLE_CAP(KVM_CAP_HALT_POLL) sets the VM's bound over the module parameter; only
// unsigned int values and no flags, as upstream.
TEST_F(HaltPoll, enable_cap_bounds_the_window_of_the_vms_vcpus)
{
	fake_host::set_halt_poll_ns(200000);
	kvm_enable_cap cap = {};
	cap.cap = KVM_CAP_HALT_POLL;
	cap.args[0] = 1ULL << 32;
	EXPECT_EQ(-EINVAL, kvmx::halt_poll_enable_cap(vm_, cap));
	cap.args[0] = 15000;
	cap.flags = 1;
	EXPECT_EQ(-EINVAL, kvmx::halt_poll_enable_cap(vm_, cap));
	cap.flags = 0;
	EXPECT_EQ(0, kvmx::halt_poll_enable_cap(vm_, cap));
	long fd = create_vcpu(0);
	ASSERT_GE(fd, 0);
	kvmx::Vcpu *v = vcpu(fd);
	v->halt_poll_ns = 100000;
	EXPECT_EQ(kvmx::HaltEnd::timed_out, kvmx::vcpu_halt(v, 10000, never_ready));
	EXPECT_EQ(10000u, v->stats.halt_poll_fail_ns); // the timeout ended the 15 us poll
	EXPECT_EQ(15000u, v->halt_poll_ns);
}

} // namespace
