#!/usr/bin/python3
# Reference values for metrics/stats.c uh_hmean: scipy.stats.hmean (Debian scipy 1.10.1,
# numpy 1.24). Includes the 9-component TOFU model-utility shape and zeros.
# Run: /usr/bin/python3 tests/data/gen_hmean.py > tests/data/hmean_vectors.jsonl
import json, numpy as np, scipy, warnings
from scipy.stats import hmean
warnings.simplefilter("ignore")
rng = np.random.default_rng(20261122)
cases = [[1.0], [2.0, 3.0], [0.0, 1.0], [0.5, 0.0, 0.25],
         # TOFU model utility: {Prob, ROUGE, Truth Ratio} x {retain, real authors, world facts}
         [0.9874, 0.9723, 0.4693, 0.4541, 0.9283, 0.6117, 0.4273, 0.8917, 0.5834]]
for n in (2, 3, 7, 8, 9, 9, 9, 16, 17, 100, 129, 1000):
    cases.append([float(v) for v in rng.uniform(1e-3, 1.0, n)])
    cases.append([float(v) for v in rng.lognormal(0, 2, n)])
for a in cases:
    print(json.dumps({"a": a, "hmean": float(hmean(a))}))
