#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""gen-devtable.py CONFIG OUTPUT.c
gen-devtable.py kconfig OUTPUT TEMPLATE...
gen-devtable.py header OUTPUT.h (devtable_gen.h)

Turns the device table of a vdfw .config into const C tables (see
devtable.h).  This is the only place the table is parsed or checked: a bad
entry stops the build with a message naming the device, the field and its
Kconfig symbol, and vdused never parses text at run time.

It is also the one place that says how many devices of each kind a table
can hold, and which backends each kind has: `kconfig` expands each
Kconfig.<kind>.in template that many times (@N@ is the slot), and `header`
writes the counts as DEVTABLE_<KIND>_MAX and declares every backend, the
const <kind>_<backend>_backend that backends/<kind>/<backend>.c defines
and the table points at.
Every output is written through a temporary file of its own, so two
writers (parallel makes) cannot collide and nobody reads half a file.
"""
import hashlib
import io
import os
import re
import sys
import tempfile

# Slots per kind of device.
MAX = {'blk': 8, 'net': 8}
# The backends of each kind, and what follows the colon in its Kconfig
# BACKEND string.  Adding a backend: its .c file, a line here, its help
# text in Kconfig.<kind>.in.
BACKENDS = {
    'blk': {'ram': None, 'null': None, 'file': 'PATH'},
    'net': {'tap': 'IFNAME', 'cable': 'PEER'},
}
NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$')
SUFFIX = {'': 1, 'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30, 'T': 1 << 40}


class TableError(Exception):
    pass


def read_config(path):
    """Return {symbol: value} for every set option (strings unquoted)."""
    cfg = {}
    with open(path) as f:
        for line in f:
            m = re.match(r'^(CONFIG_[A-Za-z0-9_]+)=(.*)$', line.rstrip('\n'))
            if not m:
                continue
            val = m.group(2)
            if val.startswith('"'):
                val = val[1:-1].encode().decode('unicode_escape')
            cfg[m.group(1)] = val
    return cfg


class Entry:
    """One device's options, read with its prefix, errors naming it."""

    def __init__(self, cfg, prefix, label):
        self.cfg, self.prefix, self.label = cfg, prefix, label

    def fail(self, field, msg):
        sym = '%s_%s' % (self.prefix, field)
        raise TableError('%s: %s: %s (%s)' % (self.label, field.lower(), msg, sym))

    def raw(self, field, default=''):
        return self.cfg.get('%s_%s' % (self.prefix, field), default)

    def integer(self, field, lo, hi):
        val = self.raw(field)
        try:
            n = int(val, 0)
        except ValueError:
            self.fail(field, '"%s" is not a number' % val)
        if not lo <= n <= hi:
            self.fail(field, '%d is outside %d..%d' % (n, lo, hi))
        return n

    def choice(self, field, members):
        """The one member of FIELD's Kconfig choice that is set (FIELD_X=y)."""
        on = [m for m in members if self.raw('%s_%s' % (field, m)) == 'y']
        if len(on) != 1:
            self.fail(field, 'exactly one of %s must be set, not %s' % (
                ', '.join('%s_%s_%s' % (self.prefix, field, m) for m in members),
                ', '.join(on) or 'none'))
        return members[on[0]]


def named_entry(cfg, prefix, label, names):
    """Start reading a device: check its name is valid and unique."""
    e = Entry(cfg, prefix, label)
    name = e.raw('NAME')
    if not NAME_RE.match(name):
        e.fail('NAME', '"%s" must be 1-32 of [A-Za-z0-9_.-], starting alphanumeric' % name)
    if name in names:
        e.fail('NAME', '"%s" is already used by %s' % (name, names[name]))
    names[name] = label
    e.label = '%s (%s)' % (label, name)
    return e, name


