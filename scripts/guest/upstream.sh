#!/bin/sh
# Upstream KVM selftests inside the QEMU host, as TAP. Usage: upstream.sh builtin|kvmx
#   builtin  the built-in KVM owns /dev/kvm
#   kvmx     insmod kvmx.ko first (the host was booted with kvm-arm.mode=none)
# /upstream/tests.txt lists "test timeout_s arguments..." in the order to run; both modes
# run the same list. One TAP line per test, printed as soon as the test ends, with the
# time taken and the exit status as a comment: exit 0 is ok, exit 4 (KSFT_SKIP) is
# "ok # SKIP <the test's reason>", anything else, a timeout included, is "not ok".
# A failing test is followed by the end of its output and the dmesg lines about kvmx or
# a kernel BUG/WARNING/Oops, as TAP comments. The timeout is busybox's (SIGTERM); a test
# still alive 10 s later gets SIGKILL, and one that does not die even then (stuck in
# the kernel) is abandoned so the rest still run.
# kvmxupfrom=N on the kernel command line (an environment variable of init) starts at the
# N-th test: scripts/upstream-selftests.sh resumes after a test during which the host died.
mode=$1
from=${kvmxupfrom:-1}
list=/upstream/tests.txt
out=/tmp/upstream-test.out
dmesg_all=/tmp/dmesg-upstream.log
hung=0
trap 'hung=1' USR1

centis() { awk '{ printf "%d\n", $1 * 100 }' /proc/uptime; }
secs() { echo "$(($1 / 100)).$(printf %02d $(($1 % 100)))s"; }
tap_comment() { sed 's/^/# /'; }
# Words safe after a TAP "#": no further '#', one line, bounded.
clean() { tr -d '#\r' | tr '\n' ' ' | cut -c1-100 | sed 's/ *$//'; }

# The list without comments and blank lines: "test timeout args...".
tests() { sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$list"; }

fail_all() {	# reason: every test "not ok" (the harness could not start)
	n=0
	echo "1..$(tests | wc -l)"
	tests | while read -r name _; do
		n=$((n + 1))
		[ $n -lt "$from" ] || echo "not ok $n $name # $1"
	done
}

run_one() {	# n name timeout args...
	n=$1 name=$2 tmo=$3
	shift 3
	if [ ! -x "/upstream/$name" ]; then
		# not-built.txt: "test<TAB>the build's first error about it" (upstream-build.sh)
		why=$(awk -F '\t' -v t="$name" '$1 == t { print $2; exit }' /upstream/not-built.txt 2>/dev/null | clean)
		echo "ok $n $name # SKIP not built from this linux-source${why:+: $why}"
		return
	fi
	dmesg -c >>"$dmesg_all"
	hung=0
	start=$(centis)
	timeout -s TERM "$tmo" "/upstream/$name" "$@" >"$out" 2>&1 </dev/null &
	pid=$!
	(sleep $((tmo + 10)); kill -KILL "$pid"; sleep 5; kill -USR1 $$) >/dev/null 2>&1 &
	guard=$!
	# (ash reports a job killed by a signal, "Killed", on stderr: not TAP)
	wait "$pid" 2>/dev/null
	rc=$?
	kill "$guard" 2>/dev/null
	t=$(secs $(($(centis) - start)))
	dmesg -c >/tmp/dmesg-test
	cat /tmp/dmesg-test >>"$dmesg_all"
	if [ $hung = 1 ]; then
		echo "not ok $n $name # hung: still running $((tmo + 15)) s after start, SIGKILL did not end it; time=$t"
	elif [ $rc = 0 ]; then
		echo "ok $n $name # time=$t exit=0"
	elif [ $rc = 4 ]; then
		why=$(grep -i 'skip' "$out" | tail -1 |
			sed -e 's/, skipping test$//' -e 's/^1\.\.0 *#* *SKIP *-* *//' | clean)
		echo "ok $n $name # SKIP ${why:-exit 4 (KSFT_SKIP)}; time=$t exit=4"
	elif [ $rc = 143 ] || [ $rc = 137 ]; then
		echo "not ok $n $name # timeout after $tmo s; time=$t exit=$rc"
	else
		echo "not ok $n $name # time=$t exit=$rc"
	fi
	if [ $hung = 1 ] || { [ $rc != 0 ] && [ $rc != 4 ]; }; then
		echo "# --- $name $*: last lines of output"
		grep -v 'addr2line: not found' "$out" | tail -n 25 | tap_comment
		echo "# --- dmesg (kvmx, BUG, WARNING, Oops)"
		grep -E 'kvmx|BUG|WARNING|Oops' /tmp/dmesg-test | tail -n 40 | tap_comment
	elif grep -qE 'BUG|WARNING|Oops' /tmp/dmesg-test; then
		echo "# --- dmesg during $name (BUG, WARNING, Oops)"
		grep -E 'BUG|WARNING|Oops' /tmp/dmesg-test | tail -n 40 | tap_comment
	fi
}

echo "# mode: $mode"
echo "# /proc/version: $(cat /proc/version)"
echo "# /proc/cmdline: $(cat /proc/cmdline)"
case $mode in
kvmx)
	if ! insmod /kvmx.ko; then
		dmesg | grep -E 'kvmx|BUG|WARNING|Oops' | tap_comment
		fail_all "insmod kvmx.ko failed"
		exit 1
	fi
	dmesg | grep 'kvmx:' | tap_comment
	;;
builtin) ;;
*)
	fail_all "unknown mode '$mode'"
	exit 1
	;;
esac
if [ ! -c /dev/kvm ]; then
	fail_all "no /dev/kvm"
	exit 1
fi
echo "1..$(tests | wc -l)"
[ "$from" -gt 1 ] && echo "# resumed at test $from"
n=0
# The loop reads the list on fd 3: the tests get /dev/null as stdin.
tests >/tmp/upstream-tests.txt
while read -r name tmo args <&3; do
	n=$((n + 1))
	[ $n -lt "$from" ] && continue
	# shellcheck disable=SC2086 # the arguments are words on purpose
	run_one $n "$name" "$tmo" $args
done 3</tmp/upstream-tests.txt
if [ "$mode" = kvmx ]; then
	if rmmod kvmx; then echo "# rmmod kvmx: ok"; else echo "# rmmod kvmx: failed"; fi
fi
