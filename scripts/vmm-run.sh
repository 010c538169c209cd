#!/usr/bin/env bash
# The vmm suite: boot the QEMU arm64 host twice on the same initramfs-vmm (scripts/
# mkinitramfs-vmm.sh), with the same case list, boots per case and timeouts: on the
# built-in KVM (vmm-builtin), then on kvmx with kvm-arm.mode=none (vmm-kvmx); one after
# the other, as boot times are compared. Then scripts/vmm-compare.sh writes
# RESULTS/vmm-compare.tap and prints the side-by-side table (RESULTS/vmm-table.txt).
# Each host boot is bounded: 180 s for booting and the host checks, plus the case timeout
# + 15 s (SIGTERM, then SIGKILL 5 s later, and slack) for every boot of every case.
# Exit status 1 if a host boot did not complete or a check is "not ok" (TODO aside).
# Usage: vmm-run.sh KERNEL INITRAMFS RESULTS LISTDIR REPEAT CASE_TIMEOUT_S
#   LISTDIR holds cases.txt and known-failures.txt (tools/testing/vmm).
set -uo pipefail
kernel=$1 initrd=$2 results=$3 listdir=$4 repeat=$5 tmo=$6
here=$(cd "$(dirname "$0")" && pwd)
ncases=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$listdir/cases.txt" | wc -l)
host_tmo=$((180 + ncases * repeat * (tmo + 15)))
mkdir -p "$results"
for mode in builtin kvmx; do
	rm -f "$results/vmm-$mode.tap" "$results/boot-vmm-$mode.tap"
	echo "== vmm suite on $mode: $ncases cases x $repeat boot(s), case timeout $tmo s," \
		"host timeout $host_tmo s"
	bash "$here/qemu.sh" "vmm-$mode" "$kernel" "$initrd" "$results" "$host_tmo" \
		"kvmxvmmrepeat=$repeat kvmxvmmtimeout=$tmo"
done
bash "$here/vmm-compare.sh" "$results" "$listdir/cases.txt" "$listdir/known-failures.txt" || exit 1
# Exit status 1 when a host boot did not complete or a check failed (TODO lines aside).
grep -h '^not ok' "$results/boot-vmm-builtin.tap" "$results/boot-vmm-kvmx.tap" \
	"$results/vmm-compare.tap" 2>/dev/null | grep -v '# TODO' >/dev/null && exit 1
exit 0
