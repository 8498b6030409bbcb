# The read-only device (blk2 of the test table) is read-only for the
# kernel and rejects writes; reads work.  The kernel refuses the writes
# itself, from VIRTIO_BLK_F_RO; blk-limits checks that vdused refuses
# them too, on a vhost device no block layer guards.
. /usr/lib/vdfw-tests/lib.sh
need_devices blk2
dev=$(blkdev_by_serial blk2)
[ "$(cat /sys/block/${dev#/dev/}/ro)" = 1 ] || fail "$dev is not read-only in sysfs"
dd if=$dev of=/dev/null bs=4096 count=16 iflag=direct 2>/dev/null || fail "reading $dev failed"
if echo data | dd of=$dev bs=512 count=1 oflag=direct conv=sync 2>/dev/null; then
	fail "a write to read-only $dev succeeded"
fi
blockdev --setrw $dev 2>/dev/null
if echo data | dd of=$dev bs=512 count=1 oflag=direct conv=sync 2>/dev/null; then
	fail "a write to read-only $dev succeeded after blockdev --setrw"
fi
[ "$(vdused_counter blk2 write_bytes)" = 0 ] || fail "blk2 accepted write data"
