# Sourced by tests/build/run.sh.  A bad device table fails the build with
# a message naming the device, the field and its Kconfig symbol.
check_bad_table() { # check_bad_table NAME CONFIG-LINE EXPECTED-MESSAGE
	o=$tmp/table-$1
	mkdir -p "$o"
	$MAKE -s -C "$SRC" O="$o" qemu_x86_64_defconfig >/dev/null 2>&1
	echo "$2" >> "$o/.config"
	if $MAKE -s -C "$SRC" O="$o" devtable >"$o/log" 2>&1; then
		fail "bad-table-$1" "the build accepted $2"
	elif ! grep -qF "$3" "$o/log"; then
		fail "bad-table-$1" "message '$(grep 'device table' "$o/log")' lacks '$3'"
	else
		pass "bad-table-$1"
	fi
}

check_bad_table duplicate-name 'CONFIG_VDFW_BLK1_NAME="blk0"' \
	'block device 1: name: "blk0" is already used by block device 0 (CONFIG_VDFW_BLK1_NAME)'
check_bad_table zero-capacity 'CONFIG_VDFW_BLK1_SIZE="0"' \
	'block device 1 (blk1): size: capacity is zero (CONFIG_VDFW_BLK1_SIZE)'
check_bad_table queue-size 'CONFIG_VDFW_BLK0_QUEUE_SIZE=100' \
	'block device 0 (blk0): queue_size: 100 is not a power of two (CONFIG_VDFW_BLK0_QUEUE_SIZE)'
check_bad_table unknown-backend 'CONFIG_VDFW_BLK1_BACKEND="nvme"' \
	'block device 1 (blk1): backend: unknown backend "nvme"'
check_bad_table path-on-ram 'CONFIG_VDFW_BLK0_BACKEND="ram:/tmp/x"' \
	'block device 0 (blk0): backend: a ram device takes no file path'
check_bad_table block-size 'CONFIG_VDFW_BLK0_BLOCK_SIZE=1024' \
	'block device 0 (blk0): block_size: 1024 is not 512 or 4096 (CONFIG_VDFW_BLK0_BLOCK_SIZE)'
check_bad_table too-many-queues 'CONFIG_VDFW_BLK0_QUEUES=9' \
	'block device 0 (blk0): queues: 9 is outside 1..8 (CONFIG_VDFW_BLK0_QUEUES)'
check_bad_table unaligned-size 'CONFIG_VDFW_BLK1_SIZE="1001K"' \
	'block device 1 (blk1): size: 1025024 bytes is not a multiple of the 4096-byte block'
check_bad_table bus 'CONFIG_VDFW_BLK0_BUS="pci"' \
	'block device 0 (blk0): bus: unknown bus driver "pci"'
check_bad_table net-bad-mac 'CONFIG_VDFW_NET2_MAC="01:00:5e:00:00:01"' \
	'network device 2 (net2): mac: 01:00:5e:00:00:01 is a multicast address (CONFIG_VDFW_NET2_MAC)'
check_bad_table net-mtu 'CONFIG_VDFW_NET2_MTU=67' \
	'network device 2 (net2): mtu: 67 is outside 68..65535 (CONFIG_VDFW_NET2_MTU)'
check_bad_table net-cable-one-sided 'CONFIG_VDFW_NET1_BACKEND="tap:x"' \
	'network device 0 (net0): backend: cable to net1, but net1 is "tap:x", not "cable:net0" (CONFIG_VDFW_NET0_BACKEND)'
check_bad_table net-cable-missing-peer 'CONFIG_VDFW_NET2_BACKEND="cable:nope"' \
	'network device 2 (net2): backend: cable peer "nope" is not a network device of the table'
check_bad_table net-name-clash 'CONFIG_VDFW_NET2_NAME="blk0"' \
	'network device 2: name: "blk0" is already used by block device 0 (CONFIG_VDFW_NET2_NAME)'
