#!/usr/bin/env bash
# Copy into DEST only the target-kernel UAPI headers the core needs (<linux/kvm.h>,
# <asm/errno.h> and what they include), so host unit tests compile the core against the
# target's (arm64) definitions while glibc keeps the host's own <asm/unistd.h> and friends.
# Usage: unit-uapi.sh UAPI DEST
set -euo pipefail
uapi=$1 dest=$2
rm -rf "$dest"
mkdir -p "$dest"
printf '#include <linux/kvm.h>\n#include <asm/errno.h>\n' |
	cpp -M -nostdinc -D__SANE_USERSPACE_TYPES__ -I"$uapi" -x c - |
	tr ' \\' '\n\n' | grep "^$uapi/" | sort -u |
	while read -r f; do
		rel=${f#"$uapi"/}
		mkdir -p "$dest/$(dirname "$rel")"
		cp "$f" "$dest/$rel"
	done
