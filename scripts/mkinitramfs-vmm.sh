#!/usr/bin/env bash
# Build the vmm suite's initramfs: the cached nested-QEMU tree (scripts/vmm-fetch.sh's
# vmm-tree.cpio.gz) followed by a small archive with static busybox, scripts/guest/init and
# vmm.sh, kvmx.ko, kvm-caps, the case list and the nested guest under /vmm: the host's
# own kernel image (vmlinuz) and guest.cpio.gz (busybox, scripts/guest/vmm-init as /init
# and the virtio-mmio, virtio-pci, virtio-blk, virtio-console and virtio-net drivers when
# Debian's config builds them as modules), and vmm-net-echo, the host end of the guest's TCP
# connection (QEMU's user network runs it for each connection: guestfwd=...-cmd:). The kernel unpacks the two concatenated gzip'd cpio archives in turn,
# so the big one is packed once, when it is fetched.
# Usage: mkinitramfs-vmm.sh OUT.cpio.gz TREE.cpio.gz BUSYBOX KVMX_KO KVM_CAPS \
#          KERNEL_IMAGE MODULES_DIR CASES.txt
set -euo pipefail
out=$1 tree=$2 busybox=$3 ko=$4 caps=$5 kimage=$6 kmoddir=$7 cases=$8
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
config=$kmoddir/../../../boot/config-$(basename "$kmoddir")
[ -f "$config" ] || { echo "mkinitramfs-vmm: no kernel config at $config" >&2; exit 1; }

# The nested guest's initramfs.
g=$work/guest
mkdir -p "$g"/{bin,dev,proc,sys,modules}
install -m 0755 "$busybox" "$g/bin/busybox"
install -m 0755 "$here/guest/vmm-init" "$g/init"
: >"$g/modules/order"
# In load order: a module's dependencies come before it.
for m in VIRTIO_MMIO:virtio_mmio VIRTIO_PCI_LIB:virtio_pci_modern_dev \
	VIRTIO_PCI_LIB_LEGACY:virtio_pci_legacy_dev VIRTIO_PCI:virtio_pci \
	VIRTIO_BLK:virtio_blk VIRTIO_CONSOLE:virtio_console FAILOVER:failover NET_FAILOVER:net_failover VIRTIO_NET:virtio_net; do
	opt=CONFIG_${m%%:*} mod=${m#*:}
	if grep -x "$opt=y" "$config" >/dev/null; then
		continue # built in
	fi
	f=$(find "$kmoddir/kernel" -name "$mod.ko" | sed -n 1p)
	[ -n "$f" ] || { echo "mkinitramfs-vmm: no $mod.ko under $kmoddir" >&2; exit 1; }
	for d in $(/sbin/modinfo -F depends "$f" | tr ',' ' '); do
		grep -x "$d" "$g/modules/order" >/dev/null ||
			{ echo "mkinitramfs-vmm: $mod.ko needs $d, not loaded before it" >&2; exit 1; }
	done
	install -m 0644 "$f" "$g/modules/$mod.ko"
	echo "$mod" >>"$g/modules/order"
done
mkdir -p "$work/root/vmm"
(cd "$g" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) | gzip -9 \
	>"$work/root/vmm/guest.cpio.gz"

# The QEMU host's part.
r=$work/root
mkdir -p "$r"/{bin,dev,proc,sys,tmp}
install -m 0755 "$busybox" "$r/bin/busybox"
install -m 0755 "$here/guest/init" "$r/init"
install -m 0755 "$here/guest/vmm.sh" "$r/bin/vmm.sh"
install -m 0755 "$here/guest/vmm-net-echo" "$r/bin/vmm-net-echo"
install -m 0644 "$ko" "$r/kvmx.ko"
install -m 0755 "$caps" "$r/bin/kvm-caps"
install -m 0644 "$kimage" "$r/vmm/vmlinuz"
install -m 0644 "$cases" "$r/vmm/cases.txt"
# The host's own transfer disk for cross-hypervisor migration (vmm.sh's xload): the same
# kernel, so the guest's virtio-mmio and virtio-blk modules, where they are modules.
mkdir -p "$r/vmm/host-modules"
for mod in virtio_mmio virtio_blk; do
	[ -f "$g/modules/$mod.ko" ] && install -m 0644 "$g/modules/$mod.ko" "$r/vmm/host-modules/"
done
mkdir -p "$(dirname "$out")"
{
	cat "$tree"
	(cd "$r" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) | gzip -1
} >"$out.tmp"
mv "$out.tmp" "$out"
