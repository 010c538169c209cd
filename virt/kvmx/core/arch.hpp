// SPDX-License-Identifier: GPL-2.0
// What the arch-neutral core asks of arch/<arch>/kvm/. One implementation per arch is
// linked in at build time; there is no run-time arch dispatch.
#pragma once

#include "base.hpp"
#include <kvmx/core.h>
#include "arch_vm.hpp" // struct ArchVm, from arch/<arch>/kvm/

namespace kvmx {

// Check the host facts once at load; -ENODEV (with a log line) if this host cannot run.
Status arch_init(const kvmx_host_info &host);

// Validate KVM_CREATE_VM's type argument and set up the arch part of a new VM.
Status arch_vm_init(ArchVm &arch, unsigned long type);

// Value of an arch capability for KVM_CHECK_EXTENSION; @vm is null on /dev/kvm.
long arch_check_extension(const Vm *vm, u64 cap);

} // namespace kvmx
