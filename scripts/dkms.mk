# SPDX-License-Identifier: GPL-2.0
# kvmx.ko under DKMS (dkms.conf's MAKE[0], run in /var/lib/dkms/kvmx/<version>/build):
# the kernel's UAPI headers sanitised into ./uapi by scripts/uapi-install.sh, then the
# module from ./Kbuild against the kernel's headers, as the top-level `make module` does.
# dkms passes KERNELRELEASE and -j; CC comes from the headers' .kernelvariables.
# Usage: make -f scripts/dkms.mk KDIR=<headers> KVMX_ARCH=<uname -m> KVMX_VERSION=<version>
KVMX_SRCARCH := $(patsubst aarch64,arm64,$(patsubst ppc64le,powerpc,$(KVMX_ARCH)))
# As the top-level Makefile: pahole skips the C++ units on kernels that make module BTF.
KVMX_PAHOLE_FLAGS := --lang_exclude=rust,c++,c++03,c++11,c++14

.PHONY: all clean
all:
	bash scripts/uapi-install.sh $(KDIR) $(KVMX_SRCARCH) $(CURDIR)/uapi
	$(MAKE) -C $(KDIR) M=$(CURDIR) KVMX_UAPI=$(CURDIR)/uapi KVMX_VERSION=$(KVMX_VERSION) \
		MODULE_PAHOLE_FLAGS=$(KVMX_PAHOLE_FLAGS) modules

clean:
	rm -rf uapi
	find . -name '*.o' -o -name '.*.cmd' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' | \
		xargs rm -f
