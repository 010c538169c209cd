// SPDX-License-Identifier: GPL-2.0
// The bridge between the vGIC model (vgic.hpp) and the VM and vCPUs: KVM_CREATE_DEVICE
// and its file, the hooks the model calls (kicks, "all vCPUs stopped"), the list
// registers around a guest run, MMIO, trapped ICC_* registers and the routing hooks.
// Upstream's counterparts: vgic-kvm-device.c, the flush/sync of vgic.c, vgic-irqfd.c and
// the SGI/SRE accessors of sys_regs.c.
#include "kvm.hpp"
#include "../hyp/switch.hpp"
#include "../id_regs.hpp"
#include "../sysregs.hpp"
#include "../timer.hpp"
#include "irqfd.hpp"
#include "its.hpp"
#include "memslot.hpp"
#include "dirty_log.hpp"
#include "registry.hpp"
#include "vcpu.hpp"
#include "vgic.hpp"
#include "vm.hpp"

struct kvmx_vgic_dev {
	kvmx::Vm *vm;	    // holds a reference
	kvmx::VgicIts *its; // the ITS this file is for (owned by the vGIC), or nullptr: the GIC
};

namespace kvmx {

namespace {

// The timers' PPIs (upstream's defaults for KVM_ARM_VCPU_TIMER_IRQ_VTIMER and _PTIMER) and
// the owner token with which only the timers drive them.
constexpr u32 vtimer_ppi = 27, ptimer_ppi = 30;
const char timer_owner = 0;
constexpr u32 timer_lines_unknown = ~0u;

// ICH_VTR_EL2.PREbits [28:26]: preemption bits - 1. 5 bits use one active-priority
// register per group, 6 bits two, 7 bits four.
u32 nr_apr(u64 ich_vtr)
{
	u32 pre = ((ich_vtr >> 26) & 7) + 1;
	return pre >= 7 ? 4 : pre == 6 ? 2 : 1;
}

Vgic *vm_vgic(const Vm *vm)
{
	return load_acquire(&vm->arch.vgic);
}

void kick(void *ctx, u32 idx)
{
	Vcpu *vcpu = vm_vcpu(static_cast<Vm *>(ctx), idx);
	if (!vcpu)
		return; // still being created: it has not run yet
	// Pairs with the run loop: either it sees the flag after publishing running_cpu,
	// or the kick sees running_cpu and interrupts the guest.
	store_release(&vcpu->arch.vgic_kicked, 1u);
	full_barrier();
	// A halted vCPU's wake-up condition reads the vGIC (wfi_ready), so no sticky kick:
	// the entry's own timer lines would otherwise end its next WFI at once.
	vcpu_kick_ready(vcpu);
}

// Every vCPU's ioctl lock, or none (-EBUSY: one is running), as upstream's lock_all_vcpus.
bool lock_all_vcpus(void *ctx)
{
	Vm *vm = static_cast<Vm *>(ctx);
	u32 n = load_acquire(&vm->nr_vcpus);
	for (u32 i = 0; i < n; i++) {
		if (kvmx_host_mutex_trylock(vm->vcpus[i]->lock))
			continue;
		while (i--)
			kvmx_host_mutex_unlock(vm->vcpus[i]->lock);
		return false;
	}
	return true;
}

void unlock_all_vcpus(void *ctx)
{
	Vm *vm = static_cast<Vm *>(ctx);
	u32 n = load_acquire(&vm->nr_vcpus);
	for (u32 i = 0; i < n; i++)
		kvmx_host_mutex_unlock(vm->vcpus[i]->lock);
}

// Guest memory for the ITS and LPI tables, a page at a time (process context): the
// memslot looked up under mmu_lock, the copy made without it (a stale address is still
// the VMM's own memory). Writes mark the page dirty.
int guest_copy(Vm *vm, u64 gpa, void *buf, const void *src, u32 len)
{
	auto *out = static_cast<u8 *>(buf);
	auto *in = static_cast<const u8 *>(src);
	while (len) {
		u64 gfn = gpa >> page_shift, off = gpa & (page_size - 1);
		u32 n = static_cast<u32>(page_size - off < len ? page_size - off : len);
		u64 hva;
		{
			SpinGuard mmu(vm->mmu_lock);
			const Memslot *slot = vm->memslots->find(gfn);
			hva = slot ? slot->gfn_to_hva(gfn) : bad_hva;
			if (hva != bad_hva && in)
				mark_page_dirty(vm, *slot, gfn);
		}
		if (hva == bad_hva)
			return -EFAULT;
		if (in ? kvmx_host_copy_to_user(hva + off, in, n)
		       : kvmx_host_copy_from_user(out, hva + off, n))
			return -EFAULT;
		gpa += n;
		len -= n;
		if (in)
			in += n;
		else
			out += n;
	}
	return 0;
}

// A mapped timer PPI's line as the timer drives it now (resampling after the guest saw
// it, GICR_ISPENDR reads): from the vCPU's saved timer registers.
bool timer_input_level(void *ctx, u32 idx, u32 intid)
{
	Vcpu *vcpu = vm_vcpu(static_cast<Vm *>(ctx), idx);
	if (!vcpu)
		return false;
	return intid == vtimer_ppi ? vtimer_level(vcpu) : intid == ptimer_ppi && ptimer_level(vcpu);
}

int read_guest(void *ctx, u64 gpa, void *buf, u32 len)
{
	return guest_copy(static_cast<Vm *>(ctx), gpa, buf, nullptr, len);
}

int write_guest(void *ctx, u64 gpa, const void *buf, u32 len)
{
	return guest_copy(static_cast<Vm *>(ctx), gpa, nullptr, buf, len);
}

long dev_attr(Vgic *vgic, VgicIts *its, unsigned int cmd, unsigned long arg)
{
	kvm_device_attr attr;
	if (kvmx_host_copy_from_user(&attr, arg, sizeof(attr)))
		return -EFAULT;
	if (its) {
		switch (cmd) {
		case KVM_SET_DEVICE_ATTR:
			return vgic_its_set_attr(its, attr);
		case KVM_GET_DEVICE_ATTR:
			return vgic_its_get_attr(its, attr);
		default:
			return vgic_its_has_attr(its, attr);
		}
	}
	switch (cmd) {
	case KVM_SET_DEVICE_ATTR:
		return vgic_set_attr(vgic, attr);
	case KVM_GET_DEVICE_ATTR:
		return vgic_get_attr(vgic, attr);
	default:
		return vgic_has_attr(vgic, attr);
	}
}

} // namespace

bool vgic_host_ok()
{
	return registry().host.arm64_ich_vtr != 0;
}

bool vgic_kvm_created(const Vm *vm)
{
	return vm_vgic(vm) != nullptr;
}

bool vgic_kvm_initialized(const Vm *vm)
{
	Vgic *vgic = vm_vgic(vm);
	return vgic && load_acquire(&vgic->initialized);
}

bool vgic_kvm_valid_spi(const Vm *vm, u32 intid)
{
	Vgic *vgic = vm_vgic(vm);
	return vgic && intid >= vgic_nr_private && intid < vgic_nr_irqs(vgic);
}

int vgic_kvm_claim_irq(Vcpu *vcpu, u32 intid, const void *owner)
{
	Vgic *vgic = vm_vgic(vcpu->vm);
	if (!vgic || !vcpu->arch.vgic_cpu)
		return -ENXIO;
	return vgic_set_owner(vgic, vcpu->arch.vgic_cpu, intid, owner);
}

int vgic_kvm_drive_irq(Vcpu *vcpu, u32 intid, bool level, const void *owner)
{
	Vgic *vgic = vm_vgic(vcpu->vm);
	if (!vgic)
		return -ENXIO;
	return vgic_inject_irq(vgic, vcpu->idx, intid, level, owner);
}

namespace {

// The device file for @dev (the GIC, or one ITS): it holds a VM reference. On failure
// @dev is freed; the device it names stays with the vGIC.
long install_fd(Vm *vm, kvmx_vgic_dev *dev, kvm_create_device *cd)
{
	dev->vm = vm;
	vm_get(vm);
	int fd = kvmx_host_arm64_vgic_fd_install(dev);
	if (fd < 0) {
		vm_put(vm);
		destroy(dev);
		return fd;
	}
	cd->fd = static_cast<u32>(fd);
	return 0;
}

// KVM_CREATE_DEVICE(KVM_DEV_TYPE_ARM_VGIC_ITS): on a VM with a vGIC (ENODEV otherwise).
long create_its(Vm *vm, kvm_create_device *cd)
{
	// The type exists on this host: the test answers 0 (upstream's, before any create).
	if (cd->flags & KVM_CREATE_DEVICE_TEST)
		return 0;
	Vgic *vgic = vm_vgic(vm);
	if (!vgic)
		return -ENODEV;
	kvmx_vgic_dev *dev = make_zeroed<kvmx_vgic_dev>();
	if (!dev)
		return -ENOMEM;
	Result<VgicIts *> its = vgic_its_create(vgic);
	if (!its.is_ok()) {
		destroy(dev);
		return its.err();
	}
	dev->its = its.value();
	return install_fd(vm, dev, cd);
}

} // namespace

long vgic_kvm_create_device(Vm *vm, kvm_create_device *cd)
{
	if (cd->type == KVM_DEV_TYPE_ARM_VGIC_ITS && vgic_host_ok())
		return create_its(vm, cd);
	if (cd->type != KVM_DEV_TYPE_ARM_VGIC_V3 || !vgic_host_ok())
		return -ENODEV;
	if (cd->flags & KVM_CREATE_DEVICE_TEST)
		return 0;
	kvmx_vgic_dev *dev = make_zeroed<kvmx_vgic_dev>();
	if (!dev)
		return -ENOMEM;
	{
		MutexGuard g(vm->lock);
		if (vm->arch.vgic) {
			destroy(dev);
			return -EEXIST;
		}
		// The VMM told the guest it has no GIC system registers (id_regs.cpp).
		if (id_regs_gic_hidden(vm)) {
			destroy(dev);
			return -EINVAL;
		}
		// No vCPU may be running or start to while the vGIC appears under it, as
		// upstream's kvm_vgic_create (-EBUSY).
		if (!lock_all_vcpus(vm)) {
			destroy(dev);
			return -EBUSY;
		}
		const u64 vtr = registry().host.arm64_ich_vtr;
		VgicConfig cfg = {};
		cfg.hw.ich_vtr = static_cast<u32>(vtr);
		cfg.hw.nr_lr = static_cast<u32>(vtr & ICH_VTR_LISTREGS_MASK) + 1;
		cfg.ipa_bits = vm->arch.ipa_bits;
		cfg.ops = {
			vm,	    kick,	lock_all_vcpus, unlock_all_vcpus, timer_input_level,
			read_guest, write_guest
		};
		u32 n = load_acquire(&vm->nr_vcpus);
		Result<Vgic *> r = vgic_create(cfg, n, load_acquire(&vm->has_run));
		Status st = r.is_ok() ? Status::ok() : Status::error(r.err());
		for (u32 i = 0; st.is_ok() && i < n; i++) {
			Vcpu *v = vm->vcpus[i];
			st = vgic_vcpu_add(r.value(), i, v->id, &v->arch.cpu.vmpidr);
		}
		if (st.is_ok()) {
			for (u32 i = 0; i < n; i++)
				vm->vcpus[i]->arch.vgic_cpu = r.value()->cpus[i];
			store_release(&vm->arch.vgic, r.value());
		} else if (r.is_ok()) {
			vgic_destroy(r.value());
		}
		unlock_all_vcpus(vm);
		if (!st.is_ok()) {
			destroy(dev);
			return st.err();
		}
	}
	// On failure the vGIC stays, as upstream's does when the fd cannot be installed.
	return install_fd(vm, dev, cd);
}

Status vgic_kvm_vcpu_create(Vcpu *vcpu)
{
	Vgic *vgic = vm_vgic(vcpu->vm);
	if (!vgic)
		return Status::ok();
	Status st = vgic_vcpu_add(vgic, vcpu->idx, vcpu->id, &vcpu->arch.cpu.vmpidr);
	if (st.is_ok())
		vcpu->arch.vgic_cpu = vgic->cpus[vcpu->idx];
	return st;
}

void vgic_kvm_vm_destroy(Vm *vm)
{
	vgic_destroy(vm->arch.vgic);
	vm->arch.vgic = nullptr;
}

Status vgic_kvm_first_run(Vcpu *vcpu)
{
	Vgic *vgic = vm_vgic(vcpu->vm);
	// Between two KVM_RUNs userspace may have restored the timers' PPI levels: give the
	// vGIC the lines again at the next entry.
	vcpu->arch.vgic_timer_lines = timer_lines_unknown;
	if (!vgic || vcpu->arch.vgic_ready)
		return Status::ok();
	Status st = vgic_map_resources(vgic);
	if (!st.is_ok()) {
		// As upstream: a VM whose vGIC cannot be mapped is dead (every ioctl -EIO).
		vm_mark_dead(vcpu->vm);
		return st;
	}
	const u32 timer_ppis[] = { vtimer_ppi, ptimer_ppi };
	for (u32 n = 0; n < 2; n++) {
		int r = vgic_set_owner(vgic, vcpu->arch.vgic_cpu, timer_ppis[n], &timer_owner);
		if (r && r != -EEXIST)
			return Status::error(r);
		// Upstream's mapped timers: the LR names the host's timer interrupt (ICH_LR_HW),
		// whose active state the glue keeps while the vGIC holds the guest's.
		const u32 hw = registry().host.arm64_timer_hwintid[n];
		if (hw && kvmx_host_arm64_hw_timers() && !kvmx_host_arm64_timer_forward() &&
		    (r = vgic_map_phys_irq(vgic, vcpu->arch.vgic_cpu, timer_ppis[n], hw)))
			return Status::error(r);
	}
	vcpu->arch.vgic_ready = true;
	return Status::ok();
}

VgicTimerPpis vgic_kvm_timer_lines(Vcpu *vcpu, bool vtimer, bool ptimer)
{
	Vgic *vgic = vm_vgic(vcpu->vm);
	if (!vgic)
		return {};
	// The vCPU's own thread is the only one to change its PPIs' line and active state
	// while it may run (the VMM's register access locks every vCPU): read unlocked.
	const VgicIrq &v = vcpu->arch.vgic_cpu->private_irqs[vtimer_ppi];
	const VgicIrq &p = vcpu->arch.vgic_cpu->private_irqs[ptimer_ppi];
	// Within one KVM_RUN only the timers drive their PPIs (they own them): an unchanged
	// line needs no vGIC lock. Most entries change nothing; this saves two lock round
	// trips on each. A mapped line the LR consumed is the exception: high again with
	// nothing pending or active, the guest has deactivated it while the timer still (or
	// again) fires, and it is a new interrupt.
	const u32 lines = (vtimer ? 1u : 0u) | (ptimer ? 2u : 0u);
	const bool v_again = v.hw && vtimer && !v.line_level && !v.active;
	const bool p_again = p.hw && ptimer && !p.line_level && !p.active;
	// Each injection takes the vGIC lock: only the lines that need one (both after the
	// vGIC's state was set from outside: timer_lines_unknown).
	const u32 old = vcpu->arch.vgic_timer_lines;
	const u32 changed = old == timer_lines_unknown ? 3u : lines ^ old;
	if (changed & 1 || v_again)
		vgic_inject_irq(vgic, vcpu->idx, vtimer_ppi, vtimer, &timer_owner);
	if (changed & 2 || p_again)
		vgic_inject_irq(vgic, vcpu->idx, ptimer_ppi, ptimer, &timer_owner);
	vcpu->arch.vgic_timer_lines = lines;
	// What the vGIC holds of each mapped timer: upstream's physical active state.
	VgicTimerPpis t;
	t.mapped = (v.hw ? 1u : 0u) | (p.hw ? 2u : 0u);
	t.held = (v.hw && (v.line_level || v.active) ? 1u : 0u) |
		 (p.hw && (p.line_level || p.active) ? 2u : 0u);
	return t;
}

void vgic_kvm_flush(Vcpu *vcpu)
{
	VgicCpu *cpu = vcpu->arch.vgic_cpu;
	store_release(&vcpu->arch.vgic_kicked, 0u);
	full_barrier(); // the flag is clear before the flush looks at the ap list unlocked
	// Held off while another vCPU changes active states: the entry aborts and retries.
	if (!vgic_flush_lr_state(cpu))
		store_release(&vcpu->arch.vgic_kicked, 1u);
	vcpu->arch.cpu.gic = &cpu->cpuif;
	vcpu->arch.cpu.gic_nr_apr = nr_apr(registry().host.arm64_ich_vtr);
	kvmx_host_arm64_gic_maint_irq();
}

bool vgic_kvm_entry_abort(Vcpu *vcpu)
{
	return load_acquire(&vcpu->arch.vgic_kicked) != 0;
}

void vgic_kvm_sync(Vcpu *vcpu)
{
	// A mapped timer's LR: the guest may have deactivated the host interrupt with it.
	const VgicCpu *cpu = vcpu->arch.vgic_cpu;
	const VgicCpuIf &cif = cpu->cpuif;
	const unsigned int *hw = registry().host.arm64_timer_hwintid;
	const bool mapped = cpu->private_irqs[vtimer_ppi].hw || cpu->private_irqs[ptimer_ppi].hw;
	for (u32 i = 0; mapped && i < cif.used_lrs && i < vgic_max_lrs; i++) {
		if (!(cif.lr[i] & ICH_LR_HW))
			continue;
		const u32 pintid = static_cast<u32>(cif.lr[i] >> ICH_LR_PINTID_SHIFT) & 0x3ff;
		kvmx_host_arm64_timer_active_unknown(pintid == hw[0] ? 0 : 1);
	}
	VgicSyncResult res;
	vgic_sync_lr_state(vcpu->arch.vgic_cpu, &res);
	u32 n = res.nr_acked < vgic_max_lrs ? res.nr_acked : vgic_max_lrs;
	for (u32 i = 0; i < n; i++)
		vcpu->arch.vgic_acked[i] = res.acked_spi_pins[i];
	vcpu->arch.vgic_nr_acked = n;
}

void vgic_kvm_sync_done(Vcpu *vcpu)
{
	u32 n = vcpu->arch.vgic_nr_acked;
	if (!n)
		return;
	// Pins are GSIs under the default routing (upstream's, and QEMU's own table).
	for (u32 i = 0; i < n; i++)
		irqfd_resample(vcpu->vm, vcpu->arch.vgic_acked[i]);
	vcpu->arch.vgic_nr_acked = 0;
	irqfd_resample_flush(vcpu->vm);
}

bool vgic_kvm_pending(Vcpu *vcpu)
{
	Vgic *vgic = vm_vgic(vcpu->vm);
	return vgic && vcpu->arch.vgic_cpu && vgic_vcpu_pending_irq(vgic, vcpu->arch.vgic_cpu);
}

bool vgic_kvm_mmio(Vcpu *vcpu, u64 ipa, u32 len, bool is_write, u64 *val)
{
	Vgic *vgic = vm_vgic(vcpu->vm);
	if (!vgic || !load_acquire(&vgic->ready))
		return false;
	return vgic_mmio_access(vgic, vcpu->arch.vgic_cpu, ipa, len, is_write, val) ||
	       vgic_its_mmio_access(vgic, ipa, len, is_write, val);
}

SysregClaim vgic_kvm_sysreg(Vcpu *vcpu, u32 enc, bool read, u64 *val)
{
	// op0=3 CRn=12: ICC_SGI1R_EL1 (op1 0, CRm 11, op2 5), ICC_ASGI1R_EL1 (1, 11, 6),
	// ICC_SGI0R_EL1 (2, 11, 7), ICC_SRE_EL1 (0, 12, 5).
	const bool sgi1 = enc == sysreg_enc(3, 0, 12, 11, 5);
	const bool sgi0 = enc == sysreg_enc(3, 1, 12, 11, 6) || enc == sysreg_enc(3, 2, 12, 11, 7);
	const bool sre = enc == sysreg_enc(3, 0, 12, 12, 5);
	if (!sgi1 && !sgi0 && !sre)
		return SysregClaim::not_mine;
	Vgic *vgic = vm_vgic(vcpu->vm);
	VgicCpu *cpu = vcpu->arch.vgic_cpu;
	if (!vgic || !cpu)
		return SysregClaim::undef;
	if (sre) {
		if (read)
			*val = cpu->cpuif.sre; // writes ignored: SRE is fixed, as upstream
		return SysregClaim::done;
	}
	if (read)
		return SysregClaim::undef; // the SGI registers are write-only
	vgic_dispatch_sgi(vgic, cpu, *val, sgi1);
	return SysregClaim::done;
}

long vgic_kvm_irq_line(Vm *vm, u32 irq, bool level)
{
	Vgic *vgic = vm_vgic(vm);
	if (!vgic)
		return -ENXIO;
	return vgic_irq_line(vgic, irq, level);
}

int vgic_kvm_set_spi(Vm *vm, u32 pin, int level)
{
	Vgic *vgic = vm_vgic(vm);
	if (!vgic)
		return -ENXIO;
	return vgic_set_spi(vgic, pin, level != 0);
}

int vgic_kvm_inject_msi(Vm *vm, u64 address, u32 data, u32 devid, u32 flags)
{
	Vgic *vgic = vm_vgic(vm);
	if (!vgic)
		return -ENODEV;
	return vgic_its_inject_msi(vgic, address, data, devid, flags);
}

bool vgic_kvm_has_its(const Vm *vm)
{
	Vgic *vgic = vm_vgic(vm);
	return vgic && load_acquire(&vgic->has_its);
}

u32 vgic_kvm_nr_spis(const Vm *vm)
{
	Vgic *vgic = vm_vgic(vm);
	return vgic && load_acquire(&vgic->initialized) ? vgic->nr_spis : 0;
}

} // namespace kvmx

extern "C" long kvmx_arm64_vgic_dev_ioctl(struct kvmx_vgic_dev *dev, unsigned int cmd,
					  unsigned long arg)
{
	if (kvmx::vm_is_dead(dev->vm))
		return -EIO;
	switch (cmd) {
	case KVM_SET_DEVICE_ATTR:
	case KVM_GET_DEVICE_ATTR:
	case KVM_HAS_DEVICE_ATTR:
		return kvmx::dev_attr(kvmx::vm_vgic(dev->vm), dev->its, cmd, arg);
	default:
		return -ENOTTY;
	}
}

extern "C" void kvmx_arm64_vgic_dev_release(struct kvmx_vgic_dev *dev)
{
	kvmx::vm_put(dev->vm);
	kvmx::destroy(dev);
}
