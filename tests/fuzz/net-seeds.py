#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""net-seeds.py DIR: write fuzz_net's hand-made seed inputs into DIR.

Each seed is a short script for the two drivers of tests/fuzz/fuzz_net.c,
in the byte layout the harness reads (see step(), send_frame() and run()
there; numbers are little-endian):

  header   bit 0: device pair (fz0/fz1 or fz2/fz3), bits 1-3: fetch_pages
           index (6: one-page regions, 7: eight-page ones)
  features one byte per end: bit i adds the harness's feats[i]
  ops      byte (kind << 1 | end), then the kind's arguments:
           0-2 send  len16 kind [bytes] sel [flags] [gso_type] gso16
                     [csum_start16] [csum_offset] [hdr_len16] pieces
           3 post_rx count size_index   4 drain   5 link on
           6 reset features   7-8 iotlb sel [page16 pages]   9 kick queue

The seeds start the fuzzer in the interesting places: frames both ways,
checksum completion and TSO segmentation, merged buffers, a held frame
and stashed RX chains whose memory is invalidated, one-page regions,
resets and link changes mid-flight.  Regenerate with
  python3 tests/fuzz/net-seeds.py tests/fuzz/corpus/fuzz_net
"""
import os
import struct
import sys

MRG, CSUM, HOST_TSO, GUEST_OFF, EVENT_IDX, INDIRECT, ALL = 2, 4, 8, 16, 32, 64, 128
SEND, POST, DRAIN, LINK, RESET, IOTLB, KICK = 0, 3, 4, 5, 6, 7, 9
SIZES = {8: 0, 64: 1, 1530: 2, 2048: 3, 4096: 4, 9100: 5, 20000: 6, 66000: 7}


def op(kind, end, *args):
    return bytes([kind << 1 | end]) + b''.join(args)


def u8(v):
    return bytes([v & 0xff])


def u16(v):
    return struct.pack('<H', v & 0xffff)


def post(end, count, size):
    return op(POST, end, u8(count), u8(SIZES[size]))


def send_plain(end, length, first=b'\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02'):
    """An untagged frame of @length (< 2048) bytes, no offloads."""
    body = (first + bytes(range(64)))[:min(length, 64)]
    # sel 0: flags byte 0, gso_type 0, csum_start16, csum_offset, 1 piece
    return op(SEND, end, u16(0x8000 | length), u8(0), body, u8(0), u8(0),
              u16(0), u16(0), u8(0), u8(0))


def send_tcp(end, length, v6=False, mss=1448, pieces=2):
    """A TCP frame with a partial checksum, TSO when @mss."""
    kind = 1 | (2 if v6 else 0)
    body = bytes([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]) + bytes(52)
    # sel: NEEDS_CSUM, gso from the table (TCPV4 0 / TCPV6 1 in bits 6-7),
    # csum_start and csum_offset automatic
    sel = 1 | 8 | 16 | ((2 | (1 << 6 if v6 else 0)) if mss else 0)
    enc = length // 2 if length >= 2048 else 0x8000 | length
    return op(SEND, end, u16(enc), u8(kind), body[:min(length, 64)], u8(sel),
              u16(mss), u8(pieces - 1))


def iotlb_region(end, idx, unmap=False):
    return op(IOTLB, end, u8(idx | (0x40 if unmap else 0)))


def iotlb_pages(end, idx, page, pages):
    return op(IOTLB, end, u8(0x80 | idx), u16(page), u8(pages - 1))


def seed(pair=0, fetch=0, f0=0, f1=0, ops=()):
    return bytes([pair | fetch << 1, f0, f1]) + b''.join(ops)


SEEDS = {
    'plain': seed(ops=[post(1, 8, 2048), send_plain(0, 100), op(DRAIN, 1)]),
    'both_ways': seed(f0=MRG, f1=MRG, ops=[
        post(0, 8, 1530), post(1, 8, 1530), send_plain(0, 1400),
        send_plain(1, 60), op(DRAIN, 0), op(DRAIN, 1)]),
    'csum_completed': seed(f0=CSUM, f1=0, ops=[
        post(1, 8, 2048), send_tcp(0, 600, mss=0), op(DRAIN, 1)]),
    'tso_segmented': seed(f0=HOST_TSO, f1=MRG, ops=[
        post(1, 15, 2048), send_tcp(0, 20000), op(DRAIN, 1)]),
    'tso_v6_passed': seed(f0=HOST_TSO, f1=GUEST_OFF | MRG, ops=[
        post(1, 15, 4096), send_tcp(0, 30000, v6=True), op(DRAIN, 1)]),
    'held_then_invalidated': seed(f0=INDIRECT, ops=[
        send_plain(0, 1000), iotlb_region(0, 0), post(1, 4, 2048),
        op(DRAIN, 1)]),
    # One-page regions, so that the stashed chains' pages (past the rings'
    # page 512) go without the rings.
    'stash_invalidated': seed(fetch=6, f0=HOST_TSO, f1=MRG | GUEST_OFF, ops=[
        post(1, 2, 9100), send_tcp(0, 30000), iotlb_pages(1, 0, 514, 16),
        post(1, 15, 4096), op(DRAIN, 1)]),
    'one_page_regions': seed(pair=1, fetch=6, f0=MRG, f1=MRG, ops=[
        post(1, 8, 9100), send_plain(0, 2000), send_tcp(0, 9000, mss=0),
        op(DRAIN, 1), iotlb_pages(1, 0, 513, 4), post(0, 4, 4096),
        send_plain(1, 900), op(DRAIN, 0)]),
    'reset_while_held': seed(f0=EVENT_IDX, f1=EVENT_IDX, ops=[
        send_plain(0, 500), send_plain(0, 600), op(RESET, 0, u8(MRG)),
        post(1, 4, 2048), send_plain(0, 70), op(DRAIN, 1)]),
    'link_flap': seed(pair=1, ops=[
        post(1, 4, 2048), op(LINK, 1, u8(0)), send_plain(0, 300),
        op(LINK, 1, u8(1)), send_plain(0, 301), op(KICK, 0, u8(1)),
        op(DRAIN, 1)]),
    'unmapped_region': seed(f0=ALL, f1=ALL, ops=[
        iotlb_region(1, 1, unmap=True), post(1, 16, 66000),
        send_tcp(0, 60000), iotlb_region(1, 1, unmap=True), op(DRAIN, 1)]),
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
