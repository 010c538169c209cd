# SPDX-License-Identifier: GPL-2.0
# kvmx top-level driver. The two user commands:
#   make run    install what is needed, build kvmx.ko, boot the QEMU arm64 host, insmod,
#               print the capability table, rmmod, power off
#   make check  everything `make run` needs, plus all tests; ends with "N passed, N failed"
#   make check KVER=6.12 (or make check-6.12)
#               kvmx on Debian's 6.12 arm64 kernel (bookworm-backports): the module built
#               against its headers, sparse, the check boot (kselftests, device, module,
#               fuzzer), the host checks and upstream-compare with its built-in KVM as the
#               reference; results in build/results-6.12, its own summary line. KVER=6.12
#               works with every target (make run KVER=6.12, make run ARCH=powerpc KVER=6.12)
#   make selftests-upstream
#               upstream's KVM selftests on the built-in KVM and on kvmx, side by side
#   make selftests-upstream SRC=6.12
#               the same with the selftests of Debian's linux-source-6.12 (results in
#               build/results/upstream-6.12; not in make check, see the README)
#   make check-debug
#               kvmx's KUnit suites, the kselftests, module suite and fuzzer on the
#               KASAN/lockdep/kmemleak debug kernel (built once from Debian's
#               linux-source-6.1, cached)
#   make fetch  look for a newer Debian kernel (apt-get update, then the meta-package's
#               dependency); otherwise the one found first stays pinned in the cache
#   make fuzz   the ioctl fuzzer alone (FUZZ_CALLS=N, FUZZ_SEED=S to replay a run, FUZZ_THREADS=N)
#   make bench  micro-benchmarks on the built-in KVM and on kvmx, side by side (ICOUNT=1:
#               instruction counts under QEMU -icount instead of wall time)
#   make profile  kvmx's instructions per function on one benchmark's path, under -icount
#               (BENCH_ONLY=sgi, PER=N divides by the benchmark's round trips)
#   make vmm    Debian's arm64 qemu-system-aarch64 as a real VMM inside the QEMU host: nested
#               Linux guests (-accel kvm) on the built-in KVM and on kvmx, side by side
#               (VMM_REPEAT=N boots per case for median/min/max boot times, default 1;
#               VMM_TIMEOUT=S per boot, default 180); the QEMU tree is cached by version
#   make run ARCH=powerpc
#               the same for POWER9: QEMU powernv9 host, insmod, capability table, rmmod
#   make check-ppc
#               the POWER9 suites alone (make check runs them too)
#   make deb    build/deb/kvmx-dkms_<version>_all.deb: the sources for DKMS (dkms.conf), as
#               Debian's dkms packages are; apt install it on an arm64 Debian 12 host
#   make check-dkms
#               that package installed with dpkg on an arm64 Debian root in the QEMU host,
#               built by dkms natively for Debian's 6.1 and 6.12 kernels, modprobe'd on
#               each (not in make check: native builds under TCG take minutes)
#   make vmm ARCH=powerpc
#               Debian's qemu-system-ppc64 -accel kvm boots a pseries guest inside the
#               powernv9 host, on kvm-hv and on kvmx, side by side (make check runs it too)
# The kernel build itself is driven by ./Kbuild (make -C <headers> M=$(CURDIR)).

ARCH ?= arm64
# KVER: the Debian kernel series. Empty (or 6.1): bookworm's own; 6.12: bookworm-backports'
# (scripts/fetch-debian.sh). Each series has its own cache tree, build tree and results.
KVER ?=
override KVER := $(filter-out 6.1,$(KVER))
KTREE := $(ARCH)$(if $(KVER),-$(KVER))
CACHE ?= $(HOME)/.cache/kvmx
export KVMX_CACHE := $(CACHE)
BUILD := $(CURDIR)/build
RESULTS := $(BUILD)/results$(if $(KVER),-$(KVER))
OUT := $(BUILD)/$(KTREE)
UAPI := $(CACHE)/$(KTREE)/uapi
ENV_MK := $(CACHE)/$(KTREE)/env.mk
QEMU_TIMEOUT ?= 900

CROSS_COMPILE-arm64 := aarch64-linux-gnu-
CROSS_COMPILE-powerpc := powerpc64le-linux-gnu-
CROSS_COMPILE ?= $(CROSS_COMPILE-$(ARCH))
KVMX_VERSION := 0.1.0+g$(shell git -C $(CURDIR) rev-parse --short HEAD 2>/dev/null || echo unknown)
# Kernels that make BTF for modules (Debian's 6.12): pahole skips kvmx's C++ compilation
# units as upstream's flags skip Rust's, so BTF describes the C glue (why: Kbuild).
KVMX_PAHOLE_FLAGS := --lang_exclude=rust,c++,c++03,c++11,c++14
KBUILD_ARGS = ARCH=$(ARCH) CROSS_COMPILE=$(CROSS_COMPILE) KVMX_UAPI=$(UAPI) \
	KVMX_VERSION=$(KVMX_VERSION) MODULE_PAHOLE_FLAGS=$(KVMX_PAHOLE_FLAGS)
