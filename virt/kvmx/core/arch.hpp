// SPDX-License-Identifier: GPL-2.0
// What the arch-neutral core asks of arch/<arch>/kvm/. One implementation per arch is
// linked in at build time; there is no run-time arch dispatch.
#pragma once

#include "base.hpp"
#include <kvmx/core.h>
#include <linux/kvm.h>
#include "arch_vm.hpp"	 // struct ArchVm, from arch/<arch>/kvm/
#include "arch_vcpu.hpp" // struct ArchVcpu, from arch/<arch>/kvm/

namespace kvmx {

// Check the host facts once at load; -ENODEV (with a log line) if this host cannot run.
Status arch_init(const kvmx_host_info &host);

// Validate KVM_CREATE_VM's type argument and set up the arch part of a new VM.
Status arch_vm_init(ArchVm &arch, unsigned long type);

// Second stage of VM creation, once the core VM exists (stage 2, VMID); undone by
// arch_vm_destroy, which also runs after a failed arch_vm_create.
Status arch_vm_create(Vm *vm);
void arch_vm_destroy(Vm *vm);

// VM ioctls the core does not know; unknown_ioctl(cmd) for those the arch does not either.
long arch_vm_ioctl(Vm *vm, unsigned int cmd, unsigned long arg);

// Remove guest mappings of [gfn, gfn + npages) and the TLB entries caching them. Called
// with vm->mmu_lock held (never sleeps).
void arch_vm_unmap_gfns(Vm *vm, u64 gfn, u64 npages);

// vCPU lifetime: create runs under the VM lock before the vCPU is visible; destroy runs
// when the VM is freed.
Status arch_vcpu_create(Vcpu *vcpu);
void arch_vcpu_destroy(Vcpu *vcpu);

// Make the vCPU leave the guest promptly if it is running there (any thread).
void arch_vcpu_kick(Vcpu *vcpu);

// vCPU ioctls the core does not know, with the vCPU lock held.
long arch_vcpu_ioctl(Vcpu *vcpu, unsigned int cmd, unsigned long arg);
// vCPU ioctls that must not wait for the vCPU lock (any thread, also while KVM_RUN runs):
// true and the result in *ret when @cmd is one of them.
bool arch_vcpu_async_ioctl(Vcpu *vcpu, unsigned int cmd, unsigned long arg, long *ret);

// KVM_RUN, in two parts. run_prepare: may this vCPU run (-ENOEXEC before VCPU_INIT),
// and finish the userspace exit it returns from (MMIO read data). run_once: enter the
// guest once and handle the exit; exit_user when kvm_run holds an exit for userspace.
enum class RunStep { resume, exit_user };
Status arch_vcpu_run_prepare(Vcpu *vcpu);
// Every return from KVM_RUN after a successful run_prepare: state kvm_run reports back.
void arch_vcpu_run_done(Vcpu *vcpu);
Result<RunStep> arch_vcpu_run_once(Vcpu *vcpu);

// The VM's in-kernel interrupt controller, if it has one, is ready to take interrupts
// from irqfds and KVM_SIGNAL_MSI (arm64: an initialised vGIC; none yet: false).
bool arch_irqchip_ready(const Vm *vm);
// Judge one KVM_SET_GSI_ROUTING entry (type and its union member): 0 or -EINVAL.
Status arch_routing_entry_check(const Vm *vm, const kvm_irq_routing_entry &e);
// Drive the target of a routing entry to @level. Any context (irqfds fire with a
// wait-queue lock held and interrupts off): never sleeps. 0 or -errno.
int arch_set_irq(Vm *vm, const kvm_irq_routing_entry &e, int level);
// An irqfd without a resample eventfd fires: upstream raises its GSI and lowers it again
// (a pulse), except where the arch's atomic path takes the injection and only raises it
// (arm64's vGIC: kvm_arch_set_irq_inatomic leaves a level SPI high until userspace or the
// guest lowers it). true: raise only.
bool arch_irqfd_raise_only(const Vm *vm);
// KVM_SIGNAL_MSI once the core has checked the flags and the irqchip: >= 0 or -errno.
long arch_signal_msi(Vm *vm, const kvm_msi &msi);
// Where no installed route names a GSI: the route the arch gives every GSI by itself, if
// any (POWER: the GSI is the interrupt source number of the XIVE device, upstream's
// kvm_irq_map_gsi; arm64: none). Any context, never sleeps.
bool arch_gsi_direct(const Vm *vm, u32 gsi, kvm_irq_routing_entry *e);

// Value of an arch capability for KVM_CHECK_EXTENSION; @vm is null on /dev/kvm.
long arch_check_extension(const Vm *vm, u64 cap);

} // namespace kvmx