def parse_size(entry, field):
    val = entry.raw(field).strip()
    m = re.match(r'^(\d+)\s*([KMGT]?)(i?B)?$', val, re.I)
    if not m:
        entry.fail(field, '"%s" is not a size (e.g. 64M, 1G, 1048576)' % val)
    size = int(m.group(1)) * SUFFIX[m.group(2).upper()]
    if size == 0:
        entry.fail(field, 'capacity is zero')
    return size


def backend_hint(kind):
    """'ram, null or file:PATH': the backends of KIND as written in Kconfig."""
    forms = [b + (':' + arg if arg else '') for b, arg in BACKENDS[kind].items()]
    return ' or '.join([', '.join(forms[:-1]), forms[-1]] if len(forms) > 1 else forms)


def backend_sym(kind, backend):
    """The C symbol of a backend (struct <kind>_backend_kind)."""
    return '%s_%s_backend' % (kind, backend)


def parse_blk(cfg, n, names):
    e, name = named_entry(cfg, 'CONFIG_VDFW_BLK%d' % n, 'block device %d' % n, names)

    bs = e.choice('BLOCK', {'512': 512, '4096': 4096})
    size = parse_size(e, 'SIZE')
    if size % bs:
        e.fail('SIZE', '%d bytes is not a multiple of the %d-byte block' % (size, bs))

    backend = e.raw('BACKEND').strip()
    kind, _, path = backend.partition(':')
    if kind not in BACKENDS['blk']:
        e.fail('BACKEND', 'unknown backend "%s" (%s)' % (backend, backend_hint('blk')))
    if kind == 'file' and not path.startswith('/'):
        e.fail('BACKEND', 'file backend needs an absolute path: "%s"' % backend)
    if kind != 'file' and path:
        e.fail('BACKEND', 'a %s device takes no file path: "%s"' % (kind, backend))

    queues = e.integer('QUEUES', 1, 8)
    qsize = e.integer('QUEUE_SIZE', 4, 1024)
    if qsize & (qsize - 1):
        e.fail('QUEUE_SIZE', '%d is not a power of two' % qsize)
    serial = e.raw('SERIAL') or name
    if len(serial.encode()) > 20:
        e.fail('SERIAL', '"%s" is longer than 20 bytes' % serial)
    bus = e.choice('BUS', {'VIRTIO': 'virtio', 'VHOST': 'vhost'})
    return {
        'name': name, 'capacity': size, 'kind': kind, 'path': path or None,
        'readonly': e.raw('READONLY') == 'y', 'block_size': bs,
        'queues': queues, 'queue_size': qsize, 'serial': serial, 'bus': bus,
    }


IFNAME_RE = re.compile(r'^[A-Za-z0-9_.-]{1,15}$')
MAC_RE = re.compile(r'^([0-9a-fA-F]{2})(:[0-9a-fA-F]{2}){5}$')


def derived_mac(name):
    """Locally administered unicast address, stable for a given name."""
    digest = hashlib.sha256(('vdfw:' + name).encode()).digest()
    return [0x02] + list(digest[:5])


