// SPDX-License-Identifier: GPL-2.0
/*
 * kvmx-probe: open /dev/kvm, print KVM_GET_API_VERSION and one line per capability kvmx
 * knows (include/kvmx/caps.def), "KVM_CAP_<NAME> (<number>): <value>".
 * With -q [N]: print nothing, just create N VMs (default 1) and close them all (used by
 * the load/unload loop).
 * Exit status 0 on success, 1 if /dev/kvm misbehaves.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <linux/kvmx.h>

#include <kvmx/cap_names.h>

int main(int argc, char **argv)
{
	int quiet = argc > 1 && !strcmp(argv[1], "-q");
	int nr_vms = quiet && argc > 2 ? atoi(argv[2]) : 1;
	int kvm, vm[64], version, n;
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
		fprintf(stderr, "kvmx-probe: API version %d, expected %d\n", version,
			KVM_API_VERSION);
		return 1;
	}
	if (quiet) {
		if (nr_vms < 1 || nr_vms > 64)
			nr_vms = 1;
		for (n = 0; n < nr_vms; n++) {
			vm[n] = ioctl(kvm, KVM_CREATE_VM, 0);
			if (vm[n] < 0) {
				fprintf(stderr, "kvmx-probe: KVM_CREATE_VM: %s\n", strerror(errno));
				return 1;
			}
		}
		while (n--)
			close(vm[n]);
		close(kvm);
		return 0;
	}
	for (i = 0; i < KVMX_NR_KNOWN_CAPS; i++) {
		int value = ioctl(kvm, KVM_CHECK_EXTENSION, kvmx_known_caps[i].number);

		if (value < 0) {
			fprintf(stderr, "kvmx-probe: %s: %s\n", kvmx_known_caps[i].name,
				strerror(errno));
			return 1;
		}
		printf("%s (%lu): %d\n", kvmx_known_caps[i].name, kvmx_known_caps[i].number, value);
	}
	close(kvm);
	return 0;
}
