// SPDX-License-Identifier: GPL-2.0
// One guest run of an arm64 vCPU: apply posted power-state changes, block a stopped
// vCPU, then enter the guest with interrupts masked through the world switch and hand
// the exit to the exit table. Owns the "in guest" window (running_cpu) that kicks use.
#include "../exits.hpp"
#include "../id_regs.hpp"
#include "../pmu.hpp"
#include "../psci.hpp"
#include "../pvtime.hpp"
#include "../sysregs.hpp"
#include "../timer.hpp"
#include "../vgic/kvm.hpp"
#include "switch.hpp"
#include "vcpu.hpp"
#include "vm.hpp"

namespace kvmx {

namespace {

bool not_stopped(Vcpu *vcpu)
{
	return load_acquire(&vcpu->arch.mp_state) != KVM_MP_STATE_STOPPED;
}

// The vCPU's thread leaves its CPU: the EL1 context the world switch left live there goes
// back to memory, since the thread may next run elsewhere (or another vCPU here).
void el1_sched_out(void *arg)
{
	arm64_el1_sync(static_cast<Vcpu *>(arg)->arch.cpu);
}

} // namespace

kvmx_sched_hook *arch_vcpu_sched_hook_create(Vcpu *vcpu)
{
	return kvmx_host_sched_hook_create(el1_sched_out, vcpu);
}

Status arch_vcpu_run_prepare(Vcpu *vcpu)
{
	if (!vcpu->arch.initialised)
		return Status::error(-ENOEXEC);
	// The vGIC's frames must be placed and initialised before any guest runs.
	Status st = vgic_kvm_first_run(vcpu);
	if (!st.is_ok())
		return st;
	st = pmu_first_run(vcpu);
	if (!st.is_ok())
		return st;
	// From the first KVM_RUN of any vCPU the ID registers are fixed (id_regs.cpp
	// writes them under the VM lock), as upstream; the traps they imply follow them.
	Vm *vm = vcpu->vm;
	if (!load_acquire(&vm->has_run)) {
		MutexGuard guard(vm->lock);
		store_release(&vm->has_run, true);
	}
	vcpu->arch.cpu.hcr =
		(vcpu->arch.cpu.hcr & ~(HCR_TTLBOS | HCR_TID2 | HCR_TID4)) | id_regs_hcr(vcpu);
	mmio_complete(vcpu);
	// From here until run_done the guest's EL1 context may stay in the CPU's registers
	// between runs, as upstream's vcpu_load; the hook puts it back when the thread
	// leaves the CPU.
	if (vcpu->arch.sched_hook) {
		kvmx_host_sched_hook_enter(vcpu->arch.sched_hook);
		vcpu->arch.cpu.el1_defer = true;
	}
	pmu_run_begin(vcpu); // the guest PMU's host counters count on this thread now
	return Status::ok();
}

void arch_vcpu_run_done(Vcpu *vcpu)
{
	GuestCpu &c = vcpu->arch.cpu;
	// As upstream's vcpu_put: outside KVM_RUN the VMM's ioctls read and write memory.
	arm64_el1_sync(c);
	if (c.el1_defer) {
		c.el1_defer = false;
		kvmx_host_sched_hook_leave(vcpu->arch.sched_hook);
	}
	vtimer_update_run(vcpu);
	pmu_run_end(vcpu);
	pmu_update_run(vcpu);
}

Result<RunStep> arch_vcpu_run_once(Vcpu *vcpu)
{
	ArchVcpu &a = vcpu->arch;
	Vm *vm = vcpu->vm;

	if (!not_stopped(vcpu)) {
		// Powered off: sleep until a CPU_ON (or the VMM's SET_MP_STATE on this thread
		// after a signal) changes that.
		int r = vcpu_block(vcpu, KVMX_WAIT_FOREVER, not_stopped);
		return r == -EINTR ? Result<RunStep>(Status::error(-EINTR)) : RunStep::resume;
	}
	if (load_acquire(&a.mp_state) == KVM_MP_STATE_SUSPENDED)
		return psci_block_suspended(vcpu);
	psci_apply_power_on(vcpu);
	pvtime_update(vcpu);
	pmu_sync(vcpu);

	const bool fp = a.cpu.fp_live;
	if (fp)
		kvmx_host_fpsimd_begin();
	unsigned long flags = kvmx_host_irq_save();
	// The VMM's irqchip must hear of a timer or PMU line change before the guest runs on
	// (KVM_CAP_ARM_USER_IRQ): KVM_RUN returns -EINTR with KVM_EXIT_INTR, as upstream.
	if (!pmu_prepare_entry(vcpu) || !vtimer_prepare_entry(vcpu)) {
		kvmx_host_irq_restore(flags);
		if (fp)
			kvmx_host_fpsimd_end();
		return Status::error(-EINTR);
	}
	const bool gic = a.vgic_cpu != nullptr;
	if (gic)
		vgic_kvm_flush(vcpu);
	a.cpu.gic_trap_all = !gic && vgic_host_ok();
	u32 cpu = kvmx_host_cpu_id();
	store_release(&a.running_cpu, static_cast<int>(cpu));
	// Pairs with the barrier in a kick: either the kicker sees running_cpu and sends
	// an IPI (pending until the guest runs, so it exits at once), or we see its lines
	// (and the vGIC's flag: an interrupt queued after the flush is not in the LRs).
	full_barrier();
	if (gic && vgic_kvm_entry_abort(vcpu)) {
		store_release(&a.running_cpu, -1);
		vgic_kvm_sync(vcpu);
		kvmx_host_irq_restore(flags);
		if (fp)
			kvmx_host_fpsimd_end();
		vgic_kvm_sync_done(vcpu);
		return RunStep::resume;
	}
	u32 lines = load_acquire(&a.irq_lines);
	a.cpu.hcr = (a.cpu.hcr & ~(HCR_VI | HCR_VF)) | (lines & irq_line_irq ? HCR_VI : 0) |
		    (lines & irq_line_fiq ? HCR_VF : 0);
	a.cpu.cntvoff = vm->arch.cntvoff;
	a.cpu.cntpoff = vm->arch.cntpoff;
	// The guest's OS lock blocks its own breakpoints, watchpoints and stepping: keep its
	// debug registers out of the hardware (and trapped) while it is set.
	a.cpu.debug_hw = a.debug_live && !(a.emul[OSLSR_EL1] & oslsr_oslk);
	a.cpu.vmm_debug = a.guest_debug & KVM_GUESTDBG_ENABLE;
	a.cpu.vmm_step = a.cpu.vmm_debug && (a.guest_debug & KVM_GUESTDBG_SINGLESTEP);
	Stage2Hw hw = { vm->arch.vttbr, vm->arch.vtcr,
			vm->arch.last_vcpu_ran[cpu] != static_cast<int>(vcpu->idx) };
	vm->arch.last_vcpu_ran[cpu] = static_cast<int>(vcpu->idx);

	ExitInfo exit = arm64_world_switch(a.cpu, hw);

	store_release(&a.running_cpu, -1);
	if (gic)
		vgic_kvm_sync(vcpu);
	kvmx_host_irq_restore(flags);
	if (fp)
		kvmx_host_fpsimd_end();
	if (gic)
		vgic_kvm_sync_done(vcpu);
	return handle_exit(vcpu, exit);
}

} // namespace kvmx
