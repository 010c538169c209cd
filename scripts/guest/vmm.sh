#!/bin/sh
# The vmm suite inside the QEMU host: Debian's arm64 qemu-system-aarch64 (the tree of
# scripts/vmm-fetch.sh, at /usr and /lib of this initramfs) boots the host's own kernel as
# a nested guest with -accel kvm, once per case of /vmm/cases.txt, REPEAT times each; the
# guest's /init is scripts/guest/vmm-init. Usage: vmm.sh builtin|kvmx REPEAT CASE_TIMEOUT_S
#   builtin  the built-in KVM owns /dev/kvm
#   kvmx     insmod kvmx.ko first (the host was booted with kvm-arm.mode=none); rmmod after
# Both modes print the same TAP lines, named "<case>.<check>" and "host.<check>":
#   host.nested-qemu-runs   qemu-system-aarch64 --version (the library closure is whole)
#   host.dev-kvm            /dev/kvm is there (kvmx: after insmod)
#   per case: boots-to-init (the guest's /init printed its first line; the time from QEMU's
#   start to it, in seconds, is the comment), timer-counts (arch_timer interrupts increase),
#   cpus-online (as many as -smp), ipis (-smp 2 only: every CPU received IPIs),
#   disk-checksum (the guest's sha256 of its virtio-blk disk is the image's),
#   disk-write (the sector the guest wrote is in the image after QEMU exits),
#   console-roundtrip (a token sent into the virtio console came back transformed),
#   net-roundtrip (virtio-net on QEMU's user network: a line the guest sent over TCP
#   reached vmm-net-echo in this host, whose answer the guest printed),
#   virtio-msi (bus=pci with an ITS: the guest's virtio interrupts arrived as MSIs),
#   poweroff-status-0 (the guest reached its end, `poweroff -f` ended QEMU with status 0)
#   and with migrate=1 (before poweroff-status-0, which is then the restored QEMU's):
#   console-before-save (the guest answered a ping on its serial console),
#   saved-to-file (the monitor's stop and migrate "exec:cat > file" completed),
#   console-after-restore (a new QEMU with -incoming "exec:cat file" resumed the guest
#   and it answered again), timer-after-restore (its arch_timer count grows),
#   clock-continues (its uptime went on from where it was saved: not back, not more than
#   600 s forward), disk-after-restore (an O_DIRECT read of its disk after the restore
#   has the sum of the one before the save), msi-after-restore (bus=pci with an ITS:
#   that read's completions arrived as MSIs: the ITS's tables were restored)
#   host.rmmod-kvmx (kvmx only), host.dmesg-clean (no WARNING/BUG/Oops in the host's log)
# A case's fourth field: comma-separated words; bus=pci (the virtio devices on virtio-pci
# instead of virtio-mmio) and migrate=1 (save and restore the running guest, migrate_once)
# are this script's, every other word goes on the nested guest's command line.
# With REPEAT > 1 a check is ok when it passed in every boot ("N/N" in the comment). The
# nested QEMU's stderr is printed as TAP comments after every boot, and the end of the
# guest console after a boot with a failed check. A QEMU that outlives CASE_TIMEOUT_S gets
# SIGTERM, 5 s later SIGKILL, and the next one runs (a QEMU still there 10 s after the
# SIGKILL is left behind). By hand, on the host's command line (vmm-run.sh passes them):
# kvmxvmmcases=a,b (VMM_CASES) boots only those cases; kvmxvmmload=N (VMM_LOAD) keeps N
# busy loops running in this host during the boots, so that the nested QEMU's threads
# wait for a CPU as on a loaded machine; kvmxvmmguest=a=1,b=2 (VMM_GUEST_ARGS) adds
# "a=1 b=2" to the nested guest's command line (vmm-init's knobs).
mode=$1 repeat=${2:-1} tmo=${3:-180}
trap 'hung=1' USR1
qemu=/usr/bin/qemu-system-aarch64
kernel=/vmm/vmlinuz initrd=/vmm/guest.cpio.gz
guest_args=
[ -n "${kvmxvmmguest:-}" ] && guest_args=" $(echo "$kvmxvmmguest" | tr , ' ')"
t=/tmp/vmm res=/tmp/vmm/res
rm -rf $t
mkdir -p $res
n=0
xsrc='' xdev='' xfrom=''

