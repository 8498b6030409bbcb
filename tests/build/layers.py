#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""layers.py SRC: check that runtime/ is layered.

Every folder of runtime/ is a layer; a file may include headers of its
own layer and of the layers below it, never of one above, nor of a peer
(vduse/ and models/ do not know each other).  Backends see the models
only through the interface headers the models publish for them.  Prints
one line per violation and exits 1, or prints the layers and exits 0.
"""
import os
import re
import sys

# Folder: rank.  A folder may include from folders of a lower rank, and
# from its own folder.
RANK = {
    'core': 0,
    'devtable': 0,
    'virtqueue': 1,
    'virtio': 2,
    'vduse': 3,
    'models': 3,
    'backends/blk': 4,
    'backends/net': 4,
    'daemon': 5,
}
# What a backend may include from the models: the contract, not the model.
BACKEND_VIEW = {'models/blk_backend.h', 'models/net_backend.h',
                'models/net_hdr.h', 'models/gso.h'}
# Private headers: only their own folder includes them (net_priv.h is the
# state net.c and net_rx.c share; the daemon and the backends never see it).
PRIVATE = {'virtqueue/virtq_priv.h': 'virtqueue', 'models/net_priv.h': 'models'}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(rel):
    d = os.path.dirname(rel)
    return d if d in RANK else None


def main():
    src = os.path.join(sys.argv[1], 'runtime')
    bad = []
    for root, _, names in os.walk(src):
        for n in sorted(names):
            if not n.endswith(('.c', '.h')):
                continue
            path = os.path.join(root, n)
            rel = os.path.relpath(path, src)
            me = layer_of(rel)
            if me is None:
                bad.append('%s: runtime/%s is in no layer (add its folder to '
                           'layers.py)' % (rel, os.path.dirname(rel)))
                continue
            with open(path, errors='replace') as f:
                text = f.read()
            for inc in INCLUDE.findall(text):
                tgt = os.path.normpath(os.path.join(os.path.dirname(rel), inc))
                if not os.path.isfile(os.path.join(src, tgt)):
                    continue  # generated (autoconf.h, devtable_gen.h, ...)
                them = layer_of(tgt)
                why = None
                if them is None:
                    why = 'a file outside every layer'
                elif them == me:
                    continue
                elif tgt in PRIVATE and PRIVATE[tgt] != me:
                    why = 'private to %s/' % PRIVATE[tgt]
                elif RANK[them] > RANK[me]:
                    why = 'layer %s/ is above %s/' % (them, me)
                elif RANK[them] == RANK[me]:
                    why = '%s/ and %s/ are peers' % (them, me)
                elif me.startswith('backends/') and them == 'models' and \
                        tgt not in BACKEND_VIEW:
                    why = 'a backend sees the models only through %s' % \
                          ', '.join(sorted(BACKEND_VIEW))
                if why:
                    bad.append('runtime/%s includes "%s": %s' % (rel, inc, why))
    for b in bad:
        print(b)
    if bad:
        return 1
    order = sorted(RANK, key=lambda k: (RANK[k], k))
    print('layers: ' + ' <- '.join(
        ', '.join(k for k in order if RANK[k] == r) for r in sorted(set(RANK.values()))))
    return 0


if __name__ == '__main__':
    sys.exit(main())
