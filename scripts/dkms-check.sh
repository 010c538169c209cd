#!/usr/bin/env bash
# make check-dkms: the kvmx-dkms package (make deb) installed with dpkg on an arm64 Debian
# root and built there by dkms, natively, in the QEMU arm64 host: one boot per kernel,
# Debian's 6.1 then its 6.12 (bookworm-backports), each with kvm-arm.mode=none
# (scripts/guest/dkms-tests.sh says what is checked). The root holds both kernels' headers
# and configs, so the postinst on 6.1 builds for 6.1 (running) and 6.12 (newest), as on a
# Debian host where both are installed; the 6.12 boot builds for 6.12 and loads that.
# Results: RESULTS/dkms-<series>.tap, boot-dkms-<series>.tap, console-dkms-<series>.log.
# Usage: dkms-check.sh RESULTS DEB BUSYBOX PROBE ENV_MK... (the env.mk of each kernel)
set -euo pipefail
results=$1 deb=$2 busybox=$3 probe=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)
TIMEOUT=${DKMS_TIMEOUT:-5400}
mkdir -p "$results"
specs=() images=()
for env in "$@"; do
	rel=$(sed -n 's/^KVMX_KABI := //p' "$env")
	img=$(sed -n 's/^KVMX_KIMAGE := //p' "$env")
	[ -n "$rel" ] && [ -f "$img" ] || { echo "dkms-check: $env names no kernel" >&2; exit 1; }
	specs+=("$rel:${img%/boot/*}") images+=("$img")
done
tree=$(bash "$here/dkms-root.sh" "${specs[@]}")
initrd=$results/initramfs-dkms.cpio.gz
bash "$here/mkinitramfs-dkms.sh" "$initrd" "$tree" "$busybox" "$probe" "$deb"
status=0
for img in "${images[@]}"; do
	rel=${img##*/vmlinuz-}
	v=${rel%%-*}
	series=${v%.*}
	start=$(date +%s)
	bash "$here/qemu.sh" dkms "$img" "$initrd" "$results" "$TIMEOUT" || status=1
	echo "dkms-check: the $rel boot took $(($(date +%s) - start)) s" >&2
	mv "$results/boot-dkms.tap" "$results/boot-dkms-$series.tap"
	mv "$results/console-dkms.log" "$results/console-dkms-$series.log"
done
rm -f "$initrd"
exit $status
