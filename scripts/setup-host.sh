#!/usr/bin/env bash
# Install the host tools kvmx needs from Debian's archive (bookworm + bookworm-backports).
# Idempotent: when every package is installed and apt is configured it runs no apt
# command at all (dpkg-query and dpkg --print-foreign-architectures only) and takes < 1 s;
# the `setup` suite of make check asserts that (scripts/setup-test.sh).
# A failing index never stops it by itself: apt-update.sh retries and goes on, and if a
# package still cannot be installed the message names it and the index it comes from.
# No `cmd | grep -q` here: under pipefail grep -q's early exit can kill cmd with SIGPIPE
# and fail the test (dpkg writes each foreign architecture with its own write()).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

# Packages from bookworm. Why each is needed is written in README.md ("What gets installed").
PKGS=(
	build-essential make bc bison flex libelf-dev
	gcc-aarch64-linux-gnu g++-aarch64-linux-gnu
	gcc-powerpc64le-linux-gnu g++-powerpc64le-linux-gnu
	linux-kbuild-6.1 linux-source-6.1 pahole
	cpio xz-utils rsync sparse
	cmake libgtest-dev
	clang-format kmod
)
# Packages only an optional target needs: linux-source-6.12 (bookworm-security) for
# `make selftests-upstream SRC=6.12`. Installed with the others, but one that cannot be
# installed does not fail setup: the rest of kvmx does not need it. It is then tried
# again at most once a day (the stamp OPT_STAMP), so a mirror that cannot serve it does
# not cost every later make an apt-get update.
OPT_PKGS=(linux-source-6.12)
OPT_STAMP=${KVMX_CACHE:-$HOME/.cache/kvmx}/setup-optional-failed
# QEMU 10 from bookworm-backports: 2.5-3x faster on nested workloads than bookworm's 7.2.
# qemu-system-ppc: the POWER9 (powernv9) host of the POWER suites.
BPO_PKGS=(qemu-system-arm qemu-system-ppc qemu-system-data)
BPO=bookworm-backports

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
log() { echo "setup-host: $*" >&2; }

