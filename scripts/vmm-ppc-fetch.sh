#!/usr/bin/env bash
# The nested VMM of the POWER vmm suite: Debian's ppc64el qemu-system-ppc64 (the version of
# the installed x86 qemu-system-ppc, i.e. bookworm-backports' QEMU 10), its shared
# libraries and SLOF (qemu-system-data), fetched with `apt-get download` and unpacked with
# dpkg-deb -x: nothing is installed. Libraries are found by following the packages'
# Depends (lib* and zlib1g only) and then packed by the ELF NEEDED closure of the binary,
# so only what the dynamic loader really opens goes into the powernv9 host's initramfs.
# Cached in $KVMX_CACHE/vmm-ppc/<qemu version>/ (a second run calls no apt at all).
# Prints only the path of payload.cpio.gz: /usr/bin/qemu-system-ppc64, /lib64/ld64.so.2,
# /lib/powerpc64le-linux-gnu/*, /usr/share/qemu/slof.bin, to be appended to an initramfs.
set -euo pipefail
CACHE=${KVMX_CACHE:-$HOME/.cache/kvmx}
DEBARCH=ppc64el
TRIPLET=powerpc64le-linux-gnu
READELF=${READELF:-$TRIPLET-readelf}
log() { echo "vmm-ppc-fetch: $*" >&2; }

qver=$(dpkg-query -W -f='${Version}' qemu-system-ppc)
dir=$CACHE/vmm-ppc/${qver//[:~]/_}
payload=$dir/payload.cpio.gz
if [ -f "$dir/.done" ] && [ -f "$payload" ]; then
	echo "$payload"
	exit 0
fi
# Keep the downloads of an interrupted run; unpack afresh.
rm -rf "$dir/unpacked" "$dir/root"
mkdir -p "$dir/debs" "$dir/unpacked" "$dir/root"
chmod 0777 "$dir/debs" # apt's _apt user writes the downloads here

# version_for PKG CONSTRAINT: the candidate if it satisfies "OP VER", else the first
# version apt knows that does; empty if none.
version_for() {
	local pkg=$1 op=${2:-} want=${3:-} v
	v=$(apt-cache policy "$pkg:$DEBARCH" | sed -n 's/^ *Candidate: //p')
	if [ -n "$v" ] && [ "$v" != "(none)" ] &&
		{ [ -z "$op" ] || dpkg --compare-versions "$v" "$op" "$want"; }; then
		echo "$v"
		return
	fi
	while read -r v; do
		if [ -z "$op" ] || dpkg --compare-versions "$v" "$op" "$want"; then
			echo "$v"
			return
		fi
	done < <(apt-cache madison "$pkg:$DEBARCH" | awk -F' *[|] *' '{ print $2 }')
}

declare -A seen=()
queue=()
# enqueue_depends DEB: the lib* and zlib1g packages among DEB's Depends/Pre-Depends
# (first alternative, with its version constraint).
enqueue_depends() {
	local deps alt name op ver
	deps=$(
		dpkg-deb -f "$1" Pre-Depends
		dpkg-deb -f "$1" Depends
	)
	while IFS= read -r alt; do
		[ -n "$alt" ] || continue
		alt=${alt%%|*}
		read -r name op ver <<<"$(echo "$alt" | sed -E 's/^ *([^ (]+) *(\(([<>=]+) *([^)]+)\))?.*/\1 \3 \4/')"
		name=${name%%:*}
		case $name in lib* | zlib1g) ;; *) continue ;; esac
		[ -n "${seen[$name]:-}" ] && continue
		seen[$name]=1
		queue+=("$name|$op|${ver% }")
	done < <(echo "$deps" | tr ',' '\n')
}

fetch() {	# name version -> path of the .deb
	local name=$1 v=$2 deb
	(cd "$dir/debs" && apt-get download -qq -o APT::Sandbox::User=root "$name:$DEBARCH=$v" >&2)
	deb=$(ls "$dir/debs/${name}_${v//:/%3a}_"*.deb 2>/dev/null | sed -n 1p)
	[ -n "$deb" ] || { log "no .deb for $name=$v"; exit 1; }
	echo "$deb"
}

