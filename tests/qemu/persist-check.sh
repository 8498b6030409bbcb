# boot: persist-check
# Second boot on the same QEMU disk: blk1 serves the same backing file
# (opened, not created) and the data written by the first boot is there.
. /usr/lib/vdfw-tests/lib.sh
need_devices blk1
dev=$(blkdev_by_serial blk1)
grep -q "blk1: file: created" $VDUSED_LOG && fail "the backing file was created anew: the first boot's file is gone"
[ "$(sha_range $dev 64k 16 64)" = "$(pattern 31337 4194304 | sha256sum | cut -d' ' -f1)" ] ||
	fail "the O_DIRECT data written before the reboot is not there"
[ "$(sha_range $dev 64k 300 1)" = "$(pattern 4711 65536 | sha256sum | cut -d' ' -f1)" ] ||
	fail "the buffered, fsync'd data written before the reboot is not there"
