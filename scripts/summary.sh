#!/usr/bin/env bash
# Sum the TAP files in RESULTS: one line per suite, then the closing "N passed, N failed".
# A suite that promised more tests (1..N) than it reported counts the missing ones as
# failed; a suite expected but absent (it did not run at all) counts as one failure.
# Exit status 1 if anything failed.
set -uo pipefail
results=$1
top=$(cd "$(dirname "$0")/.." && pwd)
expected="unit sparse format module-info boot-check boot-builtin boot-noel2 module host-builtin host-noel2"
for t in "$top"/tools/testing/selftests/kvmx/*_test.c; do
	expected="$expected kselftest-$(basename "$t" .c)"
done
total_pass=0 total_fail=0 total_skip=0
printf '%-34s %6s %6s %6s\n' suite passed failed skipped
for s in $expected; do
	f="$results/$s.tap"
	if [ ! -f "$f" ]; then
		printf '%-34s %6s %6s %6s   (did not run)\n' "$s" 0 1 0
		total_fail=$((total_fail + 1))
		continue
	fi
	read -r p fl sk < <(awk '
		/^1\.\.[0-9]+/ { split($0, a, "\\.\\."); plan = a[2] + 0 }
		/^ok / { if ($0 ~ /# *SKIP/) sk++; else p++ }
		/^not ok / { fl++ }
		END { missing = plan - (p + fl + sk); if (missing > 0) fl += missing; print p + 0, fl + 0, sk + 0 }
	' "$f")
	printf '%-34s %6s %6s %6s\n' "$s" "$p" "$fl" "$sk"
	total_pass=$((total_pass + p)) total_fail=$((total_fail + fl)) total_skip=$((total_skip + sk))
done
echo "results: $results"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ $total_fail -eq 0 ]
