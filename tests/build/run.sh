#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build-system checks, run after every binary of $O was built (environment
# from tests/tests.mk).  One PASS/FAIL line each.
set -u
tmp=$O/tests/build
rm -rf "$tmp" && mkdir -p "$tmp"

pass() { echo "PASS build/$1${2:+: $2}"; }
fail() { echo "FAIL build/$1: $2"; }

# A make that behaves as one a user typed: nothing inherited from the make
# that runs these checks (its flags, its package check).
fresh_make() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u VDFW_DEPS_CHECKED -u O -u BUILD -u SRC "$@"
}

# replica DIR: a git clone of the source tree as it is now, uncommitted
# changes included (committed in the clone), so the checks test this tree.
replica() {
	git clone -q "$SRC" "$1" || return 1
	(cd "$SRC" && git ls-files -co --exclude-standard) | tar -C "$SRC" -cf - -T - |
		tar -C "$1" -xf -
	(cd "$SRC" && git ls-files -d) | (cd "$1" && xargs -r rm -f --)
	git -C "$1" add -A && git -C "$1" -c user.name=t -c user.email=t@t \
		commit -qm 'working tree' --allow-empty
}

# litter DIR O: files in the git tree DIR, untracked or ignored, outside O
# (a folder of them is one line).
litter() {
	rel=$(realpath -m --relative-to="$1" "$2")
	git -C "$1" status --porcelain -z --ignored --untracked-files=normal |
		tr '\0' '\n' | sed -n 's/^\(!!\|??\) //p' |
		grep -vxF -e "${rel%/}/" -e "${rel%/}"
}

