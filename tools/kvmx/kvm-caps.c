// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-caps: KVM_CHECK_EXTENSION of every capability upstream's <linux/kvm.h> defines, on
 * /dev/kvm and on a VM fd (KVM_CREATE_VM type 0), whichever hypervisor owns /dev/kvm.
 * A VMM such as QEMU names only the first capability it misses; the vmm suite prints this
 * list on the built-in KVM and on kvmx so that every difference shows at once.
 * Prints "KVM_CAP_<NAME> (<number>): <on /dev/kvm> <on the VM>" for each capability that
 * reads non-zero on either fd (a failed check prints as its -errno).
 * The list comes from the build: KVM_CAP_LIST_H names a header of
 * KVM_CAP_ENTRY(<number>, KVM_CAP_<NAME>) lines made from the installed <linux/kvm.h> (by
 * number: some constants are defined for other architectures only).
 * Exit status 0, or 1 when /dev/kvm cannot be opened or the VM cannot be created.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>

struct kvm_cap_entry {
	long number;
	const char *name;
};

static const struct kvm_cap_entry caps[] = {
#define KVM_CAP_ENTRY(number, constant) { number, #constant },
#include KVM_CAP_LIST_H
#undef KVM_CAP_ENTRY
};

static int check(int fd, long cap)
{
	int value = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	return value < 0 ? -errno : value;
}

int main(void)
{
	int kvm, vm;
	size_t i;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		fprintf(stderr, "kvm-caps: open /dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		fprintf(stderr, "kvm-caps: KVM_CREATE_VM: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		int on_kvm = check(kvm, caps[i].number);
		int on_vm = check(vm, caps[i].number);

		if (on_kvm || on_vm)
			printf("%s (%ld): %d %d\n", caps[i].name, caps[i].number, on_kvm, on_vm);
	}
	close(vm);
	close(kvm);
	return 0;
}
