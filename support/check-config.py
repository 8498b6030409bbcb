#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""check-config.py IN OUT KCONFIG BUILD_DIR

IN is a .config (or defconfig) as a person or a fragment wrote it, OUT the
same after kconfig's olddefconfig.  kconfig never refuses a value: it
clamps an int to its range, picks another member of a choice and drops a
symbol it does not know, all without a word.  For a device table that
would build something other than what was asked for, so every symbol IN
sets must be a symbol of the Kconfig tree rooted at KCONFIG (whose
"$VDFW_BUILD_DIR" is BUILD_DIR) and, where kconfig kept it, keep its
value.  A symbol whose menu is off (its device not enabled) is dropped
as kconfig always does.  Exits 1 naming every symbol that failed.
"""
import os
import re
import sys

ASSIGN = re.compile(r'^(CONFIG_[A-Za-z0-9_]+)=(.*)$')
NOT_SET = re.compile(r'^# (CONFIG_[A-Za-z0-9_]+) is not set$')


def read_config(path):
    """{symbol: raw value}; 'n' for "is not set"; the last assignment wins."""
    vals = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip('\n')
            m = ASSIGN.match(line) or NOT_SET.match(line)
            if m:
                vals[m.group(1)] = m.group(2) if m.re is ASSIGN else 'n'
    return vals


def kconfig_symbols(root, build_dir):
    """Every symbol declared in the Kconfig tree, following `source`."""
    srctree = os.path.dirname(os.path.abspath(root))
    env = dict(os.environ, VDFW_BUILD_DIR=build_dir)
    symbols, todo, seen = set(), [root], set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        with open(path) as f:
            for line in f:
                words = line.split()
                if len(words) >= 2 and words[0] in ('config', 'menuconfig'):
                    symbols.add('CONFIG_' + words[1])
                elif len(words) >= 2 and words[0] == 'source':
                    name = re.sub(r'\$(\w+)', lambda m: env.get(m.group(1), ''),
                                  words[1].strip('"'))
                    todo.append(name if name.startswith('/') else
                                os.path.join(srctree, name))
    return symbols


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    src, out, root, build_dir = sys.argv[1:]
    wanted, got = read_config(src), read_config(out)
    known = kconfig_symbols(root, build_dir)
    errors = []
    for sym, val in wanted.items():
        if sym not in known:
            if val != 'n':
                errors.append('%s is not a Kconfig symbol (a typo, or one this version no longer has: remove it, or set what replaced it in menuconfig)' % sym)
        elif sym in got and got[sym] != val:
            errors.append('%s=%s is not a value Kconfig allows (out of its range, '
                          'or not the member of its choice); kconfig would make it %s'
                          % (sym, val, got[sym]))
    for err in errors:
        sys.stderr.write('%s: %s\n' % (src, err))
    sys.exit(1 if errors else 0)


if __name__ == '__main__':
    main()