# missing PKG...: prints those of PKG... that are not installed (one dpkg-query call).
missing() {
	local status name state
	declare -A ok=()
	status=$(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null) || true
	while read -r name state; do
		if [ "$state" = "install ok installed" ]; then ok[$name]=1; fi
	done <<<"$status"
	for name in "$@"; do
		if [ -z "${ok[$name]:-}" ]; then echo "$name"; fi
	done
}
mapfile -t miss_main < <(missing "${PKGS[@]}")
mapfile -t miss_bpo < <(missing "${BPO_PKGS[@]}")
mapfile -t miss_opt < <(missing "${OPT_PKGS[@]}")
if [ ${#miss_opt[@]} -gt 0 ] && [ -n "$(find "$OPT_STAMP" -mmin -1440 2>/dev/null)" ]; then
	miss_opt=()
fi
# qemu must come from backports (>= 10): an older one counts as missing.
qemu_too_old() {
	local v
	command -v qemu-system-aarch64 >/dev/null || return 1
	v=$(qemu-system-aarch64 --version)
	v=$(sed -n '1s/.*version \([0-9]*\)\..*/\1/p' <<<"$v")
	[ "${v:-0}" -lt 10 ]
}
if qemu_too_old && [[ " ${miss_bpo[*]} " != *" qemu-system-arm "* ]]; then
	miss_bpo+=(qemu-system-arm)
fi
foreign=$(dpkg --print-foreign-architectures)
arm64_ok=0
grep -qx arm64 <<<"$foreign" && arm64_ok=1
ppc_ok=0
grep -qx ppc64el <<<"$foreign" && ppc_ok=1
bpo_ok=0
grep -rqs "$BPO" /etc/apt/sources.list /etc/apt/sources.list.d/ && bpo_ok=1

if [ ${#miss_main[@]} -eq 0 ] && [ ${#miss_bpo[@]} -eq 0 ] && [ ${#miss_opt[@]} -eq 0 ] &&
	[ $arm64_ok -eq 1 ] &&
	[ $ppc_ok -eq 1 ] && [ $bpo_ok -eq 1 ]; then
	exit 0
fi

todo=("${miss_main[@]}" "${miss_opt[@]}" "${miss_bpo[@]}")
[ ${#todo[@]} -gt 0 ] || todo=("(apt configuration only)")
log "installing ${todo[*]}"
export DEBIAN_FRONTEND=noninteractive
if [ $bpo_ok -eq 0 ]; then
	$SUDO tee /etc/apt/sources.list.d/kvmx-backports.sources >/dev/null <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: $BPO
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
# arm64 as a foreign architecture lets `apt-get download` fetch the arm64 kernel and busybox.
[ $arm64_ok -eq 1 ] || $SUDO dpkg --add-architecture arm64
# ppc64el likewise for the POWER9 host kernel, its headers and busybox.
[ $ppc_ok -eq 1 ] || $SUDO dpkg --add-architecture ppc64el
failed_indexes=$(bash "$here/apt-update.sh")

# apt_install [-t SUITE] PKG...: apt-get install; on failure, once more with only the packages
# apt has a candidate for (one unavailable package makes apt-get install nothing at all).
candidate() { # PKG: the version apt would install, empty if none
	local policy
	policy=$(apt-cache policy "$1" 2>/dev/null) || true
	policy=$(sed -n 's/^ *Candidate: //p' <<<"$policy")
	[ "$policy" = "(none)" ] || echo "$policy"
}
apt_install() {
	local opts=(-y -qq --no-install-recommends) p have=()
	if [ "$1" = -t ]; then
		opts+=(-t "$2")
		shift 2
	fi
	$SUDO apt-get install "${opts[@]}" "$@" >/dev/null && return 0
	for p in "$@"; do
		[ -z "$(candidate "$p")" ] || have+=("$p")
	done
	[ ${#have[@]} -eq 0 ] || [ ${#have[@]} -eq $# ] ||
		$SUDO apt-get install "${opts[@]}" "${have[@]}" >/dev/null || true
}
# explain SUITE PKG: why PKG is still not installed, naming the index it comes from.
explain() {
	local suite=$1 p=$2 arch desc file cand
	arch=$(dpkg --print-architecture)
	desc=$(apt-get indextargets --no-release-info --format '$(DESCRIPTION)|$(FILENAME)' \
		'Created-By: Packages' "Release: $suite" "Architecture: $arch" 'Component: main' \
		2>/dev/null) || true
	desc=$(sed -n 1p <<<"$desc")
	file=${desc#*|}
	desc=${desc%%|*}
	cand=$(candidate "$p")
	if [ -n "$cand" ]; then
		log "$p: apt has version $cand of it but could not install it; apt-get's errors above say why"
	elif [ -z "$desc" ]; then
		log "$p: not installed, and apt has no source for Debian $suite main ($arch): add one, then run make again"
	elif compgen -G "$file*" >/dev/null; then
		log "$p: not installed, and the index it comes from ($desc) does not list it"
	else
		log "$p: not installed: it comes from the index $desc, and apt has no copy of that index (apt-get update could not fetch it)"
	fi
}
if [ ${#miss_main[@]} -gt 0 ] || [ ${#miss_opt[@]} -gt 0 ]; then
	apt_install "${miss_main[@]}" "${miss_opt[@]}"
fi
[ ${#miss_bpo[@]} -eq 0 ] || apt_install -t "$BPO" "${miss_bpo[@]}"

mapfile -t still_main < <(missing "${PKGS[@]}")
mapfile -t still_bpo < <(missing "${BPO_PKGS[@]}")
if qemu_too_old && [[ " ${still_bpo[*]} " != *" qemu-system-arm "* ]]; then
	still_bpo+=(qemu-system-arm)
fi
if [ ${#miss_opt[@]} -gt 0 ]; then
	mapfile -t still_opt < <(missing "${miss_opt[@]}")
	if [ ${#still_opt[@]} -gt 0 ]; then
		for p in "${still_opt[@]}"; do explain bookworm-security "$p"; done
		log "only make selftests-upstream SRC=6.12 needs ${still_opt[*]}: setup goes on; tried again in a day (or remove $OPT_STAMP)"
		mkdir -p "$(dirname "$OPT_STAMP")"
		printf '%s\n' "${still_opt[@]}" >"$OPT_STAMP"
	else
		rm -f "$OPT_STAMP"
	fi
fi
if [ ${#still_main[@]} -gt 0 ] || [ ${#still_bpo[@]} -gt 0 ]; then
	for p in "${still_main[@]}"; do explain bookworm "$p"; done
	for p in "${still_bpo[@]}"; do explain "$BPO" "$p"; done
	if [ -n "$failed_indexes" ]; then
		log "apt-get update could not fetch:"
		sed 's/^/setup-host:   /' <<<"$failed_indexes" >&2
		log "(a mirror in the middle of a sync serves such indexes for hours or days: try again later, or another mirror)"
	fi
	exit 1
fi
qv=$(qemu-system-aarch64 --version)
log "done (${qv%%$'\n'*})"