tap() {	# ok|fail name [comment]
	n=$((n + 1))
	if [ "$1" = ok ]; then r="ok"; else r="not ok"; fi
	echo "$r $n $2${3:+ # $3}"
}
# Words safe after a TAP "#": no further '#', one line, bounded.
clean() { tr -d '#\r' | tr '\n' ' ' | cut -c1-200 | sed 's/ *$//'; }
comment() { sed -e 's/\r//g' -e 's/^/# /'; }
cases() {
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' /vmm/cases.txt |
		awk -v want=",${kvmxvmmcases:-}," 'want == ",," || index(want, "," $1 ",")'
}
# The host's knobs of a case's fourth field: pci=1 (bus=pci), msi=1 (and the machine has
# an ITS, so virtio-pci uses MSI-X), mig=1 (migrate=1); the other words in bargs.
knobs() {	# machine [args]
	pci=0 msi=0 mig=0 xmig=0 bargs='' cpu=host
	for w in $(echo "${2:-}" | tr , ' '); do
		case $w in
		bus=pci) pci=1 ;;
		migrate=1) mig=1 ;;
		xmigrate=1) xmig=1 ;;
		cpu-builtin=*) [ "$mode" = builtin ] && cpu="host,$(echo "${w#cpu-builtin=}" | tr + ,)" ;;
		*) bargs="$bargs $w" ;;
		esac
	done
	case ",$1," in
	*,gic-version=3,*) [ $pci = 1 ] && msi=1 ;;
	esac
	case ",$1," in
	*,its=off,*) msi=0 ;;
	esac
}
# The checks of a case, in order (scripts/vmm-compare.sh has the same rule).
checks_of() {	# smp machine [args]
	knobs "$2" "${3:-}"
	echo boots-to-init timer-counts cpus-online
	[ "$1" -gt 1 ] && echo ipis
	echo disk-checksum disk-write console-roundtrip net-roundtrip
	[ $msi = 1 ] && echo virtio-msi
	if [ $mig = 1 ]; then
		echo console-before-save saved-to-file console-after-restore timer-after-restore
		echo clock-continues disk-after-restore
		[ $msi = 1 ] && echo msi-after-restore
	fi
	echo poweroff-status-0
}
record() {	# case check ok|fail [why]
	echo "$3${4:+ $4}" >>"$res/$1.$2"
}
# A console line's fields after its time stamp: "@@VMM-<what>" lines of the guest.
fact() { awk -v w="@@VMM-$1" '$2 == w { $1 = ""; $2 = ""; sub(/^ +/, ""); print; exit }' $t/console.log; }
fact_time() { awk -v w="@@VMM-$1" '$2 == w { print $1; exit }' $t/console.log; }