def parse_net(cfg, n, names):
    e, name = named_entry(cfg, 'CONFIG_VDFW_NET%d' % n, 'network device %d' % n, names)

    mac_s = e.raw('MAC').strip()
    if not mac_s:
        mac = derived_mac(name)
    elif not MAC_RE.match(mac_s):
        e.fail('MAC', '"%s" is not a MAC address (aa:bb:cc:dd:ee:ff)' % mac_s)
    else:
        mac = [int(x, 16) for x in mac_s.split(':')]
        if mac[0] & 1:
            e.fail('MAC', '%s is a multicast address' % mac_s)
        if not any(mac):
            e.fail('MAC', 'the all-zero address is not usable')
    mtu = e.integer('MTU', 68, 65535)
    qsize = e.integer('QUEUE_SIZE', 4, 1024)
    if qsize & (qsize - 1):
        e.fail('QUEUE_SIZE', '%d is not a power of two' % qsize)
    backend = e.raw('BACKEND').strip()
    kind, _, arg = backend.partition(':')
    if kind == 'tap':
        if not IFNAME_RE.match(arg):
            e.fail('BACKEND', 'tap needs an interface name of 1-15 characters: "%s"' % backend)
    elif kind == 'cable':
        if not arg:
            e.fail('BACKEND', 'cable needs the peer device name: "%s"' % backend)
        if arg == name:
            e.fail('BACKEND', 'a cable cannot join %s to itself' % name)
    else:
        e.fail('BACKEND', 'unknown backend "%s" (%s)' % (backend, backend_hint('net')))
    bus = e.choice('BUS', {'VIRTIO': 'virtio', 'VHOST': 'vhost'})
    return {
        'n': n, 'name': name, 'mac': mac, 'mtu': mtu, 'queue_size': qsize,
        'kind': kind, 'arg': arg, 'link_up': e.raw('LINK_UP') == 'y',
        'bus': bus, 'entry': e,
    }


def pair_cables(nets):
    """Both ends of a cable must name each other; resolve peer indexes."""
    index = {d['name']: i for i, d in enumerate(nets)}
    for d in nets:
        if d['kind'] != 'cable':
            continue
        peer = d['arg']
        if peer not in index:
            d['entry'].fail('BACKEND', 'cable peer "%s" is not a network device of the table' % peer)
        other = nets[index[peer]]
        if other['kind'] != 'cable' or other['arg'] != d['name']:
            d['entry'].fail('BACKEND', 'cable to %s, but %s is "%s:%s", not "cable:%s"' % (
                peer, peer, other['kind'], other['arg'], d['name']))
        d['peer'] = index[peer]


def net_c(d):
    out = '\t{\n'
    out += '\t\t.name = %s,\n' % c_str(d['name'])
    out += '\t\t.mac = { %s },\n' % ', '.join('0x%02x' % b for b in d['mac'])
    out += '\t\t.mtu = %d,\n' % d['mtu']
    out += '\t\t.queue_size = %d,\n' % d['queue_size']
    out += '\t\t.backend = &%s,\n' % backend_sym('net', d['kind'])
    out += '\t\t.ifname = %s,\n' % c_str(d['arg'] if d['kind'] == 'tap' else None)
    if 'peer' in d:
        out += '\t\t.peer = &net_devtable[%d],\n' % d['peer']
    out += '\t\t.link_up = %s,\n' % ('true' if d['link_up'] else 'false')
    out += '\t\t.bus = VDPA_BUS_%s,\n' % d['bus'].upper()
    return out + '\t},\n'


def net_summary(d):
    return '%s %s:%s %s mtu%d q%d%s %s' % (
        d['name'], d['kind'], d['arg'], ':'.join('%02x' % b for b in d['mac']),
        d['mtu'], d['queue_size'], '' if d['link_up'] else ' link-down', d['bus'])


def c_str(s):
    if s is None:
        return 'NULL'
    out = '"'
    for ch in s.encode():
        c = chr(ch)
        out += c if 32 <= ch < 127 and c not in '"\\?' else '\\%03o' % ch
    return out + '"'


