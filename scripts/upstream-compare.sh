#!/usr/bin/env bash
# The bar for kvmx against upstream's KVM selftests: from RESULTS/upstream-builtin.tap and
# RESULTS/upstream-kvmx.tap write RESULTS/upstream-compare.tap, one line per test of
# TESTS.txt, and print the side-by-side table (also saved as RESULTS/upstream-table.txt).
# A test is "ok" if it passes on kvmx (noted "passes on kvmx only" when the built-in KVM
# did not pass it: a win), or it did not pass on the built-in KVM (TCG timing, no AArch32,
# not built...); otherwise "not ok". The table says, for each test kvmx does not pass, why. (The vGIC tests aarch64/arch_timer,
# aarch64/vgic_init and aarch64/vgic_irq are held to the same bar since kvmx has one.)
# Tests listed in KNOWN.txt are TAP TODOs: "not ok ... # TODO <reason>" while they fail,
# "ok ... # TODO now passes on kvmx: remove ..." once they pass (summary.sh counts TODO
# apart, never as a failure).
# Usage: upstream-compare.sh RESULTS TESTS.txt KNOWN.txt
set -euo pipefail
results=$1 list=$2 known=$3
out=$results/upstream-compare.tap
table=$results/upstream-table.txt

# One "name US status US detail US why" line per test (US: the ASCII unit separator, not
# a tab, which read would merge around an empty field) of a TAP file: status PASS, SKIP,
# FAIL, TIMEOUT, HUNG, HOST-DIED, NOT-RUN or NOT-BUILT; detail is the time taken, or the
# exit status of a failure; why (empty for a pass) is the test's own reason: the SKIP
# message, the build error, the failed assertion (upstream.sh prints the end of a failing
# test's output as comments after its line) or the last line it printed before a timeout.
results_of() {
	[ -f "$1" ] || return 0
	awk '
		function flush() {
			if (name == "") return
			w = why
			if (st != "PASS" && st != "SKIP" && st != "NOT-BUILT") {
				if (gassert != "") w = gassert
				else if (assert != "") w = assert (amsg != "" ? " -- " amsg : "")
				else if (lastout != "") w = (w != "" ? w "; " : "") "last output: " lastout
			}
			gsub(/[\t\037]/, " ", w)
			printf "%s\037%s\037%s\037%s\n", name, st, d, w
			name = ""
		}
		/^(not )?ok [0-9]+ / {
			flush()
			bad = ($1 == "not"); name = bad ? $4 : $3
			comment = ""
			if ((i = index($0, " # ")) > 0) comment = substr($0, i + 3)
			t = ""
			if (match(comment, /time=[0-9.]+s/)) t = substr(comment, RSTART + 5, RLENGTH - 5)
			why = comment; sub(/;? *time=.*/, "", why)
			gassert = assert = amsg = lastout = ""; inout = 0; after = 0
			if (!bad) {
				st = (comment ~ /^SKIP/) ? "SKIP" : "PASS"; d = t
				if (comment ~ /^SKIP not built/) st = "NOT-BUILT"
				sub(/^SKIP */, "", why)
				if (st == "PASS") why = ""
			} else if (comment ~ /^hung/) { st = "HUNG"; d = t }
			else if (comment ~ /^host died/) { st = "HOST-DIED"; d = "" }
			else if (comment ~ /^not run/) { st = "NOT-RUN"; d = "" }
			else if (comment ~ /^timeout/) { st = "TIMEOUT"; d = t }
			else {
				st = "FAIL"; d = comment; why = ""
				if (match(comment, /exit=[0-9]+/)) d = "exit " substr(comment, RSTART + 5, RLENGTH - 5)
			}
			next
		}
		/^# --- .*: last lines of output$/ { inout = 1; next }
		/^# --- / { inout = 0; next }
		inout && /^# / {
			l = substr($0, 3); sub(/^[ \t]+/, "", l); sub(/[ \t]+$/, "", l)
			if (l == "") next
			if (l ~ /^==== Test Assertion Failure ====/) { after = 1; next }
			if (l ~ /^Failed guest assert: /) { gassert = l; next }
			if (after == 1) { assert = l; after = 2; next }
			if (after == 2 && l ~ /^pid=/) { after = 3; next }
			if (after == 3) { amsg = l; after = 0; next }
			lastout = l
		}
		END { flush() }' "$1"
}

