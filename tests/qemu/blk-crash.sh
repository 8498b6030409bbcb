# timeout: 420
# order: 96
# kill -9 vdused at random moments while the kernel's virtio-blk driver
# has verifying I/O in flight on every writable blk device (RAM and file
# backend, several processes so both of blk0's queues are busy).  After
# each kill the new vdused must take over the in-flight requests: the
# I/O finishes with no error, every block reads back as last written, and
# the guest kernel logs no I/O error.  At least one restart must have
# redone requests, or no kill really hit I/O in flight.
. /usr/lib/vdfw-tests/lib.sh
need_devices blk0 blk1
vda=$(blkdev_by_serial blk0)
vdb=$(blkdev_by_serial blk1)
ROUNDS=12
lines=$(wc -l < $VDUSED_LOG)
dmesg -c > /dev/null
# Long enough for every round; the verifiers stop on their own.
blkverify $vda 150 4 > /tmp/crash-a.log 2>&1 &
A=$!
blkverify $vdb 150 4 > /tmp/crash-b.log 2>&1 &
B=$!
trap 'kill $A $B 2>/dev/null' EXIT
round=0
while [ $round -lt $ROUNDS ] && kill -0 $A 2>/dev/null && kill -0 $B 2>/dev/null; do
	# A random moment: 0.3 to 2.3 s after the last restart was ready.
	usleep $((300000 + RANDOM % 2000000))
	old=$(vdused_pid)
	vdused_kill 9 || fail "round $round: no vdused to kill"
	vdused_restarted "$old" || fail "round $round: vdused not restarted and ready"
	round=$((round + 1))
done
[ $round = $ROUNDS ] || fail "a verifier ended after $round of $ROUNDS rounds: $(cat /tmp/crash-a.log /tmp/crash-b.log | tail -3)"
wait $A; ra=$?
wait $B; rb=$?
trap - EXIT
cat /tmp/crash-a.log /tmp/crash-b.log
[ $ra = 0 ] || fail "$vda (ram): $(grep -v '^blkverify: /' /tmp/crash-a.log | head -1)"
[ $rb = 0 ] || fail "$vdb (file): $(grep -v '^blkverify: /' /tmp/crash-b.log | head -1)"
dmesg | grep -iE "I/O error|blk_update_request|critical" && fail "the guest kernel logged I/O errors"
redone=$(tail -n +$((lines + 1)) $VDUSED_LOG |
	sed -n 's/.*resumed after restart: \([0-9]*\) requests redone.*/\1/p' |
	awk '{ s += $1 } END { print s + 0 }')
echo "$ROUNDS kills, $redone requests redone"
[ "$redone" -gt 0 ] || fail "no kill hit a request in flight ($ROUNDS kills, 0 redone)"
