#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""includers.py SRC BUILD HEADER...

The oracle of the header-tracking check: prints every object file that
must be rebuilt when one of the HEADERs (paths under SRC) changes.  It
reads the sources' own #include "..." lines, follows them through other
headers, and maps each C source that reaches a HEADER to the object of
every build flavour that compiles it.  It does not read the .d files the
compilers wrote: those are what is under test.

The flavours are written out here a second time on purpose (the build
declares them in runtime.mk, tests.mk and bench.mk): a flavour that stops
tracking its headers is caught, and a new one must be added here too.
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
# Source folders, and the -I folders their quoted includes are searched in.
TREES = {
    'runtime': ['runtime'],
    'tests/unit': ['tests/unit', 'runtime'],
    'tests/fuzz': ['tests/fuzz', 'tests/unit', 'runtime'],
    'tests/tools': ['tests/tools'],
    'tests/bench': ['tests/bench'],
}


def objects(src_rel, build):
    """Objects built from one C source, in every flavour."""
    d, name = os.path.split(src_rel)
    stem = os.path.splitext(src_rel)[0]
    out = []
    if src_rel.startswith('runtime/'):
        rel = stem[len('runtime/'):]
        out.append('runtime/%s.o' % rel)                 # musl vdused
        if src_rel != 'runtime/daemon/main.c':
            out.append('tests/unit/runtime/%s.o' % rel)  # unit tests
            # The fuzz targets link tests/fuzz/log_sink.c instead of log.c.
            if src_rel != 'runtime/core/log.c':
                out.append('tests/fuzz/runtime/%s.o' % rel)  # fuzz targets
        if src_rel == 'runtime/backends/blk/file.c':
            out.append('tests/vdused-noflush/backends/blk/file.o')  # FLUSH compiled out
    elif d == 'tests/unit':
        out.append('tests/unit/%s' % name.replace('.c', '.o'))
        if not name.startswith('test_'):
            out.append('tests/fuzz/unit/%s' % name.replace('.c', '.o'))
    elif d == 'tests/fuzz':
        out.append('tests/fuzz/%s' % name.replace('.c', '.o'))
    elif d == 'tests/tools':
        out.append('tests/tools/%s' % name.replace('.c', '.o'))
    elif d == 'tests/bench':
        out.append('bench/tools/%s' % name.replace('.c', '.o'))
    return [os.path.join(build, o) for o in out]


def resolve(src, including, name, search):
    for base in [os.path.dirname(including)] + search:
        path = os.path.normpath(os.path.join(base, name))
        if os.path.isfile(os.path.join(src, path)):
            return path
    return None  # a generated header (autoconf.h, ...)


def main():
    src, build, headers = sys.argv[1], sys.argv[2], sys.argv[3:]
    files = {}
    for tree, search in TREES.items():
        for root, _, names in os.walk(os.path.join(src, tree)):
            for n in names:
                if n.endswith(('.c', '.h')):
                    rel = os.path.relpath(os.path.join(root, n), src)
                    files[rel] = search
    reads = {}
    for rel, search in files.items():
        with open(os.path.join(src, rel), errors='replace') as f:
            text = f.read()
        reads[rel] = {resolve(src, rel, m, search) for m in INCLUDE.findall(text)} - {None}

    def reaches(rel, seen):
        if rel in headers:
            return True
        for h in reads.get(rel, ()):
            if h not in seen:
                seen.add(h)
                if reaches(h, seen):
                    return True
        return False

    out = []
    for rel in sorted(files):
        if rel.endswith('.c') and reaches(rel, set()):
            out += objects(rel, build)
    # The generated tables (product and variants) include devtable.h.
    if reaches('runtime/devtable/devtable.h', set()):
        out += [os.path.join(build, o) for o in (
            'runtime/gen/devtable.o', 'tests/vdused/devtable.o', 'bench/vdused/devtable.o')]
    print('\n'.join(sorted(out)))


if __name__ == '__main__':
    main()
