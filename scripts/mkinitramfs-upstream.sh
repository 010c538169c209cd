#!/usr/bin/env bash
# Build the upstream-selftests initramfs: static busybox, scripts/guest/init and
# upstream.sh, kvmx.ko, the test list, the upstream KVM selftests (stripped) under
# /upstream/<test> and the list of those that did not build, with why (not-built.txt).
# Kept apart from the regular test initramfs, which stays small.
# Usage: mkinitramfs-upstream.sh OUT.cpio.gz BUSYBOX KVMX_KO TESTS.txt BUILD_DIR STRIP
#   BUILD_DIR is upstream-build.sh's OUT/build; its built.txt and not-built.txt one level
#   up name the tests.
set -euo pipefail
out=$1 busybox=$2 ko=$3 list=$4 build=$5 strip=$6
here=$(cd "$(dirname "$0")" && pwd)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp,upstream}
install -m 0755 "$busybox" "$root/bin/busybox"
install -m 0755 "$here/guest/init" "$root/init"
install -m 0755 "$here/guest/upstream.sh" "$root/bin/upstream.sh"
install -m 0644 "$ko" "$root/kvmx.ko"
install -m 0644 "$list" "$root/upstream/tests.txt"
if [ -f "$build/../not-built.txt" ]; then
	install -m 0644 "$build/../not-built.txt" "$root/upstream/not-built.txt"
fi
while IFS= read -r t; do
	mkdir -p "$(dirname "$root/upstream/$t")"
	"$strip" -o "$root/upstream/$t" "$build/$t"
done <"$build/../built.txt"
mkdir -p "$(dirname "$out")"
(cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
