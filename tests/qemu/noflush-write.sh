# boot: noflush-write
# The converse of persist-write, which makes it meaningful: the same
# flushed writes to blk1, on the same QEMU disk, but this boot's vdused is
# the test build whose FLUSH does nothing.  The boot crashes as
# persist-write's does; noflush-check must then find the writes lost, so
# what persist-check finds is there because of FLUSH.
. /usr/lib/vdfw-tests/lib.sh
need_devices blk1
[ "$(cat /proc/sys/vm/dirty_writeback_centisecs)" = 0 ] ||
	fail "the guest's periodic writeback is on: unflushed data may reach the disk before the crash"
grep -q "blk1: file: test build: FLUSH does nothing" $VDUSED_LOG ||
	fail "this boot's vdused is not the test build without FLUSH"
grep -q '^/dev/vda /var/lib/vdfw ext4' /proc/mounts || fail "the QEMU disk is not mounted on /var/lib/vdfw"
dev=$(blkdev_by_serial blk1)
pattern 8088 4194304 > /tmp/p.pat
dd if=/tmp/p.pat of=$dev bs=64k seek=16 oflag=direct 2>/dev/null || fail "write to $dev failed"
sync $dev || fail "fsync of $dev failed"
pattern 6502 65536 | dd of=$dev bs=64k seek=300 conv=notrunc 2>/dev/null || fail "buffered write failed"
sync $dev || fail "fsync of $dev failed"
[ "$(sha_range $dev 64k 16 64)" = "$(sha256sum < /tmp/p.pat | cut -d' ' -f1)" ] || fail "readback differs before the crash"
