# Reading past the end through the kernel's driver fails cleanly: no
# data, no hang, no I/O error, and the device keeps working.  The block
# layer answers these itself; blk-limits sends them to vdused directly.
. /usr/lib/vdfw-tests/lib.sh
need_devices blk0
dev=$(blkdev_by_serial blk0)
sectors=$(cat /sys/block/${dev#/dev/}/size)
n=$(dd if=$dev bs=512 skip=$sectors count=8 iflag=direct 2>/dev/null | wc -c)
[ "$n" = 0 ] || fail "read at the end returned $n bytes"
n=$(dd if=$dev bs=512 skip=$((sectors + 1000)) count=1 2>/dev/null | wc -c)
[ "$n" = 0 ] || fail "read past the end returned $n bytes"
# Straddling the end: only the in-range part comes back.
n=$(dd if=$dev bs=4096 skip=$((sectors / 8 - 1)) count=4 iflag=direct 2>/dev/null | wc -c)
[ "$n" = 4096 ] || fail "read straddling the end returned $n bytes, expected 4096"
dmesg | grep -q "I/O error, dev ${dev#/dev/}" && fail "kernel logged an I/O error on $dev"
dd if=$dev of=/dev/null bs=4096 count=16 iflag=direct 2>/dev/null || fail "$dev stopped working"
