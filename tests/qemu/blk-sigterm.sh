# timeout: 240
# order: 99
# SIGTERM while the kernel's driver has I/O in flight on both block
# devices: vdused completes what it holds (no "still busy ... giving up"),
# flushes and closes the backends, detaches and destroys every device of
# its table, and exits 0; the supervisor starts it again and every device
# comes back, with the data written before the signal.
. /usr/lib/vdfw-tests/lib.sh
need_devices blk0 blk1
vda=$(blkdev_by_serial blk0)
vdb=$(blkdev_by_serial blk1)
pattern 999 1048576 > /tmp/st.pat
want=$(sha256sum < /tmp/st.pat | cut -d' ' -f1)
dd if=/tmp/st.pat of=$vdb bs=64k seek=300 oflag=direct 2>/dev/null || fail "write to $vdb failed"
# Every device of the table, from the first start's log.
devs=$(sed -n 's/^vdused: \([^:]*\): created: .*/\1/p' $VDUSED_LOG | sort -u)
[ -n "$devs" ] || fail "no 'created' lines in the log"
lines=$(wc -l < $VDUSED_LOG)
blkverify $vda 20 2 > /tmp/st-a.log 2>&1 &
# Its first 8 MiB: the pattern above, at 19 MiB, stays as written.
blkverify $vdb 20 2 8388608 > /tmp/st-b.log 2>&1 &
usleep $((500000 + RANDOM % 1500000))
old=$(vdused_pid)
vdused_kill 15
vdused_restarted "$old" || fail "vdused not restarted and ready after SIGTERM"
wait
tail -n +$((lines + 1)) $VDUSED_LOG > /tmp/st.log
grep -q "vdused: signal 15: shutting down" /tmp/st.log || fail "no shutdown line"
grep -q "still busy" /tmp/st.log && fail "vdused gave up on requests in flight: $(grep 'still busy' /tmp/st.log)"
grep -q "^vdfw: vdused exited with status 0$" /tmp/st.log || fail "vdused did not exit 0: $(grep '^vdfw: vdused' /tmp/st.log)"
for d in $devs; do
	grep -q "^vdused: $d: detached$" /tmp/st.log || fail "$d was not detached"
	grep -q "^vdused: $d: destroyed$" /tmp/st.log || fail "$d was not destroyed"
done
echo "$(echo $devs | wc -w) devices detached and destroyed"
need_devices blk0 blk1
[ "$(sha_range $(blkdev_by_serial blk1) 64k 300 16)" = "$want" ] || fail "blk1 lost data written before SIGTERM"
