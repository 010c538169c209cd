// SPDX-License-Identifier: GPL-2.0
// The in-kernel GICv3 as the rest of arch/arm64/kvm/ sees it: KVM_CREATE_DEVICE and the
// device file, vCPUs joining, the first run, the list registers around each guest run,
// guest register-frame accesses, the trapped ICC_* system registers, KVM_IRQ_LINE and the
// routing hooks. The model itself (vgic.hpp) knows nothing of Vm or Vcpu; this file is
// the only bridge.
#pragma once

#include "base.hpp"
#include "../sysregs.hpp"
#include <linux/kvm.h>

namespace kvmx {

struct Vgic;
struct VgicCpu;

// This host can give VMs a vGIC (the glue found ICH_VTR_EL2 and the maintenance IRQ).
bool vgic_host_ok();

// KVM_CREATE_DEVICE on arm64: KVM_DEV_TYPE_ARM_VGIC_V3 creates the VM's vGIC (cd->fd set,
// or only the check with KVM_CREATE_DEVICE_TEST); -EEXIST for a second one, -EBUSY once a
// vCPU ran, -ENODEV for every other type (the ITS, GICv2) or without host support.
long vgic_kvm_create_device(Vm *vm, kvm_create_device *cd);
// A vCPU created after the vGIC joins it (-EBUSY after INIT, as upstream).
Status vgic_kvm_vcpu_create(Vcpu *vcpu);
void vgic_kvm_vm_destroy(Vm *vm);

// The VM's vGIC: created (upstream's irqchip_in_kernel), initialised (CTRL_INIT done).
bool vgic_kvm_created(const Vm *vm);
bool vgic_kvm_initialized(const Vm *vm);

// Before a vCPU's first run: the frames are placed and INIT done (-ENXIO, -EINVAL,
// -EBUSY as upstream's kvm_vgic_map_resources); the timer takes its PPI.
Status vgic_kvm_first_run(Vcpu *vcpu);

// Around one guest run, interrupts masked. timer_lines drives the timers' PPIs;
// flush fills the list registers and hands them to the world switch (GuestCpu::gic),
// clearing the kick flag; entry_abort is checked once the vCPU is visible as running: a
// kick since flush means an interrupt the LRs miss, so the entry is abandoned. sync folds
// the LRs back after the run (or an abandoned entry); the level SPIs the guest completed
// are then passed to resampling irqfds by sync_done, with interrupts enabled.
// timer_lines returns, bit 0 the virtual timer's PPI, bit 1 the physical one's: which are
// mapped to their host interrupts (ICH_LR_HW), and what the vGIC holds (pending or
// active) of those: what the host interrupts' active state must be.
struct VgicTimerPpis {
	u32 mapped, held;
};
VgicTimerPpis vgic_kvm_timer_lines(Vcpu *vcpu, bool vtimer, bool ptimer);
void vgic_kvm_flush(Vcpu *vcpu);
bool vgic_kvm_entry_abort(Vcpu *vcpu);
void vgic_kvm_sync(Vcpu *vcpu);
void vgic_kvm_sync_done(Vcpu *vcpu);

// WFI: an interrupt the vGIC would present to this vCPU now.
bool vgic_kvm_pending(Vcpu *vcpu);

// A guest access to a vGIC register frame: false if none claims @ipa.
bool vgic_kvm_mmio(Vcpu *vcpu, u64 ipa, u32 len, bool is_write, u64 *val);

// A trapped system-register access (EC 0x18) to ICC_SGI1R_EL1, ICC_ASGI1R_EL1,
// ICC_SGI0R_EL1 or ICC_SRE_EL1: not_mine for any other register; done, or undef (a read of
// a write-only register, or a VM without a vGIC).
SysregClaim vgic_kvm_sysreg(Vcpu *vcpu, u32 enc, bool read, u64 *val);

// An in-kernel device's interrupt (the PMU's overflow interrupt): an SPI the vGIC has
// (upstream's vgic_valid_spi); claim PPI or SPI @intid of @vcpu for @owner (-ENXIO without
// a vGIC, else vgic_set_owner's errors); drive its line, level-sensitive.
bool vgic_kvm_valid_spi(const Vm *vm, u32 intid);
int vgic_kvm_claim_irq(Vcpu *vcpu, u32 intid, const void *owner);
int vgic_kvm_drive_irq(Vcpu *vcpu, u32 intid, bool level, const void *owner);

// KVM_IRQ_LINE of type PPI or SPI with the in-kernel vGIC.
long vgic_kvm_irq_line(Vm *vm, u32 irq, bool level);
// A routing entry of type IRQCHIP (pin = SPI - 32), any context.
int vgic_kvm_set_spi(Vm *vm, u32 pin, int level);
// KVM_SIGNAL_MSI and MSI routes through the VM's ITS: 1 delivered, 0 blocked, -errno.
int vgic_kvm_inject_msi(Vm *vm, u64 address, u32 data, u32 devid, u32 flags);
bool vgic_kvm_has_its(const Vm *vm);
// The SPIs that exist (GSIs 0..n-1 map to them when no route is installed).
u32 vgic_kvm_nr_spis(const Vm *vm);

} // namespace kvmx
