// SPDX-License-Identifier: GPL-2.0
// PSCI 0.1 (KVM's function ids), 0.2, 1.0 and 1.1 for arm64 guests. vCPU power state
// changes requested by one vCPU for another are posted (power_lock) and applied by the
// target itself before it next enters the guest, so no thread touches another vCPU's
// registers. System-wide requests become KVM_EXIT_SYSTEM_EVENT for the VMM to act on.
#include "psci.hpp"
#include "aarch32.hpp"
#include "exits.hpp"
#include "firmware.hpp"
#include "sysregs.hpp"
#include "vcpu.hpp"
#include "vm.hpp"
#include <linux/kvm.h>

namespace kvmx {

namespace {

// Function ids (DEN0022 5.1); the 64-bit variant is the 32-bit id | 0x40000000.
constexpr u32 PSCI_VERSION = 0x84000000, CPU_SUSPEND = 0x84000001, CPU_OFF = 0x84000002;
constexpr u32 CPU_ON = 0x84000003, AFFINITY_INFO = 0x84000004, MIGRATE = 0x84000005;
constexpr u32 MIGRATE_INFO_TYPE = 0x84000006, MIGRATE_INFO_UP_CPU = 0x84000007;
constexpr u32 SYSTEM_OFF = 0x84000008, SYSTEM_RESET = 0x84000009;
constexpr u32 PSCI_FEATURES = 0x8400000a, SYSTEM_SUSPEND = 0x8400000e;
constexpr u32 SYSTEM_RESET2 = 0x84000012;
constexpr u32 SMC64 = 0x40000000;
constexpr u32 SMCCC_VERSION = 0x80000000;

// Return codes (DEN0022 5.2.2).
constexpr s64 RET_SUCCESS = 0, RET_NOT_SUPPORTED = -1, RET_INVALID_PARAMS = -2;
constexpr s64 RET_DENIED = -3, RET_ALREADY_ON = -4, RET_INVALID_ADDRESS = -9;
constexpr s64 AFFINITY_ON = 0, AFFINITY_OFF = 1;
constexpr s64 MIGRATE_TOS_NOT_PRESENT_MP = 2;
constexpr u64 RESET2_SYSTEM_WARM = 0, RESET2_VENDOR_START = 0x80000000ULL;

constexpr u32 version(u32 major, u32 minor)
{
	return major << 16 | minor;
}

// MPIDR_EL1 affinity fields Aff3 [39:32], Aff2-Aff0 [23:0].
constexpr u64 MPIDR_HWID_MASK = 0xff00ffffffULL;

constexpr u64 SCTLR_EE = 1ULL << 25;

// The caller's data endianness, which CPU_ON and SYSTEM_SUSPEND pass on: SCTLR_EL1.EE,
// or CPSR.E for a 32-bit EL1.
bool caller_big_endian(GuestCpu &c)
{
	arm64_el1_sync(c);
	return c.el1_aarch32 ? aarch32_big_endian(c) : c.sys.r[SCTLR_EL1] & SCTLR_EE;
}

// Reset @vcpu (its own thread) as PSCI's CPU_ON and SYSTEM_SUSPEND leave a core: cold
// reset state, MMU off, at @entry with @context in x0 (DEN0022 6.4, 6.7; a 32-bit EL1
// starts in T32 if bit 0 of @entry is set).
void reset_to_entry(Vcpu *vcpu, u64 entry, u64 context, bool big_endian)
{
	GuestCpu &c = vcpu->arch.cpu;
	c.frame = EntryFrame{};
	c.fp = FpState{};
	c.fp_live = false;
	c.frame.x[0] = context;
	c.pstate = arm64_reset_pstate(c);
	u64 vmpidr = c.vmpidr; // the VMM may have given this vCPU its own MPIDR
	sysregs_reset(vcpu);
	c.vmpidr = vmpidr;
	if (c.el1_aarch32) {
		aarch32_set_entry(c, entry, big_endian);
		return;
	}
	c.pc = entry;
	if (big_endian)
		c.sys.r[SCTLR_EL1] |= SCTLR_EE;
}

RunStep exit_system_event(Vcpu *vcpu, u32 type, u64 flags)
{
	kvm_run *run = vcpu->run;
	run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
	run->system_event.type = type;
	run->system_event.ndata = 1;
	run->system_event.data[0] = flags;
	return RunStep::exit_user;
}

bool psci_0_2(const Vcpu *vcpu)
{
	return vcpu->arch.features & 1u << KVM_ARM_VCPU_PSCI_0_2;
}

u32 vm_version(const Vcpu *vcpu)
{
	return psci_0_2(vcpu) ? vcpu->vm->arch.psci_version : version(0, 1);
}

Vcpu *vcpu_by_mpidr(Vm *vm, u64 mpidr)
{
	for (u32 i = 0; Vcpu *v = vm_vcpu(vm, i); i++) {
		if ((load_acquire(&v->arch.cpu.vmpidr) & MPIDR_HWID_MASK) ==
		    (mpidr & MPIDR_HWID_MASK))
			return v;
	}
	return nullptr;
}

s64 cpu_on(Vcpu *vcpu, u64 target_mpidr, u64 entry, u64 context)
{
	Vm *vm = vcpu->vm;
	Vcpu *target = vcpu_by_mpidr(vm, target_mpidr);
	if (!target || !target->arch.initialised)
		return RET_INVALID_PARAMS;
	{
		SpinGuard guard(vm->arch.power_lock);
		if (target->arch.mp_state != KVM_MP_STATE_STOPPED)
			return psci_0_2(vcpu) ? RET_ALREADY_ON : RET_INVALID_PARAMS;
		PowerOn &on = target->arch.power_on;
		on.pending = true;
		on.entry = entry;
		on.context = context;
		// The new CPU starts with the caller's data endianness.
		on.big_endian = caller_big_endian(vcpu->arch.cpu);
		store_release(&target->arch.mp_state, static_cast<u32>(KVM_MP_STATE_RUNNABLE));
	}
	vcpu_kick(target);
	return RET_SUCCESS;
}

s64 affinity_info(Vcpu *vcpu, u64 target, u64 lowest_level)
{
	if (lowest_level > 3)
		return RET_INVALID_PARAMS;
	// Affinity fields at or below the level are ignored: Aff0 is bits [7:0], Aff1
	// [15:8], Aff2 [23:16], Aff3 [39:32].
	u64 mask = MPIDR_HWID_MASK;
	for (u64 level = 0; level < lowest_level; level++)
		mask &= ~(level == 3 ? 0xff00000000ULL : 0xffULL << (8 * level));
	bool found = false;
	for (u32 i = 0; Vcpu *v = vm_vcpu(vcpu->vm, i); i++) {
		if ((load_acquire(&v->arch.cpu.vmpidr) & mask) != (target & mask))
			continue;
		found = true;
		if (load_acquire(&v->arch.mp_state) != KVM_MP_STATE_STOPPED)
			return AFFINITY_ON;
	}
	return found ? AFFINITY_OFF : RET_INVALID_PARAMS;
}

// SYSTEM_OFF/RESET: stop every vCPU so none runs on while the VMM acts, then exit.
RunStep system_event(Vcpu *vcpu, u32 type, u64 flags)
{
	Vm *vm = vcpu->vm;
	for (u32 i = 0; Vcpu *v = vm_vcpu(vm, i); i++) {
		{
			SpinGuard guard(vm->arch.power_lock);
			store_release(&v->arch.mp_state, static_cast<u32>(KVM_MP_STATE_STOPPED));
		}
		if (v != vcpu)
			vcpu_kick(v);
	}
	return exit_system_event(vcpu, type, flags);
}

s64 features(Vcpu *vcpu, u32 fid)
{
	u32 ver = vm_version(vcpu);
	if (!smccc_fid_callable(vcpu, fid))
		return RET_NOT_SUPPORTED;
	switch (fid) {
	case PSCI_VERSION:
	case CPU_SUSPEND:
	case CPU_SUSPEND | SMC64:
	case CPU_OFF:
	case CPU_ON:
	case CPU_ON | SMC64:
	case AFFINITY_INFO:
	case AFFINITY_INFO | SMC64:
	case MIGRATE_INFO_TYPE:
	case SYSTEM_OFF:
	case SYSTEM_RESET:
	case PSCI_FEATURES:
	case SMCCC_VERSION:
		return RET_SUCCESS;
	case SYSTEM_RESET2:
	case SYSTEM_RESET2 | SMC64:
		return ver >= version(1, 1) ? RET_SUCCESS : RET_NOT_SUPPORTED;
	case SYSTEM_SUSPEND:
	case SYSTEM_SUSPEND | SMC64:
		return vcpu->vm->arch.system_suspend ? RET_SUCCESS : RET_NOT_SUPPORTED;
	default:
		return RET_NOT_SUPPORTED;
	}
}

// SYSTEM_SUSPEND (DEN0022 5.20), as the 2021 review settled it: the guest's request
// exits to the VMM with the intent to suspend and the vCPU already reset to the resume
// point, so the whole suspend state is in registers the VMM can save and migrate. The
// VMM resumes with KVM_RUN, or confirms with KVM_MP_STATE_SUSPENDED (psci_block_suspended).
Result<RunStep> system_suspend(Vcpu *vcpu, u64 entry, u64 context)
{
	Vm *vm = vcpu->vm;
	u64 *x = vcpu->arch.cpu.frame.x;
	if (!vm->arch.system_suspend) {
		x[0] = static_cast<u64>(RET_NOT_SUPPORTED);
		return RunStep::resume;
	}
	// "Guest memory" is the VM's IPA space, as in the reviewed series: the VMM may
	// still be about to back the resume point with a memslot (e.g. after migration).
	if (entry >> vm->arch.ipa_bits) {
		x[0] = static_cast<u64>(RET_INVALID_ADDRESS);
		return RunStep::resume;
	}
	for (u32 i = 0; Vcpu *v = vm_vcpu(vm, i); i++) {
		if (v != vcpu && load_acquire(&v->arch.mp_state) != KVM_MP_STATE_STOPPED) {
			x[0] = static_cast<u64>(RET_DENIED);
			return RunStep::resume;
		}
	}
	reset_to_entry(vcpu, entry, context, caller_big_endian(vcpu->arch.cpu));
	return exit_system_event(vcpu, KVM_SYSTEM_EVENT_SUSPEND, 0);
}

bool suspended_wake_ready(Vcpu *vcpu)
{
	return psci_wake_event_pending(vcpu);
}

// PSCI 0.1 as KVM numbered it (KVM_PSCI_FN_*): only CPU_SUSPEND, CPU_OFF and CPU_ON.
bool psci_0_1_fid(u32 fid)
{
	return fid == KVM_PSCI_FN_CPU_SUSPEND || fid == KVM_PSCI_FN_CPU_OFF ||
	       fid == KVM_PSCI_FN_CPU_ON || fid == KVM_PSCI_FN_MIGRATE;
}

} // namespace

void psci_apply_power_on(Vcpu *vcpu)
{
	PowerOn on;
	{
		SpinGuard guard(vcpu->vm->arch.power_lock);
		on = vcpu->arch.power_on;
		vcpu->arch.power_on.pending = false;
	}
	if (on.pending)
		reset_to_entry(vcpu, on.entry, on.context, on.big_endian);
}

Result<RunStep> psci_block_suspended(Vcpu *vcpu)
{
	// Only a real wake-up event ends the suspend; a kick or a spurious wake with
	// nothing pending blocks again, a signal returns to the VMM.
	while (!psci_wake_event_pending(vcpu)) {
		if (kvmx_host_signal_pending())
			return Status::error(-EINTR);
		vcpu_halt(vcpu, psci_wake_timeout_ns(vcpu), suspended_wake_ready);
	}
	vcpu->stats.halt_wakeup++;
	return exit_system_event(vcpu, KVM_SYSTEM_EVENT_WAKEUP, 0);
}

bool psci_owns(const Vcpu *vcpu, u32 fid)
{
	if (!psci_0_2(vcpu))
		return psci_0_1_fid(fid);
	return (fid & ~SMC64) >= PSCI_VERSION && (fid & ~SMC64) <= 0x8400001f;
}

Result<RunStep> psci_call(Vcpu *vcpu, u32 fid)
{
	u64 *x = vcpu->arch.cpu.frame.x;
	// SMC32 calls pass 32-bit arguments (SMCCC 2.6): ignore the upper halves.
	u64 arg_mask = fid & SMC64 ? ~0ULL : 0xffffffffULL;
	u64 a1 = x[1] & arg_mask, a2 = x[2] & arg_mask, a3 = x[3] & arg_mask;
	u32 ver = vm_version(vcpu);
	s64 ret = RET_NOT_SUPPORTED;

	if (!psci_0_2(vcpu)) {
		if (fid == KVM_PSCI_FN_CPU_ON)
			ret = cpu_on(vcpu, a1, a2, a3);
		else if (fid == KVM_PSCI_FN_CPU_OFF)
			fid = CPU_OFF;
		else if (fid == KVM_PSCI_FN_CPU_SUSPEND)
			fid = CPU_SUSPEND;
		if (fid != CPU_OFF && fid != CPU_SUSPEND) {
			x[0] = static_cast<u64>(ret);
			return RunStep::resume;
		}
	}
	switch (fid) {
	case PSCI_VERSION:
		ret = ver;
		break;
	case CPU_SUSPEND:
	case CPU_SUSPEND | SMC64:
		// A power-down state may be entered as a WFI (DEN0022 5.4.2): wake on the
		// same events, report success.
		psci_suspend_as_wfi(vcpu);
		ret = RET_SUCCESS;
		break;
	case CPU_OFF: {
		SpinGuard guard(vcpu->vm->arch.power_lock);
		store_release(&vcpu->arch.mp_state, static_cast<u32>(KVM_MP_STATE_STOPPED));
		return RunStep::resume;
	}
	case CPU_ON:
	case CPU_ON | SMC64:
		ret = cpu_on(vcpu, a1, a2, a3);
		break;
	case AFFINITY_INFO:
	case AFFINITY_INFO | SMC64:
		ret = affinity_info(vcpu, a1, a2);
		break;
	case MIGRATE_INFO_TYPE:
		ret = MIGRATE_TOS_NOT_PRESENT_MP;
		break;
	case SYSTEM_OFF:
		return system_event(vcpu, KVM_SYSTEM_EVENT_SHUTDOWN, 0);
	case SYSTEM_RESET:
		return system_event(vcpu, KVM_SYSTEM_EVENT_RESET, 0);
	case SYSTEM_RESET2:
	case SYSTEM_RESET2 | SMC64:
		if (ver < version(1, 1))
			break;
		if (a1 == RESET2_SYSTEM_WARM || a1 >= RESET2_VENDOR_START)
			return system_event(vcpu, KVM_SYSTEM_EVENT_RESET,
					    KVM_SYSTEM_EVENT_RESET_FLAG_PSCI_RESET2);
		ret = RET_INVALID_PARAMS;
		break;
	case PSCI_FEATURES:
		if (ver >= version(1, 0))
			ret = features(vcpu, static_cast<u32>(a1));
		break;
	case SYSTEM_SUSPEND:
	case SYSTEM_SUSPEND | SMC64:
		if (ver >= version(1, 0))
			return system_suspend(vcpu, a1, a2);
		break;
	default:
		break; // MIGRATE, MIGRATE_INFO_UP_CPU, SYSTEM_SUSPEND, ...: not supported
	}
	x[0] = static_cast<u64>(ret);
	return RunStep::resume;
}

} // namespace kvmx
