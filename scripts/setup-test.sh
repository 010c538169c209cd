#!/usr/bin/env bash
# The `setup` suite (host, TAP): a set-up machine runs no apt command, and a broken index
# does not stop setup. apt-get, apt-cache, apt, sudo and dpkg's --add-architecture are
# shadowed by stubs on PATH that record every call; the rest of dpkg is the real one.
# Usage: setup-test.sh CACHE   (the download cache make uses; it is only read)
#   - a second `make deps` (setup-host.sh, then fetch-debian.sh reusing the cache: what
#     every make run and make check goes through; also with KVER=6.12), setup-host.sh,
#     fetch-debian.sh for every kernel tree in the cache (arm64, powerpc, and their -6.12)
#     and with an env file days old, qemu-ppc-patched.sh with its binary cached and
#     dkms-root.sh with its root cached (make check-dkms):
#     exit 0 and no apt call;
#   - the pipefail trap: dpkg --print-foreign-architectures writing one line per write(),
#     a pause between them, changes nothing;
#   - a broken index: `apt-get update` exits 100 ("File has unexpected size ... Mirror
#     sync in progress?") on every try: setup retries, goes on, installs what is missing
#     and says which index failed; when the package itself is then not installable,
#     setup fails naming the package and the index it comes from; unless only an
#     optional package (linux-source-6.12) is missing: setup then goes on, and does not
#     try it again (no apt) for a day;
#   - no script under scripts/ that sets pipefail pipes into grep -q/-l/-m or head.
set -uo pipefail
cache=$1
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
stubs=$tmp/bin
calls=$tmp/calls
mkdir -p "$stubs"

# The stubs. STUB_UPDATE=fail: apt-get update fails as a mirror mid-sync makes it;
# STUB_INSTALL=ok|fail: apt-get install works (and the package then counts as installed)
# or cannot find the package; otherwise every apt command fails with 100.
# STUB_HIDE=PKG: dpkg-query does not know PKG (until a stub install "installs" it).
# STUB_SLOW_DPKG=1: dpkg --print-foreign-architectures writes line by line, slowly.
cat >"$stubs/apt-get" <<'EOF'
#!/bin/bash
echo "apt-get $*" >>"$STUB_CALLS"
case "${STUB_UPDATE:-}:$1" in
fail:update)
	echo "E: Failed to fetch http://deb.debian.org/debian-security/dists/bookworm-security/main/binary-ppc64el/Packages.xz  File has unexpected size (123456 != 654321). Mirror sync in progress? [IP: 192.0.2.1 80]" >&2
	echo "E: Some index files failed to download. They have been ignored, or old ones used instead." >&2
	exit 100
	;;
esac
case "${STUB_INSTALL:-}:$1" in
ok:install)
	touch "$STUB_INSTALLED"
	exit 0
	;;
fail:install)
	echo "E: Unable to locate package ${@: -1}" >&2
	exit 100
	;;
fail:indextargets)
	echo "http://deb.debian.org/debian bookworm/main amd64 Packages|/nonexistent/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages"
	exit 0
	;;
esac
exit 100
EOF
cat >"$stubs/apt-cache" <<'EOF'
#!/bin/bash
echo "apt-cache $*" >>"$STUB_CALLS"
if [ "${STUB_INSTALL:-}:$1" = fail:policy ]; then
	printf '%s:\n  Installed: (none)\n  Candidate: (none)\n' "$2"
	exit 0
fi
exit 100
EOF
cat >"$stubs/apt" <<'EOF'
#!/bin/bash
echo "apt $*" >>"$STUB_CALLS"
exit 100
EOF
cat >"$stubs/sudo" <<'EOF'
#!/bin/bash
exec "$@"
EOF
cat >"$stubs/dpkg" <<'EOF'
#!/bin/bash
for a in "$@"; do
	if [ "$a" = --add-architecture ]; then
		echo "dpkg $*" >>"$STUB_CALLS"
		[ -n "${STUB_INSTALL:-}" ] && exit 0
		exit 2
	fi
done
if [ "${STUB_SLOW_DPKG:-0}" = 1 ] && [ "$1" = --print-foreign-architectures ]; then
	# In this process, as dpkg does: a write to a closed pipe kills it with SIGPIPE.
	for arch in $(/usr/bin/dpkg --print-foreign-architectures); do
		echo "$arch"
		sleep 0.2
	done
	exit 0
