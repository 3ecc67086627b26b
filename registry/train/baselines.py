"""The paper's non-network comparisons, as ``Baseline.fit`` functions (registered by
``bindreg_plugins.baselines``): gkm-SVM, k-mer counts + logistic regression, and a PWM scanner.

Each ``fit(onehot, labels, rng, context)`` takes ``onehot: shape=(n, 4, L)`` uint8 (A C G T)
and ``labels: (n,)`` 0/1 and returns ``scorer(onehot) -> scores: (m,)`` float64.
"""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Mapping

import numpy as np

from ..core.errors import BindregError
from ..core.sequences import reverse_complement

#: The paper's gkm-SVM protocol (section 4.3): default parameters, at most 5,000 positives.
GKMSVM_MAX_POSITIVES = 5000


def fit_gkmsvm(onehot: np.ndarray, labels: np.ndarray, rng: np.random.Generator, context: Mapping) -> callable:
    """gkm-SVM (gkmsvm-lite, LS-GKM defaults: l=11, k=7, d=3, both strands), trained on at most
    ``max_positives`` (default 5,000) sampled positives and as many sampled negatives. With
    ``negatives=K`` above 1 (Nystrom only), each sampled positive also gets K - 1 new dinucleotide
    shuffles of itself as negatives, and the classes are weighted equally (``fit_nystrom``).

    The scorer carries ``fitted`` (sequences actually fitted), so the run records what was fitted
    rather than what was offered. The exact fit is quadratic in the sample (minutes at 10,000), so a
    line says what is being fitted and gkmsvm-lite shows its own progress on stderr; ``solver=nystrom``
    fits through bindreg's gapped k-mer tables (``gkm_scoring.fit_nystrom``: the same model, ~20 s at
    10,000 sequences and 1,000 landmarks). ``context["reuse"]`` (a ``gkm_scoring.NystromReuse``, Nystrom
    only): fits given the same one share landmarks, kernel rows and each positive's shuffles."""
    from gkmsvm import train_gkmsvm

    options = context.get("options", {})
    limit = int(options.get("max_positives", GKMSVM_MAX_POSITIVES))
    solver = str(options.get("solver", "exact"))
    if solver not in ("exact", "nystrom"):
        raise BindregError(f"gkmsvm option solver={solver!r}: give solver=exact (the whole Gram matrix, the "
                           "paper's gkm-SVM) or solver=nystrom (n_components landmarks, faster, approximate)")
    # Nystrom: the kernel against n_components landmarks only (gkmsvm-lite's low-rank solver); its cost and
    # validation AUROC against the exact fit are in docs/compare.md.
    speed = {"solver": "nystrom", "n_components": int(options.get("n_components", 1000))} if solver == "nystrom" else {}
    per_positive = _negatives_per_positive(options.get("negatives", 1), solver)
    positives = rng.permutation(np.flatnonzero(labels == 1))[:limit]
    negatives = rng.permutation(np.flatnonzero(labels == 0))[:len(positives)]
    protocol = ", the paper's protocol" if limit == GKMSVM_MAX_POSITIVES and per_positive == 1 else ""
    shuffles = f" and {(per_positive - 1) * len(positives):,} shuffles of those positives" if per_positive > 1 else ""
    print(f"gkm-SVM: fitting {len(positives):,} positives + {len(negatives):,} negatives of {len(labels):,}{shuffles} "
          f"(at most {limit:,} positives{protocol})"
          + ("; quadratic in the sample" if not speed else f"; Nystrom, {speed['n_components']:,} landmarks"), file=sys.stderr, flush=True)
    from ..data.negatives import fresh_negatives
    from ..score.gkm_scoring import fast_scorer, fit_nystrom

    sampled = onehot[positives].astype(np.uint8)
    reuse = context.get("reuse")  # gkm_scoring.NystromReuse: a second fit on more sequences (bindnet_gkm's member)
    if reuse is not None:
        extra = reuse.shuffles(sampled, per_positive - 1, lambda some: fresh_negatives(some, rng))
    else:
        extra = [fresh_negatives(sampled, rng) for _ in range(per_positive - 1)]
    chosen = sampled.astype(np.float32), np.concatenate([onehot[negatives]] + extra).astype(np.float32)
    verbose = bool(context.get("progress", True))
    if speed:  # gkmsvm-lite's Nystrom fit, its kernel through gapped k-mer tables (same model, ~10x faster)
        model = fit_nystrom(*chosen, speed["n_components"], verbose=verbose, weighted=per_positive > 1, reuse=reuse)
    else:
        model = train_gkmsvm(*chosen, verbose=verbose)

    fast = fast_scorer(model)  # the same decision values, folded over gapped k-mers (seconds, not minutes)

    def scorer(x):
        if fast is not None:
            return fast(x)
        return np.asarray(model(x.astype(np.float32)), dtype=np.float64).reshape(-1)

    scorer.fitted = len(chosen[0]) + len(chosen[1])
    scorer.positives = len(positives)
    scorer.landmarks = speed.get("n_components")  # None for the exact fit
    scorer.model = model  # gkmsvm-lite's GkmSVM (its support vectors; model(x) scores the slow way)
    return scorer


