// SPDX-License-Identifier: GPL-2.0
// POWER9 vCPUs: lifetime, registers (KVM_GET/SET_REGS, SREGS, ONE_REG), KVM_INTERRUPT,
// and one pass of KVM_RUN: idle states, interrupt delivery, the world switch.
#include "arch.hpp"
#include "ioctl.hpp"
#include "ppc.hpp"
#include "registry.hpp"
#include "vcpu.hpp"
#include "vm.hpp"
#include "xive_native.hpp"
#include <linux/kvm.h>
#include <kvmx/core.h>

namespace kvmx {

using namespace ppc;

namespace {

constexpr u64 hv_slice_ticks = 0x7fffffff; // the longest HDEC kvmx programs

long get_regs(Vcpu *vcpu, unsigned long arg)
{
	ArchVcpu &a = vcpu->arch;
	kvm_regs r{};
	r.pc = a.regs.nip;
	r.cr = a.regs.cr;
	r.ctr = a.regs.ctr;
	r.lr = a.regs.lr;
	r.xer = a.regs.xer;
	r.msr = a.regs.msr;
	r.srr0 = a.spr.srr0;
	r.srr1 = a.spr.srr1;
	r.pid = a.spr.pid;
	r.sprg0 = a.spr.sprg[0];
	r.sprg1 = a.spr.sprg[1];
	r.sprg2 = a.spr.sprg[2];
	r.sprg3 = a.spr.sprg[3];
	for (u32 i = 0; i < 32; i++)
		r.gpr[i] = a.regs.gpr[i];
	return kvmx_host_copy_to_user(arg, &r, sizeof(r)) ? -EFAULT : 0;
}

long set_regs(Vcpu *vcpu, unsigned long arg)
{
	ArchVcpu &a = vcpu->arch;
	kvm_regs r;
	if (kvmx_host_copy_from_user(&r, arg, sizeof(r)))
		return -EFAULT;
	a.regs.nip = r.pc;
	a.regs.cr = r.cr;
	a.regs.ctr = r.ctr;
	a.regs.lr = r.lr;
	a.regs.xer = r.xer;
	// A guest never runs in hypervisor state or with machine checks off; transactional
	// memory is not offered (HFSCR[TM] clear), so no transaction state either.
	a.regs.msr = (r.msr & ~(MSR_HV | MSR_TS | MSR_TM)) | MSR_ME;
	a.spr.srr0 = r.srr0;
	a.spr.srr1 = r.srr1;
	a.spr.sprg[0] = r.sprg0;
	a.spr.sprg[1] = r.sprg1;
	a.spr.sprg[2] = r.sprg2;
	a.spr.sprg[3] = r.sprg3;
	for (u32 i = 0; i < 32; i++)
		a.regs.gpr[i] = r.gpr[i];
	return 0;
}

long get_sregs(Vcpu *vcpu, unsigned long arg)
{
	kvm_sregs s{};
	s.pvr = static_cast<u32>(registry().host.ppc_pvr);
	(void)vcpu;
	return kvmx_host_copy_to_user(arg, &s, sizeof(s)) ? -EFAULT : 0;
}

long set_sregs(Vcpu *, unsigned long arg)
{
	kvm_sregs s;
	if (kvmx_host_copy_from_user(&s, arg, sizeof(s)))
		return -EFAULT;
	// Radix guests have no SLB; the PVR is the host's (no compatibility modes).
	return s.pvr == static_cast<u32>(registry().host.ppc_pvr) ? 0 : -EINVAL;
}

} // namespace

Status arch_vcpu_create(Vcpu *vcpu)
{
	ArchVcpu &a = vcpu->arch;
	a.shadow = kvmx_ppc_shadow_create();
	if (!a.shadow)
		return Status::error(-ENOMEM);
	a.running_cpu = -1;
	a.last_cpu = -1;
	a.regs.msr = MSR_SF | MSR_ME;
	a.spr.ctrl = 1;
	a.spr.dec_expires = ppc_tb() + hv_slice_ticks;
	return Status::ok();
}

void arch_vcpu_destroy(Vcpu *vcpu)
{
	vcpu->arch.cache.release();
	kvmx_ppc_shadow_destroy(vcpu->arch.shadow);
	vcpu->arch.shadow = nullptr;
}

void arch_vcpu_kick(Vcpu *vcpu)
{
	int cpu = load_acquire(&vcpu->arch.running_cpu);
	if (cpu >= 0)
		kvmx_host_kick_cpu(static_cast<u32>(cpu));
}

bool arch_vcpu_async_ioctl(Vcpu *vcpu, unsigned int cmd, unsigned long arg, long *ret)
{
	if (cmd != KVM_INTERRUPT)
		return false;
	kvm_interrupt irq;
	if (kvmx_host_copy_from_user(&irq, arg, sizeof(irq))) {
		*ret = -EFAULT;
		return true;
	}
	// Upstream POWER: UNSET withdraws the external interrupt; SET raises it until it is
	// delivered once, SET_LEVEL (or any other value) until it is withdrawn.
	if (irq.irq == static_cast<u32>(KVM_INTERRUPT_UNSET)) {
		__atomic_fetch_and(&vcpu->arch.pending, ~(pend_external | pend_ext_once),
				   __ATOMIC_SEQ_CST);
	} else {
		u32 bits = pend_external;
		if (irq.irq == static_cast<u32>(KVM_INTERRUPT_SET))
			bits |= pend_ext_once;
		__atomic_fetch_or(&vcpu->arch.pending, bits, __ATOMIC_SEQ_CST);
		vcpu_kick(vcpu);
	}
	*ret = 0;
	return true;
}

long arch_vcpu_ioctl(Vcpu *vcpu, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case KVM_GET_REGS:
		return get_regs(vcpu, arg);
	case KVM_SET_REGS:
		return set_regs(vcpu, arg);
	case KVM_GET_SREGS:
		return get_sregs(vcpu, arg);
	case KVM_SET_SREGS:
		return set_sregs(vcpu, arg);
	case KVM_GET_ONE_REG:
		return ppc_one_reg(vcpu, arg, false);
	case KVM_SET_ONE_REG:
		return ppc_one_reg(vcpu, arg, true);
	case KVM_ENABLE_CAP: {
		kvm_enable_cap cap;
		if (kvmx_host_copy_from_user(&cap, arg, sizeof(cap)))
			return -EFAULT;
		// KVM_CAP_PPC_PAPR: a PAPR guest, hypercalls reach the hypervisor. Radix HV
		// guests always are; accepted as upstream does.
		if (cap.cap == KVM_CAP_PPC_PAPR && !cap.flags)
			return 0;
		// KVM_CAP_PPC_IRQ_XIVE: connect to the VM's XIVE device (xive_native.cpp).
		if (cap.cap == KVM_CAP_PPC_IRQ_XIVE)
			return xive_connect_vcpu(vcpu, cap);
		// KVM_CAP_PPC_FWNMI: from now on a machine check in any of the VM's guests
		// ends KVM_RUN as KVM_EXIT_NMI (exits.cpp), for the VMM's FWNMI delivery.
		// VM-wide, as upstream, though enabled through a vCPU.
		if (cap.cap == KVM_CAP_PPC_FWNMI && !cap.flags) {
			store_release(&vcpu->vm->arch.fwnmi, true);
			return 0;
		}
		return -EINVAL;
	}
	default:
		return unknown_ioctl(cmd);
	}
}

