#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make bench, in the guest: boot hook 90-vdfw-bench of the bench payload
# (tests/bench/pack.sh).  Sets up every block device under test in this one
# boot, runs the fio plan with the devices interleaved (job 1: A B C, A B C,
# ...), then the network paths, and prints each fact as one
# "vdfw-bench: KIND key=value ..." line on the console, which the host
# turns into the report (tests/bench/report.py).  A device or path that
# cannot be measured gets "status=absent|failed why=..." (why= is always
# the last field), never a number.
B=/usr/lib/vdfw-bench
. $B/plan
. /etc/vdfw/config
. $B/common.sh
export LD_LIBRARY_PATH=$B/lib
export PATH=$B/bin:$PATH
T=/tmp/vdfw-bench
VDPA=/sys/bus/vdpa
RUN_DIR=$VDUSED_RUN_DIR
mkdir -p $T
: > $T/devs

say() { echo "vdfw-bench: $*"; }
elapsed() { awk -v s="$START" '{ printf "%.1f", $1 - s }' /proc/uptime; }
START=$(cut -d' ' -f1 /proc/uptime)

# The last thing vdused logged about device $1.
vdused_said() {
	m=$(grep "^vdused: $1: " /run/vdfw/vdused.log | tail -1)
	echo "${m:-vdused logged nothing about $1}"
}

# utime + stime of a process, in clock ticks (USER_HZ, 100 on x86).
cpu_ticks() {
	[ -n "$1" ] && [ -r /proc/$1/stat ] || { echo 0; return; }
	sed 's/.*) //' /proc/$1/stat | awk '{ print $12 + $13 }'
}

# Context switches of a process's main thread (its event loop): how often
# it went to sleep and was woken, or was preempted.  Other threads come and
# go (io_uring's io-wq workers) and take their counts with them.
ctx_switches() {
	[ -n "$1" ] && [ -r /proc/$1/status ] || { echo 0; return; }
	awk '/^(non)?voluntary_ctxt_switches:/ { s += $2 } END { print s + 0 }' /proc/$1/status
}

# Non-idle ticks of all CPUs together, from /proc/stat.
busy_ticks() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# The /dev node of the block (or the name of the network) interface of
# the virtio device on vdpa device $1, found through sysfs.
vdpa_blk() {
	for p in $VDPA/devices/$1/virtio*/block/*; do
		[ -e "$p" ] && { echo "/dev/${p##*/}"; return 0; }
	done
	return 1
}
vdpa_net() {
	for p in $VDPA/devices/$1/virtio*/net/*; do
		[ -e "$p" ] && { echo "${p##*/}"; return 0; }
	done
	return 1
}

# vdpa_attach NAME MGMTDEV: put NAME on the vdpa bus, bound to virtio_vdpa
# whatever autoprobe would have picked (vhost_vdpa is built in too).
vdpa_attach() {
	ap=$(cat $VDPA/drivers_autoprobe)
	echo 0 > $VDPA/drivers_autoprobe
	vdpa dev add name "$1" mgmtdev "$2" > $T/vdpa.err 2>&1
	rc=$?
	if [ $rc = 0 ]; then
		echo virtio_vdpa > $VDPA/devices/$1/driver_override
		echo "$1" > $VDPA/drivers/virtio_vdpa/bind 2>> $T/vdpa.err
		rc=$?
	fi
	echo "$ap" > $VDPA/drivers_autoprobe
	return $rc
}

