#!/usr/bin/env bash
# Sum the TAP files in RESULTS: one line per suite, then the closing
# "N passed, N failed, N skipped, N todo". A TAP TODO ("# TODO" after ok or not ok: a known
# failure, see tools/testing/upstream/known-failures.txt) counts as todo, never as failed.
# A suite that promised more tests (1..N) than it reported counts the missing ones as
# failed; a suite expected but absent (it did not run at all) counts as one failure.
# The upstream selftests' raw runs (upstream-builtin, upstream-kvmx) and the vmm suite's
# (vmm-builtin, vmm-kvmx) are shown but not counted: upstream-compare and vmm-compare are
# their verdicts. Exit status 1 if anything failed.
set -uo pipefail
results=$1
top=$(cd "$(dirname "$0")/.." && pwd)
# SUMMARY_EXPECTED replaces the list of suites besides the kselftests (make check-debug).
expected=${SUMMARY_EXPECTED:-"setup unit sparse format module-info boot-check boot-builtin boot-noel2 device module fuzz
	host-builtin host-noel2 boot-upstream-builtin boot-upstream-kvmx upstream-compare
	boot-vmm-builtin boot-vmm-kvmx vmm-compare xmigrate-to-kvmx xmigrate-to-builtin boot-vmm-xback
	boot-ppc-check ppc-module boot-ppc-pseries ppc-pseries boot-ppc-noxive ppc-noxive
	boot-ppc-stopref-stock ppc-stopref-stock boot-ppc-stopref-patched ppc-stopref-patched
	boot-ppc-hvref ppc-hvref-run ppc-hvref-stop0lite ppc-hvref-lat ppc-hvref-xive ppc-hvref-vmm ppc-hvref-mmu
	boot-ppc-kvmx-run ppc-kvmx-run ppc-kvmx-stop0lite ppc-kvmx-lat ppc-kvmx-xive ppc-kvmx-vmm ppc-kvmx-mmu ppc-kvmx-unload
	boot-ppc-hugepages ppc-hugepages ppc-hp-hvref-xive ppc-hp-hvref-mmu ppc-hp-kvmx-xive
	ppc-hp-kvmx-mmu ppc-hp-kvmx-unload
	boot-ppc-fuzz ppc-fuzz sparse-powerpc boot-ppc-vmm vmm-ppc-kvmhv vmm-ppc-kvmx"}
# SUMMARY_KVERS: the suffixes of other kernels' suites copied into RESULTS (make check:
# "-6.12", Debian's 6.12 host), each expected with the suites of SUMMARY_KVER_SUITES and
# with every kselftest.
kvers=${SUMMARY_KVERS:-}
for k in $kvers; do
	for s in ${SUMMARY_KVER_SUITES:-}; do expected="$expected $s$k"; done
done
informative="upstream-builtin upstream-kvmx vmm-builtin vmm-kvmx"
# SUMMARY_KSELFTESTS=0: a results directory without kselftests (make check-dkms).
[ "${SUMMARY_KSELFTESTS:-1}" = 0 ] ||
for t in "$top"/tools/testing/selftests/kvmx/*_test.c; do
	for k in "" $kvers; do
		expected="$expected kselftest-$(basename "$t" .c)$k"
	done
done
total_pass=0 total_fail=0 total_skip=0 total_todo=0
count() {	# tap-file: prints "passed failed skipped todo"
	awk '
		/^1\.\.[0-9]+/ { split($0, a, "\\.\\."); plan = a[2] + 0 }
		/^ok / { if ($0 ~ /# *TODO/) td++; else if ($0 ~ /# *SKIP/) sk++; else p++ }
		/^not ok / { if ($0 ~ /# *TODO/) td++; else fl++ }
		END {
			missing = plan - (p + fl + sk + td); if (missing > 0) fl += missing
			print p + 0, fl + 0, sk + 0, td + 0
		}
	' "$1"
}
row() { printf '%-34s %6s %6s %6s %6s%s\n' "$@"; }
row suite passed failed skipped todo ""
for s in $expected; do
	f="$results/$s.tap"
	if [ ! -f "$f" ]; then
		row "$s" 0 1 0 0 "   (did not run)"
		total_fail=$((total_fail + 1))
		continue
	fi
	read -r p fl sk td < <(count "$f")
	row "$s" "$p" "$fl" "$sk" "$td" ""
	total_pass=$((total_pass + p)) total_fail=$((total_fail + fl))
	total_skip=$((total_skip + sk)) total_todo=$((total_todo + td))
done
for s in $informative; do
	f="$results/$s.tap"
	[ -f "$f" ] || continue
	read -r p fl sk td < <(count "$f")
	row "$s" "$p" "$fl" "$sk" "$td" "   (not counted)"
done
[ -f "$results/upstream-table.txt" ] && echo "upstream selftests: $results/upstream-table.txt"
[ -f "$results/vmm-table.txt" ] && echo "vmm (nested QEMU): $results/vmm-table.txt"
echo "results: $results"
echo "$total_pass passed, $total_fail failed, $total_skip skipped, $total_todo todo"
[ $total_fail -eq 0 ]
