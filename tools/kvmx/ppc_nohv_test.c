// SPDX-License-Identifier: GPL-2.0
/*
 * ppc_nohv_test: kvmx on a POWER kernel that is not the hypervisor (a pseries guest, no
 * MSR[HV]), as TAP. /dev/kvm answers probes, every POWER capability reads 0 (XIVE native
 * first: issue 7 item 5), KVM_CREATE_VM fails with EINVAL for every type and leaves
 * nothing behind. Run inside the pseries guest with kvmx.ko loaded in no hypervisor mode.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/kvmx.h>
#include "tap.h"

/* The capabilities kvmx's POWER back end decides (arch_check_extension). */
static const struct {
	unsigned long cap;
	const char *name;
} ppc_caps[] = {
	{ KVM_CAP_PPC_IRQ_XIVE, "KVM_CAP_PPC_IRQ_XIVE" },
	{ KVM_CAP_PPC_MMU_RADIX, "KVM_CAP_PPC_MMU_RADIX" },
	{ KVM_CAP_PPC_PAPR, "KVM_CAP_PPC_PAPR" },
	{ KVM_CAP_PPC_UNSET_IRQ, "KVM_CAP_PPC_UNSET_IRQ" },
	{ KVM_CAP_PPC_IRQ_LEVEL, "KVM_CAP_PPC_IRQ_LEVEL" },
	{ KVM_CAP_PPC_SMT, "KVM_CAP_PPC_SMT" },
	{ KVM_CAP_PPC_SMT_POSSIBLE, "KVM_CAP_PPC_SMT_POSSIBLE" },
	{ KVM_CAP_PPC_AIL_MODE_3, "KVM_CAP_PPC_AIL_MODE_3" },
	{ KVMX_CAP_PPC_STOP0LITE, "KVMX_CAP_PPC_STOP0LITE" },
	{ KVM_CAP_PPC_SEGSTATE, "KVM_CAP_PPC_SEGSTATE" },
	{ KVM_CAP_PPC_GET_SMMU_INFO, "KVM_CAP_PPC_GET_SMMU_INFO" },
	{ KVM_CAP_PPC_GET_CPU_CHAR, "KVM_CAP_PPC_GET_CPU_CHAR" },
	{ KVM_CAP_PPC_ENABLE_HCALL, "KVM_CAP_PPC_ENABLE_HCALL" },
	{ KVM_CAP_PPC_FWNMI, "KVM_CAP_PPC_FWNMI" },
	{ KVM_CAP_SPAPR_TCE, "KVM_CAP_SPAPR_TCE" },
	{ KVM_CAP_SPAPR_TCE_64, "KVM_CAP_SPAPR_TCE_64" },
	{ KVM_CAP_SPAPR_MULTITCE, "KVM_CAP_SPAPR_MULTITCE" },
	{ KVM_CAP_ENABLE_CAP, "KVM_CAP_ENABLE_CAP" },
	{ KVM_CAP_DEVICE_CTRL, "KVM_CAP_DEVICE_CTRL" },
	/* Generic, but answered by the POWER back end: nothing to offer without a VM. */
	{ KVM_CAP_ONE_REG, "KVM_CAP_ONE_REG" },
	{ KVM_CAP_SYNC_MMU, "KVM_CAP_SYNC_MMU" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
};

static int caps_read_0(int kvm)
{
	int ok = 1;

	for (unsigned int i = 1; i < sizeof(ppc_caps) / sizeof(ppc_caps[0]); i++) {
		int r = ioctl(kvm, KVM_CHECK_EXTENSION, ppc_caps[i].cap);
		if (r != 0) {
			printf("# %s reads %d\n", ppc_caps[i].name, r);
			ok = 0;
		}
	}
	return ok;
}

/* KVM_CREATE_VM(@type) must fail with EINVAL (no hypervisor mode: no type can run). */
static int create_vm_einval(int kvm, unsigned long type)
{
	int r = ioctl(kvm, KVM_CREATE_VM, type);
	if (r >= 0) {
		printf("# KVM_CREATE_VM(%lu) gave fd %d\n", type, r);
		close(r);
		return 0;
	}
	if (errno != EINVAL) {
		printf("# KVM_CREATE_VM(%lu): errno %d (%s), expected EINVAL\n", type, errno,
		       strerror(errno));
		return 0;
	}
	return 1;
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

int main(void)
{
	long allocs_before, allocs_after;
	int kvm, fds_before, fds_after, all_einval = 1;

	printf("1..9\n");
	allocs_before = live_allocs();
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("Bail out! open /dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	check(ioctl(kvm, KVM_GET_API_VERSION, 0) == KVM_API_VERSION, "api_version_is_12");
	check(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_PPC_IRQ_XIVE) == 0,
	      "cap_ppc_irq_xive_reads_0");
	check(caps_read_0(kvm), "other_ppc_caps_read_0");
	/* The core's generic answers describe the API and its limits, not the host. */
	check(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) == 1 &&
		      ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_CHECK_EXTENSION_VM) == 1,
	      "generic_caps_unchanged");
	check(create_vm_einval(kvm, 0), "create_vm_default_type_einval");
	check(create_vm_einval(kvm, KVM_VM_PPC_HV), "create_vm_hv_einval");
	check(create_vm_einval(kvm, KVM_VM_PPC_PR), "create_vm_pr_einval");
	/* Many refusals: none keeps memory or an fd (and the log line stays rate-limited). */
	fds_before = open_fds();
	for (int i = 0; i < 200; i++)
		all_einval &= create_vm_einval(kvm, i & 1 ? KVM_VM_PPC_HV : 0);
	fds_after = open_fds();
	check(all_einval && fds_before == fds_after, "create_vm_refusals_leave_no_fd");
	close(kvm);
	allocs_after = live_allocs();
	if (allocs_before != allocs_after)
		printf("# live_allocs %ld before, %ld after\n", allocs_before, allocs_after);
	check(allocs_before >= 0 && allocs_before == allocs_after, "no_allocation_leaked");
	return tap_failed ? 1 : 0;
}
