/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kvmx extensions to the KVM ABI.
 *
 * Everything upstream KVM defines is used from <linux/kvm.h> unchanged; this file holds
 * only what kvmx adds. Numbers are taken from ranges upstream does not allocate from, so
 * a future upstream capability can never alias a kvmx one. Every definition here is
 * documented in Documentation/virt/kvmx/api.rst.
 */
#ifndef _UAPI_LINUX_KVMX_H
#define _UAPI_LINUX_KVMX_H

#include <linux/types.h>

/*
 * Capability numbers: upstream allocates KVM_CAP_* densely from 0 (6.1 ends at 224,
 * mainline is still below 300). kvmx allocates from 0x4b580000 ("KX" << 16), which
 * fits the __u32 `cap` field of struct kvm_enable_cap and is far from upstream's range.
 */
#define KVMX_CAP_BASE 0x4b580000U

/*
 * POWER9: emulate a guest `stop` instruction executed with PSSCR[ESL|EC] set (the
 * "stop0lite" idle state) instead of delivering a program interrupt. Must be enabled by
 * the VMM with KVM_ENABLE_CAP on the VM; never switched on by host detection.
 */
#define KVMX_CAP_PPC_STOP0LITE (KVMX_CAP_BASE + 0)

/*
 * arm64 vCPU device attribute, group KVM_ARM_VCPU_PVTIME_CTRL: the revision of the
 * stolen-time structure (Arm DEN0057A) the vCPU's guest sees, as a __u64. GET returns
 * the revision in use; SET accepts only a revision kvmx can provide (-EINVAL otherwise),
 * so that restoring a guest on a host that cannot honour its revision fails at once.
 * Numbered from the kvmx base so that it cannot collide with upstream attributes.
 */
#define KVMX_ARM_VCPU_PVTIME_REVISION (KVMX_CAP_BASE + 0x100)

#endif /* _UAPI_LINUX_KVMX_H */
