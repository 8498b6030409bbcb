#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# gen-list.sh BUSYBOX VDUSED CONFIG TREE...
#
# Prints a gen_init_cpio file list for the initramfs: the fixed directories
# and device nodes, busybox with a link per applet, vdused, the shell
# settings file, then every file of each TREE (later trees win).
set -e
busybox=$1 vdused=$2 config=$3
shift 3

cat <<'LIST'
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
nod /dev/null 0666 0 0 c 1 3
dir /proc 0755 0 0
dir /sys 0755 0 0
dir /run 0755 0 0
dir /tmp 1777 0 0
dir /root 0700 0 0
dir /bin 0755 0 0
dir /sbin 0755 0 0
dir /usr 0755 0 0
dir /usr/bin 0755 0 0
dir /usr/sbin 0755 0 0
dir /etc 0755 0 0
dir /etc/vdfw 0755 0 0
dir /etc/vdfw/boot.d 0755 0 0
slink /init /bin/busybox 0777 0 0
LIST
echo "file /bin/busybox $busybox 0755 0 0"
"$busybox" --list-full | while read -r applet; do
	[ "$applet" = bin/busybox ] || echo "slink /$applet /bin/busybox 0777 0 0"
done
echo "file /sbin/vdused $vdused 0755 0 0"
echo "file /etc/vdfw/config $config 0644 0 0"

# Later trees override earlier ones: keep the last line for each path.
for tree in "$@"; do
	[ -d "$tree" ] || { echo "rootfs: overlay $tree is not a directory" >&2; exit 1; }
	(cd "$tree" && find . -mindepth 1 | sort) | while read -r p; do
		f="$tree/${p#./}"
		mode=$(stat -c %a "$f")
		if [ -L "$f" ]; then
			echo "slink ${p#.} $(readlink "$f") 0777 0 0"
		elif [ -d "$f" ]; then
			echo "dir ${p#.} $mode 0 0"
		else
			echo "file ${p#.} $f $mode 0 0"
		fi
	done
done | awk '{ last[$2] = $0; order[$2] = NR } END { for (p in last) print order[p], last[p] }' |
	sort -n | cut -d' ' -f2-
