"""A gkm-SVM member beside an exported network (``Recipe.gkm_member``): its saved form and its term.

Why: a gapped k-mer SVM and a convolutional network err on different sequences. On the
validation splits (docs/recommended.md, sixth round) adding gkm-SVM to bindnet's two networks
raised AUROC on 10-11 of 12 experiments, most where the two were level. The member cannot live
in the exported MXNet graph (its folded gapped k-mer tables hold 41 M entries), so it is saved
as an ``npz`` of gkmsvm-lite's fields (support sequences, coefficients, bias, kernel) plus
``gkm-member.json`` (how it is combined), and every scoring path adds its term to the network's
logits (``add_to_logits``):

    logit(x) = (1 - w) * mean_k z_k(s_k(x))  +  w * z_g(gkm(x))       P(bound) = sigmoid(logit)

``s_k`` is network k's log-odds of bound (``Recipe.member_scale="log_odds"``, ``bindnet_gkm``) or
its P(bound) (``"probability"``, the first ``bindnet_gkm`` runs).

``z`` standardises a member's score by its mean and standard deviation on the validation split;
the first part is the exported network (``bindreg.train.recipe.StandardisedEnsemble``), the
second this member (fitted by ``bindreg.train.gkm_member``). ``w`` is chosen on the validation
split from the first network and a gkm-SVM fitted on the training split alone (neither has seen
it); the kept gkm-SVM is then fitted on training + validation, as the refitted network is, where
that adds sequences to its sample (below 5,000 positives in training; above, the paper's cap
binds and the first fit is kept). The combined score ranks sequences; it is not a calibrated
probability. gkmsvm-lite rebuilds the member from the npz (``load_member`` shows how).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.errors import BindregError

#: The saved member (gkmsvm-lite's fields, support sequences as base codes) and its combination.
MODEL_FILE = "gkm-member.npz"
COMBINATION_FILE = "gkm-member.json"


def standardise(score: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``score`` in units of ``reference``'s standard deviation from its mean."""
    return (score - reference.mean()) / (reference.std() + 1e-12)


@dataclass
class GkmMember:
    """A fitted ``gkmsvm.GkmSVM`` and how it joins the network: ``weight * (score - mean) / std``."""

    model: object
    weight: float
    mean: float
    std: float
    fitted: int = 0
    #: ``onehot -> decision values``; built from ``model`` on first use unless the fit passes its own.
    scorer: Callable | None = field(default=None, repr=False, compare=False)

    def decision(self, onehot: np.ndarray) -> np.ndarray:
        """gkm-SVM's decision values ``(n,)`` float64 for ``onehot: (n, 4, L)``."""
        if self.scorer is None:
            from .gkm_scoring import fast_scorer

            fast = fast_scorer(self.model)
            self.scorer = fast if fast is not None else \
                (lambda x: np.asarray(self.model(x.astype(np.float32)), np.float64).reshape(-1))
        return self.scorer(np.ascontiguousarray(onehot, dtype=np.float32))

    def logit(self, onehot: np.ndarray) -> np.ndarray:
        """This member's term of the bound logit ``(n,)`` for ``onehot: (n, 4, L)``."""
        return self.term(self.decision(onehot))

    def term(self, decision: np.ndarray) -> np.ndarray:
        """This member's term of the bound logit ``(n,)`` from its decision values ``(n,)``."""
        return self.weight * (decision - self.mean) / self.std

    def add_to_logits(self, logits: np.ndarray, x: np.ndarray, decision: np.ndarray | None = None) -> np.ndarray:
        """``logits: (n, 2)`` of the network for ``x: (n, 4, 1, L)`` or ``(n, 4, L)``, with this
        member's term added to the bound column (``softmax`` then gives ``sigmoid(logit)``);
        ``decision``: the member's decision values for ``x``, where already computed."""
        logits = np.array(logits, dtype=np.float32)
        if decision is None:
            decision = self.decision(x[:, :, 0, :] if x.ndim == 4 else x)
        logits[:, 1] += self.term(decision).astype(np.float32)
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
            "about": "gkm-SVM member: logit += weight * (decision - mean) / std (bindreg.score.gkm_member)",
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