# Where a QEMU that outlived its timeout is: each thread's state, CPU time (user and
# system clock ticks, read twice a second apart: a spinning vCPU's grows, a blocked one's
# does not) and kernel stack.
hang_state() {	# pid
	for d in "/proc/$1/task/"*; do
		# comm may hold spaces: the fields after its closing parenthesis.
		sed 's/.*) //' "$d/stat" >"$t/stat.${d##*/}" 2>/dev/null
	done
	sleep 1
	for d in "/proc/$1/task/"*; do
		tid=${d##*/}
		# shellcheck disable=SC2046 # the fields are words on purpose
		set -- $(cat "$t/stat.$tid" 2>/dev/null) x x x x x x x x x x x x x
		before="${12}+${13}"
		# shellcheck disable=SC2046
		set -- $(sed 's/.*) //' "$d/stat" 2>/dev/null) x x x x x x x x x x x x x
		echo "thread $tid $(cat "$d/comm" 2>/dev/null): state $1, utime+stime $before then" \
			"${12}+${13} ticks, wchan $(cat "$d/wchan" 2>/dev/null)"
		sed 's/^/    /' "$d/stack" 2>/dev/null
		rm -f "$t/stat.$tid"
	done
}

# QEMU in the background with the case's command line and "$@": its serial console on
# stdout into $t/con, its stdin from $sin. Sets qpid. Its guard: SIGTERM at the timeout,
# SIGKILL 5 s later; a QEMU that even SIGKILL does not end within 10 s (stuck in the
# kernel) is abandoned (USR1) so the cases go on. Before the SIGTERM, hang_state records
# where QEMU's threads are.
start_qemu() {	# extra args...
	# shellcheck disable=SC2086 # $blk, $ser and $net are lists of words
	$qemu -accel kvm -cpu "$cpu" -M "$machine" -smp "$smp" -m 256 -nographic -nodefaults \
		-serial stdio -kernel $kernel -initrd $initrd \
		-append "console=ttyAMA0 panic=-1$guest_args$bargs" \
		-no-reboot -drive if=none,id=disk0,file=$t/disk.img,format=raw $blk $ser \
		-chardev pipe,id=vc0,path=$t/vc -device virtconsole,chardev=vc0 \
		-netdev user,id=net0,restrict=on,guestfwd=tcp:10.0.2.100:7-cmd:/bin/vmm-net-echo \
		$net "$@" <"$sin" >$t/con 2>>$t/qemu.err 5>&- 6>&- 7>&- 8>&- 9>&- &
	qpid=$!
	hung=0
	(sleep "$tmo"; echo >$t/timeout; hang_state $qpid >$t/hang.txt 2>&1
		kill -TERM $qpid; sleep 5; kill -KILL $qpid; sleep 10
		kill -USR1 $$) >/dev/null 2>&1 5>&- 6>&- 7>&- 8>&- 9>&- &
	guard=$!
}
# Wait for the QEMU of start_qemu: its exit status in rc.
wait_qemu() {
	wait $qpid
	rc=$?
	kill $guard 2>/dev/null
	if [ $hung = 1 ]; then
		echo "# $c: QEMU (pid $qpid) survived SIGKILL for 10 s: abandoned"
	fi
}
# Until a console line matches the pattern (grep -E), QEMU is gone, or the seconds are up.
wait_line() {	# pattern seconds
	i=0
	while [ $i -lt $(($2 * 10)) ]; do
		grep -E "$1" $t/console.log >/dev/null && return 0
		kill -0 $qpid 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	grep -E "$1" $t/console.log >/dev/null
}

# The migrate case (migrate=1, after scripts/guest/vmm-ppc.sh's run_migrate): QEMU A boots
# the guest with vmmcase=migrate, so after its checks vmm-init answers "ping" lines on its
# serial console (stdin: the FIFO $t/ser.in, held open on fd 7). A's monitor (a pipe
# chardev: the FIFOs $t/mon.in, on fd 8, and $t/mon.out) stops the VM, migrates it into
# $t/vm.state ("exec:cat > file") and quits; QEMU B, the same command line with
# -incoming "exec:cat file", loads it, paused as it was saved, and gets "cont"; the
# guest is pinged again (console input that arrives before the state is loaded is lost,
# so until it answers), then "off": it powers off and B must exit with status 0. A and B
# share the console log, the disk image and the virtio console's FIFOs.
migrate_once() {
	mig_status=
	start_qemu -chardev pipe,id=m0,path=$t/mon -mon chardev=m0,mode=readline
	if ! wait_line '^[0-9.]+ @@VMM-MIGREADY' "$tmo"; then
		echo quit >&8
		wait_qemu
		return
	fi
	echo "ping 1" >&7
	wait_line '^[0-9.]+ @@VMM-PONG 1 ' 60
	echo stop >&8
	echo "migrate \"exec:cat > $t/vm.state\"" >&8
	k=0
	while [ $k -lt 120 ] && kill -0 $qpid 2>/dev/null &&
		! grep -E 'Migration status: (completed|failed)' $t/mon.log >/dev/null; do
		echo "info migrate" >&8
		sleep 1
		k=$((k + 1))
	done
	mig_status=$(tr -d '\r' <$t/mon.log | sed -n 's/^Migration status: //p' | tail -n 1)
	echo "# $c: migration status '${mig_status:-none}' after $k s, state file" \
		"$(wc -c <$t/vm.state 2>/dev/null || echo none) bytes"
	echo quit >&8
	wait_qemu
	if [ "$mig_status" != completed ] || [ -f $t/timeout ]; then
		return
	fi
	[ $xmig = 1 ] && [ -n "$xdev" ] && xsave
	restore_once $t/vm.state
}

# QEMU B of a migrate case: the case's command line with -incoming "exec:cat STATE",
# "cont" once it is loaded (paused, as saved), pings until the guest answers, then "off".
restore_once() {	# state-file
	: >$t/mon.log
	start_qemu -chardev pipe,id=m0,path=$t/mon -mon chardev=m0,mode=readline \
		-incoming "exec:cat $1"
	k=0
	while [ $k -lt 120 ] && kill -0 $qpid 2>/dev/null &&
		! grep 'VM status: running' $t/mon.log >/dev/null; do
		tr -d '\r' <$t/mon.log | grep -x 'VM status: paused' >/dev/null && echo cont >&8
		echo "info status" >&8
		sleep 1
		k=$((k + 1))
	done
	echo "# $c: restored: '$(tr -d '\r' <$t/mon.log | grep 'VM status' | tail -n 1)' after $k s"
	k=0
	while [ $k -lt 12 ] && kill -0 $qpid 2>/dev/null &&
		! grep -E '^[0-9.]+ @@VMM-PONG 2 ' $t/console.log >/dev/null; do
		echo "ping 2" >&7
		wait_line '^[0-9.]+ @@VMM-PONG 2 ' 10
		k=$((k + 1))
	done
	echo off >&7
	wait_qemu
}

# Cross-hypervisor migration (a case with xmigrate=1, and the host booted with
# kvmxvmmxfer=1 by scripts/vmm-run.sh, which gives it a second disk, /dev/vda, kept
# across the boots of one run): after QEMU A's save, the state, the disk image as A left
# it, A's answer before the save and the case's name go onto that disk as a tar archive
# with this hypervisor's name (xsave). The next boot, on the other hypervisor, reads it
# before its own cases (xload) and, after them, restores that guest on its own /dev/kvm
# (xrestore): the migrate checks after the restore, as TAP in $t/xmig.tap.
xsave() {
	rm -rf $t/xout
	mkdir -p $t/xout
	cp $t/vm.state $t/disk.img $t/xout/ &&
		awk '$2 == "@@VMM-PONG" && $3 == 1' $t/console.log >$t/xout/pong1 &&
		printf 'hv %s\ncase %s\n' "$mode" "$c" >$t/xout/meta &&
		tar -cf $xdev -C $t/xout . && sync &&
		echo "# $c: state, disk and answer saved for the other hypervisor ($(wc -c <$t/vm.state) bytes)" ||
		echo "# $c: could not save the state for the other hypervisor on $xdev"
	rm -rf $t/xout
}
xload() {
	for m in virtio_mmio virtio_blk; do
		[ -f /vmm/host-modules/$m.ko ] && insmod /vmm/host-modules/$m.ko
	done
	i=0
	while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if [ ! -b /dev/vda ]; then
		echo "# kvmxvmmxfer=1 but no /dev/vda: no cross-hypervisor migration"
		return
	fi
	xdev=/dev/vda
	mkdir -p $t/xin
	if tar -xf $xdev -C $t/xin 2>/dev/null && [ -f $t/xin/meta ]; then
		xfrom=$(awk '$1 == "hv" { print $2 }' $t/xin/meta)
		xcase=$(awk '$1 == "case" { print $2 }' $t/xin/meta)
		if [ "$xfrom" = "$mode" ]; then
			xfrom= # this hypervisor's own, from an earlier run
		else
			echo "# $xdev holds case $xcase saved on $xfrom: restored here after the cases"
		fi
	fi
}
# The checks of a guest restored from the other hypervisor: checks_of's after a restore
# (judge_migrate's), and the poweroff.
xchecks() {	# smp machine [args]
	checks_of "$@" | tr ' ' '\n' | grep -E -- '-after-restore$|^clock-continues$|^poweroff-status-0$'
}
xrestore() {
	xn=0
	xline=$(sed -e 's/#.*//' /vmm/cases.txt | awk -v c="$xcase" '$1 == c')
	if [ -z "$xline" ]; then
		echo "1..1" >$t/xmig.tap
		echo "not ok 1 $xcase.from-$xfrom # no case $xcase in /vmm/cases.txt" >>$t/xmig.tap
		return
	fi
	# shellcheck disable=SC2086 # the case's fields are words on purpose
	set -- $xline
	xc=$1
	shift
	echo "# === $xc saved on $xfrom, restored on $mode"
	r=1 repeat=1 xsrc=$t/xin
	# Its own name: this boot may have run the same case already.
	boot_once "$xc.from-$xfrom" "$@"
	xsrc=''
	{
		echo "1..$(xchecks "$@" | wc -w)"
		for k in $(xchecks "$@"); do
			xn=$((xn + 1))
			v=$(head -n 1 "$res/$xc.from-$xfrom.$k" 2>/dev/null)
			case $v in
			ok*) echo "ok $xn $xc.from-$xfrom.$k" ;;
			*) echo "not ok $xn $xc.from-$xfrom.$k # $(echo "${v#fail }" | clean)" ;;
			esac
		done
	} >$t/xmig.tap
}

