#!/bin/sh
# The POWER9 module suite, run inside the QEMU powernv9 host as TAP (kvmx.ko not loaded
# on entry; the in-kernel kvm.ko/kvm-hv.ko are never loaded here). Usage: ppc-tests.sh MODE
#   powernv  insmod succeeds, /dev/kvm is KVM's misc device, kvmx-probe's table is sane,
#            the VM-path tests (ppc_vm_test) and a guest with translation on
#            (ppc_mmu_test) pass, rmmod is clean, dmesg has no
#            BUG/WARN/Oops
#   pseries  the same kernel as a pseries guest (no hypervisor mode): insmod succeeds and
#            says why guests cannot run, /dev/kvm is there for probing, ppc_nohv_test
#            (POWER caps read 0, KVM_CREATE_VM fails EINVAL, nothing leaks) passes, the
#            refusals are logged rate-limited, rmmod is clean, no BUG/WARN/Oops
#   noxive   powernv9 booted with xive=off (no XIVE, OPAL's XICS emulation): insmod
#            succeeds, the kernel really runs without XIVE, ppc_noxive_test (XIVE cap 0,
#            KVM_CREATE_DEVICE(XIVE) ENODEV, vCPU ENABLE_CAP(IRQ_XIVE) ENXIO/EBADF, nothing
#            leaks), guests still run (ppc_run_test), rmmod is clean, no BUG/WARN/Oops
#   kvmx-run [ill|priv]
#            radix HV guests on kvmx: insmod, ppc_run_test, ppc_stop0lite_test (ill|priv:
#            what a guest stop without the capability gives, patched or installed QEMU),
#            ppc_wake_lat (its TAP as suite ppc-kvmx-lat), rmmod, no BUG/WARN/Oops. Not in
#            make check until kvmx runs POWER guests: make ARCH=powerpc ppc-kvmx-run.
#   kvmx-unload
#            after guests ran on kvmx (init's ppc-kvmx-run): rmmod is clean, no BUG/WARN/Oops
# With kvmxrun=1 on the kernel command line, powernv also runs ppc_run_test on kvmx.
KO=/kvmx.ko
n=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n $1"; }
check() {	# description command...
	d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
loaded() { grep -q '^kvmx ' /proc/modules; }
no_kernel_reports() {
	if dmesg | grep -E 'BUG:|WARNING:|Oops|Unable to handle|Kernel panic|kvmx: leak'; then
		return 1
	fi
	return 0
}
probe_sane() {
	out=/tmp/probe.txt
	kvmx-probe >$out || return 1
	sed 's/^/# /' $out
	grep -q '^KVM_GET_API_VERSION: 12$' $out &&
		grep -q '^KVM_CAP_USER_MEMORY ([0-9]*): 1$' $out &&
		grep -q '^KVM_CAP_PPC_MMU_RADIX ([0-9]*): 1$' $out &&
		grep -q '^KVM_CAP_PPC_IRQ_XIVE ([0-9]*): 1$' $out &&
		grep -q '^KVMX_CAP_PPC_STOP0LITE ([0-9]*): 1$' $out &&
		[ "$(grep -c ': [0-9-]*$' $out)" -ge 20 ]
}

tap_of() {	# name file command...: run a TAP program, its output as comments, pass if all ok
	name=$1 file=$2
	shift 2
	"$@" >"$file" 2>&1
	r=$?
	sed 's/^/# /' "$file"
	[ $r -eq 0 ] && ! grep -q '^not ok' "$file" && grep -q '^ok ' "$file"
}

case "$1" in
powernv)
	if [ "${kvmxrun:-0}" = 1 ]; then echo "1..9"; else echo "1..8"; fi
	dmesg -c >/dev/null
	check "insmod_succeeds" insmod $KO
	dmesg | grep kvmx | sed 's/^/# /'
	check "dev_kvm_is_misc_10_232" test "$(cat /sys/class/misc/kvm/dev 2>/dev/null)" = "10:232" -a -c /dev/kvm
	check "probe_table_sane" probe_sane
	check "ppc_vm_test_passes" eval 'ppc_vm_test >/tmp/vm.tap; r=$?; sed "s/^/# /" /tmp/vm.tap; [ $r -eq 0 ] && [ "$(grep -c "^ok " /tmp/vm.tap)" -eq 16 ]'
	check "ppc_mmu_test_passes" eval 'ppc_mmu_test >/tmp/mmu.tap; r=$?; sed "s/^/# /" /tmp/mmu.tap; [ $r -eq 0 ] && [ "$(grep -c "^ok " /tmp/mmu.tap)" -eq "$(sed -n "s/^1\.\.//p" /tmp/mmu.tap)" ]'
	[ "${kvmxrun:-0}" = 1 ] && check "ppc_run_test_passes_on_kvmx" tap_of run /tmp/run.tap ppc_run_test
	check "rmmod_clean" rmmod kvmx
	check "module_gone_and_dev_kvm_removed" eval '! loaded && [ ! -e /sys/class/misc/kvm ]'
	check "no_bug_warn_oops_in_dmesg" no_kernel_reports
	;;
