# boot: noflush-check
# After noflush-write's crash, with the normal vdused again: the writes
# that boot had acknowledged by a FLUSH that did nothing are gone.  Were
# they here, something other than FLUSH made data durable, and
# persist-check could not tell whether FLUSH works.
. /usr/lib/vdfw-tests/lib.sh
need_devices blk1
dev=$(blkdev_by_serial blk1)
grep -q "blk1: file: created" $VDUSED_LOG && fail "the backing file was created anew: the earlier boots' file is gone"
grep -q "FLUSH does nothing" $VDUSED_LOG && fail "this boot's vdused is the test build without FLUSH"
[ "$(sha_range $dev 64k 16 64)" != "$(pattern 8088 4194304 | sha256sum | cut -d' ' -f1)" ] ||
	fail "the O_DIRECT write 'flushed' by a no-op FLUSH survived the crash"
[ "$(sha_range $dev 64k 300 1)" != "$(pattern 6502 65536 | sha256sum | cut -d' ' -f1)" ] ||
	fail "the buffered write 'flushed' by a no-op FLUSH survived the crash"
