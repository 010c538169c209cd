#!/usr/bin/env bash
# Fetch a Debian host kernel, its headers and busybox into the download cache, unpacked
# with dpkg-deb -x (nothing is installed into the host system's dpkg database).
# Usage: fetch-debian.sh ARCH [SERIES]
#   ARCH    arm64 or powerpc (Debian's arm64 or ppc64el kernel)
#   SERIES  empty: bookworm's own kernel (6.1), cached in CACHE/ARCH;
#           6.12: the kernel of bookworm-backports, which must be a 6.12 one, cached in
#           CACHE/ARCH-6.12, with the x86_64 build scripts its headers link to
#           (linux-kbuild-6.12.NN+deb12: modpost, fixdep, resolve_btfids) unpacked beside
#           them, so no linux-kbuild package is installed for it.
# The kernel ABI (6.1.0-NN, 6.12.NN+deb12) is discovered from the meta-package
# linux-image-<flavour>'s dependency (with -t bookworm-backports for 6.12), so a new
# Debian upload that drops the old ABI from the mirror is followed by a fresh cache or by
# `make fetch`.
# Prints nothing but the path of an env file that the Makefile includes.
#
# The env file pins what was found: while the files it names are in the cache it is
# reused, however old, and this script runs no apt command at all (not even apt-cache,
# whose answer changes whenever anything runs apt-get update, and would then download a
# new kernel in the middle of someone's work). Only a missing or incomplete env file, or
# KVMX_REFRESH=1 (`make fetch`, after an apt-get update), resolves the ABI again.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

CACHE=${KVMX_CACHE:-$HOME/.cache/kvmx}
ARCH=${1:-arm64}
SERIES=${2:-}
case $SERIES in
"") suite="" tree=$ARCH ;;
6.12) suite=bookworm-backports tree=$ARCH-$SERIES ;;
*) echo "fetch-debian: unknown kernel series '$SERIES' (empty for bookworm's 6.1, or 6.12)" >&2; exit 2 ;;
esac
mkdir -p "$CACHE/debs" "$CACHE/$tree"
envfile="$CACHE/$tree/env.mk"

# Debian's arch headers name their -common tree by absolute path, /usr/src/<common>:
# point that at the cache. Whatever is there already and holds that tree (the package
# installed the normal way, or a link into another cache of the same download) is the
# same tree: keep it, so that two caches on one machine never pull the link away from
# each other. A dangling link is replaced.
link_common() {	# common-name root
	local link=/usr/src/$1 target=$2/usr/src/$1
	[ -f "$link/Makefile" ] && return 0
	if [ -L "$link" ] || [ ! -e "$link" ]; then
		$SUDO ln -sfn "$target" "$link"
	fi
}

env_value() { sed -n "s/^$1 := //p" "$envfile"; }
if [ -f "$envfile" ] && [ "${KVMX_REFRESH:-0}" != 1 ]; then
	kdir=$(env_value KVMX_KDIR)
	common=$(env_value KVMX_COMMON)
	if [ -n "$common" ] && [ -f "$kdir/Makefile" ] && [ -f "$(env_value KVMX_KIMAGE)" ] &&
		[ -x "$(env_value KVMX_BUSYBOX)" ] &&
		{ [ -z "$SERIES" ] || [ -x "$kdir/scripts/mod/modpost" ]; }; then
		link_common "$common" "${kdir%/usr/src/*}"
		echo "$envfile"
		exit 0
	fi
fi

