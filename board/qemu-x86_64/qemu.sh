#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# qemu.sh KERNEL INITRD [APPEND]
#
# The one QEMU command line of the qemu-x86_64 board.  make run, make test
# and make bench all boot through it.
#   ACCEL=tcg|kvm  accelerator (default tcg: nested KVM is not reliable)
#   MEM=MiB        guest memory (default 1024)
#   SMP=n          vCPUs (default 2)
#   QEMU_EXTRA     more arguments, e.g. a -drive for a persistent disk
#
# The guest's serial console is this process's stdio.  A guest poweroff
# ends QEMU with status 0, a guest kernel panic with status 1 (pvpanic).
set -e
kernel=$1 initrd=$2 append=$3
accel=${ACCEL:-tcg}
case $accel in
kvm) cpu=host idle= ;;
# TCG runs a guest's MWAIT as a pause: idle vCPUs would spin and every
# cross-CPU wakeup would wait for the host scheduler.  HLT idles properly.
*) cpu=max idle=idle=halt ;;
esac
# shellcheck disable=SC2086 # QEMU_EXTRA is a list of arguments
exec qemu-system-x86_64 \
	-machine q35 -accel "$accel" -cpu "$cpu" \
	-smp "${SMP:-2}" -m "${MEM:-1024}" \
	-nographic -no-reboot -nic none \
	-device pvpanic-pci -action panic=exit-failure \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 quiet panic=-1 $idle $append" \
	$QEMU_EXTRA
