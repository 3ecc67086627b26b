"""gkm-SVM scoring: gkmsvm-lite's (the kernel against every support vector) against bindreg's
(the same function folded over gapped k-mers, bindreg.train.gkm_scoring), side by side in one
process on one fitted model, on a validation split.

    python benchmarks/bench_gkm_scoring.py DATA [LANDMARKS [SEQUENCES]]

Fits as the paper-budget comparison does (at most 5,000 positives, Nystrom with LANDMARKS = 1000
landmarks; ``exact`` for the whole Gram matrix), scores SEQUENCES of the validation split drawn at
random (default all), then prints one JSON line: support vectors, sequences scored, seconds for
each way (bindreg's including folding the support vectors into its tables, also shown alone), the
largest difference between the two scores and each way's validation AUROC.
"""
import json
import sys
import time

import numpy as np
from sklearn.metrics import roc_auc_score

from bindreg.data.datasets import prepare
from bindreg.train.baselines import fit_gkmsvm
from bindreg.train.gkm_scoring import fast_scorer

data = sys.argv[1]
landmarks = sys.argv[2] if len(sys.argv) > 2 else "1000"
options = {} if landmarks == "exact" else {"solver": "nystrom", "n_components": int(landmarks)}
_, dataset = prepare(data, "discovery")
split, onehot, label = (dataset[name].values for name in ("split", "onehot", "label"))
train, valid = split == "train", split == "valid"
tick = time.perf_counter()
model = fit_gkmsvm(onehot[train], label[train], np.random.default_rng(0), {"options": options, "progress": False}).model
fit = time.perf_counter() - tick
limit = int(sys.argv[3]) if len(sys.argv) > 3 else None
rows = np.sort(np.random.default_rng(0).permutation(np.flatnonzero(valid))[:limit])
x, y = onehot[rows].astype(np.float32), label[rows]
fast_scorer(model)(x[:10])  # compile the kernels (numba caches them on disk after the first time)
tick = time.perf_counter()
score = fast_scorer(model)
fold = time.perf_counter() - tick
folded = score(x)
ours = time.perf_counter() - tick
tick = time.perf_counter()
theirs = np.asarray(model(x), np.float64).reshape(-1)
lite = time.perf_counter() - tick
print(json.dumps({"data": data, "landmarks": landmarks, "support_vectors": int(model.num_support_vectors),
                  "scored": len(rows), "fit_s": round(fit, 1), "gkmsvm_lite_s": round(lite, 1),
                  "bindreg_s": round(ours, 2), "of_which_folding_s": round(fold, 2), "speedup": round(lite / ours, 1),
                  "max_abs_difference": float(np.abs(folded - theirs).max()),
                  "valid_auroc": [round(float(roc_auc_score(y, s)), 6) for s in (theirs, folded)]}), flush=True)
