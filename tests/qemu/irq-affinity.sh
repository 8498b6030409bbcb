# timeout: 120
# Interrupt steering (CONFIG_VDUSED_IRQ_AFFINITY): after serving I/O,
# every queue of blk0 that completed requests has its VDUSE
# irq_cb_affinity pointed at the one CPU vdused runs on, whichever CPU
# submitted, and the masks follow vdused when it moves.
. /usr/lib/vdfw-tests/lib.sh
need_devices blk0
grep -q "build: .*irq-affinity=y" $VDUSED_LOG ||
	skip "this vdused is built without CONFIG_VDUSED_IRQ_AFFINITY"
[ "$(nproc)" -ge 2 ] || fail "needs 2 vCPUs to tell steering from chance, the guest has $(nproc)"
vda=$(blkdev_by_serial blk0)
pid=$(vdused_pid)
trap 'taskset -p 3 $pid >/dev/null 2>&1' EXIT

# I/O submitted from both CPUs, so both of blk0's queues complete some.
io() {
	for c in 0 1; do
		taskset -c $c dd if=$vda of=/dev/null bs=4k count=64 iflag=direct 2>/dev/null || return 1
	done
}

mask_of() { # mask_of QUEUE: the mask as a number
	m=$(cat /sys/class/vduse/blk0/vq$1/irq_cb_affinity) || return 1
	echo $((0x$(echo "$m" | tr -d ',')))
}

for cpu in 1 0; do
	taskset -p $((1 << cpu)) $pid >/dev/null || fail "cannot pin vdused to CPU $cpu"
	io || fail "I/O on $vda failed"
	for q in 0 1; do
		m=$(mask_of $q) || fail "no irq_cb_affinity for blk0 vq$q"
		[ "$m" = $((1 << cpu)) ] ||
			fail "blk0 vq$q interrupts go to CPU mask $m, vdused runs on CPU $cpu (mask $((1 << cpu)))"
	done
done
