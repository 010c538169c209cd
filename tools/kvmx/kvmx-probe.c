// SPDX-License-Identifier: GPL-2.0
/*
 * kvmx-probe: open /dev/kvm, print KVM_GET_API_VERSION and one line per capability kvmx
 * knows (include/kvmx/caps.def), "KVM_CAP_<NAME> (<number>): <value>".
 * With -q: print nothing, just create and close one VM (used by the load/unload loop).
 * Exit status 0 on success, 1 if /dev/kvm misbehaves.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <linux/kvmx.h>

struct cap_name {
	unsigned long number;
	const char *name;
};

static const struct cap_name caps[] = {
#define KVMX_CAP(constant) { constant, #constant },
#include <kvmx/caps.def>
#undef KVMX_CAP
};

int main(int argc, char **argv)
{
	int quiet = argc > 1 && !strcmp(argv[1], "-q");
	int kvm, vm, version;
	size_t i;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		fprintf(stderr, "kvmx-probe: open /dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	version = ioctl(kvm, KVM_GET_API_VERSION, 0);
	if (!quiet)
		printf("KVM_GET_API_VERSION: %d\n", version);
	if (version != KVM_API_VERSION) {
		fprintf(stderr, "kvmx-probe: API version %d, expected %d\n", version, KVM_API_VERSION);
		return 1;
	}
	if (quiet) {
		vm = ioctl(kvm, KVM_CREATE_VM, 0);
		if (vm < 0) {
			fprintf(stderr, "kvmx-probe: KVM_CREATE_VM: %s\n", strerror(errno));
			return 1;
		}
		close(vm);
		close(kvm);
		return 0;
	}
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		int value = ioctl(kvm, KVM_CHECK_EXTENSION, caps[i].number);

		if (value < 0) {
			fprintf(stderr, "kvmx-probe: %s: %s\n", caps[i].name, strerror(errno));
			return 1;
		}
		printf("%s (%lu): %d\n", caps[i].name, caps[i].number, value);
	}
	close(kvm);
	return 0;
}
