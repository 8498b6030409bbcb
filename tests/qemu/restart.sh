# timeout: 60
# order: 90
# Killing vdused gets it restarted by the supervisor, the restart is
# logged, and the new instance reports ready again.
. /usr/lib/vdfw-tests/lib.sh
wait_for 30 vdused_ready || fail "vdused not ready before the kill"
old=$(vdused_pid)
starts=$(cat /run/vdfw/vdused.starts)
lines=$(wc -l < $VDUSED_LOG)
vdused_kill 9
vdused_restarted "$old" || fail "vdused was not restarted and ready after kill -9 of pid $old"
# Only what this kill made: the log holds every earlier restart too.
tail -n +$((lines + 1)) $VDUSED_LOG > /tmp/restart.log
grep -q "^vdfw: vdused killed by signal 9$" /tmp/restart.log || fail "the kill was not logged"
grep -q "^vdfw: restarting vdused (start $((starts + 1)))$" /tmp/restart.log || fail "the restart was not logged"
