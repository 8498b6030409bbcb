#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""report.py: the bench console log -> report.md, results.json, chart.png.

The guest (tests/bench/guest/bench.sh) prints one "vdfw-bench: KIND
key=value ..." line per fact; "why=" is always the last field and takes the
rest of the line.  This script aggregates the repetitions (median, min,
max), computes the ratios and the tracked targets, and writes:

  OUT/report.md     the tables, the targets (MET / MISSED / NOT MEASURED)
                    and the conditions of the run; printed in full mode
  OUT/results.json  every run and every aggregate, for machines
  OUT/chart.png     devices side by side, one panel per job (gnuplot)

In smoke mode it prints PASS/FAIL/SKIP lines instead (make test): every
device and path measured with a non-zero result, report and chart made.
It never asserts a speed.
"""
import argparse
import json
import os
import statistics
import struct
import subprocess
import sys
import time

USER_HZ = 100  # /proc/<pid>/stat ticks on x86

JOBS = {
    'rr1': ('4k randread QD1', 'iops'),
    'rr32': ('4k randread QD32', 'iops'),
    'rw32': ('4k randwrite QD32', 'iops'),
    'sr8': ('128k seq read QD8', 'mib'),
    'sw8': ('128k seq write QD8', 'mib'),
    'mq': ('4k randread 2 jobs x QD32', 'iops'),
}
DEVICES = {
    'vdused-null': 'vdused, null backend (bnull, 2 queues; zero-fills every read)',
    'vdused-ram': 'vdused, RAM backend (bram)',
    'vdused-file': 'vdused, file on tmpfs (bfile, io_uring)',
    'qsd-null': 'qemu-storage-daemon vduse-blk, null-co read-zeroes=off (2 queues; '
                'reads leave the buffer untouched)',
    'qsd-file': 'qemu-storage-daemon vduse-blk, file on tmpfs (aio=io_uring)',
    'vdpa_sim_blk': 'in-kernel vDPA block simulator (RAM, 1 queue)',
    'brd': 'in-kernel RAM disk /dev/ram0',
    'null_blk': 'in-kernel null_blk /dev/nullb0 (2 submit queues)',
}
DEVICE_ORDER = list(DEVICES)
PATHS = {
    'veth': 'veth pair (kernel)',
    'cable': 'vdused cable (virtio-net <-> virtio-net)',
    'tap': 'vdused tap (virtio-net <-> tap)',
}
NET_TESTS = {'tcp': ('TCP throughput', 'Mbit/s'), 'rr': ('TCP request/response', 'trans/s')}


# Keys whose value is the rest of the line (spaces allowed): always last.
REST_KEYS = ('why', 'name', 'text')


def parse_line(line):
    """'KIND k=v k=v ... why=rest of line' -> (KIND, dict)."""
    kind, _, rest = line.partition(' ')
    fields = {}
    while rest:
        rest = rest.lstrip()
        key = rest.partition('=')[0]
        if key in REST_KEYS:
            fields[key] = rest[len(key) + 1:].strip()
            break
        tok, _, rest = rest.partition(' ')
        k, eq, v = tok.partition('=')
        if eq:
            fields[k] = v
    return kind, fields


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def parse_console(path):
    data = {'start': {}, 'devices': {}, 'runs': [], 'phases': [], 'net': {},
            'netruns': [], 'mem': None, 'smaps': [], 'done': None, 'warnings': [], 'cmdline': ''}
    with open(path, errors='replace') as f:
        for raw in f:
            line = raw.replace('\r', '').rstrip('\n')
            i = line.find('vdfw-bench: ')
            if i < 0:
                continue
            kind, fl = parse_line(line[i + len('vdfw-bench: '):])
            if kind == 'start':
                data['start'] = fl
            elif kind == 'dev':
                data['devices'][fl.get('label', '?')] = fl
            elif kind == 'run':
                data['runs'].append(fl)
            elif kind == 'phase':
                data['phases'].append(fl)
            elif kind == 'net':
                data['net'][fl.get('path', '?')] = fl
            elif kind == 'netrun':
                data['netruns'].append(fl)
            elif kind == 'mem':
                data['mem'] = fl
            elif kind == 'smaps':
                data['smaps'].append(fl)
            elif kind == 'done':
                data['done'] = fl
            elif kind == 'cmdline':
                data['cmdline'] = fl.get('text', '')
            elif kind == 'warning':
                data['warnings'].append(fl.get('why', ''))
    return data


def summary(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    med = statistics.median(values)
    return {'median': med, 'min': min(values), 'max': max(values), 'n': len(values),
            'spread_pct': (max(values) - min(values)) / med * 100 if med else None}


def aggregate_blk(data):
    """(device, job) -> aggregate over the repetitions."""
    groups = {}
    for r in data['runs']:
        groups.setdefault((r.get('dev'), r.get('job')), []).append(r)
    agg = {}
    for (dev, job), runs in groups.items():
        ok = [r for r in runs if 'iops' in r]
        a = {'device': dev, 'job': job, 'runs': len(runs), 'ok': len(ok),
             'failed': [r.get('why', '') for r in runs if 'iops' not in r]}
        a['iops'] = summary([num(r['iops']) for r in ok])
        a['mib_s'] = summary([num(r['kib_s']) / 1024 for r in ok])
        a['lat_us'] = summary([num(r['lat_us']) for r in ok])
        a['p99_us'] = summary([num(r.get('p99_us')) for r in ok])
        ios = sum(num(r['ios']) or 0 for r in ok)
        server = data['devices'].get(dev, {}).get('server', '-')
        a['server'] = server
        if server != '-' and ios:
            ticks = sum(num(r['srv_ticks']) or 0 for r in ok)
            a['cpu_s_per_mreq'] = ticks / USER_HZ / ios * 1e6
            a['switches_per_req'] = sum(num(r.get('srv_ctxsw')) or 0 for r in ok) / ios
        vq_req = [num(r.get('vq_req')) for r in ok]
        vq_irq = [num(r.get('vq_irq')) for r in ok]
        if vq_req and None not in vq_req and None not in vq_irq and sum(vq_req):
            a['irqs_per_req'] = sum(vq_irq) / sum(vq_req)
            a['vq_requests'] = sum(vq_req)
        a['ios'] = ios
        agg[(dev, job)] = a
    return agg


def aggregate_net(data):
    groups = {}
    for r in data['netruns']:
        groups.setdefault((r.get('path'), r.get('test')), []).append(r)
    agg = {}
    for (path, test), runs in groups.items():
        ok = [r for r in runs if 'value' in r]
        a = {'path': path, 'test': test, 'runs': len(runs), 'ok': len(ok),
             'failed': [r.get('why', '') for r in runs if 'value' not in r],
             'value': summary([num(r['value']) for r in ok]),
             'unit': NET_TESTS[test][1] if test in NET_TESTS else ''}
        if ok and path != 'veth':
            a['vdused_cpu_ticks'] = sum(num(r['srv_ticks']) or 0 for r in ok)
        agg[(path, test)] = a
    return agg


def metric(a, job):
    """The headline number of a (device, job) aggregate: IOPS or MiB/s."""
    if not a:
        return None
    s = a['mib_s'] if JOBS.get(job, ('', 'iops'))[1] == 'mib' else a['iops']
    return s['median'] if s else None


def ratio(x, y):
    return x / y if x is not None and y else None


def fmt(v, digits=0):
    if v is None:
        return '-'
    if digits == 0:
        return '{:,.0f}'.format(v)
    return '{:,.{}f}'.format(v, digits)


def elf_is_static(path):
    """True when the ELF file has no PT_INTERP (no dynamic loader)."""
    try:
        with open(path, 'rb') as f:
            h = f.read(64)
            if h[:4] != b'\x7fELF' or h[4] != 2:
                return None
            phoff, = struct.unpack_from('<Q', h, 32)
            phentsize, phnum = struct.unpack_from('<HH', h, 54)
            f.seek(phoff)
            ph = f.read(phentsize * phnum)
        return all(struct.unpack_from('<I', ph, i * phentsize)[0] != 3 for i in range(phnum))
    except OSError:
        return None


def classify_mapping(name):
    """Where a vdused mapping's resident pages belong, for the RSS target."""
    if name.endswith('.ram') or name.startswith('/tmp/vdfw-bench-'):
        return 'backing'
    if '[vduse' in name or name.startswith('/dev/vduse'):
        return 'driver'
    return 'own'


