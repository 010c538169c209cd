// SPDX-License-Identifier: GPL-2.0
// arm64 VM creation: the IPA-size type argument of KVM_CREATE_VM, the host check done at
// load, and the arm64 capability values. Must not touch system registers (the glue
// reads them and passes the values in), so this file also builds in the unit tests.
#include "aarch32.hpp"
#include "arch.hpp"
#include "id_regs.hpp"
#include "ioctl.hpp"
#include "pvtime.hpp"
#include "registry.hpp"
#include "smccc_filter.hpp"
#include "vcpu.hpp"
#include "vgic/kvm.hpp"
#include "vm.hpp"
#include <linux/kvm.h>
#include <linux/kvmx.h>

namespace kvmx {

namespace {

// ARM ARM D19.2.64: ID_AA64MMFR0_EL1.PARange, bits [3:0], encodes the physical
// address size; 0b0110 (52 bits) needs FEAT_LPA, which a 4KB-granule stage 2 cannot map.
constexpr u32 parange_bits[] = { 32, 36, 40, 42, 44, 48, 52 };
constexpr u32 ipa_min_bits = 32;     // smallest PARange encoding
constexpr u32 ipa_default_bits = 40; // type 0 means 40 bits, as on upstream KVM
constexpr u32 ipa_max_bits_4k = 48;  // stage 2 uses the 4KB granule

} // namespace

u32 arm64_ipa_limit(u64 id_aa64mmfr0)
{
	u32 parange = id_aa64mmfr0 & 0xf;
	if (parange >= sizeof(parange_bits) / sizeof(parange_bits[0]))
		parange = sizeof(parange_bits) / sizeof(parange_bits[0]) - 1;
	u32 bits = parange_bits[parange];
	return bits > ipa_max_bits_4k ? ipa_max_bits_4k : bits;
}

Status arch_init(const kvmx_host_info &host)
{
	if (arm64_ipa_limit(host.arm64_id_aa64mmfr0) < ipa_default_bits) {
		kvmx_host_log(KVMX_LOG_ERR, "kvmx: host IPA range below %u bits\n",
			      ipa_default_bits);
		return Status::error(-ENODEV);
	}
	return Status::ok();
}

Status arch_vm_init(ArchVm &arch, unsigned long type)
{
	if (type & ~static_cast<unsigned long>(KVM_VM_TYPE_ARM_IPA_SIZE_MASK))
		return Status::error(-EINVAL);

	u32 bits = KVM_VM_TYPE_ARM_IPA_SIZE(type);
	if (bits == 0)
		bits = ipa_default_bits;
	else if (bits < ipa_min_bits || bits > arm64_ipa_limit(registry().host.arm64_id_aa64mmfr0))
		return Status::error(-EINVAL);
	arch.ipa_bits = bits;
	return Status::ok();
}

long arch_check_extension(const Vm *vm, u64 cap)
{
	switch (cap) {
	case KVM_CAP_ARM_VM_IPA_SIZE:
		return arm64_ipa_limit(registry().host.arm64_id_aa64mmfr0);
	case KVM_CAP_SYNC_MMU:		    // stage 2 follows the MMU notifier (mmu.cpp)
	case KVM_CAP_ONE_REG:		    // guest.cpp
	case KVM_CAP_IMMEDIATE_EXIT:	    // core vcpu.cpp
	case KVM_CAP_ARM_PSCI:		    // PSCI 0.1 (psci.cpp)
	case KVM_CAP_ARM_PSCI_0_2:	    // PSCI 0.2-1.1 (psci.cpp)
	case KVM_CAP_SET_GUEST_DEBUG:	    // single-step and software breakpoints (guest.cpp)
	case KVM_CAP_ARM_SYSTEM_SUSPEND:    // psci.cpp
	case KVM_CAP_VCPU_ATTRIBUTES:	    // KVM_*_DEVICE_ATTR on vCPUs (PV time)
	case KVM_CAP_READONLY_MEM:	    // read-only memslots: writes exit as MMIO (mmu.cpp)
	case KVM_CAP_MP_STATE:		    // KVM_GET/SET_MP_STATE (guest.cpp)
	case KVM_CAP_VCPU_EVENTS:	    // KVM_GET/SET_VCPU_EVENTS: SError, external abort
	case KVM_CAP_ARM_IRQ_LINE_LAYOUT_2: // KVM_IRQ_LINE's vcpu2_index field
	case KVM_CAP_ARM_USER_IRQ:	    // timer line in kvm_run (timer.cpp)
	case KVM_CAP_DEVICE_CTRL:	    // KVM_CREATE_DEVICE (the vGIC, vgic/kvm.cpp)
		return 1;
	case KVM_CAP_SIGNAL_MSI: // QEMU creates an in-kernel ITS when this reads 1
		return vgic_host_ok() ? 1 : 0;
	case KVM_CAP_MSI_DEVID: // upstream: -EINVAL on /dev/kvm, the VM's ITS on a VM
		return vm ? (vgic_kvm_has_its(vm) ? 1 : 0) : -EINVAL;
	case KVM_CAP_IRQ_ROUTING:
		return max_irq_routes; // irq_routing.cpp; entries validated below
	case KVM_CAP_IRQCHIP:
		return vgic_host_ok() ? 1 : 0; // the in-kernel GICv3 (vgic/)
	case KVM_CAP_STEAL_TIME:	       // pvtime.cpp, if the host scheduler tracks run delay
		return pvtime_host_supported() ? 1 : 0;
	case KVM_CAP_ARM_EL1_32BIT: // KVM_ARM_VCPU_EL1_32BIT (aarch32.cpp)
		return arm64_host_has_aarch32_el1() ? 1 : 0;
	case KVM_CAP_ARM_PMU_V3: // KVM_ARM_VCPU_PMU_V3 (pmu.cpp), where the host has a PMUv3
		return pmu_host_supported() ? 1 : 0;
	case KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES: // writable ID registers (id_regs.cpp)
		return 1 << KVM_ARM_FEATURE_ID_RANGE;
	default:
		// Known but not implemented on arm64 (the in-kernel irqchip's user-IRQ
		// reporting...), or a POWER capability: reads 0, and every use fails.
		return 0;
	}
}

namespace {

long preferred_target(unsigned long arg)
{
	kvm_vcpu_init init = {};
	init.target = KVM_ARM_TARGET_GENERIC_V8;
	return kvmx_host_copy_to_user(arg, &init, sizeof(init)) ? -EFAULT : 0;
}

// KVM_IRQ_LINE (Documentation/virt/kvm/api.rst, arm64): without an in-kernel interrupt
// controller only the vCPUs' IRQ and FIQ inputs exist; with the vGIC only its PPIs and
// SPIs.
long irq_line(Vm *vm, unsigned long arg)
{
	kvm_irq_level level;
	if (kvmx_host_copy_from_user(&level, arg, sizeof(level)))
		return -EFAULT;
	u32 irq = level.irq;
	u32 type = (irq >> KVM_ARM_IRQ_TYPE_SHIFT) & KVM_ARM_IRQ_TYPE_MASK;
	u32 vcpu_idx = ((irq >> KVM_ARM_IRQ_VCPU2_SHIFT) & KVM_ARM_IRQ_VCPU2_MASK) << 8 |
		       ((irq >> KVM_ARM_IRQ_VCPU_SHIFT) & KVM_ARM_IRQ_VCPU_MASK);
	u32 num = (irq >> KVM_ARM_IRQ_NUM_SHIFT) & KVM_ARM_IRQ_NUM_MASK;
	switch (type) {
	case KVM_ARM_IRQ_TYPE_CPU:
		if (vgic_kvm_created(vm))
			return -ENXIO;
		break;
	case KVM_ARM_IRQ_TYPE_PPI:
	case KVM_ARM_IRQ_TYPE_SPI:
		return vgic_kvm_irq_line(vm, irq, level.level != 0); // -ENXIO without a vGIC
	default:
		return -EINVAL;
	}
	if (num > KVM_ARM_IRQ_CPU_FIQ)
		return -EINVAL;
	Vcpu *vcpu = vm_vcpu(vm, vcpu_idx);
	if (!vcpu)
		return -EINVAL;
	u32 bit = num == KVM_ARM_IRQ_CPU_IRQ ? irq_line_irq : irq_line_fiq;
	u32 old = level.level ? __atomic_fetch_or(&vcpu->arch.irq_lines, bit, __ATOMIC_SEQ_CST)
			      : __atomic_fetch_and(&vcpu->arch.irq_lines, ~bit, __ATOMIC_SEQ_CST);
	if ((old & bit) != (level.level ? bit : 0))
		vcpu_kick(vcpu);
	return 0;
}

// The GIC's 1020 interrupt ids less the 32 private ones: routable SPIs (api.rst).
constexpr u32 irqchip_pins = 1020 - 32;

long enable_cap(Vm *vm, unsigned long arg)
{
	kvm_enable_cap cap;
	if (kvmx_host_copy_from_user(&cap, arg, sizeof(cap)))
		return -EFAULT;
	switch (cap.cap) {
	case KVM_CAP_ARM_SYSTEM_SUSPEND:
		vm->arch.system_suspend = true;
		return 0;
	default:
		return -EINVAL;
	}
}

} // namespace

bool arch_irqchip_ready(const Vm *vm)
{
	return vgic_kvm_initialized(vm); // before: irqfds -EAGAIN, KVM_SIGNAL_MSI -EINVAL
}

Status arch_routing_entry_check(const Vm *, const kvm_irq_routing_entry &e)
{
	switch (e.type) {
	case KVM_IRQ_ROUTING_IRQCHIP: // one irqchip (0), pin = SPI number - 32
		return e.u.irqchip.irqchip < 1 && e.u.irqchip.pin < irqchip_pins
			       ? Status::ok()
			       : Status::error(-EINVAL);
	case KVM_IRQ_ROUTING_MSI:
		return Status::ok();
	default:
		return Status::error(-EINVAL);
	}
}

// Upstream installs GSI n -> irqchip 0 pin n for every SPI when the vGIC initialises
// (QEMU then installs the same table itself); kvmx gives every GSI without a route that
// route instead.
bool arch_gsi_direct(const Vm *vm, u32 gsi, kvm_irq_routing_entry *e)
{
	if (gsi >= vgic_kvm_nr_spis(vm))
		return false;
	*e = {};
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = 0;
	e->u.irqchip.pin = gsi;
	return true;
}

int arch_set_irq(Vm *vm, const kvm_irq_routing_entry &e, int level)
{
	if (e.type == KVM_IRQ_ROUTING_IRQCHIP)
		return vgic_kvm_set_spi(vm, e.u.irqchip.pin, level);
	if (!level)
		return 0; // an MSI is an edge: nothing to lower
	u64 addr = static_cast<u64>(e.u.msi.address_hi) << 32 | e.u.msi.address_lo;
	return vgic_kvm_inject_msi(vm, addr, e.u.msi.data, e.u.msi.devid, e.flags);
}

bool arch_irqfd_raise_only(const Vm *)
{
	return true; // as upstream's kvm_arch_set_irq_inatomic for the vGIC's SPIs
}

long arch_signal_msi(Vm *vm, const kvm_msi &msi)
{
	u64 addr = static_cast<u64>(msi.address_hi) << 32 | msi.address_lo;
	return vgic_kvm_inject_msi(vm, addr, msi.data, msi.devid, msi.flags);
}

long arch_vm_ioctl(Vm *vm, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case KVM_ARM_PREFERRED_TARGET:
		return preferred_target(arg);
	case KVM_IRQ_LINE:
		return irq_line(vm, arg);
	case KVM_ENABLE_CAP:
		return enable_cap(vm, arg);
	case KVM_ARM_GET_REG_WRITABLE_MASKS:
		return id_regs_get_writable_masks(arg);
	case KVM_HAS_DEVICE_ATTR:
	case KVM_SET_DEVICE_ATTR:
		return smccc_filter_vm_attr(vm, cmd, arg); // the VM's only attributes
	case KVM_CREATE_DEVICE: {
		// The GICv3 only (no ITS, no GICv2): other types are unknown, as upstream
		// answers for a type it does not support.
		kvm_create_device dev;
		if (kvmx_host_copy_from_user(&dev, arg, sizeof(dev)))
			return -EFAULT;
		long r = vgic_kvm_create_device(vm, &dev);
		if (r)
			return r;
		// As upstream, a failed copy leaves the new fd installed.
		return kvmx_host_copy_to_user(arg, &dev, sizeof(dev)) ? -EFAULT : 0;
	}
	default:
		return unknown_ioctl(cmd);
	}
}

} // namespace kvmx
