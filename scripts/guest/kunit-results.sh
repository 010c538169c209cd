#!/bin/sh
# kvmx's in-kernel KUnit suites (virt/kvmx/kunit.c), run when kvmx was loaded with
# kunit=1, as one flat TAP list: every case of every suite, "ok N <suite>.<case>", from
# the KTAP that KUnit keeps in /sys/kernel/debug/kunit/<suite>/results, failure messages
# as comments. A suite that is absent, or reported fewer cases than it planned, fails.
# Usage: kunit-results.sh SUITE...
n=0
for suite in "$@"; do
	f=/sys/kernel/debug/kunit/$suite/results
	if [ ! -r "$f" ]; then
		n=$((n + 1))
		echo "not ok $n $suite # no KUnit results (kvmx without KUnit, or not loaded with kunit=1)"
		continue
	fi
	# Case lines are indented once (4 spaces); the suite's plan is the first "    1..N".
	# Prints the TAP lines, then the new count on a line of its own ("@@n N").
	awk -v suite="$suite" -v n="$n" '
		/^    1\.\.[0-9]+$/ && plan == "" { plan = substr($1, 4) + 0; next }
		/^    (not )?ok [0-9]+ / {
			got++; n++
			verdict = $1 == "not" ? "not ok" : "ok"
			rest = $0
			sub(/^ +(not )?ok [0-9]+ /, "", rest) # the name and any "# SKIP ..."
			print verdict " " n " " suite "." rest
			next
		}
		/^ +# / && !/# Subtest:/ && comments < 40 { sub(/^ +/, ""); print; comments++ }
		END {
			if (plan == "" || got < plan) {
				n++
				print "not ok " n " " suite ".all_cases_reported # planned " plan ", reported " got + 0
			}
			print "@@n " n
		}
	' "$f" >/tmp/kunit-suite
	grep -v '^@@n ' /tmp/kunit-suite
	n=$(sed -n 's/^@@n //p' /tmp/kunit-suite)
done
echo "1..$n"
