#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run.sh [BOOT...]   (environment from tests/tests.mk)
#
# For each boot of boots.conf: pack that boot's scenarios, the in-guest
# runner and the test tools into a cpio, append it to the image's
# initramfs, boot through the board's QEMU line under a time limit, and
# turn the guest's "vdfw-test: PASS|FAIL|SKIP" console lines into result
# lines.  Nothing can pass by not running: a scenario that never reports
# (hung or crashed guest) is a FAIL, so is one whose boot is not in
# boots.conf, a plan that ends up empty, and a guest that did not end in
# its own poweroff (with -no-reboot a reboot or triple fault also ends
# QEMU with status 0, so the kernel's "Power down" line must be there).
set -u
here=$SRC/tests/qemu		# the scenarios
harness=$here/harness		# this script, boots.conf, the guest side
work=$BUILD/tests/qemu
logs=$O/tests/console
mkdir -p "$work" "$logs"
disk=$work/disk.img
rm -f "$disk"

boot_of() {
	b=$(sed -n 's/^# boot: *//p' "$1" | head -1)
	echo "${b:-main}"
}

header() { # header FILE KEY DEFAULT
	v=$(sed -n "s/^# $2: *//p" "$1" | head -1)
	echo "${v:-$3}"
}

pack() { # pack BOOT OVERLAY VDUSED: the cpio list of BOOT's test payload
	boot=$1 overlay=$2 vdused=$3
	echo "dir /usr 0755 0 0"
	echo "dir /usr/lib 0755 0 0"
	echo "dir /usr/lib/vdfw-tests 0755 0 0"
	echo "dir /usr/bin 0755 0 0"
	echo "file /etc/vdfw/boot.d/90-vdfw-tests $harness/guest/runner 0755 0 0"
	echo "file /usr/lib/vdfw-tests/lib.sh $harness/guest/lib.sh 0644 0 0"
	echo "file /usr/lib/vdfw-tests/common.sh $SRC/tests/guest/common.sh 0644 0 0"
	echo "file /usr/lib/vdfw-tests/plan $work/$boot.plan 0644 0 0"
	for f in "$harness"/hooks/*; do
		[ -f "$f" ] && echo "file /etc/vdfw/boot.d/${f##*/} $f $(stat -c %a "$f") 0 0"
	done
	for s in $(cut -d' ' -f1 "$work/$boot.plan"); do
		echo "file /usr/lib/vdfw-tests/$s.sh $here/$s.sh 0755 0 0"
	done
	# The test table's vdused replaces the image's (see tests.mk).
	echo "file /sbin/vdused $vdused 0755 0 0"
	[ -x /sbin/e2fsck.static ] && echo "file /sbin/e2fsck /sbin/e2fsck.static 0755 0 0"
	for t in $TEST_TOOLS; do
		echo "file /usr/bin/${t##*/} $t 0755 0 0"
	done
	[ "$overlay" = - ] && return
	(cd "$harness/overlay/$overlay" && find . -mindepth 1 | sort) | while read -r p; do
		f=$harness/overlay/$overlay/${p#./}
		if [ -d "$f" ]; then
			echo "dir ${p#.} 0755 0 0"
		else
			echo "file ${p#.} $f $(stat -c %a "$f") 0 0"
		fi
	done
}

