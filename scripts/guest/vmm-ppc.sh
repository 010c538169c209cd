#!/bin/sh
# The POWER vmm suite, run inside the powernv9 host: Debian's qemu-system-ppc64 (from
# /usr/bin, packed by scripts/vmm-ppc-fetch.sh) boots Debian's ppc64el kernel as a pseries
# guest with -accel kvm on one hypervisor, in five cases (the last one saves the guest to
# a file and restores it in a new QEMU), with the same command line on both hypervisors. Usage: vmm-ppc.sh kvm-hv|kvmx|table
#   kvm-hv  insmod kvm.ko + kvm-hv.ko, the cases, rmmod: TAP, the reference
#   kvmx    insmod kvmx.ko, the same cases, rmmod: TAP; a check that fails on kvmx and on
#           kvm-hv too is a TODO (a check passes on kvmx when it passes on kvm-hv)
#   table   the side-by-side table of both runs, as "@@VMM-TABLE " lines
# The guest (/vmm/vmlinux, /vmm/guest.cpio.gz with scripts/guest/vmm-ppc-guest-init as
# /init) prints @@VMMG- lines that say what it saw; this script stamps every console line
# with the host's /proc/uptime and judges. kvmxvmmtimeout (s, from the kernel command
# line) bounds each QEMU run; kvmxvmmcases=smp1,xive runs only those cases (by hand);
# kvmxvmmrepeat=N boots each case (not migrate) N times, the checks judge the last boot;
# kvmxvmmclock=icount says the host runs under QEMU's -icount (its clock counts
# instructions: make vmm ARCH=powerpc ICOUNT=1); kvmxvmmtrace=1 has the nested QEMU trace
# its exits to userspace (kvm_run_exit) and the hypercalls it handles
# (kvm_handle_papr_hcall), counted by reason and number after each boot (a diagnostic:
# the tracing slows the boot). Each boot also prints "# @@VMM-WALL hv case.i start|init"
# marks, which scripts/qemu-ppc.sh stamps with the wall clock of the machine running QEMU.
hv=$1
R=/tmp/vmm
mkdir -p $R
TMO=${kvmxvmmtimeout:-150}
CASES=$(echo "${kvmxvmmcases:-smp1,smp2,xive,ail3,migrate}" | tr , ' ')
REP=${kvmxvmmrepeat:-1}
# On a host with 4 KB pages (Debian's 6.12) QEMU refuses the pseries default of 64 KB
# hash pages for the guest ("Can't support 64 kiB guest pages with 4 kiB host pages with
# this KVM implementation"): a VMM there caps them at 4 KB, on both hypervisors.
HOSTPG=$(awk '/^KernelPageSize:/ { print $2; exit }' /proc/self/smaps)
[ "${HOSTPG:-64}" -ge 64 ] || HOSTCAPS=,cap-hpt-max-page-size=4k
n=0
# The console (the TAP stream): marks that must come out while a boot runs.
exec 3>&1

# result NAME VERDICT(ok|fail) [COMMENT]: one TAP line, remembered for the table.
result() {
	local k
	n=$((n + 1))
	k=$(echo "$1" | tr ' ' _)
	echo "$2" >"$R/$hv.$k"
	echo "$k" >>"$R/$hv.order"
	if [ "$2" = ok ]; then
		echo "ok $n $1${3:+ # $3}"
	elif [ "$hv" = kvmx ] && [ -f "$R/kvm-hv.$k" ] && [ "$(cat "$R/kvm-hv.$k")" != ok ]; then
		echo "not ok $n $1 # TODO fails on kvm-hv too${3:+; $3}"
	else
		echo "not ok $n $1${3:+ # $3}"
	fi
}
check() {	# name command...
	local name=$1
	shift
	if "$@"; then result "$name" ok; else result "$name" fail; fi
}
no_kernel_reports() {
	! dmesg | grep -E 'BUG:|WARNING:|Oops|Unable to handle|Kernel panic|kvmx: leak'
}
field() {	# log tag: the value after "@@VMMG-<tag> " (uptime stamp stripped)
	sed -n "s/^[0-9.]* @@VMMG-$2 //p" "$1" | head -1
}

