# timeout: 60
# order: 90
# Killing vdused gets it restarted by the supervisor, the restart is
# logged, and the new instance reports ready again.
. /usr/lib/vdfw-tests/lib.sh
wait_for 30 vdused_ready || fail "vdused not ready before the kill"
old=$(vdused_pid)
starts=$(cat /run/vdfw/vdused.starts)
kill -9 "$old"
wait_for 30 sh -c "[ -n \"\$(pidof vdused)\" ] && [ \"\$(pidof vdused)\" != $old ]" ||
	fail "vdused was not restarted after kill -9 of pid $old"
wait_for 30 vdused_ready || fail "restarted vdused (pid $(vdused_pid)) did not report ready"
grep -q "vdfw: vdused killed by signal 9" $VDUSED_LOG || fail "the kill was not logged"
grep -q "vdfw: restarting vdused (start $((starts + 1)))" $VDUSED_LOG || fail "the restart was not logged"
