#!/usr/bin/env bash
# Build (once, cached) the arm64 debug host kernel for `make check-debug` from Debian's
# linux-source-6.1: arm64 defconfig + scripts/debug-kernel.config (KASAN, lockdep,
# DEBUG_ATOMIC_SLEEP, kmemleak, KUnit; KVM off), every SoC platform and every module off.
# Usage: debug-kernel.sh [CACHE_DIR]   (default ~/.cache/kvmx/debug-kernel)
# Result: CACHE_DIR/<source version>/{Image,build/} — build/ is the kernel tree that
# kvmx.ko is built against (make -C .../build M=...); CACHE_DIR/<version>/env.mk names both.
# The build runs under `nice -n 19 make -j2` (JOBS/NICE override); its log is build.log
# and its wall-clock minutes are written to minutes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${1:-$HOME/.cache/kvmx/debug-kernel}
tarball=/usr/src/linux-source-6.1.tar.xz
jobs=${JOBS:-2}
nice=${NICE:-19}
cross=${CROSS_COMPILE:-aarch64-linux-gnu-}
[ -f "$tarball" ] || { echo "debug-kernel.sh: $tarball missing (apt-get install linux-source-6.1)" >&2; exit 1; }
ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
dir="$cache/$ver"
tree="$dir/build"
mkdir -p "$dir"
# One build at a time (make check-debug while an earlier build still runs waits for it).
exec 9>"$cache/.lock"
flock 9
if [ -f "$dir/env.mk" ] && [ -f "$dir/Image" ] &&
	cmp -s "$here/debug-kernel.config" "$dir/fragment.config"; then
	echo "debug-kernel.sh: cached $dir/Image"
	exit 0
fi
start=$(date +%s)
if [ ! -f "$tree/.unpacked" ]; then
	rm -rf "$tree"
	mkdir -p "$tree"
	echo "debug-kernel.sh: unpacking $tarball"
	tar -xJf "$tarball" -C "$tree" --strip-components=1
	touch "$tree/.unpacked"
fi
mk() { nice -n "$nice" make -C "$tree" ARCH=arm64 CROSS_COMPILE="$cross" "$@"; }
if ! cmp -s "$here/debug-kernel.config" "$dir/fragment.config" || [ ! -f "$tree/.config" ]; then
	mk defconfig >/dev/null
	# Every SoC platform off (QEMU virt needs none), then our fragment.
	{
		sed -n 's/^config \(ARCH_[A-Z0-9_]*\)$/CONFIG_\1=n/p' "$tree/arch/arm64/Kconfig.platforms"
		cat "$here/debug-kernel.config"
	} >"$dir/merged-fragment.config"
	(cd "$tree" && ARCH=arm64 CROSS_COMPILE="$cross" scripts/kconfig/merge_config.sh -m \
		.config "$dir/merged-fragment.config" >/dev/null)
	mk olddefconfig >/dev/null
	# Everything left modular is built in or off: off (no module tree to install).
	mk mod2noconfig >/dev/null
	# The fragment must have survived (a symbol whose dependencies are missing is dropped).
	missing=0
	while IFS= read -r line; do
		case $line in
		CONFIG_*=y)
			sym=${line%%=*}
			grep -qx "$sym=y" "$tree/.config" || { echo "debug-kernel.sh: $line did not stick" >&2; missing=1; }
			;;
		CONFIG_*=n)
			sym=${line%%=*}
			! grep -q "^$sym=[ym]$" "$tree/.config" || { echo "debug-kernel.sh: $line did not stick" >&2; missing=1; }
			;;
		esac
	done <"$here/debug-kernel.config"
	[ $missing = 0 ] || exit 1
	cp "$here/debug-kernel.config" "$dir/fragment.config"
fi
echo "debug-kernel.sh: building in $tree (nice -n $nice make -j$jobs; log $dir/build.log)"
if ! mk -j"$jobs" Image modules >"$dir/build.log" 2>&1; then
	tail -30 "$dir/build.log" >&2
	exit 1
fi
cp "$tree/arch/arm64/boot/Image" "$dir/Image"
minutes=$(( ($(date +%s) - start + 59) / 60 ))
echo "$minutes" >"$dir/minutes"
krel=$(cat "$tree/include/config/kernel.release")
cat >"$dir/env.mk" <<EOM
KVMX_DEBUG_KDIR := $tree
KVMX_DEBUG_KIMAGE := $dir/Image
KVMX_DEBUG_KREL := $krel
EOM
echo "debug-kernel.sh: $dir/Image ($krel) built in $minutes min"
