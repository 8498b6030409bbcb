# boot: persist-check
# Second boot on the same QEMU disk, after the first one crashed: blk1
# serves the same backing file (opened, not created), every write a FLUSH
# acknowledged before the crash is there, so is the write vdused's
# SIGTERM shutdown synced, and the write nothing covered is not (or the
# crash dropped nothing, and the checks above prove nothing).
. /usr/lib/vdfw-tests/lib.sh
need_devices blk1
dev=$(blkdev_by_serial blk1)
grep -q "blk1: file: created" $VDUSED_LOG && fail "the backing file was created anew: the first boot's file is gone"
[ "$(sha_range $dev 64k 16 64)" = "$(pattern 31337 4194304 | sha256sum | cut -d' ' -f1)" ] ||
	fail "the O_DIRECT data flushed before the crash is not there"
[ "$(sha_range $dev 64k 300 1)" = "$(pattern 4711 65536 | sha256sum | cut -d' ' -f1)" ] ||
	fail "the buffered, fsync'd data written before the crash is not there"
[ "$(sha_range $dev 64k 400 16)" = "$(pattern 1618 1048576 | sha256sum | cut -d' ' -f1)" ] ||
	fail "the write made before vdused's SIGTERM is not there: its shutdown did not sync the file"
[ "$(sha_range $dev 64k 200 16)" != "$(pattern 2718 1048576 | sha256sum | cut -d' ' -f1)" ] ||
	fail "the unflushed write survived the crash: the crash dropped nothing, so this test proves nothing"
