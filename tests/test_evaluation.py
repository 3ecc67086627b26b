"""The metrics every run reports: AUROC, AUPRC, accuracy at 0.5, cross-entropy; curve points."""

from __future__ import annotations

import numpy as np

from bindreg.train.evaluation import binary_metrics, curves


def test_perfect_and_inverted_scores():
    labels = np.array([0, 0, 1, 1])
    perfect = binary_metrics(labels, np.array([0.1, 0.2, 0.8, 0.9]))
    assert perfect["auroc"] == 1.0 and perfect["auprc"] == 1.0 and perfect["accuracy"] == 1.0
    assert np.isclose(perfect["loss"], -np.mean(np.log([0.9, 0.8, 0.8, 0.9])))
    assert binary_metrics(labels, np.array([0.9, 0.8, 0.2, 0.1]))["auroc"] == 0.0


def test_curves_run_from_corner_to_corner():
    points = curves(np.array([0, 1, 0, 1]), np.array([0.3, 0.7, 0.6, 0.4]))
    assert points["roc"]["fpr"][0] == 0 and points["roc"]["tpr"][-1] == 1
    assert points["pr"]["recall"][0] == 1 and points["pr"]["recall"][-1] == 0