boot_once() {	# case smp machine [args]
	c=$1 smp=$2 machine=$3
	knobs "$machine" "${4:-}"
	[ $mig = 1 ] && bargs="$bargs vmmcase=migrate"
	if [ $pci = 1 ]; then
		blk="-device virtio-blk-pci,drive=disk0" ser="-device virtio-serial-pci"
		# No option ROM: the guest boots its kernel directly (and the tree has no iPXE).
		net="-device virtio-net-pci,netdev=net0,romfile="
	else
		blk="-device virtio-blk-device,drive=disk0" ser="-device virtio-serial-device"
		net="-device virtio-net-device,netdev=net0"
	fi
	rm -f $t/disk.img $t/vc.in $t/vc.out $t/con $t/timeout $t/hang.txt $t/vc.reply $t/net.log \
		$t/ser.in $t/mon.in $t/mon.out $t/mon.log $t/vm.state $t/qemu.err
	if [ -n "$xsrc" ]; then
		cp $xsrc/disk.img $t/disk.img # as QEMU A left it on the other hypervisor
	else
		dd if=/dev/urandom of=$t/disk.img bs=65536 count=64 2>/dev/null
	fi
	disk=$(sha256sum $t/disk.img | cut -d' ' -f1)
	sectors=$(($(wc -c <$t/disk.img) / 512))
	token=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
	want_reply="vc-reply $(echo "$token" | sha256sum | cut -c1-16)"
	mkfifo $t/vc.in $t/vc.out $t/con
	# The console's host side: QEMU opens both FIFOs read-write; so does this shell, so
	# that neither open blocks. The token waits in vc.in until the guest reads the port.
	exec 5<>$t/vc.in 6<>$t/vc.out
	echo "$token" >&5
	cat <&6 >$t/vc.reply 5>&- 6>&- &
	vcpid=$!
	sin=/dev/null
	if [ $mig = 1 ]; then
		# Two QEMUs in turn write the console: this shell holds it open (fd 9) so that
		# its reader sees no end between them; the serial input and the monitor too.
		mkfifo $t/ser.in $t/mon.in $t/mon.out
		: >$t/mon.log
		exec 7<>$t/ser.in 8<>$t/mon.in 9<>$t/con
		cat 0<>$t/mon.out >>$t/mon.log 5>&- 6>&- 7>&- 8>&- 9>&- &
		monpid=$!
		sin=$t/ser.in
	fi
	# Every console line with the host's uptime when it arrived.
	awk '{ sub(/\r$/, ""); getline u < "/proc/uptime"; close("/proc/uptime")
		split(u, a, " "); print a[1], $0; fflush() }' <$t/con >$t/console.log 5>&- 6>&- \
		7>&- 8>&- 9>&- &
	apid=$!
	dmesg -c >>$t/dmesg-all
	start=$(cut -d' ' -f1 /proc/uptime)
	if [ $mig = 1 ]; then # a restore from the other hypervisor is a migrate case too
		if [ -n "$xsrc" ]; then restore_once $xsrc/vm.state; else migrate_once; fi
		exec 7>&- 8>&- 9>&-
		kill "$monpid" 2>/dev/null
		wait "$monpid" 2>/dev/null
	else
		start_qemu
		wait_qemu
	fi
	[ $hung = 1 ] && kill $apid 2>/dev/null
	wait $apid
	kill $vcpid 2>/dev/null
	wait $vcpid 2>/dev/null
	exec 5>&- 6>&-
	end=$(cut -d' ' -f1 /proc/uptime)

	bad=0
	check() {	# check ok|fail [why]: without a guest, the other checks just say so
		if [ "$2" != ok ] && [ -z "$ti" ] && [ "$1" != boots-to-init ] &&
			[ "$1" != poweroff-status-0 ]; then
			set -- "$1" fail "no guest (boots-to-init)"
		fi
		record "$c" "$@"
		[ "$2" = ok ] || bad=1
	}
	if [ -n "$xsrc" ]; then
		# A guest restored from the other hypervisor: only the checks after the restore.
		ti=restored
		judge_migrate
		judge_poweroff
		report_boot
		return
	fi
	ti=$(fact_time INIT)
	if [ -n "$ti" ]; then
		bt=$(awk -v a="$start" -v b="$ti" 'BEGIN { printf "%.2f", b - a }')
		echo "$bt" >>"$res/$c.times"
		check boots-to-init ok
	else
		check boots-to-init fail "no /init"
	fi
	# shellcheck disable=SC2046 # the fields are words on purpose
	set -- $(fact IRQ1) x
	t1=$1
	# shellcheck disable=SC2046
	set -- $(fact IRQ2) x
	t2=$1
	if [ -n "$ti" ] && [ "$t1" != x ] && [ "$t2" != x ] && [ "$t1" -gt 0 ] && [ "$t2" -gt "$t1" ]; then
		check timer-counts ok
	else
		check timer-counts fail "arch_timer ${t1:-?} then ${t2:-?}"
	fi
	want_online=0
	[ "$smp" -gt 1 ] && want_online="0-$((smp - 1))"
	cpus=$(fact CPUS)
	if [ "$cpus" = "$want_online $smp" ]; then
		check cpus-online ok
	else
		check cpus-online fail "online/count '${cpus}', want '$want_online $smp'"
	fi
	if [ "$smp" -gt 1 ]; then
		# shellcheck disable=SC2046
		set -- $(fact IRQ2)
		ipis="$*"
		ok=1
		[ $# -eq $((smp + 1)) ] || ok=0
		shift
		for i in "$@"; do [ "$i" -gt 0 ] 2>/dev/null || ok=0; done
		if [ $ok = 1 ]; then check ipis ok; else check ipis fail "timer/IPIs per CPU '$ipis'"; fi
	fi
	got=$(fact DISK)
	if [ "$got" = "$disk" ]; then
		check disk-checksum ok
	else
		check disk-checksum fail "guest read '${got}'"
	fi
	w=$(dd if=$t/disk.img bs=512 skip=$((sectors - 1)) count=1 2>/dev/null | head -1 |
		tr -cd '[:alnum:] -')
	if [ "$w" = "vmm-disk-write $disk" ]; then
		check disk-write ok
	else
		check disk-write fail "guest: '$(fact DISKW)', last sector: '$(echo "$w" | cut -c1-40)'"
	fi
	if grep -x "$want_reply" $t/vc.reply >/dev/null 2>&1; then
		check console-roundtrip ok
	else
		check console-roundtrip fail "guest read '$(fact CONSOLE)', host got '$(clean <$t/vc.reply | cut -c1-60)'"
	fi
	# shellcheck disable=SC2046
	set -- $(fact NET) x
	if [ "$1" = net-token ] && [ "$3 $4" = "net-reply $(echo "$1 $2" | sha256sum | cut -c1-16)" ] &&
		grep -x "$1 $2" $t/net.log >/dev/null 2>&1; then
		check net-roundtrip ok
	else
		check net-roundtrip fail "guest: '$(fact NET)', host read '$(cat $t/net.log 2>/dev/null | clean | cut -c1-40)'"
	fi
	if [ $msi = 1 ]; then
		# shellcheck disable=SC2046
		set -- $(fact MSI) x x
		if [ "$1" -gt 0 ] 2>/dev/null && [ "$2" -gt 0 ]; then
			check virtio-msi ok
		else
			check virtio-msi fail "virtio MSIs/lines '$(fact MSI)'"
		fi
	fi
	[ $mig = 1 ] && judge_migrate
	judge_poweroff
	report_boot
}

