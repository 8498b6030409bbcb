# boot: persist-write
# First of two boots: blk1's backing file lives on an ext4 disk that QEMU
# passes in (mounted from /etc/fstab before vdused starts).  Write through
# /dev/vdX and have each write acknowledged by a FLUSH (fsync of the
# device): O_DIRECT data, then buffered data.  Then an O_DIRECT write no
# FLUSH covers, followed by a SIGTERM of vdused (whose shutdown syncs the
# backing file), and after the restart one more unflushed write.  This boot ends in a crash (vdfw.crash: no
# sync, vdused not stopped); the next boot checks that every flushed
# write is on the disk, and that the unflushed one is not, which proves
# the crash really drops what was not flushed, so that the write before
# the SIGTERM is there because of vdused's shutdown.
. /usr/lib/vdfw-tests/lib.sh
need_devices blk1
[ "$(cat /proc/sys/vm/dirty_writeback_centisecs)" = 0 ] ||
	fail "the guest's periodic writeback is on: unflushed data may reach the disk before the crash"
grep -q '^/dev/vda /var/lib/vdfw ext4' /proc/mounts || fail "the QEMU disk is not mounted on /var/lib/vdfw"
dev=$(blkdev_by_serial blk1)
pattern 31337 4194304 > /tmp/p.pat
dd if=/tmp/p.pat of=$dev bs=64k seek=16 oflag=direct 2>/dev/null || fail "write to $dev failed"
sync $dev || fail "fsync of $dev failed"
pattern 4711 65536 | dd of=$dev bs=64k seek=300 conv=notrunc 2>/dev/null || fail "buffered write failed"
sync $dev || fail "fsync of $dev failed"
[ "$(sha_range $dev 64k 16 64)" = "$(sha256sum < /tmp/p.pat | cut -d' ' -f1)" ] || fail "readback differs before the crash"
# Not flushed by the driver, but vdused is then stopped with SIGTERM: its
# shutdown syncs the file backend, so this write must survive the crash.
pattern 1618 1048576 | dd of=$dev bs=64k seek=400 oflag=direct 2>/dev/null || fail "the write before SIGTERM failed"
old=$(vdused_pid)
vdused_kill 15
vdused_restarted "$old" || fail "vdused not restarted and ready after SIGTERM"
need_devices blk1
dev=$(blkdev_by_serial blk1)
# Not flushed: vdused has it in the guest's page cache of blk1.img only.
pattern 2718 1048576 | dd of=$dev bs=64k seek=200 oflag=direct 2>/dev/null || fail "the unflushed write failed"
[ "$(sha_range $dev 64k 200 16)" = "$(pattern 2718 1048576 | sha256sum | cut -d' ' -f1)" ] || fail "the unflushed write does not read back"