# The host's monotonic clock in ns (/proc/uptime has 10 ms steps; under -icount one ns
# is one host instruction).
now_ns() {
	sed -n '/^now at /{s/^now at \([0-9]*\) nsecs.*/\1/p;q;}' /proc/timer_list
}

boot_once() {	# case i: one QEMU run, its console in $log, boot-to-/init in $R/$hv.$c.secs
	local t0 tinit secs trace=
	[ "${kvmxvmmtrace:-0}" = 1 ] && trace="-trace kvm_run_exit -trace kvm_handle_papr_hcall -D $R/trace"
	rm -f "$R/trace" "$R/tinit"
	[ -n "$trace" ] && [ "$hv" = kvm-hv ] && hv_hist on
	echo "# @@VMM-WALL $hv $c.$2 start" >&3
	t0=$(now_ns)
	{
		# shellcheck disable=SC2086
		timeout -s TERM "$TMO" /usr/bin/qemu-system-ppc64 -accel kvm -M $m -cpu host -smp $smp -m 512 \
			-nographic -nodefaults -serial stdio -kernel /vmm/vmlinux -initrd /vmm/guest.cpio.gz \
			-append "console=hvc0 panic=-1" -no-reboot $trace \
			-drive file=/vmm/disk.img,format=raw,if=none,id=d0,readonly=on \
			-device virtio-blk-pci,drive=d0 </dev/null
		echo "@@VMMG-QEMUEXIT $?"
	} 2>&1 | tr -d '\r' | while IFS= read -r l; do
		read -r up _ </proc/uptime
		echo "$up $l"
		case $l in
		@@VMMG-INIT*)
			[ -f "$R/tinit" ] || now_ns >"$R/tinit"
			echo "# @@VMM-WALL $hv $c.$2 init" >&3
			;;
		esac
	done >"$log"
	tinit=$(cat "$R/tinit" 2>/dev/null)
	if [ -n "$tinit" ]; then
		secs=$(awk -v a="$t0" -v b="$tinit" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
		echo "# boot $2: $secs s to /init, guest uptime $(field "$log" INIT) s"
	else
		secs=-
		echo "# boot $2: no /init"
	fi
	echo "$secs" >>"$R/$hv.$c.secs"
	if [ -f "$R/trace" ]; then
		# The exits to userspace by reason (KVM_EXIT_*: 6 MMIO, 19 PAPR_HCALL, ...)
		# and the hypercalls QEMU handled, by number.
		echo "# exits to QEMU (reason count): $(sed -n 's/.*kvm_run_exit .*reason \([0-9]*\).*/\1/p' "$R/trace" |
			sort -n | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')"
		echo "# hcalls in QEMU (nr count): $(sed -n 's/.*kvm_handle_papr_hcall \(0x[0-9a-f]*\).*/\1/p' "$R/trace" |
			sort | uniq -c | sort -rn | awk '{ printf "%s:%s ", $2, $1 }')"
	fi
	[ -n "$trace" ] && [ "$hv" = kvm-hv ] && hv_hist off
}

