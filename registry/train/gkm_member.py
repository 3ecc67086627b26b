"""gkm-SVM as a member of a network ensemble (``Recipe.gkm_member``), saved beside the network.

Why: a gapped k-mer SVM and a convolutional network err on different sequences. On the
validation splits (docs/recommended.md, sixth round) adding gkm-SVM to bindnet's two networks
raised AUROC on 10-11 of 12 experiments, most where the two were level. The member cannot live
in the exported MXNet graph (its folded gapped k-mer tables hold 41 M entries), so it is saved
as an ``npz`` of gkmsvm-lite's fields (support sequences, coefficients, bias, kernel) plus
``gkm-member.json`` (how it is combined), and every scoring path adds its term to the network's
logits (``add_to_logits``):

    logit(x) = (1 - w) * mean_k z_k(P_k(x))  +  w * z_g(gkm(x))       P(bound) = sigmoid(logit)

``z`` standardises a member's score by its mean and standard deviation on the validation split;
the first part is the exported network (``recipe.StandardisedEnsemble``), the second this
member. ``w`` is chosen on the validation split from the first network and a gkm-SVM fitted on
the training split alone (neither has seen it); the kept gkm-SVM is then fitted on training +
validation, as the refitted network is, where that adds sequences to its sample (below 5,000
positives in training; above, the paper's cap binds and the first fit is kept). The combined score ranks sequences; it is not a
calibrated probability. gkmsvm-lite rebuilds the member from the npz (``load_member`` shows how).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import BindregError

#: The saved member (gkmsvm-lite's fields, support sequences as base codes) and its combination.
MODEL_FILE = "gkm-member.npz"
COMBINATION_FILE = "gkm-member.json"
#: The comparison's gkm-SVM (Nystrom with 1,000 landmarks, at most 5,000 positives; docs/compare.md).
OPTIONS = {"solver": "nystrom", "n_components": 1000}
#: gkm-SVM's weight is chosen from these on the validation split.
WEIGHTS = np.linspace(0.0, 1.0, 11)


def standardise(score: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``score`` in units of ``reference``'s standard deviation from its mean."""
    return (score - reference.mean()) / (reference.std() + 1e-12)


def choose_weight(labels: np.ndarray, network: np.ndarray, gkm: np.ndarray) -> tuple[float, list[float]]:
    """``(w, AUROC per weight in WEIGHTS)``: the weight of gkm-SVM against the network with the best
    AUROC of ``(1 - w) z(network) + w z(gkm)`` on ``labels`` (ties: the smaller weight)."""
    from .evaluation import binary_metrics

    network, gkm = standardise(network, network), standardise(gkm, gkm)
    aurocs = [binary_metrics(labels, (1 - w) * network + w * gkm)["auroc"] for w in WEIGHTS]
    return float(WEIGHTS[int(np.argmax(aurocs))]), aurocs