def human(size):
    for suf, mul in (('T', 1 << 40), ('G', 1 << 30), ('M', 1 << 20), ('K', 1 << 10)):
        if size % mul == 0:
            return '%d%s' % (size // mul, suf)
    return str(size)


def blk_summary(d):
    be = d['kind'] + (':' + d['path'] if d['path'] else '')
    return '%s %s %s%s bs%d q%dx%d %s' % (
        d['name'], be, human(d['capacity']), ' ro' if d['readonly'] else '',
        d['block_size'], d['queues'], d['queue_size'], d['bus'])


def emit(out, blks, nets):
    w = out.write
    w('/* Generated by runtime/devtable/gen-devtable.py from .config: do not edit. */\n')
    w('#include <stddef.h>\n#include "devtable/devtable.h"\n\n')
    w('const struct blk_devcfg blk_devtable[] = {\n')
    for d in blks:
        w('\t{\n')
        w('\t\t.name = %s,\n' % c_str(d['name']))
        w('\t\t.capacity = %dULL,\n' % d['capacity'])
        w('\t\t.backend = &%s,\n' % backend_sym('blk', d['kind']))
        w('\t\t.path = %s,\n' % c_str(d['path']))
        w('\t\t.readonly = %s,\n' % ('true' if d['readonly'] else 'false'))
        w('\t\t.block_size = %d,\n' % d['block_size'])
        w('\t\t.num_queues = %d,\n' % d['queues'])
        w('\t\t.queue_size = %d,\n' % d['queue_size'])
        w('\t\t.serial = %s,\n' % c_str(d['serial']))
        w('\t\t.bus = VDPA_BUS_%s,\n' % d['bus'].upper())
        w('\t},\n')
    w('};\nconst unsigned int blk_devtable_len = %d;\n\n' % len(blks))
    w('const struct net_devcfg net_devtable[] = {\n')
    for d in nets:
        w(net_c(d))
    w('};\nconst unsigned int net_devtable_len = %d;\n\n' % len(nets))
    summary = '; '.join([blk_summary(d) for d in blks] + [net_summary(d) for d in nets])
    w('const char devtable_summary[] = %s;\n' % c_str(summary))


def write_atomic(path, text):
    """Replace PATH by TEXT through a temporary file of this process's own."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)),
                               prefix='.' + os.path.basename(path) + '.')
    with os.fdopen(fd, 'w') as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def kind_of(template):
    m = re.match(r'^Kconfig\.(\w+)\.in$', os.path.basename(template))
    if not m or m.group(1) not in MAX:
        sys.exit('%s: not a Kconfig.<kind>.in template of a known kind (%s)' % (
            template, ', '.join(sorted(MAX))))
    return m.group(1)


def gen_kconfig(path, templates):
    text = '# Generated by runtime/devtable/gen-devtable.py: do not edit.\n'
    for t in sorted(templates):
        with open(t) as f:
            body = f.read()
        text += ''.join(body.replace('@N@', str(n)) for n in range(MAX[kind_of(t)]))
    write_atomic(path, text)


def gen_header(path):
    text = '/* Generated by runtime/devtable/gen-devtable.py: do not edit. */\n'
    text += '#ifndef VDFW_DEVTABLE_GEN_H\n#define VDFW_DEVTABLE_GEN_H\n'
    text += ''.join('#define DEVTABLE_%s_MAX %d\n' % (k.upper(), MAX[k]) for k in sorted(MAX))
    for k in sorted(BACKENDS):
        text += '\nstruct %s_backend_kind;\n' % k
        text += ''.join('extern const struct %s_backend_kind %s;\n' % (k, backend_sym(k, b))
                        for b in BACKENDS[k])
    text += '\n#endif\n'
    write_atomic(path, text)


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == 'kconfig':
        return gen_kconfig(sys.argv[2], sys.argv[3:])
    if len(sys.argv) == 3 and sys.argv[1] == 'header':
        return gen_header(sys.argv[2])
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    cfg = read_config(sys.argv[1])
    names = {}
    try:
        blks = [parse_blk(cfg, n, names) for n in range(MAX['blk'])
                if cfg.get('CONFIG_VDFW_BLK%d' % n) == 'y']
        nets = [parse_net(cfg, n, names) for n in range(MAX['net'])
                if cfg.get('CONFIG_VDFW_NET%d' % n) == 'y']
        pair_cables(nets)
    except TableError as err:
        sys.stderr.write('device table: %s\n' % err)
        sys.exit(1)
    out = io.StringIO()
    emit(out, blks, nets)
    write_atomic(sys.argv[2], out.getvalue())


if __name__ == '__main__':
    main()
