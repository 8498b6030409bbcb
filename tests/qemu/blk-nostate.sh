# timeout: 180
# order: 98
# A restart that finds no state file (blk0) or a corrupt one (blk1: a
# log_stride no vdused writes) must say so, naming the field, and end in
# a defined state: the queues were idle at the kill, so the new vdused
# takes them over, and every block written before reads back unchanged;
# new I/O works.
. /usr/lib/vdfw-tests/lib.sh
need_devices blk0 blk1
vda=$(blkdev_by_serial blk0)
vdb=$(blkdev_by_serial blk1)
pattern 555 2097152 > /tmp/ns.pat
want=$(sha256sum < /tmp/ns.pat | cut -d' ' -f1)
dd if=/tmp/ns.pat of=$vda bs=64k seek=40 oflag=direct 2>/dev/null || fail "write to $vda failed"
dd if=/tmp/ns.pat of=$vdb bs=64k seek=40 oflag=direct 2>/dev/null || fail "write to $vdb failed"
[ -s /run/vdused/blk0.state ] && [ -s /run/vdused/blk1.state ] || fail "no state files in /run/vdused"
lines=$(wc -l < $VDUSED_LOG)
old=$(vdused_pid)
vdused_kill 9
# The supervisor waits a second before the restart: change the files now.
wait_for 5 sh -c "! kill -0 $old" || fail "vdused $old did not die"
rm /run/vdused/blk0.state
printf '\000\000\000\100' | dd of=/run/vdused/blk1.state bs=1 seek=24 conv=notrunc 2>/dev/null
vdused_restarted "$old" || fail "vdused not restarted and ready"
tail -n +$((lines + 1)) $VDUSED_LOG > /tmp/ns.log
grep -q "blk0: state file .*: missing or empty; starting without state" /tmp/ns.log ||
	fail "the missing state file of blk0 was not reported"
grep -q "blk1: state file .*: log_stride 1073741824, expected [0-9]*; starting without state" /tmp/ns.log ||
	fail "the corrupt log_stride of blk1 was not reported by name"
for d in blk0 blk1; do
	grep -q "$d: no usable state file" /tmp/ns.log || fail "$d did not take the no-state path"
	grep -q "$d: NEEDS_RESET" /tmp/ns.log && fail "$d went to NEEDS_RESET though its queues were idle"
done
[ "$(sha_range $vda 64k 40 32)" = "$want" ] || fail "$vda lost data across the no-state restart"
[ "$(sha_range $vdb 64k 40 32)" = "$want" ] || fail "$vdb lost data across the corrupt-state restart"
pattern 556 262144 > /tmp/ns2.pat
for d in $vda $vdb; do
	dd if=/tmp/ns2.pat of=$d bs=64k seek=100 oflag=direct 2>/dev/null || fail "write to $d after the restart failed"
	[ "$(sha_range $d 64k 100 4)" = "$(sha256sum < /tmp/ns2.pat | cut -d' ' -f1)" ] || fail "I/O on $d after the restart is wrong"
done
