#!/usr/bin/env bash
# The arm64 Debian root of the dkms suite (make check-dkms): what an arm64 Debian 12 host
# has after `apt-get install dkms g++-12` and the headers of both kernels, made from Debian
# packages only: apt's solver lists the packages of that install on an empty system
# (apt-get -s with APT::Architecture=arm64 and an empty status file, as vmm-fetch.sh does),
# `apt-get download` fetches them and dpkg-deb -x unpacks every one into root/. Maintainer
# scripts do not run; what they would have made and a test needs is made here: the /bin/sh
# and awk links, /var/lib/dpkg/status listing every package as installed (so that dpkg -i
# of kvmx-dkms checks its Depends against them), /boot/config-<release> and the image's
# modules.order/modules.builtin for each kernel (dkms's postinst looks for kernels there).
# The root is packed under dkms/ as root.cpio.gz: the test initramfs carries it as /dkms, where
# scripts/guest/dkms-tests.sh chroots into it.
# Usage: dkms-root.sh RELEASE:KERNEL_TREE...  (e.g. 6.1.0-57-arm64:~/.cache/kvmx/arm64/root)
# Prints the path of root.cpio.gz. Cached in $CACHE/dkms/<key>/ (key: the kernel releases
# and FORMAT); once `complete` is there no apt command runs. Downloads: $CACHE/dkms/debs.
set -euo pipefail
FORMAT=1
CACHE=${KVMX_CACHE:-$HOME/.cache/kvmx}
die() { echo "dkms-root: $*" >&2; exit 1; }
[ $# -gt 0 ] || die "usage: dkms-root.sh RELEASE:KERNEL_TREE..."
key=
for k in "$@"; do key=$key${k%%:*}_; done
dir=$CACHE/dkms/${key}f$FORMAT
out=$dir/root.cpio.gz
debs=$CACHE/dkms/debs
if [ -f "$dir/complete" ] && [ -f "$out" ]; then
	echo "$out"
	exit 0
fi
mkdir -p "$dir" "$debs"
exec 9>"$CACHE/dkms/.lock"
flock 9
if [ -f "$dir/complete" ] && [ -f "$out" ]; then
	echo "$out"
	exit 0
fi
echo "dkms-root: building the arm64 root in $dir" >&2
# What a user's host has: dkms and g++-12 (kvmx-dkms's Depends), the kernels' headers, and
# the Essential packages apt's solver assumes and dkms's scripts use.
want="dkms g++-12 make kmod binutils bash coreutils dash dpkg sed grep mawk findutils diffutils
	tar gzip xz-utils util-linux debianutils libc-bin base-files base-passwd"
for k in "$@"; do want="$want linux-headers-${k%%:*}"; done
if [ ! -s "$dir/manifest.txt" ]; then
	empty=$(mktemp)
	trap 'rm -f "$empty"' EXIT
	# shellcheck disable=SC2086
	sim=$(apt-get install -s --no-install-recommends -o APT::Architecture=arm64 \
		-o APT::Architectures=arm64 -o Dir::State::status="$empty" \
		-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= $want 2>&1) ||
		die "apt-get -s could not solve an arm64 install of $want: $(echo "$sim" | tail -5)"
	echo "$sim" | sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) [^[]*\[\([a-z0-9]*\)\]).*/\1 \3 \2/p' |
		LC_ALL=C sort >"$dir/manifest.txt.tmp"
	awk '$2 != "arm64" && $2 != "all" { bad = 1 } END { exit bad }' "$dir/manifest.txt.tmp" ||
		die "apt-get -s chose a package of another architecture: $dir/manifest.txt.tmp"
	mv "$dir/manifest.txt.tmp" "$dir/manifest.txt"
fi
deb_of() { echo "$debs/${1}_${3//:/%3a}_$2.deb"; }
get=()
while read -r name arch v; do
	[ -f "$(deb_of "$name" "$arch" "$v")" ] || get+=("$name:$arch=$v")
done <"$dir/manifest.txt"
if [ ${#get[@]} -gt 0 ]; then
	(cd "$debs" && apt-get download -qq -o APT::Sandbox::User=root "${get[@]}" >&2) ||
		die "apt-get download failed"
fi
root=$dir/root
rm -rf "$root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/boot"
: >"$root/var/lib/dpkg/status.tmp"
while read -r name arch v; do
	f=$(deb_of "$name" "$arch" "$v")
	[ -f "$f" ] || die "apt-get download did not produce $f"
	dpkg-deb -x "$f" "$root"
	{
		dpkg-deb -f "$f" | sed '/^Package:/a Status: install ok installed'
		echo
	} >>"$root/var/lib/dpkg/status.tmp"
done <"$dir/manifest.txt"
mv "$root/var/lib/dpkg/status.tmp" "$root/var/lib/dpkg/status"
: >"$root/var/lib/dpkg/available"
rm -rf "$root"/usr/share/{doc,man,info,locale,lintian}
# 6.12's headers depend on its image package: its modules, device trees and vmlinuz (150 MB)
# stay out of the initramfs; QEMU boots the cached kernel (the test loads only kvmx.ko).
rm -rf "$root"/lib/modules/*/kernel "$root"/usr/lib/linux-image-* "$root"/boot/vmlinuz-*
# What the maintainer scripts and update-alternatives would have linked.
[ -e "$root/bin/sh" ] || ln -s dash "$root/bin/sh"
[ -e "$root/usr/bin/awk" ] || ln -s mawk "$root/usr/bin/awk"
for k in "$@"; do
	rel=${k%%:*} tree=${k#*:}
	[ -f "$tree/boot/config-$rel" ] || die "no $tree/boot/config-$rel"
	cp "$tree/boot/config-$rel" "$root/boot/"
	mkdir -p "$root/lib/modules/$rel"
	for m in modules.order modules.builtin modules.builtin.modinfo; do
		[ ! -f "$tree/lib/modules/$rel/$m" ] || cp "$tree/lib/modules/$rel/$m" "$root/lib/modules/$rel/"
	done
	[ "$(readlink "$root/lib/modules/$rel/build")" = "/usr/src/linux-headers-$rel" ] &&
		[ -d "$root/usr/src/linux-headers-$rel/include" ] ||
		die "linux-headers-$rel left no /lib/modules/$rel/build"
done
for f in bin/sh usr/bin/awk usr/sbin/dkms usr/bin/g++-12 usr/bin/make sbin/modprobe bin/bash; do
	[ -e "$root/$f" ] || [ -L "$root/$f" ] || die "the root has no /$f"
done
# Packed under dkms/: the initramfs's own /bin and /init (busybox) stay as they are.
rm -rf "$dir/dkms"
mv "$root" "$dir/dkms"
root=$dir/dkms
(cd "$dir" && find dkms | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
echo "dkms-root: $(wc -l <"$dir/manifest.txt") packages, $(du -sm "$root" | cut -f1) MB," \
	"$(du -m "$out" | cut -f1) MB packed" >&2
rm -rf "$root"
touch "$dir/complete"
echo "$out"
