#!/bin/sh
# Module hygiene tests, run inside the QEMU host as TAP. Usage: module-tests.sh MODE
#   loaded   kvmx.ko not loaded on entry: rmmod refused while fds are open, clean after;
#            100 load/unload cycles (each creating 10 VMs) leak nothing
#   builtin  the built-in KVM owns /dev/kvm: insmod fails, says why, leaves nothing behind
#   noel2    the kernel is not at EL2: insmod fails, says why
KO=/kvmx.ko
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; }
check() {	# description command...
	d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
loaded() { grep -q '^kvmx ' /proc/modules; }
not_loaded() { ! loaded; }
# Every slab cache shrunk: SLUB returns its per-CPU and partial slabs, and on a KASAN
# kernel (make check-debug) the shrink also empties the cache's quarantine, where freed
# objects otherwise stay counted as active.
shrink_slabs() {
	for s in /sys/kernel/slab/*/shrink; do echo 1 >"$s" 2>/dev/null; done
}
sunreclaim() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	shrink_slabs
	sed -n 's/^SUnreclaim: *\([0-9]*\) kB/\1/p' /proc/meminfo
}
# Active objects in the memcg-accounted kmalloc caches: every kvmx allocation is
# GFP_KERNEL_ACCOUNT, and (unlike kmalloc-128, which module loading itself churns) these
# stay still on an idle host.
kmalloc_cg_objs() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	shrink_slabs
	awk '$1 ~ /^kmalloc-cg-/ { n += $2 } END { print n + 0 }' /proc/slabinfo
}
insmod_fails_with() {	# dmesg-text
	dmesg -c >/dev/null
	if insmod $KO 2>/dev/null; then
		echo "# insmod unexpectedly succeeded"
		rmmod kvmx
		return 1
	fi
	dmesg | grep -q "$1" || { echo "# dmesg lacks '$1':"; dmesg | sed 's/^/# /' | tail -5; return 1; }
}

case "$1" in
loaded)
	echo "1..10"
	dmesg -c >/dev/null
	check "world_switch_selftest_passes_at_load" eval 'insmod $KO selftest=1 && dmesg | grep -q "self-test passed" && rmmod kvmx'
	dmesg | grep kvmx | sed 's/^/# /'
	check "insmod_succeeds" insmod $KO
	exec 3</dev/kvm
	check "rmmod_refused_while_dev_fd_open" eval '! rmmod kvmx 2>/dev/null && loaded'
	check "refcnt_counts_open_fd" test "$(cat /sys/module/kvmx/refcnt)" -ge 1
	exec 3<&-
	check "rmmod_clean_after_close" rmmod kvmx
	# Warm the caches (sysfs nodes, module loader) before taking the baseline.
	for i in 1 2 3 4 5 6 7 8 9 10; do insmod $KO && kvmx-probe -q 10; rmmod kvmx; done
	dmesg -c >/dev/null
	before=$(sunreclaim)
	objs_before=$(kmalloc_cg_objs)
	cycles=0
	i=0
	while [ $i -lt 100 ]; do
		i=$((i + 1))
		insmod $KO && kvmx-probe -q 10 && rmmod kvmx && cycles=$((cycles + 1))
	done
	after=$(sunreclaim)
	objs_after=$(kmalloc_cg_objs)
	objs=$((objs_after - objs_before))
	echo "# kmalloc-cg-* active objects ${objs_before} -> ${objs_after} (${objs})"
	growth=$((after - before))
	echo "# 100 load/unload cycles: SUnreclaim ${before} kB -> ${after} kB (${growth} kB)"
	check "load_unload_100_cycles_all_succeed" test $cycles -eq 100
	# kvmx counts its own allocations and names any still live at unload.
	check "load_unload_100_cycles_no_allocation_live_at_unload" eval '! dmesg | grep -q "kvmx: .* still live"'
	check "load_unload_100_cycles_no_warning" eval '! dmesg | grep -q -e "WARNING" -e "BUG"'
	# 1000 VMs (2 objects each) went through the cycles: leaking either object per VM would
	# show as >= 1000 objects even after SLUB's per-cpu slab slack (< 256 per cache).
	check "load_unload_100_cycles_no_slab_growth" test $objs -lt 256 -a $growth -lt 512
	check "module_gone_after_cycles" not_loaded
	;;
builtin)
	echo "1..3"
	check "dev_kvm_owned_by_builtin_kvm" test -c /dev/kvm
	check "insmod_fails_when_dev_kvm_exists" insmod_fails_with "kvmx: /dev/kvm is already registered"
	check "nothing_left_loaded" not_loaded
	;;
noel2)
	echo "1..2"
	check "insmod_fails_when_not_at_el2" insmod_fails_with "kvmx: the kernel is not running at EL2"
	check "nothing_left_loaded" not_loaded
	;;
esac
[ $failed -eq 0 ]
