// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-caps: KVM_CHECK_EXTENSION of every capability upstream's <linux/kvm.h> defines, on
 * /dev/kvm and on a VM fd, whichever hypervisor owns /dev/kvm (kvm-hv or kvmx): the whole
 * list a VMM may ask for at once, where QEMU names only the first one it misses.
 * One line per capability: "<NAME> <number> <on /dev/kvm> <on the VM>" (-1: error).
 * The names come from build/<arch>/kvm_cap_names.h, generated from the uapi header.
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
	if (vm >= 0)
		close(vm);
	close(kvm);
	return 0;
}
