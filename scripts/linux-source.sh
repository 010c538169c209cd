#!/usr/bin/env bash
# Unpack files from one of Debian's linux-source-<series> packages
# (/usr/src/linux-source-<series>.tar.xz, installed by setup-host.sh: 6.1 from bookworm,
# 6.12 from bookworm-security) into DEST, at build time and cached: nothing from it is
# committed. DEST holds one series; a new Debian upload of it replaces the cached tree.
# Usage: linux-source.sh [-s SERIES] DEST PATH...   (SERIES 6.1 by default; paths relative
#        to the source tree's top)
set -euo pipefail
series=6.1
if [ "${1:-}" = -s ]; then
	series=$2
	shift 2
fi
dest=$1
shift
pkg=linux-source-$series
tarball=/usr/src/$pkg.tar.xz
if ! ver=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null) || [ -z "$ver" ] || [ ! -f "$tarball" ]; then
	echo "linux-source.sh: $pkg is not installed (scripts/setup-host.sh installs it; it said why it could not)" >&2
	exit 1
fi
stamp="$dest/.version"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" != "$ver" ]; then
	rm -rf "$dest"
fi
need=()
for p in "$@"; do
	[ -e "$dest/$p" ] || need+=("$pkg/$p")
done
[ ${#need[@]} -eq 0 ] && exit 0
mkdir -p "$dest"
tar -xJf "$tarball" -C "$dest" --strip-components=1 "${need[@]}"
echo "$ver" >"$stamp"
