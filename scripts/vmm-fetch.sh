#!/usr/bin/env bash
# The nested VMM of the vmm suite: Debian's arm64 qemu-system-aarch64, qemu-system-data and
# the arm64 shared libraries it needs, fetched with `apt-get download`, unpacked with
# dpkg-deb -x into one tree and packed as a cpio.gz that is laid over the outer host's
# initramfs (scripts/mkinitramfs-vmm.sh). Nothing is installed on this machine.
#
# Version: the host's own QEMU, the qemu-system-data that setup-host.sh installed from
# bookworm-backports (dpkg-query, not apt): the nested QEMU is the same release as the
# outer one, and a host QEMU upgrade makes a new tree. The cache directory is keyed by that
# version, $CACHE/vmm/qemu-<version>-f<FORMAT>/:
#   manifest-all.txt  "name arch version" of every package of an arm64 install of
#                     qemu-system-arm on an empty system, solved by apt-get -s (run once)
#   manifest.txt      the packages shipped, with their versions
#   root/             the unpacked tree; vmm-tree.cpio.gz, its archive
#   complete          the sha256 of manifest.txt once all of that is in place
# When `complete` matches, nothing else runs: no apt-get, no apt-cache, no dpkg-deb.
# A build holds the lock $CACHE/vmm/.lock (flock): concurrent runs wait for it.
# VMM_REFRESH=1 solves the package set again (to pick up updated libraries).
#
# Which libraries: the ELF NEEDED closure of qemu-system-aarch64 (readelf -d), plus
# libgcc_s.so.1 (glibc loads it with dlopen for thread cancellation). By Debian policy a
# package's NEEDED sonames come from its direct Depends (dpkg-shlibdeps), so the script
# downloads the direct Depends of each package that ships a needed object, finds which of
# them provides each needed soname, and repeats until nothing is missing; it fails, naming
# the soname, if one cannot be found. qemu-system-common (helpers, display/audio modules,
# the trace-events list) is left out: -nographic guests need none of it.
# Prints the path of vmm-tree.cpio.gz. Downloads go to $CACHE/vmm/debs.
set -euo pipefail
FORMAT=1
CACHE=${KVMX_CACHE:-$HOME/.cache/kvmx}
READELF=${READELF:-readelf}
extra_sonames="libgcc_s.so.1"

die() { echo "vmm-fetch: $*" >&2; exit 1; }
ver=$(dpkg-query -W -f='${Version}' qemu-system-data 2>/dev/null) ||
	die "qemu-system-data is not installed (run scripts/setup-host.sh)"
[ -n "$ver" ] || die "qemu-system-data is not installed (run scripts/setup-host.sh)"
dir=$CACHE/vmm/qemu-${ver//:/%3a}-f$FORMAT
debs=$CACHE/vmm/debs
out=$dir/vmm-tree.cpio.gz

cached() {
	[ -f "$dir/complete" ] && [ -f "$out" ] && [ -f "$dir/manifest.txt" ] &&
		[ "$(cat "$dir/complete")" = "$(sha256sum <"$dir/manifest.txt" | cut -d' ' -f1)" ]
}
if [ -z "${VMM_REFRESH:-}" ] && cached; then
	echo "$out"
	exit 0
fi
# One builder at a time (two worktrees' make check share the cache); whoever waited finds
# the tree complete.
mkdir -p "$dir" "$debs"
exec 9>"$CACHE/vmm/.lock"
flock 9
if [ -z "${VMM_REFRESH:-}" ] && cached; then
	echo "$out"
	exit 0
fi
echo "vmm-fetch: building the nested QEMU $ver tree in $dir" >&2
rm -f "$dir/complete"

# 1. Every package (and its version) an arm64 system would install, from apt's solver on
# an empty package status: the versions come from apt's normal pinning, with the QEMU
# packages pinned to the host's version (from bookworm-backports).
if [ -n "${VMM_REFRESH:-}" ] || [ ! -s "$dir/manifest-all.txt" ]; then
	empty=$(mktemp)
	trap 'rm -f "$empty"' EXIT
	sim=$(apt-get install -s --no-install-recommends -o APT::Architecture=arm64 \
		-o APT::Architectures=arm64 -o Dir::State::status="$empty" \
		-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
		"qemu-system-arm=$ver" "qemu-system-common=$ver" "qemu-system-data=$ver" 2>&1) ||
		die "apt-get -s could not solve qemu-system-arm:arm64=$ver: $(echo "$sim" | tail -5)"
	echo "$sim" | sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) [^[]*\[\([a-z0-9]*\)\]).*/\1 \3 \2/p' |
		LC_ALL=C sort >"$dir/manifest-all.txt.tmp"
	awk '$2 != "arm64" && $2 != "all" { bad = 1 } END { exit bad }' "$dir/manifest-all.txt.tmp" ||
		die "apt-get -s chose a package of another architecture: $dir/manifest-all.txt.tmp"
	grep '^qemu-system-arm arm64 ' "$dir/manifest-all.txt.tmp" >/dev/null ||
		die "apt-get -s did not select qemu-system-arm: $(echo "$sim" | tail -5)"
	mv "$dir/manifest-all.txt.tmp" "$dir/manifest-all.txt"
