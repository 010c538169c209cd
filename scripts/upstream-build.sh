#!/usr/bin/env bash
# Build upstream's KVM selftests (tools/testing/selftests/kvm, arm64) from one of Debian's
# linux-source-<series> packages at test time: nothing from it is committed. The tree is
# unpacked by linux-source.sh into KSRC (for 6.1 shared with `make selftests-build`), the
# UAPI headers come from the same source tree (`make headers_install` out of tree, into
# OUT/usr) and the static binaries land in OUT/build/<test>. Cached: a second run with the
# same linux-source version and this script unchanged does nothing.
# The tests upstream lists for arm64 that do not build from Debian's source (6.1:
# dirty_log_test, aarch64/vgic_init) are left out: OUT/not-built.txt names each with the
# first compiler or linker error about it ("test<TAB>reason"), the rest still build
# (make -k); OUT/built.txt names those that did.
# Usage: upstream-build.sh KSRC OUT CROSS_COMPILE [SERIES]   (SERIES 6.1 by default)
set -euo pipefail
ksrc=$1 out=$2 cross=$3 series=${4:-6.1}
here=$(cd "$(dirname "$0")" && pwd)
ver=$(dpkg-query -W -f='${Version}' "linux-source-$series")
key="linux-source-$series $ver; $(sha1sum <"$0" | cut -d' ' -f1)"
if [ -f "$out/.key" ] && [ "$(cat "$out/.key")" = "$key" ]; then
	echo "upstream selftests: cached in $out ($(wc -l <"$out/built.txt") built, linux-source-$series $ver)"
	exit 0
fi
# headers_install needs the top-level Makefile, scripts/ and the UAPI sources; the
# selftests need tools/ headers, lib.mk, the kselftest headers and rseq (rseq_test).
paths=(Makefile scripts include/uapi arch/arm64/Makefile arch/arm64/include/uapi usr/include
	tools/include tools/arch/arm64/include tools/build/Build.include tools/lib/rbtree.c
	tools/testing/selftests/lib.mk tools/testing/selftests/kselftest.h
	tools/testing/selftests/kselftest_harness.h tools/testing/selftests/rseq
	tools/testing/selftests/kvm)
# Since 6.4 the arm64 selftests include a header generated at build time from the
# kernel's system register table (tools/arch/arm64/tools, run by the selftests' Makefile).
[ "$series" = 6.1 ] || paths+=(tools/scripts tools/arch/arm64/tools arch/arm64/tools)
bash "$here/linux-source.sh" -s "$series" "$ksrc" "${paths[@]}"
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
log=$out/build.log
echo "upstream selftests: building from linux-source-$series $ver into $out (log: $log)"
make -C "$ksrc" O="$out/obj" ARCH=arm64 INSTALL_HDR_PATH="$out/usr" headers_install >"$log" 2>&1
# -k: one test that does not compile must not stop the others.
make -C "$ksrc/tools/testing/selftests/kvm" -k -j2 ARCH=arm64 CROSS_COMPILE="$cross" \
	LDFLAGS="-static -pthread" OUTPUT="$out/build" LINUX_HDR_PATH="$out/usr/include/" \
	KHDR_INCLUDES="-isystem $out/usr/include" >>"$log" 2>&1 || true
# The list of what upstream wants built for arm64, and what was.
tests=$(make -s -C "$ksrc/tools/testing/selftests/kvm" ARCH=arm64 CROSS_COMPILE="$cross" \
	OUTPUT="$out/build" -f Makefile -f - print-tests <<<'print-tests: ; @echo $(TEST_GEN_PROGS)')
: >"$out/built.txt"
: >"$out/not-built.txt"
for t in $tests; do
	t=${t#"$out/build/"}
	if [ -x "$out/build/$t" ]; then
		echo "$t" >>"$out/built.txt"
		continue
	fi
	# The first error the compiler gave in the test's own source, else the linker's.
	why=$(grep -E "(^|/)$t\.c:[0-9]+(:[0-9]+)?: (fatal )?error: " "$log" | sed -n 1p) || true
	[ -n "$why" ] || why=$(grep -E "(^|/)$t(\.c:[0-9]+|\.o)?: .*undefined reference" "$log" | sed -n 1p) || true
	why=${why:-no compiler or linker error names it: see $log}
	why=${why##*/kvm/}
	printf '%s\t%s\n' "$t" "${why//[$'\t#']/ }" >>"$out/not-built.txt"
done
echo "upstream selftests: $(wc -l <"$out/built.txt") built"
if [ -s "$out/not-built.txt" ]; then
	echo "upstream selftests: not built from the Debian source:"
	sed 's/^/  /' "$out/not-built.txt"
fi
echo "$key" >"$out/.key"