# The README's two commands on a machine without the build packages:
# dpkg-query says none is installed and kconfig-conf is not on PATH (a
# PATH of links to every other command).  Every command a build step
# would start (kconfig, python3, the compilers, tar for the kernel) is a
# stub that records its name and fails, so the record shows what ran
# before the packages.
check_fresh_machine() {
	f=$tmp/fresh
	mkdir -p "$f/farm" "$f/stub"
	if ! replica "$f/clone" >"$f/clone.log" 2>&1; then
		fail fresh-machine "could not copy the tree: $(tail -1 "$f/clone.log")"
		return
	fi
	old_ifs=$IFS; IFS=:
	for d in $PATH; do
		IFS=$old_ifs
		[ -d "$d" ] || continue
		for c in "$d"/*; do
			n=${c##*/}
			case $n in kconfig-*) continue ;; esac
			[ -e "$f/farm/$n" ] || ln -s "$c" "$f/farm/$n"
		done
	done
	IFS=$old_ifs
	for c in kconfig-conf kconfig-mconf python3 gcc cc musl-gcc clang tar; do
		printf '#!/bin/sh\necho %s >> %s/steps\nexit 1\n' "$c" "$f" > "$f/stub/$c.step"
		chmod +x "$f/stub/$c.step"
	done
	# The build steps' commands: kconfig is "not installed" until apt-get runs.
	for c in python3 gcc cc musl-gcc clang tar; do
		cp "$f/stub/$c.step" "$f/stub/$c"
	done
	printf '#!/bin/sh\nexit 1\n' > "$f/stub/dpkg-query"
	printf '#!/bin/sh\n[ "$1" = -u ] && { echo 1000; exit 0; }\nexec %s "$@"\n' \
		"$(command -v id)" > "$f/stub/id.user"
	cat > "$f/stub/apt-get" <<-EOF
	#!/bin/sh
	echo "apt-get \$*" >> $f/steps
	[ "\$1" = install ] && cp $f/stub/kconfig-conf.step $f/stub/kconfig-conf &&
		cp $f/stub/kconfig-mconf.step $f/stub/kconfig-mconf
	exit 0
	EOF
	chmod +x "$f/stub/dpkg-query" "$f/stub/id.user" "$f/stub/apt-get"
	path=$f/stub:$f/farm

	for goal in test run; do
		# Not root: the exact apt-get line, and nothing else first.
		rm -f "$f/steps" "$f/stub/kconfig-conf" "$f/stub/kconfig-mconf" "$f/stub/id"
		rm -rf "$f/clone/output"
		cp "$f/stub/id.user" "$f/stub/id"
		fresh_make PATH="$path" make -C "$f/clone" $goal </dev/null >"$f/user-$goal.log" 2>&1
		rc=$?
		rm -f "$f/stub/id"
		line=$(grep -F 'sudo apt-get install -y --no-install-recommends' "$f/user-$goal.log")
		if [ $rc = 0 ]; then
			fail fresh-machine-user-$goal "make $goal succeeded with the packages missing"
		elif [ -z "$line" ]; then
			fail fresh-machine-user-$goal "no apt-get line: $(head -3 "$f/user-$goal.log" | tr '\n' ' ')"
		elif ! echo "$line" | grep -q ' kconfig-frontends' ||
		     ! echo "$line" | grep -q ' libclang-rt-14-dev' ||
		     ! echo "$line" | grep -q ' musl-tools'; then
			fail fresh-machine-user-$goal "the apt-get line misses packages: $line"
		elif grep -qiE 'not found|no such file' "$f/user-$goal.log"; then
			fail fresh-machine-user-$goal "$(grep -iE -m1 'not found|no such file' "$f/user-$goal.log")"
		elif [ -s "$f/steps" ]; then
			fail fresh-machine-user-$goal "ran before the packages: $(tr '\n' ' ' < "$f/steps")"
		else
			pass fresh-machine-user-$goal
		fi

		# Root: apt-get installs, before any kconfig or compiler step.
		rm -f "$f/steps" "$f/stub/kconfig-conf" "$f/stub/kconfig-mconf"
		rm -rf "$f/clone/output"
		fresh_make PATH="$path" make -C "$f/clone" $goal </dev/null >"$f/root-$goal.log" 2>&1
		first=$(head -1 "$f/steps" 2>/dev/null)
		if [ -z "$first" ]; then
			fail fresh-machine-root-$goal "apt-get was not called: $(head -3 "$f/root-$goal.log" | tr '\n' ' ')"
		elif ! echo "$first" | grep -q '^apt-get install .* kconfig-frontends' ||
		     ! echo "$first" | grep -q ' libclang-rt-14-dev'; then
			fail fresh-machine-root-$goal "the first step was not the full install: $first"
		elif [ "$(grep -vc '^apt-get' "$f/steps")" = 0 ]; then
			fail fresh-machine-root-$goal "no build step followed the install"
		elif [ -n "$(litter "$f/clone" "$f/clone/output")" ]; then
			fail fresh-machine-root-$goal "wrote into the source tree: $(litter "$f/clone" "$f/clone/output" | head -3 | tr '\n' ' ')"
		else
			pass fresh-machine-root-$goal
		fi
	done
}

# make -j4 from an empty O=, several times, with the configuration tools
# slowed down so that two writers of one generated file would overlap:
# every configuration and generated file comes out whole and the same
# each time.
check_parallel() {
	p=$tmp/parallel
	mkdir -p "$p/stub"
	for c in kconfig-conf python3 sed; do
		printf '#!/bin/sh\nsleep 0.3\nexec %s "$@"\n' "$(command -v $c)" > "$p/stub/$c"
		chmod +x "$p/stub/$c"
	done
	for i in 1 2 3; do
		if ! fresh_make PATH="$p/stub:$PATH" make -j4 -C "$SRC" O="$p/o$i" prepare \
				</dev/null >"$p/o$i.log" 2>&1; then
			fail parallel "make -j4 prepare from empty, round $i: $(grep -m1 -iE 'error|cannot|no such' "$p/o$i.log")"
			return
		fi
		for out in .config build/include/config/auto.conf build/include/autoconf.h \
				build/runtime/gen/devtable.c build/tests/vdused/devtable.c \
				build/bench/vdused/devtable.c build/Kconfig.devices; do
			if [ ! -s "$p/o$i/$out" ] || ! cmp -s "$p/o1/$out" "$p/o$i/$out"; then
				fail parallel "round $i: $out missing or different from round 1"
				return
			fi
		done
	done
	if ls -a "$p"/o*/build "$p"/o* | grep -q '\.tmp'; then
		fail parallel "temporary files left: $(ls -a "$p"/o*/build | grep '\.tmp' | head -3)"
	else
		pass parallel
	fi
}

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

