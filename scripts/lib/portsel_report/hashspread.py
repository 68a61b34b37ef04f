# SPDX-License-Identifier: GPL-2.0
"""How the 4-tuples a policy hands out spread over the buckets of the
hashes that pick paths and queues: what even-only source ports do to
them. Three standard schemes, none of them any one product's:

- toeplitz: Toeplitz RSS (Microsoft's "RSS hashing", what NICs and
  virtual NICs compute) over source address, destination address,
  source port, destination port, with the well-known 40-byte default
  key; the low 7 bits of the hash index a 128-entry indirection table
  filled as Linux fills it by default (entry i -> queue i mod N).
- crc32: a 5-tuple hash as ECMP and L4 load balancers use, here CRC-32
  (zlib's, the IEEE 802.3 polynomial) over source address, destination
  address, protocol (6), source port, destination port, in network
  byte order; bucket = hash mod N.
- sportmod: a poor hash, the source port mod N.

Each is applied to the tuple of the packets the host sends (source: the
connecting socket). Toeplitz and CRC-32 are linear over GF(2), so a
source port bit that never changes (the lowest, under even-only) takes
one input bit away from a hash with 96 or 104 of them: it costs them no
bucket. Source port mod an even N keeps the parity: half the buckets."""

import socket
import struct
import zlib

# The default key of Microsoft's RSS specification ("Verifying the RSS
# Hash Calculation"); most NIC drivers and DPDK ship it.
RSS_KEY = bytes.fromhex(
    "6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c"
    "6a42b73bbeac01fa")
RETA_SIZE = 128
BUCKETS = (4, 8, 16)
SCHEMES = ("toeplitz", "crc32", "sportmod")
NAMES = {"toeplitz": "Toeplitz RSS, 128-entry table",
         "crc32": "CRC-32 of the 5-tuple mod N",
         "sportmod": "source port mod N"}
IPPROTO_TCP = 6


def toeplitz(data, key=RSS_KEY):
    """The Toeplitz hash of DATA (bytes) with KEY (at least 4 bytes longer
    than DATA): for each input bit set, from the most significant bit of
    the first byte on, XOR in the 32 key bits that start at that bit."""
    nbits = 8 * len(key)
    if nbits < 8 * len(data) + 32:
        raise ValueError("Toeplitz key too short for %d bytes" % len(data))
    k = int.from_bytes(key, "big")
    x = int.from_bytes(data, "big")
    n = 8 * len(data)
    h = 0
    for i in range(n):
        if x >> (n - 1 - i) & 1:
            h ^= (k >> (nbits - 32 - i)) & 0xFFFFFFFF
    return h


def _toeplitz_table(key, n):
    """For inputs of N bytes: the key window of each bit, first bit first."""
    nbits = 8 * len(key)
    k = int.from_bytes(key, "big")
    return [(k >> (nbits - 32 - i)) & 0xFFFFFFFF for i in range(8 * n)]


def tuple_bytes(src, dst, sport, dport):
    """RSS's IPv4 TCP input: source address, destination address, source
    port, destination port, network byte order."""
    return (socket.inet_aton(src) + socket.inet_aton(dst)
            + struct.pack("!HH", sport, dport))


def five_tuple_bytes(src, dst, sport, dport, proto=IPPROTO_TCP):
    return (socket.inet_aton(src) + socket.inet_aton(dst)
            + struct.pack("!BHH", proto, sport, dport))


class Hasher:
    """Bucket of a 4-tuple under each scheme, the Toeplitz windows
    precomputed (the same as toeplitz(), faster)."""

    def __init__(self, key=RSS_KEY):
        self.win = _toeplitz_table(key, 12)

    def rss(self, src, dst, sport, dport):
        x = int.from_bytes(tuple_bytes(src, dst, sport, dport), "big")
        h = 0
        for i, w in enumerate(self.win):
            if x >> (95 - i) & 1:
                h ^= w
        return h

    @staticmethod
    def rss_queue(h, queues):
        """The indirection table's queue for hash H: entry h mod 128,
        filled i -> i mod QUEUES (ethtool_rxfh_indir_default())."""
        return (h % RETA_SIZE) % queues

    def buckets(self, tuples, scheme, n):
        """Load per bucket (a list of N counts) of TUPLES, each
        (src, dst, sport, dport), under SCHEME."""
        load = [0] * n
        for src, dst, sport, dport in tuples:
            if scheme == "toeplitz":
                b = self.rss_queue(self.rss(src, dst, sport, dport), n)
            elif scheme == "crc32":
                b = zlib.crc32(five_tuple_bytes(src, dst, sport, dport)) % n
            elif scheme == "sportmod":
                b = sport % n
            else:
                raise ValueError("no hash scheme '%s'" % scheme)
            load[b] += 1
        return load


def spread(load):
    """(buckets used, max load / mean load) of a bucket load list;
    (0, None) for no tuples."""
    total = sum(load)
    if not total:
        return 0, None
    return sum(1 for x in load if x), max(load) * len(load) / total


def columns(parts=("one", "spread")):
    """compare.csv's hash columns, in order."""
    out = []
    for part in parts:
        for s in SCHEMES:
            for n in BUCKETS:
                out += ["hash_%s%d_%s_used" % (s, n, part),
                        "hash_%s%d_%s_maxmean" % (s, n, part)]
    return out


def cells(hasher, tuples_by_part, parts=("one", "spread")):
    """The values of columns() for one label: TUPLES_BY_PART maps a part
    to its list of tuples (empty cells where there are none)."""
    out = []
    for part in parts:
        tuples = tuples_by_part.get(part) or []
        for s in SCHEMES:
            for n in BUCKETS:
                if not tuples:
                    out += ["", ""]
                    continue
                used, mm = spread(hasher.buckets(tuples, s, n))
                out += [str(used), "%.2f" % mm]
    return out
