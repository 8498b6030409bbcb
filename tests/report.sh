#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# report.sh RESULTS... : count "PASS name", "FAIL name: why" and
# "SKIP name: why" lines, print every SKIP with its reason, and print the
# closing "N passed, N failed, N skipped" line.  Fails when anything
# failed or when nothing passed at all (an empty run proves nothing).  A
# skip is never a pass: it is counted and named, not hidden.
all=$(cat "$@" 2>/dev/null)
pass=$(echo "$all" | grep -c '^PASS ')
fail=$(echo "$all" | grep -c '^FAIL ')
skip=$(echo "$all" | grep -c '^SKIP ')
echo "$all" | grep '^SKIP ' | sed 's/^/skipped: /'
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
