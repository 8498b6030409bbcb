# timeout: 240
# order: 60
# The vhost bus: blk3 (test table) is bound to vhost_vdpa and a
# VMM-style userspace driver (tests/tools/vhost-blk) does block I/O on
# /dev/vhost-vdpa-N.  Then every kind of hostile ring: vdused must put
# only blk3 into NEEDS_RESET with the right reason, stay the same process,
# keep /dev/vda working, and bring blk3 back after a driver reset.
. /usr/lib/vdfw-tests/lib.sh
need_devices blk0
case $(readlink /sys/bus/vdpa/devices/blk3/driver) in
*/vhost_vdpa) ;;
*) fail "blk3 is bound to '$(readlink /sys/bus/vdpa/devices/blk3/driver)', not vhost_vdpa" ;;
esac
vh=$(ls -d /sys/bus/vdpa/devices/blk3/vhost-vdpa-* 2>/dev/null | head -1)
[ -n "$vh" ] && [ -c /dev/${vh##*/} ] || fail "no /dev/vhost-vdpa-N for blk3"
dev=/dev/${vh##*/}
vhost-blk $dev info || fail "vhost-blk info failed"
vhost-blk $dev rw 0 256 || fail "block I/O through $dev failed"
vhost-blk $dev rw 32000 768 || fail "block I/O at the end of blk3 failed"

pid=$(vdused_pid)
vda=$(blkdev_by_serial blk0)
for kind_reason in \
	"desc-index:descriptor 256 >= queue size" \
	"loop:longer than the queue size" \
	"nested-indirect:inside an indirect table" \
	"indirect-len:is not a non-zero multiple of 16" \
	"unmapped:is not mapped" \
	"write-before-read:device-readable after a writable one" \
	"avail-jump:ahead of last_avail" \
	"readonly-status:is not device-writable"; do
	kind=${kind_reason%%:*}
	reason=${kind_reason#*:}
	before=$(grep -c "blk3: NEEDS_RESET: .*$reason" $VDUSED_LOG)
	vhost-blk $dev hostile $kind || fail "hostile $kind: the tool failed (was the violation missed?)"
	wait_for 5 sh -c "[ \$(grep -c 'blk3: NEEDS_RESET: .*$reason' $VDUSED_LOG) -gt $before ]" ||
		fail "hostile $kind: no 'NEEDS_RESET: ...$reason' for blk3"
	[ "$(vdused_pid)" = "$pid" ] || fail "hostile $kind: vdused restarted (it crashed)"
	dd if=$vda of=/dev/null bs=4096 count=64 iflag=direct 2>/dev/null || fail "hostile $kind: /dev/vda stopped working"
done
grep "NEEDS_RESET" $VDUSED_LOG | grep -v "blk3:" && fail "another device went to NEEDS_RESET"
vhost-blk $dev reset-recover || fail "blk3 did not come back after a reset"
[ "$(vdused_pid)" = "$pid" ] || fail "vdused restarted"
