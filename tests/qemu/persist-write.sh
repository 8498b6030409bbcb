# boot: persist-write
# First of two boots: blk1's backing file lives on an ext4 disk that QEMU
# passes in (mounted from /etc/fstab before vdused starts).  Write a
# pattern through /dev/vdX; the next boot reads it back.
. /usr/lib/vdfw-tests/lib.sh
need_devices blk1
grep -q '^/dev/vda /var/lib/vdfw ext4' /proc/mounts || fail "the QEMU disk is not mounted on /var/lib/vdfw"
dev=$(blkdev_by_serial blk1)
pattern 31337 4194304 > /tmp/p.pat
dd if=/tmp/p.pat of=$dev bs=64k seek=16 oflag=direct 2>/dev/null || fail "write to $dev failed"
pattern 4711 65536 | dd of=$dev bs=64k seek=300 conv=notrunc 2>/dev/null || fail "buffered write failed"
sync $dev
[ "$(sha_range $dev 64k 16 64)" = "$(sha256sum < /tmp/p.pat | cut -d' ' -f1)" ] || fail "readback differs before reboot"
