// SPDX-License-Identifier: GPL-2.0
// Halt polling: before an idle vCPU's thread sleeps, it busy-waits a little for its
// wake-up conditions, since a sleep and the wake-up after it cost far more than a short
// wait when the event comes soon (a guest's short timer sleeps, an IPI answered at once).
// Owns each vCPU's poll window, its statistics and KVM_CAP_HALT_POLL; must not know what
// wakes a vCPU (the arch's ready function) nor sleep any other way than vcpu_block.
#include "vcpu.hpp"
#include "vm.hpp"

namespace kvmx {

namespace {

// A poll window that grows starts here and doubles; one that shrinks drops to 0 (never
// polls) until short halts make it grow again (upstream's defaults for its module
// parameters halt_poll_ns_grow_start, halt_poll_ns_grow and halt_poll_ns_shrink).
constexpr u32 poll_grow_start_ns = 10000;
constexpr u32 poll_grow_factor = 2;

// The most the VM's vCPUs may poll: the VMM's choice, else the module parameter.
u32 max_poll_ns(const Vm *vm)
{
	if (load_acquire(&vm->override_halt_poll_ns))
		return __atomic_load_n(&vm->max_halt_poll_ns, __ATOMIC_RELAXED);
	return kvmx_host_halt_poll_ns();
}

enum class Wake { none, ready, kick };

// What vcpu_block's wait checks: a kick (consumed) or the arch's condition.
Wake check_wake(Vcpu *vcpu, bool (*ready)(Vcpu *vcpu))
{
	bool kicked = exchange(&vcpu->wake_req, 0u) != 0;
	if (ready(vcpu))
		return Wake::ready;
	return kicked ? Wake::kick : Wake::none;
}

// Busy-wait until a wake-up, @stop (host ns) or someone else wanting the CPU. *end: the
// time the poll ended.
Wake poll(Vcpu *vcpu, bool (*ready)(Vcpu *vcpu), u64 stop, u64 *end)
{
	for (;;) {
		Wake w = check_wake(vcpu, ready);
		u64 now = kvmx_host_time_ns();
		*end = now;
		if (w != Wake::none || now >= stop || kvmx_host_signal_pending() ||
		    !kvmx_host_can_poll())
			return w;
		kvmx_host_cpu_relax();
	}
}

// Adapt the window to the halt that just ended (@halt_ns long, polling included): halts
// longer than the bound are not worth polling for; short ones the window missed are.
void adapt_window(Vcpu *vcpu, u64 halt_ns, u32 max_ns, bool invalid)
{
	u32 &window = vcpu->halt_poll_ns;
	if (!max_ns || invalid) {
		window = 0;
	} else if (halt_ns <= window) {
		// The window covered it: keep it.
	} else if (window && halt_ns > max_ns) {
		window = 0;
	} else if (window < max_ns && halt_ns < max_ns) {
		u64 grown = static_cast<u64>(window) * poll_grow_factor;
		if (grown < poll_grow_start_ns)
			grown = poll_grow_start_ns;
		window = grown < max_ns ? static_cast<u32>(grown) : max_ns;
	}
}

} // namespace

HaltEnd vcpu_halt(Vcpu *vcpu, u64 timeout_ns, bool (*ready)(Vcpu *vcpu))
{
	u32 max_ns = max_poll_ns(vcpu->vm);
	if (vcpu->halt_poll_ns > max_ns)
		vcpu->halt_poll_ns = max_ns;
	const bool polling = vcpu->halt_poll_ns != 0;
	const u64 start = kvmx_host_time_ns();
	u64 poll_end = start, end;
	Wake w = Wake::none;
	if (polling) {
		u64 window = timeout_ns < vcpu->halt_poll_ns ? timeout_ns : vcpu->halt_poll_ns;
		w = poll(vcpu, ready, start + window, &poll_end);
	}
	HaltEnd result;
	if (w != Wake::none) {
		result = HaltEnd::polled;
		end = poll_end;
	} else {
		u64 spent = poll_end - start, left = KVMX_WAIT_FOREVER;
		if (timeout_ns != KVMX_WAIT_FOREVER)
			left = timeout_ns > spent ? timeout_ns - spent : 0;
		int r = left ? vcpu_block(vcpu, left, ready) : -ETIME;
		result = r == 0	       ? HaltEnd::woken
			 : r == -ETIME ? HaltEnd::timed_out
				       : HaltEnd::interrupted;
		end = kvmx_host_time_ns();
		vcpu->stats.halt_wait_ns += end - poll_end;
	}
	VcpuStats &st = vcpu->stats;
	if (polling) {
		st.halt_attempted_poll++;
		if (result == HaltEnd::polled) {
			st.halt_successful_poll++;
			st.halt_poll_invalid += w == Wake::kick;
			st.halt_poll_success_ns += poll_end - start;
		} else {
			st.halt_poll_fail_ns += poll_end - start;
		}
	}
	// The bound may have changed meanwhile (KVM_ENABLE_CAP from another thread).
	adapt_window(vcpu, end - start, max_poll_ns(vcpu->vm), w == Wake::kick);
	return result;
}

long halt_poll_enable_cap(Vm *vm, const kvm_enable_cap &cap)
{
	// args[0]: the bound in ns, an unsigned int as upstream's.
	if (cap.flags || cap.args[0] != static_cast<u32>(cap.args[0]))
		return -EINVAL;
	__atomic_store_n(&vm->max_halt_poll_ns, static_cast<u32>(cap.args[0]), __ATOMIC_RELAXED);
	store_release(&vm->override_halt_poll_ns, true);
	return 0;
}

} // namespace kvmx
