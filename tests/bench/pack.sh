#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# pack.sh PLAN BENCH_VDUSED TOOL...   (prints a gen_init_cpio file list)
#
# The bench payload, appended to the product initramfs for one boot only:
# the bench boot hook and its plan, the bench-table vdused (replacing the
# image's /sbin/vdused), our static tools, and Debian's dynamic fio,
# iperf3, qemu-storage-daemon and vdpa (iproute2) with every shared
# library ldd lists for them and the dynamic loader.  Programs go to
# /usr/lib/vdfw-bench/bin and libraries to /usr/lib/vdfw-bench/lib (the
# hook sets LD_LIBRARY_PATH); only the loader sits at the path the
# programs name (PT_INTERP).  Fails when a program or library is missing.
set -eu
plan=$1 vdused=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
B=/usr/lib/vdfw-bench
PROGRAMS="fio iperf3 qemu-storage-daemon vdpa"

cat <<EOF
dir /usr 0755 0 0
dir /usr/lib 0755 0 0
dir $B 0755 0 0
dir $B/bin 0755 0 0
dir $B/lib 0755 0 0
dir /etc/vdfw/boot.d 0755 0 0
file /etc/vdfw/boot.d/90-vdfw-bench $here/guest/bench.sh 0755 0 0
file $B/common.sh $here/../guest/common.sh 0644 0 0
file $B/plan $plan 0644 0 0
file /sbin/vdused $vdused 0755 0 0
EOF
for t in "$@"; do
	echo "file $B/bin/${t##*/} $t 0755 0 0"
done

libs=$(mktemp)
trap 'rm -f "$libs"' EXIT
for p in $PROGRAMS; do
	path=$(PATH=$PATH:/usr/sbin:/sbin command -v "$p") || {
		echo "pack.sh: $p not found (make deps installs it)" >&2; exit 1; }
	echo "file $B/bin/$p $(readlink -f "$path") 0755 0 0"
	# "name => /path (addr)" for libraries, "/path/ld.so (addr)" for the loader.
	ldd "$path" > "$libs.ldd" || { echo "pack.sh: ldd $path failed" >&2; exit 1; }
	if grep -q 'not found' "$libs.ldd"; then
		echo "pack.sh: $p: $(grep 'not found' "$libs.ldd" | head -1)" >&2
		exit 1
	fi
	awk '$2 == "=>" && $3 ~ /^\// { print "lib", $1, $3 }
	     $1 ~ /^\// && $2 ~ /^\(/ { print "interp", $1, $1 }' "$libs.ldd" >> "$libs"
done
rm -f "$libs.ldd"
sort -u "$libs" | while read -r kind name path; do
	if [ "$kind" = interp ]; then
		echo "dir ${name%/*} 0755 0 0"
		echo "file $name $(readlink -f "$path") 0755 0 0"
	else
		echo "file $B/lib/$name $(readlink -f "$path") 0755 0 0"
	fi
done