@dataclass
class GkmMember:
    """A fitted ``gkmsvm.GkmSVM`` and how it joins the network: ``weight * (score - mean) / std``."""

    model: object
    weight: float
    mean: float
    std: float
    fitted: int = 0

    def __post_init__(self):
        self._score = None

    def decision(self, onehot: np.ndarray) -> np.ndarray:
        """gkm-SVM's decision values ``(n,)`` float64 for ``onehot: (n, 4, L)``."""
        if self._score is None:
            from .gkm_scoring import fast_scorer

            fast = fast_scorer(self.model)
            self._score = fast if fast is not None else \
                (lambda x: np.asarray(self.model(x.astype(np.float32)), np.float64).reshape(-1))
        return self._score(np.ascontiguousarray(onehot, dtype=np.float32))

    def logit(self, onehot: np.ndarray) -> np.ndarray:
        """This member's term of the bound logit ``(n,)`` for ``onehot: (n, 4, L)``."""
        return self.weight * (self.decision(onehot) - self.mean) / self.std

    def add_to_logits(self, logits: np.ndarray, x: np.ndarray) -> np.ndarray:
        """``logits: (n, 2)`` of the network for ``x: (n, 4, 1, L)`` or ``(n, 4, L)``, with this
        member's term added to the bound column (``softmax`` then gives ``sigmoid(logit)``)."""
        logits = np.array(logits, dtype=np.float32)
        onehot = x[:, :, 0, :] if x.ndim == 4 else x
        logits[:, 1] += self.logit(onehot).astype(np.float32)
        return logits

    def save(self, directory: Path) -> None:
        """``gkm-member.npz`` and ``gkm-member.json`` in ``directory`` (a scratch folder renamed whole).

        The npz holds gkmsvm-lite's fields (coefficients, bias, kernel type and parameters), but the
        support sequences as base codes ``(S, L)`` uint8 (0-3 = A C G T, 4 = N), compressed: ~0.3 MB
        where gkmsvm-lite's own ``save_npz`` writes them one-hot float32 (~13 MB for 8,000)."""
        model = self.model
        support = np.asarray(model.support_sequences)
        codes = np.where(support.sum(axis=1) > 0, support.argmax(axis=1), 4).astype(np.uint8)
        metadata = {"bias": float(np.asarray(model.bias).reshape(-1)[0]), "kernel_type": model.kernel_type,
                    "kernel_params": model._kernel_params}
        np.savez_compressed(Path(directory) / MODEL_FILE, support_codes=codes,
                            coefficients=np.asarray(model.coefficients, np.float32),
                            metadata=np.void(json.dumps(metadata).encode("utf-8")))
        (Path(directory) / COMBINATION_FILE).write_text(json.dumps({
            "about": "gkm-SVM member: logit += weight * (decision - mean) / std (bindreg.train.gkm_member)",
            "weight": self.weight, "mean": self.mean, "std": self.std, "fitted": self.fitted}, indent=1))


def load_member(directory: Path) -> GkmMember | None:
    """The gkm-SVM member saved in a run directory or bundle, or None when it has none."""
    directory = Path(directory)
    if not (directory / COMBINATION_FILE).exists():
        return None
    try:
        from gkmsvm.svm import GkmSVM

        combination = json.loads((directory / COMBINATION_FILE).read_text())
        with np.load(directory / MODEL_FILE, allow_pickle=False) as saved:
            if "support_codes" in saved:
                codes = saved["support_codes"]
                support = (codes[:, None, :] == np.arange(4, dtype=np.uint8)[None, :, None]).astype(np.float32)
            else:  # gkmsvm-lite's own save_npz (one-hot support sequences)
                support = saved["support_sequences"].astype(np.float32)
            coefficients, metadata = saved["coefficients"], json.loads(bytes(saved["metadata"]))
        model = GkmSVM(support_sequences=support, coefficients=coefficients, bias=metadata["bias"],
                       kernel_type=metadata["kernel_type"], kernel_params=metadata["kernel_params"])
        return GkmMember(model, float(combination["weight"]), float(combination["mean"]), float(combination["std"]),
                         int(combination.get("fitted", 0)))
    except ImportError:
        raise BindregError(f"{directory}: this model has a gkm-SVM member; pip install gkmsvm-lite to score it") from None
    except Exception as exc:  # noqa: BLE001 - a missing file, bad JSON or a damaged npz: one cause
        raise BindregError(f"{directory}: {MODEL_FILE} or {COMBINATION_FILE} cannot be read "
                           f"({type(exc).__name__}: {str(exc)[:100]}); pull or export the model again") from None


def with_member(directory: Path, forward):
    """``forward`` (``x: (n, 4, 1, L)`` float32 -> logits ``(n, 2)``) of the network saved in
    ``directory``, with its gkm-SVM member's term added when it has one; every scoring path (any
    engine) goes through this, so a model scores the same everywhere."""
    member = load_member(directory)
    if member is None:
        return forward
    def forward_with_member(x):
        x = np.asarray(x)
        return member.add_to_logits(np.asarray(forward(x))[:len(x)], x)  # an engine may pad its batch

    return forward_with_member


