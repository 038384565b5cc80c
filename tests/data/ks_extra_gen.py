#!/usr/bin/python3
"""Extra reference rows for tests/test_ks.c from Debian's scipy 1.10.1.

Run from the repo root with Debian's python:
    /usr/bin/python3 tests/data/ks_extra_gen.py > tests/data/ks_extra.jsonl

Each sample is given as [n, a, b, p, s] and means
v_i = ((i*a + b) % p) / p + s for i in range(n); the C test evaluates the
same formula exactly, so samples of 20000 values need not be stored.
`branch` names the kstwo.sf branch scipy took (mirrored from
scipy/stats/_ksstats.py::_kolmogn), or `exact`.
"""
import json
import sys
import warnings

import numpy as np
import scipy
from scipy.stats import ks_2samp

assert scipy.__version__ == "1.10.1", scipy.__version__


def sample(spec):
    n, a, b, p, s = spec
    return np.array([((i * a + b) % p) / p + s for i in range(n)])


def kstwo_branch(x, n):
    if n < 1:
        return "badn"
    if x <= 0.5 / n:
        return "support_low"
    if x >= 1.0:
        return "support_high"
    t = n * x
    if t <= 1.0:
        return "rg_low" if t > 0.5 else "t_half"
    if t >= n - 1:
        return "rg_high"
    if x >= 0.5:
        return "smirnov"
    nxsq = t * x
    if n <= 140:
        if nxsq <= 0.754693:
            return "dmtw"
        return "pomeranz" if nxsq <= 4 else "smirnov"
    if nxsq >= 370.0:
        return "zero"
    if nxsq >= 2.2:
        return "smirnov"
    if n <= 100000 and n * x ** 1.5 <= 1.4:
        return "dmtw"
    return "pelzgood"


def row(xs, ys):
    x, y = sample(xs), sample(ys)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = ks_2samp(x, y)
    n1, n2 = len(x), len(y)
    m, n = sorted([float(n1), float(n2)], reverse=True)
    en = np.round(m * n / (m + n))
    if max(n1, n2) > 10000:
        path, branch = "asymp", kstwo_branch(float(r.statistic), int(en))
    elif any("Exact calculation unsuccessful" in str(i.message) for i in w):
        path, branch = "exact_failed_fallback_asymp", kstwo_branch(float(r.statistic), int(en))
    else:
        path, branch = "exact", "exact"
    return {"x": xs, "y": ys, "statistic": float(r.statistic), "pvalue": float(r.pvalue),
            "path": path, "branch": branch}


def main():
    P1, P2 = 1000003, 999983  # primes: no ties
    cases = []
    # exact path, equal and unequal sizes up to MAX_AUTO_N
    for n1, n2 in [(400, 400), (400, 200), (200, 400), (1000, 999), (3000, 10000),
                   (10000, 10000), (10000, 9999), (7, 10000), (1, 10000), (2500, 7500)]:
        for s in [0.0, 0.01, 0.05, 0.2, 0.6, 1.5]:
            cases.append(([n1, 7919, 1, P1, 0.0], [n2, 104729, 3, P2, s]))
    # ties (p < n), equal sizes: the exact -> asymp fallback
    for n in [60, 135, 253, 390, 1000, 4000]:
        for p in [3, 7, 29]:
            cases.append(([n, 1, 0, p, 0.0], [n, 1, 1, p, 0.0]))
    # asymptotic path: max(n1, n2) > 10000, every kstwo branch
    for n1, n2 in [(10001, 10001), (20000, 10001), (30000, 25000), (12000, 11000)]:
        for s in [0.0, 0.002, 0.005, 0.01, 0.02, 0.05, 0.3, 0.99]:
            cases.append(([n1, 7919, 1, P1, 0.0], [n2, 104729, 3, P2, s]))
    for n1, n2 in [(1, 20000), (2, 10001), (3, 15000), (50, 12000), (200, 11000)]:
        for s in [-0.5, 0.0, 0.1, 0.3, 0.6, 0.95, 2.0]:
            cases.append(([n1, 7919, 1, P1, 0.0], [n2, 104729, 3, P2, s]))
    # round(en) <= 140 with 0.754693 < n*D^2 <= 4: Pomeranz
    for n1 in [10, 50, 100, 140]:
        lo, hi = (0.754693 / n1) ** 0.5, (4.0 / n1) ** 0.5
        for q in [0.1, 0.35, 0.6, 0.9]:
            cases.append(([n1, 618034, 1, P1, 0.0], [12000, 104729, 3, P2, lo + q * (hi - lo)]))
    # en > 100000: Pelz-Good
    for s in [0.0, 0.0005, 0.001, 0.002]:
        cases.append(([250000, 7919, 1, P1, 0.0], [240000, 104729, 3, P2, s]))
    for xs, ys in cases:
        sys.stdout.write(json.dumps(row(xs, ys)) + "\n")


if __name__ == "__main__":
    main()