def memory(data):
    m = data['mem']
    if not m or 'VmRSS' not in m:
        return None
    out = {k: int(v) for k, v in m.items() if k.startswith(('Vm', 'Rss'))}
    parts = {'own': 0, 'backing': 0, 'driver': 0}
    maps = []
    for s in data['smaps']:
        kib = int(s.get('rss_kib', 0))
        cls = classify_mapping(s.get('name', ''))
        parts[cls] += kib
        maps.append({'name': s.get('name', ''), 'rss_kib': kib, 'class': cls})
    out['classes_kib'] = parts
    out['mappings'] = sorted(maps, key=lambda x: -x['rss_kib'])
    return out


def targets(blk, net, mem, binary):
    t = []

    def add(name, value, limit, detail, why_missing=None, le=False):
        if value is None:
            t.append({'target': name, 'status': 'NOT MEASURED', 'value': None,
                      'limit': limit, 'detail': why_missing or detail})
            return
        met = value <= limit if le else value >= limit
        t.append({'target': name, 'status': 'MET' if met else 'MISSED', 'value': value,
                  'limit': limit, 'detail': detail})

    def m(dev, job):
        return metric(blk.get((dev, job)), job)

    for job in ('rr1', 'rr32'):
        a, b = m('vdused-null', job), m('qsd-null', job)
        add('%s: vdused null >= 3x qsd null-co' % JOBS[job][0], ratio(a, b), 3.0,
            '%s vs %s IOPS' % (fmt(a), fmt(b)), 'needs both devices measured')
        c = m('vdpa_sim_blk', job)
        add('%s: vdused null >= 1.0x vdpa_sim_blk' % JOBS[job][0], ratio(a, c), 1.0,
            '%s vs %s IOPS' % (fmt(a), fmt(c)), 'needs both devices measured')
    a, b = m('vdused-null', 'sw8'), m('qsd-null', 'sw8')
    add('128k seq write QD8: vdused null >= 1.2x qsd null-co', ratio(a, b), 1.2,
        '%s vs %s MiB/s' % (fmt(a, 1), fmt(b, 1)), 'needs both devices measured')
    c = net.get(('cable', 'tcp'))
    v = net.get(('veth', 'tcp'))
    cv = c['value']['median'] if c and c['value'] else None
    vv = v['value']['median'] if v and v['value'] else None
    add('cable TCP >= 0.5x veth TCP', ratio(cv, vv), 0.5,
        '%s vs %s Mbit/s' % (fmt(cv), fmt(vv)), None)
    if mem:
        own = mem['classes_kib']['own']
        add('vdused RSS <= 1 MiB plus backing memory', own / 1024, 1.0,
            'VmRSS %d KiB = own %d + RAM disks %d + VDUSE driver buffers %d KiB '
            '(VmHWM %d KiB)' % (mem['VmRSS'], own, mem['classes_kib']['backing'],
                                mem['classes_kib']['driver'], mem.get('VmHWM', 0)),
            le=True)
    else:
        add('vdused RSS <= 1 MiB plus backing memory', None, 1.0, '', 'no memory figures')
    if binary.get('size') is not None:
        add('static binary <= 128 KiB', binary['size'] / 1024, 128.0,
            '%d bytes, %s, stripped' % (binary['size'],
                                        'static' if binary.get('static') else 'NOT static'),
            le=True)
        if not binary.get('static'):
            t[-1]['status'] = 'MISSED'
    else:
        add('static binary <= 128 KiB', None, 128.0, '', 'no binary')
    return t


