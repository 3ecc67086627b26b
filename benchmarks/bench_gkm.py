"""gkm-SVM, gkmsvm-lite's way against bindreg's (bindreg.score.gkm_scoring: the same functions
through tables over gapped k-mers), side by side in one process on one sample: the Nystrom fit,
then scoring a validation sample with the fitted model.

    python benchmarks/bench_gkm.py DATA [LANDMARKS [SEQUENCES]]

Fits as the paper-budget comparison does (at most 5,000 positives, Nystrom with LANDMARKS = 1000
landmarks; ``exact`` skips the fit comparison and fits the whole Gram matrix once), scores
SEQUENCES of the validation split drawn at random (default all), then prints one JSON line:
seconds for each fit and the support vectors each found, seconds for each way of scoring
(bindreg's including folding the support vectors into its tables, also shown alone), the largest
difference between the two models' scores and between the two ways of scoring one model, and the
validation AUROC of each.
"""
import json
import sys
import time

import numpy as np
from gkmsvm import train_gkmsvm
from sklearn.metrics import roc_auc_score

from bindreg.data.datasets import prepare
from bindreg.train.baselines import GKMSVM_MAX_POSITIVES
from bindreg.score.gkm_scoring import fast_scorer, fit_nystrom

data = sys.argv[1]
landmarks = sys.argv[2] if len(sys.argv) > 2 else "1000"
limit = int(sys.argv[3]) if len(sys.argv) > 3 else None
_, dataset = prepare(data, "discovery")
split, onehot, label = (dataset[name].values for name in ("split", "onehot", "label"))
train, valid = split == "train", split == "valid"
rng = np.random.default_rng(0)  # the sample fit_gkmsvm draws
positives = rng.permutation(np.flatnonzero(train & (label == 1)))[:GKMSVM_MAX_POSITIVES]
negatives = rng.permutation(np.flatnonzero(train & (label == 0)))[:len(positives)]
chosen = onehot[positives].astype(np.float32), onehot[negatives].astype(np.float32)
rows = np.sort(np.random.default_rng(0).permutation(np.flatnonzero(valid))[:limit])
x, y = onehot[rows].astype(np.float32), label[rows]
fit_nystrom(chosen[0][:50], chosen[1][:50], 20)  # compile the kernels (numba caches them on disk)
fast_scorer(fit_nystrom(chosen[0][:50], chosen[1][:50], 20))(x[:10])

result = {"data": data, "landmarks": landmarks, "fitted": len(positives) + len(negatives), "scored": len(rows)}
if landmarks == "exact":
    tick = time.perf_counter()
    model = train_gkmsvm(*chosen)
    result["fit_s"] = round(time.perf_counter() - tick, 1)
else:
    tick = time.perf_counter()
    lite_model = train_gkmsvm(*chosen, solver="nystrom", n_components=int(landmarks))
    lite_fit = time.perf_counter() - tick
    tick = time.perf_counter()
    model = fit_nystrom(*chosen, int(landmarks))
    ours_fit = time.perf_counter() - tick
    lite_scores = np.asarray(lite_model(x), np.float64).reshape(-1)
    result.update({"fit_gkmsvm_lite_s": round(lite_fit, 1), "fit_bindreg_s": round(ours_fit, 1),
                   "fit_speedup": round(lite_fit / ours_fit, 1),
                   "support_vectors": [int(lite_model.num_support_vectors), int(model.num_support_vectors)]})
tick = time.perf_counter()
score = fast_scorer(model)
fold = time.perf_counter() - tick
folded = score(x)
ours = time.perf_counter() - tick
tick = time.perf_counter()
theirs = np.asarray(model(x), np.float64).reshape(-1)
lite = time.perf_counter() - tick
result.update({"score_gkmsvm_lite_s": round(lite, 1), "score_bindreg_s": round(ours, 2),
               "of_which_folding_s": round(fold, 2), "score_speedup": round(lite / ours, 1),
               "scores_max_abs_difference": float(np.abs(folded - theirs).max()),
               "valid_auroc": [round(float(roc_auc_score(y, s)), 6) for s in (theirs, folded)]})
if landmarks != "exact":
    result.update({"models_max_abs_difference": float(np.abs(folded - lite_scores).max()),
                   "valid_auroc_gkmsvm_lite_fit": round(float(roc_auc_score(y, lite_scores)), 6)})
print(json.dumps(result), flush=True)
