# timeout: 120
# order: 61
# vdused's own range and read-only checks, where no kernel block layer
# answers first: through /dev/vhost-vdpa-N (tests/tools/vhost-blk), reads
# and writes beyond the capacity, straddling its end or with a sector
# number that overflows come back IOERR from blk3; on blk4, read-only on
# the vhost bus, writes come back IOERR and change nothing.
. /usr/lib/vdfw-tests/lib.sh
wait_for 30 vdused_ready || fail "vdused not ready"
vhost_of() { # the /dev/vhost-vdpa-N of vdpa device $1
	v=$(ls -d /sys/bus/vdpa/devices/$1/vhost-vdpa-* 2>/dev/null | head -1)
	[ -n "$v" ] && [ -c /dev/${v##*/} ] && echo /dev/${v##*/}
}
d3=$(vhost_of blk3) || fail "no /dev/vhost-vdpa-N for blk3"
d4=$(vhost_of blk4) || fail "no /dev/vhost-vdpa-N for blk4"
pid=$(vdused_pid)
vhost-blk $d3 limits > /tmp/limits3.log 2>&1 || { cat /tmp/limits3.log; fail "blk3: $(tail -1 /tmp/limits3.log)"; }
grep -q "limits ok (the device is writable)" /tmp/limits3.log || fail "blk3 is not a writable device"
w4=$(vdused_counter blk4 write_bytes)
vhost-blk $d4 limits > /tmp/limits4.log 2>&1 || { cat /tmp/limits4.log; fail "blk4: $(tail -1 /tmp/limits4.log)"; }
grep -q "limits ok (read-only: writes refused, data unchanged)" /tmp/limits4.log ||
	fail "blk4 does not offer VIRTIO_BLK_F_RO"
[ "$(vdused_counter blk4 write_bytes)" = "$w4" ] || fail "read-only blk4 counted written bytes"
[ "$(vdused_pid)" = "$pid" ] || fail "vdused restarted"
