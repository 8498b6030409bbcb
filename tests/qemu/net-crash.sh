# timeout: 600
# order: 97
# kill -9 vdused in the middle of TCP transfers: across the cable (net0
# <-> net1) the transfer goes on once the new vdused resumes the queues,
# and arrives with the same sha256.  Across the tap (net2) the old tap
# dies with its fd; the new vdused makes it again, we put it back into
# its namespace with the same address, and TCP's retransmissions carry
# the transfer through, intact.
. /usr/lib/vdfw-tests/lib.sh
need_devices blk0
cable_ns 192.0.2.21 192.0.2.22
g_if=$(netif_of net2)
[ -n "$g_if" ] || fail "net2 has no interface"
G=$(ns_new)
C=$(ns_new)
trap 'in_ns $C ip link set vdfwtap2 netns 1 2>/dev/null; kill $A $B $G $C 2>/dev/null' EXIT
ns_addif $G $g_if 192.0.2.23 && ns_addif $C vdfwtap2 192.0.2.24 || fail "tap namespace setup failed"
wait_for 20 pings $A 192.0.2.22 || fail "no traffic across the cable before the test"
wait_for 20 pings $G 192.0.2.24 || fail "no traffic across the tap before the test"
dd if=/dev/urandom of=/tmp/ncrash.data bs=1M count=32 2>/dev/null
want=$(sha256sum < /tmp/ncrash.data | cut -d' ' -f1)

# kill_during OUT: kill -9 vdused while OUT is still growing.
kill_during() {
	wait_for 60 file_bigger "$1" 1048576 || fail "the transfer did not start"
	s0=$(stat -c %s "$1")
	old=$(vdused_pid)
	vdused_kill 9 || fail "no vdused to kill"
	vdused_restarted "$old" || fail "vdused not restarted and ready"
	[ "$s0" -lt 33554432 ] || fail "the transfer was over before the kill"
}

tcp_send $A $B 192.0.2.22 5011 /tmp/ncrash.data /tmp/ncrash.a > /tmp/ncrash.sha &
x=$!
kill_during /tmp/ncrash.a
wait $x
[ "$(cat /tmp/ncrash.sha)" = "$want" ] ||
	fail "across the cable: $(stat -c %s /tmp/ncrash.a) bytes arrived with another sha256"
echo "cable: 32 MiB intact across a kill -9"

# The kill took the tap with it (its fd was the old vdused's): the new
# vdused made a new one in the first namespace; put it back.
tap_back() {
	wait_for 20 test -d /sys/class/net/vdfwtap2 || fail "the new vdused made no tap"
	ns_addif $C vdfwtap2 192.0.2.24 || fail "cannot put the new tap back"
	wait_for 20 has_carrier $G $g_if || fail "$g_if has no carrier with the new tap"
}
tap_back
wait_for 20 pings $G 192.0.2.24 || fail "no traffic across the new tap"

tcp_send $G $C 192.0.2.24 5012 /tmp/ncrash.data /tmp/ncrash.c > /tmp/ncrash.sha &
x=$!
kill_during /tmp/ncrash.c
tap_back
wait $x
[ "$(cat /tmp/ncrash.sha)" = "$want" ] ||
	fail "across the tap: $(stat -c %s /tmp/ncrash.c) bytes arrived with another sha256"
echo "tap: 32 MiB intact across a kill -9, tap re-attached"
rm -f /tmp/ncrash.*
