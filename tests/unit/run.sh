#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# run.sh TEST_BINARY... : run each unit-test binary.  A binary prints one
# PASS/FAIL line per test; one that dies early (sanitizer report, crash)
# gets a FAIL line of its own with the tail of what it printed.
# Daemon state (RAM disks, logs) goes to a scratch directory, not /run.
export VDUSED_RUN_DIR=$(mktemp -d)
trap 'rm -rf "$VDUSED_RUN_DIR"' EXIT
for t in "$@"; do
	name=${t##*/}
	out=$(mktemp)
	"$t" >"$out" 2>&1
	rc=$?
	grep -E "^(PASS|FAIL|SKIP) " "$out"
	if [ $rc != 0 ] && ! grep -q '^FAIL ' "$out"; then
		echo "FAIL $name: exited with status $rc:" \
			"$(grep -vE '^(PASS|FAIL) ' "$out" | tail -5 | tr '\n' ' ')"
	elif ! grep -qE '^(PASS|FAIL) ' "$out"; then
		echo "FAIL $name: ran no tests"
	fi
	if grep -q 'runtime error:\|ERROR: AddressSanitizer' "$out" && [ $rc = 0 ]; then
		echo "FAIL $name: sanitizer report: $(grep -m1 'runtime error:\|ERROR: AddressSanitizer' "$out")"
	fi
	rm -f "$out"
done
