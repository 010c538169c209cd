#!/usr/bin/env bash
# Sanitise the target kernel's UAPI headers (what `make headers_install` does, with the
# kernel's own scripts/headers_install.sh) into DEST: the one copy of <linux/kvm.h> and
# friends that the C++ core, the unit tests, kvmx-probe and the kselftests compile against.
# Usage: uapi-install.sh KDIR(arch headers dir) SRCARCH DEST
set -euo pipefail
kdir=$1 arch=$2 dest=$3
[ -f "$dest/.done" ] && exit 0
mkdir -p "$(dirname "$dest")"
dest=$(cd "$(dirname "$dest")" && pwd)/$(basename "$dest")
common=$(sed -n 's/^include \(.*\)\/Makefile$/\1/p' "$kdir/Makefile")
# headers_install.sh calls scripts/unifdef by a relative path: run it from the kbuild dir.
kbuild=$(cd "$kdir/scripts/.." && pwd -P)
tmp=$dest.tmp
rm -rf "$tmp"
install_tree() {	# src-dir dest-subdir
	local src=$1 sub=$2 f rel
	[ -d "$src" ] || return 0
	while IFS= read -r f; do
		rel=${f#"$src"/}
		mkdir -p "$(dirname "$tmp/$sub/$rel")"
		(cd "$kbuild" && sh scripts/headers_install.sh "$f" "$tmp/$sub/$rel")
	done < <(find "$src" -name '*.h')
}
install_tree "$common/include/uapi" .
install_tree "$kdir/include/generated/uapi" .
install_tree "$common/arch/$arch/include/uapi/asm" asm
install_tree "$kdir/arch/$arch/include/generated/uapi/asm" asm
touch "$tmp/.done"
rm -rf "$dest"
mv "$tmp" "$dest"
