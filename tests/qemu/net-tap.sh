# timeout: 600
# net2 on a tap: the guest interface in namespace A, the tap's end
# (vdfwtap2) in namespace C.  Ping both ways and a TCP transfer across.
. /usr/lib/vdfw-tests/lib.sh
need_devices blk0
g_if=$(netif_of net2)
[ -n "$g_if" ] || fail "net2 has no interface"
[ -d /sys/class/net/vdfwtap2 ] || fail "no tap vdfwtap2"
A=$(ns_new)
C=$(ns_new)
# A tap dies with its namespace: bring it home first, for later users.
trap 'in_ns $C ip link set vdfwtap2 netns 1 2>/dev/null; kill $A $C 2>/dev/null' EXIT
ns_addif $A $g_if 192.0.2.11 || fail "cannot set up $g_if"
ns_addif $C vdfwtap2 192.0.2.12 || fail "cannot set up vdfwtap2"
wait_for 10 has_carrier $A $g_if || fail "$g_if has no carrier with the tap up"
in_ns $A ping -c 3 -W 5 192.0.2.12 || fail "ping guest -> tap failed"
in_ns $C ping -c 3 -W 5 192.0.2.11 || fail "ping tap -> guest failed"
dd if=/dev/urandom of=/tmp/tap.data bs=1M count=32 2>/dev/null
want=$(sha256sum < /tmp/tap.data | cut -d' ' -f1)
[ "$(tcp_send $A $C 192.0.2.12 5004 /tmp/tap.data)" = "$want" ] || fail "TCP guest -> tap arrived damaged"
[ "$(tcp_send $C $A 192.0.2.11 5005 /tmp/tap.data)" = "$want" ] || fail "TCP tap -> guest arrived damaged"
# Taking the tap down is the host pulling the cable: NO-CARRIER in the guest.
in_ns $C ip link set vdfwtap2 down
wait_for 10 no_carrier $A $g_if || fail "$g_if keeps its carrier with the tap down"
in_ns $C ip link set vdfwtap2 up
wait_for 10 has_carrier $A $g_if || fail "$g_if did not get its carrier back"
in_ns $A ping -c 2 -W 5 192.0.2.12 >/dev/null || fail "no traffic after the tap came back"
rm -f /tmp/tap.data /tmp/tcp.recv

# The tap vanishing: the device keeps running with the link down, vdused
# lives on, and SIGHUP brings the tap back.
pid=$(vdused_pid)
in_ns $C ip link del vdfwtap2 || fail "cannot delete the tap"
wait_for 10 no_carrier $A $g_if || fail "$g_if keeps its carrier after the tap was deleted"
grep -q "net2: tap vdfwtap2 was deleted" $VDUSED_LOG || fail "vdused did not notice the tap going away"
in_ns $A ping -c 1 -W 2 192.0.2.12 >/dev/null 2>&1
[ "$(vdused_pid)" = "$pid" ] || fail "vdused died when the tap vanished"
kill -HUP "$pid"
wait_for 10 test -d /sys/class/net/vdfwtap2 || fail "SIGHUP did not create the tap again"
ns_addif $C vdfwtap2 192.0.2.12 || fail "cannot set up the new tap"
wait_for 10 has_carrier $A $g_if || fail "$g_if has no carrier with the new tap"
wait_for 10 pings $A 192.0.2.12 || fail "no traffic through the new tap"
