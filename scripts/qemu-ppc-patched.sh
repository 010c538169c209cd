#!/usr/bin/env bash
# Build qemu-system-ppc64 (ppc64-softmmu only) from Debian's source of the installed QEMU
# with scripts/qemu-patches/*.patch applied (ppc-stop-hfu.patch: a guest stop traps as on
# POWER9; pnv-radix-ap.patch: the powernv machine option radix-ap=on), and cache the binary
# in $KVMX_CACHE/qemu-ppc-<version>-<patches hash>/. Why each patch exists:
# scripts/qemu-patches/README.
# Prints only the path of the binary. Firmware (skiboot) stays the installed
# qemu-system-data's: run the binary with -L /usr/share/qemu.
# Source: `apt-get source qemu=<installed version>` through a deb-src entry for bookworm and
# bookworm-backports. When the mirror lacks that version's .dsc/.debian.tar.xz (seen for the
# backports upload) but has its .orig tarball, the upstream tree of the same version is
# built without Debian's patches (none of them touches target/ppc); the log says which.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
patches=("$here"/qemu-patches/*.patch)
CACHE=${KVMX_CACHE:-$HOME/.cache/kvmx}
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
log() { echo "qemu-ppc-patched: $*" >&2; }

debver=$(dpkg-query -W -f='${Version}' qemu-system-ppc)
upver=${debver#*:}
upver=${upver%%+*}
upver=${upver%%-*} # 10.0.2
hash=$(cat "${patches[@]}" | sha256sum | cut -c1-12)
dest=$CACHE/qemu-ppc-$upver-$hash
bin=$dest/qemu-system-ppc64
if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi
# One build at a time in a shared cache: a second caller waits for the first (which
# would otherwise find its source tree removed under it), then uses its binary.
mkdir -p "$CACHE"
exec 9>"$CACHE/.qemu-ppc-patched.lock"
flock 9
if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi

start=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
src_list=/etc/apt/sources.list.d/kvmx-src.sources
# (apt-cache's output captured first: grep -q after a pipe could kill it with SIGPIPE under
# pipefail, and a source we have would look missing.)
srcs=$(apt-cache showsrc qemu 2>/dev/null) || srcs=""
if ! grep -qx "Version: $debver" <<<"$srcs"; then
	$SUDO tee "$src_list" >/dev/null <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	# A broken index elsewhere must not stop the build: apt-update.sh retries and goes on.
	bash "$here/apt-update.sh" >/dev/null
fi
build_deps=(ninja-build libglib2.0-dev libpixman-1-dev libfdt-dev flex bison pkg-config
	python3-venv)
# From bookworm-backports: QEMU 10 needs meson >= 1.5, and its configure wants pycotap
# (the +ds orig tarball drops the bundled wheel).
bpo_deps=(meson python3-pycotap)
missing=()
for p in "${build_deps[@]}" "${bpo_deps[@]}"; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) || s=""
	[ "$s" = "install ok installed" ] || missing+=("$p")
done
mv=$(meson --version 2>/dev/null || echo 0)
printf '1.5\n%s\n' "$mv" | sort -V -C || missing+=(meson) # meson >= 1.5
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	$SUDO apt-get install -y -qq --no-install-recommends "${build_deps[@]}" >/dev/null
	$SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports "${bpo_deps[@]}" \
		>/dev/null
fi

work=$CACHE/qemu-ppc-src
rm -rf "$work"
mkdir -p "$work"
cd "$work"
chmod 0777 "$work" # apt's _apt user writes the downloads here
apt-get source -qq --download-only "qemu=$debver" >&2 || true
tree=""
if ls ./*.dsc >/dev/null 2>&1; then
	dpkg-source -x ./*.dsc src >&2
	tree=$work/src
	log "building Debian's qemu $debver (Debian patches applied)"
else
	origs=(./qemu_"$upver"*.orig.tar.xz)
	orig=""
	[ -f "${origs[0]}" ] && orig=${origs[0]}
	if [ -z "$orig" ]; then
		log "the mirror has neither the .dsc nor the orig tarball of qemu $debver"
		exit 1
	fi
	tar -xJf "$orig"
	tree=$work/qemu-$upver
	log "the mirror has no .dsc for qemu $debver: building its orig tarball $orig (upstream $upver, no Debian patches)"
fi
cd "$tree"
for p in "${patches[@]}"; do
	patch -p1 --quiet <"$p"
done
mkdir -p build
cd build
../configure --target-list=ppc64-softmmu --disable-install-blobs --disable-docs \
	--disable-tools --disable-user --without-default-features --python=/usr/bin/python3 \
	>"$work/configure.log" 2>&1 || {
	tail -20 "$work/configure.log" >&2
	exit 1
}
nice -n 10 make -j2 qemu-system-ppc64 >"$work/build.log" 2>&1 || {
	tail -30 "$work/build.log" >&2
	exit 1
}
mkdir -p "$dest"
install -m 0755 qemu-system-ppc64 "$bin.tmp"
mv "$bin.tmp" "$bin"
echo "$debver (patch $hash)" >"$dest/VERSION"
cd /
rm -rf "$work"
log "built in $(($(date +%s) - start)) s"
echo "$bin"
