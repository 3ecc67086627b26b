"""gkm-SVM scoring: gkmsvm-lite's (the kernel against every support vector) against bindreg's
(the same function folded over gapped k-mers, bindreg.train.gkm_scoring), side by side in one
process on one fitted model, on a validation split.

    python benchmarks/bench_gkm_scoring.py DATA [LANDMARKS]

Fits as the paper-budget comparison does (at most 5,000 positives, Nystrom with LANDMARKS = 1000
landmarks; ``exact`` for the whole Gram matrix), then prints one JSON line: support vectors,
sequences scored, seconds for each way (bindreg's including folding the support vectors into
its tables), the largest difference between the two scores and each way's validation AUROC.
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
x = onehot[valid].astype(np.float32)
fast_scorer(model)(x[:10])  # compile the kernels (numba caches them on disk after the first time)
tick = time.perf_counter()
folded = fast_scorer(model)(x)
ours = time.perf_counter() - tick
tick = time.perf_counter()
theirs = np.asarray(model(x), np.float64).reshape(-1)
lite = time.perf_counter() - tick
print(json.dumps({"data": data, "landmarks": landmarks, "support_vectors": int(model.num_support_vectors),
                  "scored": int(valid.sum()), "fit_s": round(fit, 1), "gkmsvm_lite_s": round(lite, 1),
                  "bindreg_s": round(ours, 2), "speedup": round(lite / ours, 1),
                  "max_abs_difference": float(np.abs(folded - theirs).max()),
                  "valid_auroc": [round(float(roc_auc_score(label[valid], s)), 6) for s in (theirs, folded)]}), flush=True)