fi
declare -A arch_of ver_of
while read -r name arch v; do arch_of[$name]=$arch ver_of[$name]=$v; done <"$dir/manifest-all.txt"

# 2. Download and stage packages one by one (stage/<name>/ is its dpkg-deb -x tree).
stage=$dir/stage
mkdir -p "$stage"
deb_of() {	# name: the path of its cached .deb
	local name=$1 v=${ver_of[$1]}
	echo "$debs/${name}_${v//:/%3a}_${arch_of[$1]}.deb"
}
# Download the packages whose .deb is not cached yet, all in one apt-get call (each call
# reads the whole package cache: one per package took minutes).
fetch_debs() {	# name...
	local want=() n
	for n in "$@"; do
		[ -f "$(deb_of "$n")" ] || want+=("$n:${arch_of[$n]}=${ver_of[$n]}")
	done
	[ ${#want[@]} -gt 0 ] || return 0
	(cd "$debs" && apt-get download -qq -o APT::Sandbox::User=root "${want[@]}" >&2) ||
		die "apt-get download ${want[*]} failed"
	for n in "$@"; do
		[ -f "$(deb_of "$n")" ] || die "apt-get download did not produce $(deb_of "$n")"
	done
}
stage_pkg() {	# name
	local name=$1 f
	[ -f "$stage/$name.done" ] && return 0
	fetch_debs "$name"
	f=$(deb_of "$name")
	rm -rf "${stage:?}/$name"
	mkdir -p "$stage/$name"
	dpkg-deb -x "$f" "$stage/$name"
	dpkg-deb -f "$f" Pre-Depends Depends >"$stage/$name.depends"
	touch "$stage/$name.done"
}
# The names of a staged package's direct dependencies that are in the manifest (the first
# alternative that is, for "a | b").
deps_of() {	# name
	tr ',' '\n' <"$stage/$1.depends" | sed -e 's/^ *\(Pre-\)\{0,1\}Depends: *//' \
		-e 's/([^)]*)//g' -e 's/:any//g' -e 's/^ *//' -e 's/ *$//' | while IFS= read -r alts; do
		for a in ${alts//|/ }; do
			[ -n "${ver_of[$a]:-}" ] && { echo "$a"; break; }
		done
	done
}
# Index of shared objects: soname-like file name -> "package<TAB>path in the package".
declare -A so_pkg so_path
index_pkg() {	# name
	local name=$1 p
	while IFS= read -r p; do
		so_pkg[${p##*/}]=$name so_path[${p##*/}]=${p#"$stage/$name/"}
	done < <(find "$stage/$name" \( -type f -o -type l \) -name '*.so*' \
		\( -path '*/lib/*' -o -path '*/lib64/*' \) 2>/dev/null)
}
needed_of() {	# file: its DT_NEEDED sonames
	"$READELF" -d "$1" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'
}

declare -A ship indexed seen_so
ship[qemu-system-arm]=1 ship[qemu-system-data]=1
fetch_debs qemu-system-arm qemu-system-data
stage_pkg qemu-system-arm
stage_pkg qemu-system-data
qemu_bin=usr/bin/qemu-system-aarch64
[ -x "$stage/qemu-system-arm/$qemu_bin" ] || die "qemu-system-arm has no $qemu_bin"
# Work list of (package, object) whose NEEDED entries are still to be resolved.
todo=("qemu-system-arm $qemu_bin")
missing=$extra_sonames
interp=$("$READELF" -l "$stage/qemu-system-arm/$qemu_bin" |
	sed -n 's/.*Requesting program interpreter: \(.*\)\]$/\1/p')
missing="$missing ${interp##*/}"
while :; do
	for item in "${todo[@]}"; do
		read -r pkg obj <<<"$item"
		for so in $(needed_of "$stage/$pkg/$obj"); do
			[ -n "${seen_so[$so]:-}" ] || missing="$missing $so"
		done
	done
	todo=()
	[ -n "${missing// /}" ] || break
	# Candidates: the direct dependencies of every package shipped so far.
	mapfile -t cands < <(for p in "${!ship[@]}"; do deps_of "$p"; done | LC_ALL=C sort -u)
	fetch_debs "${cands[@]}"
	for d in "${cands[@]}"; do
		stage_pkg "$d"
		[ -n "${indexed[$d]:-}" ] || { index_pkg "$d"; indexed[$d]=1; }
	done
	still=
	for so in $missing; do
		[ -n "${seen_so[$so]:-}" ] && continue
		if [ -z "${so_pkg[$so]:-}" ]; then
			still="$still $so"
			continue
		fi
		seen_so[$so]=1
		ship[${so_pkg[$so]}]=1
		todo+=("${so_pkg[$so]} ${so_path[$so]}")
	done
	# An unresolved soname may come from a dependency of a package found in this round.
	if [ ${#todo[@]} -eq 0 ] && [ -n "$still" ]; then
		die "no package in the direct Depends of ${!ship[*]} provides:$still"
	fi
	missing=$still
done

# 3. The tree: the shipped packages without their documentation, and without the 32-bit
# qemu-system-arm binary of the same package (the aarch64 one runs every case).
root=$dir/root
rm -rf "$root"
mkdir -p "$root"
for p in $(printf '%s\n' "${!ship[@]}" | LC_ALL=C sort); do
	cp -a "$stage/$p/." "$root/"
	echo "$p ${arch_of[$p]} ${ver_of[$p]}"
done >"$dir/manifest.txt.tmp"
rm -rf "$root"/usr/share/{doc,man,lintian,bug,info,locale} "$root/usr/bin/qemu-system-arm"
rm -rf "$root"/usr/lib/aarch64-linux-gnu/gconv
find "$root/usr/bin" -xtype l -delete # qemu-system-arm{el,hf} -> the removed binary
# The final check, on the tree alone: the dynamic loader's search of the multiarch
# directories finds every object qemu-system-aarch64 loads.
libdirs="lib/aarch64-linux-gnu usr/lib/aarch64-linux-gnu lib usr/lib"
[ -e "$root$interp" ] || die "the tree has no program interpreter $interp"
declare -A checked
queue=("$root/$qemu_bin")
for so in $extra_sonames; do queue+=("so:$so"); done
while [ ${#queue[@]} -gt 0 ]; do
	obj=${queue[0]}
	queue=("${queue[@]:1}")
	if [ "${obj#so:}" != "$obj" ]; then
		so=${obj#so:} obj=
		for d in $libdirs; do
			[ -e "$root/$d/$so" ] && { obj=$root/$d/$so; break; }
		done
		[ -n "$obj" ] || die "the tree lacks $so"
	fi
	for so in $(needed_of "$obj"); do
		[ -n "${checked[$so]:-}" ] && continue
		checked[$so]=1
		queue+=("so:$so")
	done
done
mv "$dir/manifest.txt.tmp" "$dir/manifest.txt"
cp "$dir/manifest.txt" "$root/vmm-manifest.txt"
(cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
rm -rf "$stage"
sha256sum <"$dir/manifest.txt" | cut -d' ' -f1 >"$dir/complete"
echo "vmm-fetch: $(wc -l <"$dir/manifest.txt") packages, $(du -sm "$root" | cut -f1) MB," \
	"$(du -m "$out" | cut -f1) MB packed" >&2
echo "$out"
