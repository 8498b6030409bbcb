# A sync of /dev/vdb reaches vdused as a FLUSH (its counter rises) and
# the buffered writes before it are in the backing file.  The file is read
# through the guest's page cache, the one vdused writes into, so this
# shows where the data went, not that it is durable: persist-write and
# persist-check crash the guest after a FLUSH and look on the disk.
. /usr/lib/vdfw-tests/lib.sh
need_devices blk1
dev=$(blkdev_by_serial blk1)
img=/var/lib/vdfw/blk1.img
flushes=$(vdused_counter blk1 flush) || fail "no counters for blk1"
pattern 4242 1048576 > /tmp/sync.pat
dd if=/tmp/sync.pat of=$dev bs=65536 seek=100 conv=notrunc 2>/dev/null || fail "write failed"
sync "$dev" || fail "fsync of $dev failed"
want=$(sha256sum < /tmp/sync.pat | cut -d' ' -f1)
got=$(dd if=$img bs=65536 skip=100 count=16 2>/dev/null | sha256sum | cut -d' ' -f1)
[ "$want" = "$got" ] || fail "backing file does not hold the data after sync"
after=$(vdused_counter blk1 flush)
[ "$after" -gt "$flushes" ] || fail "no FLUSH reached blk1 (flush counter $flushes -> $after)"
