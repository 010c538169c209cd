#!/usr/bin/env bash
# modinfo of the built kvmx.ko must show license, description, version and parameters.
set -uo pipefail
ko=$1
n=0
echo "1..5"
for field in license description version; do
	n=$((n + 1))
	v=$(modinfo -F "$field" "$ko" 2>/dev/null)
	if [ -n "$v" ]; then echo "ok $n modinfo_has_$field # $v"; else echo "not ok $n modinfo_has_$field"; fi
done
parms=$(modinfo -F parm "$ko" 2>/dev/null)
for p in max_vms debug; do
	n=$((n + 1))
	if echo "$parms" | grep -q "^$p:.\+"; then echo "ok $n modinfo_documents_parameter_$p"; else echo "not ok $n modinfo_documents_parameter_$p"; fi
done
