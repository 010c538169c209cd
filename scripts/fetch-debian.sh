#!/usr/bin/env bash
# Fetch the Debian arm64 host kernel, its headers and busybox into the download cache,
# unpacked with dpkg-deb -x (nothing is installed into the host system's dpkg database).
# The kernel ABI (6.1.0-NN) is discovered from linux-image-arm64's dependency, so a new
# Debian point release that drops the old ABI from the mirror is followed automatically.
# Prints nothing but the path of an env file that the Makefile includes.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

CACHE=${KVMX_CACHE:-$HOME/.cache/kvmx}
ARCH=${1:-arm64}
mkdir -p "$CACHE/debs" "$CACHE/$ARCH"
envfile="$CACHE/$ARCH/env.mk"

# Debian's arch headers name their -common tree by absolute path, /usr/src/<common>:
# point that at the cache. A real directory there (the package installed the normal way)
# is the same tree: keep it.
link_common() {	# common-name root
	local link=/usr/src/$1 target=$2/usr/src/$1
	if [ -L "$link" ] || [ ! -e "$link" ]; then
		[ "$(readlink "$link" 2>/dev/null)" = "$target" ] || $SUDO ln -sfn "$target" "$link"
	fi
}

# Reuse what was found within the last day: a second `make run` must not hit apt.
if [ -f "$envfile" ] && grep -q "^KVMX_COMMON" "$envfile" && [ -z "$(find "$envfile" -mmin +1440)" ]; then
	link_common "$(sed -n 's/^KVMX_COMMON := //p' "$envfile")" "$CACHE/$ARCH/root"
	echo "$envfile"
	exit 0
fi

# Kernel ARCH -> Debian architecture and kernel flavour (arm64: both "arm64").
case $ARCH in
powerpc) debarch=ppc64el flavour=powerpc64le kimage=vmlinux ;;
*) debarch=$ARCH flavour=$ARCH kimage=vmlinuz ;;
esac
meta=linux-image-$flavour:$debarch
image=$(apt-cache depends "$meta" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^:]*\).*/\1/p' | head -1)
if [ -z "$image" ]; then
	echo "fetch-debian: cannot resolve $meta (did scripts/setup-host.sh run?)" >&2
	exit 1
fi
abi=${image#linux-image-}            # e.g. 6.1.0-56-arm64
common=linux-headers-${abi%-$flavour}-common
pkgs=("$image:$debarch" "linux-headers-$abi:$debarch" "$common" "busybox-static:$debarch")

cd "$CACHE/debs"
for p in "${pkgs[@]}"; do
	name=${p%%:*}
	ver=$(apt-cache policy "$p" | sed -n 's/^ *Candidate: //p')
	# The download cache is shared by the arches: match this one's (or an _all) .deb.
	pat="${name}_${ver//:/%3a}_"
	deb=$(ls "$pat$debarch.deb" "${pat}all.deb" 2>/dev/null | head -1 || true)
	if [ -z "$deb" ]; then
		apt-get download -qq -o APT::Sandbox::User=root "$p=$ver" >&2
		deb=$(ls "$pat$debarch.deb" "${pat}all.deb" 2>/dev/null | head -1 || true)
		[ -n "$deb" ] || { echo "fetch-debian: no .deb for $p=$ver" >&2; exit 1; }
	fi
	dest="$CACHE/$ARCH/root"
	stamp="$CACHE/$ARCH/.extracted-$deb"
	if [ ! -f "$stamp" ]; then
		mkdir -p "$dest"
		dpkg-deb -x "$deb" "$dest"
		touch "$stamp"
	fi
done

root="$CACHE/$ARCH/root"
link_common "$common" "$root"
# ...and its scripts/tools by a relative link to the host's linux-kbuild-6.1 package
# (installed by setup-host.sh): make that link resolve inside the cache too.
mkdir -p "$root/usr/lib"
[ -e "$root/usr/lib/linux-kbuild-6.1" ] || ln -s /usr/lib/linux-kbuild-6.1 "$root/usr/lib/linux-kbuild-6.1"
cat >"$envfile.tmp" <<ENV
KVMX_KABI := $abi
KVMX_COMMON := $common
KVMX_KDIR := $root/usr/src/linux-headers-$abi
KVMX_KIMAGE := $root/boot/$kimage-$abi
KVMX_KMODDIR := $root/lib/modules/$abi
KVMX_BUSYBOX := $root/bin/busybox
ENV
mv "$envfile.tmp" "$envfile"
echo "$envfile"
