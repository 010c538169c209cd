#!/bin/sh
# Debian's conventions for /dev/kvm and the module, run inside the QEMU arm64 host as TAP
# (suite `device`; kvmx not loaded on entry, unloaded on exit):
#   - kvmx.ko installed as an out-of-tree module is (/lib/modules/<release>/extra, depmod),
#     modinfo finds it by name, modprobe takes its options from /etc/modprobe.d and
#     modprobe -r unloads it;
#   - the node is created as the built-in KVM's is, root:root 0600: a user, even a
#     member of the kvm group, is refused (EACCES) until the device manager applies the
#     rule; root still opens it;
#   - with the rule Debian's udev ships for kvm (GROUP="kvm", MODE="0660"), applied by a
#     real device manager (busybox mdev as a netlink daemon, as udevd runs, with the
#     mdev.conf line "kvm root:kvm 660") when the module's uevent arrives, a kvm group
#     member runs a VM (kvmx-hello) without root and a non-member is still refused.
# Privileges are dropped with busybox su (initgroups from /etc/group, then setgid/setuid).
KVMX_GID=104 # any system gid: Debian creates the group with addgroup --system kvm
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; }
check() {	# description command...
	d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
loaded() { grep -q '^kvmx ' /proc/modules; }
# as USER COMMAND: run COMMAND (a shell line) as USER; its output goes to /tmp/as.out.
as() {
	su -s /bin/sh "$1" -c "$2" >/tmp/as.out 2>&1
	r=$?
	sed 's/^/#   /' /tmp/as.out
	return $r
}
# refused USER: opening /dev/kvm read-write (kvmx-probe) fails with EACCES.
refused() {
	! as "$1" 'id; kvmx-probe' && grep -q 'open /dev/kvm: Permission denied' /tmp/as.out
}
node_is() {	# "mode uid:gid" of /dev/kvm, e.g. "600 0:0"
	got=$(stat -c '%a %u:%g' /dev/kvm 2>&1)
	echo "# /dev/kvm: $got (want $1)"
	[ "$got" = "$1" ]
}
# The device manager works asynchronously: wait up to 10 s for the rule to take effect.
node_becomes() {
	i=0
	while [ $i -lt 100 ]; do
		[ "$(stat -c '%a %u:%g' /dev/kvm 2>/dev/null)" = "$1" ] && break
		usleep 100000
		i=$((i + 1))
	done
	echo "# waited $((i * 100)) ms for the device manager"
	node_is "$1"
}

echo "1..17"
t0=$(cut -d' ' -f1 /proc/uptime)
mkdir -p /etc/modprobe.d
cat >/etc/passwd <<EOF
root:x:0:0:root:/root:/bin/sh
kvmuser:x:1000:1000:member of kvm:/tmp:/bin/sh
other:x:1001:1001:not a member of kvm:/tmp:/bin/sh
EOF
cat >/etc/group <<EOF
root:x:0:
kvm:x:$KVMX_GID:kvmuser
kvmuser:x:1000:
other:x:1001:
EOF

# The module installed the way an out-of-tree module is.
moddir=/lib/modules/$(uname -r)
mkdir -p "$moddir/extra"
cp /kvmx.ko "$moddir/extra/kvmx.ko"
check "depmod_lists_kvmx_in_extra" eval 'depmod && grep -q "^extra/kvmx.ko:" "$moddir/modules.dep"'
modinfo kvmx >/tmp/modinfo.out 2>&1
sed 's/^/#   /' /tmp/modinfo.out
check "modinfo_by_name_documents_max_vms" grep -q '^parm: *max_vms:.' /tmp/modinfo.out
check "modinfo_by_name_has_the_kvm_aliases" eval \
	'grep -q "^alias: *char-major-10-232$" /tmp/modinfo.out && grep -q "^alias: *devname:kvm$" /tmp/modinfo.out'

# Options from /etc/modprobe.d, as Debian documents for every module.
echo 'options kvmx max_vms=4' >/etc/modprobe.d/kvmx.conf
check "modprobe_loads_kvmx" eval 'modprobe kvmx && loaded'
check "modprobe_d_option_reaches_max_vms" eval \
	'echo "# max_vms: $(cat /sys/module/kvmx/parameters/max_vms)"; [ "$(cat /sys/module/kvmx/parameters/max_vms)" = 4 ]'
check "max_vms_from_modprobe_d_is_enforced" eval \
	'kvmx-probe -q 4 && ! kvmx-probe -q 5 2>/tmp/probe.err && grep -q "No space left on device" /tmp/probe.err'

# No device manager yet: the node as devtmpfs made it.
check "dev_kvm_is_char_10_232" eval '[ -c /dev/kvm ] && [ "$(stat -c "%t:%T" /dev/kvm)" = a:e8 ]'
check "dev_kvm_created_root_root_0600" node_is "600 0:0"
check "kvm_member_refused_without_rule" refused kvmuser
check "non_member_refused_without_rule" refused other
check "root_opens_dev_kvm" eval 'kvmx-probe -q 1'
check "modprobe_r_unloads_kvmx" eval 'modprobe -r kvmx && ! loaded && [ ! -e /dev/kvm ]'

# A device manager with Debian's rule, running before the module loads (as udevd does).
# The catch-all line tells mdev to leave every other node as devtmpfs made it.
cat >/etc/mdev.conf <<EOF
kvm root:kvm 660
.* root:root 600 !
EOF
mdev -df >/tmp/mdev.log 2>&1 &
mdev_pid=$!
usleep 300000
check "rule_applied_to_dev_kvm_on_load" eval 'modprobe kvmx && node_becomes "660 0:$KVMX_GID"'
check "other_nodes_left_alone" eval '[ "$(stat -c "%a %u:%g" /dev/null)" = "666 0:0" ]'
check "kvm_member_runs_a_vm_without_root" eval \
	'as kvmuser "id; /tests/kvmx-hello" && grep -q "hello from a guest of kvmx" /tmp/as.out'
check "non_member_refused_with_rule" refused other
check "modprobe_r_after_user_vm" eval 'modprobe -r kvmx && ! loaded'
kill $mdev_pid 2>/dev/null
wait $mdev_pid 2>/dev/null
sed 's/^/# mdev: /' /tmp/mdev.log
rm -f /etc/modprobe.d/kvmx.conf /etc/mdev.conf
loaded && rmmod kvmx
echo "# device suite: $(awk -v t0="$t0" '{ printf "%.1f", $1 - t0 }' /proc/uptime) s"
[ $failed -eq 0 ]
