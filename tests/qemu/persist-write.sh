# boot: persist-write
# First of two boots: blk1's backing file lives on an ext4 disk that QEMU
# passes in (mounted from /etc/fstab before vdused starts).  Write through
# /dev/vdX and have each write acknowledged by a FLUSH (fsync of the
# device): O_DIRECT data, then buffered data.  Then one more O_DIRECT
# write that no FLUSH covers.  This boot ends in a crash (vdfw.crash: no
# sync, vdused not stopped); the next boot checks that every flushed
# write is on the disk, and that the unflushed one is not, which proves
# the crash really drops what was not flushed.
. /usr/lib/vdfw-tests/lib.sh
need_devices blk1
grep -q '^/dev/vda /var/lib/vdfw ext4' /proc/mounts || fail "the QEMU disk is not mounted on /var/lib/vdfw"
dev=$(blkdev_by_serial blk1)
pattern 31337 4194304 > /tmp/p.pat
dd if=/tmp/p.pat of=$dev bs=64k seek=16 oflag=direct 2>/dev/null || fail "write to $dev failed"
sync $dev || fail "fsync of $dev failed"
pattern 4711 65536 | dd of=$dev bs=64k seek=300 conv=notrunc 2>/dev/null || fail "buffered write failed"
sync $dev || fail "fsync of $dev failed"
[ "$(sha_range $dev 64k 16 64)" = "$(sha256sum < /tmp/p.pat | cut -d' ' -f1)" ] || fail "readback differs before the crash"
# Not flushed: vdused has it in the guest's page cache of blk1.img only.
pattern 2718 1048576 | dd of=$dev bs=64k seek=200 oflag=direct 2>/dev/null || fail "the unflushed write failed"
[ "$(sha_range $dev 64k 200 16)" = "$(pattern 2718 1048576 | sha256sum | cut -d' ' -f1)" ] || fail "the unflushed write does not read back"
