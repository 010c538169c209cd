#!/usr/bin/env bash
# Build upstream's KVM selftests (tools/testing/selftests/kvm, aarch64) from Debian's
# linux-source-6.1 at test time: nothing from it is committed. The tree is unpacked by
# linux-source.sh into KSRC (shared with `make selftests-build`), the UAPI headers come from
# the same source tree (`make headers_install` out of tree, into OUT/usr) and the static
# binaries land in OUT/build/<test>. Cached: a second run with the same linux-source
# version and this script unchanged does nothing.
# Tests that do not build from Debian's source (dirty_log_test, aarch64/vgic_init in
# 6.1) are left out with a note; the rest still build (make -k).
# Usage: upstream-build.sh KSRC OUT CROSS_COMPILE
set -euo pipefail
ksrc=$1 out=$2 cross=$3
here=$(cd "$(dirname "$0")" && pwd)
ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
key="linux-source-6.1 $ver; $(sha1sum <"$0" | cut -d' ' -f1)"
if [ -f "$out/.key" ] && [ "$(cat "$out/.key")" = "$key" ]; then
	echo "upstream selftests: cached in $out ($(wc -l <"$out/built.txt") built, linux-source $ver)"
	exit 0
fi
# headers_install needs the top-level Makefile, scripts/ and the UAPI sources; the
# selftests need tools/ headers, lib.mk, the kselftest headers and rseq (rseq_test).
bash "$here/linux-source.sh" "$ksrc" Makefile scripts include/uapi \
	arch/arm64/Makefile arch/arm64/include/uapi usr/include \
	tools/include tools/arch/arm64/include tools/build/Build.include tools/lib/rbtree.c \
	tools/testing/selftests/lib.mk tools/testing/selftests/kselftest.h \
	tools/testing/selftests/kselftest_harness.h tools/testing/selftests/rseq \
	tools/testing/selftests/kvm
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
log=$out/build.log
echo "upstream selftests: building from linux-source $ver into $out (log: $log)"
make -C "$ksrc" O="$out/obj" ARCH=arm64 INSTALL_HDR_PATH="$out/usr" headers_install >"$log" 2>&1
# -k: one test that does not compile must not stop the others.
make -C "$ksrc/tools/testing/selftests/kvm" -k -j2 ARCH=arm64 CROSS_COMPILE="$cross" \
	LDFLAGS="-static -pthread" OUTPUT="$out/build" LINUX_HDR_PATH="$out/usr/include/" \
	KHDR_INCLUDES="-isystem $out/usr/include" >>"$log" 2>&1 || true
# The list of what upstream wants built for aarch64, and what was.
tests=$(make -s -C "$ksrc/tools/testing/selftests/kvm" ARCH=arm64 CROSS_COMPILE="$cross" \
	OUTPUT="$out/build" -f Makefile -f - print-tests <<<'print-tests: ; @echo $(TEST_GEN_PROGS)')
: >"$out/built.txt"
missing=
for t in $tests; do
	t=${t#"$out/build/"}
	if [ -x "$out/build/$t" ]; then
		echo "$t" >>"$out/built.txt"
	else
		missing="$missing $t"
	fi
done
echo "upstream selftests: $(wc -l <"$out/built.txt") built${missing:+; not built from the Debian source:$missing}"
echo "$key" >"$out/.key"