def fitted_count(labels: np.ndarray) -> int:
    """How many sequences ``fit_gkmsvm`` fits from ``labels``: at most 5,000 positives, as many negatives."""
    from .baselines import GKMSVM_MAX_POSITIVES

    positives = min(int((labels == 1).sum()), GKMSVM_MAX_POSITIVES)
    return positives + min(int((labels == 0).sum()), positives)


class MemberFit:
    """gkm-SVM's fits for a member, made in a background thread while the networks train.

    Why a thread: the fits read only the training and validation splits, and a network's training
    step leaves the second core idle much of the time (Python dispatch between MXNet's kernels), so
    on 2 cores much of the fit's ~20 s is hidden; gkm-SVM's kernels run serially here, without the
    GIL, and its short parallel ones under ``kernel_lock``. On one core it costs what it would in line. The splits' one-hot arrays are copied here, in the
    calling thread (MXNet is not called from the background thread)."""

    def __init__(self, splits: dict, seed: int):
        train, valid = splits["train"], splits["valid"]
        self._valid_labels = valid.labels
        self._inputs = (_onehot(train), train.labels, _onehot(valid), valid.labels, seed)
        self._result, self._error = None, None
        self._thread = threading.Thread(target=self._run, name="gkm-member", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from .gkm_scoring import serial_here

        try:
            serial_here()  # one core for this thread; the networks' kernels keep the lock (kernel_lock)
            self._result = _fit_parts(*self._inputs)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread by member()
            self._error = exc

    def member(self, network_valid: np.ndarray) -> tuple[GkmMember, dict]:
        """The member for a network whose first member scores ``network_valid`` on the validation
        split (and never trained on it), and what was measured: ``weight_auroc`` (AUROC per weight in
        ``WEIGHTS``), ``fitted``, ``gkm_fit_seconds`` (the fits' own time) and ``gkm_wait_seconds``
        (how long training waited for them)."""
        started = time.perf_counter()
        self._thread.join()
        waited = time.perf_counter() - started
        if self._error is not None:
            raise self._error
        probe_valid, kept, reference, seconds = self._result
        weight, aurocs = choose_weight(self._valid_labels, network_valid, probe_valid)
        member = GkmMember(kept.model, weight, float(reference.mean()), float(reference.std() + 1e-12), kept.fitted)
        member._score = kept  # its tables are folded already
        return member, {"weight_auroc": [round(a, 6) for a in aurocs], "fitted": kept.fitted,
                        "gkm_fit_seconds": round(seconds, 1), "gkm_wait_seconds": round(waited, 1)}


def _onehot(split) -> np.ndarray:
    """A split's sequences ``(n, 4, L)`` float32 (gkm-SVM's input)."""
    return split.x.asnumpy()[:, :, 0, :]


def _fit_parts(train_x, train_y, valid_x, valid_y, seed: int):
    """``(probe's validation scores, kept scorer, kept's validation scores, seconds)``: gkm-SVM fitted
    on the training split (the probe, which chooses the weight), and again on training + validation
    where that adds sequences to its sample; else the cap of 5,000 positives binds and the probe is kept."""
    from .baselines import fit_gkmsvm

    started = time.perf_counter()
    context = {"options": OPTIONS, "progress": False}
    probe = fit_gkmsvm(train_x, train_y, np.random.default_rng(seed), context)
    on_valid = probe(valid_x)
    kept, reference = probe, on_valid
    both_y = np.concatenate([train_y, valid_y])
    if fitted_count(both_y) > probe.fitted:
        kept = fit_gkmsvm(np.concatenate([train_x, valid_x]), both_y, np.random.default_rng(seed), context)
        reference = kept(valid_x)
    return on_valid, kept, reference, time.perf_counter() - started
