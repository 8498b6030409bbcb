# The table's block devices appear as /dev/vdX through the kernel's own
# virtio-blk driver, with the configured size, block size and queues.
. /usr/lib/vdfw-tests/lib.sh
need_devices blk0 blk1
[ "$(blkdev_by_serial blk0)" = /dev/vda ] || fail "blk0 is $(blkdev_by_serial blk0), expected /dev/vda"
[ "$(blkdev_by_serial blk1)" = /dev/vdb ] || fail "blk1 is $(blkdev_by_serial blk1), expected /dev/vdb"
check() { # check DEV ATTR VALUE
	v=$(cat /sys/block/$1/$2)
	[ "$v" = "$3" ] || fail "/sys/block/$1/$2 is $v, expected $3"
}
check vda size $((64 * 1024 * 1024 / 512))
check vdb size $((32 * 1024 * 1024 / 512))
check vda queue/logical_block_size 512
check vdb queue/logical_block_size 4096
check vdb queue/physical_block_size 4096
check vda ro 0
[ "$(ls /sys/block/vda/mq | wc -l)" = 2 ] || fail "/sys/block/vda/mq has $(ls /sys/block/vda/mq | wc -l) queues, expected 2"
[ "$(ls /sys/block/vdb/mq | wc -l)" = 1 ] || fail "/sys/block/vdb/mq has $(ls /sys/block/vdb/mq | wc -l) queues, expected 1"
[ "$(cat /sys/bus/vdpa/devices/blk0/driver/../../drivers/virtio_vdpa/blk0 2>/dev/null; readlink /sys/bus/vdpa/devices/blk0/driver)" != "" ] || fail "blk0 is not bound"
case $(readlink /sys/bus/vdpa/devices/blk0/driver) in */virtio_vdpa) ;; *) fail "blk0 bound to $(readlink /sys/bus/vdpa/devices/blk0/driver)" ;; esac
grep -q "blk0: attached to virtio_vdpa" $VDUSED_LOG || fail "no attach line for blk0 in the log"
grep -q "blk1: created: blk" $VDUSED_LOG || fail "no create line for blk1 in the log"
