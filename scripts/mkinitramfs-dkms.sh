#!/usr/bin/env bash
# The dkms suite's initramfs: the cached arm64 Debian root (scripts/dkms-root.sh, under
# /dkms) followed by a small archive with static busybox, scripts/guest/init and
# dkms-tests.sh, kvmx-probe and the package under test as /kvmx-dkms.deb. The kernel unpacks
# the concatenated gzip'd cpio archives in turn, so the big one is packed once.
# Usage: mkinitramfs-dkms.sh OUT.cpio.gz ROOT.cpio.gz BUSYBOX PROBE DEB
set -euo pipefail
out=$1 tree=$2 busybox=$3 probe=$4 deb=$5
here=$(cd "$(dirname "$0")" && pwd)
r=$(mktemp -d)
trap 'rm -rf "$r"' EXIT
chmod 0755 "$r"
mkdir -p "$r"/{bin,dev,proc,sys,tmp}
install -m 0755 "$busybox" "$r/bin/busybox"
install -m 0755 "$here/guest/init" "$r/init"
install -m 0755 "$here/guest/dkms-tests.sh" "$r/bin/dkms-tests.sh"
install -m 0755 "$probe" "$r/bin/kvmx-probe"
install -m 0644 "$deb" "$r/kvmx-dkms.deb"
mkdir -p "$(dirname "$out")"
{
	cat "$tree"
	(cd "$r" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) | gzip -1
} >"$out.tmp"
mv "$out.tmp" "$out"
