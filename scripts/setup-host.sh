#!/usr/bin/env bash
# Install the host tools kvmx needs from Debian's archive (bookworm + bookworm-backports).
# Idempotent: when every package is already installed it touches nothing and takes < 1 s.
set -euo pipefail

# Packages from bookworm. Why each is needed is written in README.md ("What gets installed").
PKGS=(
	build-essential make bc bison flex libelf-dev
	gcc-aarch64-linux-gnu g++-aarch64-linux-gnu
	gcc-powerpc64le-linux-gnu g++-powerpc64le-linux-gnu
	linux-kbuild-6.1 linux-source-6.1
	cpio xz-utils rsync sparse
	cmake libgtest-dev
	clang-format kmod
)
# QEMU 10 from bookworm-backports: 2.5-3x faster on nested workloads than bookworm's 7.2.
# qemu-system-ppc: the POWER9 (powernv9) host of the POWER suites.
BPO_PKGS=(qemu-system-arm qemu-system-ppc qemu-system-data)

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

missing=()
for p in "${PKGS[@]}" "${BPO_PKGS[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# qemu must come from backports (>= 10): an older one counts as missing.
if command -v qemu-system-aarch64 >/dev/null; then
	qv=$(qemu-system-aarch64 --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p')
	[ "${qv:-0}" -ge 10 ] || missing+=(qemu-system-arm)
fi
arm64_ok=0
dpkg --print-foreign-architectures | grep -qx arm64 && arm64_ok=1
ppc_ok=0
dpkg --print-foreign-architectures | grep -qx ppc64el && ppc_ok=1
bpo_ok=0
grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/ && bpo_ok=1

if [ ${#missing[@]} -eq 0 ] && [ $arm64_ok -eq 1 ] && [ $ppc_ok -eq 1 ] && [ $bpo_ok -eq 1 ]; then
	exit 0
fi

echo "setup-host: installing ${missing[*]:-(apt configuration only)}"
export DEBIAN_FRONTEND=noninteractive
if [ $bpo_ok -eq 0 ]; then
	$SUDO tee /etc/apt/sources.list.d/kvmx-backports.sources >/dev/null <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
# arm64 as a foreign architecture lets `apt-get download` fetch the arm64 kernel and busybox.
[ $arm64_ok -eq 1 ] || $SUDO dpkg --add-architecture arm64
# ppc64el likewise for the POWER9 host kernel, its headers and busybox.
[ $ppc_ok -eq 1 ] || $SUDO dpkg --add-architecture ppc64el
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${PKGS[@]}" >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports "${BPO_PKGS[@]}" >/dev/null
echo "setup-host: done ($(qemu-system-aarch64 --version | head -1))"