# Kernel ARCH -> Debian architecture and kernel flavour (arm64: both "arm64").
case $ARCH in
powerpc) debarch=ppc64el flavour=powerpc64le kimage=vmlinux ;;
*) debarch=$ARCH flavour=$ARCH kimage=vmlinuz ;;
esac
meta=linux-image-$flavour:$debarch
deps=$(apt-cache depends ${suite:+-t "$suite"} "$meta" 2>/dev/null) || deps=""
image=$(sed -n 's/^ *Depends: \(linux-image-[0-9][^:]*\).*/\1/p' <<<"$deps")
image=${image%%$'\n'*}
if [ -z "$image" ]; then
	index=$(apt-get indextargets --no-release-info --format '$(DESCRIPTION)' \
		'Created-By: Packages' "Release: ${suite:-bookworm}" "Architecture: $debarch" 'Component: main' \
		2>/dev/null) || index=""
	echo "fetch-debian: cannot resolve $meta: apt knows no such package." >&2
	if [ -n "$index" ]; then
		echo "fetch-debian: it comes from the index ${index%%$'\n'*}; if apt-get update could not fetch that index (see setup-host's messages), try again later." >&2
	else
		echo "fetch-debian: apt has no $debarch index: did scripts/setup-host.sh run (dpkg --add-architecture $debarch, apt-get update)?" >&2
	fi
	exit 1
fi
abi=${image#linux-image-}            # e.g. 6.1.0-56-arm64, 6.12.95+deb12-arm64
if [ -n "$SERIES" ] && [[ $abi != "$SERIES".* ]]; then
	echo "fetch-debian: $suite's $meta names $image, not a $SERIES kernel" >&2
	exit 1
fi
common=linux-headers-${abi%-$flavour}-common
pkgs=("$image:$debarch" "linux-headers-$abi:$debarch" "$common" "busybox-static:$debarch")
# 6.1's headers link to /usr/lib/linux-kbuild-6.1, installed by setup-host.sh; a newer
# series' to its own linux-kbuild-<version> (an amd64 package): unpack that one too.
kbuild=""
if [ -n "$SERIES" ]; then
	kbuild=linux-kbuild-${abi%-$flavour}
	pkgs+=("$kbuild")
fi

hostarch=$(dpkg --print-architecture)
cached_deb() { # name_version_ prefix: this arch's (or an _all, or the host's) .deb in the cache
	local f
	for f in "$1$debarch.deb" "${1}all.deb" "$1$hostarch.deb"; do
		if [ -f "$f" ]; then
			echo "$f"
			return
		fi
	done
}
cd "$CACHE/debs"
for p in "${pkgs[@]}"; do
	name=${p%%:*}
	ver=$(apt-cache policy "$p")
	ver=$(sed -n 's/^ *Candidate: //p' <<<"$ver")
	# The download cache is shared by the arches: match this one's (or an _all) .deb.
	pat="${name}_${ver//:/%3a}_"
	deb=$(cached_deb "$pat")
	if [ -z "$deb" ]; then
		apt-get download -qq -o APT::Sandbox::User=root "$p=$ver" >&2
		deb=$(cached_deb "$pat")
		[ -n "$deb" ] || { echo "fetch-debian: no .deb for $p=$ver" >&2; exit 1; }
	fi
	dest="$CACHE/$tree/root"
	stamp="$CACHE/$tree/.extracted-$deb"
	if [ ! -f "$stamp" ]; then
		mkdir -p "$dest"
		dpkg-deb -x "$deb" "$dest"
		touch "$stamp"
	fi
done

root="$CACHE/$tree/root"
link_common "$common" "$root"
# ...and its scripts/tools by a relative link, ../../lib/linux-kbuild-<version>. 6.1's
# is the host's linux-kbuild-6.1 package (installed by setup-host.sh): make that link
# resolve inside the cache too. A newer series' kbuild was unpacked into the root above.
mkdir -p "$root/usr/lib"
if [ -z "$kbuild" ]; then
	[ -e "$root/usr/lib/linux-kbuild-6.1" ] || ln -s /usr/lib/linux-kbuild-6.1 "$root/usr/lib/linux-kbuild-6.1"
elif [ ! -x "$root/usr/lib/$kbuild/scripts/mod/modpost" ]; then
	echo "fetch-debian: $kbuild has no scripts/mod/modpost" >&2
	exit 1
fi
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
