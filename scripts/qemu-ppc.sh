#!/usr/bin/env bash
# Boot the QEMU POWER9 host on the test initramfs in one mode (scripts/guest/init) and
# cut the TAP suites it prints into RESULTS/<suite>.tap, as scripts/qemu.sh does for arm64.
# Usage: qemu-ppc.sh MODE KERNEL INITRAMFS RESULTS [TIMEOUT_S [QEMU [EXTRA]]]
#   MODE run:     powernv9 (skiboot, the kernel is the hypervisor): insmod, table, rmmod
#   MODE check:   powernv9: the module suite (ppc-module.tap)
#   MODE pseries: the same kernel as a pseries guest (SLOF): kvmx loads in no hypervisor
#                 mode (ppc-pseries.tap)
#   MODE stopref-stock, stopref-patched: powernv9 with the in-kernel kvm-hv: a guest
#                 `stop` (ppc_stop_test), on the installed QEMU or the patched one
#   MODE noxive:  powernv9 (2 CPUs) booted with xive=off (OPAL's XICS emulation): no XIVE
#                 device, guests still run on kvmx (ppc-noxive.tap)
#   MODE hvref:   powernv9 (2 CPUs) with the in-kernel kvm-hv: ppc_run_test,
#                 ppc_stop0lite_test and ppc_wake_lat (the reference for kvmx)
#   MODE kvmx-run: powernv9 (2 CPUs) with kvmx: the same three programs
#   MODE fuzz:    powernv9 (2 CPUs): the ioctl fuzzer's suite (fuzz.sh) on kvmx
#   MODE hugepages: powernv9,radix-ap=on (2 CPUs; the patched QEMU,
#                 scripts/qemu-patches/pnv-radix-ap.patch): the device tree lists 2 MB and
#                 1 GB radix pages as a real POWER9's does, so the kernel has hugetlbfs and
#                 maps its memory in huge pages; ppc_xive_test and ppc_mmu_test on kvm-hv,
#                 then on kvmx in the same boot
#   MODE vmm:     powernv9 (2 CPUs, 3 GB): Debian's qemu-system-ppc64 runs a pseries guest
#                 on kvm-hv and on kvmx (scripts/guest/vmm-ppc.sh; initramfs of
#                 scripts/mkinitramfs-vmm-ppc.sh); with ICOUNT=1 in the environment one
#                 host CPU under -icount shift=0,sleep=off (the host's clock counts its
#                 instructions: boot-to-/init becomes a deterministic figure), and the wall
#                 clock of each nested boot beside it (the @@VMM-WALL marks the host prints,
#                 stamped here with this machine's clock)
# QEMU defaults to the installed qemu-system-ppc64; pass another (the patched build of
# scripts/qemu-ppc-patched.sh) as the sixth argument. EXTRA (seventh) is appended to the
# kernel command line (e.g. kvmxstop=ill|priv: what ppc_stop0lite_test expects of a guest
# stop without the capability).
# Exit status: 0 if the guest reached @@KVMX-DONE (and, for run, @@KVMX-RUN-OK).
set -uo pipefail
mode=$1 kernel=$2 initrd=$3 results=$4 tmo=${5:-300} qemu=${6:-qemu-system-ppc64} extra=${7:-}
mkdir -p "$results"
log="$results/console-ppc-$mode.log"
append="console=hvc0 quiet panic=-1 kvmxtest=ppc-$mode${extra:+ $extra}"
smp=1 mem=2048
case $mode in
run | check | stopref-stock | stopref-patched)
	machine=(-M powernv9 -cpu power9 -bios /usr/share/qemu/skiboot.lid)
	;;
hvref | kvmx-run | fuzz)
	# Two host CPUs: the two-vCPU cases (doorbells) run their vCPU threads side by side.
	machine=(-M powernv9 -cpu power9 -bios /usr/share/qemu/skiboot.lid)
	smp=2
	;;
hugepages)
	machine=(-M powernv9,radix-ap=on -cpu power9 -bios /usr/share/qemu/skiboot.lid)
	smp=2
	;;
