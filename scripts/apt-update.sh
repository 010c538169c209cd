#!/usr/bin/env bash
# `apt-get update` that a broken index cannot stop. A mirror can serve, for days, an index
# that does not match its Release file ("File has unexpected size ... Mirror sync in
# progress?"), often one kvmx never uses (another suite or architecture); apt-get update
# then exits 100 although every index kvmx needs is fine. So: try KVMX_APT_TRIES times
# (default 3), KVMX_APT_PAUSE seconds apart (default 10), then go on with the indexes apt
# has; the install that follows says what is really missing (setup-host.sh names the
# package and its index).
# Prints the indexes that failed on the last try, one URL a line, on stdout (nothing when
# the update succeeded); apt's own messages and ours go to stderr. Exit status 0 always.
set -uo pipefail
tries=${KVMX_APT_TRIES:-3}
pause=${KVMX_APT_PAUSE:-10}
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
out=""
for ((try = 1; try <= tries; try++)); do
	out=$($SUDO apt-get update -qq 2>&1)
	rc=$?
	[ -z "$out" ] || printf '%s\n' "$out" >&2
	[ $rc -ne 0 ] || exit 0
	if [ "$try" -lt "$tries" ]; then
		echo "apt-update: apt-get update failed (exit $rc, try $try of $tries); again in $pause s" >&2
		sleep "$pause"
	fi
done
failed=$(sed -n 's/^[EW]: Failed to fetch \([^ ]*\).*/\1/p' <<<"$out")
{
	echo "apt-update: apt-get update failed $tries times (exit $rc); going on with the indexes apt has."
	if [ -n "$failed" ]; then
		echo "apt-update: the indexes that failed (kvmx may not need them):"
		sed 's/^/apt-update:   /' <<<"$failed"
	fi
} >&2
[ -z "$failed" ] || printf '%s\n' "$failed"
exit 0