def net_why(data, path):
    n = data['net'].get(path)
    if n is None:
        return 'the guest did not report this path'
    if 'status' in n:
        return n.get('why', n['status'])
    return None


def write_chart(out, blk, net, data, script):
    """One data file per panel: index, device, median, min, max, colour."""
    ddir = os.path.join(out, 'chart-data')
    os.makedirs(ddir, exist_ok=True)
    panels = []
    for job, (title, kind) in JOBS.items():
        rows = []
        for dev in DEVICE_ORDER:
            a = blk.get((dev, job))
            s = a and (a['mib_s'] if kind == 'mib' else a['iops'])
            if s:
                rows.append((dev, s['median'], s['min'], s['max'], DEVICE_ORDER.index(dev) + 1))
        if rows:
            panels.append((job, '%s (%s)' % (title, 'MiB/s' if kind == 'mib' else 'IOPS'), rows))
    for test, (title, unit) in NET_TESTS.items():
        rows = []
        for i, path in enumerate(PATHS):
            a = net.get((path, test))
            if a and a['value']:
                s = a['value']
                rows.append((path, s['median'], s['min'], s['max'], 9 + i))
        if rows:
            panels.append(('net-' + test, '%s (%s)' % (title, unit), rows))
    if not panels:
        return 'no data to plot'
    for name, title, rows in panels:
        with open(os.path.join(ddir, name + '.dat'), 'w') as f:
            f.write('# title: %s\n' % title)
            for i, (label, med, lo, hi, colour) in enumerate(rows):
                f.write('%d "%s" %g %g %g %d\n' % (i, label, med, lo, hi, colour))
    cols = min(4, len(panels))
    rows = (len(panels) + cols - 1) // cols
    cond = 'vdfw make bench: %s, %s vCPUs, %s MiB, Linux %s, %s' % (
        data['accel'].upper(), data['smp'], data['mem_mib'],
        data['start'].get('kernel', '?'), time.strftime('%Y-%m-%d'))
    cmd = ['gnuplot', '-e', "datadir='%s'; out='%s'; panels='%s'; rows=%d; cols=%d; cond='%s'" % (
        ddir, os.path.join(out, 'chart.png'), ' '.join(p[0] for p in panels), rows, cols,
        cond.replace("'", '')), script]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        return 'gnuplot failed: %s' % e
    if r.returncode != 0 or not os.path.exists(os.path.join(out, 'chart.png')):
        return 'gnuplot failed: %s' % (r.stderr.strip().splitlines() or ['?'])[-1]
    return None


