# timeout: 300
# Both devices carry I/O at the same time, and each keeps its own data:
# each gets a different pattern (a device that served the other's
# requests, or mixed the two, reads back wrong), while a reader on blk0
# checks every block it reads, status and content, against what was
# written there before.
. /usr/lib/vdfw-tests/lib.sh
need_devices blk0 blk1
vda=$(blkdev_by_serial blk0)
vdb=$(blkdev_by_serial blk1)
pattern 1 16777216 > /tmp/c.a.pat
pattern 2 16777216 > /tmp/c.b.pat
wa=$(sha256sum < /tmp/c.a.pat | cut -d' ' -f1)
wb=$(sha256sum < /tmp/c.b.pat | cut -d' ' -f1)
[ "$wa" != "$wb" ] || fail "the two patterns are the same"
# The reader's area, 4 MiB past the writers', and each 64 KiB's sha.
pattern 3 4194304 > /tmp/c.r.pat
dd if=/tmp/c.r.pat of=$vda bs=64k seek=512 oflag=direct 2>/dev/null || fail "writing the reader's area failed"
i=0
while [ $i -lt 64 ]; do
	dd if=/tmp/c.r.pat bs=64k skip=$i count=1 2>/dev/null | sha256sum | cut -d' ' -f1
	i=$((i + 1))
done > /tmp/c.r.sha
rm -f /tmp/c.*.err
(dd if=/tmp/c.a.pat of=$vda bs=256k oflag=direct 2>/dev/null || echo "write $vda failed" > /tmp/c.a.err
 sha_range $vda 256k 0 64 > /tmp/c.a) &
a=$!
(dd if=/tmp/c.b.pat of=$vdb bs=256k oflag=direct 2>/dev/null || echo "write $vdb failed" > /tmp/c.b.err
 sha_range $vdb 256k 0 64 > /tmp/c.b) &
b=$!
(i=0; while [ $i -lt 200 ]; do
	k=$((i * 37 % 64))
	got=$(dd if=$vda bs=64k skip=$((512 + k)) count=1 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
	[ "$got" = "$(sed -n "$((k + 1))p" /tmp/c.r.sha)" ] || { echo "read $i (block $k) wrong" > /tmp/c.r.err; break; }
	i=$((i + 1))
done) &
c=$!
wait $a $b $c
[ -e /tmp/c.a.err ] && fail "$(cat /tmp/c.a.err)"
[ -e /tmp/c.b.err ] && fail "$(cat /tmp/c.b.err)"
[ -e /tmp/c.r.err ] && fail "concurrent reader on $vda: $(cat /tmp/c.r.err)"
[ "$(cat /tmp/c.a)" = "$wa" ] || fail "$vda data differs after concurrent I/O"
[ "$(cat /tmp/c.b)" = "$wb" ] || fail "$vdb data differs after concurrent I/O"