void arch_vcpu_run_done(Vcpu *vcpu)
{
	// Nothing to report back in kvm_run beyond what the exit wrote; the guest's FP/VMX
	// registers go back into the shadow (ONE_REG reads them there).
	kvmx_ppc_run_end(vcpu->arch.shadow);
}

Status arch_vcpu_run_prepare(Vcpu *vcpu)
{
	// As upstream on a radix host, a VM is radix from creation: it may run before (or
	// without) KVM_PPC_CONFIGURE_V3_MMU, in real mode, with no process table.
	ppc_mmio_complete(vcpu);
	kvmx_ppc_run_begin(vcpu->arch.shadow);
	return Status::ok();
}

namespace {

// A wake-up event for an idle vCPU: an interrupt it would take (external, doorbell, its
// decrementer passing zero) or an H_PROD.
bool idle_wake_ready(Vcpu *vcpu)
{
	ArchVcpu &a = vcpu->arch;
	if (load_acquire(&a.pending))
		return true;
	return static_cast<s64>(ppc_guest_tb(vcpu) - a.spr.dec_expires) >= 0;
}

Result<RunStep> block_idle(Vcpu *vcpu)
{
	ArchVcpu &a = vcpu->arch;
	bool woken = false;
	while (!idle_wake_ready(vcpu)) {
		// A signal ends the idle state (as upstream ends a cede): KVM_RUN returns
		// -EINTR and the next one continues after the sc or the stop.
		if (kvmx_host_signal_pending()) {
			a.idle = PpcIdle::none;
			return Status::error(-EINTR);
		}
		u64 ticks = a.spr.dec_expires - ppc_guest_tb(vcpu);
		u64 freq = registry().host.ppc_tb_freq;
		u64 ns = ticks / freq * 1000000000ULL + ticks % freq * 1000000000ULL / freq;
		// Polls, then sleeps (halt_poll.cpp); whatever ended it, the loop looks again.
		// halt_wakeup counts sleeps an event or the decrementer's timer ended.
		HaltEnd end = vcpu_halt(vcpu, ns, idle_wake_ready);
		woken |= end == HaltEnd::woken || end == HaltEnd::timed_out;
	}
	if (woken)
		vcpu->stats.halt_wakeup++;
	__atomic_fetch_and(&a.pending, ~pend_prod, __ATOMIC_SEQ_CST);
	a.idle = PpcIdle::none;
	return RunStep::resume;
}

} // namespace

