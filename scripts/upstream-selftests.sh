#!/usr/bin/env bash
# Run upstream's KVM selftests on the QEMU host, same initramfs, same list, same timeouts:
# on the built-in KVM (upstream-builtin), then on kvmx with kvm-arm.mode=none
# (upstream-kvmx), one after the other (two at once would skew the timing-sensitive tests
# on 2 cores); then compare them (upstream-compare.sh) and print the side-by-side table.
#
# If the host dies during a test (QEMU aborts, the kernel panics, or the guest prints
# nothing for the test's timeout + 45 s, when the watchdog here stops QEMU), that test is
# reported "not ok ... # host died: <last console line>" and a new boot resumes at the
# next test (upstream.sh's kvmxupfrom=N). The TAP and console logs of all boots of a mode
# are joined into RESULTS/upstream-MODE.tap and console-upstream-MODE.log.
# Time budget per mode: the sum of the tests' timeouts + 15 s each (upstream.sh's SIGKILL
# grace), 120 s of booting and 300 s for reboots after host deaths; tests still waiting
# when it is used up are "not ok # not run". RESULTS/boot-upstream-MODE.tap says whether
# every test got a result (and, for the built-in KVM, that the host never died: that
# reference run must be clean).
# Usage: upstream-selftests.sh KERNEL INITRAMFS RESULTS LISTDIR
#   LISTDIR holds tests.txt and known-failures.txt (tools/testing/upstream).
#   UPSTREAM_HV=builtin (or kvmx) in the environment runs that side only, by hand (e.g. the
#   reference measurement on another kernel); the default is both.
set -uo pipefail
kernel=$1 initrd=$2 results=$3 listdir=$4
here=$(cd "$(dirname "$0")" && pwd)
mapfile -t names < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$listdir/tests.txt" | awk '{ print $1 }')
mapfile -t tmos < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$listdir/tests.txt" | awk '{ print $2 }')
n=${#names[@]}
budget=420
for t in "${tmos[@]}"; do budget=$((budget + t + 15)); done
mkdir -p "$results"

# The number of the last test with a result in a TAP file or console log, or "".
last_result() {
	grep -E '^(not )?ok [0-9]+ ' "$1" 2>/dev/null | tail -1 |
		awk '{ print ($1 == "not") ? $3 : $2 }'
}

# Run one boot of qemu.sh in the background and stop its QEMU when the running test has
# had its timeout + 15 s (upstream.sh gives up on it then) + 30 s of slack, plus 120 s
# for booting before the first result. Sets "silent" when it had to.
boot_watched() {	# mode from qemu-timeout
	local mode=$1 from=$2 qtmo=$3 log pidfile last r cur since grace
	log=$results/console-upstream-$mode.log
	pidfile=$results/qemu-upstream-$mode.pid
	silent=
	bash "$here/qemu.sh" "upstream-$mode" "$kernel" "$initrd" "$results" "$qtmo" \
		"kvmxupfrom=$from" &
	local qpid=$!
	last=$((from - 1)) since=$(date +%s) grace=120
	while kill -0 "$qpid" 2>/dev/null; do
		sleep 2
		r=$(last_result "$log")
		if [ -n "$r" ] && [ "$r" != "$last" ]; then
			last=$r since=$(date +%s) grace=0
		fi
		cur=$((last + 1))
		[ $cur -le $n ] && [ -z "$silent" ] || continue
		if [ $(($(date +%s) - since)) -gt $((tmos[cur - 1] + 45 + grace)) ]; then
			silent="no output for $((tmos[cur - 1] + 45 + grace)) s, QEMU stopped"
			echo "upstream-selftests: $mode: ${names[cur - 1]}: $silent" >&2
			[ -f "$pidfile" ] && kill "$(cat "$pidfile")"
		fi
	done
	wait "$qpid"
}

run_mode() {	# mode
	local mode=$1 from=1 boot=0 deaths= merged r dead left why deadline blog
	local tap=$results/upstream-$mode.tap log=$results/console-upstream-$mode.log
	merged=$(mktemp)
	deadline=$(($(date +%s) + budget))
	rm -f "$results"/console-upstream-"$mode".boot*.log
	while [ $from -le $n ]; do
		boot=$((boot + 1))
		left=$((deadline - $(date +%s)))
		if [ $left -lt 120 ]; then
			for ((i = from; i <= n; i++)); do
				echo "not ok $i ${names[i - 1]} # not run: the $mode run's time budget ($budget s) is used up"
			done >>"$merged"
			break
		fi
		echo "== upstream KVM selftests on $mode, boot $boot from test $from (QEMU timeout $left s)"
		rm -f "$tap"
		boot_watched "$mode" $from $left
		# Kernel messages that reached the console inside the TAP become comments.
		sed -E '/^(ok |not ok |#|1\.\.)/!s/^/# /' "$tap" 2>/dev/null |
			{ if [ $boot = 1 ]; then cat; else grep -v '^1\.\.'; fi; } >>"$merged"
		blog=$results/console-upstream-$mode.boot$boot.log
		mv "$log" "$blog" 2>/dev/null || : >"$blog"
		grep -q '^@@KVMX-DONE' "$blog" && break
		why=${silent:-$(grep -E 'Kernel panic|Internal error|qemu-system-aarch64:' "$blog" | tail -1)}
		why=$(echo "${why:-$(grep -v '^[[:space:]]*$' "$blog" | tail -1)}" | tr -d '#' | cut -c1-160)
		if ! grep -q '^1\.\.' "$tap" 2>/dev/null; then
			for ((i = from; i <= n; i++)); do
				echo "not ok $i ${names[i - 1]} # not run: the host died before the first test: $why (boot $boot)"
			done >>"$merged"
			deaths="$deaths (before the first test)"
			break
		fi
		r=$(last_result "$tap")
		dead=$((${r:-$((from - 1))} + 1))
		if [ $dead -gt $n ]; then
			echo "# the host died after the last test: $why (boot $boot)" >>"$merged"
			deaths="$deaths (after the last test)"
			break
		fi
		echo "not ok $dead ${names[dead - 1]} # host died: $why (boot $boot)" >>"$merged"
		deaths="$deaths ${names[dead - 1]}"
		from=$((dead + 1))
	done
	mv "$merged" "$tap"
	for ((i = 1; i <= boot; i++)); do
		[ -f "$results/console-upstream-$mode.boot$i.log" ] || continue
		[ $boot -gt 1 ] && echo "===== boot $i of $boot"
		cat "$results/console-upstream-$mode.boot$i.log"
		rm -f "$results/console-upstream-$mode.boot$i.log"
	done >"$log"
	# Every test must have a result; the built-in KVM's host must never die.
	local got bad=
	got=$(grep -E '^(not )?ok [0-9]+ ' "$tap" | grep -vc '# not run:')
	[ "$got" -eq "$n" ] || bad="$got of $n tests have a result"
	[ "$mode" = builtin ] && [ -n "$deaths" ] && bad="${bad:+$bad; }the host died during:$deaths"
	{
		echo "1..1"
		if [ -z "$bad" ]; then
			echo "ok 1 upstream-${mode}_results_complete # $boot boot(s)${deaths:+; host died during:$deaths}"
		else
			echo "not ok 1 upstream-${mode}_results_complete # $bad"
		fi
	} >"$results/boot-upstream-$mode.tap"
}

for mode in ${UPSTREAM_HV:-builtin kvmx}; do
	run_mode "$mode"
done
bash "$here/upstream-compare.sh" "$results" "$listdir/tests.txt" "$listdir/known-failures.txt"