# add_dev LABEL NODE SERVER VDPA_NAME: a block device under test.
# SERVER (vdused, qsd or -) is the process whose CPU time each job counts.
add_dev() {
	d=${2#/dev/}
	[ -w /sys/block/$d/queue/scheduler ] && echo none > /sys/block/$d/queue/scheduler 2>/dev/null
	sched=$(sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/block/$d/queue/scheduler 2>/dev/null)
	q=$(ls -d /sys/block/$d/mq/* 2>/dev/null | wc -l)
	echo "$1 $2 $3 $4 $q" >> $T/devs
	say "dev label=$1 node=$2 server=$3 vdpa=$4 hw_queues=$q sched=${sched:-none}" \
		"lbs=$(cat /sys/block/$d/queue/logical_block_size)" \
		"sectors=$(cat /sys/block/$d/size)"
}

absent() { # absent LABEL WHY...
	_l=$1
	shift
	say "dev label=$_l status=absent why=$*"
}

setup_vdused() { # setup_vdused LABEL NAME
	if wait_for 10 vdpa_blk "$2" > /dev/null; then
		add_dev "$1" "$(vdpa_blk "$2")" vdused "$2"
	elif [ ! -e "$VDPA/devices/$2" ]; then
		absent "$1" "vdused did not attach $2: $(vdused_said "$2")"
	else
		absent "$1" "vdpa device $2 has no block device"
	fi
}

setup_qsd() {
	command -v qemu-storage-daemon >/dev/null || {
		absent qsd-null "qemu-storage-daemon is not in the payload"
		absent qsd-file "qemu-storage-daemon is not in the payload"
		return
	}
	truncate -s "$DEV_SIZE" /tmp/vdfw-bench-qsdfile.img
	qemu-storage-daemon \
		--blockdev "driver=null-co,node-name=qnull,size=$DEV_SIZE,read-zeroes=off" \
		--export "type=vduse-blk,id=eqnull,node-name=qnull,name=qnull,num-queues=2,queue-size=$QUEUE_SIZE,writable=on" \
		--blockdev "driver=file,node-name=qfile,filename=/tmp/vdfw-bench-qsdfile.img,aio=$QSD_FILE_AIO" \
		--export "type=vduse-blk,id=eqfile,node-name=qfile,name=qfile,num-queues=1,queue-size=$QUEUE_SIZE,writable=on" \
		--pidfile $T/qsd.pid > $T/qsd.log 2>&1 &
	for n in qnull qfile; do
		l=qsd-${n#q}
		if ! wait_for 20 test -e /dev/vduse/$n; then
			absent $l "qemu-storage-daemon did not create /dev/vduse/$n: $(tail -1 $T/qsd.log)"
		elif ! vdpa_attach $n vduse; then
			absent $l "vdpa attach of $n failed: $(tail -1 $T/vdpa.err)"
		elif ! wait_for 10 vdpa_blk $n > /dev/null; then
			absent $l "vdpa device $n has no block device"
		else
			add_dev $l "$(vdpa_blk $n)" qsd $n
		fi
	done
}

setup_sim() {
	if [ ! -e $VDPA/devices ] || ! vdpa mgmtdev show 2>/dev/null | grep -q vdpasim_blk; then
		absent vdpa_sim_blk "no vdpasim_blk management device (kernel without VDFW_KERNEL_TEST_REFS?)"
	elif ! vdpa_attach bsim vdpasim_blk; then
		absent vdpa_sim_blk "vdpa attach failed: $(tail -1 $T/vdpa.err)"
	elif ! wait_for 10 vdpa_blk bsim > /dev/null; then
		absent vdpa_sim_blk "vdpa device bsim has no block device"
	else
		add_dev vdpa_sim_blk "$(vdpa_blk bsim)" - bsim
	fi
}

setup_kernel_blk() { # setup_kernel_blk LABEL NODE
	if [ -b "$2" ]; then
		add_dev "$1" "$2" - -
	else
		absent "$1" "no $2 (kernel without VDFW_KERNEL_TEST_REFS, or module parameters not given)"
	fi
}

# job_args JOB: fio arguments of a job, and BS_KIB.
job_args() {
	case $1 in
	rr1) BS_KIB=4 ARGS="--rw=randread --bs=4k --iodepth=1" ;;
	rr32) BS_KIB=4 ARGS="--rw=randread --bs=4k --iodepth=32" ;;
	rw32) BS_KIB=4 ARGS="--rw=randwrite --bs=4k --iodepth=32" ;;
	sr8) BS_KIB=128 ARGS="--rw=read --bs=128k --iodepth=8" ;;
	sw8) BS_KIB=128 ARGS="--rw=write --bs=128k --iodepth=8" ;;
	mq) BS_KIB=4 ARGS="--rw=randread --bs=4k --iodepth=32 --numjobs=2"
	    [ "$NCPU" -ge 2 ] && ARGS="$ARGS --cpus_allowed=0-$((NCPU - 1)) --cpus_allowed_policy=split" ;;
	esac
}

# Sum of vdused's per-queue request and irq counters of device $1.
vq_counters() {
	rm -f "$RUN_DIR/$1.stats"
	kill -USR1 "$(vdused_ready_pid)" 2>/dev/null
	wait_for 5 test -s "$RUN_DIR/$1.stats" || { echo "- -"; return; }
	awk '/^vq[0-9]+_requests / { r += $2 } /^vq[0-9]+_irqs / { i += $2 }
		END { print r + 0, i + 0 }' "$RUN_DIR/$1.stats"
}

server_pid() {
	case $1 in
	vdused) vdused_ready_pid ;;
	qsd) cat $T/qsd.pid 2>/dev/null ;;
	esac
}

run_fio() { # run_fio LABEL NODE SERVER VDPA JOB REP
	job_args "$5"
	pid=$(server_pid "$3")
	vq0="- -"
	[ "$3" = vdused ] && vq0=$(vq_counters "$4")
	c0=$(cpu_ticks "$pid")
	x0=$(ctx_switches "$pid")
	b0=$(busy_ticks)
	# shellcheck disable=SC2086 # ARGS is a list of arguments
	fio --name="$5" --filename="$2" --ioengine=libaio --direct=1 \
		--time_based --runtime="$RUNTIME" --norandommap --randrepeat=0 \
		--group_reporting --output-format=terse --terse-version=3 \
		$ARGS < /dev/null > $T/fio.out 2> $T/fio.err
	rc=$?
	b1=$(busy_ticks)
	x1=$(ctx_switches "$pid")
	c1=$(cpu_ticks "$pid")
	vq1="- -"
	[ "$3" = vdused ] && vq1=$(vq_counters "$4")
	line=$(grep '^3;' $T/fio.out | tail -1)
	if [ $rc != 0 ] || [ -z "$line" ]; then
		say "run dev=$1 job=$5 rep=$6 status=failed why=fio status $rc: $(tail -1 $T/fio.err)"
		return
	fi
	# terse v3: read kb;bw;iops at 6-8, total latency mean at 40, clat
	# percentiles at 18-37; writes the same 41 fields later.
	echo "$line" | awk -F';' -v bs="$BS_KIB" -v srv=$((c1 - c0)) -v ctx=$((x1 - x0)) \
		-v busy=$((b1 - b0)) -v vq0="$vq0" -v vq1="$vq1" -v pre="run dev=$1 job=$5 rep=$6" '
		function p99(from,   i) {
			for (i = from; i < from + 20; i++)
				if ($i ~ /^99\.000000%=/) { sub(/.*=/, "", $i); return $i }
			return "-"
		}
		{
			w = ($49 > $8)
			iops = $8 + $49; kib = $7 + $48; ios = int(($6 + $47) / bs + 0.5)
			split(vq0, a, " "); split(vq1, b, " ")
			vq = (a[1] == "-" || b[1] == "-") ? "vq_req=- vq_irq=-" : \
				sprintf("vq_req=%d vq_irq=%d", b[1] - a[1], b[2] - a[2])
			printf "vdfw-bench: %s iops=%.0f kib_s=%d ios=%d lat_us=%.1f p99_us=%s " \
				"srv_ticks=%d srv_ctxsw=%d busy_ticks=%d %s err=%s\n", pre, iops, kib, ios, \
				w ? $81 : $40, w ? p99(59) : p99(18), srv, ctx, busy, vq, $5
		}'
}

run_blk() {
	for job in $JOBS; do
		rep=1
		while [ $rep -le "$REPS" ]; do
			while read -r l node srv name q; do
				[ "$job" = mq ] && [ "$q" -lt 2 ] && continue
				run_fio "$l" "$node" "$srv" "$name" "$job" "$rep"
			done < $T/devs
			rep=$((rep + 1))
		done
		say "phase elapsed=$(elapsed) name=blk-$job"
	done
}

#
# Network: each path joins two namespaces of our own, addresses on
# 192.0.2.0/24 only.  busybox ip has no netns verbs: a namespace is held by
# "unshare -n sleep", links move with "ip link set DEV netns PID", and
# commands run inside with nsenter.
#
ns_hold() { # ns_hold VAR: a new network namespace, its holder's pid in VAR
	unshare -n sleep 100000 > /dev/null 2>&1 &
	p=$!
	echo $p >> $T/ns-pids
	wait_for 5 ns_ready $p
	eval "$1=$p"
}
ns_ready() { [ "$(readlink /proc/$1/ns/net)" != "$(readlink /proc/self/ns/net)" ]; }
in_ns() { p=$1; shift; nsenter -t "$p" -n "$@"; }

ns_addr() { # ns_addr PID IF ADDR MTU
	in_ns "$1" ip link set lo up
	[ -n "$4" ] && in_ns "$1" ip link set "$2" mtu "$4"
	in_ns "$1" ip addr add "$3/24" dev "$2" && in_ns "$1" ip link set "$2" up
}

ping_ok() { in_ns "$1" ping -c 1 -W 1 "$2" > /dev/null 2>&1; }

# net_path PATH IF_A IF_B MTU SERVER: set up one path and add it to
# $T/net-paths; on failure, the reason is in $T/why.
path_fail() { echo "$*" > $T/why; return 1; }
net_path() {
	n=$(grep -c . $T/net-paths)
	AA=192.0.2.$((n * 10 + 1)) AB=192.0.2.$((n * 10 + 2))
	ns_hold NSA
	ns_hold NSB
	ip link set "$2" netns "$NSA" || path_fail "cannot move $2 into a namespace" || return
	ip link set "$3" netns "$NSB" || path_fail "cannot move $3 into a namespace" || return
	{ ns_addr "$NSA" "$2" "$AA" "$4" && ns_addr "$NSB" "$3" "$AB" "$4"; } ||
		path_fail "cannot configure $2/$3" || return
	wait_for 15 ping_ok "$NSA" "$AB" ||
		path_fail "no ping from $2 ($AA) to $3 ($AB) in 15 s" || return
	in_ns "$NSB" iperf3 -s -B "$AB" -p 5201 > $T/iperf3-s-$1.log 2>&1 &
	echo $! >> $T/ns-pids
	in_ns "$NSB" tcprr -s -p 5299 > /dev/null 2>&1 &
	echo $! >> $T/ns-pids
	mtu=$(in_ns "$NSA" ip link show "$2" | awk '{ for (i = 1; i < NF; i++) if ($i == "mtu") { print $(i + 1); exit } }')
	echo "$1 $NSA $NSB $AB $5" >> $T/net-paths
	say "net path=$1 a=$2 b=$3 addr_a=$AA addr_b=$AB mtu=$mtu"
}

net_absent() { # net_absent PATH STATUS WHY
	p=$1 s=$2
	shift 2
	say "net path=$p status=$s why=$*"
}

setup_veth() {
	before=$(ls /sys/class/net)
	ip link add vbveth0 type veth peer name vbveth1 || { net_absent veth failed "cannot create a veth pair"; return; }
	# busybox ip ignores the peer name: find the new link and rename it.
	for i in $(ls /sys/class/net); do
		case " $(echo $before) vbveth0 vbveth1 " in *" $i "*) ;; *) ip link set "$i" name vbveth1 ;; esac
	done
	net_path veth vbveth0 vbveth1 "$1" - || net_absent veth failed "$(cat $T/why)"
}

# setup_vdused_net PATH VDPA_A IF_B|VDPA_B: a vdused path; the far end is
# a tap interface of the guest (tap) or another vdpa device (cable).  A
# device vdused did not create is "absent"; one it created that gives no
# working interface is "failed".
net_iface() { # net_iface VDPA: print its interface or say why not
	if [ ! -e "$VDPA/devices/$1" ]; then
		net_absent "$PATH_NAME" absent "vdused created no vdpa device $1: $(vdused_said "$1")"
		return 1
	fi
	wait_for 10 vdpa_net "$1" > /dev/null ||
		{ net_absent "$PATH_NAME" failed "vdpa device $1 has no network interface after 10 s"; return 1; }
	IFACE=$(vdpa_net "$1")
}

setup_vdused_net() {
	PATH_NAME=$1
	[ -n "$2" ] || { net_absent "$1" absent "the device table has no $1 device"; return; }
	net_iface "$2" || return
	ia=$IFACE
	if [ "$1" = cable ]; then
		net_iface "$3" || return
		ib=$IFACE
	else
		ib=$3
		wait_for 10 test -e "/sys/class/net/$ib" ||
			{ net_absent "$1" failed "no tap interface $ib in the guest"; return; }
	fi
	net_path "$1" "$ia" "$ib" "" vdused || net_absent "$1" failed "$(cat $T/why)"
}

net_measure() { # net_measure TEST REP PATH NSA NSB ADDR_B SERVER
	pid=$(server_pid "$7")
	c0=$(cpu_ticks "$pid")
	b0=$(busy_ticks)
	if [ "$1" = tcp ]; then
		out=$(in_ns "$4" iperf3 -c "$6" -p 5201 -t "$NET_RUNTIME" -f m < /dev/null 2>&1)
		v=$(echo "$out" | awk '/receiver/ { for (i = 2; i <= NF; i++) if ($i == "Mbits/sec") print $(i - 1) }')
		unit=Mbit/s
	else
		out=$(in_ns "$4" tcprr -c "$6" -p 5299 -t "$NET_RUNTIME" < /dev/null 2>&1)
		v=$(echo "$out" | awk '$1 == "transactions" { print $6 }')
		unit=trans/s
	fi
	b1=$(busy_ticks)
	c1=$(cpu_ticks "$pid")
	if [ -z "$v" ]; then
		say "netrun path=$3 test=$1 rep=$2 status=failed why=$(echo "$out" | tail -1)"
	else
		say "netrun path=$3 test=$1 rep=$2 value=$v unit=$unit srv_ticks=$((c1 - c0)) busy_ticks=$((b1 - b0))"
	fi
}

run_net() {
	: > $T/net-paths
	: > $T/ns-pids
	# The cable's MTU (the board's table) for the veth pair too, so the
	# two carry the same frames; the report shows every path's MTU.
	mtu=
	[ -n "$NET_CABLE_A" ] && i=$(vdpa_net "$NET_CABLE_A") && mtu=$(cat /sys/class/net/"$i"/mtu)
	setup_veth "$mtu"
	setup_vdused_net cable "$NET_CABLE_A" "$NET_CABLE_B"
	setup_vdused_net tap "$NET_TAP_DEV" "$NET_TAP_IF"
	sleep 1
	for t in tcp rr; do
		rep=1
		while [ $rep -le "$NET_REPS" ]; do
			while read -r path a b addr srv; do
				net_measure $t $rep "$path" "$a" "$b" "$addr" "$srv"
			done < $T/net-paths
			rep=$((rep + 1))
		done
	done
	# Give the interfaces back before the namespaces go.
	while read -r path a b addr srv; do
		for ns in $a $b; do
			for i in $(in_ns $ns ip link show | awk -F': ' '/^[0-9]+:/ { sub(/@.*/, "", $2); print $2 }'); do
				[ "$i" = lo ] || in_ns $ns ip link set "$i" netns 1 2>/dev/null
			done
		done
	done < $T/net-paths
	for p in $(cat $T/ns-pids); do kill "$p" 2>/dev/null; done
	say "phase elapsed=$(elapsed) name=net"
}