fi
exec /usr/bin/dpkg "$@"
EOF
cat >"$stubs/dpkg-query" <<'EOF'
#!/bin/bash
# Asked about STUB_HIDE: answer as for a package dpkg has never seen.
args=() pkgs=0 hidden=0
for a in "$@"; do
	if [ -n "${STUB_HIDE:-}" ] && [ ! -e "$STUB_INSTALLED" ] && [ "$a" = "$STUB_HIDE" ]; then
		hidden=1
		continue
	fi
	args+=("$a")
	[[ $a == -* ]] || pkgs=$((pkgs + 1))
done
[ $hidden = 1 ] || exec /usr/bin/dpkg-query "$@"
echo "dpkg-query: no packages found matching $STUB_HIDE" >&2
[ $pkgs -eq 0 ] || /usr/bin/dpkg-query "${args[@]}"
exit 1
EOF
chmod +x "$stubs"/*
export STUB_CALLS=$calls STUB_INSTALLED=$tmp/installed
export KVMX_APT_TRIES=2 KVMX_APT_PAUSE=0

n=0
ok() { n=$((n + 1)); echo "ok $n $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n $*"; }
# run COMMAND...: run COMMAND with the stubs first on PATH; output in $tmp/out.
run() {
	: >"$calls"
	rm -f "$STUB_INSTALLED"
	PATH=$stubs:$PATH "$@" >"$tmp/out" 2>&1
	status=$?
	sed 's/^/#   /' "$tmp/out"
	[ -s "$calls" ] && sed 's/^/#   apt call: /' "$calls"
	return 0
}
no_apt() {	# name: exit 0 and no call recorded
	if [ $status -eq 0 ] && [ ! -s "$calls" ]; then ok "$1"; else not_ok "$1 # exit $status"; fi
}
says() { grep -qF -- "$1" "$tmp/out"; }
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }

echo "1..16"
run make -C "$top" --no-print-directory -s deps CACHE="$cache"
no_apt "second_make_deps_runs_no_apt"
# The same for Debian's 6.12 kernel (make ... KVER=6.12), once it has been fetched.
if [ -f "$cache/arm64-6.12/env.mk" ]; then
	run make -C "$top" --no-print-directory -s deps CACHE="$cache" KVER=6.12
	no_apt "second_make_deps_runs_no_apt_6.12"
else
	skip "second_make_deps_runs_no_apt_6.12" "no arm64-6.12 cache yet"
fi
run bash "$top/scripts/setup-host.sh"
no_apt "setup_host_on_a_set_up_machine_runs_no_apt"
STUB_SLOW_DPKG=1 run bash "$top/scripts/setup-host.sh"
no_apt "foreign_arch_check_survives_dpkg_writing_line_by_line"
# Each kernel's tree: ARCH for bookworm's 6.1, ARCH-6.12 for backports' 6.12.
for tree in arm64 powerpc arm64-6.12 powerpc-6.12; do
	arch=${tree%-*} series=
	[ "$tree" = "$arch" ] || series=${tree#*-}
	if [ -f "$cache/$tree/env.mk" ]; then
		KVMX_CACHE=$cache run bash "$top/scripts/fetch-debian.sh" $arch $series
		no_apt "fetch_debian_with_a_warm_cache_runs_no_apt_$tree"
	else
		skip "fetch_debian_with_a_warm_cache_runs_no_apt_$tree" "no $tree cache yet"
	fi
done
# An env file from days ago (a copy: the cache's own is not touched) is still used.
mkdir -p "$tmp/old/arm64"
if [ -f "$cache/arm64/env.mk" ]; then
	cp "$cache/arm64/env.mk" "$tmp/old/arm64/env.mk"
	touch -d '3 days ago' "$tmp/old/arm64/env.mk"
	KVMX_CACHE=$tmp/old run bash "$top/scripts/fetch-debian.sh" arm64
	no_apt "fetch_debian_keeps_an_env_file_days_old_without_apt"
else
	skip "fetch_debian_keeps_an_env_file_days_old_without_apt" "no arm64 cache yet"
fi
if compgen -G "$cache/qemu-ppc-*/qemu-system-ppc64" >/dev/null; then
	KVMX_CACHE=$cache run bash "$top/scripts/qemu-ppc-patched.sh"
	no_apt "patched_qemu_cached_runs_no_apt"
else
	skip "patched_qemu_cached_runs_no_apt" "the patched QEMU is not built yet"
