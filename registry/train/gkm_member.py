"""Fitting gkm-SVM as a member of bindnet_gkm's networks (``Recipe.gkm_member``): the weight chosen
on the validation split, the fits in a background thread. What the member is and how every
scoring path adds it: ``bindreg.score.gkm_member``.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from ..score.gkm_member import GkmMember, standardise
from .baselines import GKMSVM_MAX_POSITIVES

#: The comparison's gkm-SVM (Nystrom with 1,000 landmarks, at most 5,000 positives; docs/compare.md);
#: ``Recipe.gkm_landmarks`` (``gkm_small_landmarks`` below ``REFIT_BELOW``), ``Recipe.gkm_max_positives`` and
#: ``Recipe.gkm_negatives`` set the member's.
OPTIONS = {"solver": "nystrom", "n_components": 1000}
#: The kept member is fitted again on training + validation only where the training split's fit took
#: fewer positives than this (the paper's cap): a second fit of a larger sample costs more than the
#: networks' own training on 2 cores (STAT3 HeLa-S3 at 10,000 positives: ~50 s for 6% more sequences).
REFIT_BELOW = 5_000
#: gkm-SVM's weight is chosen from these on the validation split.
WEIGHTS = np.linspace(0.0, 1.0, 11)


def choose_weight(labels: np.ndarray, network: np.ndarray, gkm: np.ndarray) -> tuple[float, list[float]]:
    """``(w, AUROC per weight in WEIGHTS)``: the weight of gkm-SVM against the network with the best
    AUROC of ``(1 - w) z(network) + w z(gkm)`` on ``labels`` (ties: the smaller weight)."""
    from .evaluation import binary_metrics

    network, gkm = standardise(network, network), standardise(gkm, gkm)
    aurocs = [binary_metrics(labels, (1 - w) * network + w * gkm)["auroc"] for w in WEIGHTS]
    return float(WEIGHTS[int(np.argmax(aurocs))]), aurocs


def member_settings(recipe) -> dict:
    """``MemberFit``'s and ``_fit_parts``' keywords from a ``Recipe``'s ``gkm_*`` fields (one mapping, so a
    new field reaches the run and the benchmarks alike)."""
    return {"landmarks": recipe.gkm_landmarks, "max_positives": recipe.gkm_max_positives,
            "negatives": recipe.gkm_negatives, "small_landmarks": recipe.gkm_small_landmarks}


def fitted_positives(labels: np.ndarray, max_positives: int = GKMSVM_MAX_POSITIVES) -> int:
    """How many positives ``fit_gkmsvm`` fits from ``labels``: at most ``max_positives``."""
    return min(int((labels == 1).sum()), max_positives)


class MemberFit:
    """gkm-SVM's fits for a member, made in a background thread while the networks train.

    Why a thread: the fits read only the training and validation splits, and a network's training
    step leaves the second core idle part of the time (Python dispatch between MXNet's kernels), so
    on 2 cores part of the fit is hidden. gkm-SVM's kernels run serially here, without the GIL
    (``gkm_scoring.serial_here``: two threads launching parallel numba kernels abort the process);
    on one core it costs what it would in line. The splits' one-hot arrays are copied in the calling
    thread (MXNet is never called from the background thread)."""

    def __init__(self, splits: dict, seed: int, landmarks: int = OPTIONS["n_components"],
                 max_positives: int = GKMSVM_MAX_POSITIVES, negatives: int = 1, small_landmarks: int = 0):
        train, valid = splits["train"], splits["valid"]
        self._valid_labels = valid.labels
        self._inputs = (_onehot(train), train.labels, _onehot(valid), valid.labels, seed, landmarks, max_positives,
                        negatives, small_landmarks)
        self._result, self._error = None, None
        self._thread = threading.Thread(target=self._run, name="gkm-member", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from ..score.gkm_scoring import serial_here

        try:
            serial_here()  # no parallel numba kernel from this thread: the training thread launches them
            self._result = _fit_parts(*self._inputs)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread by member()
            self._error = exc

    def member(self, network_valid: np.ndarray) -> tuple[GkmMember, dict]:
        """The member for a network whose first member scores ``network_valid`` on the validation
        split (and never trained on it), and what was measured: ``weight_auroc`` (AUROC per weight in
        ``WEIGHTS``), ``fitted``, ``landmarks``, ``gkm_fit_seconds`` (the fits' own time) and
        ``gkm_wait_seconds`` (how long training waited for them)."""
        started = time.perf_counter()
        self._thread.join()
        waited = time.perf_counter() - started
        if self._error is not None:
            raise self._error
        probe_valid, kept, reference, seconds = self._result
        weight, aurocs = choose_weight(self._valid_labels, network_valid, probe_valid)
        member = GkmMember(kept.model, weight, float(reference.mean()), float(reference.std() + 1e-12), kept.fitted,
                           scorer=kept)  # its tables are folded already
        return member, {"weight_auroc": [round(a, 6) for a in aurocs], "fitted": kept.fitted,
                        "landmarks": kept.landmarks,
                        "gkm_fit_seconds": round(seconds, 1), "gkm_wait_seconds": round(waited, 1)}


def _onehot(split) -> np.ndarray:
    """A split's sequences ``(n, 4, L)`` float32 (gkm-SVM's input)."""
    return split.x.asnumpy()[:, :, 0, :]


def _fit_parts(train_x, train_y, valid_x, valid_y, seed: int, landmarks: int, max_positives: int,
               negatives: int = 1, small_landmarks: int = 0, refit_below: int = REFIT_BELOW, reuse: bool = True):
    """``(probe's validation scores, kept scorer, kept's validation scores, seconds)``: gkm-SVM fitted
    on the training split (the probe, which chooses the weight), and again on training + validation
    where that adds positives and the probe fitted fewer than ``refit_below``; else (the cap of
    ``max_positives`` binds, or a second fit would be a large one) the probe is kept. ``negatives``:
    per positive (``fit_gkmsvm``'s option). ``small_landmarks`` (above 0): the landmarks of both fits
    where the probe fits fewer than ``refit_below`` positives (a small sample: more landmarks cost
    little there and gained on validation, docs/recommended.md, fourteenth round). The second fit
    keeps the probe's landmarks, kernel rows and shuffles (``gkm_scoring.NystromReuse``) and computes only the validation split's part (``reuse=False``:
    from scratch, benchmarks/bench_gkm_member_fit.py's baseline)."""
    from ..score.gkm_scoring import NystromReuse
    from .baselines import fit_gkmsvm

    started = time.perf_counter()
    both_y = np.concatenate([train_y, valid_y])
    first = fitted_positives(train_y, max_positives)
    small = first < refit_below
    refit = small and fitted_positives(both_y, max_positives) > first
    if small and small_landmarks:
        landmarks = small_landmarks
    options = {**OPTIONS, "n_components": landmarks, "max_positives": max_positives, "negatives": negatives}
    context = {"options": options, "progress": False, "reuse": NystromReuse() if refit and reuse else None}
    probe = fit_gkmsvm(train_x, train_y, np.random.default_rng(seed), context)
    on_valid = probe(valid_x)
    kept, reference = probe, on_valid
    if refit:
        kept = fit_gkmsvm(np.concatenate([train_x, valid_x]), both_y, np.random.default_rng(seed), context)
        reference = kept(valid_x)
    return on_valid, kept, reference, time.perf_counter() - started