# vdused's memory: status totals, and resident KiB per mapping name.
report_mem() {
	pid=$(vdused_ready_pid)
	[ -n "$pid" ] || { say "mem status=failed why=vdused not running"; return; }
	say "mem pid=$pid $(awk '/^(VmRSS|VmHWM|RssAnon|RssFile|RssShmem):/ {
		printf "%s=%s ", $1, $2 }' /proc/$pid/status | tr -d :)"
	awk '/^[0-9a-f]+-[0-9a-f]+ / { name = (NF >= 6) ? $6 : "[anon]"; for (i = 7; i <= NF; i++) name = name " " $i }
		/^Rss:/ { rss[name] += $2 }
		END { for (n in rss) if (rss[n] > 0) printf "vdfw-bench: smaps rss_kib=%d name=%s\n", rss[n], n }' \
		/proc/$pid/smaps
}

cleanup() {
	for n in qnull qfile bsim; do
		[ -e $VDPA/devices/$n ] && vdpa dev del $n 2>/dev/null
	done
	[ -s $T/qsd.pid ] && kill "$(cat $T/qsd.pid)" 2>/dev/null
}

NCPU=$(grep -c ^processor /proc/cpuinfo)
say "start mode=$MODE kernel=$(uname -r) kversion=$(uname -v | tr ' ' _) cpus=$NCPU" \
	"mem_kib=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) runtime=$RUNTIME reps=$REPS net_runtime=$NET_RUNTIME"
say "cmdline text=$(cat /proc/cmdline)"
wait_for 60 test -e "$RUN_DIR/ready" || say "warning why=vdused not ready after 60 s"

setup_vdused vdused-null bnull
setup_qsd
setup_sim
setup_kernel_blk null_blk /dev/nullb0
setup_kernel_blk brd /dev/ram0
setup_vdused vdused-ram bram
setup_vdused vdused-file bfile
say "phase elapsed=$(elapsed) name=setup"

run_blk
run_net
report_mem
cleanup
say "done elapsed=$(elapsed)"
