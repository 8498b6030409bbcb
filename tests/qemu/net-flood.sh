# timeout: 600
# order: 70
# A UDP flood the peer cannot absorb.  (1) The receiving interface is down,
# so its rx ring fills: vdused holds frames (ring-full counted) and the
# sender's kernel drops what does not fit.  (2) The receiving driver is
# unbound (device reset): vdused drops and counts every frame.  vdused
# survives both and traffic flows again afterwards.
. /usr/lib/vdfw-tests/lib.sh
need_devices blk0
cable_ns 192.0.2.1 192.0.2.2
in_ns $A ping -c 2 -W 5 192.0.2.2 >/dev/null || fail "no connectivity before the flood"
pid=$(vdused_pid)

full0=$(vdused_counter net1 rx_ring_full)
in_ns $B ip link set $b_if down
# A's neighbour entry for B is fresh from the ping: the flood goes out.
in_ns $A udpflood 192.0.2.2 9 20000 1400 || fail "udpflood failed"
full1=$(vdused_counter net1 rx_ring_full)
[ "$full1" -gt "$full0" ] || fail "no ring-full event counted with the receiver down ($full0 -> $full1)"
[ "$(vdused_pid)" = "$pid" ] || fail "vdused died under the flood"
in_ns $B ip link set $b_if up
wait_for 20 pings $A 192.0.2.2 || fail "no traffic after the receiver came back"

drop0=$(vdused_counter net0 tx_drop_peer_down)
vdev=$(basename $(dirname /sys/bus/vdpa/devices/net1/virtio*/net))
echo $vdev > /sys/bus/virtio/drivers/virtio_net/unbind || fail "cannot unbind net1's driver"
in_ns $A udpflood 192.0.2.2 9 5000 1400 || fail "udpflood failed"
drop1=$(vdused_counter net0 tx_drop_peer_down)
[ "$drop1" -gt "$drop0" ] || fail "frames to a reset peer were not counted as dropped ($drop0 -> $drop1)"
[ "$(vdused_pid)" = "$pid" ] || fail "vdused died under the flood"
echo $vdev > /sys/bus/virtio/drivers/virtio_net/bind || fail "cannot rebind net1's driver"
wait_for 10 sh -c "[ -n \"\$(ls /sys/bus/vdpa/devices/net1/virtio*/net/ 2>/dev/null)\" ]" || fail "net1 has no interface after rebind"
b_if=$(netif_of net1)
ns_addif $B $b_if 192.0.2.2 || fail "cannot set up the rebound $b_if"
wait_for 20 pings $A 192.0.2.2 || fail "no traffic after the peer came back"
