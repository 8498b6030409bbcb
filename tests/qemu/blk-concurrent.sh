# timeout: 300
# Both devices carry I/O at the same time, and each keeps its own data.
. /usr/lib/vdfw-tests/lib.sh
need_devices blk0 blk1
vda=$(blkdev_by_serial blk0)
vdb=$(blkdev_by_serial blk1)
pattern 1 16777216 > /tmp/c.pat
want=$(sha256sum < /tmp/c.pat | cut -d' ' -f1)
(dd if=/tmp/c.pat of=$vda bs=256k oflag=direct 2>/dev/null; sha_range $vda 256k 0 64 > /tmp/c.a) &
a=$!
(dd if=/tmp/c.pat of=$vdb bs=256k oflag=direct 2>/dev/null; sha_range $vdb 256k 0 64 > /tmp/c.b) &
b=$!
(i=0; while [ $i -lt 200 ]; do dd if=$vda of=/dev/null bs=4k count=1 skip=$((i * 37 % 4096)) iflag=direct 2>/dev/null; i=$((i + 1)); done) &
c=$!
wait $a $b $c
[ "$(cat /tmp/c.a)" = "$want" ] || fail "$vda data differs after concurrent I/O"
[ "$(cat /tmp/c.b)" = "$want" ] || fail "$vdb data differs after concurrent I/O"