def _negatives_per_positive(value, solver: str) -> int:
    """gkmsvm option ``negatives`` as an int >= 1, or a one-line error saying what to give."""
    try:
        count = int(value)
    except (TypeError, ValueError):
        count = 0
    if count < 1 or str(value).strip() != str(count):
        raise BindregError(f"gkmsvm option negatives={value!r}: give a whole number of negatives per positive, "
                           "1 (the paper's protocol) or more (the extra ones are dinucleotide shuffles)")
    if count > 1 and solver != "nystrom":
        raise BindregError(f"gkmsvm option negatives={count}: more negatives than positives needs solver=nystrom "
                           "(the exact fit is quadratic in the sample)")
    return count


def kmer_counts(onehot: np.ndarray, k: int) -> np.ndarray:
    """Counts of every k-mer per sequence, ``shape=(n, 4**k)`` float32; windows with an N
    (an all-zero column) are not counted."""
    n, _, length = onehot.shape
    bases = onehot.argmax(axis=1).astype(np.int64)           # (n, L)
    known = onehot.sum(axis=1) > 0                            # (n, L)
    windows = length - k + 1
    index = np.zeros((n, windows), np.int64)
    valid = np.ones((n, windows), bool)
    for offset in range(k):
        index = index * 4 + bases[:, offset:offset + windows]
        valid &= known[:, offset:offset + windows]
    flat = (np.arange(n)[:, None] * 4 ** k + index)[valid]
    return np.bincount(flat, minlength=n * 4 ** k).reshape(n, 4 ** k).astype(np.float32)


def fit_kmer_logistic(onehot: np.ndarray, labels: np.ndarray, rng: np.random.Generator, context: Mapping):
    """Logistic regression (scikit-learn, L2, C=1) on k-mer counts (default k=5) summed over both
    strands, so a site counts the same whichever strand it is on."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    k = int(context.get("options", {}).get("k", 5))

    def features(x):
        return kmer_counts(x, k) + kmer_counts(reverse_complement(x, bases=1, positions=2), k)

    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000,
                                                               random_state=int(rng.integers(2**31))))
    model.fit(features(onehot), labels)
    return lambda x: model.predict_proba(features(x))[:, 1].astype(np.float64)


def tf_from_dataset_name(name: str) -> list[str]:
    """Candidate TF names in a dataset name, best first: ``ARID3A_K562_...`` -> ARID3A,
    ``zeng_md_stat3_helas3`` -> STAT3 (after ZENG, MD), ``synthetic_ctcf`` -> CTCF."""
    return [token.upper() for token in re.split(r"[_\-.(),\s]+", name) if re.fullmatch(r"[A-Za-z][A-Za-z0-9]+", token)]


def pwm_motif(context: Mapping) -> tuple[np.ndarray, dict]:
    """The JASPAR motif for this dataset: ``options['matrix_id']`` or ``options['tf']`` when given,
    else the first token of the dataset name that names a JASPAR CORE motif."""
    from ..data.synthetic import jaspar_pwm

    options = context.get("options", {})
    if options.get("matrix_id") or options.get("tf"):
        return jaspar_pwm(options.get("tf"), options.get("matrix_id"))
    candidates = tf_from_dataset_name(str(context.get("dataset", "")))
    for candidate in candidates:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return jaspar_pwm(candidate)
        except BindregError:
            continue
    raise BindregError(f"pwm baseline: no JASPAR motif named by any part of dataset name "
                       f"{context.get('dataset')!r} (tried {', '.join(candidates) or 'nothing'}); "
                       "give one with --option tf=NAME or --option matrix_id=MA0139.2")


def best_match_scores(onehot: np.ndarray, log_odds: np.ndarray) -> np.ndarray:
    """Best log-odds match per sequence over every position and both strands, ``shape=(n,)``."""
    width = log_odds.shape[1]
    x = onehot.astype(np.float32)
    positions = x.shape[2] - width + 1
    if positions < 1:
        raise BindregError(f"pwm baseline: motif of width {width} is longer than the {x.shape[2]} bp sequences")
    reverse = reverse_complement(log_odds, bases=0, positions=1)  # the motif on the other strand
    forward = np.zeros((x.shape[0], positions), np.float32)
    backward = np.zeros_like(forward)
    for column in range(width):
        window = x[:, :, column:column + positions]           # (n, 4, positions)
        forward += np.einsum("b,nbp->np", log_odds[:, column], window)
        backward += np.einsum("b,nbp->np", reverse[:, column], window)
    return np.maximum(forward, backward).max(axis=1).astype(np.float64)


def fit_pwm(onehot: np.ndarray, labels: np.ndarray, rng: np.random.Generator, context: Mapping):
    """No training: the JASPAR motif's log-odds against a uniform background, best match per sequence."""
    pwm, identity = pwm_motif(context)
    log_odds = np.log2(pwm / 0.25).astype(np.float32)
    scorer = lambda x: best_match_scores(x, log_odds)  # noqa: E731
    scorer.motif = identity
    return scorer
