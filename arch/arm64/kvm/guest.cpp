// SPDX-License-Identifier: GPL-2.0
// The arm64 vCPU's userspace interface: KVM_ARM_VCPU_INIT (features, reset),
// KVM_GET/SET_ONE_REG and KVM_GET_REG_LIST (core, FP/SIMD, system, timer and firmware
// registers), KVM_GET/SET_MP_STATE. Guest exits are exits.cpp's business.
#include "aarch32.hpp"
#include "firmware.hpp"
#include "id_regs.hpp"
#include "inject.hpp"
#include "ioctl.hpp"
#include "pmu.hpp"
#include "psci.hpp"
#include "sysregs.hpp"
#include "vcpu.hpp"
#include "vgic/kvm.hpp"
#include "vm.hpp"
#include <linux/kvm.h>

namespace kvmx {

namespace {

constexpr u32 target_generic_v8 = KVM_ARM_TARGET_GENERIC_V8;
// Feature bits the 6.1 ABI defines (the last is KVM_ARM_VCPU_PTRAUTH_GENERIC).
constexpr u32 known_features = KVM_ARM_VCPU_PTRAUTH_GENERIC + 1;
constexpr u32 base_features = 1u << KVM_ARM_VCPU_POWER_OFF | 1u << KVM_ARM_VCPU_PSCI_0_2;
constexpr u32 el1_32bit = 1u << KVM_ARM_VCPU_EL1_32BIT;

// ArchVm::el1_width: set by the first KVM_ARM_VCPU_INIT, then every vCPU must agree.
constexpr u32 width_aarch64 = 1, width_aarch32 = 2;

void reset(Vcpu *vcpu)
{
	ArchVcpu &a = vcpu->arch;
	GuestCpu &c = a.cpu;
	c.frame = EntryFrame{};
	c.fp = FpState{};
	c.fp_live = false;
	c.pc = 0;
	c.el1_aarch32 = a.features & el1_32bit;
	c.pstate = arm64_reset_pstate(c);
	// HCR_EL2.RW = 0: EL1 (and so EL0) execute in AArch32.
	c.hcr = c.el1_aarch32 ? arm64_guest_hcr() & ~HCR_RW : arm64_guest_hcr();
	sysregs_reset(vcpu);
	a.mmio = MmioPending{};
	a.mp_state = a.features & 1u << KVM_ARM_VCPU_POWER_OFF ? KVM_MP_STATE_STOPPED
							       : KVM_MP_STATE_RUNNABLE;
}

long vcpu_init(Vcpu *vcpu, unsigned long arg)
{
	kvm_vcpu_init init;
	if (kvmx_host_copy_from_user(&init, arg, sizeof(init)))
		return -EFAULT;
	if (init.target != target_generic_v8)
		return -EINVAL;
	u32 features = init.features[0];
	for (u32 i = 1; i < sizeof(init.features) / sizeof(init.features[0]); i++) {
		if (init.features[i])
			return -ENOENT;
	}
	// Upstream: -ENOENT for bits it does not know, -EINVAL for known ones it cannot
	// provide (SVE and pointer authentication here; the PMU where the host has none; a
	// 32-bit EL1 where the host CPUs have none).
	if (features >> known_features)
		return -ENOENT;
	ArchVcpu &a = vcpu->arch;
	if (a.initialised && features != a.features)
		return -EINVAL;
	const u32 supported = base_features | (arm64_host_has_aarch32_el1() ? el1_32bit : 0) |
			      (pmu_host_supported() ? 1u << KVM_ARM_VCPU_PMU_V3 : 0);
	if (features & ~supported)
		return -EINVAL;
	// One register width per VM (upstream's rule): the first vCPU initialised decides.
	u32 width = features & el1_32bit ? width_aarch32 : width_aarch64, cur = 0;
	if (!__atomic_compare_exchange_n(&vcpu->vm->arch.el1_width, &cur, width, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) &&
	    cur != width)
		return -EINVAL;
	a.features = features;
	if (!a.initialised)
		pvtime_reset(vcpu); // the structure's IPA survives a re-init, as upstream
	reset(vcpu);
	pmu_vcpu_reset(vcpu);
	firmware_vcpu_reset(vcpu);
	a.initialised = true;
	return 0;
}

// KVM_REG_ARM_CORE: the register's offset in struct kvm_regs, in 32-bit words.
struct CoreReg {
	u64 *slot;
	u32 size; // bytes the id must name
};

CoreReg core_reg(Vcpu *vcpu, u64 off)
{
	GuestCpu &c = vcpu->arch.cpu;
	arm64_el1_sync(c); // (already synced: outside KVM_RUN, run_done did)
	constexpr u64 w = 4;
	constexpr u64 x0 = __builtin_offsetof(kvm_regs, regs.regs) / w;
	constexpr u64 sp = __builtin_offsetof(kvm_regs, regs.sp) / w;
	constexpr u64 pc = __builtin_offsetof(kvm_regs, regs.pc) / w;
	constexpr u64 pstate = __builtin_offsetof(kvm_regs, regs.pstate) / w;
	constexpr u64 sp_el1 = __builtin_offsetof(kvm_regs, sp_el1) / w;
	constexpr u64 elr_el1 = __builtin_offsetof(kvm_regs, elr_el1) / w;
	constexpr u64 spsr = __builtin_offsetof(kvm_regs, spsr) / w;
	constexpr u64 vregs = __builtin_offsetof(kvm_regs, fp_regs.vregs) / w;
	constexpr u64 fpsr = __builtin_offsetof(kvm_regs, fp_regs.fpsr) / w;
	constexpr u64 fpcr = __builtin_offsetof(kvm_regs, fp_regs.fpcr) / w;

	if (off >= x0 && off < x0 + 62 && (off - x0) % 2 == 0)
		return { &c.frame.x[(off - x0) / 2], 8 };
	if (off == sp)
		return { &c.frame.sp_el0, 8 };
	if (off == pc)
		return { &c.pc, 8 };
	if (off == pstate)
		return { &c.pstate, 8 };
	if (off == sp_el1)
		return { &c.sys.r[SP_EL1], 8 };
	if (off == elr_el1)
		return { &c.sys.r[ELR_EL1], 8 };
	// SPSR_EL1 (SPSR_svc) is spsr[0], then SPSR_abt, _und, _irq and _fiq.
	if (off == spsr)
		return { &c.sys.r[SPSR_EL1], 8 };
	if (off > spsr && off < spsr + 10 && (off - spsr) % 2 == 0)
		return { &c.a32[SPSR_ABT + (off - spsr) / 2 - 1], 8 };
	if (off >= vregs && off < vregs + 128 && (off - vregs) % 4 == 0)
		return { &c.fp.v[(off - vregs) / 2], 16 };
	if (off == fpsr)
		return { &c.fp.fpsr, 4 };
	if (off == fpcr)
		return { &c.fp.fpcr, 4 };
	return { nullptr, 0 };
}

// The modes a vCPU's PSTATE may take: the AArch64 EL0/EL1 ones and, where the host has
// AArch32 EL0, AArch32 USR (a VM saved while its 32-bit userspace ran) for a 64-bit EL1;
// the AArch32 USR, FIQ, IRQ, SVC, ABT, UND and SYS modes for a 32-bit EL1. As upstream.
bool pstate_valid(const GuestCpu &c, u64 val)
{
	if (!(val & PSR_MODE32_BIT)) {
		u64 mode = val & PSR_MODE_MASK;
		return !c.el1_aarch32 &&
		       (mode == PSR_MODE_EL0t || mode == PSR_MODE_EL1t || mode == PSR_MODE_EL1h);
	}
	switch (val & PSR32_MODE_MASK) {
	case PSR32_MODE_USR:
		return c.el1_aarch32 || arm64_host_has_aarch32_el0();
	case PSR32_MODE_FIQ:
	case PSR32_MODE_IRQ:
	case PSR32_MODE_SVC:
	case PSR32_MODE_ABT:
	case PSR32_MODE_UND:
	case PSR32_MODE_SYS:
		return c.el1_aarch32;
	default:
		return false;
	}
}

// In AArch32 state the registers are 32 bits wide: after a write, the ones the mode can
// reach (r0-r14 in USR/SYS, all the banked copies otherwise) and the PC are narrowed.
void narrow_aarch32(GuestCpu &c)
{
	if (!in_aarch32(c))
		return;
	const u64 mode = c.pstate & PSR32_MODE_MASK;
	const u32 n = mode == PSR32_MODE_USR || mode == PSR32_MODE_SYS ? 15 : 31;
	for (u32 i = 0; i < n; i++)
		c.frame.x[i] = static_cast<u32>(c.frame.x[i]);
	c.pc = static_cast<u32>(c.pc);
}

u32 reg_size(u64 id)
{
	return 1u << ((id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
}

long core_reg_access(Vcpu *vcpu, u64 id, kvmx_uptr addr, bool set)
{
	u64 off = id & ~(KVM_REG_ARCH_MASK | KVM_REG_SIZE_MASK | KVM_REG_ARM_CORE);
	if (off >= sizeof(kvm_regs) / 4)
		return -ENOENT;
	CoreReg r = core_reg(vcpu, off);
	if (!r.slot || reg_size(id) != r.size)
		return -EINVAL;
	if (!set)
		return kvmx_host_copy_to_user(addr, r.slot, r.size) ? -EFAULT : 0;
	u64 val[2] = {};
	if (kvmx_host_copy_from_user(val, addr, r.size))
		return -EFAULT;
	if (r.slot == &vcpu->arch.cpu.pstate && !pstate_valid(vcpu->arch.cpu, val[0]))
		return -EINVAL;
	if (r.size == 4)
		*r.slot = static_cast<u32>(val[0]);
	else {
		r.slot[0] = val[0];
		if (r.size == 16)
			r.slot[1] = val[1];
	}
	narrow_aarch32(vcpu->arch.cpu);
	return 0;
}

long sysreg_access(Vcpu *vcpu, u64 id, kvmx_uptr addr, bool set)
{
	if (reg_size(id) != 8 ||
	    (id & ~(KVM_REG_ARCH_MASK | KVM_REG_SIZE_MASK | KVM_REG_ARM_COPROC_MASK | 0xffffULL)))
		return -ENOENT;
	u32 enc = id & 0xffff;
	u64 val;
	if (!set) {
		Status st = sysreg_get(vcpu, enc, &val);
		if (!st.is_ok())
			return st.err();
		return kvmx_host_copy_to_user(addr, &val, 8) ? -EFAULT : 0;
	}
	if (kvmx_host_copy_from_user(&val, addr, 8))
		return -EFAULT;
	return sysreg_set(vcpu, enc, val).err();
}

// KVM_REG_ARM_DEMUX CCSIDR ids: one per CSSELR_EL1 value, as upstream since 6.3 (6.1
// listed one per cache the host's CLIDR_EL1 names: a subset, so its VMs restore here).
constexpr u64 demux_ccsidr =
	KVM_REG_ARM64 | KVM_REG_SIZE_U32 | KVM_REG_ARM_DEMUX | KVM_REG_ARM_DEMUX_ID_CCSIDR;

u32 demux_reg_list(u64 *out)
{
	for (u32 i = 0; out && i < ccsidr_count; i++)
		out[i] = demux_ccsidr | i;
	return ccsidr_count;
}

long demux_access(Vcpu *vcpu, u64 id, kvmx_uptr addr, bool set)
{
	const u64 csselr = id & KVM_REG_ARM_DEMUX_VAL_MASK;
	if ((id & ~KVM_REG_ARM_DEMUX_VAL_MASK) != demux_ccsidr || csselr >= ccsidr_count)
		return -ENOENT;
	u32 val;
	if (!set) {
		val = ccsidr_get(vcpu, static_cast<u32>(csselr));
		return kvmx_host_copy_to_user(addr, &val, sizeof(val)) ? -EFAULT : 0;
	}
	if (kvmx_host_copy_from_user(&val, addr, sizeof(val)))
		return -EFAULT;
	return ccsidr_set(vcpu, static_cast<u32>(csselr), val).err();
}

long one_reg(Vcpu *vcpu, unsigned long arg, bool set)
{
	kvm_one_reg reg;
	if (kvmx_host_copy_from_user(&reg, arg, sizeof(reg)))
		return -EFAULT;
	if (!vcpu->arch.initialised)
		return -ENOEXEC;
	if ((reg.id & KVM_REG_ARCH_MASK) != KVM_REG_ARM64)
		return -EINVAL;
	// A CPU_ON posted by another vCPU happens before anything userspace reads or writes.
	psci_apply_power_on(vcpu);
	switch (reg.id & KVM_REG_ARM_COPROC_MASK) {
	case KVM_REG_ARM_CORE:
		return core_reg_access(vcpu, reg.id, reg.addr, set);
	case KVM_REG_ARM64_SYSREG:
		return sysreg_access(vcpu, reg.id, reg.addr, set);
	case KVM_REG_ARM_DEMUX:
		return demux_access(vcpu, reg.id, reg.addr, set);
	case KVM_REG_ARM_FW:
	case KVM_REG_ARM_FW_FEAT_BMAP: {
		if (reg_size(reg.id) != 8)
			return -ENOENT;
		u64 val;
		if (!set) {
			Status st = firmware_reg_get(vcpu, reg.id, &val);
			if (!st.is_ok())
				return st.err();
			return kvmx_host_copy_to_user(reg.addr, &val, 8) ? -EFAULT : 0;
		}
		if (kvmx_host_copy_from_user(&val, reg.addr, 8))
			return -EFAULT;
		return firmware_reg_set(vcpu, reg.id, val).err();
	}
	default:
		return -ENOENT;
	}
}

// Core register ids in kvm_regs order: x0-x30, sp, pc, pstate, sp_el1, elr_el1,
// spsr[0-4], V0-V31, FPSR, FPCR.
u32 core_reg_list(u64 *out)
{
	constexpr u64 prefix = KVM_REG_ARM64 | KVM_REG_ARM_CORE;
	constexpr u64 w = 4;
	u32 n = 0;
	auto add = [&](u64 size, u64 off) {
		if (out)
			out[n] = prefix | size | off;
		n++;
	};
	constexpr u64 end = (__builtin_offsetof(kvm_regs, spsr) + sizeof(kvm_regs::spsr)) / w;
	for (u64 off = 0; off < end; off += 2)
		add(KVM_REG_SIZE_U64, off);
	for (u64 i = 0; i < 32; i++)
		add(KVM_REG_SIZE_U128, __builtin_offsetof(kvm_regs, fp_regs.vregs) / w + 4 * i);
	add(KVM_REG_SIZE_U32, __builtin_offsetof(kvm_regs, fp_regs.fpsr) / w);
	add(KVM_REG_SIZE_U32, __builtin_offsetof(kvm_regs, fp_regs.fpcr) / w);
	return n;
}

u32 reg_list(const Vcpu *vcpu, u64 *out)
{
	u32 n = core_reg_list(out);
	n += firmware_reg_list(out ? out + n : nullptr);
	n += sysreg_list(out ? out + n : nullptr);
	n += demux_reg_list(out ? out + n : nullptr);
	n += pmu_reg_list(vcpu, out ? out + n : nullptr);
	return n;
}

long get_reg_list(Vcpu *vcpu, unsigned long arg)
{
	if (!vcpu->arch.initialised)
		return -ENOEXEC;
	u64 user_n;
	if (kvmx_host_copy_from_user(&user_n, arg, sizeof(user_n)))
		return -EFAULT;
	u64 total = reg_list(vcpu, nullptr);
	if (kvmx_host_copy_to_user(arg, &total, sizeof(total)))
		return -EFAULT;
	if (user_n < total)
		return -E2BIG;
	u64 *ids = static_cast<u64 *>(kvmx_host_zalloc(sizeof(u64) * total));
	if (!ids)
		return -ENOMEM;
	reg_list(vcpu, ids);
	long r = kvmx_host_copy_to_user(arg + sizeof(u64), ids, sizeof(u64) * total) ? -EFAULT : 0;
	kvmx_host_free(ids);
	return r;
}

long get_mp_state(Vcpu *vcpu, unsigned long arg)
{
	kvm_mp_state mp = { vcpu->arch.mp_state };
	return kvmx_host_copy_to_user(arg, &mp, sizeof(mp)) ? -EFAULT : 0;
}

long set_mp_state(Vcpu *vcpu, unsigned long arg)
{
	kvm_mp_state mp;
	if (kvmx_host_copy_from_user(&mp, arg, sizeof(mp)))
		return -EFAULT;
	if (mp.mp_state != KVM_MP_STATE_RUNNABLE && mp.mp_state != KVM_MP_STATE_STOPPED &&
	    mp.mp_state != KVM_MP_STATE_SUSPENDED)
		return -EINVAL;
	SpinGuard guard(vcpu->vm->arch.power_lock);
	store_release(&vcpu->arch.mp_state, mp.mp_state);
	return 0;
}

// KVM_GET/SET_VCPU_EVENTS (api.rst, arm64): a pending virtual SError (HCR_EL2.VSE) and
// an external data abort to inject. No SError syndrome: KVM_CAP_ARM_INJECT_SERROR_ESR
// reads 0 (the world switch does not switch VSESR_EL2), so serror_has_esr is 0 on GET
// and -EINVAL on SET with an SError, as upstream on a host without RAS.
long get_vcpu_events(Vcpu *vcpu, unsigned long arg)
{
	if (!vcpu->arch.initialised)
		return -ENOEXEC;
	kvm_vcpu_events ev = {};
	ev.exception.serror_pending = (vcpu->arch.cpu.hcr & HCR_VSE) != 0;
	return kvmx_host_copy_to_user(arg, &ev, sizeof(ev)) ? -EFAULT : 0;
}

long set_vcpu_events(Vcpu *vcpu, unsigned long arg)
{
	if (!vcpu->arch.initialised)
		return -ENOEXEC;
	kvm_vcpu_events ev;
	if (kvmx_host_copy_from_user(&ev, arg, sizeof(ev)))
		return -EFAULT;
	if (ev.exception.serror_pending && ev.exception.serror_has_esr)
		return -EINVAL;
	if (ev.exception.serror_pending)
		vcpu->arch.cpu.hcr |= HCR_VSE;
	if (ev.exception.ext_dabt_pending)
		inject_dabt(vcpu, vcpu->arch.exit_far);
	return 0;
}

// KVM_SET_GUEST_DEBUG: single-stepping and software breakpoints for the VMM. Hardware
// breakpoints set by the VMM (KVM_GUESTDBG_USE_HW) are not offered
// (KVM_CAP_GUEST_DEBUG_HW_BPS reads 0).
long set_guest_debug(Vcpu *vcpu, unsigned long arg)
{
	constexpr u32 valid =
		KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_USE_SW_BP;
	kvm_guest_debug dbg;
	if (kvmx_host_copy_from_user(&dbg, arg, sizeof(dbg)))
		return -EFAULT;
	if (dbg.control & ~valid)
		return -EINVAL;
	vcpu->arch.guest_debug = dbg.control & KVM_GUESTDBG_ENABLE ? dbg.control : 0;
	vcpu->arch.cpu.step_pending = false;
	return 0;
}

// KVM_ARM_VCPU_TIMER_CTRL: the PPIs of the virtual and physical timers. They only mean
// something to an in-kernel interrupt controller, which kvmx does not have: GET reports
// the architected defaults (as upstream does before a VMM changes them), SET is refused.
long timer_attr(unsigned int cmd, const kvm_device_attr &attr)
{
	constexpr u32 vtimer_ppi = 27, ptimer_ppi = 30; // Arm BSA / the GIC's timer PPIs
	if (attr.attr != KVM_ARM_VCPU_TIMER_IRQ_VTIMER &&
	    attr.attr != KVM_ARM_VCPU_TIMER_IRQ_PTIMER)
		return -ENXIO;
	switch (cmd) {
	case KVM_HAS_DEVICE_ATTR:
		return 0;
	case KVM_SET_DEVICE_ATTR:
		return -EINVAL;
	default: {
		u32 irq = attr.attr == KVM_ARM_VCPU_TIMER_IRQ_VTIMER ? vtimer_ppi : ptimer_ppi;
		return kvmx_host_copy_to_user(attr.addr, &irq, sizeof(irq)) ? -EFAULT : 0;
	}
	}
}

// KVM_{HAS,SET,GET}_DEVICE_ATTR on the vCPU: PV time, the timer interrupt numbers and
// the PMU.
long device_attr(Vcpu *vcpu, unsigned int cmd, unsigned long arg)
{
	kvm_device_attr attr;
	if (kvmx_host_copy_from_user(&attr, arg, sizeof(attr)))
		return -EFAULT;
	if (attr.group == KVM_ARM_VCPU_TIMER_CTRL)
		return timer_attr(cmd, attr);
	if (attr.group == KVM_ARM_VCPU_PMU_V3_CTRL) {
		switch (cmd) {
		case KVM_HAS_DEVICE_ATTR:
			return pmu_has_attr(vcpu, attr.attr);
		case KVM_SET_DEVICE_ATTR:
			return pmu_set_attr(vcpu, attr.attr, attr.addr);
		default:
			return pmu_get_attr(vcpu, attr.attr, attr.addr);
		}
	}
	if (attr.group != KVM_ARM_VCPU_PVTIME_CTRL)
		return -ENXIO;
	switch (cmd) {
	case KVM_HAS_DEVICE_ATTR:
		return pvtime_has_attr(vcpu, attr.attr);
	case KVM_SET_DEVICE_ATTR:
		return pvtime_set_attr(vcpu, attr.attr, attr.addr);
	default:
		return pvtime_get_attr(vcpu, attr.attr, attr.addr);
	}
}

} // namespace

Status arch_vcpu_create(Vcpu *vcpu)
{
	vcpu->arch.running_cpu = -1;
	vcpu->arch.sched_hook = arch_vcpu_sched_hook_create(vcpu);
	pvtime_reset(vcpu);
	return vgic_kvm_vcpu_create(vcpu);
}

void arch_vcpu_destroy(Vcpu *vcpu)
{
	pmu_vcpu_destroy(vcpu);
	kvmx_host_sched_hook_destroy(vcpu->arch.sched_hook);
	vcpu->arch.cache.release();
}

void arch_vcpu_kick(Vcpu *vcpu)
{
	int cpu = load_acquire(&vcpu->arch.running_cpu);
	if (cpu >= 0)
		kvmx_host_kick_cpu(static_cast<u32>(cpu));
}

bool arch_vcpu_async_ioctl(Vcpu *, unsigned int, unsigned long, long *)
{
	return false; // arm64 has none: interrupts come through VM ioctls (KVM_IRQ_LINE)
}

long arch_vcpu_ioctl(Vcpu *vcpu, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case KVM_ARM_VCPU_INIT:
		return vcpu_init(vcpu, arg);
	case KVM_GET_ONE_REG:
		return one_reg(vcpu, arg, false);
	case KVM_SET_ONE_REG:
		return one_reg(vcpu, arg, true);
	case kvm_get_reg_list_ioctl:
		return get_reg_list(vcpu, arg);
	case KVM_GET_MP_STATE:
		return get_mp_state(vcpu, arg);
	case KVM_SET_MP_STATE:
		return set_mp_state(vcpu, arg);
	case KVM_SET_GUEST_DEBUG:
		return set_guest_debug(vcpu, arg);
	case KVM_GET_VCPU_EVENTS:
		return get_vcpu_events(vcpu, arg);
	case KVM_SET_VCPU_EVENTS:
		return set_vcpu_events(vcpu, arg);
	case KVM_HAS_DEVICE_ATTR:
	case KVM_SET_DEVICE_ATTR:
	case KVM_GET_DEVICE_ATTR:
		return device_attr(vcpu, cmd, arg);
	case KVM_GET_REGS:
	case KVM_SET_REGS:
	case KVM_GET_FPU:
	case KVM_SET_FPU:
	case KVM_ENABLE_CAP:
		return -EINVAL; // arm64 registers go through ONE_REG; no vCPU caps yet
	default:
		return unknown_ioctl(cmd);
	}
}

} // namespace kvmx
