#!/usr/bin/env bash
# Build the test initramfs: static busybox, scripts/guest/*, kvmx.ko, kvmx-probe and the
# cross-built kselftests. Usage: mkinitramfs.sh OUT.cpio.gz BUSYBOX KVMX_KO PROBE [TEST...]
# A TEST ending in .ko is another kernel module, installed under /modules; one ending in
# .ko.xz (Debian's 6.12 compresses its modules) is installed there decompressed, as
# busybox's insmod reads only plain modules.
set -euo pipefail
out=$1 busybox=$2 ko=$3 probe=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
# mktemp made it 0700: the initramfs's / must let the unprivileged users of the device suite in.
chmod 0755 "$root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,tests}
install -m 0755 "$busybox" "$root/bin/busybox"
install -m 0755 "$here/guest/init" "$root/init"
install -m 0755 "$here/guest/module-tests.sh" "$root/bin/module-tests.sh"
install -m 0755 "$here/guest/device-tests.sh" "$root/bin/device-tests.sh"
install -m 0755 "$here/guest/ppc-tests.sh" "$root/bin/ppc-tests.sh"
install -m 0755 "$here/guest/fuzz.sh" "$root/bin/fuzz.sh"
install -m 0755 "$here/guest/debug-reports.sh" "$root/bin/debug-reports.sh"
install -m 0755 "$here/guest/kunit-results.sh" "$root/bin/kunit-results.sh"
install -m 0644 "$ko" "$root/kvmx.ko"
install -m 0755 "$probe" "$root/bin/kvmx-probe"
for t in "$@"; do
	case $t in
	*.ko) install -D -m 0644 "$t" "$root/modules/$(basename "$t")" ;; # e.g. the in-kernel KVM
	*.ko.xz)
		mkdir -p "$root/modules"
		xz -dc "$t" >"$root/modules/$(basename "$t" .xz)"
		;;
	*) install -m 0755 "$t" "$root/tests/" ;;
	esac
done
mkdir -p "$(dirname "$out")"
(cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