# kvmxvmmtrace=1 on kvm-hv: its guest exits by trap and the hypercalls its host side
# handled (kvm_hv:kvm_guest_exit, kvm_hv:kvm_hcall_enter), counted by histogram triggers.
hv_hist() {	# on|off
	local t=/sys/kernel/tracing/events/kvm_hv e k
	[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing
	for e in kvm_guest_exit:trap kvm_hcall_enter:req; do
		k=${e#*:} e=${e%:*}
		[ -f "$t/$e/trigger" ] || continue
		if [ "$1" = on ]; then
			echo "hist:keys=$k:sort=hitcount.descending" >"$t/$e/trigger"
		else
			echo "# kvm-hv $e by $k: $(awk -v k="$k" '$1 == "{" && $2 == k ":" { printf "%#x:%s ", $3 + 0, $NF }' "$t/$e/hist")"
			echo "!hist:keys=$k:sort=hitcount.descending" >"$t/$e/trigger"
		fi
	done
}

run_case() {	# case
	local i=1 ok=1 secs
	c=$1 log=$R/$hv-$1.log
	# The three cap-* options: QEMU's TCG host cannot offer the Spectre mitigations a
	# pseries machine asks for by default (QEMU says so and suggests them). ail3 is the
	# machine's default: the guest asks for LPCR[AIL]=3 (H_SET_MODE) and takes its
	# interrupts with translation on; the other cases turn it off on both hypervisors.
	# kvmxvmmmachine=... (kernel command line) appends machine options.
	m=pseries,cap-cfpc=broken,cap-ibs=broken,cap-ccf-assist=off${HOSTCAPS:-}
	[ "$c" = ail3 ] || m=$m,cap-ail-mode-3=off
	m=$m${kvmxvmmmachine:+,$kvmxvmmmachine}
	smp=1
	case $c in
	smp2) smp=2 ;;
	xive) m=$m,ic-mode=xive ;;
	esac
	rm -f "$R/$hv.$c.secs"
	while [ $i -le "$REP" ]; do
		boot_once "$c" $i
		i=$((i + 1))
	done
	# kvmxvmmverbose=1: the whole console (by hand).
	[ "${kvmxvmmverbose:-0}" = 1 ] && sed 's/^/# console: /' "$log"
	# What QEMU and the guest said, for the record (no kernel log noise).
	grep -vE '^[0-9.]* (\[ *[0-9]+\.[0-9]+\]|@@VMMG-I )' "$log" | grep -v '^[0-9.]* *$' |
		tail -12 | sed 's/^/# /'
	grep -qx -- - "$R/$hv.$c.secs" && ok=0
	secs=$(tr '\n' ' ' <"$R/$hv.$c.secs")
	if [ $ok = 1 ]; then
		result "$c boots_to_init" ok "${secs% } s (host clock${kvmxvmmclock:+: $kvmxvmmclock}), guest uptime $(field "$log" INIT) s"
	else
		# One boot: no comment, as before kvmxvmmrepeat; more: each one's seconds.
		result "$c boots_to_init" fail "$([ "$REP" -gt 1 ] && echo "boots: ${secs% }")"
	fi
	loc1=$(field "$log" LOC1) loc2=$(field "$log" LOC2)
	check "$c decrementer_interrupts_count" test "${loc1:-0}" -gt 0 -a "${loc2:-0}" -gt "${loc1:-0}"
	echo "# LOC ${loc1:--} -> ${loc2:--}, irqchip $(field "$log" IRQCHIP), cpus $(field "$log" CPUS)"
	if [ "$smp" = 2 ]; then
		ipi=$(field "$log" IPI)
		echo "# IPI $ipi"
		# Every CPU took IPIs (the controller's IPI row, or doorbells).
		check "$c ipis_reach_every_cpu" eval 'echo "$ipi" | awk "{ split(\$1, a, \",\"); split(\$2, d, \",\"); sub(/dbl=/, \"\", d[1]); if (length(a) < 2) exit 1; for (i = 1; i <= 2; i++) if (a[i] + d[i] <= 0) exit 1 }"'
	fi
	disk=$(field "$log" DISK)
	echo "# disk $disk"
	check "$c virtio_blk_reads_back_the_image" eval 'set -- $disk; [ -n "$1" ] && [ "$1" = "${2#expect=}" ]'
	qx=$(sed -n 's/^[0-9.]* @@VMMG-QEMUEXIT //p' "$log")
	check "$c poweroff_ends_qemu_with_status_0" eval 'grep -q "@@VMMG-POWEROFF" "$log" && [ "$qx" = 0 ]'
	# LPCR[AIL]: a Linux guest says so when its H_SET_MODE(AIL=3) is refused ("Unable to
	# enable relocation on exceptions" or "Relocation on exceptions not supported"): the
	# ail3 case must run without that line, smp1 (cap-ail-mode-3=off) with it.
	local reloc
	reloc=$(grep -E 'elocation on exceptions' "$log" | head -1)
	echo "# ${reloc:-no relocation-on-exceptions line}"
	case $c in
	smp1) check "$c guest_interrupts_in_real_mode" test -n "$reloc" ;;
	ail3) check "$c guest_interrupts_relocated_ail3" test -z "$reloc" ;;
	esac
}

