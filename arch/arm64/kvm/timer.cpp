// SPDX-License-Identifier: GPL-2.0
// The EL1 virtual timer's output line (ARM ARM D11.2.4: CNTV_CTL_EL0.ENABLE set, IMASK
// clear, CVAL reached) and its reporting to a userspace irqchip, as upstream KVM does
// without a vGIC. The timer registers themselves are switched by hyp/switch.cpp; the
// physical EL1 timer is not offered as an interrupt source (its line always reads 0).
#include "timer.hpp"
#include "hyp/switch.hpp"
#include "vcpu.hpp"
#include "vm.hpp"
#include <linux/kvm.h>

namespace kvmx {

namespace {

constexpr u64 CNTV_ENABLE = 1, CNTV_IMASK = 2;

bool user_irqchip(const Vm *)
{
	return true; // no in-kernel GIC yet
}

} // namespace

bool vtimer_level(Vcpu *vcpu)
{
	const GuestCpu &c = vcpu->arch.cpu;
	if ((c.sys.r[CNTV_CTL_EL0] & (CNTV_ENABLE | CNTV_IMASK)) != CNTV_ENABLE)
		return false;
	u64 now = arm64_counter() - vcpu->vm->arch.cntvoff;
	return static_cast<s64>(c.sys.r[CNTV_CVAL_EL0] - now) <= 0;
}

u64 vtimer_deadline_ns(Vcpu *vcpu)
{
	const GuestCpu &c = vcpu->arch.cpu;
	if ((c.sys.r[CNTV_CTL_EL0] & (CNTV_ENABLE | CNTV_IMASK)) != CNTV_ENABLE)
		return KVMX_WAIT_FOREVER;
	u64 now = arm64_counter() - vcpu->vm->arch.cntvoff;
	u64 cval = c.sys.r[CNTV_CVAL_EL0];
	if (static_cast<s64>(cval - now) <= 0)
		return 0;
	u64 delta = cval - now, freq = arm64_counter_freq();
	if (!freq)
		return KVMX_WAIT_FOREVER;
	constexpr u64 ns_per_s = 1000000000ULL;
	if (delta / freq >= ~0ULL / ns_per_s)
		return KVMX_WAIT_FOREVER;
	return delta / freq * ns_per_s + delta % freq * ns_per_s / freq;
}

bool vtimer_should_notify_user(Vcpu *vcpu)
{
	if (!user_irqchip(vcpu->vm))
		return false;
	bool told = vcpu->run->s.regs.device_irq_level & KVM_ARM_DEV_EL1_VTIMER;
	return vtimer_level(vcpu) != told;
}

void vtimer_update_run(Vcpu *vcpu)
{
	if (!user_irqchip(vcpu->vm))
		return;
	u64 &lines = vcpu->run->s.regs.device_irq_level;
	lines &= ~static_cast<u64>(KVM_ARM_DEV_EL1_VTIMER | KVM_ARM_DEV_EL1_PTIMER);
	if (vtimer_level(vcpu))
		lines |= KVM_ARM_DEV_EL1_VTIMER;
}

bool vtimer_prepare_entry(Vcpu *vcpu)
{
	bool level = vtimer_level(vcpu);
	if (user_irqchip(vcpu->vm) &&
	    level != ((vcpu->run->s.regs.device_irq_level & KVM_ARM_DEV_EL1_VTIMER) != 0))
		return false;
	kvmx_host_arm64_vtimer_irq(level ? 0 : 1);
	return true;
}

} // namespace kvmx
