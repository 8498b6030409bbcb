#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run.sh full|smoke OUTDIR   (environment from tests/bench/bench.mk)
#
# One boot of the product image with the bench payload appended
# (pack.sh), through the board's QEMU line.  The guest (guest/bench.sh)
# prints its measurements as "vdfw-bench:" console lines; report.py turns
# them into OUTDIR/report.md, results.json and chart.png.
#   full   the whole plan; prints the report.  Fails only when the harness
#          itself failed (no "done" from the guest), never on a number.
#   smoke  one short job per device and path; prints PASS/FAIL/SKIP lines
#          for make test (every device measured, report and chart made).
set -u
mode=$1 out=$2
here=$SRC/tests/bench
work=$BUILD/bench/$mode
mkdir -p "$work" "$out"
rm -f "$out/report.md" "$out/results.json" "$out/chart.png" "$out/console.log"

case $mode in
full)
	RUNTIME=${BENCH_RUNTIME:-4} REPS=${BENCH_REPS:-3}
	JOBS=${BENCH_JOBS:-rr1 rr32 rw32 sr8 sw8 mq}
	NET_RUNTIME=${BENCH_NET_RUNTIME:-4} NET_REPS=$REPS ;;
smoke)
	RUNTIME=1 REPS=1 JOBS=rr32 NET_RUNTIME=1 NET_REPS=1 ;;
*)
	echo "usage: run.sh full|smoke OUTDIR" >&2; exit 2 ;;
esac

# The network paths come from the bench table: the first cable pair and
# the first tap device on the virtio bus.
nets=$(awk -F= '{ k = $1; v = $2; gsub(/"/, "", v) }
	match(k, /^CONFIG_VDFW_NET[0-9]+/) {
		i = substr(k, 16, RLENGTH - 15) + 0; f = substr(k, RLENGTH + 1)
		if (i > last) last = i
		if (f == "" && v == "y") on[i] = 1
		if (f == "_NAME") name[i] = v
		if (f == "_BACKEND") be[i] = v
		if (f == "_BUS_VHOST" && v == "y") vhost[i] = 1 }
	END { for (i = 0; i <= last; i++) if (on[i] && !vhost[i]) print name[i], be[i] }' "$BENCH_CONFIG")
cable=$(echo "$nets" | awk '{ split($2, b, ":") }
	b[1] == "cable" && !done { print $1, b[2]; done = 1 }')
tap=$(echo "$nets" | awk '{ split($2, b, ":") } b[1] == "tap" && !done { print $1, b[2]; done = 1 }')

cat > "$work/plan" <<EOF
MODE=$mode
RUNTIME=$RUNTIME
REPS=$REPS
JOBS="$JOBS"
NET_RUNTIME=$NET_RUNTIME
NET_REPS=$NET_REPS
DEV_SIZE=134217728
QUEUE_SIZE=256
QSD_FILE_AIO=io_uring
NET_CABLE_A=${cable%% *}
NET_CABLE_B=$(echo "$cable" | cut -s -d' ' -f2)
NET_TAP_DEV=${tap%% *}
NET_TAP_IF=$(echo "$tap" | cut -s -d' ' -f2)
EOF

# shellcheck disable=SC2086 # BENCH_TOOLS is a list of files
"$here/pack.sh" "$work/plan" "$BENCH_VDUSED" $BENCH_TOOLS > "$work/payload.list" || {
	echo "FAIL bench-$mode/pack: cannot list the bench payload"; exit 1; }
"$GEN_INIT_CPIO" -t 0 "$work/payload.list" | gzip -1n > "$work/payload.cpio.gz" || {
	echo "FAIL bench-$mode/pack: cannot build the bench payload"; exit 1; }
cat "$IMAGES/rootfs.cpio.gz" "$work/payload.cpio.gz" > "$work/initrd"

# brd and null_blk are built in: their parameters go on the command line.
# (The board's qemu.sh adds idle=halt under TCG; docs/bench.md says why it
# matters so much here.)  BENCH_APPEND adds more.
append="vdfw.poweroff vdfw.bench=$mode brd.rd_nr=1 brd.rd_size=131072"
append="$append null_blk.nr_devices=1 null_blk.submit_queues=2 null_blk.gb=1"
append="$append ${BENCH_APPEND:-}"
export ACCEL=${ACCEL:-tcg} MEM=${MEM:-2048} SMP=${SMP:-2}
if [ "$ACCEL" = kvm ] && ! { [ -r /dev/kvm ] && [ -w /dev/kvm ]; }; then
	echo "FAIL bench-$mode/boot: ACCEL=kvm but /dev/kvm is missing or not usable by $(id -un)"
	exit 1
fi
qemu=$(grep -o 'qemu-system-[a-z0-9_]*' "$BOARD_QEMU" | head -1)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(date +%s)
[ "$mode" = full ] && echo "  BENCH     booting (ACCEL=$ACCEL SMP=$SMP MEM=$MEM, time limit ${TIMEOUT}s); console in $out/console.log"
timeout -k 10 "$TIMEOUT" "$BOARD_QEMU" "$IMAGES/bzImage" "$work/initrd" "$append" \
	</dev/null >"$out/console.log" 2>&1
rc=$?
t1=$(date +%s)
load1=$(cut -d' ' -f1-3 /proc/loadavg)

python3 "$here/report.py" --mode "$mode" --console "$out/console.log" --out "$out" \
	--qemu-status "$rc" --wall "$((t1 - t0))" --accel "$ACCEL" --smp "$SMP" --mem "$MEM" \
	--qemu-version "$($qemu --version 2>/dev/null | head -1)" \
	--host-cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" \
	--vdused "$PRODUCT_VDUSED" --bench-vdused "$BENCH_VDUSED" \
	--payload "$(stat -c %s "$work/payload.cpio.gz")" --chart-script "$here/chart.gp" \
	--host-load "$load0 at start, $load1 at the end ($(nproc) host CPUs)"
