#!/usr/bin/env bash
# The bar for kvmx as a real VMM's /dev/kvm: from RESULTS/vmm-builtin.tap and
# RESULTS/vmm-kvmx.tap (scripts/guest/vmm.sh on each hypervisor) write
# RESULTS/vmm-compare.tap, one line per check, and print the side-by-side table (also
# saved as RESULTS/vmm-table.txt) with each case's boot-to-/init times: median, min and max
# over the boots of the run (VMM_REPEAT), on each hypervisor.
# A check is "ok" when it passes on kvmx. When kvmx fails it:
#   - the built-in KVM passes it: "not ok", or TAP TODO when its case is in KNOWN.txt
#     (the reason, e.g. no in-kernel vGIC yet; summary.sh counts TODO apart);
#   - the built-in KVM fails it too (or has no result): "ok ... # SKIP" saying so with both
#     results: nothing to compare against, shown in the summary's skipped column.
# host.rmmod-kvmx exists on kvmx only and is judged alone.
# Usage: vmm-compare.sh RESULTS CASES.txt KNOWN.txt
set -euo pipefail
results=$1 cases=$2 known=$3
out=$results/vmm-compare.tap
table=$results/vmm-table.txt

# One "name<TAB>PASS|FAIL<TAB>comment" line per TAP result.
results_of() {
	[ -f "$1" ] || return 0
	awk '/^(not )?ok [0-9]+ / {
			bad = ($1 == "not"); name = bad ? $4 : $3
			comment = ""
			if ((i = index($0, " # ")) > 0) comment = substr($0, i + 3)
			printf "%s\t%s\t%s\n", name, bad ? "FAIL" : "PASS", comment
		}' "$1"
}
# The first lines of each case's nested QEMU stderr in a TAP file: "case<TAB>line".
stderr_of() {
	[ -f "$1" ] || return 0
	awk '/^# --- .*: nested QEMU stderr$/ { c = $3; sub(/:$/, "", c); k = 0; next }
		/^# --- / || !/^# / { c = ""; next }
		c != "" && k < 3 && !seen[c, $0]++ { k++; printf "%s\t%s\n", c, substr($0, 3) }' "$1"
}
# Median, min and max of a comma-separated list of seconds: "13.20 (12.90-14.00) n=5".
stats() {
	[ -n "$1" ] || { echo "-"; return; }
	tr ',' '\n' <<<"$1" | sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.2f (%.2f-%.2f) n=%d\n", m, v[1], v[NR], NR }'
}
median() { stats "$1" | awk '{ print $1 }'; }

declare -A bst bcm kst kcm why
while IFS=$'\t' read -r name st cm; do bst[$name]=$st bcm[$name]=$cm; done \
	< <(results_of "$results/vmm-builtin.tap")
while IFS=$'\t' read -r name st cm; do kst[$name]=$st kcm[$name]=$cm; done \
	< <(results_of "$results/vmm-kvmx.tap")
while read -r name reason; do why[$name]=$reason; done \
	< <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$known")

# The checks, in the order vmm.sh prints them (the same rule as its checks_of).
checks=(host.nested-qemu-runs host.dev-kvm)
# VMM_CASES (vmm-run.sh, by hand): only the cases that ran.
mapfile -t case_lines < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$cases" |
	awk -v want=",${VMM_CASES:-}," 'want == ",," || index(want, "," $1 ",")')
for l in "${case_lines[@]}"; do
	read -r c smp machine args <<<"$l"
	# The host's knobs of the fourth field (vmm.sh's knobs): bus=pci, migrate=1; MSI
	# checks with virtio-pci on a GICv3 with its ITS.
	pci=0 msi=0 mig=0
	for w in ${args//,/ }; do
		case $w in
		bus=pci) pci=1 ;;
		migrate=1) mig=1 ;;
		esac
	done
	case ",$machine," in *,gic-version=3,*) msi=$pci ;; esac
	case ",$machine," in *,its=off,*) msi=0 ;; esac
	checks+=("$c.boots-to-init" "$c.timer-counts" "$c.cpus-online")
	if [ "$smp" -gt 1 ]; then checks+=("$c.ipis"); fi
	checks+=("$c.disk-checksum" "$c.disk-write" "$c.console-roundtrip" "$c.net-roundtrip")
	if [ $msi = 1 ]; then checks+=("$c.virtio-msi"); fi
	if [ $mig = 1 ]; then
		checks+=("$c.console-before-save" "$c.saved-to-file" "$c.console-after-restore")
		checks+=("$c.timer-after-restore" "$c.clock-continues" "$c.disk-after-restore")
		if [ $msi = 1 ]; then checks+=("$c.msi-after-restore"); fi
	fi
	checks+=("$c.poweroff-status-0")
done
checks+=(host.rmmod-kvmx host.dmesg-clean)

