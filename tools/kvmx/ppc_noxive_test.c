// SPDX-License-Identifier: GPL-2.0
/*
 * ppc_noxive_test: kvmx on a powernv host whose kernel runs without XIVE (booted with
 * xive=off: interrupts go through OPAL's XICS emulation), as TAP. The XIVE native
 * exploitation device cannot work there (issue 7 item 5): its capability reads 0,
 * KVM_CREATE_DEVICE(KVM_DEV_TYPE_XIVE) fails ENODEV (also as a KVM_CREATE_DEVICE_TEST
 * probe), a vCPU's KVM_ENABLE_CAP(KVM_CAP_PPC_IRQ_XIVE) fails ENXIO for a fd that is no
 * XIVE device and EBADF for no fd at all. Radix HV VMs themselves still work (ppc_run_test
 * runs guests in the same suite). Run inside that host with kvmx.ko loaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/kvmx.h>
#include "tap.h"

static int create_xive_fails(int vm, __u32 flags)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_XIVE, .flags = flags };
	return fails_with(vm, KVM_CREATE_DEVICE, &cd, ENODEV);
}

static int enable_xive_fails(int vcpu, __u64 fd, int err)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_PPC_IRQ_XIVE, .args = { fd, 0 } };
	return fails_with(vcpu, KVM_ENABLE_CAP, &cap, err);
}

int main(void)
{
	long allocs_before, allocs_after;
	int kvm, vm, vcpu, null_fd;

	printf("1..9\n");
	allocs_before = live_allocs();
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("Bail out! open /dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	check(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_PPC_IRQ_XIVE) == 0,
	      "cap_ppc_irq_xive_reads_0");
	/* Without XIVE the rest of the POWER back end is unchanged. */
	check(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_PPC_MMU_RADIX) == 1 &&
		      ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_PPC_PAPR) == 1,
	      "radix_and_papr_caps_still_read_1");
	vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_PPC_HV);
	check(vm >= 0, "create_vm_hv");
	if (vm < 0) {
		printf("Bail out! KVM_CREATE_VM(KVM_VM_PPC_HV): %s\n", strerror(errno));
		return 1;
	}
	check(ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_PPC_IRQ_XIVE) == 0,
	      "cap_ppc_irq_xive_reads_0_on_vm");
	check(create_xive_fails(vm, 0), "create_device_xive_enodev");
	check(create_xive_fails(vm, KVM_CREATE_DEVICE_TEST), "create_device_xive_test_enodev");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0) {
		printf("Bail out! KVM_CREATE_VCPU: %s\n", strerror(errno));
		return 1;
	}
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	check(null_fd >= 0 && enable_xive_fails(vcpu, null_fd, ENXIO) &&
		      enable_xive_fails(vcpu, vm, ENXIO),
	      "vcpu_enable_cap_irq_xive_non_xive_fd_enxio");
	check(enable_xive_fails(vcpu, 1000, EBADF), "vcpu_enable_cap_irq_xive_bad_fd_ebadf");
	close(null_fd);
	close(vcpu);
	close(vm);
	close(kvm);
	allocs_after = live_allocs();
	if (allocs_before != allocs_after)
		printf("# live_allocs %ld before, %ld after\n", allocs_before, allocs_after);
	check(allocs_before >= 0 && allocs_before == allocs_after, "no_allocation_leaked");
	return tap_failed ? 1 : 0;
}
