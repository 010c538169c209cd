#!/usr/bin/env bash
# kvmx-dkms_<version>_all.deb: kvmx's module sources for DKMS, laid out as Debian's dkms
# packages are (what dh_dkms of Debian 12's dkms 3.0.10 produces): the sources and
# dkms.conf in /usr/src/kvmx-<version>/, a postinst that hands them to
# /usr/lib/dkms/common.postinst (dkms add, build and install for the running kernel and the
# newest installed one) and a prerm that removes every build (dkms remove --all); dkms's own
# kernel hooks build it for kernels installed later. Built with dpkg-deb alone.
# Depends: dkms, and g++-12: the C++ core is compiled by the g++ of the GCC the kernel was
# built with (Kbuild's KVMX_CXX), and Debian 12's kernels, 6.1 and backports' 6.12, name
# gcc-12 (their headers pull gcc-12 through linux-compiler-gcc-12-arm; g++ is ours to ask).
# Usage: mkdeb.sh VERSION OUTDIR   (prints the .deb's path)
set -euo pipefail
version=$1 outdir=$2
here=$(cd "$(dirname "$0")/.." && pwd)
name=kvmx
pkg=$name-dkms
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
src=$root/usr/src/$name-$version
mkdir -p "$src/scripts" "$root/DEBIAN" "$root/usr/share/doc/$pkg"
# The sources the module is built from, nothing built (as `make module` copies them).
rsync -a --exclude='*.o' --exclude='.*.cmd' --exclude='*.ko' --exclude='*.mod*' \
	--exclude='*.a' --exclude='*.symvers' --exclude='*.order' --exclude='.*.d' \
	"$here/Kbuild" "$here/include" "$here/virt" "$here/arch" "$src/"
install -m 0644 "$here/scripts/dkms.mk" "$src/scripts/dkms.mk"
install -m 0755 "$here/scripts/uapi-install.sh" "$src/scripts/uapi-install.sh"
sed "s/@KVMX_VERSION@/$version/" "$here/dkms.conf" >"$src/dkms.conf"
grep -q "^PACKAGE_VERSION=\"$version\"$" "$src/dkms.conf" ||
	{ echo "mkdeb: dkms.conf has no PACKAGE_VERSION=\"$version\"" >&2; exit 1; }

# Debian policy: copyright file, changelog, no world-writable files.
cat >"$root/usr/share/doc/$pkg/copyright" <<EOC
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: kvmx

Files: *
License: GPL-2.0
 On Debian systems, the full text of the GNU General Public License version 2
 can be found in the file '/usr/share/common-licenses/GPL-2'.
EOC
date=$(git -C "$here" log -1 --format=%cD 2>/dev/null || date -R)
printf '%s (%s) unstable; urgency=medium\n\n  * Built from the kvmx tree by make deb.\n\n -- kvmx <kvmx@localhost>  %s\n' \
	"$pkg" "$version" "$date" | gzip -9n >"$root/usr/share/doc/$pkg/changelog.gz"

cat >"$root/DEBIAN/control" <<EOC
Package: $pkg
Version: $version
Architecture: all
Maintainer: kvmx <kvmx@localhost>
Depends: dkms (>= 3.0.10), g++-12
Section: kernel
Priority: optional
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Description: kvmx, a KVM-compatible hypervisor module (DKMS sources)
 kvmx.ko registers /dev/kvm and implements the KVM ioctl ABI on a kernel whose
 built-in KVM is switched off (arm64: kvm-arm.mode=none; POWER9 powernv).
 This package builds it with DKMS for the running kernel and for every kernel
 installed later.
EOC
# The maintainer scripts dh_dkms writes (its postinst-dkms and prerm-dkms autoscripts).
cat >"$root/DEBIAN/postinst" <<EOC
#!/bin/sh
set -e
DKMS_NAME=$name
DKMS_PACKAGE_NAME=\$DKMS_NAME-dkms
DKMS_VERSION=$version

postinst_found=0

case "\$1" in
	configure)
		for DKMS_POSTINST in /usr/lib/dkms/common.postinst /usr/share/\$DKMS_PACKAGE_NAME/postinst; do
			if [ -f \$DKMS_POSTINST ]; then
				\$DKMS_POSTINST \$DKMS_NAME \$DKMS_VERSION /usr/share/\$DKMS_PACKAGE_NAME "" \$2
				postinst_found=1
				break
			fi
		done
		if [ "\$postinst_found" -eq 0 ]; then
			echo "ERROR: DKMS version is too old and \$DKMS_PACKAGE_NAME was not"
			echo "built with legacy DKMS support."
			exit 1
		fi
	;;
esac
EOC
cat >"$root/DEBIAN/prerm" <<EOC
#!/bin/sh
set -e
DKMS_NAME=$name
DKMS_VERSION=$version

case "\$1" in
    remove|upgrade|deconfigure)
      if [  "\$(dkms status -m \$DKMS_NAME -v \$DKMS_VERSION)" ]; then
         dkms remove -m \$DKMS_NAME -v \$DKMS_VERSION --all
      fi
    ;;
esac
EOC
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm"
find "$root" -path "$root/DEBIAN" -prune -o -type d -exec chmod 0755 {} +
find "$root" -path "$root/DEBIAN" -prune -o -type f -exec chmod go-w,a+r {} +
(cd "$root" && find usr -type f -print0 | LC_ALL=C sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
mkdir -p "$outdir"
deb=$outdir/${pkg}_${version}_all.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
