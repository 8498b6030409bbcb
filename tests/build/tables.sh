#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Device-table checks (environment from tests/tests.mk).  They need only
# the configuration, not a kernel, so make test runs them first.  A bad
# table fails the build with a message naming the device, the field and
# its Kconfig symbol; a value Kconfig would silently change (out of its
# range, an unknown symbol) fails naming the symbol.  One PASS/FAIL line
# each.
set -u
tmp=$O/tests/tables
rm -rf "$tmp" && mkdir -p "$tmp"

pass() { echo "PASS table/$1"; }
fail() { echo "FAIL table/$1: $2"; }

# check_bad_table NAME CONFIG-LINE EXPECTED-MESSAGE
check_bad_table() {
	o=$tmp/$1
	mkdir -p "$o"
	if ! $MAKE -s -C "$SRC" O="$o" qemu_x86_64_defconfig >"$o/log" 2>&1; then
		fail "$1" "make qemu_x86_64_defconfig failed: $(tail -1 "$o/log")"
		return
	fi
	cp "$o/.config" "$o/config.bad"
	echo "$2" >> "$o/config.bad"
	cp "$o/config.bad" "$o/.config"
	if $MAKE -s -C "$SRC" O="$o" devtable >"$o/log" 2>&1; then
		fail "$1" "the build accepted $2"
	elif ! grep -qF "$3" "$o/log"; then
		fail "$1" "message '$(grep -v warning: "$o/log" | head -1)' lacks '$3'"
	elif ! grep -qxF "$2" "$o/.config"; then
		fail "$1" "the rejected value is no longer in .config (kconfig replaced it)"
	elif $MAKE -s -C "$SRC" O="$o" devtable >/dev/null 2>&1; then
		fail "$1" "a second make accepted the table"
	else
		pass "$1"
	fi
}

# The board's own table is accepted.
o=$tmp/good
if $MAKE -s -C "$SRC" O="$o" qemu_x86_64_defconfig >"$tmp/good.log" 2>&1 &&
   $MAKE -s -C "$SRC" O="$o" devtable >>"$tmp/good.log" 2>&1; then
	pass good
else
	fail good "the board's table was rejected: $(tail -1 "$tmp/good.log")"
fi

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
	'CONFIG_VDFW_BLK0_BLOCK_SIZE is not a Kconfig symbol'
check_bad_table too-many-queues 'CONFIG_VDFW_BLK0_QUEUES=9' \
	'CONFIG_VDFW_BLK0_QUEUES=9 is not a value Kconfig allows'
check_bad_table queue-size-range 'CONFIG_VDFW_NET0_QUEUE_SIZE=2048' \
	'CONFIG_VDFW_NET0_QUEUE_SIZE=2048 is not a value Kconfig allows'
check_bad_table bounce-range 'CONFIG_VDUSED_BOUNCE_SIZE_MIB=0' \
	'CONFIG_VDUSED_BOUNCE_SIZE_MIB=0 is not a value Kconfig allows'
check_bad_table no-such-slot 'CONFIG_VDFW_BLK8=y' \
	'CONFIG_VDFW_BLK8 is not a Kconfig symbol'
check_bad_table two-block-sizes 'CONFIG_VDFW_BLK1_BLOCK_512=y' \
	'CONFIG_VDFW_BLK1_BLOCK_'
check_bad_table unaligned-size 'CONFIG_VDFW_BLK1_SIZE="1001K"' \
	'block device 1 (blk1): size: 1025024 bytes is not a multiple of the 4096-byte block'
check_bad_table bus 'CONFIG_VDFW_BLK0_BUS="pci"' \
	'CONFIG_VDFW_BLK0_BUS is not a Kconfig symbol'
check_bad_table net-bad-mac 'CONFIG_VDFW_NET2_MAC="01:00:5e:00:00:01"' \
	'network device 2 (net2): mac: 01:00:5e:00:00:01 is a multicast address (CONFIG_VDFW_NET2_MAC)'
check_bad_table net-mtu 'CONFIG_VDFW_NET2_MTU=67' \
	'CONFIG_VDFW_NET2_MTU=67 is not a value Kconfig allows'
check_bad_table net-cable-one-sided 'CONFIG_VDFW_NET1_BACKEND="tap:x"' \
	'network device 0 (net0): backend: cable to net1, but net1 is "tap:x", not "cable:net0" (CONFIG_VDFW_NET0_BACKEND)'
check_bad_table net-unknown-backend 'CONFIG_VDFW_NET2_BACKEND="vde:sw0"' \
	'network device 2 (net2): backend: unknown backend "vde:sw0" (tap:IFNAME or cable:PEER) (CONFIG_VDFW_NET2_BACKEND)'
check_bad_table net-cable-missing-peer 'CONFIG_VDFW_NET2_BACKEND="cable:nope"' \
	'network device 2 (net2): backend: cable peer "nope" is not a network device of the table'
check_bad_table net-name-clash 'CONFIG_VDFW_NET2_NAME="blk0"' \
	'network device 2: name: "blk0" is already used by block device 0 (CONFIG_VDFW_NET2_NAME)'
exit 0
