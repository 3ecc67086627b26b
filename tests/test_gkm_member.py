"""gkm-SVM as a member beside a network (bindreg.train.gkm_member, bindreg.score.gkm_member): its
weight, its saved form and the scoring paths that add it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bindreg.core.errors import BindregError
from bindreg.core.sequences import one_hot
from bindreg.score.gkm_member import COMBINATION_FILE, MODEL_FILE, GkmMember, load_member, with_member
from bindreg.train.gkm_member import WEIGHTS, choose_weight
from conftest import random_sequences


@pytest.fixture(scope="module")
def member():
    from bindreg.score.gkm_scoring import fit_nystrom

    positives = one_hot(random_sequences(80, seed=1, motif="CCGCGTGACGTCACGCGG")).astype(np.float32)
    negatives = one_hot(random_sequences(80, seed=2)).astype(np.float32)
    positives[4, :, 30:45] = 0  # a run of N in a support sequence
    return GkmMember(fit_nystrom(positives, negatives, 40), weight=0.3, mean=0.1, std=2.0, fitted=160)


def test_weight_is_chosen_by_validation_auroc_and_ties_go_to_the_network():
    labels = np.array([1, 1, 0, 0, 1, 0])
    network = np.array([0.9, 0.2, 0.8, 0.1, 0.7, 0.3])  # misorders two pairs
    gkm = np.array([2.0, 1.5, -1.0, -2.0, 1.0, -0.5])    # orders every pair
    weight, aurocs = choose_weight(labels, network, gkm)
    assert len(aurocs) == len(WEIGHTS) and aurocs[-1] == 1.0 and weight == WEIGHTS[int(np.argmax(aurocs))]
    assert choose_weight(labels, gkm, gkm)[0] == 0.0  # level everywhere: the smallest weight


def test_saved_member_scores_as_fitted_and_is_small(member, tmp_path):
    test = random_sequences(30, seed=3, motif="TGACGTCA") + random_sequences(30, seed=4)
    test[2] = test[2][:20] + "N" * 8 + test[2][28:]
    x = one_hot(test).astype(np.float32)
    member.save(tmp_path)
    loaded = load_member(tmp_path)
    assert np.allclose(loaded.logit(x), member.logit(x), atol=1e-9)
    assert np.allclose(member.logit(x), 0.3 * (np.asarray(member.model(x)).reshape(-1) - 0.1) / 2.0, atol=1e-5)
    assert json.loads((tmp_path / COMBINATION_FILE).read_text())["weight"] == 0.3
    # Base codes, compressed: a fraction of the one-hot float32 support sequences.
    assert (tmp_path / MODEL_FILE).stat().st_size < np.asarray(member.model.support_sequences).nbytes / 8
    assert load_member(tmp_path / "nothing-here") is None


def test_every_engine_forward_gets_the_member_term_even_when_it_pads_its_batch(member, tmp_path):
    member.save(tmp_path)
    x = one_hot(random_sequences(5, seed=5)).astype(np.float32)[:, :, None, :]
    padded = with_member(tmp_path, lambda chunk: np.zeros((64, 2), np.float32))  # a fixed-batch ONNX graph
    logits = padded(x)
    assert logits.shape == (5, 2) and np.allclose(logits[:, 1], member.logit(x[:, :, 0, :]), atol=1e-6)
    assert with_member(tmp_path / "plain", len) is len  # no member: the engine's own forward


def test_a_damaged_member_is_one_line_naming_the_folder(member, tmp_path):
    member.save(tmp_path)
    (tmp_path / MODEL_FILE).write_bytes(b"not an npz")
    with pytest.raises(BindregError, match=f"{tmp_path}: {MODEL_FILE} or {COMBINATION_FILE} cannot be read"):
        load_member(tmp_path)


def test_whole_sequence_mode_refuses_a_model_with_a_member(member, tmp_path):
    from bindreg.score.predict import choose_mode

    member.save(tmp_path)
    (tmp_path / "bundle.json").write_text(json.dumps({"input_length": 101, "trained_any_length": False}))
    assert choose_mode(tmp_path, "mxnet", "auto") == "windows"
    with pytest.raises(BindregError, match="gkm-SVM member.*--mode windows"):
        choose_mode(tmp_path, "mxnet", "whole")


def test_a_fitting_thread_computes_the_same_kernel_serially(member):
    """MemberFit's thread launches no parallel numba kernel (two threads doing so abort the process
    under numba's workqueue layer); its serial kernel and diagonals give the same values."""
    import threading

    from numba.core.caching import NullCache

    from bindreg.score.gkm_scoring import (_against, _against_serial, _diagonal, _serial_diagonal_kernels,
                                           kernel_against, serial_here)

    kernel = member.model.kernel
    x = one_hot(random_sequences(30, seed=6) + random_sequences(10, seed=7, motif="TGACGTCA")).astype(np.float32)
    x[0, :, 10:20] = 0
    here = kernel_against(kernel, x, x[::4]), _diagonal(kernel, x)
    there = {}

    def fit_beside():
        serial_here()
        there["values"] = kernel_against(kernel, x, x[::4]), _diagonal(kernel, x)

    thread = threading.Thread(target=fit_beside)
    thread.start()
    thread.join()
    assert np.array_equal(there["values"][0], here[0])
    assert np.allclose(there["values"][1], here[1], rtol=1e-6) and np.allclose(here[1], kernel._raw_diagonal(x))
    # Cached, but each under a name of its own: numba's cache key ignores `parallel`, so a serial kernel
    # sharing the parallel one's entry could load the parallel kernel.
    from gkmsvm.kernels import direct

    def cache_file(dispatcher):
        return None if isinstance(dispatcher._cache, NullCache) else dispatcher._cache._cache_file._index_path

    parallel = (_against, direct._fused_diagonal_packed_numba, direct._fused_cross_diagonal_packed_numba)
    for serial, twin in zip((_against_serial, *_serial_diagonal_kernels()), parallel):
        assert not serial.targetoptions.get("parallel") and cache_file(serial) not in (None, cache_file(twin))


