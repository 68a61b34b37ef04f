# SPDX-License-Identifier: GPL-2.0
"""The one median and percentile of portsel's reports, the record reader,
and awk's way of printing a number (the csv files keep their old form)."""

import math

DEFINITIONS = (
    "percentiles are nearest-rank: the p-th percentile of n values is the "
    "ceil(p/100 * n)-th smallest (at least the first), always a measured "
    "value; the median is the 50th percentile, so for an even count it is "
    "the lower of the two middle values")


def percentile(values, q):
    """Nearest rank: the ceil(q * n)-th smallest of VALUES (q in 0..1).
    None for no values."""
    s = sorted(values)
    if not s:
        return None
    k = math.ceil(q * len(s))
    return s[max(k, 1) - 1]


def median(values):
    """The nearest-rank 50th percentile (see DEFINITIONS)."""
    return percentile(values, 0.5)


def awk_num(x):
    """X as awk's print writes a number: integral values whole, others
    with %.6g (the form the csv files have always had)."""
    if isinstance(x, str):
        return x
    if x == int(x) and abs(x) < 2 ** 53:
        return "%d" % x
    return "%.6g" % x


def num(s):
    """A record's field as awk reads it: a leading number, else 0."""
    try:
        return float(s)
    except (TypeError, ValueError):
        return 0.0


def read_records(path):
    """The guest's records, one per line, as (TYPE, FIELDS): FIELDS is a
    dict of KEY=VALUE words ("p1 policy=kernel run=1 ...", make bench)
    or the list of comma-separated fields after the type ("lat,LABEL,..."
    of make compare, whose labels hold spaces). Carriage returns of the
    serial port are dropped; blank lines skipped."""
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\r\n").replace("\r", "")
            if not line:
                continue
            head = line.split(" ", 1)[0]
            if "," in head or " " not in line:
                fields = line.split(",")
                yield fields[0], fields[1:]
                continue
            words = line.split()
            kv = {}
            for w in words[1:]:
                k, _, v = w.partition("=")
                kv[k] = v
            yield words[0], kv
