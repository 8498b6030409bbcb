# The table's network devices appear as interfaces of the kernel's
# virtio-net driver with the configured MACs and MTUs (board defconfig:
# net0 and net1 cabled with MTU 9000, net2 on a tap with MTU 1500; MACs
# derived from the names), next to the block devices.
. /usr/lib/vdfw-tests/lib.sh
need_devices blk0
for spec in net0:02:47:21:39:a6:f7:9000 net1:02:06:af:b8:d7:7c:9000 net2:02:d2:44:f3:d3:57:1500; do
	name=${spec%%:*}
	rest=${spec#*:}
	mac=${rest%:*}
	mtu=${rest##*:}
	wait_for 10 sh -c "[ -n \"\$(ls /sys/bus/vdpa/devices/$name/virtio*/net/ 2>/dev/null)\" ]" ||
		fail "$name has no network interface"
	ifc=$(netif_of $name)
	[ "$(cat /sys/class/net/$ifc/address)" = "$mac" ] || fail "$name ($ifc) has MAC $(cat /sys/class/net/$ifc/address), expected $mac"
	[ "$(cat /sys/class/net/$ifc/mtu)" = "$mtu" ] || fail "$name ($ifc) has MTU $(cat /sys/class/net/$ifc/mtu), expected $mtu"
	case $(readlink /sys/bus/vdpa/devices/$name/driver) in */virtio_vdpa) ;; *) fail "$name is not bound to virtio_vdpa" ;; esac
done
[ -d /sys/class/net/vdfwtap2 ] || fail "net2's tap vdfwtap2 does not exist"
grep -q "vdused: net0: attached to virtio_vdpa" $VDUSED_LOG || fail "no attach line for net0"