Result<RunStep> arch_vcpu_run_once(Vcpu *vcpu)
{
	ArchVcpu &a = vcpu->arch;
	Vm *vm = vcpu->vm;
	if (a.idle != PpcIdle::none)
		return block_idle(vcpu);
	store_release(&vm->has_run, true);

	unsigned long flags = kvmx_ppc_irq_hard_disable();
	u32 cpu = kvmx_host_cpu_id();
	store_release(&a.running_cpu, static_cast<int>(cpu));
	// Pairs with the barrier of a kick: either the kicker sees running_cpu and sends an
	// IPI (pending until the guest runs, so it exits at once), or we see its request.
	full_barrier();
	if (a.last_cpu != static_cast<int>(cpu)) {
		// The guest may have invalidated translations with tlbiel on the CPU it ran
		// on before: none of its older entries may survive on this one.
		kvmx_ppc_flush_lpid(vm->arch.lpid);
		a.last_cpu = static_cast<int>(cpu);
	}
	u64 lpcr = load_acquire(&vm->arch.lpcr) | (a.spr.lpcr & LPCR_VCPU_MASK);
	if (a.xive) {
		// XIVE delivers the guest's interrupts itself: an OS-ring event is an external
		// interrupt of the guest (LPES), not of the hypervisor. One the context saved
		// at the last exit holds is delivered now if the guest takes externals (as
		// upstream); one that arrived while the VP was not dispatched the hardware
		// presents once the VP is pushed, if the guest's CPPR lets it through.
		lpcr |= LPCR_LPES;
		if ((a.regs.msr & MSR_EE) && xive_pending(vcpu))
			ppc_inject(vcpu, TRAP_EXTERNAL, 0);
	}
	ppc_deliver_pending(vcpu, &lpcr);
	u64 tb = ppc_tb();
	s64 hdec = static_cast<s64>(kvmx_ppc_host_next_tb() - tb);
	if (hdec <= 0) {
		// The host's timer is due: let it run first.
		kvmx_ppc_guest_leave(TRAP_HV_DECREMENTER, tb);
		a.exit.trap = 0;
	} else {
		if (static_cast<u64>(hdec) > hv_slice_ticks)
			hdec = hv_slice_ticks;
		ppc_world_switch(vcpu, lpcr, hdec);
	}
	store_release(&a.running_cpu, -1);
	kvmx_ppc_irq_restore(flags);
	return ppc_handle_exit(vcpu);
}

} // namespace kvmx

// The load-time self-test (module parameter selftest=1) is arm64's; POWER's guest entry
// is exercised by its kselftests (ppc_run_test).
extern "C" int kvmx_arch_selftest(void)
{
	kvmx_host_log(KVMX_LOG_ERR, "kvmx: selftest=1 is not implemented on POWER\n");
	return -EOPNOTSUPP;
}
