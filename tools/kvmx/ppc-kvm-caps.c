// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-caps: KVM_CHECK_EXTENSION of every capability upstream's <linux/kvm.h> defines, on
 * /dev/kvm and on a VM fd, whichever hypervisor owns /dev/kvm (kvm-hv or kvmx): the whole
 * list a VMM may ask for at once, where QEMU names only the first one it misses.
 * One line per capability: "<NAME> <number> <on /dev/kvm> <on the VM>" (-1: error).
 * The names come from build/<arch>/kvm_cap_names.h, generated from the uapi header.
 * Then, on POWER, what the VM answers to KVM_PPC_GET_SMMU_INFO, KVM_PPC_GET_RMMU_INFO and
 * KVM_PPC_GET_CPU_CHAR (or the errno), one "<IOCTL> <field>=<value>..." line each.
 * Usage: kvm-caps [VM type] (default 0). Exit status 1 if /dev/kvm cannot be opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>

struct cap_name {
	int number;
	const char *name;
};

static const struct cap_name caps[] = {
#include "kvm_cap_names.h"
};

#ifdef __powerpc64__
static void ppc_infos(int vm)
{
	struct kvm_ppc_smmu_info smmu;
	struct kvm_ppc_rmmu_info rmmu;
	struct kvm_ppc_cpu_char cc;
	int i, j;

	memset(&smmu, 0, sizeof(smmu));
	if (ioctl(vm, KVM_PPC_GET_SMMU_INFO, &smmu)) {
		printf("KVM_PPC_GET_SMMU_INFO %s\n", strerror(errno));
	} else {
		printf("KVM_PPC_GET_SMMU_INFO flags=%#llx slb_size=%u data_keys=%u instr_keys=%u",
		       (unsigned long long)smmu.flags, smmu.slb_size, smmu.data_keys,
		       smmu.instr_keys);
		for (i = 0; i < KVM_PPC_PAGE_SIZES_MAX_SZ && smmu.sps[i].page_shift; i++) {
			printf(" sps%d=%u/%#x", i, smmu.sps[i].page_shift, smmu.sps[i].slb_enc);
			for (j = 0; j < KVM_PPC_PAGE_SIZES_MAX_SZ && smmu.sps[i].enc[j].page_shift;
			     j++)
				printf(",%u:%#x", smmu.sps[i].enc[j].page_shift,
				       smmu.sps[i].enc[j].pte_enc);
		}
		printf("\n");
	}
	memset(&rmmu, 0, sizeof(rmmu));
	if (ioctl(vm, KVM_PPC_GET_RMMU_INFO, &rmmu)) {
		printf("KVM_PPC_GET_RMMU_INFO %s\n", strerror(errno));
	} else {
		printf("KVM_PPC_GET_RMMU_INFO");
		for (i = 0; i < 8 && rmmu.geometries[i].page_shift; i++)
			printf(" geom%d=%u:%u,%u,%u,%u", i, rmmu.geometries[i].page_shift,
			       rmmu.geometries[i].level_bits[0], rmmu.geometries[i].level_bits[1],
			       rmmu.geometries[i].level_bits[2], rmmu.geometries[i].level_bits[3]);
		for (i = 0; i < 8 && rmmu.ap_encodings[i]; i++)
			printf(" ap%d=%#x", i, rmmu.ap_encodings[i]);
		printf("\n");
	}
	memset(&cc, 0, sizeof(cc));
	if (ioctl(vm, KVM_PPC_GET_CPU_CHAR, &cc))
		printf("KVM_PPC_GET_CPU_CHAR %s\n", strerror(errno));
	else
		printf("KVM_PPC_GET_CPU_CHAR character=%#llx/%#llx behaviour=%#llx/%#llx\n",
		       (unsigned long long)cc.character, (unsigned long long)cc.character_mask,
		       (unsigned long long)cc.behaviour, (unsigned long long)cc.behaviour_mask);
}
#endif

int main(int argc, char **argv)
{
	unsigned long type = argc > 1 ? strtoul(argv[1], NULL, 0) : 0;
	int kvm, vm;
	size_t i;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		fprintf(stderr, "kvm-caps: open /dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, type);
	if (vm < 0)
		fprintf(stderr, "kvm-caps: KVM_CREATE_VM(%lu): %s\n", type, strerror(errno));
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		int sys = ioctl(kvm, KVM_CHECK_EXTENSION, caps[i].number);
		int onvm = vm < 0 ? -1 : ioctl(vm, KVM_CHECK_EXTENSION, caps[i].number);

		printf("%s %d %d %d\n", caps[i].name, caps[i].number, sys, onvm);
	}
#ifdef __powerpc64__
	if (vm >= 0)
		ppc_infos(vm);
#endif
	if (vm >= 0)
		close(vm);
	close(kvm);
	return 0;
}
