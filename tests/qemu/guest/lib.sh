# Helpers for in-guest scenarios (sourced).  A scenario is a shell script
# that exits 0 when the behaviour holds; its last output line is the reason
# shown when it fails.

VDUSED_LOG=/run/vdfw/vdused.log
READY=/run/vdused/ready

fail() {
	echo "$*"
	exit 1
}

# wait_for SECONDS COMMAND...: poll COMMAND every 0.1 s until it succeeds.
wait_for() {
	limit=$(($1 * 10))
	shift
	i=0
	while ! "$@" 2>/dev/null; do
		i=$((i + 1))
		[ $i -ge $limit ] && return 1
		usleep 100000
	done
	return 0
}

vdused_pid() {
	pidof vdused
}

# The running vdused is the one that wrote the ready file.
vdused_ready() {
	[ -e $READY ] && [ "$(cat $READY)" = "$(vdused_pid)" ]
}