# objects: every object and binary of $BUILD but the kernel's, with mtimes.
objects() {
	find "$BUILD" \( -path "$BUILD/linux*" -prune \) -o -type f \
		\( -name '*.o' -o -name '*.a' -o -perm -u+x \) -printf '%p %T@\n' | sort
}

# A second make rebuilds nothing: no build step runs, no output changes.
check_noop_rebuild() {
	before=$(objects; stat -c '%n %Y' "$O"/images/* "$BUILD"/linux/.config)
	$MAKE -C "$SRC" O="$O" test-binaries >"$tmp/noop.log" 2>&1 || { fail noop-rebuild "make failed"; return; }
	after=$(objects; stat -c '%n %Y' "$O"/images/* "$BUILD"/linux/.config)
	steps=$(grep -E '^  [A-Z-]+ ' "$tmp/noop.log" | grep -v '^  IMAGE ')
	if [ -n "$steps" ]; then
		fail noop-rebuild "second make ran: $(echo "$steps" | head -3 | tr '\n' ' ')"
	elif [ "$before" != "$after" ]; then
		fail noop-rebuild "second make touched outputs: $(echo "$before" > "$tmp/b"; echo "$after" | diff "$tmp/b" - | head -3 | tr '\n' ' ')"
	else
		pass noop-rebuild
	fi
}

# Touch one header of each layer (the one with the fewest includers, to
# keep it short): exactly the objects whose sources include it, directly
# or through other headers, rebuild, in every flavour (includers.py is the
# oracle), and no other object does.
check_headers() {
	for dir in runtime/core runtime/virtqueue runtime/virtio runtime/vduse \
			runtime/models runtime/backends/net runtime/daemon runtime/devtable \
			tests/unit tests/fuzz; do
		best= n_best=
		for h in "$SRC/$dir"/*.h; do
			rel=${h#"$SRC"/}
			n=$(python3 "$SRC/tests/build/includers.py" "$SRC" "$BUILD" "$rel" | grep -c .)
			[ "$n" -gt 0 ] || continue
			if [ -z "$n_best" ] || [ "$n" -lt "$n_best" ]; then best=$rel n_best=$n; fi
		done
		name=headers-${dir#runtime/}
		name=$(echo "$name" | tr / -)
		if [ -z "$best" ]; then
			fail "$name" "no header of $dir is included anywhere"
			continue
		fi
		python3 "$SRC/tests/build/includers.py" "$SRC" "$BUILD" "$best" > "$tmp/expect"
		objects > "$tmp/before"
		touch "$SRC/$best"
		if ! $MAKE -C "$SRC" O="$O" test-binaries >"$tmp/headers.log" 2>&1; then
			fail "$name" "make failed after touching $best: $(tail -1 "$tmp/headers.log")"
			continue
		fi
		objects > "$tmp/after"
		diff "$tmp/before" "$tmp/after" | sed -n 's/^> \(.*\.o\) .*/\1/p' | sort > "$tmp/rebuilt"
		missed=$(comm -23 "$tmp/expect" "$tmp/rebuilt" | sed "s|^$BUILD/||")
		extra=$(comm -13 "$tmp/expect" "$tmp/rebuilt" | sed "s|^$BUILD/||")
		if [ -n "$missed" ]; then
			fail "$name" "touching $best did not rebuild $(echo $missed | cut -c1-200)"
		elif [ -n "$extra" ]; then
			fail "$name" "touching $best also rebuilt $(echo $extra | cut -c1-200)"
		else
			pass "$name ($best: $(grep -c . "$tmp/expect") objects)"
		fi
	done
}

# The version in vdused's banner follows the commit, without make clean:
# a new commit (in a replica, whose build borrows this build's uapi
# headers) rebuilds what includes the version header and nothing else.
check_version() {
	v=$tmp/version
	if ! replica "$v/clone" >"$v.log" 2>&1; then
		fail version "could not copy the tree: $(tail -1 "$v.log")"
		return
	fi
	vo=$v/clone/output/build
	mkdir -p "$vo/linux-src"
	cp -a "$BUILD/linux-headers" "$vo/"
	touch "$vo/linux-src/.extracted" && touch "$vo/linux-headers/.installed"
	vmake() { fresh_make make -C "$v/clone" vdused </dev/null >"$v.log" 2>&1; }
	if ! vmake; then
		fail version "make vdused failed: $(tail -1 "$v.log")"
		return
	fi
	old=$(git -C "$v/clone" describe --always --dirty)
	git -C "$v/clone" -c user.name=t -c user.email=t@t commit -q --allow-empty -m next
	new=$(git -C "$v/clone" describe --always --dirty)
	vmake
	compiled=$(sed -n 's/^  CC  *//p' "$v.log" | tr '\n' ' ')
	if ! grep -qaF "$new" "$vo/runtime/vdused"; then
		fail version "vdused does not name the new commit $new after make"
	elif grep -qaF "$old" "$vo/runtime/vdused"; then
		fail version "vdused still names the old commit $old"
	elif [ "$compiled" != "runtime/daemon/main.c " ]; then
		fail version "the new commit compiled '$compiled', not just runtime/daemon/main.c"
	else
		pass version
	fi
}

# A fragment option that does not survive into the kernel .config stops
# the build and is named.
check_fragment_guard() {
	frag=$tmp/missing.config
	printf 'CONFIG_VDPA_USER=y\nCONFIG_VDFW_NO_SUCH_OPTION=y\n' > "$frag"
	cp "$BUILD/linux/.config" "$tmp/final.config"
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

# The build writes nothing into the source tree outside O: no untracked
# or ignored file anywhere else.  The check itself must see a stray file
# (tried in a replica).
check_clean_tree() {
	if ! git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
		fail clean-tree "not a git checkout; cannot tell"
		return
	fi
	found=$(litter "$SRC" "$O")
	c=$tmp/fresh/clone
	[ -d "$c" ] || replica "$c" >/dev/null 2>&1
	touch "$c/stray.log"
	seen=$(litter "$c" "$c/output")
	rm -f "$c/stray.log"
	if [ -n "$found" ]; then
		fail clean-tree "build litter in the source tree: $(echo $found | head -c 200)"
	elif [ "$seen" != stray.log ]; then
		fail clean-tree "the check does not see an untracked file (saw '$seen')"
	else
		pass clean-tree
	fi
}

# runtime/ is layered (layers.py): no file includes a header of a layer
# above its own or of a peer.  The check is shown to catch a violation:
# a copy of the tree with one backward include (the core including a
# model) must fail it, naming that file.
check_layers() {
	if ! out=$(python3 "$SRC/tests/build/layers.py" "$SRC"); then
		fail layers "$(echo "$out" | head -5 | tr '\n' ';')"
		return
	fi
	l=$tmp/layers
	rm -rf "$l" && mkdir -p "$l" && cp -a "$SRC/runtime" "$l/"
	echo '#include "../models/blk.h"' >> "$l/runtime/core/loop.c"
	if python3 "$SRC/tests/build/layers.py" "$l" | grep -q '^runtime/core/loop.c includes'; then
		pass layers "$(echo "$out" | tail -1)"
	else
		fail layers "the check did not catch core/loop.c including a model"
	fi
}

# run.sh [CHECK...]: only those (e.g. "version parallel"), for debugging.
if [ $# -gt 0 ]; then
	for c; do "check_$c"; done
	exit 0
fi
check_layers
check_fresh_machine
check_parallel
check_savedefconfig
check_noop_rebuild
check_headers
check_version
check_fragment_guard
check_clean_tree
exit 0
