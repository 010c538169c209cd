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
ncases=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$listdir/cases.txt" |
	awk -v want=",$cases," 'want == ",," || index(want, "," $1 ",")' | wc -l)
if [ "$ncases" = 0 ]; then
	echo "vmm-run.sh: no case of $listdir/cases.txt matches VMM_CASES=$cases" >&2
	exit 2
fi
# A migrate case (migrate=1 in its fourth field) runs two QEMUs in turn, each bounded.
nmig=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$listdir/cases.txt" |
	awk -v want=",$cases," '(want == ",," || index(want, "," $1 ",")) && ("," $4 ",") ~ /,migrate=1,/' |
	wc -l)
host_tmo=$((180 + (ncases + nmig) * repeat * (tmo + 15)))
mkdir -p "$results"
for mode in $(tr , ' ' <<<"$hvs"); do
	case $mode in
	builtin | kvmx) ;;
	*) echo "vmm-run.sh: VMM_HV: unknown hypervisor '$mode' (builtin, kvmx)" >&2; exit 2 ;;
	esac
	rm -f "$results/vmm-$mode.tap" "$results/boot-vmm-$mode.tap"
	echo "== vmm suite on $mode: $ncases cases x $repeat boot(s), case timeout $tmo s," \
		"host timeout $host_tmo s"
	bash "$here/qemu.sh" "vmm-$mode" "$kernel" "$initrd" "$results" "$host_tmo" \
		"kvmxvmmrepeat=$repeat kvmxvmmtimeout=$tmo${cases:+ kvmxvmmcases=$cases} kvmxvmmload=$load${gargs:+ kvmxvmmguest=$gargs}"
done
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
exit 0
