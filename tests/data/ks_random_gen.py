#!/usr/bin/python3
"""Random adversarial rows for tests/test_ks.c from Debian's scipy 1.10.1.

Run from the repo root with Debian's python:
    /usr/bin/python3 tests/data/ks_random_gen.py 250 7 > tests/data/ks_random.jsonl

Samples mix normal data, small-integer ties, +-inf, -0.0, subnormals,
+-1e308, Cauchy tails and values spread over e^-700..e^700. Values are
written as Python repr strings (JSON has no inf), read back with strtod.
`fallback` is true where scipy warned "Exact calculation unsuccessful".
"""
import json
import sys
import warnings

import numpy as np
import scipy
from scipy.stats import ks_2samp

assert scipy.__version__ == "1.10.1", scipy.__version__


def main():
    count, seed = int(sys.argv[1]), int(sys.argv[2])
    rng = np.random.default_rng(seed)
    pools = [
        lambda k: rng.normal(size=k),
        lambda k: rng.integers(0, 5, size=k).astype(float),
        lambda k: rng.choice([-np.inf, np.inf, 0.0, -0.0, 1.0, 5e-324, -5e-324, 1e308, -1e308], size=k),
        lambda k: rng.standard_cauchy(size=k) * 1e10,
        lambda k: np.round(rng.normal(size=k), 1),
        lambda k: rng.choice([1e-310, 2e-310, 3e-310, 0.0], size=k),
        lambda k: np.exp(rng.uniform(-700, 700, size=k)),
    ]
    for t in range(count):
        n1, n2 = int(rng.integers(1, 40)), int(rng.integers(1, 40))
        if t % 4 == 0:
            n2 = n1
        x = pools[int(rng.integers(len(pools)))](n1)
        y = pools[int(rng.integers(len(pools)))](n2)
        if t % 7 == 0:  # shared values across the samples
            y = np.concatenate([x[: n2 // 2], y[: n2 - n2 // 2]])
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            r = ks_2samp(x, y)
        fallback = any("Exact calculation unsuccessful" in str(i.message) for i in w)
        sys.stdout.write(json.dumps({
            "x": [repr(float(v)) for v in x], "y": [repr(float(v)) for v in y],
            "statistic": repr(float(r.statistic)), "pvalue": repr(float(r.pvalue)),
            "fallback": fallback}) + "\n")


if __name__ == "__main__":
    main()
