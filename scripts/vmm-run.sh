#!/usr/bin/env bash
# The vmm suite: boot the QEMU arm64 host twice on the same initramfs-vmm (scripts/
# mkinitramfs-vmm.sh), with the same case list, boots per case and timeouts: on the
# built-in KVM (vmm-builtin), then on kvmx with kvm-arm.mode=none (vmm-kvmx); one after
# the other, as boot times are compared. Then scripts/vmm-compare.sh writes
# RESULTS/vmm-compare.tap and prints the side-by-side table (RESULTS/vmm-table.txt).
# Each host boot is bounded: 180 s for booting and the host checks, plus the case timeout
# + 15 s (SIGTERM, then SIGKILL 5 s later, and slack) for every boot of every case, twice
# for a migrate case (two QEMUs).
# Exit status 1 if a host boot did not complete or a check is "not ok" (TODO aside).
# Usage: vmm-run.sh KERNEL INITRAMFS RESULTS LISTDIR REPEAT CASE_TIMEOUT_S
#   LISTDIR holds cases.txt and known-failures.txt (tools/testing/vmm).
# By hand (both default to everything): VMM_CASES=irqchip-off-smp1,... boots only those
# cases of cases.txt; VMM_HV=kvmx (or builtin) boots one hypervisor only, and then there
# is no side-by-side comparison (vmm-compare.sh needs both): its TAP file is the result.
# VMM_LOAD=N keeps N busy loops running in the QEMU host during the nested boots;
# VMM_GUEST_ARGS=a=1,b=2 adds "a=1 b=2" to the nested guest's command line (vmm-init).
set -uo pipefail
kernel=$1 initrd=$2 results=$3 listdir=$4 repeat=$5 tmo=$6
cases=${VMM_CASES:-} hvs=${VMM_HV:-builtin,kvmx} load=${VMM_LOAD:-0} gargs=${VMM_GUEST_ARGS:-}
here=$(cd "$(dirname "$0")" && pwd)
# The cases of cases.txt VMM_CASES selects, or those of them whose options (fourth
# field, comma-separated) hold the word $1.
count_cases() {
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$listdir/cases.txt" |
		awk -v want=",$cases," -v word="${1:-}" '(want == ",," || index(want, "," $1 ",")) &&
			(word == "" || index("," $4 ",", "," word ","))' | wc -l
}
ncases=$(count_cases)
if [ "$ncases" = 0 ]; then
	echo "vmm-run.sh: no case of $listdir/cases.txt matches VMM_CASES=$cases" >&2
	exit 2
fi
# A migrate case (migrate=1 in its fourth field) runs two QEMUs in turn, each bounded.
nmig=$(count_cases migrate=1)
host_tmo=$((180 + (ncases + nmig) * repeat * (tmo + 15)))
mkdir -p "$results"
# A case with xmigrate=1 (and both hypervisors): the hosts share a disk image, on which
# each boot leaves its saved guest for the next one (vmm.sh's xsave). The built-in KVM's
# boot saves; kvmx's restores that guest (suite xmigrate-to-kvmx) and saves its own; a
# third boot, on the built-in KVM with no case, restores kvmx's (xmigrate-to-builtin).
nxmig=$(count_cases xmigrate=1)
xargs=
rm -f "$results/xmigrate-to-kvmx.tap" "$results/xmigrate-to-builtin.tap" "$results/boot-vmm-xback.tap"
if [ "$nxmig" -gt 0 ] && [ "$hvs" = builtin,kvmx ]; then
	export KVMX_VMM_XFER=$results/vmm-xfer.img
	rm -f "$KVMX_VMM_XFER"
	truncate -s 1G "$KVMX_VMM_XFER"
	xargs=" kvmxvmmxfer=1"
	host_tmo=$((host_tmo + nxmig * repeat * (tmo + 15)))
fi
for mode in $(tr , ' ' <<<"$hvs"); do
	case $mode in
	builtin | kvmx) ;;
	*) echo "vmm-run.sh: VMM_HV: unknown hypervisor '$mode' (builtin, kvmx)" >&2; exit 2 ;;
	esac
	rm -f "$results/vmm-$mode.tap" "$results/boot-vmm-$mode.tap"
	echo "== vmm suite on $mode: $ncases cases x $repeat boot(s), case timeout $tmo s," \
		"host timeout $host_tmo s"
	bash "$here/qemu.sh" "vmm-$mode" "$kernel" "$initrd" "$results" "$host_tmo" \
		"kvmxvmmrepeat=$repeat kvmxvmmtimeout=$tmo${cases:+ kvmxvmmcases=$cases} kvmxvmmload=$load${gargs:+ kvmxvmmguest=$gargs}$xargs"
done
if [ -n "$xargs" ]; then
	echo "== vmm suite: kvmx's saved guest restored on the built-in KVM"
	rm -rf "$results/xback"
	bash "$here/qemu.sh" vmm-builtin "$kernel" "$initrd" "$results/xback" $((180 + tmo + 15)) \
		"kvmxvmmrepeat=1 kvmxvmmtimeout=$tmo kvmxvmmcases=none$xargs"
	[ -f "$results/xback/xmigrate-to-builtin.tap" ] &&
		cp "$results/xback/xmigrate-to-builtin.tap" "$results/"
	# A known failure (known-failures.txt names "case.from-<hv>"): TAP TODO with its reason.
	for f in "$results/xmigrate-to-kvmx.tap" "$results/xmigrate-to-builtin.tap"; do
		[ -f "$f" ] || continue
		awk 'NR == FNR { if ($0 !~ /^[[:space:]]*(#|$)/) { k = $1; $1 = ""; why[k] = substr($0, 2) }; next }
			/^not ok / && !/# TODO/ {
				split($4, p, "."); k = p[1] "." p[2]
				if (k in why) {
					c = ""
					if ((i = index($0, " # ")) > 0) { c = substr($0, i + 3); $0 = substr($0, 1, i - 1) }
					$0 = $0 " # TODO " why[k] (c != "" ? "; " c : "")
				}
			}
			{ print }' "$listdir/known-failures.txt" "$f" >"$f.tmp" && mv "$f.tmp" "$f"
	done
	sed 's/vmm-builtin_boot_completes/vmm-xback_boot_completes/' \
		"$results/xback/boot-vmm-builtin.tap" >"$results/boot-vmm-xback.tap"
	rm -f "$KVMX_VMM_XFER"
fi
if [ "$hvs" != builtin,kvmx ]; then
	# One hypervisor (by hand): its own TAP lines are the result.
	for mode in $(tr , ' ' <<<"$hvs"); do
		grep -h '^not ok' "$results/boot-vmm-$mode.tap" "$results/vmm-$mode.tap" \
			>/dev/null 2>&1 && exit 1
	done
	exit 0
fi
bash "$here/vmm-compare.sh" "$results" "$listdir/cases.txt" "$listdir/known-failures.txt" || exit 1
# Exit status 1 when a host boot did not complete or a check failed (TODO lines aside).
grep -h '^not ok' "$results/boot-vmm-builtin.tap" "$results/boot-vmm-kvmx.tap" \
	"$results/vmm-compare.tap" 2>/dev/null | grep -v '# TODO' >/dev/null && exit 1
if [ -n "$xargs" ]; then
	for f in xmigrate-to-kvmx xmigrate-to-builtin boot-vmm-xback; do
		[ -f "$results/$f.tap" ] || exit 1
		grep '^not ok' "$results/$f.tap" | grep -v '# TODO' >/dev/null && exit 1
	done
fi
exit 0
