# timeout: 180
# blkdiscard and fstrim work.  On the ram backend a discard gives the
# memory back (vdused's RSS drops); on the file backend it punches holes
# in the backing file.
. /usr/lib/vdfw-tests/lib.sh
need_devices blk0 blk1
vda=$(blkdev_by_serial blk0)
vdb=$(blkdev_by_serial blk1)
[ "$(cat /sys/block/${vda#/dev/}/queue/discard_max_bytes)" != 0 ] || fail "$vda does not support discard"

dd if=/dev/urandom of=$vda bs=1M count=32 oflag=direct 2>/dev/null || fail "filling $vda failed"
before=$(vdused_rss_kib)
blkdiscard $vda || fail "blkdiscard $vda failed"
after=$(vdused_rss_kib)
[ $((before - after)) -gt 16384 ] || fail "vdused RSS went from $before to $after KiB after discarding 32 MiB of ram"

img=/var/lib/vdfw/blk1.img
dd if=/dev/urandom of=$vdb bs=1M count=8 oflag=direct 2>/dev/null || fail "filling $vdb failed"
used1=$(stat -c %b $img)
blkdiscard -o 0 -l $((8 * 1024 * 1024)) $vdb || fail "blkdiscard $vdb failed"
used2=$(stat -c %b $img)
[ $((used1 - used2)) -ge $((8 * 1024 * 2 / 2)) ] || fail "backing file kept its blocks: $used1 -> $used2 sectors"

mkdir -p /mnt/trim
mke2fs -F $vda >/dev/null 2>&1 || fail "mke2fs failed"
mount -t ext4 $vda /mnt/trim || fail "mount failed"
pattern 5 4000000 > /mnt/trim/file && sync && rm /mnt/trim/file && sync
out=$(fstrim -v /mnt/trim 2>&1) || { umount /mnt/trim; fail "fstrim failed: $out"; }
umount /mnt/trim
echo "$out"
