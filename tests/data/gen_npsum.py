#!/usr/bin/python3
# Reference values for metrics/npsum.c: np.sum / np.mean of float64 arrays
# (Debian numpy). Run: /usr/bin/python3 tests/data/gen_npsum.py > tests/data/npsum_vectors.jsonl
import json, numpy as np
rng = np.random.default_rng(20261122)
sizes = [0, 1, 2, 7, 8, 9, 15, 16, 17, 63, 64, 127, 128, 129, 130, 255, 256, 257, 1000, 1023,
         4096, 8191, 8192, 8193, 16400]
for n in sizes:
    for kind in (("normal", "lognormal", "mixed") if n < 4000 else ("mixed",)):
        if kind == "normal":
            a = rng.normal(size=n)
        elif kind == "lognormal":
            a = rng.lognormal(sigma=3, size=n)
        else:
            a = rng.normal(size=n) * 10.0 ** rng.integers(-8, 9, size=n)
        print(json.dumps({"x": [float(v) for v in a], "sum": float(np.sum(a)),
                          "mean": None if n == 0 else float(np.mean(a))}))
