# timeout: 600
# net0 and net1, cabled together by vdused, each in a namespace of its
# own: ping both ways, then a 64 MiB TCP transfer (busybox nc) that must
# arrive with the same sha256, at MTU 1500 and again at MTU 9000.
. /usr/lib/vdfw-tests/lib.sh
need_devices blk0
cable_ns 192.0.2.1 192.0.2.2
wait_for 10 has_carrier $A $a_if || fail "$a_if has no carrier"
in_ns $A ping -c 3 -W 5 192.0.2.2 || fail "ping A -> B failed"
in_ns $B ping -c 3 -W 5 192.0.2.1 || fail "ping B -> A failed"

dd if=/dev/urandom of=/tmp/net64 bs=1M count=64 2>/dev/null || fail "cannot make the test data"
want=$(sha256sum < /tmp/net64 | cut -d' ' -f1)
for mtu in 1500 9000; do
	in_ns $A ip link set $a_if mtu $mtu && in_ns $B ip link set $b_if mtu $mtu || fail "cannot set MTU $mtu"
	in_ns $A ping -c 1 -W 5 -s $((mtu - 28)) 192.0.2.2 || fail "a full-size ($mtu) ping does not pass"
	got=$(tcp_send $A $B 192.0.2.2 5001 /tmp/net64) || fail "TCP transfer at MTU $mtu failed"
	[ "$got" = "$want" ] || fail "64 MiB at MTU $mtu arrived as $(wc -c < /tmp/tcp.recv) bytes with another sha256"
	got=$(tcp_send $B $A 192.0.2.1 5002 /tmp/net64) || fail "TCP transfer B -> A at MTU $mtu failed"
	[ "$got" = "$want" ] || fail "64 MiB B -> A at MTU $mtu arrived damaged"
done
rm -f /tmp/net64 /tmp/tcp.recv
