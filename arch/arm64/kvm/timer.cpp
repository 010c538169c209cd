// SPDX-License-Identifier: GPL-2.0
// The guest's EL1 timers as interrupt sources: the virtual timer (CNTV_*, counting the
// virtual counter) and the physical timer (CNTP_*, counting the physical counter, less
// the offset a VMM may set through KVM_REG_ARM_PTIMER_CNT, as upstream 6.12). Each output line (ARM ARM D11.2.4: ENABLE set, IMASK clear,
// CVAL reached) goes to the in-kernel vGIC as a level PPI (27 and 30, upstream's defaults),
// or without one is reported to the VMM's own irqchip, as upstream KVM does. The timer
// registers themselves are switched by hyp/switch.cpp (both timers are the hardware's
// while the guest runs).
#include "timer.hpp"
#include "hyp/switch.hpp"
#include "vcpu.hpp"
#include "vgic/kvm.hpp"
#include "vm.hpp"
#include <linux/kvm.h>

namespace kvmx {

namespace {

constexpr u64 CNT_ENABLE = 1, CNT_IMASK = 2;

struct TimerRegs {
	u32 ctl, cval;
	u64 run_bit; // KVM_ARM_DEV_EL1_*TIMER in device_irq_level
};
constexpr TimerRegs vtimer = { CNTV_CTL_EL0, CNTV_CVAL_EL0, KVM_ARM_DEV_EL1_VTIMER };
constexpr TimerRegs ptimer = { CNTP_CTL_EL0, CNTP_CVAL_EL0, KVM_ARM_DEV_EL1_PTIMER };

bool user_irqchip(const Vm *vm)
{
	return !vgic_kvm_created(vm); // upstream's !irqchip_in_kernel
}

u64 timer_now(Vcpu *vcpu, const TimerRegs &t)
{
	u64 cnt = arm64_counter();
	return cnt - (&t == &vtimer ? vcpu->vm->arch.cntvoff : vcpu->vm->arch.cntpoff);
}

// The timer condition (ARM ARM D11.2.4): the count has reached CVAL, compared as unsigned
// 64-bit numbers, not as a signed distance: a CVAL half the counter's range or more ahead
// (near its maximum, a guest's "never") is not met.
bool reached(u64 now, u64 cval)
{
	return now >= cval;
}

bool timer_level(Vcpu *vcpu, const TimerRegs &t)
{
	const GuestCpu &c = vcpu->arch.cpu;
	if ((c.sys.r[t.ctl] & (CNT_ENABLE | CNT_IMASK)) != CNT_ENABLE)
		return false;
	return reached(timer_now(vcpu, t), c.sys.r[t.cval]);
}

// The time until a count now at @now reaches @target.
u64 ticks_to_ns(u64 now, u64 target)
{
	if (reached(now, target))
		return 0;
	u64 delta = target - now, freq = arm64_counter_freq();
	if (!freq)
		return KVMX_WAIT_FOREVER;
	constexpr u64 ns_per_s = 1000000000ULL;
	if (delta / freq >= ~0ULL / ns_per_s)
		return KVMX_WAIT_FOREVER;
	return delta / freq * ns_per_s + delta % freq * ns_per_s / freq;
}

u64 timer_deadline_ns(Vcpu *vcpu, const TimerRegs &t)
{
	const GuestCpu &c = vcpu->arch.cpu;
	if ((c.sys.r[t.ctl] & (CNT_ENABLE | CNT_IMASK)) != CNT_ENABLE)
		return KVMX_WAIT_FOREVER;
	return ticks_to_ns(timer_now(vcpu, t), c.sys.r[t.cval]);
}

// The lines as the VMM's irqchip should see them now.
u64 user_lines(Vcpu *vcpu)
{
	return (timer_level(vcpu, vtimer) ? vtimer.run_bit : 0) |
	       (timer_level(vcpu, ptimer) ? ptimer.run_bit : 0);
}

constexpr u64 user_mask = KVM_ARM_DEV_EL1_VTIMER | KVM_ARM_DEV_EL1_PTIMER;

} // namespace

bool vtimer_level(Vcpu *vcpu)
{
	return timer_level(vcpu, vtimer);
}

bool ptimer_level(Vcpu *vcpu)
{
	return timer_level(vcpu, ptimer);
}

u64 vtimer_deadline_ns(Vcpu *vcpu)
{
	u64 v = timer_deadline_ns(vcpu, vtimer), p = timer_deadline_ns(vcpu, ptimer);
	return v < p ? v : p;
}

u64 vcount_deadline_ns(Vcpu *vcpu, u64 count)
{
	return ticks_to_ns(timer_now(vcpu, vtimer), count);
}

bool vtimer_should_notify_user(Vcpu *vcpu)
{
	if (!user_irqchip(vcpu->vm))
		return false;
	return (vcpu->run->s.regs.device_irq_level & user_mask) != user_lines(vcpu);
}

void vtimer_update_run(Vcpu *vcpu)
{
	if (!user_irqchip(vcpu->vm))
		return;
	u64 &lines = vcpu->run->s.regs.device_irq_level;
	lines = (lines & ~user_mask) | user_lines(vcpu);
}

bool vtimer_prepare_entry(Vcpu *vcpu)
{
	bool v = timer_level(vcpu, vtimer), p = timer_level(vcpu, ptimer);
	VgicTimerPpis ppis = {};
	if (!user_irqchip(vcpu->vm)) {
		ppis = vgic_kvm_timer_lines(vcpu, v, p); // PPIs 27 and 30, level, the timers'
	} else if ((vcpu->run->s.regs.device_irq_level & user_mask) != user_lines(vcpu)) {
		return false;
	}
	// A mapped timer (upstream's way, ICH_LR_HW): its host interrupt stays enabled and is
	// kept active while the vGIC holds the guest's; the guest's deactivation through the
	// list register lets it fire again. One exit per timer interrupt, no maintenance
	// interrupt for its EOI. Otherwise it is masked while its line is high (the vGIC or
	// the VMM already has it), and inactive (a mapped VM may have left it active here).
	const u32 enable = (ppis.mapped & 1 || !v ? 1u : 0u) | (ppis.mapped & 2 || !p ? 2u : 0u);
	kvmx_host_arm64_timer_irqs(enable, ppis.held);
	return true;
}

SysregClaim ptimer_sysreg(Vcpu *vcpu, u32 enc, bool read, u64 *val)
{
	// All of them are op0 3, op1 3, CRn 14: other traps (the vGIC's SGIs) leave at once.
	if ((enc & ~sysreg_enc(0, 0, 0, 0xf, 7)) != sysreg_enc(3, 3, 14, 0, 0))
		return SysregClaim::not_mine;
	u64 &ctl = vcpu->arch.cpu.sys.r[CNTP_CTL_EL0], &cval = vcpu->arch.cpu.sys.r[CNTP_CVAL_EL0];
	const u64 now = timer_now(vcpu, ptimer);
	if (enc == sysreg_enc(3, 3, 14, 0, 1) || enc == sysreg_enc(3, 3, 14, 0, 5)) {
		if (!read) // CNTPCT_EL0, CNTPCTSS_EL0: read-only
			return SysregClaim::undef;
		*val = now;
	} else if (enc == sysreg_enc(3, 3, 14, 2, 1)) { // CNTP_CTL_EL0, ISTATUS (bit 2) now
		constexpr u64 istatus = 4;
		if (read)
			*val = (ctl & (CNT_ENABLE | CNT_IMASK)) |
			       ((ctl & CNT_ENABLE) && reached(now, cval) ? istatus : 0);
		else
			ctl = *val & (CNT_ENABLE | CNT_IMASK);
	} else if (enc == sysreg_enc(3, 3, 14, 2, 2)) { // CNTP_CVAL_EL0
		if (read)
			*val = cval;
		else
			cval = *val;
	} else if (enc == sysreg_enc(3, 3, 14, 2, 0)) { // CNTP_TVAL_EL0: CVAL - counter, 32 bits
		if (read)
			*val = (cval - now) & 0xffffffffULL;
		else
			cval = now + static_cast<u64>(static_cast<s64>(static_cast<int>(*val)));
	} else {
		return SysregClaim::not_mine;
	}
	return SysregClaim::done;
}

} // namespace kvmx
