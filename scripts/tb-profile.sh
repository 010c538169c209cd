#!/usr/bin/env bash
# `make profile`: where kvmx's own instructions go on the path of one benchmark of
# tools/kvmx/kvmx-bench.c. Boots the bench's kvmx host (kvm-arm.mode=none, nokaslr, so
# that kvmx.ko lands at the same address every boot) under -icount twice: once to read
# where its .text is, then with QEMU's TCG log of every translated block (in_asm) and of
# every block executed (exec, nochain) limited to that range. Each executed block counts
# its instructions; the counts are summed per kvmx function (the module's own symbols)
# and printed, most first (every function that ran). Functions of the kernel that kvmx
# calls (spinlocks, ktime) are outside the range and not counted. PER=N divides the
# counts (the benchmark's number of round trips, e.g. 3200 for sgi at scale 1).
# Usage: tb-profile.sh KERNEL BUSYBOX KVMX_KO BENCH_BINARY OUTDIR BENCHMARK [PER]
set -euo pipefail
kernel=$1 busybox=$2 ko=$3 bench=$4 out=$5 only=$6 per=${7:-1}
nm=${NM:-aarch64-linux-gnu-nm}
mkdir -p "$out"
root=$(mktemp -d)
mkdir -p "$root"/{bin,dev,proc,sys,tmp}
install -m 0755 "$busybox" "$root/bin/busybox"
install -m 0755 "$bench" "$root/kvmx-bench"
install -m 0644 "$ko" "$root/kvmx.ko"
cat >"$root/init" <<EOI
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
echo 1 >/proc/sys/kernel/printk
insmod /kvmx.ko
echo "kvmx-text \$(cat /sys/module/kvmx/sections/.text)"
/kvmx-bench 1 $only
poweroff -f
EOI
chmod 0755 "$root/init"
(cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) | gzip -1 >"$out/initrd.gz"
rm -rf "$root"

boot() { # extra QEMU arguments...
	timeout --foreground -k 5 1200 qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 \
		-cpu max -smp 2 -m 2048 -icount shift=0,sleep=off "$@" -nographic -no-reboot \
		-nic none -kernel "$kernel" -initrd "$out/initrd.gz" \
		-append "console=ttyAMA0 quiet panic=-1 nokaslr kvm-arm.mode=none" </dev/null 2>&1 |
		tr -d '\r' | grep -a -e '^bench' -e '^# ' -e '^kvmx-text' || true
}

boot >"$out/first.txt"
base=$(awk '$1 == "kvmx-text" { print $2 }' "$out/first.txt")
[ -n "$base" ] || { echo "tb-profile: kvmx did not load:"; cat "$out/first.txt"; exit 1; }
size=$("${nm%nm}objdump" -h "$ko" | awk '$2 == ".text" { print $3 }')
end=$(printf '%#x' $((base + 0x$size)))
boot -d in_asm,exec,nochain -dfilter "$base..$end" -D "$out/trace.log" >"$out/bench.txt"
grep -a '^bench' "$out/bench.txt" || true

# Symbols: offset in .text, name (demangled).
"$nm" -n --defined-only -C "$ko" | awk '$2 ~ /^[tTwW]$/ { o = $1; $1 = ""; $2 = ""; sub(/^  /, ""); print o "\t" $0 }' >"$out/syms.txt"
awk -v base="$base" -v per="$per" -F'\t' '
	# The low 32 bits only: awk numbers are doubles, exact to 2^53, and kvmx is far
	# smaller than 4 GB (offsets are taken modulo 2^32).
	function hex(s,  i, c, v) {
		v = 0; s = tolower(s); sub(/^0x/, "", s); if (length(s) > 8) s = substr(s, length(s) - 7)
		for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)) - 1; v = v * 16 + c }
		return v
	}
	FNR == NR { off[++ns] = hex($1); name[ns] = $2; next }
	FNR == 1 { b = hex(base) }
	/^0x[0-9a-f]+:/ { a = hex(substr($0, 1, index($0, ":") - 1)); if (cur == "") cur = a; n++; next }
	cur != "" { insns[cur] = n; cur = ""; n = 0 }
	/^Trace / { split($0, f, "/"); execs[hex(f[2])]++ }
	END {
		if (cur != "") insns[cur] = n
		for (pc in execs) {
			o = (pc - b + 4294967296) % 4294967296; lo = 1; hi = ns
			while (lo < hi) { mid = int((lo + hi + 1) / 2); if (off[mid] <= o) lo = mid; else hi = mid - 1 }
			k = (pc in insns ? insns[pc] : 1) * execs[pc]
			by[name[lo]] += k; total += k
		}
		printf "kvmx instructions: %d in all, %.1f per %d\n", total, total / per, per
		for (s in by) printf "%10.1f %5.1f%%  %s\n", by[s] / per, 100 * by[s] / total, s | "sort -rn"
	}' "$out/syms.txt" "$out/trace.log" | tee "$out/profile.txt"
[ -n "${KEEP_TRACE:-}" ] || rm -f "$out/trace.log"
rm -f "$out/initrd.gz"
