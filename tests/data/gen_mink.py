#!/usr/bin/python3
# Reference values for metrics/mink.c: Min-K% Prob as swj0419/detect-pretrain-code computes it,
# -np.mean(np.sort(all_prob)[:int(len(all_prob)*ratio)]).item() (null where k == 0, which the
# reference turns into NaN), and open-unlearning's k = max(1, int(n*ratio)). Debian numpy 1.24.
# Run: /usr/bin/python3 tests/data/gen_mink.py > tests/data/mink_vectors.jsonl
import json, numpy as np
rng = np.random.default_rng(20261122)
ratios = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
sizes = [1, 2, 3, 5, 9, 10, 19, 20, 21, 40, 99, 100, 101, 255, 256, 257, 320, 321, 330, 640,
         1000, 2047, 2048]
for n in sizes:
    for kind in ("exp", "ties"):
        if kind == "exp":
            lp = -rng.exponential(2.5, size=n) * 10.0 ** rng.uniform(-3, 0.5, size=n)
        else:
            lp = -np.round(rng.exponential(2.0, size=n), 1)
        lp = [float(v) for v in lp]
        orig, ou = [], []
        for r in ratios:
            k = int(len(lp) * r)
            orig.append(None if k == 0 else -np.mean(np.sort(lp)[:k]).item())
            k = max(1, int(len(lp) * r))
            ou.append(-np.mean(np.sort(lp)[:k]).item())
        print(json.dumps({"logprobs": lp, "ratios": ratios, "original": orig,
                          "open_unlearning": ou}))
