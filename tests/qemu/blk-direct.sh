# O_DIRECT writes of a pattern at the first, middle and last blocks of
# each device, read back (O_DIRECT) and compared.
. /usr/lib/vdfw-tests/lib.sh
need_devices blk0 blk1
for serial in blk0 blk1; do
	dev=$(blkdev_by_serial $serial)
	bs=$(cat /sys/block/${dev#/dev/}/queue/logical_block_size)
	blocks=$(($(cat /sys/block/${dev#/dev/}/size) * 512 / bs))
	n=0
	for blk in 0 $((blocks / 2)) $((blocks - 1)); do
		pattern $((blk + n)) $bs > /tmp/pat
		dd if=/tmp/pat of=$dev bs=$bs seek=$blk count=1 oflag=direct conv=notrunc 2>/dev/null ||
			fail "O_DIRECT write of block $blk on $dev failed"
		want=$(sha256sum < /tmp/pat | cut -d' ' -f1)
		got=$(sha_range $dev $bs $blk 1)
		[ "$want" = "$got" ] || fail "block $blk of $dev reads back different data"
		n=$((n + 1))
	done
	# A multi-block O_DIRECT transfer crossing the middle.
	pattern 99 $((bs * 64)) > /tmp/pat
	dd if=/tmp/pat of=$dev bs=$((bs * 64)) seek=$(((blocks / 2 - 32) / 64)) count=1 oflag=direct conv=notrunc 2>/dev/null ||
		fail "64-block O_DIRECT write on $dev failed"
	[ "$(sha256sum < /tmp/pat | cut -d' ' -f1)" = "$(sha_range $dev $((bs * 64)) $(((blocks / 2 - 32) / 64)) 1)" ] ||
		fail "64-block transfer on $dev reads back different data"
done
