#!/bin/sh
# The ioctl fuzzer's suite, run inside the QEMU host as TAP (kvmx.ko not loaded on entry).
# Usage: fuzz.sh [CALLS [SEED [THREADS [LIMIT_S]]]]   (no SEED: kvmx-fuzz picks one and
# prints it, and this suite copies that line to the console at once, so a run that never
# ends can still be replayed; LIMIT_S, the hang limit, defaults to 60 s + 4 ms a call,
# over twice the slowest run measured on a loaded 2-core machine, and within the check
# boot's QEMU limit: the debug kernel, many times slower, passes its own)
# insmod, kvmx-fuzz (its own TAP lines are folded into this suite), rmmod, then the kernel
# log must hold no BUG/WARNING/Oops/lockup/RCU stall/KASAN/lockdep/leak report.
KO=/kvmx.ko
calls=${1:-20000}
seed=${2:-}
threads=${3:-4}
limit=${4:-}
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; }
check() {	# description command...
	d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
# Lines of a host report: oopses, warnings, lockups, RCU stalls, hung tasks, KASAN,
# lockdep, sleeping in atomic context, kmemleak, and kvmx's own leak check at unload.
REPORTS='BUG:|WARNING:|Oops|Unable to handle|lockup|rcu_sched detected stalls|rcu: INFO|blocked for more than|KASAN|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|sleeping function called|kmemleak: .*suspected memory leak|kvmx: leak|still live at unload|Kernel panic'
echo "1..7"
dmesg -c >/dev/null
check "insmod_for_fuzzing" insmod $KO
start=$(date +%s)
# A hang is a failure too: past the limit, show where every fuzzer thread is in the
# kernel, then kill it.
[ -n "$limit" ] || limit=$((60 + calls / 250))
kvmx-fuzz -n "$calls" -t "$threads" ${seed:+-s "$seed"} >/tmp/fuzz.out 2>&1 &
pid=$!
hung=0
seen=0
while kill -0 $pid 2>/dev/null; do
	if [ $seen -eq 0 ] && grep -q '^# kvmx-fuzz seed' /tmp/fuzz.out; then
		seen=1
		grep '^# kvmx-fuzz seed' /tmp/fuzz.out
	fi
	if [ $(($(date +%s) - start)) -gt $limit ]; then
		hung=1
		echo "# kvmx-fuzz still running after $limit s: its threads"
		for t in /proc/$pid/task/*; do
			echo "# task ${t##*/} state $(cut -d' ' -f3 $t/stat) wchan $(cat $t/wchan 2>/dev/null)" \
				"$(grep -E '^(SigPnd|SigBlk)' $t/status | tr '\t\n' '  ')"
			sed 's/^/#   /' $t/stack 2>/dev/null
		done
		# The kernel's view: blocked tasks and every CPU's backtrace, then the log's tail.
		if [ -w /proc/sysrq-trigger ]; then
			echo w >/proc/sysrq-trigger
			echo l >/proc/sysrq-trigger
			sleep 1
			dmesg | tail -150 | sed 's/^/# dmesg: /'
		fi
		# What kvmx is doing meanwhile: its functions, traced for a moment.
		T=/sys/kernel/tracing
		if [ -d $T ] && { [ -e $T/trace ] || mount -t tracefs nodev $T 2>/dev/null; } &&
			echo ':mod:kvmx' >$T/set_ftrace_filter 2>/dev/null; then
			echo function >$T/current_tracer
			echo 1 >$T/tracing_on
			sleep 1
			echo 0 >$T/tracing_on
			echo "# kvmx's functions for a moment (ftrace):"
			grep -v '^#' $T/trace | tail -200 | sed 's/^/# ftrace: /'
			echo nop >$T/current_tracer
		fi
		kill -9 $pid
		break
	fi
	sleep 1
done
# A thread stuck in the kernel does not die: do not wait for it for ever.
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 20 ]; do
	sleep 1
	i=$((i + 1))
done
if kill -0 $pid 2>/dev/null; then
	echo "# kvmx-fuzz does not die after SIGKILL: a thread is stuck in the kernel"
	status=137
else
	wait $pid
	status=$?
fi
secs=$(($(date +%s) - start))
check "fuzzer_finishes_within_${limit}_s" test $hung -eq 0
# kvmx-fuzz's own TAP: its plan and results become comments, its failures this suite's.
sed 's/^/# /' /tmp/fuzz.out
echo "# kvmx-fuzz: $calls calls, $threads threads, $secs s, exit status $status"
check "fuzzer_checks_pass" test "$status" -eq 0
check "fuzzer_results_all_ok" eval '! grep -q "^not ok" /tmp/fuzz.out && grep -q "^ok 3" /tmp/fuzz.out'
check "rmmod_after_fuzzing" rmmod kvmx
check "module_gone_after_fuzzing" eval '! grep -q "^kvmx " /proc/modules'
lines=$(dmesg | grep -c 'kvmx')
echo "# kvmx wrote $lines kernel log lines during the run, the first ones:"
dmesg | grep 'kvmx' | head -8 | sed 's/^/#   /'
if dmesg | grep -E "$REPORTS" >/tmp/fuzz.reports; then
	sed 's/^/# report: /' /tmp/fuzz.reports | head -40
	not_ok "no_host_reports_after_fuzzing"
else
	ok "no_host_reports_after_fuzzing"
fi
[ $failed -eq 0 ]