declare -A bst bdt kst kdt kwhy why
while IFS=$'\037' read -r name st d _; do bst[$name]=$st bdt[$name]=$d; done \
	< <(results_of "$results/upstream-builtin.tap")
while IFS=$'\037' read -r name st d w; do kst[$name]=$st kdt[$name]=$d kwhy[$name]=$w; done \
	< <(results_of "$results/upstream-kvmx.tap")
while read -r name reason; do
	why[$name]=$reason
done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$known")
mapfile -t tests < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$list" | awk '{ print $1 }')

show() { [ -n "$1" ] && echo "$1${2:+ $2}" || echo "no result"; }
n=0
{
	echo "1..${#tests[@]}"
	for t in "${tests[@]}"; do
		n=$((n + 1))
		b=${bst[$t]:-} k=${kst[$t]:-}
		bs=$(show "$b" "${bdt[$t]:-}") ks=$(show "$k" "${kdt[$t]:-}")
		if [ "$k" = PASS ]; then
			if [ -n "${why[$t]:-}" ]; then
				echo "ok $n $t # TODO now passes on kvmx: remove it from known-failures.txt"
			elif [ "$b" != PASS ]; then
				echo "ok $n $t # passes on kvmx only; built-in KVM: $bs"
			else
				echo "ok $n $t"
			fi
		elif [ "$b" != PASS ]; then
			echo "ok $n $t # does not pass on the built-in KVM either ($bs); kvmx: $ks"
		elif [ -n "${why[$t]:-}" ]; then
			echo "not ok $n $t # TODO ${why[$t]}; kvmx: $ks"
		else
			echo "not ok $n $t # kvmx: $ks; built-in KVM: PASS"
		fi
	done
	for t in "${!why[@]}"; do
		grep -qxF -- "$t" <<<"$(printf '%s\n' "${tests[@]}")" ||
			echo "# known-failures.txt names $t, which tests.txt does not run"
	done
} >"$out"

# The table: test | built-in | kvmx | compare | why kvmx did not pass. "ok, kvmx only" is
# a test that passes on kvmx and not on the built-in KVM. The counts close it.
wins=0 bpass=0 kpass=0
{
	printf '%-34s %-18s %-18s %-14s %s\n' test built-in kvmx compare "why not on kvmx"
	while IFS= read -r line; do
		case $line in
		"ok "* | "not ok "*) ;;
		*) continue ;;
		esac
		read -ra f <<<"${line#not }"
		t=${f[2]}
		verdict=ok
		case $line in
		*"# TODO now passes"*) verdict="TODO: now passes, remove from known-failures" ;;
		*"# TODO"*) verdict=TODO ;;
		*"# passes on kvmx only"*) verdict="ok, kvmx only" wins=$((wins + 1)) ;;
		"not ok"*) verdict="NOT OK" ;;
		esac
		[ "${bst[$t]:-}" != PASS ] || bpass=$((bpass + 1))
		[ "${kst[$t]:-}" != PASS ] || kpass=$((kpass + 1))
		w=
		[ "${kst[$t]:-}" = PASS ] || w=${kwhy[$t]:-}
		printf '%-34s %-18s %-18s %-14s %s\n' "$t" "$(show "${bst[$t]:-}" "${bdt[$t]:-}")" \
			"$(show "${kst[$t]:-}" "${kdt[$t]:-}")" "$verdict" "${w:0:150}"
	done <"$out"
	echo "passed: built-in KVM $bpass, kvmx $kpass of ${#tests[@]}; on kvmx only: $wins"
} | tee "$table"
