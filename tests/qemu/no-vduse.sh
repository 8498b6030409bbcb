# A kernel without VDUSE gets a clear error naming the missing option.
# Simulated by hiding VDUSE's /dev and /sys nodes in a private mount
# namespace (and /run, so the real vdused's files are untouched): vdused
# judges what the kernel has from exactly those nodes.
. /usr/lib/vdfw-tests/lib.sh
out=$(unshare -m sh -c '
	mount -t tmpfs none /run &&
	mount -t tmpfs none /dev/vduse &&
	mount -t tmpfs none /sys/class/vduse &&
	/sbin/vdused' 2>&1)
rc=$?
echo "$out"
[ $rc != 0 ] || fail "vdused exited 0 without VDUSE"
echo "$out" | grep -q "enable CONFIG_VDPA_USER" || fail "error does not name CONFIG_VDPA_USER"

out=$(unshare -m sh -c '
	mount -t tmpfs none /run &&
	mount -t tmpfs none /dev/vduse &&
	mount -t tmpfs none /sys/class/vduse &&
	mount -t tmpfs none /sys/bus &&
	/sbin/vdused' 2>&1)
rc=$?
echo "$out"
[ $rc != 0 ] || fail "vdused exited 0 without vDPA"
echo "$out" | grep -q "enable CONFIG_VDPA and CONFIG_VDPA_USER" || fail "error does not name CONFIG_VDPA"
vdused_ready || fail "the real vdused is no longer ready"
