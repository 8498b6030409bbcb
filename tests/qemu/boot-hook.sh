# Boot hooks: every executable in /etc/vdfw/boot.d runs once, in name
# order, after vdused is ready; non-executable files are skipped.
# (The test payload installs 10-vdfw-test-a, 15-vdfw-test-noexec and
# 20-vdfw-test-b from tests/qemu/harness/hooks/.)
. /usr/lib/vdfw-tests/lib.sh
order=/run/vdfw-test-hooks
[ -e $order ] || fail "no boot hook ran ($order missing)"
got=$(cat $order | tr '\n' ' ')
[ "$got" = "10-a:ready 20-b:ready " ] || fail "hooks ran as '$got', expected '10-a:ready 20-b:ready '"
