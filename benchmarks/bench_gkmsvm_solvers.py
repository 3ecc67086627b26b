"""gkm-SVM's exact fit (the whole Gram matrix) against gkmsvm-lite's Nystrom fit, on the validation
split only (the paper's cap: at most 5,000 training positives and as many negatives).

    python benchmarks/bench_gkmsvm_solvers.py DATA 1000,2000,exact

DATA is anything ``bindreg run --data`` takes; each variant (``exact`` or ``N`` landmarks) prints one
JSON line: validation AUROC, seconds to fit, seconds to score the validation split. Both solvers
score with the exact kernel against every support vector, so scoring can cost more than the fit.
"""
import json
import sys
import time

import numpy as np
from sklearn.metrics import roc_auc_score

from bindreg.baselines import fit_gkmsvm
from bindreg.data.datasets import prepare

data, variants = sys.argv[1], sys.argv[2].split(",")
_, dataset = prepare(data, "discovery")
split, onehot, label = (dataset[name].values for name in ("split", "onehot", "label"))
train, valid = split == "train", split == "valid"
for variant in variants:
    options = {} if variant == "exact" else {"solver": "nystrom", "n_components": int(variant)}
    tick = time.perf_counter()
    # The same sample and fit as `bindreg run --model gkmsvm` (train split only here, the seed-0 draw).
    scorer = fit_gkmsvm(onehot[train], label[train], np.random.default_rng(0), {"options": options, "progress": False})
    fit = time.perf_counter() - tick
    tock = time.perf_counter()
    scores = scorer(onehot[valid])
    print(json.dumps({"data": data, "solver": variant, "fitted": scorer.fitted, "scored": int(valid.sum()),
                      "valid_auroc": round(float(roc_auc_score(label[valid], scores)), 4), "fit_s": round(fit, 1),
                      "score_s": round(time.perf_counter() - tock, 1)}), flush=True)
