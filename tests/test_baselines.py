"""The baseline plugins (gkm-SVM, k-mer logistic regression, PWM scanner) through the shared runner."""

from __future__ import annotations

import json
from math import comb

import numpy as np
import pytest

from bindreg.train.baselines import best_match_scores, kmer_counts, tf_from_dataset_name
from bindreg.core.errors import BindregError
from bindreg.host.plugins import get_registry
from bindreg.experiment.runs import run
from bindreg.core.sequences import one_hot
from bindreg.train.training import BUDGETS
from conftest import bindreg_cli


def test_baselines_register_through_the_hook():
    registry = get_registry()
    assert {"gkmsvm", "kmer_lr", "pwm"} <= set(registry.baselines.names())
    assert registry.baselines.plugin_of("pwm").startswith("baselines (bindreg ")
    assert not set(registry.baselines.names()) & set(registry.architectures.names())


def test_kmer_counts_and_pwm_best_match_are_exact():
    x = one_hot(["ACGTACGT", "AAAAAAAA"])
    counts = kmer_counts(x, 2)
    assert counts.shape == (2, 16) and counts[1, 0] == 7 and counts[0, 1] == 2  # AA x7; AC twice
    log_odds = np.full((4, 3), -1.0, np.float32)
    log_odds[[0, 1, 2], [0, 1, 2]] = 2.0  # best match ACG: 6
    scores = best_match_scores(one_hot(["TTACGTT", "TTCGTTT", "TTTTTTT"]), log_odds)
    assert scores[0] == 6.0 and scores[1] == 6.0 and scores[2] == 0.0  # CGT: ACG reversed; TTT: AAA (2-1-1)


def test_tf_from_dataset_name():
    assert tf_from_dataset_name("ARID3A_K562_ARID3A_(sc-8821)_Stanford")[0] == "ARID3A"
    assert "STAT3" in tf_from_dataset_name("zeng_md_stat3_helas3")


@pytest.mark.slow
@pytest.mark.parametrize("model, options", [("kmer_lr", None), ("pwm", {"tf": "CTCF"}),
                                            ("gkmsvm", {"max_positives": 150}),
                                            ("gkmsvm", {"max_positives": 150, "solver": "nystrom",
                                                        "n_components": 100})])
def test_baseline_run_directory_has_the_run_shape(tmp_path, zeng_files, model, options):
    summary = run(model, "discovery", str(zeng_files), BUDGETS["smoke"], out=tmp_path / model, options=options)
    metrics = json.loads((tmp_path / model / "metrics.json").read_text())
    assert metrics["test"]["auroc"] > 0.5 and metrics["kind"] == "baseline"
    assert metrics["seconds_per_500k_samples"] > 0 and summary.metrics == metrics
    for name in ("run.json", "test_predictions.csv", "roc.csv", "pr.csv", "card.md"):
        assert (tmp_path / model / name).exists()
    if model == "gkmsvm":  # what was fitted, not what was offered (the paper's cap samples)
        assert metrics["train_size"] == 300 and metrics["offered_size"] == 1200 and metrics["protocol"]["reduced"]


def test_gkmsvm_unknown_solver_is_one_line(tmp_path, zeng_files):
    with pytest.raises(BindregError, match="solver=exact .* or solver=nystrom"):
        run("gkmsvm", "discovery", str(zeng_files), BUDGETS["smoke"], out=tmp_path / "g",
            options={"max_positives": 50, "solver": "smo"})


def test_pwm_without_a_motif_name_is_one_line(tmp_path, zeng_files):
    unnamed = zeng_files.rename(zeng_files.with_name("qqq_zzz"))  # ("toy" is a fly TF in JASPAR)
    with pytest.raises(BindregError, match="--option tf=NAME"):
        run("pwm", "discovery", str(unnamed), BUDGETS["smoke"], out=tmp_path / "pwm")


@pytest.mark.slow
def test_cli_runs_a_baseline_and_lists_it(tmp_path, zeng_files):
    out = bindreg_cli("run", "--model", "kmer_lr", "--data", str(zeng_files), "--out", str(tmp_path / "k"),
                      "--quiet").stdout
    assert "kmer_lr on toy_experiment" in out and "test AUROC" in out
    assert "baseline" in bindreg_cli("models").stdout


@pytest.mark.parametrize("kernel_type", ["estimated", "direct"])
def test_folded_gkm_scores_equal_gkmsvm_lite(kernel_type):
    """bindreg scores gkm-SVM through tables over gapped k-mers (bindreg.score.gkm_scoring): the
    decision values gkmsvm-lite computes against every support vector, N counted as A as there."""
    from gkmsvm import train_gkmsvm

    from bindreg.score.gkm_scoring import decomposition, fast_scorer
    from conftest import random_sequences

    positives = one_hot(random_sequences(120, seed=1, motif="CCGCGTGACGTCACGCGG")).astype(np.float32)
    negatives = one_hot(random_sequences(120, seed=2)).astype(np.float32)
    model = train_gkmsvm(positives, negatives, kernel_type=kernel_type, verbose=False)
    test = random_sequences(60, seed=3, motif="TGACGTCA") + random_sequences(60, seed=4)
    test[5] = test[5][:40] + "N" * 10 + test[5][50:]
    x = one_hot(test).astype(np.float32)
    expected = np.asarray(model(x), np.float64).reshape(-1)
    got = fast_scorer(model)(x)
    assert np.abs(got - expected).max() < 1e-5 * np.abs(expected).max()
    # The kernel's table is the combination it claims: h(m) = sum_j a_j C(l - m, j).
    js, a = decomposition(model.kernel._mismatch_table, 11)
    rebuilt = [sum(w * comb(11 - m, j) for j, w in zip(js, a)) for m in range(12)]
    assert np.allclose(rebuilt, model.kernel._mismatch_table, rtol=1e-9, atol=1e-15)