# wait_for FILE PATTERN SECONDS: until a line of FILE matches (grep -E), or the time is up.
wait_for() {
	local i=0
	while [ $i -lt $(($3 * 10)) ]; do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# The migrate case: save and restore on one hypervisor. QEMU A boots the guest
# (vmmcase=migrate: it answers "ping" lines on its console), then its monitor stops the
# VM and migrates it to a file ("exec:cat > file") and quits; QEMU B, the same command
# line with -incoming "exec:cat file", restores it and the guest must go on where it was:
# its console answers, its decrementer counts, its clock has not gone back (the timebase
# offset), its interrupts (XIVE: the device's sources, queues and the vCPU's VP_STATE)
# still come. -smp 1, ic-mode=xive, LPCR[AIL]=3 (the machine's default). The console and
# the monitor are FIFOs (QEMU "pipe" chardevs: PATH.in is QEMU's input, PATH.out its
# output).
run_migrate() {
	local k raw=$R/$hv-migrate.raw st=$R/vm.state m pid rd1 rd2 pong1 pong2 qx t0 t1
	# The machine's default cap-ail-mode-3=on: LPCR[AIL]=3 travels with the guest (ONE_REG).
	m=pseries,cap-cfpc=broken,cap-ibs=broken,cap-ccf-assist=off,ic-mode=xive
	m=$m${HOSTCAPS:-}${kvmxvmmmachine:+,$kvmxvmmmachine}
	rm -f "$st" "$R"/ser.* "$R"/mon.* "$raw"
	for f in ser.in ser.out mon.in mon.out; do mkfifo "$R/$f"; done
	# Held open read-write here, so that no open of a FIFO ever blocks (QEMU not started
	# yet or gone) and the readers never see an end of file; they are killed at the end.
	exec 7<>"$R/ser.in" 8<>"$R/mon.in"
	cat 0<>"$R/ser.out" >>"$raw" &
	rd1=$!
	cat 0<>"$R/mon.out" >>"$R/migrate-mon.log" &
	rd2=$!
	: >"$R/migrate-qemu.err"
	: >"$R/migrate-mon.log"
	qemu() {	# extra args...: QEMU in the background, console and monitor on the FIFOs
		/usr/bin/qemu-system-ppc64 -accel kvm -M $m -cpu host -smp 1 -m 512 \
			-display none -nodefaults -chardev pipe,id=s0,path=$R/ser -serial chardev:s0 \
			-chardev pipe,id=m0,path=$R/mon -mon chardev=m0,mode=readline \
			-kernel /vmm/vmlinux -initrd /vmm/guest.cpio.gz \
			-append "console=hvc0 panic=-1 vmmcase=migrate" -no-reboot "$@" \
			</dev/null >>"$R/migrate-qemu.err" 2>&1 &
		pid=$!
	}
	mon() { echo "$*" >&8; }
	ser() { echo "$*" >&7; }
	pong() { tr -d '\r' <"$raw" | sed -n "s/^@@VMMG-PONG $1 //p" | head -1; }
	read -r t0 _ </proc/uptime
	qemu
	if wait_for "$raw" '@@VMMG-INIT' "$TMO"; then
		read -r t1 _ </proc/uptime
		secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
		echo "$secs" >"$R/$hv.migrate.secs"
		result "migrate boots_to_init" ok "$secs s (to within 0.1 s)"
	else
		echo "-" >"$R/$hv.migrate.secs"
		result "migrate boots_to_init" fail
	fi
	wait_for "$raw" '@@VMMG-MIGREADY' 60
	ser ping 1
	wait_for "$raw" '@@VMMG-PONG 1 ' 60
	pong1=$(pong 1)
	echo "# before: uptime/LOC $pong1"
	check "migrate console_answers_before_save" test -n "$pong1"
	mon stop
	mon "migrate \"exec:cat > $st\""
	k=0
	while [ $k -lt 120 ] && ! grep -qE 'Migration status: (completed|failed)' "$R/migrate-mon.log"; do
		mon info migrate
		sleep 1
		k=$((k + 1))
	done
	grep -E 'Migration status' "$R/migrate-mon.log" | tail -1 | tr -d '\r' | sed 's/^/# /'
	mon quit
	k=0
	while kill -0 $pid 2>/dev/null && [ $k -lt 300 ]; do
		sleep 0.1
		k=$((k + 1))
	done
	check "migrate saved_to_a_file" eval 'grep -q "Migration status: completed" "$R/migrate-mon.log" && [ -s "$st" ]'
	echo "# state file $(wc -c <"$st" 2>/dev/null) bytes"
	# Console input that comes before the restore ends is lost (the console's state is
	# restored over it): wait until the monitor says the VM runs, then ping until the
	# guest answers. The VM was stopped when it was saved, so the restored one starts
	# paused: "cont" once the monitor says so (no longer "inmigrate").
	: >"$R/migrate-mon.log"
	echo "# restoring in a new QEMU (-incoming)"
	qemu -incoming "exec:cat $st"
	k=0
	while [ $k -lt "$TMO" ] && kill -0 $pid 2>/dev/null &&
		! grep -q 'VM status: running' "$R/migrate-mon.log"; do
		tr -d '\r' <"$R/migrate-mon.log" | grep -qx 'VM status: paused' && mon cont
		mon info status
		sleep 1
		k=$((k + 1))
	done
	echo "# after $k s: $(tr -d '\r' <"$R/migrate-mon.log" | grep -E 'VM status' | tail -1)"
	k=0
	while [ $k -lt 12 ] && kill -0 $pid 2>/dev/null && ! grep -q '@@VMMG-PONG 2 ' "$raw"; do
		ser ping 2
		wait_for "$raw" '@@VMMG-PONG 2 ' 10
		k=$((k + 1))
	done
	pong2=$(pong 2)
	echo "# after restore: uptime/LOC $pong2"
	check "migrate console_answers_after_restore" test -n "$pong2"
	# PONG tok uptime1 loc1 uptime2 loc2: the decrementer counts across the second of
	# sleep after the restore, and the guest's clock went on from where it was saved.
	check "migrate decrementer_counts_after_restore" eval 'set -- $pong2; [ -n "$4" ] && [ "$4" -gt "$2" ]'
	check "migrate guest_clock_continues" eval 'set -- $pong1 $pong2; [ -n "$8" ] && awk -v a="$3" -v b="$5" -v c="$7" "BEGIN { exit !(b >= a && b < a + 600 && c > b) }"'
	ser off
	wait_for "$raw" '@@VMMG-POWEROFF' 60
	k=0
	while kill -0 $pid 2>/dev/null && [ $k -lt 300 ]; do
		sleep 0.1
		k=$((k + 1))
	done
	kill -9 $pid 2>/dev/null
	wait $pid
	qx=$?
	check "migrate poweroff_ends_restored_qemu_with_status_0" eval 'grep -q "@@VMMG-POWEROFF" "$raw" && [ "$qx" = 0 ]'
	grep -v '^ *$' "$R/migrate-qemu.err" | tail -8 | sed 's/^/# qemu: /'
	tr -d '\r' <"$R/migrate-mon.log" | grep -iE 'error|fail' | tail -4 | sed 's/^/# monitor: /'
	[ "${kvmxvmmverbose:-0}" = 1 ] && tr -d '\r' <"$raw" | sed 's/^/# console: /'
	kill $rd1 $rd2 2>/dev/null
	exec 7>&- 8>&-
	rm -f "$R"/ser.* "$R"/mon.* "$st"
}

case $hv in
kvm-hv | kvmx)
	# load, 4 checks a case (5 with two CPUs or for smp1 and ail3, 7 to migrate), unload, log
	plan=3
	for c in $CASES; do
		plan=$((plan + 4))
		[ "$c" = smp2 ] && plan=$((plan + 1))
		[ "$c" = smp1 ] || [ "$c" = ail3 ] && plan=$((plan + 1))
		[ "$c" = migrate ] && plan=$((plan + 3))
	done
	echo "1..$plan"
	rm -f "$R/$hv".*
	dmesg -c >/dev/null
	if [ "$hv" = kvm-hv ]; then
		check "load_hypervisor" eval 'insmod /modules/kvm.ko && insmod /modules/kvm-hv.ko'
	else
		check "load_hypervisor" insmod /kvmx.ko
	fi
	# Every capability on /dev/kvm and a VM (the table shows where the two differ).
	kvm-caps >"$R/$hv.caps" 2>&1
	for c in $CASES; do
		if [ "$c" = migrate ]; then
			run_migrate
		else
			run_case "$c"
		fi
	done
	if [ "$hv" = kvm-hv ]; then
		check "unload_hypervisor" eval 'rmmod kvm_hv && rmmod kvm'
	else
		check "unload_hypervisor" rmmod kvmx
	fi
	check "no_bug_warn_oops_in_dmesg" no_kernel_reports
	dmesg | grep -iE 'kvm' | tail -10 | sed 's/^/# dmesg: /'
	;;
