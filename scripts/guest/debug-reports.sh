#!/bin/sh
# The debug kernel's verdict on everything that ran before it (check-debug), as TAP:
# a kmemleak scan, then the whole kernel log searched for KASAN, lockdep, BUG, WARNING,
# sleeping-in-atomic, lockup, RCU stall and kvmx leak reports. Any report fails.
n=0
failed=0
report() {	# name pattern
	if dmesg | grep -E "$2" >/tmp/reports; then
		n=$((n + 1)); failed=$((failed + 1))
		echo "not ok $n $1"
		sed 's/^/# /' /tmp/reports | head -40
	else
		n=$((n + 1))
		echo "ok $n $1"
	fi
}
echo "1..8"
# (not "kasan:" alone: "kasan: KernelAddressSanitizer initialized" is the boot banner)
report no_kasan_reports 'BUG: KASAN|KASAN: '
report no_lockdep_reports 'possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|lock held when returning|bad unlock balance|INFO: lockdep'
report no_atomic_sleep_reports 'sleeping function called from invalid context|scheduling while atomic'
report no_bug_or_oops 'BUG:|Oops|Unable to handle kernel|Kernel panic'
report no_warnings 'WARNING:'
report no_lockups_or_stalls 'soft lockup|hard LOCKUP|rcu_sched detected stalls|rcu: INFO|blocked for more than'
report no_kvmx_leaks 'kvmx: leak|still live at unload'
# kmemleak: two scans (an object must be unreferenced in both to be reported).
if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan >/sys/kernel/debug/kmemleak
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak >/tmp/kmemleak
	n=$((n + 1))
	if [ -s /tmp/kmemleak ]; then
		failed=$((failed + 1))
		echo "not ok $n no_kmemleak_reports"
		sed 's/^/# /' /tmp/kmemleak | head -60
	else
		echo "ok $n no_kmemleak_reports"
	fi
else
	n=$((n + 1)); failed=$((failed + 1))
	echo "not ok $n no_kmemleak_reports # /sys/kernel/debug/kmemleak missing (not the debug kernel?)"
fi
[ $failed -eq 0 ]