judge_poweroff() {
	if [ $hung = 1 ]; then
		check poweroff-status-0 fail "timeout after $tmo s, QEMU did not die on SIGKILL"
	elif [ -f $t/timeout ]; then
		check poweroff-status-0 fail "timeout after $tmo s"
	elif [ $rc = 0 ] && [ -n "$(fact_time DONE)" ]; then
		check poweroff-status-0 ok
	elif [ $rc = 0 ]; then
		check poweroff-status-0 fail "exit 0 before the guest's end"
	else
		check poweroff-status-0 fail "exit status $rc"
	fi
}

# After a boot: its time, the nested QEMU's stderr, and what to look at if a check failed.
report_boot() {
	echo "# $c boot $r/$repeat: qemu exit $rc after $(awk -v a="$start" -v b="$end" \
		'BEGIN { printf "%.1f", b - a }') s, boot to /init: ${bt:-none}${bt:+ s}"
	bt=
	if [ -s $t/qemu.err ]; then
		echo "# --- $c: nested QEMU stderr"
		head -n 20 $t/qemu.err | comment
	fi
	dmesg -c >$t/dmesg-boot
	cat $t/dmesg-boot >>$t/dmesg-all
	if [ $bad = 1 ]; then
		echo "# --- $c: last lines of the nested console"
		cut -d' ' -f2- $t/console.log | grep -v '^@@VMM-PROC' | tail -n 25 | comment
		if [ -f $t/timeout ] && [ -n "$(fact_time DONE)" ]; then
			# A hang after the guest's end: its kernel's first words about it.
			echo "# --- $c: the guest's console after @@VMM-DONE (first 120 lines)"
			cut -d' ' -f2- $t/console.log | sed -n '/^@@VMM-DONE/,$p' | sed -n 2,121p | comment
		fi
		if [ -s $t/hang.txt ]; then
			echo "# --- $c: the nested QEMU's threads at the timeout"
			comment <$t/hang.txt
		fi
		echo "# --- $c: the host's kernel log during the boot (kvm, kvmx, BUG, WARNING, Oops)"
		grep -E 'kvm|BUG|WARNING|Oops' $t/dmesg-boot | tail -n 20 | comment
	fi
	grep '@@VMM-PROC' $t/console.log | cut -d' ' -f3- | comment
	# The guest kernel's words on its way to SYSTEM_OFF (printk is back on after its end).
	cut -d' ' -f2- $t/console.log | sed -n '/^@@VMM-DONE/,$p' | sed -n 2,16p | sed 's/^/after-done: /' | comment
}