vmm)
	# The nested QEMU's guest has 512 MB; the initramfs (QEMU, the guest's kernel) ~200 MB.
	machine=(-M powernv9 -cpu power9 -bios /usr/share/qemu/skiboot.lid)
	smp=2 mem=3072
	if [ "${ICOUNT:-0}" = 1 ]; then
		# -icount runs every host CPU in one thread, round-robin: one CPU.
		smp=1
		machine+=(-icount shift=0,sleep=off)
		append+=" kvmxvmmclock=icount"
	fi
	;;
noxive)
	# The kernel keeps off XIVE and uses the XICS emulation skiboot offers on POWER9.
	machine=(-M powernv9 -cpu power9 -bios /usr/share/qemu/skiboot.lid)
	smp=2
	append+=" xive=off"
	;;
pseries)
	# TCG cannot provide the Spectre mitigations pseries asks the host for by default.
	machine=(-M pseries,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off -vga none
		-cpu power9)
	;;
*) echo "qemu-ppc.sh: unknown mode $mode" >&2; exit 2 ;;
esac
# The host's @@VMM-WALL marks (vmm mode) get this machine's wall clock in front.
stamp() {
	local l
	while IFS= read -r l; do
		case $l in
		*@@VMM-WALL*) printf '%s %s\n' "$EPOCHREALTIME" "$l" ;;
		*) printf '%s\n' "$l" ;;
		esac
	done
}
load0=$(cat /proc/loadavg)
start=$(date +%s)
timeout --foreground -k 5 "$tmo" "$qemu" -L /usr/share/qemu "${machine[@]}" -smp $smp,cores=$smp,threads=1 -m $mem \
	-nographic -no-reboot -nic none -kernel "$kernel" -initrd "$initrd" -append "$append" \
	</dev/null 2>&1 | stdbuf -oL tr -d '\r' | stamp | tee "$log" |
	{ [ "$mode" = run ] && grep -v -e '^@@' -e '^\[ *[0-9.]*,[0-9]\]' || cat >/dev/null; }
status=${PIPESTATUS[0]}
secs=$(($(date +%s) - start))
echo "qemu-ppc.sh: $mode boot finished in $secs s (qemu status $status)" >&2
qemu_version=$("$qemu" --version | sed -n 1p)
if [ "$mode" = vmm ]; then
	# The wall clock of each nested boot (QEMU start to the guest's /init, as the host
	# saw them), the clock the host's own figures are in, and this machine's load.
	{
		awk '$3 == "@@VMM-WALL" && $6 == "start" { t0[$4 " " $5] = $1 }
			$3 == "@@VMM-WALL" && $6 == "init" && ($4 " " $5) in t0 {
				printf "@@VMM-TABLE wall clock %-6s %-8s %.1f s\n", $4, $5, $1 - t0[$4 " " $5] }' "$log"
		echo "@@VMM-TABLE host clock: $([ "${ICOUNT:-0}" = 1 ] && echo "-icount shift=0,sleep=off (1 s = 1e9 host instructions), 1 host CPU" || echo "wall, $smp host CPUs"); $qemu_version"
		echo "@@VMM-TABLE load average (this machine) at start: $load0; at end: $(cat /proc/loadavg)"
	} >>"$log"
fi
awk -v dir="$results" -v qemu="$qemu_version" '
	/@@KVMX-BOOTED / { sub(/.*@@KVMX-BOOTED /, ""); kernel = $1 }
	/^@@TAP-BEGIN / { name = $2; file = dir "/" name ".tap"; printf "" > file; first = 1; next }
	/^@@TAP-END / { close(file); name = ""; next }
	name != "" && first {
		first = 0
		print "# qemu: " qemu >> file
		print "# kernel: " kernel >> file
	}
	name != "" { print >> file }
' "$log"
done_marker='^@@KVMX-DONE'
[ "$mode" = run ] && done_marker='^@@KVMX-RUN-OK'
tap="$results/boot-ppc-$mode.tap"
if grep -q "$done_marker" "$log"; then
	printf '1..1\nok 1 ppc_%s_boot_completes # %s s\n' "$mode" "$secs" >"$tap"
	exit 0
fi
echo "qemu-ppc.sh: $mode: guest did not finish (see $log)" >&2
printf '1..1\nnot ok 1 ppc_%s_boot_completes\n' "$mode" >"$tap"
exit 1
