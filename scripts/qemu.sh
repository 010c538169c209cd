#!/usr/bin/env bash
# Boot the QEMU arm64 host on the test initramfs in one mode (scripts/guest/init) and cut
# the TAP suites it prints into RESULTS/<suite>.tap.
# Usage: qemu.sh MODE KERNEL INITRAMFS RESULTS [TIMEOUT_S [EXTRA_KERNEL_ARGS]]
#   MODE run|check|fuzz|device: kvm-arm.mode=none (kvmx's host)
#   MODE builtin:   default kernel command line, the built-in KVM owns /dev/kvm
#   MODE noel2:     virtualization=off, the kernel runs at EL1
#   MODE cmd, cmd-builtin: by hand, kvmxcmd=<program>[:arg...] in EXTRA_KERNEL_ARGS runs
#                   that test program on kvmx, or on the built-in KVM
#   MODE upstream-builtin, upstream-kvmx: upstream's KVM selftests (initramfs-upstream)
#                   on the built-in KVM, or on kvmx with kvm-arm.mode=none
#   MODE vmm-builtin, vmm-kvmx: the nested QEMU of the vmm suite (initramfs-vmm, 3 GB of
#                   memory) on the built-in KVM, or on kvmx with kvm-arm.mode=none
#   MODE dkms:      the kvmx-dkms package built by dkms on a Debian root (initramfs-dkms,
#                   3 GB of memory), kvm-arm.mode=none
# Every TAP file starts with comments naming the QEMU and the guest kernel versions.
# KVMX_QEMU_CPU replaces the emulated CPU model, "max" (make selftests-upstream KVER=6.12:
# "max,lpa2=off", see the Makefile); the TAP comment names it when it is not the default.
# The console log is written line by line as the guest prints, and QEMU's pid is in
# RESULTS/qemu-MODE.pid while it runs (for upstream-selftests.sh's watchdog).
# Exit status: 0 if the guest reached @@KVMX-DONE (and, for run, @@KVMX-RUN-OK).
set -uo pipefail
mode=$1 kernel=$2 initrd=$3 results=$4 tmo=${5:-600} extra=${6:-}
mkdir -p "$results"
log="$results/console-$mode.log"
virt=on
mem=2048
append="console=ttyAMA0 quiet panic=-1 kvmxtest=$mode${extra:+ $extra}"
case $mode in
run | check | fuzz | device | upstream-kvmx | cmd) append="$append kvm-arm.mode=none" ;;
vmm-kvmx | dkms) append="$append kvm-arm.mode=none" mem=3072 ;;
vmm-builtin) mem=3072 ;;
builtin | upstream-builtin | cmd-builtin) ;;
noel2) virt=off ;;
*) echo "qemu.sh: unknown mode $mode" >&2; exit 2 ;;
esac
# KVMX_QEMU_ICOUNT=1: the host under -icount shift=0,sleep=off, so that its clock counts
# instructions (make vmm ICOUNT=1: boot-to-/init in host instructions).
icount=()
[ "${KVMX_QEMU_ICOUNT:-0}" = 1 ] && icount=(-icount shift=0,sleep=off)
# KVMX_VMM_XFER=FILE (vmm modes, scripts/vmm-run.sh): a raw image as the host's virtio
# disk, kept across the boots of one run (cross-hypervisor migration, vmm.sh's xsave).
xfer=()
case $mode in
vmm-*) [ -n "${KVMX_VMM_XFER:-}" ] &&
	xfer=(-drive "if=none,id=xfer,format=raw,file=$KVMX_VMM_XFER" -device virtio-blk-device,drive=xfer) ;;
esac
pidfile="$results/qemu-$mode.pid"
start=$(date +%s)
timeout --foreground -k 5 "$tmo" qemu-system-aarch64 \
	-M virt,virtualization=$virt,gic-version=3 -cpu "${KVMX_QEMU_CPU:-max}" -smp 2 -m $mem \
	${icount[@]+"${icount[@]}"} ${xfer[@]+"${xfer[@]}"} -nographic -no-reboot -nic none -kernel "$kernel" -initrd "$initrd" -append "$append" \
	-pidfile "$pidfile" </dev/null 2>&1 | stdbuf -oL tr -d '\r' | tee "$log" |
	{ [ "$mode" = run ] && grep -v '^@@' || cat >/dev/null; }
status=${PIPESTATUS[0]}
rm -f "$pidfile"
echo "qemu.sh: $mode boot finished in $(( $(date +%s) - start )) s (qemu status $status)" >&2
qemu_version=$(qemu-system-aarch64 --version | sed -n 1p)
[ "${KVMX_QEMU_CPU:-max}" = max ] || qemu_version="$qemu_version, -cpu $KVMX_QEMU_CPU"
# The comments go after a leading "TAP version" line (kselftest harness), else first.
awk -v dir="$results" -v qemu="$qemu_version" '
	/^@@KVMX-BOOTED / { kernel = $2 }
	/^@@TAP-BEGIN / { name = $2; file = dir "/" name ".tap"; printf "" > file; first = 1; next }
	/^@@TAP-END / { close(file); name = ""; next }
	name != "" && first {
		first = 0
		if ($0 ~ /^TAP version/) { print >> file }
		print "# qemu: " qemu >> file
		print "# kernel: " kernel >> file
		if ($0 !~ /^TAP version/) { print >> file }
		next
	}
	name != "" { print >> file }
' "$log"
done_marker='^@@KVMX-DONE'
[ "$mode" = run ] && done_marker='^@@KVMX-RUN-OK'
if grep -q "$done_marker" "$log"; then
	printf '1..1\nok 1 %s_boot_completes\n' "$mode" >"$results/boot-$mode.tap"
	exit 0
fi
echo "qemu.sh: $mode: guest did not finish (see $log)" >&2
printf '1..1\nnot ok 1 %s_boot_completes\n' "$mode" >"$results/boot-$mode.tap"
exit 1