# The migrate checks, from the guest's answers before the save and after the restore:
# "@@VMM-PONG <token> <uptime> <timer> <uptime> <timer> <msi> <msi> <sha256>".
judge_migrate() {
	# shellcheck disable=SC2086 # no file or one
	p1=$(awk '$2 == "@@VMM-PONG" && $3 == 1 { $1 = $2 = $3 = ""; print; exit }' \
		${xsrc:+$xsrc/pong1} $t/console.log)
	p2=$(awk '$2 == "@@VMM-PONG" && $3 == 2 { $1 = $2 = $3 = ""; print; exit }' $t/console.log)
	echo "# $c: before the save: ${p1:-no answer}"
	echo "# $c: after the restore: ${p2:-no answer}"
	if [ -z "$xsrc" ]; then
		if [ -n "$p1" ]; then
			check console-before-save ok
		else
			check console-before-save fail "no answer to ping 1"
		fi
		if [ "$mig_status" = completed ] && [ -s $t/vm.state ]; then
			check saved-to-file ok
		else
			check saved-to-file fail "migration status '${mig_status:-none}'"
		fi
	fi
	if [ -n "$p2" ]; then
		check console-after-restore ok
	else
		check console-after-restore fail "no answer to ping 2 ($(tr -d '\r' <$t/mon.log |
			grep 'VM status' | tail -n 1 | clean))"
	fi
	# shellcheck disable=SC2086 # the fields are words on purpose
	set -- $p2 x x x x x x x
	if [ -n "$p2" ] && [ "$2" -gt 0 ] && [ "$4" -gt "$2" ]; then
		check timer-after-restore ok
	else
		check timer-after-restore fail "arch_timer '$2' then '$4'"
	fi
	sum2=$7 m1=$5 m2=$6
	# shellcheck disable=SC2086
	set -- $p1 x x x x x x x
	jump=$(awk -v a="$3" -v b="$(echo "$p2" | awk '{ print $1 }')" 'BEGIN { printf "%.2f", b - a }')
	echo "# $c: guest uptime after the save $3 s, at the first answer after the restore" \
		"$(echo "$p2" | awk '{ print $1 }') s: +$jump s"
	if [ -n "$p1" ] && [ -n "$p2" ] &&
		awk -v j="$jump" -v a="$(echo "$p2" | awk '{ print $1 }')" -v b="$(echo "$p2" |
			awk '{ print $3 }')" 'BEGIN { exit !(j >= 0 && j < 600 && b > a) }'; then
		check clock-continues ok
	else
		check clock-continues fail "guest uptime went $jump s across the restore"
	fi
	img=$(sha256sum $t/disk.img | cut -d' ' -f1)
	if [ -n "$p1" ] && [ "$sum2" = "$7" ] && [ "$sum2" = "$img" ]; then
		check disk-after-restore ok
	else
		check disk-after-restore fail "read '$(echo "$7" | cut -c1-16)' before, '$(echo "$sum2" |
			cut -c1-16)' after, image '$(echo "$img" | cut -c1-16)'"
	fi
	if [ $msi = 1 ]; then
		if [ -n "$p2" ] && [ "$m2" -gt "$m1" ] 2>/dev/null; then
			check msi-after-restore ok
		else
			check msi-after-restore fail "virtio MSIs '$m1' then '$m2' across a read"
		fi
	fi
}

