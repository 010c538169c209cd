#!/usr/bin/env bash
# Unpack files from Debian's linux-source-6.1 (/usr/src/linux-source-6.1.tar.xz, installed
# by setup-host.sh) into DEST, at build time and cached: nothing from it is committed.
# Usage: linux-source.sh DEST PATH... (paths relative to the source tree's top)
set -euo pipefail
dest=$1
shift
tarball=/usr/src/linux-source-6.1.tar.xz
ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
stamp="$dest/.version"
# A new Debian upload replaces the cached tree.
if [ -f "$stamp" ] && [ "$(cat "$stamp")" != "$ver" ]; then
	rm -rf "$dest"
fi
need=()
for p in "$@"; do
	[ -e "$dest/$p" ] || need+=("linux-source-6.1/$p")
done
[ ${#need[@]} -eq 0 ] && exit 0
mkdir -p "$dest"
tar -xJf "$tarball" -C "$dest" --strip-components=1 "${need[@]}"
echo "$ver" >"$stamp"