USER_INCLUDES := -I$(CURDIR)/include -I$(CURDIR)/include/uapi -I$(UAPI)
USER_CFLAGS := -static -O2 -Wall -Wextra -Werror $(USER_INCLUDES)
# The kselftest harness's macros are written for -Wall, not -Wextra.
SELFTEST_CFLAGS := -static -O2 -Wall -Werror -D_GNU_SOURCE $(USER_INCLUDES)

.PHONY: all run check deps fetch module probe selftests-build initramfs unit sparse \
	format-check setup-test module-info selftests fuzz debug-kernel check-debug upstream-build initramfs-upstream selftests-upstream bench \
	summary clean help ppc-tests-build check-ppc qemu-ppc-patched initramfs-vmm vmm kvm-caps \
	check-6.12 deb check-dkms
all: module

help:
	@sed -n 's/^#   //p' Makefile

# Host packages and the cached Debian downloads; env.mk names the kernel ABI found.
NO_ENV_GOALS := clean help deps check-6.12 deb
ifneq ($(filter-out $(NO_ENV_GOALS),$(or $(MAKECMDGOALS),all)),)
include $(ENV_MK)
endif
# env.mk pins the kernel ABI found the first time (scripts/fetch-debian.sh): later runs
# reuse it and run no apt command; `make fetch` refreshes apt's indexes and looks again.
$(ENV_MK):
	bash scripts/setup-host.sh
	bash scripts/fetch-debian.sh $(ARCH) $(KVER) >/dev/null

# Every sub-target of make check comes through here: with the host set up and the cache
# warm this runs no apt command (the setup suite asserts it). fetch-debian.sh then only
# checks the cached tree and the /usr/src link into it.
deps:
	bash scripts/setup-host.sh
	@[ ! -f $(ENV_MK) ] || bash scripts/fetch-debian.sh $(ARCH) $(KVER) >/dev/null

fetch: deps
	bash scripts/apt-update.sh >/dev/null
	KVMX_REFRESH=1 bash scripts/fetch-debian.sh $(ARCH) $(KVER)

$(UAPI)/.done: $(ENV_MK)
	bash scripts/uapi-install.sh $(KVMX_KDIR) $(ARCH) $(UAPI)

# arm64 on 6.1 builds kvmx.ko in the tree. Other arches and kernels build a copy of the
# same sources under build/<arch>[-<kver>]/src, so that their objects never clash.
ifeq ($(ARCH)$(KVER),arm64)
MODSRC := $(CURDIR)
else
MODSRC := $(OUT)/src
endif
KO := $(MODSRC)/kvmx.ko
module: deps $(UAPI)/.done
ifneq ($(MODSRC),$(CURDIR))
	@mkdir -p $(MODSRC)
	rsync -a --delete --exclude='*.o' --exclude='.*.cmd' --exclude='*.ko' --exclude='*.mod*' \
		--exclude='*.a' --exclude='*.symvers' --exclude='*.order' \
		Kbuild include virt arch $(MODSRC)/
endif
	$(MAKE) -C $(KVMX_KDIR) M=$(MODSRC) $(KBUILD_ARGS) modules

PROBE := $(OUT)/kvmx-probe
HELLO := $(OUT)/kvmx-hello
FUZZ := $(OUT)/kvmx-fuzz
probe: $(UAPI)/.done
	@mkdir -p $(OUT)
	$(CROSS_COMPILE)gcc $(USER_CFLAGS) -o $(PROBE) tools/kvmx/kvmx-probe.c
ifeq ($(ARCH),arm64)
	$(CROSS_COMPILE)gcc $(USER_CFLAGS) -D_GNU_SOURCE -o $(HELLO) tools/kvmx/kvmx-hello.c
endif
	$(CROSS_COMPILE)gcc $(USER_CFLAGS) -D_GNU_SOURCE -o $(FUZZ) tools/kvmx/kvmx-fuzz.c -lpthread

# kselftest_harness.h comes from Debian's linux-source-6.1, unpacked at build time.
KSRC := $(CACHE)/linux-source
selftests-build: $(UAPI)/.done
	bash scripts/linux-source.sh $(KSRC) tools/testing/selftests/kselftest_harness.h \
		tools/testing/selftests/kselftest.h
	$(MAKE) -C tools/testing/selftests/kvmx CC=$(CROSS_COMPILE)gcc OUTPUT=$(OUT)/tests \
		KSFT_DIR=$(KSRC)/tools/testing/selftests EXTRA_CFLAGS="$(SELFTEST_CFLAGS)"

INITRAMFS := $(OUT)/initramfs.cpio.gz
ifeq ($(ARCH),powerpc)
# POWER9 (issue 7): no guest runs yet, so no kselftests or kvmx-hello; see
# Documentation/virt/kvmx/powerpc.rst.
# ppc_run_test, ppc_stop0lite_test, ppc_wake_lat and ppc_xive_test share the guest image and
# VM plumbing of tools/kvmx/ppc_guest_lib.c (#included, not built alone).
PPC_GUEST_TESTS := ppc_run_test ppc_stop0lite_test ppc_wake_lat ppc_xive_test ppc_vmm_test
PPC_TESTS := $(OUT)/tests/ppc_vm_test $(OUT)/tests/ppc_stop_test $(OUT)/tests/ppc_mmu_test \
	$(OUT)/tests/ppc_nohv_test $(OUT)/tests/ppc_noxive_test $(addprefix $(OUT)/tests/,$(PPC_GUEST_TESTS))
