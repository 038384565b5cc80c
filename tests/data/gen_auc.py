#!/usr/bin/python3
# Reference values for metrics/auc.c: sklearn roc_auc_score (Debian python3-sklearn 1.2.1,
# numpy 1.24). Tie-heavy random cases, plus continuous ones and sizes past numpy's 128-element
# pairwise block. Run: /usr/bin/python3 tests/data/gen_auc.py > tests/data/auc_vectors.jsonl
import json, numpy as np, sklearn
from sklearn.metrics import roc_auc_score, roc_curve, auc
assert sklearn.__version__.startswith("1.2"), sklearn.__version__
rng = np.random.default_rng(20261122)

def case(kind, n):
    p = rng.uniform(0.05, 0.95)
    y = (rng.uniform(size=n) < p).astype(int)
    y[rng.integers(n)] = 0          # both classes present
    y[rng.integers(n)] = 1
    if y.min() == y.max():
        y[0], y[1] = 0, 1
    if kind == "int_ties":
        s = rng.integers(0, rng.integers(2, 12), size=n).astype(float)
    elif kind == "rounded":
        s = np.round(rng.normal(size=n) + 0.7 * y, 1)
    elif kind == "continuous":
        s = rng.normal(size=n) + rng.uniform(-1, 2) * y
    elif kind == "mink_like":       # -MinK scores of two groups, some exact repeats
        s = -np.round(rng.gamma(2.0, 1.5, size=n) + 0.3 * y, rng.integers(1, 4))
    elif kind == "all_tied":
        s = np.full(n, 0.25)
    else:                           # mixed: ties inside a continuous spread
        s = rng.normal(size=n)
        s[rng.uniform(size=n) < 0.4] = 0.0
    return y, s

n_out = 0
for kind in ("int_ties", "rounded", "continuous", "mink_like", "all_tied", "mixed"):
    for i in range(60 if kind != "all_tied" else 5):
        n = int(rng.integers(2, 60)) if i < 40 else int(rng.integers(100, 700))
        y, s = case(kind, n)
        a = roc_auc_score(y, s)
        fpr, tpr, _ = roc_curve(y, s)
        assert auc(fpr, tpr) == a
        print(json.dumps({"kind": kind, "y": [int(v) for v in y], "s": [float(v) for v in s],
                          "auc": float(a)}))
        n_out += 1
# the MUSE shape: 100 forget (label 0) vs 100 holdout (label 1), score = -MinK
for i in range(10):
    f, h = rng.normal(2.0, 0.4, 100), rng.normal(2.1, 0.4, 100)
    y = np.r_[np.zeros(100, int), np.ones(100, int)]
    s = -np.r_[f, h]
    print(json.dumps({"kind": "muse", "y": [int(v) for v in y], "s": [float(v) for v in s],
                      "auc": float(roc_auc_score(y, s))}))
