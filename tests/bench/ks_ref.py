#!/usr/bin/python3
"""Reference side of tests/bench/bench_ks.c: time scipy's ks_2samp.

usage: ks_ref.py INPUT REPS

INPUT holds cases, each as a line "nx ny" then a line of nx values and a
line of ny values (%.17g text, read back exactly). For each case this prints
one line: "<seconds per call> <pvalue repr> <statistic repr>", the time
being the best of 5 runs of REPS calls each.
"""
import sys
import timeit
import warnings

import numpy as np
from scipy.stats import ks_2samp


def main():
    path, reps = sys.argv[1], int(sys.argv[2])
    with open(path) as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines) and lines[i].strip():
        nx, ny = map(int, lines[i].split())
        x = np.array([float(v) for v in lines[i + 1].split()])
        y = np.array([float(v) for v in lines[i + 2].split()])
        assert len(x) == nx and len(y) == ny
        i += 3
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = ks_2samp(x, y)
            best = min(timeit.repeat(lambda: ks_2samp(x, y), number=reps, repeat=5))
        print(f"{best / reps!r} {float(r.pvalue)!r} {float(r.statistic)!r}", flush=True)


if __name__ == "__main__":
    main()
