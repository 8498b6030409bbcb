#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh LOG PACKAGE...: make sure the Debian packages the build needs
# are installed.  The top Makefile runs it while it is read, before any
# rule (kconfig, a compiler, the kernel) can run, so nothing fails for a
# missing tool first.  Messages go to stderr: make captures stdout.
#
# As root, missing packages are installed with apt-get (after an
# `apt-get update` when the first try fails); the log is LOG.  Otherwise
# the exact command is printed and the status is 1.
set -u
log=$1
shift

installed=" $(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "$@" 2>/dev/null |
	awk '$1 == "ii" { print $2 }' | tr '\n' ' ')"
missing=
for p in "$@"; do
	case "$installed" in *" $p "*) ;; *) missing="$missing $p" ;; esac
done
missing=${missing# }
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "Missing Debian packages. Run:"
	echo "  sudo apt-get install -y --no-install-recommends $missing"
	exit 1
fi >&2

printf '  %-9s %s\n' APT "$missing" >&2
mkdir -p "$(dirname "$log")"
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >"$log" 2>&1 ||
{ apt-get update -q >>"$log" 2>&1 &&
  apt-get install -y -q --no-install-recommends $missing >>"$log" 2>&1; } ||
{ tail -20 "$log" >&2; echo "apt-get failed; log in $log" >&2; exit 1; }