ppc-tests-build: $(UAPI)/.done
	@mkdir -p $(OUT)/tests
	$(CROSS_COMPILE)gcc $(USER_CFLAGS) -D_GNU_SOURCE -o $(OUT)/tests/ppc_vm_test \
		tools/kvmx/ppc_vm_test.c
	$(CROSS_COMPILE)gcc $(USER_CFLAGS) -D_GNU_SOURCE -o $(OUT)/tests/ppc_stop_test \
		tools/kvmx/ppc_stop_test.c
	$(CROSS_COMPILE)gcc $(USER_CFLAGS) -D_GNU_SOURCE -o $(OUT)/tests/ppc_mmu_test \
		tools/kvmx/ppc_mmu_test.c
	$(CROSS_COMPILE)gcc $(USER_CFLAGS) -D_GNU_SOURCE -o $(OUT)/tests/ppc_nohv_test \
		tools/kvmx/ppc_nohv_test.c
	$(CROSS_COMPILE)gcc $(USER_CFLAGS) -D_GNU_SOURCE -o $(OUT)/tests/ppc_noxive_test \
		tools/kvmx/ppc_noxive_test.c
	for t in $(PPC_GUEST_TESTS); do \
		$(CROSS_COMPILE)gcc $(USER_CFLAGS) -D_GNU_SOURCE -o $(OUT)/tests/$$t \
			tools/kvmx/$$t.c -lpthread -lm || exit 1; \
	done

# The in-kernel kvm.ko and kvm-hv.ko ride along as the reference (never loaded with kvmx);
# 6.12's are kvm.ko.xz and kvm-hv.ko.xz (mkinitramfs.sh decompresses them).
KVM_HV_DIR = $(KVMX_KMODDIR)/kernel/arch/powerpc/kvm
KVM_HV_KOS = $(foreach m,kvm kvm-hv,$(firstword $(wildcard $(KVM_HV_DIR)/$(m).ko \
	$(KVM_HV_DIR)/$(m).ko.xz) $(KVM_HV_DIR)/$(m).ko))
initramfs: module probe ppc-tests-build
	bash scripts/mkinitramfs.sh $(INITRAMFS) $(KVMX_BUSYBOX) $(KO) $(PROBE) $(PPC_TESTS) \
		$(FUZZ) $(KVM_HV_KOS)

run: initramfs
	@echo "== kvmx $(KVMX_VERSION) on Debian $(KVMX_KABI), $$(qemu-system-ppc64 --version | head -1)"
	bash scripts/qemu-ppc.sh run $(KVMX_KIMAGE) $(INITRAMFS) $(RESULTS) 300

# The POWER suites: the kvmx host on powernv9, and the same kernel as a pseries guest
# (no hypervisor mode: kvmx loads for probing only, ppc_nohv_test), and the powernv9 host
# booted with xive=off (no XIVE: the XIVE device fails cleanly, guests still run).
# Then a guest `stop` on the in-kernel kvm-hv, on the installed QEMU and on QEMU with
# scripts/qemu-patches/ppc-stop-hfu.patch (built once and cached, see the README), and the
# radix HV guest tests on kvm-hv (hvref, the reference for kvmx).
qemu-ppc-patched:
	bash scripts/qemu-ppc-patched.sh

selftests: initramfs
	-bash scripts/qemu-ppc.sh check $(KVMX_KIMAGE) $(INITRAMFS) $(RESULTS) 300
	-bash scripts/qemu-ppc.sh pseries $(KVMX_KIMAGE) $(INITRAMFS) $(RESULTS) 300
	-bash scripts/qemu-ppc.sh noxive $(KVMX_KIMAGE) $(INITRAMFS) $(RESULTS) 300
	-bash scripts/qemu-ppc.sh stopref-stock $(KVMX_KIMAGE) $(INITRAMFS) $(RESULTS) 300
	-q=$$(bash scripts/qemu-ppc-patched.sh) && \
		bash scripts/qemu-ppc.sh stopref-patched $(KVMX_KIMAGE) $(INITRAMFS) $(RESULTS) 300 "$$q" || \
		[ -n "$$q" ] || printf '1..1\nnot ok 1 ppc_stopref-patched_boot # no patched QEMU\n' \
		>$(RESULTS)/boot-ppc-stopref-patched.tap
	-q=$$(bash scripts/qemu-ppc-patched.sh) && x=ill || { q=qemu-system-ppc64; x=priv; }; \
		bash scripts/qemu-ppc.sh hvref $(KVMX_KIMAGE) $(INITRAMFS) $(RESULTS) 300 "$$q" "kvmxstop=$$x"
	-q=$$(bash scripts/qemu-ppc-patched.sh) && x=ill || { q=qemu-system-ppc64; x=priv; }; \
		bash scripts/qemu-ppc.sh kvmx-run $(KVMX_KIMAGE) $(INITRAMFS) $(RESULTS) 300 "$$q" "kvmxstop=$$x"
	-q=$$(bash scripts/qemu-ppc-patched.sh) && \
		bash scripts/qemu-ppc.sh hugepages $(KVMX_KIMAGE) $(INITRAMFS) $(RESULTS) 300 "$$q" || \
		[ -n "$$q" ] || printf '1..1\nnot ok 1 ppc_hugepages_boot # no patched QEMU\n' \
		>$(RESULTS)/boot-ppc-hugepages.tap
	-bash scripts/qemu-ppc.sh fuzz $(KVMX_KIMAGE) $(INITRAMFS) $(RESULTS) 300 qemu-system-ppc64 \
		"$(PPC_FUZZ_ARGS)"
	-$(MAKE) --no-print-directory vmm

