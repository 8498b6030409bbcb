#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# report.sh RESULTS... : count "PASS name" / "FAIL name: why" lines and print
# the closing "N passed, N failed" line.  Fails when anything failed or
# when nothing ran at all (an empty run proves nothing).
pass=$(cat "$@" 2>/dev/null | grep -c '^PASS ')
fail=$(cat "$@" 2>/dev/null | grep -c '^FAIL ')
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
