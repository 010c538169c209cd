#!/bin/sh
# The dkms suite (make check-dkms), run inside the QEMU arm64 host as TAP: the kvmx-dkms
# package installed the Debian way on an arm64 Debian root (scripts/dkms-root.sh: dkms,
# g++-12 and the headers of Debian's 6.1 and 6.12 kernels, unpacked at /dkms) and
# entered with chroot, on the kernel that runs (kvm-arm.mode=none):
#   - dpkg -i /kvmx-dkms.deb: dpkg checks its Depends against the root's packages and the
#     postinst (dkms's common.postinst) adds, builds and installs kvmx with the kernel's
#     headers, natively (gcc-12/g++-12), for the running kernel and the newest one
#     (/boot/config-*), which dkms status shows as installed;
#   - each build is for its kernel (modinfo's vermagic), in /lib/modules/<release>/updates/dkms;
#   - modprobe kvmx (depmod ran) registers /dev/kvm (misc 10:232), kvmx-probe answers, modprobe -r;
#   - dpkg -r: the prerm removes every build (dkms remove --all), the sources go;
#   - no BUG, WARNING or Oops in the kernel log.
# The seconds of each step are TAP comments (native builds under TCG are slow).
R=/dkms
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; }
check() {	# description command...
	d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
# in_root COMMAND...: run in the Debian root with a clean environment, output to /tmp/out.
in_root() {
	chroot $R /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
		"$@" >/tmp/out 2>&1
}
show() { sed 's/^/#   /' /tmp/out; }
rel=$(uname -r)
for d in proc sys dev; do mkdir -p $R/$d && mount --bind /$d $R/$d; done
# What udev adds to devtmpfs on a Debian host: dkms's <(...) needs /dev/fd.
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
mkdir -p $R/tmp $R/var/log && mount -t tmpfs tmp $R/tmp
cp /kvmx-dkms.deb $R/tmp/
in_root dpkg-deb -f /tmp/kvmx-dkms.deb Version
ver=$(cat /tmp/out)
echo "# kernel $rel, kvmx-dkms $ver, $(grep -c '^Package:' $R/var/lib/dpkg/status) packages in the root"
echo "# $(in_root dpkg-query -W -f='${Package} ${Version}; ' dkms g++-12 && tr '\n' ' ' </tmp/out)"

t0=$(date +%s)
in_root dpkg -i /tmp/kvmx-dkms.deb
r=$?
t1=$(date +%s)
echo "# dpkg -i: $((t1 - t0)) s (postinst: dkms add, build, install)"
[ $r -eq 0 ] || show
check "dpkg -i kvmx-dkms builds and installs kvmx with dkms (status $r)" [ $r -eq 0 ]
# The kernels dkms's postinst builds for: the running one and the newest with a config.
newest=$(ls -v $R/boot/ | sed -n 's/^config-//p' | tail -n 1)
kernels=$rel
[ "$newest" = "$rel" ] || kernels="$rel $newest"
in_root dkms status -m kvmx
show
cp /tmp/out /tmp/status
for k in $kernels; do
	check "dkms status: kvmx/$ver installed for $k" \
		grep -qF "kvmx/$ver, $k, aarch64: installed" /tmp/status
	ko=$R/lib/modules/$k/updates/dkms/kvmx.ko
	in_root modinfo -F vermagic /lib/modules/$k/updates/dkms/kvmx.ko
	show
	check "the build for $k is in /lib/modules/$k/updates/dkms with its vermagic" \
		grep -q "^$k " /tmp/out
	[ ! -f "$ko" ] || echo "# $ko: $(wc -c <"$ko") bytes"
done

in_root modprobe kvmx
r=$?
show
check "modprobe kvmx loads the dkms build (status $r)" [ $r -eq 0 ]
check "/dev/kvm is misc 10:232" [ "$(stat -c '%t:%T' /dev/kvm 2>&1)" = "a:e8" ]
grep -q "^kvmx " /proc/modules && echo "# loaded from $(in_root modinfo -n kvmx && cat /tmp/out)"
kvmx-probe >/tmp/out 2>&1
r=$?
sed -n 1,3p /tmp/out | sed 's/^/#   /'
check "kvmx-probe runs on the dkms build (status $r)" \
	sh -c "[ $r -eq 0 ] && grep -q 'KVM_GET_API_VERSION: 12' /tmp/out"
in_root modprobe -r kvmx
r=$?
show
check "modprobe -r kvmx unloads it (status $r)" sh -c "[ $r -eq 0 ] && ! grep -q '^kvmx ' /proc/modules"

t0=$(date +%s)
in_root dpkg -r kvmx-dkms
r=$?
echo "# dpkg -r: $(($(date +%s) - t0)) s"
show
check "dpkg -r kvmx-dkms (status $r)" [ $r -eq 0 ]
left=$(ls -d $R/lib/modules/*/updates/dkms/kvmx.ko $R/usr/src/kvmx-* $R/var/lib/dkms/kvmx 2>/dev/null)
[ -z "$left" ] || echo "# left behind: $left"
check "the prerm removed every build and the sources" [ -z "$left" ]
dmesg >/tmp/dmesg
grep -E 'BUG|WARNING|Oops|kvmx:' /tmp/dmesg | sed 's/^/# dmesg: /'
check "no BUG, WARNING or Oops in the kernel log" sh -c "! grep -qE 'BUG|WARNING|Oops' /tmp/dmesg"
umount $R/tmp
for d in dev sys proc; do umount $R/$d; done
echo "1..$n"
[ $failed -eq 0 ]