# The ioctl fuzzer on POWER in `make check` (make fuzz ARCH=powerpc FUZZ_CALLS=... for more).
PPC_FUZZ_CALLS ?= $(if $(filter command line,$(origin FUZZ_CALLS)),$(FUZZ_CALLS),30000)
PPC_FUZZ_ARGS = kvmxfuzz=$(PPC_FUZZ_CALLS) kvmxfuzzthreads=$(FUZZ_THREADS)$(if $(FUZZ_SEED), kvmxfuzzseed=$(FUZZ_SEED))

# Radix HV guests on the in-kernel kvm-hv (the reference for kvmx): ppc_run_test, the
# stop0lite test's cap-absent part and the wake-latency tool, on the patched QEMU when it
# can be had (a guest stop then reaches kvm-hv: "ill"), else on the installed one ("priv").
# selftests runs it too; see Documentation/virt/kvmx/powerpc.rst.
ppc-hvref: initramfs
	q=$$(bash scripts/qemu-ppc-patched.sh) && x=ill || { q=qemu-system-ppc64; x=priv; }; \
		bash scripts/qemu-ppc.sh hvref $(KVMX_KIMAGE) $(INITRAMFS) $(RESULTS) 300 "$$q" "kvmxstop=$$x"

# The same guests on kvmx (make ARCH=powerpc ppc-kvmx-run; selftests runs it too).
ppc-kvmx-run: initramfs
	q=$$(bash scripts/qemu-ppc-patched.sh) && x=ill || { q=qemu-system-ppc64; x=priv; }; \
		bash scripts/qemu-ppc.sh kvmx-run $(KVMX_KIMAGE) $(INITRAMFS) $(RESULTS) 300 "$$q" "kvmxstop=$$x"
.PHONY: ppc-hvref ppc-kvmx-run

# A real VMM (issue 19): Debian's ppc64el qemu-system-ppc64 (scripts/vmm-ppc-fetch.sh,
# cached by version) packed into the powernv9 host's initramfs boots Debian's kernel as a
# pseries guest on kvm-hv, then on kvmx (scripts/guest/vmm-ppc.sh): suites vmm-ppc-kvmhv,
# vmm-ppc-kvmx, and the side-by-side table in build/results/vmm-ppc-table.txt.
# VMM_ARGS (kernel command line) narrows a run by hand: kvmxvmmhv=kvmx (or kvm-hv),
# kvmxvmmcases=smp1,xive, kvmxvmmrepeat=3 (boots per case), kvmxvmmtrace=1 (the nested
# QEMU counts its exits and hypercalls). ICOUNT=1: one host CPU under -icount
# shift=0,sleep=off, boot-to-/init in host instructions with the wall clock beside it
# (e.g. make vmm ARCH=powerpc ICOUNT=1 VMM_ARGS="kvmxvmmcases=smp1 kvmxvmmrepeat=3").
VMM_INITRAMFS := $(OUT)/initramfs-vmm.cpio.gz
VMM_TIMEOUT ?= 1500
VMM_ARGS ?=
initramfs-vmm: initramfs
	sed -n 's/^#define \(KVM_CAP_[A-Z0-9_]*\)[ \t]*\([0-9][0-9]*\)$$/{ \2, "\1" },/p' \
		$(UAPI)/linux/kvm.h >$(OUT)/kvm_cap_names.h
	$(CROSS_COMPILE)gcc $(USER_CFLAGS) -I$(OUT) -o $(OUT)/kvm-caps tools/kvmx/ppc-kvm-caps.c
	p=$$(bash scripts/vmm-ppc-fetch.sh) && bash scripts/mkinitramfs-vmm-ppc.sh $(VMM_INITRAMFS) \
		$(INITRAMFS) "$$p" $(KVMX_BUSYBOX) $(KVMX_KIMAGE) $(KVMX_KMODDIR) $(OUT)/kvm-caps

vmm: initramfs-vmm
	@mkdir -p $(RESULTS)
	-ICOUNT=$(ICOUNT) bash scripts/qemu-ppc.sh vmm $(KVMX_KIMAGE) $(VMM_INITRAMFS) $(RESULTS) $(VMM_TIMEOUT) \
		qemu-system-ppc64 "$(VMM_ARGS)"
	@sed -n 's/^@@VMM-TABLE //p' $(RESULTS)/console-ppc-vmm.log >$(RESULTS)/vmm-ppc-table.txt
	@cat $(RESULTS)/vmm-ppc-table.txt
