#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the seed corpus of fuzz_blk: small inputs that reach each mode.

    tests/fuzz/blk-seeds.py [DIR]   (default: tests/fuzz/corpus/fuzz_blk)

The input format is the one documented at the top of tests/fuzz/fuzz_blk.c;
this script is its second copy, so change both together and rerun it (it
replaces every seed it writes).  The seeds cover both backends (ram, file),
the many-regions mode (fetch_pages 1..4), invalidations while requests are
in flight, resets with requests in flight, and every request type, valid
and rejected.  Check them with:

    output/build/tests/fuzz/fuzz_blk -runs=0 tests/fuzz/corpus/fuzz_blk
"""
import os
import struct
import sys

IN, OUT, FLUSH, GET_ID, DISCARD, WRITE_ZEROES = range(6)
UNMAP = 0x80                    # flags byte for VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP
BAD_FLAG = 0xc2                 # an unknown flag: UNSUPP

DRIVER, DIRECT, HDR_ALONE = 1, 2, 4


def mode(file=False, nodiscard=False, fetch_pages=0):
    return bytes([int(file) | int(nodiscard) << 1 | fetch_pages << 2])


def sectors(n):
    """A segment of n whole sectors (1..128)."""
    return -(0x8000 | (n - 1))


def seg_len(v):
    # sectors() values are negative: already encoded; a byte count l is
    # encoded as l - 1 (the target adds one).
    return -v if v < 0 else v - 1


def req(kind, sector, lens, shape=DRIVER | HDR_ALONE, nout=0, ranges=None,
        raw_type=None):
    """One request.  kind: a type index, or None with raw_type set."""
    b = bytes([kind]) if raw_type is None else bytes([0xf0]) + struct.pack('<I', raw_type)
    b += bytes([0xff]) + struct.pack('<Q', sector) if sector >= 0xff else bytes([sector])
    assert 1 <= len(lens) <= 6
    b += bytes([shape, (len(lens) - 1) | nout << 4])
    b += b''.join(struct.pack('<H', seg_len(v)) for v in lens)
    if ranges is not None:
        b += bytes([len(ranges)])
        for sec, nsec, flags in ranges:
            b += bytes([sec, nsec, flags])
    return b


def batch(reqs, inval=None, reset=False):
    assert 1 <= len(reqs) <= 8
    ctl = (len(reqs) - 1) | (8 if inval is not None else 0) | (16 if reset else 0)
    b = bytes([ctl]) + b''.join(reqs)
    if inval is not None:
        b += bytes([inval])     # read after the kick
    return b


def rd(sector, *lens):
    return req(IN, sector, [16] + list(lens))


def wr(sector, *lens):
    return req(OUT, sector, [16] + list(lens))


def dwz(kind, ranges):
    return req(kind, 0, [16], ranges=ranges)


FL = req(FLUSH, 0, [16])
ID = req(GET_ID, 0, [16, 20])


def seeds():
    s = {}
    s['ram_rw'] = mode() + batch([wr(8, sectors(8)), FL]) + \
        batch([rd(8, sectors(4), sectors(4)), ID])
    s['ram_split_segments'] = mode() + \
        batch([wr(3, 100, 412, sectors(2))]) + batch([rd(3, 1000, 24, 512)])
    s['ram_dwz'] = mode() + batch([wr(0, sectors(64))]) + \
        batch([dwz(WRITE_ZEROES, [(4, 8, 0), (20, 16, UNMAP)]),
               dwz(DISCARD, [(40, 16, 0)])]) + batch([rd(0, sectors(64))])
    s['ram_rejected'] = mode() + batch([wr(10, sectors(2))]) + batch([
        wr(1022, sectors(4)),                       # past the end
        rd(10, 500),                                # not whole sectors
        req(OUT, 10, [16, sectors(1)], nout=1, shape=HDR_ALONE),  # writable data
        req(None, 10, [16, 512], raw_type=0x1234),  # unknown type
        req(IN, 10, [8], shape=0, nout=1),          # no status, short header
        dwz(WRITE_ZEROES, [(10, 2, BAD_FLAG)]),     # unknown flag
        dwz(DISCARD, [(10, 2, UNMAP)]),             # UNMAP on discard
        rd(0xffffffffffff, sectors(1)),             # sector wraps
    ]) + batch([rd(10, sectors(2))])
    s['ram_nodiscard'] = mode(nodiscard=True) + batch([wr(0, sectors(8))]) + \
        batch([dwz(DISCARD, [(0, 8, 0)]), dwz(WRITE_ZEROES, [(0, 4, 0)])]) + \
        batch([rd(0, sectors(8))])
    # One chain over ~100 one-page regions: more than the cache holds.
    s['ram_many_regions'] = mode(fetch_pages=1) + \
        batch([wr(100, sectors(64), sectors(64), sectors(64))]) + \
        batch([rd(100, sectors(64), sectors(64), sectors(64))])
    s['ram_reset'] = mode(fetch_pages=2) + batch([wr(5, sectors(3))]) + \
        batch([wr(5, sectors(1))], reset=True) + \
        batch([rd(4, sectors(4))]) + batch([wr(6, sectors(1))]) + batch([rd(4, sectors(4))])
    s['ram_inval'] = mode(fetch_pages=3) + batch([wr(9, sectors(9))], inval=0xff) + \
        batch([rd(9, sectors(9))])
    s['file_rw'] = mode(file=True) + batch([wr(8, sectors(8)), wr(64, sectors(16)), FL]) + \
        batch([rd(8, sectors(8)), rd(64, sectors(16)), ID])
    s['file_dwz'] = mode(file=True) + batch([wr(0, sectors(96))]) + \
        batch([dwz(WRITE_ZEROES, [(8, 8, 0), (32, 16, UNMAP)]),
               dwz(DISCARD, [(64, 8, 0)])]) + batch([rd(0, sectors(96))])
    s['file_overlap'] = mode(file=True) + \
        batch([wr(20, sectors(4)), rd(20, sectors(4)), wr(22, sectors(4))]) + \
        batch([rd(16, sectors(16))])
    # Writes and reads in io_uring when the driver updates the IOTLB.
    # Data in region 1, status in region 2: only the data is pulled.
    big = [sectors(128)] * 4
    s['file_inval_write'] = mode(file=True) + batch([wr(400, *big)], inval=0x01) + \
        batch([rd(400, *big)])
    s['file_inval_write_small'] = mode(file=True) + \
        batch([wr(200, sectors(32)), wr(300, sectors(32))], inval=0x01) + \
        batch([rd(200, sectors(32)), rd(300, sectors(32))])
    s['file_inval_read'] = mode(file=True) + batch([wr(400, *big)]) + \
        batch([rd(400, *big)], inval=0x01) + batch([rd(400, *big)])
    s['file_many_regions_inval'] = mode(file=True, fetch_pages=1) + \
        batch([wr(400, sectors(64), sectors(64)), wr(600, sectors(32))], inval=0x02) + \
        batch([rd(400, sectors(64), sectors(64)), rd(600, sectors(32))])
    s['file_reset_inflight'] = mode(file=True, fetch_pages=4) + \
        batch([wr(10, sectors(8)), wr(30, sectors(8)), rd(10, sectors(8))], reset=True) + \
        batch([wr(10, sectors(2)), rd(30, sectors(8))]) + \
        batch([wr(30, sectors(8))]) + batch([rd(10, sectors(8)), rd(30, sectors(8))])
    s['file_reset_then_inval'] = mode(file=True, fetch_pages=2) + \
        batch([wr(0, sectors(16))], reset=True) + \
        batch([wr(0, sectors(16)), dwz(WRITE_ZEROES, [(4, 4, 0)])], inval=0x01) + \
        batch([rd(0, sectors(16))])
    return s


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, 'corpus', 'fuzz_blk')
    os.makedirs(out, exist_ok=True)
    for name, data in seeds().items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)
    print(f'{len(seeds())} seeds in {out}')


if __name__ == '__main__':
    main()
