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
#   poweroff-status-0 (the guest reached its end, `poweroff -f` ended QEMU with status 0)
#   host.rmmod-kvmx (kvmx only), host.dmesg-clean (no WARNING/BUG/Oops in the host's log)
# With REPEAT > 1 a check is ok when it passed in every boot ("N/N" in the comment). The
# nested QEMU's stderr is printed as TAP comments after every boot, and the end of the
# guest console after a boot with a failed check. A boot that outlives CASE_TIMEOUT_S gets
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
checks_of() {	# smp
	echo boots-to-init timer-counts cpus-online
	[ "$1" -gt 1 ] && echo ipis
	echo disk-checksum disk-write console-roundtrip net-roundtrip poweroff-status-0
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

boot_once() {	# case smp machine [guest-args]
	c=$1 smp=$2 machine=$3 bargs=${4:+ $(echo "$4" | tr , ' ')}
	rm -f $t/disk.img $t/vc.in $t/vc.out $t/con $t/timeout $t/hang.txt $t/vc.reply $t/net.log
	dd if=/dev/urandom of=$t/disk.img bs=65536 count=64 2>/dev/null
	disk=$(sha256sum $t/disk.img | cut -d' ' -f1)
	sectors=$(($(wc -c <$t/disk.img) / 512))
	token=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
	want_reply="vc-reply $(echo "$token" | sha256sum | cut -c1-16)"
	mkfifo $t/vc.in $t/vc.out $t/con
	# The console's host side: QEMU opens both FIFOs read-write; so does this shell, so
	# that neither open blocks. The token waits in vc.in until the guest reads the port.
	exec 5<>$t/vc.in 6<>$t/vc.out
	echo "$token" >&5
	cat <&6 >$t/vc.reply &
	vcpid=$!
	# Every console line with the host's uptime when it arrived.
	awk '{ sub(/\r$/, ""); getline u < "/proc/uptime"; close("/proc/uptime")
		split(u, a, " "); print a[1], $0; fflush() }' <$t/con >$t/console.log &
	apid=$!
	dmesg -c >>$t/dmesg-all
	start=$(cut -d' ' -f1 /proc/uptime)
	$qemu -accel kvm -cpu host -M "$machine" -smp "$smp" -m 256 -nographic -nodefaults \
		-serial stdio -kernel $kernel -initrd $initrd \
		-append "console=ttyAMA0 panic=-1$guest_args$bargs" \
		-no-reboot -drive if=none,id=disk0,file=$t/disk.img,format=raw \
		-device virtio-blk-device,drive=disk0 -device virtio-serial-device \
		-chardev pipe,id=vc0,path=$t/vc -device virtconsole,chardev=vc0 \
		-netdev user,id=net0,restrict=on,guestfwd=tcp:10.0.2.100:7-cmd:/bin/vmm-net-echo \
		-device virtio-net-device,netdev=net0 \
		</dev/null >$t/con 2>$t/qemu.err 5>&- 6>&- &
	qpid=$!
	# The guard: SIGTERM at the timeout, SIGKILL 5 s later; a QEMU that even SIGKILL does
	# not end within 10 s (stuck in the kernel) is abandoned (USR1) so the cases go on.
	hung=0
	# Before the SIGTERM, hang_state records where QEMU's threads are.
	(sleep "$tmo"; echo >$t/timeout; hang_state $qpid >$t/hang.txt 2>&1
		kill -TERM $qpid; sleep 5; kill -KILL $qpid; sleep 10
		kill -USR1 $$) >/dev/null 2>&1 5>&- 6>&- &
	guard=$!
	wait $qpid
	rc=$?
	kill $guard 2>/dev/null
	if [ $hung = 1 ]; then
		echo "# $c: QEMU (pid $qpid) survived SIGKILL for 10 s: abandoned"
		kill $apid 2>/dev/null
	fi
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

# One TAP line per check of a case: ok when it passed in every boot.
report_case() {	# case smp
	for k in $(checks_of "$2"); do
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
while read -r c smp machine <&3; do
	plan=$((plan + $(checks_of "$smp" | wc -w)))
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
	echo "# === $c: -M $machine -smp $smp${cargs:+, guest: $cargs}"
	r=1
	while [ $r -le "$repeat" ]; do
		boot_once "$c" "$smp" "$machine" "$cargs"
		r=$((r + 1))
	done
	report_case "$c" "$smp"
done 3<<EOF
$(cases)
EOF

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