# One TAP line per check of a case: ok when it passed in every boot.
report_case() {	# case smp machine [args]
	for k in $(checks_of "$2" "$3" "${4:-}"); do
		f=$res/$1.$k
		total=$(wc -l <"$f")
		good=$(grep -c '^ok' "$f")
		why=$(grep -v '^ok' "$f" | head -1 | cut -d' ' -f2- | clean)
		extra=
		if [ "$k" = boots-to-init ] && [ -s "$res/$1.times" ]; then
			extra="time=$(tr '\n' ',' <"$res/$1.times" | sed 's/,$//')s"
		fi
		[ "$repeat" -gt 1 ] && extra="${extra:+$extra }$good/$total"
		if [ "$good" = "$total" ]; then
			tap ok "$1.$k" "$extra"
		else
			tap fail "$1.$k" "${extra:+$extra; }$why"
		fi
	done
}

plan=3
[ "$mode" = kvmx ] && plan=4
while read -r c smp machine cargs <&3; do
	[ -n "$c" ] || continue # no case at all (kvmxvmmcases=none): one empty line
	plan=$((plan + $(checks_of "$smp" "$machine" "$cargs" | wc -w)))
done 3<<EOF
$(cases)
EOF
echo "1..$plan"
echo "# mode: $mode, $repeat boot(s) per case, case timeout $tmo s"
echo "# /proc/version: $(cat /proc/version)"
echo "# /proc/cmdline: $(cat /proc/cmdline)"
[ -f /vmm-manifest.txt ] && echo "# nested QEMU tree: $(awk '{ print $1 "=" $3 }' /vmm-manifest.txt | tr '\n' ' ')"

