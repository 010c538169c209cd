#!/usr/bin/env bash
# `make bench`: run tools/kvmx/kvmx-bench in the QEMU arm64 host twice from one command,
# on the built-in KVM and on kvmx.ko (kvm-arm.mode=none), and print each benchmark's
# medians side by side with the ratio kvmx / built-in. With ICOUNT=1 the host runs under
# QEMU's -icount (virtual time advances with instructions executed), so the figures count
# instructions rather than wall time and do not move with the machine's load.
# With BENCH_ARCH=powerpc the host is QEMU's powernv9 and the reference is the in-kernel
# kvm-hv, loaded from the modules given as REF_KOS (tools/kvmx/ppc-bench.c is the binary).
# BENCH_ONLY=name,name runs only those benchmarks (arm64's kvmx-bench); KVMX_PARAMS are
# kvmx.ko's module parameters (e.g. halt_poll_ns=500000).
# Usage: bench.sh KERNEL BUSYBOX KVMX_KO BENCH_BINARY RESULTS [SCALE [REF_KOS...]]
set -euo pipefail
kernel=$1 busybox=$2 ko=$3 bench=$4 results=$5 scale=${6:-1}
shift 6 2>/dev/null || shift $#
ref_kos=("$@")
arch=${BENCH_ARCH:-arm64}
mkdir -p "$results"
icount=${ICOUNT:-0}
only=${BENCH_ONLY:-}
kvmx_params=${KVMX_PARAMS:-}
tag=wall
[ "$icount" = 1 ] && tag=icount
qemu=qemu-system-aarch64
if [ "$arch" = powerpc ]; then
	qemu=${QEMU_PPC:-qemu-system-ppc64}
	tag=ppc-$tag
fi
qver=$("$qemu" --version | sed -n 1p)

boot() { # mode(builtin|kvmx) -> bench lines on stdout
	local mode=$1 root append
	root=$(mktemp -d)
	mkdir -p "$root"/{bin,dev,proc,sys,tmp}
	install -m 0755 "$busybox" "$root/bin/busybox"
	install -m 0755 "$bench" "$root/kvmx-bench"
	local load=""
	for k in "${ref_kos[@]}"; do
		[ "$mode" = builtin ] || break
		install -m 0644 "$k" "$root/$(basename "$k")"
		load="$load insmod /$(basename "$k");"
	done
	cat >"$root/init" <<EOI
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
echo 1 >/proc/sys/kernel/printk
$load
[ -e /kvmx.ko ] && insmod /kvmx.ko $kvmx_params
/kvmx-bench $scale $only
poweroff -f
EOI
	chmod 0755 "$root/init"
	append="console=ttyAMA0 quiet panic=-1"
	[ "$arch" = powerpc ] && append="console=hvc0 quiet panic=-1"
	if [ "$mode" = kvmx ]; then
		install -m 0644 "$ko" "$root/kvmx.ko"
		[ "$arch" = arm64 ] && append="$append kvm-arm.mode=none"
	fi
	(cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) | gzip -1 >"$root.cpio.gz"
	rm -rf "$root"
	local extra=()
	[ "$icount" = 1 ] && extra=(-icount shift=0,sleep=off)
	local machine=(-M virt,virtualization=on,gic-version=3 -cpu max -smp 2)
	[ "$arch" = powerpc ] &&
		machine=(-L /usr/share/qemu -M powernv9 -cpu power9 -bios /usr/share/qemu/skiboot.lid -smp 1)
	timeout --foreground -k 5 900 "$qemu" "${machine[@]}" -m 2048 "${extra[@]}" \
		-nographic -no-reboot -nic none -kernel "$kernel" -initrd "$root.cpio.gz" \
		-append "$append" </dev/null 2>&1 | tr -d '\r' | grep -a -e '^bench' -e '^# ' || true
	rm -f "$root.cpio.gz"
}

boot builtin >"$results/bench-builtin-$tag.txt"
boot kvmx >"$results/bench-kvmx-$tag.txt"
for m in builtin kvmx; do
	grep -q '^bench-done' "$results/bench-$m-$tag.txt" || {
		echo "bench: the $m run did not finish:"; cat "$results/bench-$m-$tag.txt"; exit 1; }
done
awk -v tag="$tag" -v qver="$qver" -v out="$results/bench-$tag.json" '
	FNR == 1 { mode = (FILENAME ~ /builtin/) ? "builtin" : "kvmx" }
	$1 == "bench" && $2 != "" {
		name = $2; med[mode, name] = $4; min[mode, name] = $6; max[mode, name] = $8
		n[mode, name] = $10; unit[name] = $12
		if (!(name in seen)) { seen[name] = 1; order[++count] = name }
	}
	# "bench-ref A B": benchmark A has no in-kernel run of its own; compare it with B there.
	$1 == "bench-ref" { ref[$2] = $3 }
	END {
		printf "%-11s %14s %14s %7s   %s (%s, %s)\n", "benchmark", "in-kernel ns", "kvmx ns", \
			"ratio", "spread min..max in-kernel | kvmx", tag, qver
		printf "{\n  \"clock\": \"%s\",\n  \"qemu\": \"%s\",\n  \"benchmarks\": [\n", tag, qver > out
		for (i = 1; i <= count; i++) {
			k = order[i]; b = (k in ref) ? ref[k] : k
			if (med["builtin", b] == "") {
				printf "%-11s %14s %14d %7s   - | %d..%d, %d samples, %s\n", k, "-", \
					med["kvmx", k], "-", min["kvmx", k], max["kvmx", k], n["kvmx", k], unit[k]
				continue
			}
			r = med["kvmx", k] / med["builtin", b]
			label = (b == k) ? k : k "/" b
			printf "%-11s %14d %14d %7.2f   %d..%d | %d..%d, %d samples, %s\n", label, \
				med["builtin", b], med["kvmx", k], r, min["builtin", b], max["builtin", b], \
				min["kvmx", k], max["kvmx", k], n["kvmx", k], unit[k]
			printf "    {\"name\": \"%s\", \"reference\": \"%s\", \"unit\": \"%s\", \"samples\": %d, \"ratio\": %.3f,\n", \
				k, b, unit[k], n["kvmx", k], r > out
			printf "     \"builtin\": {\"median_ns\": %d, \"min_ns\": %d, \"max_ns\": %d},\n", \
				med["builtin", b], min["builtin", b], max["builtin", b] > out
			printf "     \"kvmx\": {\"median_ns\": %d, \"min_ns\": %d, \"max_ns\": %d}}%s\n", \
				med["kvmx", k], min["kvmx", k], max["kvmx", k], (i < count ? "," : "") > out
		}
		printf "  ]\n}\n" > out
	}' "$results/bench-builtin-$tag.txt" "$results/bench-kvmx-$tag.txt" | tee "$results/bench-$tag.txt"
echo "bench: $results/bench-$tag.json"