pseries)
	echo "1..9"
	dmesg -c >/dev/null
	check "insmod_succeeds_without_hypervisor_mode" insmod $KO
	dmesg | grep kvmx | sed 's/^/# /'
	check "insmod_says_why_guests_cannot_run" eval 'dmesg | grep -q "kvmx: the kernel is not running in hypervisor mode.*no hypervisor mode"'
	check "dev_kvm_is_misc_10_232" test "$(cat /sys/class/misc/kvm/dev 2>/dev/null)" = "10:232" -a -c /dev/kvm
	check "probe_table_reads_0_for_ppc" eval 'kvmx-probe >/tmp/probe.txt && sed "s/^/# /" /tmp/probe.txt &&
		grep -q "^KVM_CAP_PPC_IRQ_XIVE ([0-9]*): 0$" /tmp/probe.txt &&
		grep -q "^KVM_CAP_PPC_MMU_RADIX ([0-9]*): 0$" /tmp/probe.txt'
	check "ppc_nohv_test_passes" eval 'tap_of nohv /tmp/nohv.tap ppc_nohv_test && [ "$(grep -c "^ok " /tmp/nohv.tap)" -eq 9 ]'
	# ppc_nohv_test asks for a VM 203 times: the log says so, within the rate limit (10).
	check "create_vm_refusals_logged_rate_limited" eval 'c=$(dmesg | grep -c "KVM_CREATE_VM(0x[0-9a-f]*) refused: no hypervisor mode"); echo "# $c lines"; [ "$c" -ge 1 ] && [ "$c" -le 10 ]'
	check "rmmod_clean" rmmod kvmx
	check "module_gone_and_dev_kvm_removed" eval '! loaded && [ ! -e /sys/class/misc/kvm ]'
	check "no_bug_warn_oops_in_dmesg" no_kernel_reports
	;;
noxive)
	echo "1..7"
	dmesg -c >/dev/null
	check "insmod_succeeds" insmod $KO
	awk 'NR > 1 { print "# " $0 }' /proc/interrupts | grep -E 'XICS|ICS|XIVE' | head -4
	check "host_runs_without_xive" eval 'grep -qw "xive=off" /proc/cmdline && ! grep -q "XIVE-" /proc/interrupts && grep -qE "XICS|ICS" /proc/interrupts'
	check "ppc_noxive_test_passes" eval 'tap_of noxive /tmp/noxive.tap ppc_noxive_test && [ "$(grep -c "^ok " /tmp/noxive.tap)" -eq 9 ]'
	check "ppc_run_test_passes" tap_of run /tmp/run.tap ppc_run_test
	check "rmmod_clean" rmmod kvmx
	check "module_gone_and_dev_kvm_removed" eval '! loaded && [ ! -e /sys/class/misc/kvm ]'
	check "no_bug_warn_oops_in_dmesg" no_kernel_reports
	;;
kvmx-run)
	echo "1..6"
	dmesg -c >/dev/null
	check "insmod_succeeds" insmod $KO
	check "ppc_run_test_passes" tap_of run /tmp/run.tap ppc_run_test
	check "ppc_stop0lite_test_passes" tap_of stop0lite /tmp/stop0lite.tap ppc_stop0lite_test "${2:-ill}"
	check "ppc_wake_lat_completes" tap_of lat /tmp/lat.tap ppc_wake_lat -n 64
	check "rmmod_clean" rmmod kvmx
	check "no_bug_warn_oops_in_dmesg" no_kernel_reports
	;;
hugepages)
	# The host the radix-ap boot promises: 2 MB hugetlbfs pages, the linear map in 2 MB or
	# 1 GB pages (the radix code's "Mapped ... with ... pages" lines).
	echo "1..2"
	grep -E '^Hugepagesize:' /proc/meminfo | sed 's/^/# /'
	dmesg | grep -E 'Mapped 0x' | sed 's/^/# /'
	check "host_has_2mb_hugetlbfs_pages" grep -qE '^Hugepagesize: +2048 kB' /proc/meminfo
	check "linear_map_in_huge_pages" eval "dmesg | grep -qE 'Mapped 0x.* with (2\.00 MiB|1\.00 GiB) pages'"
	;;
hugepages-unload)
	# kvmx on that host: the stub's linear alias sits in a huge page, so kvmx leaves the
	# linear map alone and reads KVM_CAP_PPC_AIL_MODE_3 0 (powerpc.rst, step 7).
	echo "1..4"
	dmesg | grep kvmx | sed 's/^/# /'
	check "kvmx_keeps_guests_at_ail_0_in_a_huge_linear_map" eval "dmesg | grep -q 'kvmx: the linear map holds the guest-exit stub in a'"
	check "rmmod_clean" rmmod kvmx
	check "module_gone_and_dev_kvm_removed" eval '! loaded && [ ! -e /sys/class/misc/kvm ]'
	check "no_bug_warn_oops_in_dmesg" no_kernel_reports
	;;
kvmx-unload)
	echo "1..3"
	check "rmmod_clean" rmmod kvmx
	check "module_gone_and_dev_kvm_removed" eval '! loaded && [ ! -e /sys/class/misc/kvm ]'
	check "no_bug_warn_oops_in_dmesg" no_kernel_reports
	;;
*)
	echo "ppc-tests.sh: unknown mode '$1'"
	exit 2
	;;
esac