show() {	# status comment
	[ -n "$1" ] || { echo "no result"; return; }
	echo "$1${2:+ ($2)}"
}
n=0
{
	echo "1..${#checks[@]}"
	echo "# built-in KVM: $(sed -n 's/^# qemu: //p' "$results/vmm-builtin.tap" 2>/dev/null | sed -n 1p)"
	for k in "${checks[@]}"; do
		n=$((n + 1))
		c=${k%%.*}
		b=${bst[$k]:-} kv=${kst[$k]:-}
		bs=$(show "$b" "${bcm[$k]:-}") ks=$(show "$kv" "${kcm[$k]:-}")
		if [ "$kv" = PASS ]; then
			echo "ok $n $k"
		elif [ "$k" = host.rmmod-kvmx ]; then
			echo "not ok $n $k # kvmx: $ks"
		elif [ "$b" != PASS ]; then
			echo "ok $n $k # SKIP the built-in KVM does not pass it either: built-in KVM: $bs; kvmx: $ks"
		elif [ -n "${why[$c]:-}" ]; then
			echo "not ok $n $k # TODO ${why[$c]}; kvmx: $ks"
		else
			echo "not ok $n $k # kvmx: $ks; built-in KVM: PASS"
		fi
	done
	for c in "${!why[@]}"; do
		if ! grep -E "^$c " <<<"$(printf '%s\n' "${case_lines[@]}")" >/dev/null; then
			echo "# known-failures.txt names $c, which cases.txt does not run"
			continue
		fi
		all=1
		for k in "${checks[@]}"; do
			if [ "${k%%.*}" = "$c" ] && [ "${kst[$k]:-}" != PASS ]; then all=0; fi
		done
		if [ $all = 1 ]; then
			echo "# $c passes every check on kvmx now: remove it from known-failures.txt"
		fi
	done
} >"$out"

times_of() {	# status comment: the boot times of a boots-to-init comment
	sed -n 's/.*time=\([0-9.,]*\)s.*/\1/p' <<<"$2"
}
{
	printf '%-50s %-10s %-10s %s\n' check built-in kvmx compare
	while IFS= read -r line; do
		case $line in
		"ok "* | "not ok "*) ;;
		*) continue ;;
		esac
		read -ra f <<<"${line#not }"
		k=${f[2]}
		verdict=ok
		case $line in
		*"# TODO"*) verdict=TODO ;;
		*"# SKIP"*) verdict="skip: built-in fails" ;;
		"not ok"*) verdict="NOT OK" ;;
		esac
		b=${bst[$k]:-} kv=${kst[$k]:-}
		if [ "$k" = host.rmmod-kvmx ]; then b=n/a; fi
		printf '%-50s %-10s %-10s %s\n' "$k" "${b:-none}" "${kv:-none}" "$verdict"
	done <"$out"
	echo
	echo "boot to /init, seconds from QEMU's start: median (min-max) n=boots"
	printf '%-26s %-26s %-26s %s\n' case built-in kvmx kvmx/built-in
	for l in "${case_lines[@]}"; do
		read -r c _ <<<"$l"
		bt=$(times_of "" "${bcm[$c.boots-to-init]:-}") kt=$(times_of "" "${kcm[$c.boots-to-init]:-}")
		ratio=-
		if [ -n "$bt" ] && [ -n "$kt" ]; then
			ratio=$(awk -v a="$(median "$kt")" -v b="$(median "$bt")" 'BEGIN { printf "%.2f", a / b }')
		fi
		printf '%-26s %-26s %-26s %s\n' "$c" "$(stats "$bt")" "$(stats "$kt")" "$ratio"
	done
	# kvm-caps on each hypervisor (vmm.sh's "# cap:" lines): the capabilities that differ.
	declare -A bcap kcap
	while read -r name num vals; do bcap["$name $num"]=$vals; done \
		< <(sed -n 's/^# cap: \(KVM_CAP_[A-Z0-9_]*\) (\([0-9]*\)): /\1 \2 /p' \
			"$results/vmm-builtin.tap" 2>/dev/null)
	while read -r name num vals; do kcap["$name $num"]=$vals; done \
		< <(sed -n 's/^# cap: \(KVM_CAP_[A-Z0-9_]*\) (\([0-9]*\)): /\1 \2 /p' \
			"$results/vmm-kvmx.tap" 2>/dev/null)
	if [ ${#bcap[@]} -gt 0 ] || [ ${#kcap[@]} -gt 0 ]; then
		echo
		echo "KVM_CHECK_EXTENSION that differ (kvm-caps: on /dev/kvm, on a VM; 0 0 when absent)"
		printf '%-44s %-12s %s\n' capability built-in kvmx
		for k in $(printf '%s\n' "${!bcap[@]}" "${!kcap[@]}" | tr ' ' ':' | sort -t: -k2,2n -k1,1 -u); do
			key=${k/:/ }
			b=${bcap[$key]:-0 0} kv=${kcap[$key]:-0 0}
			if [ "$b" != "$kv" ]; then
				printf '%-44s %-12s %s\n' "${key% *} (${key#* })" "$b" "$kv"
			fi
		done
	fi
	for m in builtin kvmx; do
		s=$(stderr_of "$results/vmm-$m.tap")
		if [ -z "$s" ]; then continue; fi
		echo
		echo "nested QEMU stderr on $m (first lines per case):"
		sed 's/^/  /' <<<"$s"
	done
	echo
	awk '/^ok / && / # SKIP/ { sk++; next } /# TODO/ { td++; next } /^ok / { p++ } /^not ok / { f++ }
		END { printf "vmm-compare: %d passed, %d failed, %d skipped, %d todo\n", p, f, sk, td }' "$out"
} | tee "$table"
