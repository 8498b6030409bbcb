# timeout: 600
# Link status: vdfw-link takes net0's link down: both ends show NO-CARRIER
# and a running TCP transfer stops; link up resumes it and the data
# arrives intact.
. /usr/lib/vdfw-tests/lib.sh
need_devices blk0
cable_ns 192.0.2.1 192.0.2.2
trap 'kill $A $B 2>/dev/null; vdfw-link net0 up' EXIT
in_ns $A ping -c 2 -W 5 192.0.2.2 >/dev/null || fail "no connectivity before the test"

dd if=/dev/urandom of=/tmp/link.data bs=1M count=48 2>/dev/null
want=$(sha256sum < /tmp/link.data | cut -d' ' -f1)
total=$(stat -c %s /tmp/link.data)
tcp_send $A $B 192.0.2.2 5003 /tmp/link.data /tmp/link.recv > /tmp/link.sha &
xfer=$!
wait_for 60 file_bigger /tmp/link.recv 1048576 || fail "the transfer did not start"

vdfw-link net0 down || fail "vdfw-link failed"
# The transfer must span the link-down, or nothing below is shown.
s0=$(stat -c %s /tmp/link.recv)
[ "$s0" -lt "$total" ] || fail "the transfer was complete before the link went down"
wait_for 10 no_carrier $A $a_if || fail "$a_if does not show NO-CARRIER"
wait_for 10 no_carrier $B $b_if || fail "the cable's other end $b_if keeps its carrier"
grep -q "net0: link down (requested)" $VDUSED_LOG || fail "vdused did not log the link change"
sleep 2
s1=$(stat -c %s /tmp/link.recv)
sleep 3
s2=$(stat -c %s /tmp/link.recv)
[ "$s1" = "$s2" ] || fail "data kept arriving with the link down ($s1 -> $s2 bytes)"
[ "$s2" -lt "$total" ] || fail "the transfer ended while the link was down"
in_ns $A ping -c 1 -W 2 192.0.2.2 >/dev/null && fail "ping passes with the link down"
[ "$(vdused_counter net0 link)" = 0 ] || fail "vdused reports net0's link up"

vdfw-link net0 up
wait_for 10 has_carrier $A $a_if || fail "$a_if did not get its carrier back"
wait $xfer
[ "$(cat /tmp/link.sha)" = "$want" ] || fail "the transfer did not resume and complete intact ($(stat -c %s /tmp/link.recv) bytes)"
rm -f /tmp/link.data /tmp/link.recv
