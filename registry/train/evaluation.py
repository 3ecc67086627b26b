"""Scores and the binary-classification metrics the paper and the field report."""

from __future__ import annotations

import numpy as np
from mxnet import nd
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve


def predict_proba(net, x: nd.NDArray, batch_size: int = 1000) -> np.ndarray:
    """P(bound) for each sequence of ``x: shape=(n, 4, 1, L)``; dropout is off outside training."""
    return predict_proba_nd(net, x, batch_size).asnumpy().astype(np.float64)


def predict_proba_nd(net, x: nd.NDArray, batch_size: int = 1000) -> nd.NDArray:
    """``predict_proba`` left on the device as float32, so callers can queue more work behind it."""
    return nd.concat(*[nd.softmax(net(x[start:start + batch_size]), axis=1)[:, 1]
                       for start in range(0, x.shape[0], batch_size)], dim=0)


def predict_log_odds(net, x: nd.NDArray, batch_size: int = 1000) -> np.ndarray:
    """log(P(bound) / P(unbound)) for each sequence of ``x: shape=(n, 4, 1, L)``: the difference of
    the two logits, which keeps its order where P(bound) rounds to 0 or 1 in float32."""
    return nd.concat(*[(lambda out: out[:, 1] - out[:, 0])(net(x[start:start + batch_size]))
                       for start in range(0, x.shape[0], batch_size)], dim=0).asnumpy().astype(np.float64)


def binary_metrics(labels: np.ndarray, scores: np.ndarray) -> dict:
    """AUROC, AUPRC, accuracy at 0.5 and mean cross-entropy (nats)."""
    labels = np.asarray(labels).astype(int)
    clipped = np.clip(scores, 1e-7, 1 - 1e-7)
    loss = -np.mean(labels * np.log(clipped) + (1 - labels) * np.log(1 - clipped))
    return {
        "auroc": float(roc_auc_score(labels, scores)),
        "auprc": float(average_precision_score(labels, scores)),
        "accuracy": float(np.mean((scores >= 0.5) == labels)),
        "loss": float(loss),
    }


def curves(labels: np.ndarray, scores: np.ndarray) -> dict:
    """ROC and precision-recall curve points, for plots and files."""
    fpr, tpr, _ = roc_curve(labels, scores)
    precision, recall, _ = precision_recall_curve(labels, scores)
    return {"roc": {"fpr": fpr, "tpr": tpr}, "pr": {"recall": recall, "precision": precision}}
