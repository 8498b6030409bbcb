# timeout: 300
# A filesystem on each device: mke2fs (busybox), mount as ext4, write a
# tree of files, unmount, e2fsck -fn (Debian's static e2fsck), remount and
# verify every file's sha256.
. /usr/lib/vdfw-tests/lib.sh
need_devices blk0 blk1
[ -x /sbin/e2fsck ] || fail "no e2fsck in the test payload"
for serial in blk0 blk1; do
	dev=$(blkdev_by_serial $serial)
	mnt=/mnt/$serial
	mkdir -p $mnt
	mke2fs -F -b 4096 $dev >/dev/null 2>&1 || fail "mke2fs $dev failed"
	mount -t ext4 $dev $mnt || fail "mount $dev failed"
	i=0
	while [ $i -lt 24 ]; do
		mkdir -p $mnt/d$((i % 4))/sub
		pattern $((i * 7919)) $((i * i * 1531 + 1)) > $mnt/d$((i % 4))/sub/f$i
		i=$((i + 1))
	done
	pattern 1 3000000 > $mnt/big
	(cd $mnt && find . -type f | sort | xargs sha256sum) > /tmp/$serial.sums
	umount $mnt || fail "umount $dev failed"
	/sbin/e2fsck -fn $dev > /tmp/$serial.fsck 2>&1 || { cat /tmp/$serial.fsck; fail "e2fsck -fn $dev reported problems"; }
	mount -t ext4 $dev $mnt || fail "remount $dev failed"
	(cd $mnt && sha256sum -c /tmp/$serial.sums >/dev/null) || fail "sha256 mismatch after remount of $dev"
	[ "$(wc -l < /tmp/$serial.sums)" = 25 ] || fail "expected 25 files on $dev"
	umount $mnt
done
