# The image boots: our kernel, init's mounts, the console and a running
# busybox userland.
. /usr/lib/vdfw-tests/lib.sh
case $(uname -r) in 6.12.*) ;; *) fail "kernel is $(uname -r), expected 6.12.x" ;; esac
for pair in proc:/proc sysfs:/sys devtmpfs:/dev tmpfs:/run tmpfs:/tmp; do
	grep -q " ${pair#*:} ${pair%%:*} " /proc/mounts || fail "${pair#*:} is not mounted as ${pair%%:*}"
done
[ "$(cat /proc/1/comm)" = init ] || fail "PID 1 is $(cat /proc/1/comm), not init"
[ -c /dev/console ] || fail "no /dev/console"
[ "$(hostname)" = vdfw ] || fail "hostname is $(hostname)"
grep -qw vdfw.poweroff /proc/cmdline || fail "test boot without vdfw.poweroff"
