"""gkm-SVM's exact fit (the whole Gram matrix) against gkmsvm-lite's Nystrom fit, on the validation
split only (the paper's cap: at most 5,000 training positives and as many negatives).

    python benchmarks/bench_gkmsvm_solvers.py DATA 1000,2000,exact

DATA is anything ``bindreg run --data`` takes; each solver prints one JSON line (validation AUROC,
seconds to fit, seconds with the validation scoring).
"""
import json
import sys
import time

import numpy as np
from gkmsvm import train_gkmsvm
from sklearn.metrics import roc_auc_score

from bindreg.data.datasets import prepare

exp, variants = sys.argv[1], sys.argv[2].split(",")
_, ds = prepare(exp, "discovery")
split = ds["split"].values; onehot = ds["onehot"].values; label = ds["label"].values
train, valid = split == "train", split == "valid"
rng = np.random.default_rng(0)
pos = rng.permutation(np.flatnonzero(train & (label == 1)))[:5000]
neg = rng.permutation(np.flatnonzero(train & (label == 0)))[:len(pos)]
for v in variants:
    kw = {} if v == "exact" else {"solver": "nystrom", "n_components": int(v)}
    t = time.perf_counter()
    model = train_gkmsvm(onehot[pos].astype(np.float32), onehot[neg].astype(np.float32), verbose=False, **kw)
    fit = time.perf_counter() - t
    scores = np.asarray(model(onehot[valid].astype(np.float32)))
    row = {"experiment": exp, "solver": v, "fitted": len(pos) + len(neg), "valid_auroc": round(float(roc_auc_score(label[valid], scores)), 4),
           "fit_s": round(fit, 1), "total_s": round(time.perf_counter() - t, 1)}
    print(json.dumps(row), flush=True)
