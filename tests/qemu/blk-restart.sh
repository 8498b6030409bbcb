# timeout: 120
# order: 95
# kill -9 vdused while the devices are idle: init restarts it, the new
# vdused reopens the devices and resumes, I/O works and the data written
# before the kill is intact.
. /usr/lib/vdfw-tests/lib.sh
need_devices blk0 blk1
vda=$(blkdev_by_serial blk0)
vdb=$(blkdev_by_serial blk1)
pattern 777 4194304 > /tmp/r.pat
want=$(sha256sum < /tmp/r.pat | cut -d' ' -f1)
dd if=/tmp/r.pat of=$vda bs=64k seek=16 oflag=direct 2>/dev/null || fail "write to $vda failed"
dd if=/tmp/r.pat of=$vdb bs=64k seek=16 oflag=direct 2>/dev/null || fail "write to $vdb failed"
old=$(vdused_pid)
kill -9 $old
wait_for 30 sh -c "[ -n \"\$(pidof vdused)\" ] && [ \"\$(pidof vdused)\" != $old ]" || fail "vdused not restarted"
wait_for 30 vdused_ready || fail "restarted vdused not ready"
grep -q "blk0: reopened after a restart" $VDUSED_LOG || fail "blk0 was not reopened"
[ "$(sha_range $vda 64k 16 64)" = "$want" ] || fail "$vda data changed across the restart"
[ "$(sha_range $vdb 64k 16 64)" = "$want" ] || fail "$vdb data changed across the restart"
pattern 888 1048576 > /tmp/r2.pat
dd if=/tmp/r2.pat of=$vda bs=64k seek=200 oflag=direct 2>/dev/null || fail "write after restart failed"
[ "$(sha_range $vda 64k 200 16)" = "$(sha256sum < /tmp/r2.pat | cut -d' ' -f1)" ] || fail "I/O after restart is wrong"
