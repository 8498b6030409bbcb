# Helpers for in-guest scenarios (sourced).  A scenario is a shell script
# that exits 0 when the behaviour holds; its last output line is the reason
# shown when it fails.

VDUSED_LOG=/run/vdfw/vdused.log
. /usr/lib/vdfw-tests/common.sh

fail() {
	echo "$*"
	exit 1
}

# The build lacks what the check needs: reported as SKIP, never a pass.
skip() {
	echo "$*"
	exit 77
}

# Every vdused death a scenario causes goes through here: the runner
# compares the supervisor's log of deaths with this list, and any death
# nobody asked for fails the scenario that was running.
KILLS=/run/vdfw-tests/kills

# The supervisor's line for each death (rootfs/.../supervise): vdused
# ends on TERM and INT with status 0 and dies of any other signal.
vdused_kill() { # vdused_kill SIGNAL-NUMBER: kill the running vdused
	p=$(vdused_pid) || return 1
	case $1 in
	2|15) echo "exited with status 0" ;;
	*) echo "killed by signal $1" ;;
	esac >> $KILLS
	kill -"$1" "$p"
}

# After vdused_kill: a new vdused is running and ready.
vdused_restarted() { # vdused_restarted OLD_PID
	wait_for 30 sh -c "p=\$(pidof vdused) && [ \"\$p\" != $1 ]" &&
	wait_for 30 vdused_ready
}

# The running vdused is the one that wrote the ready file.
vdused_ready() {
	p=$(vdused_ready_pid) && [ "$p" = "$(vdused_pid)" ]
}

# Block device (vdX) whose virtio serial is $1 (our devices set it to
# their name unless the table says otherwise).
blkdev_by_serial() {
	for s in /sys/block/vd*/serial; do
		[ "$(cat "$s" 2>/dev/null)" = "$1" ] && { d=${s%/serial}; echo "/dev/${d##*/}"; return 0; }
	done
	return 1
}

# sha256 of COUNT blocks of BS bytes at block SKIP of a file or device.
sha_range() { # sha_range FILE BS SKIP COUNT
	dd if="$1" bs="$2" skip="$3" count="$4" iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1
}

# A deterministic, non-repeating pattern: the text of numbers, $2 bytes
# from a starting number $1.
pattern() { # pattern SEED BYTES
	seq "$1" 100000000 | head -c "$2"
}

vdused_rss_kib() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/$(vdused_pid)/status
}

# Ask vdused to write its counters (SIGUSR1), then print DEVICE's file.
vdused_stats() { # vdused_stats DEVICE
	rm -f /run/vdused/$1.stats
	kill -USR1 "$(vdused_pid)"
	wait_for 5 test -s /run/vdused/$1.stats || return 1
	cat /run/vdused/$1.stats
}

# One counter ("name value" lines) from vdused_stats.
vdused_counter() { # vdused_counter DEVICE NAME
	vdused_stats "$1" | sed -n "s/^$2 //p"
}

need_devices() {
	wait_for 30 vdused_ready || fail "vdused not ready"
	for s in "$@"; do
		wait_for 10 blkdev_by_serial "$s" >/dev/null || fail "no block device with serial $s"
	done
}

# The interface name of vdpa net device $1 (e.g. net0 -> eth0), once it
# is in our namespace: a namespace an earlier scenario killed hands its
# interfaces back from a kernel work item, some time after the kill.
netif_of() {
	wait_for 20 netif_here "$1" >/dev/null && netif_here "$1"
}

netif_here() {
	i=$(ls /sys/bus/vdpa/devices/$1/virtio*/net/ 2>/dev/null | head -1)
	[ -n "$i" ] && [ -e "/sys/class/net/$i" ] && echo "$i"
}

# Network namespaces without `ip netns`: a sleeping process holds each.
# Wait until it has really left our namespace, or a move into it would
# be a move into our own.
ns_new() {
	unshare -n sleep 100000 >/dev/null 2>&1 &
	wait_for 10 ns_differs $! >&2
	echo $!
}

ns_differs() {
	n=$(readlink /proc/$1/ns/net) && [ "$n" != "$(readlink /proc/self/ns/net)" ]
}

in_ns() { # in_ns PID COMMAND...
	p=$1
	shift
	nsenter -t "$p" -n "$@"
}

# Move interface $2 into namespace $1, give it address $3 (/24), up.
ns_addif() { # ns_addif PID IFACE ADDR
	ip link set "$2" netns "$1" || return 1
	in_ns "$1" ip addr add "$3/24" dev "$2" &&
	in_ns "$1" ip link set "$2" up &&
	in_ns "$1" ip link set lo up
}

# cable_ns ADDR_A ADDR_B: net0 and net1, which vdused cables together,
# each moved into a namespace of its own (pids $A and $B) with an address
# on 192.0.2.0/24; also sets a_if and b_if.  The EXIT trap set here kills
# both namespaces; a scenario that sets its own trap must kill them too.
cable_ns() {
	a_if=$(netif_of net0)
	b_if=$(netif_of net1)
	[ -n "$a_if" ] && [ -n "$b_if" ] || fail "net0/net1 have no interfaces"
	A=$(ns_new)
	B=$(ns_new)
	trap 'kill $A $B 2>/dev/null' EXIT
	ns_addif $A $a_if $1 || fail "cannot set up $a_if in namespace A"
	ns_addif $B $b_if $2 || fail "cannot set up $b_if in namespace B"
}

# TCP transfer of FILE from namespace SRC to DST_ADDR (in namespace DST),
# through busybox nc; prints the received sha256.  The listener's stdin is
# a FIFO held open, because busybox nc stops at EOF on stdin.
tcp_send() { # tcp_send SRC_NS DST_NS DST_ADDR PORT FILE [OUT]
	out=${6:-/tmp/tcp.recv}
	rm -f /tmp/tcp.fifo "$out"
	mkfifo /tmp/tcp.fifo
	in_ns "$2" nc -l -p "$4" < /tmp/tcp.fifo > "$out" &
	rx=$!
	exec 7<>/tmp/tcp.fifo
	wait_for 10 listening "$2" "$4" || { exec 7>&-; return 1; }
	in_ns "$1" nc "$3" "$4" < "$5"
	wait $rx
	exec 7>&-
	sha256sum < "$out" | cut -d' ' -f1
}

listening() { # listening NS PORT: a TCP listener is up in NS
	in_ns "$1" netstat -ltn | grep -q ":$2 "
}

# /sys/class/net shows the namespace that mounted /sys: ask ip instead.
has_carrier() { # has_carrier NS IFACE
	in_ns "$1" ip link show "$2" | grep -q LOWER_UP
}

no_carrier() { # no_carrier NS IFACE
	in_ns "$1" ip link show "$2" | grep -q NO-CARRIER
}

pings() { # pings NS ADDR: one echo reply within 2 s
	in_ns "$1" ping -c 1 -W 2 "$2" >/dev/null 2>&1
}

# wait_for runs a command or function, not a pipeline: these wrap the
# conditions the scenarios poll for.
file_bigger() { # file_bigger FILE BYTES
	[ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -gt "$2" ]
}