.PHONY: initramfs-vmm vmm
else
initramfs: module probe selftests-build
	bash scripts/mkinitramfs.sh $(INITRAMFS) $(KVMX_BUSYBOX) $(KO) $(PROBE) $(OUT)/tests/*_test \
		$(HELLO) $(FUZZ)

run: initramfs
	@echo "== kvmx $(KVMX_VERSION) on Debian $(KVMX_KABI), $$(qemu-system-aarch64 --version | head -1)"
	bash scripts/qemu.sh run $(KVMX_KIMAGE) $(INITRAMFS) $(RESULTS) 300
endif

# ---- tests -------------------------------------------------------------------------
unit: $(UAPI)/.done
	bash scripts/unit-uapi.sh $(UAPI) $(BUILD)/unit-uapi
	cmake -S tools/testing/unit -B $(BUILD)/unit -DKVMX_UAPI=$(BUILD)/unit-uapi -DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build $(BUILD)/unit -j2
	@mkdir -p $(RESULTS)
	cd $(BUILD)/unit && ctest --output-on-failure 2>&1 | tee $(BUILD)/unit/ctest.log; \
		bash $(CURDIR)/scripts/ctest2tap.sh $(BUILD)/unit/ctest.log >$(RESULTS)/unit.tap

sparse: deps $(UAPI)/.done
	@mkdir -p $(RESULTS)
ifeq ($(ARCH)$(KVER),arm64)
	bash scripts/sparse-check.sh "$(MAKE) MODULE_PAHOLE_FLAGS=$(KVMX_PAHOLE_FLAGS)" $(KVMX_KDIR) \
		$(ARCH) $(CROSS_COMPILE) $(UAPI) >$(RESULTS)/sparse.tap
else
	$(MAKE) --no-print-directory module
	bash scripts/sparse-check.sh "$(MAKE) MODULE_PAHOLE_FLAGS=$(KVMX_PAHOLE_FLAGS)" $(KVMX_KDIR) \
		$(ARCH) $(CROSS_COMPILE) $(UAPI) $(MODSRC) \
		>$(RESULTS)/sparse$(if $(filter-out arm64,$(ARCH)),-$(ARCH)).tap
endif

format-check:
	@mkdir -p $(RESULTS)
	bash scripts/format-check.sh >$(RESULTS)/format.tap

# Setup itself: no apt command once set up, a broken index does not stop it (about 7 s).
setup-test:
	@mkdir -p $(RESULTS)
	bash scripts/setup-test.sh $(CACHE) >$(RESULTS)/setup.tap

module-info: module
	@mkdir -p $(RESULTS)
	bash scripts/module-info.sh $(KO) >$(RESULTS)/module-info.tap

# Boots: kvmx host (all suites), built-in KVM host and an EL1 host (insmod must fail).
# The ioctl fuzzer's budget in `make check` (calls; FUZZ_SEED=... replays a run).
FUZZ_CALLS ?= 80000
FUZZ_SEED ?=
FUZZ_THREADS ?= 4
FUZZ_ARGS = kvmxfuzz=$(FUZZ_CALLS) kvmxfuzzthreads=$(FUZZ_THREADS)$(if $(FUZZ_SEED), kvmxfuzzseed=$(FUZZ_SEED))
ifeq ($(ARCH),arm64)
selftests: initramfs
	-bash scripts/qemu.sh check $(KVMX_KIMAGE) $(INITRAMFS) $(RESULTS) $(QEMU_TIMEOUT) "$(FUZZ_ARGS)"
	-bash scripts/qemu.sh builtin $(KVMX_KIMAGE) $(INITRAMFS) $(RESULTS) 300
	-bash scripts/qemu.sh noel2 $(KVMX_KIMAGE) $(INITRAMFS) $(RESULTS) 300
endif

# The fuzzer alone, any budget: make fuzz FUZZ_CALLS=1000000 [FUZZ_SEED=0x...]
fuzz: initramfs
ifeq ($(ARCH),powerpc)
	@rm -f $(RESULTS)/ppc-fuzz.tap
	-bash scripts/qemu-ppc.sh fuzz $(KVMX_KIMAGE) $(INITRAMFS) $(RESULTS) 900 qemu-system-ppc64 \
		"$(PPC_FUZZ_ARGS)"
	@cat $(RESULTS)/ppc-fuzz.tap
else
	@rm -f $(RESULTS)/fuzz.tap
	-bash scripts/qemu.sh fuzz $(KVMX_KIMAGE) $(INITRAMFS) $(RESULTS) $(QEMU_TIMEOUT) "$(FUZZ_ARGS)"
	@cat $(RESULTS)/fuzz.tap
endif

# Upstream's KVM selftests (tools/testing/selftests/kvm of Debian's linux-source-6.1),
# built at test time and cached by source version; the list, per-test timeouts and
# arguments are tools/testing/upstream/tests.txt, the tolerated failures known-failures.txt.
# SRC=6.12: the same from Debian's linux-source-6.12 (bookworm-security), with its own
# cache (linux-source-6.12, upstream-selftests-6.12), initramfs, list and known failures
# (tools/testing/upstream/6.12/) and results (RESULTS/upstream-6.12/); any KVER.
# UPSTREAM_HV=builtin (or kvmx) boots one side only, by hand (scripts/upstream-selftests.sh).
SRC ?=
override SRC := $(filter-out 6.1,$(SRC))
UPSTREAM_SERIES := $(or $(SRC),6.1)
UPSTREAM_KSRC := $(if $(SRC),$(CACHE)/linux-source-$(SRC),$(KSRC))
UPSTREAM := $(CACHE)/upstream-selftests$(if $(SRC),-$(SRC))
UPSTREAM_LIST := $(CURDIR)/tools/testing/upstream$(if $(SRC),/$(SRC))
UPSTREAM_INITRAMFS := $(OUT)/initramfs-upstream$(if $(SRC),-$(SRC)).cpio.gz
UPSTREAM_RESULTS := $(RESULTS)$(if $(SRC),/upstream-$(SRC))
upstream-build:
	bash scripts/upstream-build.sh $(UPSTREAM_KSRC) $(UPSTREAM) $(CROSS_COMPILE) $(UPSTREAM_SERIES)

initramfs-upstream: module upstream-build
	bash scripts/mkinitramfs-upstream.sh $(UPSTREAM_INITRAMFS) $(KVMX_BUSYBOX) $(KO) \
		$(UPSTREAM_LIST)/tests.txt $(UPSTREAM)/build $(CROSS_COMPILE)strip

# 6.12's built-in KVM offers 52-bit IPAs with 4K pages when the CPU has FEAT_LPA2 (QEMU's
# max does): the 6.1 selftests then choose 52-bit guest modes they cannot drive, and fail
# on the reference ("Invalid guest sync status: exit_reason=MMIO" in demand_paging_test,
# kvm_page_table_test, memslot_modification_stress_test, dirty_log_perf_test). Without
# LPA2 it offers 48 bits, as 6.1's KVM and kvmx do; both runs boot the same CPU. The 6.12
# selftests drive those modes, so SRC=6.12 keeps QEMU's max CPU.
UPSTREAM_QEMU_CPU-6.12 := max,lpa2=off
selftests-upstream: initramfs-upstream
	KVMX_QEMU_CPU=$(if $(SRC),,$(UPSTREAM_QEMU_CPU-$(KVER))) bash scripts/upstream-selftests.sh \
		$(KVMX_KIMAGE) $(UPSTREAM_INITRAMFS) $(UPSTREAM_RESULTS) $(UPSTREAM_LIST)

# The vmm suite (issue 17): Debian's arm64 qemu-system-aarch64 runs the host's own kernel as
# a nested guest with -accel kvm, on the built-in KVM and on kvmx (tools/testing/vmm/
# cases.txt; known-failures.txt are TAP TODO on kvmx). scripts/vmm-fetch.sh fetches the
# QEMU tree (apt-get download, dpkg-deb -x) once per QEMU version into $(CACHE)/vmm.
VMM_REPEAT ?= 1
VMM_TIMEOUT ?= 180
# By hand: VMM_CASES=irqchip-off-smp1,... (names of cases.txt), VMM_HV=kvmx or builtin,
# VMM_LOAD=N busy loops in the QEMU host during the nested boots, VMM_GUEST_ARGS=a=1,b=2
# on the nested guest's command line (scripts/vmm-run.sh, scripts/guest/vmm-init).
# ICOUNT=1: the host under -icount (scripts/qemu.sh), so that boot-to-/init counts host
# instructions (the table then reads instructions x 1e-9 as seconds).
VMM_CASES ?=
VMM_HV ?= builtin,kvmx
VMM_LOAD ?= 0
VMM_GUEST_ARGS ?=
VMM_LIST := $(CURDIR)/tools/testing/vmm
VMM_INITRAMFS := $(OUT)/initramfs-vmm.cpio.gz
KVM_CAPS := $(OUT)/kvm-caps
ifeq ($(ARCH),arm64)
# kvm-caps: every KVM_CAP_* of the installed <linux/kvm.h>, checked on /dev/kvm and a VM.
kvm-caps: $(UAPI)/.done
	@mkdir -p $(OUT)/gen
	sed -n 's/^#define[[:space:]]\{1,\}\(KVM_CAP_[A-Z0-9_]*\)[[:space:]]\{1,\}\([0-9]\{1,\}\)\([[:space:]].*\)\{0,1\}$$/KVM_CAP_ENTRY(\2, \1)/p' \
		$(UAPI)/linux/kvm.h >$(OUT)/gen/kvm_cap_list.h
	$(CROSS_COMPILE)gcc $(USER_CFLAGS) -I$(OUT)/gen -DKVM_CAP_LIST_H='"kvm_cap_list.h"' \
		-o $(KVM_CAPS) tools/kvmx/kvm-caps.c

initramfs-vmm: module kvm-caps
	tree=$$(bash scripts/vmm-fetch.sh) && \
	bash scripts/mkinitramfs-vmm.sh $(VMM_INITRAMFS) "$$tree" $(KVMX_BUSYBOX) $(KO) \
		$(KVM_CAPS) $(KVMX_KIMAGE) $(KVMX_KMODDIR) $(VMM_LIST)/cases.txt

vmm: initramfs-vmm
	KVMX_QEMU_ICOUNT=$(ICOUNT) VMM_CASES=$(VMM_CASES) VMM_HV=$(VMM_HV) VMM_LOAD=$(VMM_LOAD) VMM_GUEST_ARGS=$(VMM_GUEST_ARGS) bash scripts/vmm-run.sh $(KVMX_KIMAGE) $(VMM_INITRAMFS) $(RESULTS) $(VMM_LIST) \
		$(VMM_REPEAT) $(VMM_TIMEOUT)
endif

BENCH := $(OUT)/kvmx-bench
ICOUNT ?= 0
bench: module $(UAPI)/.done
	@mkdir -p $(OUT)
ifeq ($(ARCH),powerpc)
	# POWER9: the in-kernel kvm-hv against kvmx on the powernv9 host (tools/kvmx/ppc-bench.c).
	$(CROSS_COMPILE)gcc $(USER_CFLAGS) -o $(OUT)/ppc-bench tools/kvmx/ppc-bench.c
	# On the patched QEMU (built once, cached), whose CPU traps a guest stop as POWER9 does.
	q=$$(bash scripts/qemu-ppc-patched.sh) && QEMU_PPC=$$q BENCH_ARCH=powerpc ICOUNT=$(ICOUNT) \
		bash scripts/bench.sh $(KVMX_KIMAGE) $(KVMX_BUSYBOX) $(KO) $(OUT)/ppc-bench $(RESULTS) 1 \
		$(KVM_HV_KOS)
else
	$(CROSS_COMPILE)gcc $(USER_CFLAGS) -D_GNU_SOURCE -Wno-unused-parameter -o $(BENCH) \
		tools/kvmx/kvmx-bench.c -lpthread
	ICOUNT=$(ICOUNT) bash scripts/bench.sh $(KVMX_KIMAGE) $(KVMX_BUSYBOX) $(KO) $(BENCH) $(RESULTS)
endif

# Where kvmx's instructions go on one benchmark's path (arm64; QEMU's TCG block log,
# scripts/tb-profile.sh): make profile BENCH_ONLY=sgi PER=3200. Not part of make check.
PER ?= 1
.PHONY: profile
profile: module $(UAPI)/.done
	@mkdir -p $(OUT)
	$(CROSS_COMPILE)gcc $(USER_CFLAGS) -D_GNU_SOURCE -Wno-unused-parameter -o $(BENCH) \
		tools/kvmx/kvmx-bench.c -lpthread
	bash scripts/tb-profile.sh $(KVMX_KIMAGE) $(KVMX_BUSYBOX) $(KO) $(BENCH) $(RESULTS)/profile \
		$(or $(BENCH_ONLY),sgi) $(PER)

# ---- the debug kernel (issue 8) ----------------------------------------------------
# An arm64 kernel from Debian's linux-source-6.1 with KASAN, lockdep, DEBUG_ATOMIC_SLEEP,
# kmemleak and KUnit, KVM off (scripts/debug-kernel.sh, cached in $(CACHE)/debug-kernel;
# the first build took 37 minutes on 2 cores). check-debug builds kvmx.ko against it in a
# copy of the tree (build/debug-src: the in-tree objects stay for the stock kernel), with
# its KUnit suites (CONFIG_KUNIT), boots it loading kvmx with kunit=1 (kunit suite), then
# every kselftest, the module suite and the fuzzer (DEBUG_FUZZ_CALLS), and fails on any
# KASAN/lockdep/BUG/WARN/kmemleak report (debug-reports suite).
DEBUG_CACHE := $(CACHE)/debug-kernel
DEBUG_SRC := $(BUILD)/debug-src
DEBUG_RESULTS := $(BUILD)/results-debug
DEBUG_INITRAMFS := $(BUILD)/debug-initramfs.cpio.gz
DEBUG_FUZZ_CALLS ?= 20000
# The fuzzer's hang limit there: the debug kernel under TCG managed 20-120 calls/s (the
# stock kernel about 2900), so 200 ms a call leaves a wide margin.
DEBUG_FUZZ_LIMIT ?= $(shell echo $$((60 + $(DEBUG_FUZZ_CALLS) / 5)))
DEBUG_TIMEOUT ?= 5400
debug-kernel:
	bash scripts/debug-kernel.sh $(DEBUG_CACHE)

check-debug: debug-kernel probe selftests-build $(UAPI)/.done
	@rm -rf $(DEBUG_RESULTS)
	@mkdir -p $(DEBUG_SRC) $(DEBUG_RESULTS)
	rsync -a --delete --exclude /build --exclude '.git' --exclude '*.o' --exclude '*.ko' \
		--exclude '.*.cmd' --exclude '*.mod*' --exclude Module.symvers --exclude modules.order \
		./ $(DEBUG_SRC)/
	eval "$$(sed 's/ := /=/' $(DEBUG_CACHE)/$$(dpkg-query -W -f='$${Version}' linux-source-6.1)/env.mk)" && \
	$(MAKE) -C $$KVMX_DEBUG_KDIR M=$(DEBUG_SRC) ARCH=$(ARCH) CROSS_COMPILE=$(CROSS_COMPILE) \
		KVMX_UAPI=$(UAPI) KVMX_VERSION=$(KVMX_VERSION) modules && \
	bash scripts/mkinitramfs.sh $(DEBUG_INITRAMFS) $(KVMX_BUSYBOX) $(DEBUG_SRC)/kvmx.ko \
		$(PROBE) $(OUT)/tests/*_test $(HELLO) $(FUZZ) && \
	bash scripts/qemu.sh check $$KVMX_DEBUG_KIMAGE $(DEBUG_INITRAMFS) $(DEBUG_RESULTS) \
		$(DEBUG_TIMEOUT) "kvmxdebug=1 kvmxfuzz=$(DEBUG_FUZZ_CALLS) kvmxfuzzlimit=$(DEBUG_FUZZ_LIMIT)"; true
	@SUMMARY_EXPECTED="boot-check kunit device module fuzz debug-reports" bash scripts/summary.sh $(DEBUG_RESULTS)

# Another kernel series (KVER=6.12), results in build/results-<kver>. kver-boots: this
# kernel's build of the glue (sparse) and of the module (module-info), the check boot
# (kselftests, device, module suite, fuzzer) and the built-in/EL1 host checks; make check
# runs it for 6.12 and copies its suites into build/results as <suite>-6.12. make check
# KVER=6.12 adds upstream-compare (the built-in 6.12 KVM as the reference), kept out of
# make check for CI time (README). The host-only suites (unit, format, setup) do not
# depend on the kernel and POWER has its own: make check runs them once.
KVER_BOOT_SUITES := sparse module-info boot-check boot-builtin boot-noel2 device module fuzz \
	host-builtin host-noel2
KVER_SUITES := $(KVER_BOOT_SUITES) boot-upstream-builtin boot-upstream-kvmx upstream-compare
# The 6.12 host's boots in make check (CHECK_KVERS= leaves them out): about 4 minutes on
# 2 cores with the build (250 s measured on a loaded machine, README); make check KVER=6.12
# runs them alone, with upstream-compare.
CHECK_KVERS ?= 6.12
SUMMARY := SUMMARY_KVERS="$(addprefix -,$(CHECK_KVERS))" SUMMARY_KVER_SUITES="$(KVER_BOOT_SUITES)"
.PHONY: kver-boots
kver-boots: deps
	@[ -n "$(KVER)" ] || { echo "kver-boots: name the kernel, e.g. KVER=6.12" >&2; exit 2; }
	@rm -rf $(RESULTS)
	-$(MAKE) --no-print-directory sparse
	-$(MAKE) --no-print-directory module-info
	-$(MAKE) --no-print-directory selftests

ifneq ($(KVER),)
check: kver-boots
	-$(MAKE) --no-print-directory selftests-upstream
	@SUMMARY_EXPECTED="$(KVER_SUITES)" bash scripts/summary.sh $(RESULTS)
else
check: deps
	@rm -rf $(RESULTS)
	-$(MAKE) --no-print-directory setup-test
	-$(MAKE) --no-print-directory unit
	-$(MAKE) --no-print-directory sparse
	-$(MAKE) --no-print-directory format-check
	-$(MAKE) --no-print-directory module-info
	-$(MAKE) --no-print-directory selftests
	-$(MAKE) --no-print-directory selftests-upstream
	-$(MAKE) --no-print-directory vmm
	-$(MAKE) --no-print-directory ARCH=powerpc selftests
	-$(MAKE) --no-print-directory ARCH=powerpc sparse
	-for k in $(CHECK_KVERS); do \
		$(MAKE) --no-print-directory KVER=$$k kver-boots; \
		for f in $(BUILD)/results-$$k/*.tap; do \
			[ ! -f "$$f" ] || cp "$$f" $(RESULTS)/$$(basename "$$f" .tap)-$$k.tap; \
		done; \
	done
	@$(SUMMARY) bash scripts/summary.sh $(RESULTS)
endif

check-6.12:
	@$(MAKE) --no-print-directory check KVER=6.12

# The DKMS package (README): make deb builds build/deb/kvmx-dkms_<version>_all.deb;
# make check-dkms installs it with dpkg on an arm64 Debian root in the QEMU arm64 host,
# where dkms builds kvmx natively for Debian's 6.1 and 6.12 kernels, and loads it on each
# (scripts/dkms-check.sh; results in build/results-dkms; not in make check: time, README).
DKMS_RESULTS := $(BUILD)/results-dkms
deb:
	@bash scripts/mkdeb.sh $(KVMX_VERSION) $(BUILD)/deb

check-dkms: deps probe
	@rm -rf $(DKMS_RESULTS)
	$(MAKE) --no-print-directory KVER=6.12 deps
	-bash scripts/dkms-check.sh $(DKMS_RESULTS) $$(bash scripts/mkdeb.sh $(KVMX_VERSION) \
		$(BUILD)/deb) $(KVMX_BUSYBOX) $(PROBE) $(ENV_MK) $(CACHE)/arm64-6.12/env.mk
	@SUMMARY_KSELFTESTS=0 SUMMARY_EXPECTED="boot-dkms-6.1 dkms-6.1 boot-dkms-6.12 dkms-6.12" \
		bash scripts/summary.sh $(DKMS_RESULTS)

# The POWER suites alone, results in build/results as in make check.
check-ppc: deps
	-$(MAKE) --no-print-directory ARCH=powerpc selftests
	-$(MAKE) --no-print-directory ARCH=powerpc sparse
	@bash scripts/summary.sh $(RESULTS) || true

summary:
	@$(if $(KVER),SUMMARY_EXPECTED="$(KVER_SUITES)",$(SUMMARY)) bash scripts/summary.sh $(RESULTS)

clean:
	-$(MAKE) -C $(KVMX_KDIR) M=$(CURDIR) clean 2>/dev/null
	rm -rf $(BUILD)
	find . -name '*.o' -o -name '.*.cmd' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' | xargs rm -f
