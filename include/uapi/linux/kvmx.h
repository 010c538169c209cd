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
#include <linux/kvm.h>

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

/*
 * Upstream ABI newer than the kernel headers kvmx is built against (Debian 12's 6.1),
 * which kvmx offers on that kernel. These are upstream's own definitions, numbers and
 * layouts from upstream's <linux/kvm.h> (the version that introduced each is given), so
 * that kvmx and userspace built against 6.1 headers use them; with newer headers, the
 * headers' definitions are used and these are skipped.
 */
#ifndef KVM_CAP_USER_MEMORY2
/* Linux 6.8: KVM_SET_USER_MEMORY_REGION2, a memslot with room for guest_memfd. */
#define KVM_CAP_USER_MEMORY2 231
struct kvm_userspace_memory_region2 {
	__u32 slot;
	__u32 flags;
	__u64 guest_phys_addr;
	__u64 memory_size;
	__u64 userspace_addr;
	__u64 guest_memfd_offset;
	__u32 guest_memfd;
	__u32 pad1;
	__u64 pad2[14];
};
#define KVM_SET_USER_MEMORY_REGION2 _IOW(KVMIO, 0x49, struct kvm_userspace_memory_region2)
#define KVM_MEM_GUEST_MEMFD (1UL << 2)
#endif
#ifndef KVM_ARM_VM_SMCCC_CTRL
/*
 * Linux 6.4, arm64: the SMCCC filter, a VM attribute (KVM_SET_DEVICE_ATTR on the VM fd):
 * ranges of SMCCC function ids handled by KVM, denied, or forwarded to userspace as
 * KVM_EXIT_HYPERCALL (with these flags in kvm_run's hypercall.flags, the 64-bit field at
 * hypercall.longmode).
 */
#define KVM_ARM_VM_SMCCC_CTRL 0
#define KVM_ARM_VM_SMCCC_FILTER 0
enum kvm_smccc_filter_action {
	KVM_SMCCC_FILTER_HANDLE = 0,
	KVM_SMCCC_FILTER_DENY,
	KVM_SMCCC_FILTER_FWD_TO_USER,
};
struct kvm_smccc_filter {
	__u32 base;
	__u32 nr_functions;
	__u8 action;
	__u8 pad[15];
};
#define KVM_HYPERCALL_EXIT_SMC (1U << 0)
#define KVM_HYPERCALL_EXIT_16BIT (1U << 1)
#endif
#ifndef KVM_CAP_GUEST_MEMFD
/* Linux 6.8: guest_memfd (kvmx has none: the capability reads 0). */
#define KVM_CAP_GUEST_MEMFD 234
#endif

#ifndef KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES
/*
 * Linux 6.7, arm64: writable ID registers. KVM_CHECK_EXTENSION answers a bitmap of the
 * ranges KVM_ARM_GET_REG_WRITABLE_MASKS (a VM ioctl) describes; range 0 is the feature ID
 * space (op0 3, op1 0/1/3, CRn 0, CRm 0-7, op2 0-7), 192 __u64 masks by
 * KVM_ARM_FEATURE_ID_RANGE_IDX.
 */
#define KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES 230
#define KVM_ARM_GET_REG_WRITABLE_MASKS _IOR(KVMIO, 0xb6, struct reg_mask_range)
#endif
#ifndef KVM_ARM_FEATURE_ID_RANGE
#define KVM_ARM_FEATURE_ID_RANGE_IDX(op0, op1, crn, crm, op2)                                      \
	({                                                                                         \
		__u64 __op1 = (op1)&3;                                                             \
		__op1 -= (__op1 == 3);                                                             \
		(__op1 << 6 | ((crm)&7) << 3 | (op2));                                             \
	})
#define KVM_ARM_FEATURE_ID_RANGE 0
#define KVM_ARM_FEATURE_ID_RANGE_SIZE (3 * 8 * 8)
struct reg_mask_range {
	__u64 addr;	    /* the user array of KVM_ARM_FEATURE_ID_RANGE_SIZE masks */
	__u32 range;	    /* KVM_ARM_FEATURE_ID_RANGE */
	__u32 reserved[13]; /* must be zero */
};
#endif

#endif /* _UAPI_LINUX_KVMX_H */