deb=$(fetch qemu-system-ppc "$qver")
dpkg-deb -x "$deb" "$dir/unpacked"
enqueue_depends "$deb"
# SLOF, the pseries firmware (architecture all, the same version as the binary).
dver=$(dpkg-query -W -f='${Version}' qemu-system-data)
(cd "$dir/debs" && apt-get download -qq -o APT::Sandbox::User=root "qemu-system-data=$dver" >&2)
dpkg-deb -x "$dir/debs/qemu-system-data_${dver//:/%3a}_all.deb" "$dir/unpacked"
echo "qemu-system-ppc:$DEBARCH=$qver" >"$dir/manifest.txt"
echo "qemu-system-data=$dver" >>"$dir/manifest.txt"
i=0
while [ $i -lt ${#queue[@]} ]; do
	IFS='|' read -r name op want <<<"${queue[$i]}"
	i=$((i + 1))
	# A .deb of this package left by an interrupted run is reused (no apt round trip).
	deb=$(ls "$dir/debs/${name}_"*"_$DEBARCH.deb" 2>/dev/null | sed -n 1p || true)
	if [ -n "$deb" ]; then
		v=$(dpkg-deb -f "$deb" Version)
	else
		v=$(version_for "$name" "$op" "$want")
	fi
	if [ -z "$v" ]; then
		log "no version of $name:$DEBARCH satisfies ($op $want)"
		exit 1
	fi
	[ -n "$deb" ] || deb=$(fetch "$name" "$v")
	dpkg-deb -x "$deb" "$dir/unpacked"
	echo "$name:$DEBARCH=$v" >>"$dir/manifest.txt"
	enqueue_depends "$deb"
done

# Pack the NEEDED closure of qemu-system-ppc64 (and the loader) into root/.
u=$dir/unpacked r=$dir/root
install -D -m 0755 "$u/usr/bin/qemu-system-ppc64" "$r/usr/bin/qemu-system-ppc64"
install -D -m 0644 "$u/usr/share/qemu/slof.bin" "$r/usr/share/qemu/slof.bin"
libdirs=("$u/lib/$TRIPLET" "$u/usr/lib/$TRIPLET")
find_lib() {
	local d f
	for d in "${libdirs[@]}"; do
		f=$d/$1
		# Links are followed inside the unpacked tree (some are absolute).
		while [ -L "$f" ]; do
			case $(readlink "$f") in
			/*) f=$u$(readlink "$f") ;;
			*) f=$(dirname "$f")/$(readlink "$f") ;;
			esac
		done
		[ -f "$f" ] && { echo "$f"; return; }
	done
}
declare -A packed=()
# The loader (/lib64/ld64.so.2, an absolute link into the multiarch directory).
interp=$("$READELF" -l "$u/usr/bin/qemu-system-ppc64" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
ld=$(find_lib "$(basename "$interp")")
[ -n "$ld" ] || { log "no $interp in the fetched libc6"; exit 1; }
install -D -m 0755 "$ld" "$r$interp"
packed[$(basename "$interp")]=1
todo=("$r/usr/bin/qemu-system-ppc64")
while [ ${#todo[@]} -gt 0 ]; do
	f=${todo[0]}
	todo=("${todo[@]:1}")
	for so in $("$READELF" -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		[ -n "${packed[$so]:-}" ] && continue
		packed[$so]=1
		p=$(find_lib "$so")
		[ -n "$p" ] || { log "$so (needed by $(basename "$f")) is in no fetched package"; exit 1; }
		install -D -m 0755 "$p" "$r/lib/$TRIPLET/$so"
		todo+=("$p")
	done
done
nlibs=$(ls "$r/lib/$TRIPLET" | wc -l)
(cd "$r" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) | gzip -1 >"$payload.tmp"
mv "$payload.tmp" "$payload"
rm -rf "$dir/unpacked"
log "qemu-system-ppc64 $qver: $(wc -l <"$dir/manifest.txt") packages, $nlibs libraries," \
	"$(du -sm "$r" | cut -f1) MB unpacked, $(du -m "$payload" | cut -f1) MB packed"
touch "$dir/.done"
echo "$payload"
