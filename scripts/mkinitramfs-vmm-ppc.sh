#!/usr/bin/env bash
# The powernv9 host's initramfs for the POWER vmm suite: the test initramfs (kvmx.ko, the
# in-kernel kvm.ko/kvm-hv.ko, busybox, scripts/guest/init), then the nested VMM
# (scripts/vmm-ppc-fetch.sh's payload: qemu-system-ppc64, its libraries, SLOF), then what
# the nested guest needs: Debian's ppc64el vmlinux, a busybox initramfs whose /init is
# scripts/guest/vmm-ppc-guest-init (with the virtio-pci/virtio-blk modules) and a disk
# image with a known checksum. The kernel unpacks concatenated cpio archives in order.
# KVM_CAPS (tools/kvmx/ppc-kvm-caps.c) goes to /bin: the capability lists of both hypervisors.
# Usage: mkinitramfs-vmm-ppc.sh OUT BASE.cpio.gz PAYLOAD.cpio.gz BUSYBOX VMLINUX KMODDIR KVM_CAPS
set -euo pipefail
out=$1 base=$2 payload=$3 busybox=$4 vmlinux=$5 kmoddir=$6 kvmcaps=$7
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pack() { (cd "$1" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) | gzip -1; }

# The nested guest's initramfs.
g=$work/guest
mkdir -p "$g"/{bin,dev,proc,sys,modules}
install -m 0755 "$busybox" "$g/bin/busybox"
install -m 0755 "$here/guest/vmm-ppc-guest-init" "$g/init"
# 6.1 ships them as .ko; 6.12 builds virtio and virtio-pci in (modules.builtin) and
# compresses the rest (.ko.xz), which the guest's busybox insmod is given unpacked.
guest_module() {
	local f=$kmoddir/kernel/drivers/$1.ko
	if [ -f "$f" ]; then
		install -m 0644 "$f" "$g/modules/"
	elif [ -f "$f.xz" ]; then
		xz -dc "$f.xz" >"$g/modules/${1##*/}.ko"
	elif ! grep -qx "kernel/drivers/$1.ko" "$kmoddir/modules.builtin"; then
		echo "mkinitramfs-vmm-ppc.sh: no $1 module in $kmoddir" >&2
		exit 1
	fi
}
for m in virtio/virtio virtio/virtio_ring virtio/virtio_pci_modern_dev \
	virtio/virtio_pci_legacy_dev virtio/virtio_pci block/virtio_blk; do
	guest_module "$m"
done
# The disk: 4 MiB of numbered 8-byte lines, the same bytes on every build.
v=$work/vmm
mkdir -p "$v/vmm" "$v/bin"
awk 'BEGIN { for (i = 1; i <= 524288; i++) printf "%07d\n", i }' >"$v/vmm/disk.img"
sha256sum "$v/vmm/disk.img" | cut -d' ' -f1 >"$g/disk.sha256"
pack "$g" >"$v/vmm/guest.cpio.gz"
install -m 0644 "$vmlinux" "$v/vmm/vmlinux"
install -m 0755 "$here/guest/vmm-ppc.sh" "$v/bin/vmm-ppc.sh"
install -m 0755 "$kvmcaps" "$v/bin/kvm-caps"

mkdir -p "$(dirname "$out")"
{
	cat "$base" "$payload"
	pack "$v"
} >"$out.tmp"
mv "$out.tmp" "$out"
