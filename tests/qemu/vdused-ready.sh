# vdused starts under supervision, logs its banner with the build
# configuration, opens /dev/vduse/control and reports ready.
. /usr/lib/vdfw-tests/lib.sh
wait_for 30 vdused_ready || fail "vdused not ready: ready file '$(cat $VDUSED_RUN_DIR/ready 2>&1)', pid '$(vdused_pid)'"
grep -q 'vdused: vdused .* starting' $VDUSED_LOG || fail "no start banner in $VDUSED_LOG"
grep -q 'vdused: build: debug=. run-dir=/run/vdused' $VDUSED_LOG || fail "banner lacks the build configuration"
grep -q 'vdused: VDUSE API version' $VDUSED_LOG || fail "vdused did not log the VDUSE API version"
grep -q 'vdused: ready$' $VDUSED_LOG || fail "no 'ready' line in $VDUSED_LOG"
[ -c /dev/vduse/control ] || fail "/dev/vduse/control missing"
ls -l /proc/$(vdused_pid)/fd | grep -q /dev/vduse/control || fail "vdused does not hold /dev/vduse/control open"
