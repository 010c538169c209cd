#!/usr/bin/env bash
# Run sparse over the C glue (the kernel's `make C=2`) and report, as TAP, one line per
# glue file: ok only when sparse printed no warning or error for it.
# Usage: sparse-check.sh MAKE KDIR ARCH CROSS_COMPILE UAPI [SRC]
#   SRC: the tree to build (default: this checkout; other arches build their copy of it,
#   build/<arch>/src, so that their objects never replace arm64's in-tree ones)
set -uo pipefail
mk=$1 kdir=$2 arch=$3 cross=$4 uapi=$5
top=${6:-$(cd "$(dirname "$0")/.." && pwd)}
log=$(mktemp)
$mk -C "$kdir" M="$top" ARCH="$arch" CROSS_COMPILE="$cross" KVMX_UAPI="$uapi" \
	C=2 CHECK=sparse modules >"$log" 2>&1
status=$?
# The glue files this arch builds: the common ones and its own arch-<arch>.c.
files=$(cd "$top" && ls virt/kvmx/*.c | grep -v '/arch-'; echo "virt/kvmx/arch-$arch.c")
n=0
echo "1..$(( $(echo "$files" | wc -l) + 1 ))"
n=$((n + 1))
if [ $status -eq 0 ] && grep -q ' CHECK ' "$log"; then echo "ok $n sparse_ran"; else echo "not ok $n sparse_ran"; sed 's/^/# /' "$log" | tail -20; fi
for f in $files; do
	n=$((n + 1))
	# kunit.c is built only against a kernel with CONFIG_KUNIT: not checked is not clean.
	if ! grep -qE " CHECK +($top/)?$f\$" "$log"; then
		echo "ok $n sparse_clean $f # SKIP not built against this kernel"
		continue
	fi
	hits=$(grep -E "^($top/)?$f:[0-9]+:[0-9]+: (warning|error)" "$log")
	if [ -z "$hits" ]; then echo "ok $n sparse_clean $f"; else echo "not ok $n sparse_clean $f"; echo "$hits" | sed 's/^/# /'; fi
done
rm -f "$log"
