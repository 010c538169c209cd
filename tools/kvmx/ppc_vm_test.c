// SPDX-License-Identifier: GPL-2.0
/*
 * ppc_vm_test: what kvmx does on a POWER9 (powernv) host today, as TAP. The radix HV VM
 * path up to the point where a guest would run: KVM_CREATE_VM (HV accepted, PR refused),
 * KVM_PPC_CONFIGURE_V3_MMU checks, a memslot, KVM_CREATE_VCPU and its kvm_run mmap, and
 * KVM_RUN's immediate_exit. The POWER capabilities read what works: radix HV guests,
 * PAPR hypercalls and stop0lite, not (yet) XIVE. Guests themselves: ppc_run_test. Run
 * inside the powernv9 host with kvmx.ko loaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/kvmx.h>
#include "tap.h"

static int mmu_cfg_fails(int vm, __u64 flags, __u64 table)
{
	struct kvm_ppc_mmuv3_cfg cfg = { .flags = flags, .process_table = table };
	return fails_with(vm, KVM_PPC_CONFIGURE_V3_MMU, &cfg, EINVAL);
}

int main(void)
{
	const __u64 gr = 1ull << 63, mem_size = 1 << 20;
	struct kvm_ppc_mmuv3_cfg cfg;
	struct kvm_userspace_memory_region region;
	struct kvm_run *run;
	int kvm, vm, vcpu, mmap_size;
	void *mem;

	printf("1..16\n");
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("Bail out! open /dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	check(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_PPC_MMU_RADIX) == 1 &&
		      ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_PPC_PAPR) == 1 &&
		      ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_PPC_IRQ_XIVE) == 1 &&
		      ioctl(kvm, KVM_CHECK_EXTENSION, KVMX_CAP_PPC_STOP0LITE) == 1,
	      "ppc_caps_read_what_works");
	check(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) == 1,
	      "generic_cap_user_memory_reads_1");
	check(fails_with(kvm, KVM_CREATE_VM, (void *)(long)KVM_VM_PPC_PR, EINVAL),
	      "create_vm_pr_refused_einval");
	check(fails_with(kvm, KVM_CREATE_VM, (void *)7l, EINVAL), "create_vm_bad_type_einval");
	vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_PPC_HV);
	check(vm >= 0, "create_vm_hv");
	if (vm < 0) {
		printf("Bail out! KVM_CREATE_VM(KVM_VM_PPC_HV): %s\n", strerror(errno));
		return 1;
	}
	check(mmu_cfg_fails(vm, KVM_PPC_MMUV3_RADIX | 4, gr), "mmuv3_unknown_flag_einval");
	check(mmu_cfg_fails(vm, 0, 0), "mmuv3_hash_guest_einval");
	check(mmu_cfg_fails(vm, KVM_PPC_MMUV3_RADIX, 0x10000), "mmuv3_radix_without_gr_einval");
	check(mmu_cfg_fails(vm, KVM_PPC_MMUV3_RADIX, gr | 25), "mmuv3_prts_too_big_einval");
	check(fails_with(vm, KVM_PPC_CONFIGURE_V3_MMU, (void *)8l, EFAULT),
	      "mmuv3_bad_pointer_efault");
	cfg.flags = KVM_PPC_MMUV3_RADIX | KVM_PPC_MMUV3_GTSE;
	cfg.process_table = gr | 0x10000;
	check(ioctl(vm, KVM_PPC_CONFIGURE_V3_MMU, &cfg) == 0, "mmuv3_radix_gtse_accepted");

	mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = mem_size,
		.userspace_addr = (unsigned long)mem,
	};
	check(mem != MAP_FAILED && ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) == 0,
	      "memslot_at_gpa_0");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	check(vcpu >= 0, "create_vcpu_0");
	mmap_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, mmap_size > 0 ? mmap_size : 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu,
		   0);
	check(mmap_size > 0 && run != MAP_FAILED, "kvm_run_mmap");
	if (run != MAP_FAILED)
		run->immediate_exit = 1;
	check(run != MAP_FAILED && fails_with(vcpu, KVM_RUN, NULL, EINTR),
	      "kvm_run_immediate_exit_eintr");
	/* The XIVE device is kvmx's only one on POWER9 (ppc_xive_test covers it); the legacy
	 * XICS and the FSL MPICs are not offered. */
	check(fails_with(vm, KVM_CREATE_DEVICE,
			 &(struct kvm_create_device){ .type = KVM_DEV_TYPE_XICS }, ENODEV) &&
		      fails_with(vm, KVM_CREATE_DEVICE,
				 &(struct kvm_create_device){ .type = KVM_DEV_TYPE_FSL_MPIC_20 },
				 ENODEV) &&
		      ioctl(vm, KVM_CREATE_DEVICE,
			    &(struct kvm_create_device){ .type = KVM_DEV_TYPE_XIVE,
							 .flags = KVM_CREATE_DEVICE_TEST }) == 0,
	      "create_device_xive_only");
	if (run != MAP_FAILED)
		munmap(run, mmap_size);
	close(vcpu);
	close(vm);
	close(kvm);
	return tap_failed ? 1 : 0;
}
