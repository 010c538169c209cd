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

// ONE_REG: the registers kvmx implements, by id, as a pointer into the vCPU.
u64 *one_reg_u64(Vcpu *vcpu, u64 id)
{
	ArchVcpu &a = vcpu->arch;
	PpcSprs &s = a.spr;
	switch (id) {
	case KVM_REG_PPC_DAR:
		return &s.dar;
	case KVM_REG_PPC_DSCR:
		return &s.dscr;
	case KVM_REG_PPC_PURR:
		return &s.purr;
	case KVM_REG_PPC_SPURR:
		return &s.spurr;
	case KVM_REG_PPC_AMR:
		return &s.amr;
	case KVM_REG_PPC_UAMOR:
		return &s.uamor;
	case KVM_REG_PPC_IAMR:
		return &s.iamr;
	case KVM_REG_PPC_FSCR:
		return &s.fscr;
	case KVM_REG_PPC_TAR:
		return &s.tar;
	case KVM_REG_PPC_CIABR:
		return &s.ciabr;
	case KVM_REG_PPC_IC:
		return &s.ic;
	case KVM_REG_PPC_VTB:
		return &s.vtb;
	case KVM_REG_PPC_PID:
		return &s.pid;
	case KVM_REG_PPC_PPR:
		return &a.regs.ppr;
	case KVM_REG_PPC_TIDR:
		return &s.tidr;
	case KVM_REG_PPC_PSSCR:
		return &s.psscr;
	case KVM_REG_PPC_DEC_EXPIRY:
		return &s.dec_expires;
	case KVM_REG_PPC_DAWR:
		return &s.dawr0;
	case KVM_REG_PPC_DAWRX:
		return &s.dawrx0;
	default:
		return nullptr;
	}
}

u64 *one_reg_u32(Vcpu *vcpu, u64 id)
{
	PpcSprs &s = vcpu->arch.spr;
	switch (id) {
	case KVM_REG_PPC_DSISR:
		return &s.dsisr;
	case KVM_REG_PPC_PSPB:
		return &s.pspb;
	case KVM_REG_PPC_VRSAVE:
		return &s.vrsave;
	default:
		return nullptr;
	}
}

constexpr u64 lpcr_id_64 = KVM_REG_PPC_LPCR_64, lpcr_id_32 = KVM_REG_PPC_LPCR;