def markdown(data, blk, net, ratios, tgts, mem, binary, chart_err):
    s = data['start']
    L = []
    L.append('# vdfw bench report')
    L.append('')
    L.append('All devices and paths below were measured in one boot of the same '
             'image, interleaved (A B C, A B C, ...), so their ratios hold even on '
             'a noisy machine; absolute numbers under TCG are not those of hardware.')
    L.append('')
    L.append('## Conditions')
    L.append('')
    L.append('| | |')
    L.append('|---|---|')
    for k, v in (
            ('date', data['date']),
            ('accelerator', data['accel'].upper() + (' (emulation: absolute numbers are '
                                                     'far below hardware)' if data['accel'] == 'tcg' else '')),
            ('vCPUs', '%s (guest saw %s)' % (data['smp'], s.get('cpus', '?'))),
            ('guest memory', '%s MiB (MemTotal %s KiB)' % (data['mem_mib'], s.get('mem_kib', '?'))),
            ('guest kernel', 'Linux %s %s' % (s.get('kernel', '?'), s.get('kversion', '').replace('_', ' '))),
            ('kernel command line', '`%s`' % data['cmdline']),
            ('QEMU', data['qemu_version'] or '?'),
            ('host CPU', data['host_cpu'] or '?'),
            ('host load average', data['host_load'] or '?'),
            ('jobs', 'fio libaio, direct=1, time_based, %s s per run, %s runs per device and job, '
                     'interleaved across devices' % (s.get('runtime', '?'), s.get('reps', '?'))),
            ('network', 'iperf3 TCP %s s; tcprr (1-byte TCP request/response, TCP_NODELAY) %s s' % (
                data['net_runtime'], data['net_runtime'])),
            ('devices', '128 MiB each (null_blk 1 GiB); 256-entry virtqueues everywhere '
                        '(vdused table, qemu-storage-daemon queue-size=256, vdpa_sim_blk fixed 256); '
                        'I/O scheduler none'),
            ('bench wall time', '%s s from QEMU start to guest power-off (payload %.1f MiB gzip)' % (
                data['wall'], data['payload'] / 1048576)),
    ):
        L.append('| %s | %s |' % (k, v))
    L.append('')

    L.append('## Block devices')
    L.append('')
    L.append('Median of the runs; spread is (max - min) / median.  CPU: user + system '
             'time of the serving process (vdused or qemu-storage-daemon, all threads) per '
             'million requests; kernel devices have no serving process.  switches/req: context '
             'switches (sleeps and preemptions) of its main thread, the event loop, per '
             'request.  irqs/req: interrupts '
             'vdused injected per request (from its counters).')
    L.append('')
    L.append('| job | device | median | unit | min - max | spread | mean lat us | p99 clat us '
             '| CPU s / 1M req | switches/req | irqs/req |')
    L.append('|---|---|---:|---|---|---:|---:|---:|---:|---:|---:|')
    for job, (title, kind) in JOBS.items():
        for dev in DEVICE_ORDER:
            a = blk.get((dev, job))
            if not a:
                continue
            st = a['mib_s'] if kind == 'mib' else a['iops']
            unit = 'MiB/s' if kind == 'mib' else 'IOPS'
            d = 1 if kind == 'mib' else 0
            if not st:
                L.append('| %s | %s | not measured: %s | | | | | | | | |' % (
                    title, dev, '; '.join(a['failed'][:1]) or 'no run'))
                continue
            L.append('| %s | %s | %s | %s | %s - %s | %s%% | %s | %s | %s | %s | %s |' % (
                title, dev, fmt(st['median'], d), unit, fmt(st['min'], d), fmt(st['max'], d),
                fmt(st['spread_pct'], 1), fmt(a['lat_us']['median'], 1),
                fmt(a['p99_us']['median']) if a['p99_us'] else '-',
                fmt(a.get('cpu_s_per_mreq'), 1), fmt(a.get('switches_per_req'), 2),
                fmt(a.get('irqs_per_req'), 2)))
    missing = [(l, d) for l, d in data['devices'].items() if d.get('status')]
    for l in DEVICE_ORDER:
        if l not in data['devices']:
            missing.append((l, {'why': 'the guest did not report this device'}))
    if missing:
        L.append('')
        for l, d in missing:
            L.append('- **%s: not measured**: %s' % (l, d.get('why', d.get('status'))))
    L.append('')
    L.append('Devices: ' + '; '.join('%s = %s%s' % (
        l, DEVICES[l], (' (%s)' % data['devices'][l]['node']) if data['devices'].get(l, {}).get('node') else '')
        for l in DEVICE_ORDER) + '.')
    L.append('')

    L.append('## Network')
    L.append('')
    L.append('Each path joins two network namespaces of the guest (addresses on '
             '192.0.2.0/24).  vdused CPU: its user + system seconds per second of test.')
    L.append('')
    L.append('| test | path | median | unit | min - max | spread | MTU | vdused CPU s/s |')
    L.append('|---|---|---:|---|---|---:|---:|---:|')
    for test, (title, unit) in NET_TESTS.items():
        for path in PATHS:
            a = net.get((path, test))
            why = net_why(data, path)
            if not a or not a['value']:
                reason = why or (a and '; '.join(a['failed'][:1])) or 'no run'
                L.append('| %s | %s | not measured: %s | | | | | |' % (title, path, reason))
                continue
            v = a['value']
            cpu = '-'
            if 'vdused_cpu_ticks' in a and data['net_runtime']:
                cpu = fmt(a['vdused_cpu_ticks'] / USER_HZ / (a['ok'] * data['net_runtime']), 2)
            L.append('| %s | %s | %s | %s | %s - %s | %s%% | %s | %s |' % (
                title, path, fmt(v['median']), unit, fmt(v['min']), fmt(v['max']),
                fmt(v['spread_pct'], 1), data['net'].get(path, {}).get('mtu', '?'), cpu))
    L.append('')
    L.append('Paths: ' + '; '.join('%s = %s' % kv for kv in PATHS.items()) + '.')
    L.append('')

    L.append('## Ratios (of medians)')
    L.append('')
    L.append('| ratio | job | value |')
    L.append('|---|---|---:|')
    for r in ratios:
        L.append('| %s | %s | %s |' % (r['name'], r['job'],
                                       ('%.2fx' % r['value']) if r['value'] is not None
                                       else 'not measured'))
    L.append('')

    L.append('## Targets')
    L.append('')
    L.append('| target | status | measured | detail |')
    L.append('|---|---|---:|---|')
    for t in tgts:
        unit = 'x'
        if 'RSS' in t['target']:
            unit = ' MiB own'
        elif 'binary' in t['target']:
            unit = ' KiB'
        val = ('%.2f%s' % (t['value'], unit)) if t['value'] is not None else '-'
        L.append('| %s | **%s** | %s | %s |' % (t['target'], t['status'], val, t['detail']))
    met = sum(t['status'] == 'MET' for t in tgts)
    L.append('')
    L.append('%d of %d targets met.  Missed: %s.  Not measured: %s.' % (
        met, len(tgts),
        '; '.join(t['target'] for t in tgts if t['status'] == 'MISSED') or 'none',
        '; '.join(t['target'] for t in tgts if t['status'] == 'NOT MEASURED') or 'none'))
    L.append('')

    L.append('## vdused itself')
    L.append('')
    if mem:
        c = mem['classes_kib']
        L.append('- RSS at the end of the run: VmRSS %d KiB (peak VmHWM %d KiB): RssAnon %d, '
                 'RssFile %d, RssShmem %d KiB.' % (mem['VmRSS'], mem.get('VmHWM', 0),
                                                   mem.get('RssAnon', 0), mem.get('RssFile', 0),
                                                   mem.get('RssShmem', 0)))
        L.append('- By mapping: own %d KiB (binary, heap, stack, rings, io_uring), RAM disks '
                 '(backing) %d KiB, VDUSE driver buffers (bounce/IOTLB maps) %d KiB.  '
                 'Largest: %s.' % (c['own'], c['backing'], c['driver'], ', '.join(
                     '%s %d KiB' % (x['name'] or '[anon]', x['rss_kib']) for x in mem['mappings'][:5])))
    else:
        L.append('- RSS: not measured (%s).' % ('no "mem" line from the guest'))
    if binary.get('size') is not None:
        L.append('- Binary: %s, %d bytes (%.1f KiB), %s, stripped: the product image\'s vdused '
                 '(the bench one, which differs only in its table, is %s bytes).' % (
                     binary['path'], binary['size'], binary['size'] / 1024,
                     'static' if binary.get('static') else 'dynamic', binary.get('bench_size', '?')))
    L.append('')
    L.append('## Chart')
    L.append('')
    L.append('![devices per job](chart.png)' if not chart_err else 'No chart: %s.' % chart_err)
    L.append('')
    if data['warnings'] or not data['done']:
        L.append('## Problems')
        L.append('')
        if not data['done']:
            L.append('- The guest never reported "done": %s.' % data['qemu_why'])
        for w in data['warnings']:
            L.append('- %s' % w)
        L.append('')
    L.append('Phases (seconds since the bench hook started): ' + ', '.join(
        '%s %s' % (p.get('name'), p.get('elapsed')) for p in data['phases']) + '.')
    L.append('')
    return '\n'.join(L)