run_boot() { # run_boot BOOT OVERLAY EXTRA...
	boot=$1 overlay=$2
	shift 2
	# Plan: "name timeout" lines, by "# order:" (default 50), then name.
	for s in "$here"/*.sh; do
		n=${s##*/}
		[ "$(boot_of "$s")" = "$boot" ] &&
			echo "$(header "$s" order 50) ${n%.sh} $(header "$s" timeout 120)"
	done | sort -k1,1n -k2,2 | cut -d' ' -f2- |
		while read -r name limit; do
			# ONLY="a b": run just those scenarios (for debugging).
			case " ${ONLY:-$name} " in *" $name "*) echo "$name $limit" ;; esac
		done > "$work/$boot.plan"
	[ -s "$work/$boot.plan" ] || return 0
	# @NOFLUSH@: this boot's vdused is the test build without FLUSH.
	vdused=$TEST_VDUSED
	case " $* " in *" @NOFLUSH@ "*) vdused=$TEST_VDUSED_NOFLUSH ;; esac
	pack "$boot" "$overlay" "$vdused" > "$work/$boot.list"
	"$GEN_INIT_CPIO" -t 0 "$work/$boot.list" | gzip -n > "$work/$boot.cpio.gz" || {
		echo "FAIL $boot/pack: cannot build the test cpio"; return 0; }
	cat "$IMAGES/rootfs.cpio.gz" "$work/$boot.cpio.gz" > "$work/$boot.initrd"
	# @CRASH@: the boot ends in the runner's crash (vdfw.crash), not in
	# a power-off; the next boot checks what survived.  The guest's
	# periodic writeback is off in such a boot: what reaches the QEMU
	# disk before the crash is what a sync (FLUSH, vdused's SIGTERM)
	# wrote, not what the flusher picked up because the scenario ran
	# longer than dirty_expire_centisecs.
	crash=
	case " $* " in *" @CRASH@ "*) crash="vdfw.crash sysctl.vm.dirty_writeback_centisecs=0" ;; esac
	extra=$(echo "$*" | sed "s|@DISK@|$disk|g; s|@CRASH@||g; s|@NOFLUSH@||g")
	case "$extra" in *"$disk"*)
		[ -e "$disk" ] || { truncate -s 256M "$disk" && /sbin/mke2fs -q -F -t ext4 "$disk"; } ||
			{ echo "FAIL $boot/disk: cannot make $disk"; return 0; } ;;
	esac
	console=$logs/$boot.log
	# The guest's time limit: every scenario's own limit, plus boot and
	# shutdown; TIMEOUT=seconds overrides.
	limit=${TIMEOUT:-$(awk '{ s += $2 } END { print s + 180 }' "$work/$boot.plan")}
	QEMU_EXTRA="$extra" timeout -k 10 "$limit" "$BOARD_QEMU" "$IMAGES/bzImage" \
		"$work/$boot.initrd" "vdfw.poweroff vdfw.test=$boot $crash" </dev/null >"$console" 2>&1
	rc=$?
	# The console once, without the serial line's carriage returns.
	text=$(tr -d '\r' < "$console")
	echo "$text" | sed -n 's/^.*vdfw-test: \(PASS\|FAIL\|SKIP\) /\1 /p' |
		sed "s#^\(PASS\|FAIL\|SKIP\) #\1 $boot/#"
	case $rc in
	0) if [ -n "$crash" ]; then
		why="QEMU exited 0 (the guest crashed on purpose, unsynced)"
		echo "$text" | grep -q "vdfw-test: crashing now" &&
		echo "$text" | grep -q "reboot: Restarting system" || {
			why="QEMU exited 0, but not from the runner's crash"; rc=3; }
	   else
		why="QEMU exited 0 (guest powered off)"
		echo "$text" | grep -q "reboot: Power down" || {
			why="QEMU exited 0 without the guest's power-off (a reboot or triple fault)"; rc=3; }
	   fi ;;
	124|137) why="guest timed out after ${limit}s" ;;
	1) why="QEMU exited with status 1"
	   grep -q "Kernel panic" "$console" && why="guest kernel panic (pvpanic)" ;;
	*) why="QEMU exited with status $rc" ;;
	esac
	# The runner's own closing check (vdused deaths) is due too.
	for s in $(cut -d' ' -f1 "$work/$boot.plan") vdused-deaths; do
		echo "$text" | grep -qE "vdfw-test: (PASS|FAIL|SKIP) $s(:|\$)" ||
			echo "FAIL $boot/$s: no result: $why; console in $console"
	done
	# Clean shutdown: rcK's SIGTERM made vdused detach and destroy every
	# device of its table (each one that was created) and exit 0.
	c=$(echo "$text" | sed -n '/^vdfw: stopping vdused$/,$p')
	devs=$(echo "$text" | sed -n 's/^vdused: \([^:]*\): created: .*/\1/p' | sort -u)
	missing=
	for d in $devs; do
		echo "$c" | grep -q "^vdused: $d: detached$" &&
			echo "$c" | grep -q "^vdused: $d: destroyed$" || missing="$missing $d"
	done
	if [ -n "$crash" ]; then
		# No shutdown by design: it must not have happened either.
		if echo "$c" | grep -q .; then
			echo "FAIL $boot/shutdown: a crash boot shut vdused down cleanly; console in $console"
		else
			echo "PASS $boot/shutdown: none, as the crash boot asks"
		fi
	elif [ -n "$devs" ] && [ -z "$missing" ] &&
	   echo "$c" | grep -q "vdfw: vdused exited with status 0" &&
	   ! echo "$c" | grep -q "vdused: warning: still busy"; then
		echo "PASS $boot/shutdown: all $(echo $devs | wc -w) devices detached and destroyed, vdused exited 0"
	else
		echo "FAIL $boot/shutdown: vdused did not shut down cleanly${missing:+ (not detached and destroyed:$missing)}; console in $console"
	fi
	if [ $rc = 0 ]; then
		echo "PASS $boot/poweroff: $why"
	else
		echo "FAIL $boot/poweroff: $why; console in $console"
		tail -20 "$console" | sed 's/^/    /'
	fi
}

rm -f "$work"/*.plan
boots=$(grep -v '^#' "$harness/boots.conf" | awk 'NF { print $1 }')
# A scenario whose boot is missing would silently never run.
for s in "$here"/*.sh; do
	n=${s##*/}
	echo "$boots" | grep -qx "$(boot_of "$s")" ||
		echo "FAIL ${n%.sh}: its boot '$(boot_of "$s")' is not in boots.conf, so it never runs"
done
# So would one that ONLY names but that does not exist.
for n in ${ONLY:-}; do
	[ -f "$here/$n.sh" ] || echo "FAIL $n: ONLY names a scenario that does not exist"
done
grep -v '^#' "$harness/boots.conf" | grep . | while read -r boot overlay extra; do
	if [ $# -gt 0 ]; then
		case " $* " in *" $boot "*) ;; *) continue ;; esac
	fi
	run_boot "$boot" "$overlay" $extra
done
cat "$work"/*.plan 2>/dev/null | grep -q . ||
	echo "FAIL qemu-tests/plan: no scenario planned (boots: ${*:-all}; ONLY: ${ONLY:-unset})"