@pytest.mark.parametrize("cap, refit_below, negatives, kept_fitted",
                         [(40, 5_000, 1, 80), (100, 5_000, 1, 160), (100, 60, 1, 120), (100, 5_000, 3, 320)])
def test_the_member_fits_at_most_its_cap_and_refits_on_validation_only_when_that_adds_positives(cap, refit_below,
                                                                                                negatives, kept_fitted):
    """``Recipe.gkm_max_positives``: the probe fits at most ``cap`` positives of the training split; the
    kept member is fitted again on training + validation only where that adds positives and the
    probe's fit was a small one (fewer than ``refit_below`` positives). ``Recipe.gkm_negatives``: each
    positive brings that many negatives (the extra ones shuffles of it)."""
    from bindreg.train.gkm_member import _fit_parts

    def split(n, seed):
        sequences = random_sequences(n, seed=seed, motif="CCGCGTGACGTCACGCGG") + random_sequences(n, seed=seed + 1)
        return one_hot(sequences).astype(np.float32), np.repeat([1, 0], n)

    (train_x, train_y), (valid_x, valid_y) = split(60, 11), split(20, 13)
    probe_valid, kept, reference, _ = _fit_parts(train_x, train_y, valid_x, valid_y, 0, 20, cap, negatives,
                                                 small_landmarks=30, refit_below=refit_below)
    assert kept.fitted == kept_fitted
    assert probe_valid.shape == reference.shape == (40,)
    # Recipe.gkm_small_landmarks: more landmarks only where the probe's sample is a small one
    assert kept.landmarks == (30 if min(cap, 60) < refit_below else 20)


def test_the_refit_reuses_the_first_fits_landmarks_rows_and_shuffles():
    """``gkm_scoring.NystromReuse``: the first fit given it is the fit without it; a second fit on more
    sequences computes only the new sequences' kernel rows (the others are the ones it would compute)
    and gives a positive it has seen the same shuffles."""
    from gkmsvm.train import _build_kernel

    from bindreg.score.gkm_scoring import NystromReuse, kernel_against
    from bindreg.train.baselines import fit_gkmsvm

    x = one_hot(random_sequences(40, seed=5, motif="CCGCGTGACGTCACGCGG") + random_sequences(40, seed=6))
    x, y = x.astype(np.float32), np.repeat([1, 0], 40)
    first, more = np.r_[0:30, 40:70], np.r_[0:40, 40:80]
    options = {"solver": "nystrom", "n_components": 20, "negatives": 3}
    reuse = NystromReuse()
    alone = fit_gkmsvm(x[first], y[first], np.random.default_rng(0), {"options": options, "progress": False})
    shared = fit_gkmsvm(x[first], y[first], np.random.default_rng(0), {"options": options, "progress": False,
                                                                       "reuse": reuse})
    assert np.array_equal(alone(x), shared(x)) and reuse.computed == 120  # 30 + 30 + 2 x 30 shuffles
    seen = reuse.shuffles(x[:30].astype(np.uint8), 2, lambda some: 1 / 0)  # all seen: nothing new is made
    again = fit_gkmsvm(x[more], y[more], np.random.default_rng(0), {"options": options, "progress": False,
                                                                   "reuse": reuse})
    assert again.fitted == 160 and reuse.computed == 160  # 40 more: the 10 new positives, 10 negatives, 20 shuffles
    assert np.array_equal(reuse.shuffles(x[:30].astype(np.uint8), 2, lambda some: 1 / 0)[1], seen[1])
    kernel = _build_kernel("estimated", 11, 7, 3, 1.0, None, None, True)[0]
    assert np.array_equal(reuse.rows(kernel, x), kernel_against(kernel, x, reuse.landmarks))
