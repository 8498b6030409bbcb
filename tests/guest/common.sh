# SPDX-License-Identifier: GPL-2.0
# Shell helpers shared by the guest side of the in-guest tests
# (tests/qemu/harness/guest/lib.sh) and of the bench (tests/bench/guest/
# bench.sh); each harness packs this file next to its own.  Sourced.

VDUSED_RUN_DIR=${CONFIG_VDUSED_RUN_DIR:-/run/vdused}

# wait_for SECONDS COMMAND...: poll COMMAND every 0.1 s until it succeeds.
wait_for() {
	_wf=$(($1 * 10))
	shift
	while ! "$@" 2>/dev/null; do
		_wf=$((_wf - 1))
		[ $_wf -le 0 ] && return 1
		usleep 100000
	done
	return 0
}

# The vdused process running now (it may not be ready yet).
vdused_pid() {
	pidof vdused
}

# The vdused that announced itself ready (the pid in its ready file).
vdused_ready_pid() {
	cat "$VDUSED_RUN_DIR/ready" 2>/dev/null
}