table)
	# One row per check: kvm-hv's verdict, kvmx's; boot-to-/init seconds in the host's
	# clock (from QEMU's start to the guest's /init; the median of the boots with
	# kvmxvmmrepeat) beside the boot rows, and the ratio kvmx / kvm-hv.
	printf '@@VMM-TABLE %-40s %-12s %-12s %s\n' check kvm-hv kvmx kvmx/kvm-hv
	order=$R/kvm-hv.order
	[ -f "$order" ] || order=$R/kvmx.order
	med() {	# file: the median of its numbers, "-" if a boot failed or none
		sort -n "$1" 2>/dev/null | awk '$1 == "-" { bad = 1 } { v[++n] = $1 }
			END { if (bad || !n) print "-"; else if (n % 2) print v[(n + 1) / 2];
				else printf "%.2f\n", (v[n / 2] + v[n / 2 + 1]) / 2 }'
	}
	for name in $(cat "$order"); do
		a=$(cat "$R/kvm-hv.$name" 2>/dev/null || echo -)
		b=$(cat "$R/kvmx.$name" 2>/dev/null || echo -)
		r=
		case $name in
		*_boots_to_init)
			c=${name%%_*}
			ma=$(med "$R/kvm-hv.$c.secs") mb=$(med "$R/kvmx.$c.secs")
			a="$a ${ma}s" b="$b ${mb}s"
			r=$(awk -v a="$ma" -v b="$mb" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.3f", b / a; else print "-" }')
			;;
		esac
		printf '@@VMM-TABLE %-40s %-12s %-12s %s\n' "$name" "$a" "$b" "$r"
	done
	# Every boot, in the host's clock (kvmxvmmclock=icount: -icount, 1 s = 1e9 instructions).
	for f in "$R"/kvm-hv.*.secs "$R"/kvmx.*.secs; do
		[ -f "$f" ] || continue
		h=${f##*/}
		printf '@@VMM-TABLE boots %-6s %-8s %s s (%s clock)\n' "${h%%.*}" "$(echo "$h" | cut -d. -f2)" \
			"$(tr '\n' ' ' <"$f")" "${kvmxvmmclock:-wall}"
	done
	# Capabilities (on /dev/kvm / on a VM) where the two hypervisors differ.
	if [ -f "$R/kvm-hv.caps" ] && [ -f "$R/kvmx.caps" ]; then
		printf '@@VMM-TABLE\n@@VMM-TABLE %-40s %-12s %-12s\n' "capability (dev/vm)" kvm-hv kvmx
		awk 'NR == FNR { hv[$1] = $3 "/" $4; next }
			($1 in hv) && hv[$1] != $3 "/" $4 {
				printf "@@VMM-TABLE %-40s %-12s %-12s\n", $1 " (" $2 ")", hv[$1], $3 "/" $4
			}' "$R/kvm-hv.caps" "$R/kvmx.caps"
	fi
	# The POWER information ioctls, where they differ.
	for f in "$R"/kvm-hv.caps "$R"/kvmx.caps; do
		[ -f "$f" ] || continue
		h=${f##*/}
		grep '^KVM_PPC_GET_' "$f" | grep -vxFf "$R/$([ "$h" = kvmx.caps ] && echo kvm-hv.caps || echo kvmx.caps)" 2>/dev/null |
			sed "s/^/@@VMM-TABLE ${h%.caps}: /"
	done
	;;
*)
	echo "vmm-ppc.sh: unknown mode '$hv'"
	exit 2
	;;
esac
