#!/usr/bin/env bash
# modinfo of the built kvmx.ko must show license, description, version, parameters and
# the aliases a KVM module has (char-major-10-232 and devname:kvm: opening /dev/kvm loads
# it); Debian's depmod, given the module in extra/, lists the static node kmod static-nodes
# creates at boot (modules.devname).
set -uo pipefail
ko=$1
n=0
echo "1..7"
for field in license description version; do
	n=$((n + 1))
	v=$(modinfo -F "$field" "$ko" 2>/dev/null)
	if [ -n "$v" ]; then echo "ok $n modinfo_has_$field # $v"; else echo "not ok $n modinfo_has_$field"; fi
done
parms=$(modinfo -F parm "$ko" 2>/dev/null)
for p in max_vms debug; do
	n=$((n + 1))
	if grep -q "^$p:.\+" <<<"$parms"; then echo "ok $n modinfo_documents_parameter_$p"; else echo "not ok $n modinfo_documents_parameter_$p"; fi
done
n=$((n + 1))
aliases=$(modinfo -F alias "$ko" 2>/dev/null)
if grep -qx char-major-10-232 <<<"$aliases" && grep -qx devname:kvm <<<"$aliases"; then
	echo "ok $n modinfo_has_the_kvm_device_aliases"
else
	echo "not ok $n modinfo_has_the_kvm_device_aliases"
fi
n=$((n + 1))
base=$(mktemp -d)
trap 'rm -rf "$base"' EXIT
krel=$(modinfo -F vermagic "$ko" 2>/dev/null)
krel=${krel%% *}
mkdir -p "$base/lib/modules/$krel/extra"
cp "$ko" "$base/lib/modules/$krel/extra/"
depmod -b "$base" "$krel" 2>/dev/null
if grep -qx 'kvmx kvm c10:232' "$base/lib/modules/$krel/modules.devname" 2>/dev/null; then
	echo "ok $n depmod_lists_the_dev_kvm_static_node # $krel"
else
	echo "not ok $n depmod_lists_the_dev_kvm_static_node # $krel"
fi