# QEMU's user network (the virtio-net case) makes its socket pairs over the loopback.
ip link set lo up
v=$($qemu --version 2>&1 | head -1)
case $v in
QEMU*) tap ok host.nested-qemu-runs "$v" ;;
*) tap fail host.nested-qemu-runs "$(echo "$v" | clean)" ;;
esac
if [ "$mode" = kvmx ]; then
	if insmod /kvmx.ko; then
		dmesg | grep 'kvmx:' | comment
	else
		dmesg | grep -E 'kvmx|BUG|WARNING|Oops' | comment
	fi
fi
if [ -c /dev/kvm ]; then
	tap ok host.dev-kvm
	# Every capability <linux/kvm.h> names that reads non-zero here, on /dev/kvm and a VM.
	kvm-caps 2>&1 | sed 's/^/cap: /' | comment
else
	tap fail host.dev-kvm "no /dev/kvm"
fi

[ "${kvmxvmmxfer:-0}" = 1 ] && xload
hogs=
i=0
while [ $i -lt "${kvmxvmmload:-0}" ]; do
	sh -c 'while :; do :; done' &
	hogs="$hogs $!"
	i=$((i + 1))
done
[ -n "$hogs" ] && echo "# load: ${kvmxvmmload} busy loops in this host during the boots"
[ -n "$guest_args" ] && echo "# nested guest's command line adds:$guest_args"
# The loop reads the case list on fd 3: nothing in a boot can eat it.
while read -r c smp machine cargs <&3; do
	[ -n "$c" ] || continue # no case at all (kvmxvmmcases=none): one empty line
	echo "# === $c: -M $machine -smp $smp${cargs:+, guest: $cargs}"
	r=1
	while [ $r -le "$repeat" ]; do
		boot_once "$c" "$smp" "$machine" "$cargs"
		r=$((r + 1))
	done
	report_case "$c" "$smp" "$machine" "$cargs"
done 3<<EOF
$(cases)
EOF

[ -n "$xfrom" ] && xrestore
# shellcheck disable=SC2086 # a list of pids
[ -n "$hogs" ] && kill $hogs
if [ "$mode" = kvmx ]; then
	if rmmod kvmx 2>/tmp/rmmod.err; then
		tap ok host.rmmod-kvmx
	else
		tap fail host.rmmod-kvmx "$(clean </tmp/rmmod.err)"
	fi
fi
dmesg -c >>$t/dmesg-all
if grep -E 'WARNING|BUG|Oops|Call trace' $t/dmesg-all >/tmp/dmesg.bad; then
	tap fail host.dmesg-clean "$(wc -l </tmp/dmesg.bad) lines"
	head -n 40 /tmp/dmesg.bad | comment
else
	tap ok host.dmesg-clean
fi
