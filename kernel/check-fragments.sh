#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check-fragments.sh FINAL_CONFIG FRAGMENT...
#
# Fails, naming each option, when a value a fragment asks for is not in the
# final kernel .config.  merge_config.sh only warns in that case, and an
# option silently dropped for an unmet dependency (VDPA_USER without
# ARCH_HAS_DMA_OPS, say) gives a kernel that boots but lacks the feature.

final=$1
shift
for frag in "$@"; do
	sed -n -e 's/^\(CONFIG_[A-Za-z0-9_]*\)=\(.*\)/\1 \2/p' \
	       -e 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set/\1 n/p' "$frag" |
	while read -r opt want; do
		got=$(sed -n -e "s/^$opt=\\(.*\\)/\\1/p" \
			     -e "s/^# $opt is not set/n/p" "$final")
		[ -n "$got" ] || got=n
		if [ "$got" != "$want" ]; then
			echo "kernel config: $opt=$want (from $frag) is $got in the final .config;" \
			     "a dependency of it is not met" >&2
			echo bad
		fi
	done
done > "$final.check"
if [ -s "$final.check" ]; then
	rm -f "$final.check"
	echo "kernel config: fix the fragments above (see the option's 'depends on' in the kernel's Kconfig)" >&2
	exit 1
fi
rm -f "$final.check"
exit 0