def compute_ratios(blk, net):
    out = []

    def m(dev, job):
        return metric(blk.get((dev, job)), job)

    for job, (title, _) in JOBS.items():
        for name, a, b in (('vdused null / qsd null-co', 'vdused-null', 'qsd-null'),
                           ('vdused file / qsd file', 'vdused-file', 'qsd-file'),
                           ('vdused null / vdpa_sim_blk', 'vdused-null', 'vdpa_sim_blk'),
                           ('vdused ram / vdpa_sim_blk', 'vdused-ram', 'vdpa_sim_blk'),
                           ('vdused ram / brd', 'vdused-ram', 'brd')):
            if (a, job) in blk and (b, job) in blk:
                out.append({'name': name, 'job': title, 'value': ratio(m(a, job), m(b, job))})
    for test, (title, _) in NET_TESTS.items():
        for name, a in (('cable / veth', 'cable'), ('tap / veth', 'tap')):
            x, y = net.get((a, test)), net.get(('veth', test))
            out.append({'name': name, 'job': title, 'value': ratio(
                x['value']['median'] if x and x['value'] else None,
                y['value']['median'] if y and y['value'] else None)})
    return out


def smoke_checks(data, blk, net, out, chart_err):
    """PASS/FAIL/SKIP lines for make test."""
    lines = []
    p = 'bench-smoke/'
    if data['done']:
        lines.append('PASS %sboot: the guest ran the bench plan in %s s' % (p, data['done'].get('elapsed')))
    else:
        lines.append('FAIL %sboot: no "done" from the guest: %s; console in %s' % (
            p, data['qemu_why'], data['console']))
    for dev in DEVICE_ORDER:
        d = data['devices'].get(dev)
        aggs = [a for (dv, _), a in blk.items() if dv == dev]
        if d is None:
            lines.append('FAIL %sdev/%s: not reported by the guest' % (p, dev))
        elif d.get('status'):
            lines.append('FAIL %sdev/%s: not measured: %s' % (p, dev, d.get('why')))
        elif not aggs or not all(a['iops'] and a['iops']['min'] > 0 for a in aggs):
            why = '; '.join(w for a in aggs for w in a['failed'][:1]) or 'no IOPS'
            lines.append('FAIL %sdev/%s: %s' % (p, dev, why))
        else:
            lines.append('PASS %sdev/%s: %s IOPS (%s)' % (
                p, dev, fmt(min(a['iops']['median'] for a in aggs)), d.get('node')))
    for path in PATHS:
        n = data['net'].get(path)
        runs = [a for (pt, _), a in net.items() if pt == path]
        if n is None:
            lines.append('FAIL %snet/%s: not reported by the guest' % (p, path))
        elif n.get('status') == 'absent' and path != 'veth':
            lines.append('SKIP %snet/%s: not measured: %s' % (p, path, n.get('why')))
        elif n.get('status'):
            lines.append('FAIL %snet/%s: not measured: %s' % (p, path, n.get('why')))
        elif not runs or not all(a['value'] and a['value']['min'] > 0 for a in runs):
            why = '; '.join(w for a in runs for w in a['failed'][:1]) or 'no result'
            lines.append('FAIL %snet/%s: %s' % (p, path, why))
        else:
            lines.append('PASS %snet/%s: %s' % (p, path, ', '.join(
                '%s %s' % (fmt(a['value']['median']), a['unit']) for a in runs)))
    made = [f for f in ('report.md', 'results.json', 'chart.png')
            if os.path.getsize(os.path.join(out, f)) if os.path.exists(os.path.join(out, f))]
    if len(made) == 3:
        lines.append('PASS %sreport: report.md, results.json and chart.png in %s' % (p, out))
    else:
        lines.append('FAIL %sreport: only %s made in %s%s' % (
            p, ', '.join(made) or 'nothing', out, ('; ' + chart_err) if chart_err else ''))
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--mode', required=True)
    ap.add_argument('--console', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--qemu-status', type=int, default=0)
    ap.add_argument('--wall', type=int, default=0)
    ap.add_argument('--accel', default='tcg')
    ap.add_argument('--smp', default='2')
    ap.add_argument('--mem', default='2048')
    ap.add_argument('--qemu-version', default='')
    ap.add_argument('--host-cpu', default='')
    ap.add_argument('--host-load', default='')
    ap.add_argument('--vdused', default='')
    ap.add_argument('--bench-vdused', default='')
    ap.add_argument('--payload', type=int, default=0)
    ap.add_argument('--chart-script', required=True)
    args = ap.parse_args()

    data = parse_console(args.console)
    data.update({'accel': args.accel, 'smp': args.smp, 'mem_mib': args.mem,
                 'qemu_version': args.qemu_version, 'host_cpu': args.host_cpu,
                 'host_load': args.host_load,
                 'wall': args.wall, 'payload': args.payload, 'console': args.console,
                 'date': time.strftime('%Y-%m-%d %H:%M:%S %Z'),
                 'net_runtime': num(data['start'].get('net_runtime')) or 0})
    data['qemu_why'] = {0: 'QEMU exited 0', 124: 'the guest timed out',
                        137: 'the guest timed out'}.get(
        args.qemu_status, 'QEMU exited with status %d' % args.qemu_status)

    blk = aggregate_blk(data)
    net = aggregate_net(data)
    mem = memory(data)
    binary = {'path': args.vdused}
    if args.vdused and os.path.exists(args.vdused):
        binary.update(size=os.path.getsize(args.vdused), static=elf_is_static(args.vdused))
    if args.bench_vdused and os.path.exists(args.bench_vdused):
        binary['bench_size'] = os.path.getsize(args.bench_vdused)
    ratios = compute_ratios(blk, net)
    tgts = targets(blk, net, mem, binary)

    os.makedirs(args.out, exist_ok=True)
    data_for_json = {
        'mode': args.mode,
        'conditions': {k: data[k] for k in ('date', 'accel', 'smp', 'mem_mib', 'qemu_version',
                                            'host_cpu', 'host_load', 'wall', 'payload')},
        'guest': dict(data['start'], cmdline=data['cmdline']),
        'devices': data['devices'],
        'network_paths': data['net'],
        'runs': data['runs'],
        'netruns': data['netruns'],
        'block': [dict(a, job_title=JOBS.get(a['job'], ('?',))[0]) for a in blk.values()],
        'net': list(net.values()),
        'ratios': ratios,
        'targets': tgts,
        'memory': mem,
        'binary': binary,
        'phases': data['phases'],
        'done': data['done'],
        'qemu': data['qemu_why'],
    }
    with open(os.path.join(args.out, 'results.json'), 'w') as f:
        json.dump(data_for_json, f, indent=1, sort_keys=True)
    chart_err = write_chart(args.out, blk, net, data, args.chart_script)
    md = markdown(data, blk, net, ratios, tgts, mem, binary, chart_err)
    with open(os.path.join(args.out, 'report.md'), 'w') as f:
        f.write(md)

    if args.mode == 'smoke':
        for line in smoke_checks(data, blk, net, args.out, chart_err):
            print(line)
        return 0
    print(md)
    print('Report: %s  JSON: %s  chart: %s' % tuple(
        os.path.join(args.out, f) for f in ('report.md', 'results.json', 'chart.png')))
    if not data['done']:
        print('bench: the guest never finished: %s; console in %s' % (
            data['qemu_why'], args.console), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
