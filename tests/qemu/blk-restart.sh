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
lines=$(wc -l < $VDUSED_LOG)
vdused_kill 9
vdused_restarted "$old" || fail "vdused not restarted and ready"
# This restart's lines only: restart.sh made the same ones before.
tail -n +$((lines + 1)) $VDUSED_LOG > /tmp/blk-restart.log
for d in blk0 blk1; do
	grep -q "vdused: $d: reopened after a restart" /tmp/blk-restart.log || fail "$d was not reopened"
done
[ "$(sha_range $vda 64k 16 64)" = "$want" ] || fail "$vda data changed across the restart"
[ "$(sha_range $vdb 64k 16 64)" = "$want" ] || fail "$vdb data changed across the restart"
pattern 888 1048576 > /tmp/r2.pat
dd if=/tmp/r2.pat of=$vda bs=64k seek=200 oflag=direct 2>/dev/null || fail "write after restart failed"
[ "$(sha_range $vda 64k 200 16)" = "$(sha256sum < /tmp/r2.pat | cut -d' ' -f1)" ] || fail "I/O after restart is wrong"
