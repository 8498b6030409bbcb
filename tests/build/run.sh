#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build-system checks, run after a full build of $O (environment from
# tests/tests.mk).  One PASS/FAIL line each.
set -u
tmp=$O/tests/build
rm -rf "$tmp" && mkdir -p "$tmp"

pass() { echo "PASS build/$1"; }
fail() { echo "FAIL build/$1: $2"; }

# make <board>_defconfig && make savedefconfig gives back the board file.
check_savedefconfig() {
	for def in "$SRC"/board/*/defconfig; do
		b=$(basename "$(dirname "$def")" | tr - _)
		o=$tmp/savedef-$b
		if ! $MAKE -s -C "$SRC" O="$o" "${b}_defconfig" >"$o.log" 2>&1 ||
		   ! $MAKE -s -C "$SRC" O="$o" savedefconfig DEFCONFIG="$o/defconfig" >>"$o.log" 2>&1; then
			fail "savedefconfig-$b" "make failed: $(tail -1 "$o.log")"
		elif ! cmp -s "$o/defconfig" "$def"; then
			fail "savedefconfig-$b" "differs from $def: $(diff "$def" "$o/defconfig" | head -3 | tr '\n' ' ')"
		else
			pass "savedefconfig-$b"
		fi
	done
}

# A second make rebuilds nothing: no build step runs, no output changes.
check_noop_rebuild() {
	before=$(stat -c '%n %Y' "$O"/images/* "$O"/build/runtime/vdused "$O"/build/linux/.config)
	$MAKE -C "$SRC" O="$O" all >"$tmp/noop.log" 2>&1 || { fail noop-rebuild "make failed"; return; }
	after=$(stat -c '%n %Y' "$O"/images/* "$O"/build/runtime/vdused "$O"/build/linux/.config)
	steps=$(grep -E '^  (CC|LD|KERNEL|KCONFIG|CPIO|GEN|HEADERS|EXTRACT|HOSTCC) ' "$tmp/noop.log")
	if [ -n "$steps" ]; then
		fail noop-rebuild "second make ran: $(echo "$steps" | head -3 | tr '\n' ' ')"
	elif [ "$before" != "$after" ]; then
		fail noop-rebuild "second make touched outputs"
	else
		pass noop-rebuild
	fi
}

# A fragment option that does not survive into the kernel .config stops
# the build and is named.
check_fragment_guard() {
	frag=$tmp/missing.config
	printf 'CONFIG_VDPA_USER=y\nCONFIG_VDFW_NO_SUCH_OPTION=y\n' > "$frag"
	cp "$O/build/linux/.config" "$tmp/final.config"
	if "$SRC/kernel/check-fragments.sh" "$tmp/final.config" "$frag" 2>"$tmp/frag.err"; then
		fail fragment-guard "a missing option was accepted"
	elif ! grep -q 'CONFIG_VDFW_NO_SUCH_OPTION=y' "$tmp/frag.err"; then
		fail fragment-guard "the error does not name the option: $(cat "$tmp/frag.err")"
	elif grep -q 'CONFIG_VDPA_USER' "$tmp/frag.err"; then
		fail fragment-guard "a present option was reported missing"
	else
		pass fragment-guard
	fi
}

# The build writes nothing into the source tree outside O: no ignored
# litter (objects, caches) anywhere else.
check_clean_tree() {
	if ! git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
		fail clean-tree "not a git checkout; cannot tell"
		return
	fi
	rel=$(realpath --relative-to="$SRC" "$O" 2>/dev/null)
	litter=$(git -C "$SRC" status --porcelain --ignored | sed -n 's/^!! //p' |
		grep -v "^${rel%/}/" | grep -v "^${rel%/}$")
	if [ -n "$litter" ]; then
		fail clean-tree "build litter in the source tree: $(echo $litter | head -c 200)"
	else
		pass clean-tree
	fi
}

check_savedefconfig
check_noop_rebuild
check_clean_tree
check_fragment_guard
for t in "$SRC"/tests/build/check-*.sh; do
	[ -f "$t" ] && . "$t"
done
exit 0