def test_nystrom_fit_through_tables_equals_gkmsvm_lite():
    """bindreg's Nystrom fit (the kernel against the landmarks through gapped k-mer tables) is
    gkmsvm-lite's: the same kernel values to float32 rounding, the same support vectors and scores, also
    where the classes differ in size (STAT3 GM12878's file holds fewer negatives than positives)."""
    from gkmsvm import train_gkmsvm
    from gkmsvm.gram import compute_gram
    from gkmsvm.train import _build_kernel

    from bindreg.score.gkm_scoring import fit_nystrom, kernel_against
    from conftest import random_sequences

    positives = one_hot(random_sequences(150, seed=1, motif="CCGCGTGACGTCACGCGG")).astype(np.float32)
    negatives = one_hot(random_sequences(140, seed=2)).astype(np.float32)
    positives[3, :, 40:50] = 0  # a run of N
    x = np.concatenate([positives, negatives])
    for kernel_type in ("estimated", "direct"):
        kernel = _build_kernel(kernel_type, 11, 7, 3, 1.0, None, None, True)[0]
        assert np.abs(kernel_against(kernel, x, x[::7]) - compute_gram(kernel, x, x[::7])).max() < 1e-6
    theirs = train_gkmsvm(positives, negatives, solver="nystrom", n_components=60)
    ours = fit_nystrom(positives, negatives, 60)
    test = one_hot(random_sequences(40, seed=3, motif="TGACGTCA") + random_sequences(40, seed=4)).astype(np.float32)
    assert ours.num_support_vectors == theirs.num_support_vectors
    assert np.allclose(np.asarray(ours(test)), np.asarray(theirs(test)), atol=1e-5)


def test_dual_coordinate_descent_is_the_svm_that_svc_fits():
    """Without the Gram matrix, the same SVM: decision values of the dual coordinate descent on the
    features equal SVC's on their Gram matrix (the bias is a feature there, so not to the digit)."""
    from sklearn.svm import SVC

    from bindreg.score.gkm_scoring import dual_coordinate_descent

    rng = np.random.default_rng(0)
    features = rng.normal(size=(400, 12))
    y = np.where(features[:, 0] + 0.5 * features[:, 1] + rng.normal(scale=0.8, size=400) > 0, 1.0, -1.0)
    alpha, bias = dual_coordinate_descent(features, y, np.ones(400), epochs=2000, tolerance=1e-6)
    svc = SVC(C=1.0, kernel="precomputed").fit(features @ features.T, y)
    held_out = rng.normal(size=(100, 12))
    ours = held_out @ (features.T @ (alpha * y)) + bias
    theirs = svc.decision_function(held_out @ features.T)
    assert np.corrcoef(ours, theirs)[0, 1] > 0.999 and np.all((alpha >= 0) & (alpha <= 1))


def test_gkmsvm_extra_negatives_are_shuffles_of_the_sampled_positives(capsys):
    """``negatives=3``: each sampled positive brings 3 negatives, 2 of them new shuffles of it; the fit
    records all it fitted."""
    from bindreg.train.baselines import fit_gkmsvm
    from conftest import random_sequences

    x = one_hot(random_sequences(60, seed=1, motif="CCGCGTGACGTCACGCGG") + random_sequences(60, seed=2))
    labels = np.repeat([1, 0], 60)
    context = {"options": {"solver": "nystrom", "n_components": 40, "max_positives": 50, "negatives": 3}}
    scorer = fit_gkmsvm(x, labels, np.random.default_rng(0), context)
    assert scorer.fitted == 200 and scorer.positives == 50
    assert "and 100 shuffles of those positives" in capsys.readouterr().err
    test = one_hot(random_sequences(30, seed=3, motif="CCGCGTGACGTCACGCGG") + random_sequences(30, seed=4))
    scores = scorer(test.astype(np.float32))
    assert scores[:30].mean() > scores[30:].mean()


@pytest.mark.parametrize("value, solver, message", [("two", "nystrom", "a whole number of negatives"),
                                                    ("0", "nystrom", "a whole number of negatives"),
                                                    ("3", "exact", "needs solver=nystrom")])
def test_gkmsvm_bad_negatives_are_one_line(value, solver, message):
    from bindreg.train.baselines import fit_gkmsvm

    x, labels = np.zeros((4, 4, 20), np.uint8), np.array([1, 1, 0, 0])
    with pytest.raises(BindregError, match=message):
        fit_gkmsvm(x, labels, np.random.default_rng(0), {"options": {"solver": solver, "negatives": value}})