fi
# make check-dkms's arm64 Debian root, once built for the cached 6.1 and 6.12 kernels.
dkms_specs=()
for tree in arm64 arm64-6.12; do
	[ -f "$cache/$tree/env.mk" ] &&
		dkms_specs+=("$(sed -n 's/^KVMX_KABI := //p' "$cache/$tree/env.mk"):$cache/$tree/root")
done
dkms_key=
for k in "${dkms_specs[@]}"; do dkms_key=$dkms_key${k%%:*}_; done
if [ ${#dkms_specs[@]} -eq 2 ] && compgen -G "$cache/dkms/${dkms_key}f*/complete" >/dev/null; then
	KVMX_CACHE=$cache run bash "$top/scripts/dkms-root.sh" "${dkms_specs[@]}"
	no_apt "dkms_root_cached_runs_no_apt"
else
	skip "dkms_root_cached_runs_no_apt" "the dkms root is not built yet (make check-dkms)"
fi

# A broken index, every try: cpio (hidden from dpkg-query) must still be installed.
STUB_UPDATE=fail STUB_INSTALL=ok STUB_HIDE=cpio run bash "$top/scripts/setup-host.sh"
updates=$(grep -c '^apt-get update' "$calls")
if [ $status -eq 0 ] && [ "$updates" = 2 ] && grep -q '^apt-get install .* cpio$' "$calls" &&
	says "apt-update: apt-get update failed 2 times (exit 100); going on" &&
	says "binary-ppc64el/Packages.xz"; then
	ok "broken_index_retried_then_setup_goes_on_and_installs"
else
	not_ok "broken_index_retried_then_setup_goes_on_and_installs # exit $status, $updates updates"
fi
# ...and cpio is nowhere to be had: the message names the package and its index.
STUB_UPDATE=fail STUB_INSTALL=fail STUB_HIDE=cpio run bash "$top/scripts/setup-host.sh"
if [ $status -ne 0 ] &&
	says "setup-host: cpio: not installed: it comes from the index http://deb.debian.org/debian bookworm/main amd64 Packages, and apt has no copy of that index" &&
	says "setup-host:   http://deb.debian.org/debian-security/dists/bookworm-security/main/binary-ppc64el/Packages.xz"; then
	ok "uninstallable_package_named_with_its_index"
else
	not_ok "uninstallable_package_named_with_its_index # exit $status"
fi
# A package only `make selftests-upstream SRC=6.12` needs (linux-source-6.12) cannot be
# had: setup still succeeds, names it, and the next run (within a day) runs no apt.
STUB_UPDATE=fail STUB_INSTALL=fail STUB_HIDE=linux-source-6.12 KVMX_CACHE=$tmp/opt \
	run bash "$top/scripts/setup-host.sh"
if [ $status -eq 0 ] && says "setup-host: only make selftests-upstream SRC=6.12 needs linux-source-6.12" &&
	[ -f "$tmp/opt/setup-optional-failed" ]; then
	ok "uninstallable_optional_package_does_not_stop_setup"
else
	not_ok "uninstallable_optional_package_does_not_stop_setup # exit $status"
fi
STUB_HIDE=linux-source-6.12 KVMX_CACHE=$tmp/opt run bash "$top/scripts/setup-host.sh"
no_apt "uninstallable_optional_package_not_retried_within_a_day"

# The pipefail trap, statically: a reader that exits early (grep -q/-l/-m, head) after a
# pipe, in a script that sets pipefail; a line ending in | continues on the next one, and
# comment lines are not code.
lint() {
	awk '
		FNR == 1 { held = "" }
		{ line = held == "" ? $0 : held " " $0; if (held == "") start = FNR }
		line ~ /\|[ \t]*$/ { held = line; next }
		{ held = "" }
		line ~ /^[ \t]*#/ { next }
		line ~ /(^|[^|])\|[ \t]*(head([ \t]|$)|grep[ \t][^|]*(-[a-zA-Z]*[qlm][a-zA-Z0-9]*|--(quiet|silent|max-count|files-with-matches))([ \t=]|$))/ {
			print FILENAME ":" start ": " line
		}
	' "$@"
}
bad=$(cd "$top" && lint $(grep -l pipefail scripts/*.sh scripts/guest/*))
if [ -z "$bad" ]; then
	ok "no_early_exit_reader_in_a_pipe_under_pipefail"
else
	sed 's/^/#   /' <<<"$bad"
	not_ok "no_early_exit_reader_in_a_pipe_under_pipefail"
fi