long one_reg(Vcpu *vcpu, unsigned long arg, bool set)
{
	kvm_one_reg reg;
	if (kvmx_host_copy_from_user(&reg, arg, sizeof(reg)))
		return -EFAULT;
	ArchVcpu &a = vcpu->arch;
	u64 size = 1ULL << ((reg.id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
	u64 val[2] = { 0, 0 };
	u64 *p = nullptr;
	bool vsr = false;
	u32 vsr_idx = 0;
	if ((p = one_reg_u64(vcpu, reg.id)) || (p = one_reg_u32(vcpu, reg.id))) {
		val[0] = *p;
	} else if (reg.id == lpcr_id_64 || reg.id == lpcr_id_32) {
		// The LPCR the vCPU runs with, as upstream shows it (writes keep only the
		// per-vCPU fields).
		val[0] = load_acquire(&vcpu->vm->arch.lpcr) | (a.spr.lpcr & LPCR_VCPU_MASK);
	} else if (reg.id == KVM_REG_PPC_ARCH_COMPAT) {
		val[0] = 0; // the host's own level (POWER9): no compatibility mode
	} else if (reg.id == KVM_REG_PPC_DPDES) {
		// Pending directed privileged doorbells of this thread.
		val[0] = (load_acquire(&a.pending) & pend_doorbell) ? 1 : 0;
	} else if (reg.id == KVM_REG_PPC_VP_STATE) {
		// The XIVE thread context (128 bits): only a connected vCPU has one.
		long r = xive_get_vp_state(vcpu, val);
		if (r)
			return r;
	} else if (reg.id == KVM_REG_PPC_FPSCR) {
		val[0] = kvmx_ppc_shadow_get_fpscr(a.shadow);
	} else if (reg.id >= KVM_REG_PPC_FPR0 && reg.id <= KVM_REG_PPC_FPR31) {
		u64 v[2];
		kvmx_ppc_shadow_get_vsr(a.shadow, static_cast<u32>(reg.id - KVM_REG_PPC_FPR0), v);
		val[0] = v[0];
	} else if (reg.id >= KVM_REG_PPC_VSR0 && reg.id <= KVM_REG_PPC_VSR31) {
		vsr = true;
		vsr_idx = static_cast<u32>(reg.id - KVM_REG_PPC_VSR0);
	} else if (reg.id >= KVM_REG_PPC_VR0 && reg.id <= KVM_REG_PPC_VR31) {
		vsr = true;
		vsr_idx = 32 + static_cast<u32>(reg.id - KVM_REG_PPC_VR0);
	} else {
		return -EINVAL; // upstream's answer for an id it does not know
	}
	if (vsr)
		kvmx_ppc_shadow_get_vsr(a.shadow, vsr_idx, val);
	if (size > sizeof(val))
		return -EINVAL;
	if (!set)
		return kvmx_host_copy_to_user(reg.addr, val, size) ? -EFAULT : 0;
	if (kvmx_host_copy_from_user(val, reg.addr, size))
		return -EFAULT;
	if (size == 4)
		val[0] &= 0xffffffffULL;
	if (p) {
		*p = val[0];
	} else if (reg.id == lpcr_id_64 || reg.id == lpcr_id_32) {
		// Other fields are dropped, as upstream's filter drops what it does not allow.
		// AIL in particular: with LPCR[AIL] = 3 a POWER9 delivers interrupts from a
		// radix guest to the hypervisor with translation on, but kvmx's way back from
		// the kernel's exit path (hyp/entry.S) runs in real mode. kvmx therefore runs
		// guests with AIL = 0 and says so through KVM_CAP_PPC_AIL_MODE_3 = 0, as
		// upstream does on the POWER9s where it must do the same (VMMs then keep the
		// guest's H_SET_MODE(AIL) from asking for it).
		u64 keep = reg.id == lpcr_id_32 ? a.spr.lpcr & ~0xffffffffULL : 0;
		a.spr.lpcr = (val[0] & LPCR_VCPU_MASK) | keep;
	} else if (reg.id == KVM_REG_PPC_ARCH_COMPAT) {
		if (val[0])
			return -EINVAL; // compatibility modes are not implemented
	} else if (reg.id == KVM_REG_PPC_DPDES) {
		if (val[0] & 1)
			__atomic_fetch_or(&a.pending, pend_doorbell, __ATOMIC_SEQ_CST);
		else
			__atomic_fetch_and(&a.pending, ~pend_doorbell, __ATOMIC_SEQ_CST);
	} else if (reg.id == KVM_REG_PPC_VP_STATE) {
		return xive_set_vp_state(vcpu, val);
	} else if (reg.id == KVM_REG_PPC_FPSCR) {
		kvmx_ppc_shadow_set_fpscr(a.shadow, val[0]);
	} else if (reg.id >= KVM_REG_PPC_FPR0 && reg.id <= KVM_REG_PPC_FPR31) {
		u64 v[2];
		u32 i = static_cast<u32>(reg.id - KVM_REG_PPC_FPR0);
		kvmx_ppc_shadow_get_vsr(a.shadow, i, v);
		v[0] = val[0];
		kvmx_ppc_shadow_set_vsr(a.shadow, i, v);
	} else if (vsr) {
		kvmx_ppc_shadow_set_vsr(a.shadow, vsr_idx, val);
	}
	return 0;
}

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
		return one_reg(vcpu, arg, false);
	case KVM_SET_ONE_REG:
		return one_reg(vcpu, arg, true);
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
		return -EINVAL;
	}
	default:
		return unknown_ioctl(cmd);
	}
}

void arch_vcpu_run_done(Vcpu *)
{
	// Nothing to report back in kvm_run beyond what the exit wrote.
}

Status arch_vcpu_run_prepare(Vcpu *vcpu)
{
	// As upstream on a radix host, a VM is radix from creation: it may run before (or
	// without) KVM_PPC_CONFIGURE_V3_MMU, in real mode, with no process table.
	ppc_mmio_complete(vcpu);
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
	return static_cast<s64>(ppc_tb() - a.spr.dec_expires) >= 0;
}

Result<RunStep> block_idle(Vcpu *vcpu)
{
	ArchVcpu &a = vcpu->arch;
	bool slept = false;
	while (!idle_wake_ready(vcpu)) {
		// A signal ends the idle state (as upstream ends a cede): KVM_RUN returns
		// -EINTR and the next one continues after the sc or the stop.
		if (kvmx_host_signal_pending()) {
			a.idle = PpcIdle::none;
			return Status::error(-EINTR);
		}
		u64 ticks = a.spr.dec_expires - ppc_tb();
		u64 freq = registry().host.ppc_tb_freq;
		u64 ns = ticks / freq * 1000000000ULL + ticks % freq * 1000000000ULL / freq;
		// 0 (a wake-up or a kick), -ETIME or -EINTR: the loop looks again.
		vcpu_block(vcpu, ns, idle_wake_ready);
		slept = true;
	}
	if (slept)
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
