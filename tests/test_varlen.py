"""Sequences of any length: padded, bucketed batches score as the fixed-length path does."""

from __future__ import annotations

import json

import mxnet as mx
import numpy as np
import pytest
from mxnet import nd

from bindreg.train.attention import ConvTransformerNet
from bindreg.core.errors import BindregError
from bindreg.train.nets import BothStrandsConvNet, ConvNet, DeepBindNet
from bindreg.score.predict import load_scorer, score, score_sequences
from bindreg.score.whole import VARLEN_SYMBOL, LengthAwareScorer, padded_batches
from bindreg.train.tracing import export_length_aware

from conftest import random_sequences

LENGTH = 101
NETWORKS = {
    "1layer": lambda: ConvNet(),
    "2layer": lambda: ConvNet(filters=(16, 32), widths=(24, 5)),
    "deepbind": lambda: DeepBindNet(),
    "1layer_rc": lambda: BothStrandsConvNet(),
    "cnn_transformer": lambda: ConvTransformerNet(),
}


def exported(net, directory, both_strands: bool = False):
    """A run-like directory holding ``net`` (random weights) as ``bindreg run`` exports it."""
    mx.random.seed(3)
    net.initialize(mx.init.Xavier())
    net.hybridize(static_alloc=True, static_shape=True)
    net(nd.zeros((1, 4, 1, LENGTH)))
    directory.mkdir(parents=True)
    net.export(str(directory / "model"))
    export_length_aware(net, directory, LENGTH)
    (directory / "run.json").write_text(json.dumps({"sequence_length": LENGTH, "model": type(net).__name__}))
    (directory / "metrics.json").write_text(json.dumps({"protocol": {"both_strands": both_strands}}))
    return directory


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_padded_prediction_equals_fixed_length_prediction(tmp_path, name):
    """The must-show: sequences of the model's length score alike padded among longer and shorter
    ones (several buckets) and alone on the fixed-length graph, to 1e-5."""
    directory = exported(NETWORKS[name](), tmp_path / name)
    equal = random_sequences(12, LENGTH, seed=1)
    others = random_sequences(3, 317, seed=2) + random_sequences(3, 160, seed=3) + ["ACGT" * 10]
    mixed = [s for pair in zip(equal, others + others[:5]) for s in pair]
    whole = LengthAwareScorer(directory).probabilities(mixed)
    fixed = score(load_scorer(directory, "mxnet"), equal)
    np.testing.assert_allclose(whole[::2], fixed, atol=1e-5, rtol=0)
    assert not np.allclose(fixed, fixed[0])  # the weights tell sequences apart: the check means something


def test_long_sequence_is_scored_whole_not_by_windows(tmp_path):
    """A 400 bp peak is one forward pass; its max over positions sees every window of the network."""
    directory = exported(ConvNet(), tmp_path / "run")
    long = random_sequences(1, 400, seed=4)[0]
    scores, mode = score_sequences(directory, [long], mode="whole")
    assert mode == "whole" and scores.shape == (1,)
    # The same peak alone in its batch, and padded beside a longer one, scores the same.
    padded, _ = score_sequences(directory, [long, long + "ACGT" * 50], mode="whole")
    assert padded[0] == pytest.approx(scores[0], abs=1e-6)


def test_short_sequences_are_centred_in_n_like_the_fixed_path(tmp_path):
    directory = exported(DeepBindNet(), tmp_path / "run")
    short = random_sequences(2, 60, seed=5)
    whole, _ = score_sequences(directory, short, mode="whole")
    windows, _ = score_sequences(directory, short, mode="windows")
    np.testing.assert_allclose(whole, windows, atol=1e-5)


def test_both_strand_network_scores_a_sequence_and_its_reverse_complement_alike(tmp_path):
    from bindreg.core.sequences import reverse_complement

    directory = exported(BothStrandsConvNet(), tmp_path / "run")
    sequences = random_sequences(4, 150, seed=6)
    forward, _ = score_sequences(directory, sequences, mode="whole")
    reverse, _ = score_sequences(directory, [reverse_complement(s) for s in sequences], mode="whole")
    np.testing.assert_allclose(forward, reverse, atol=1e-6)


def test_local_pooling_network_has_no_length_aware_graph(tmp_path):
    directory = exported(ConvNet(top_pool=3), tmp_path / "run")
    assert not (directory / VARLEN_SYMBOL).exists()
    assert score_sequences(directory, random_sequences(1, 300))[1] == "windows"
    with pytest.raises(BindregError, match=r"local pooling at the top needs the length it was trained on.*"
                                           r"--mode windows"):
        score_sequences(directory, random_sequences(1, 300), mode="whole")


def test_batches_bucket_by_length_and_cover_every_sequence_once():
    sequences = ["A" * n for n in (101, 900, 101, 250, 101, 120)]
    seen = []
    for rows, x, lengths in padded_batches(sequences, bases_per_batch=1000):
        assert x.shape[0] * x.shape[3] <= 2000 and x.shape[1:3] == (4, 1)  # ratio=1 doubles short buckets at most
        assert lengths.tolist() == [len(sequences[r]) for r in rows]
        seen.extend(rows.tolist())
    assert sorted(seen) == list(range(len(sequences)))


@pytest.mark.parametrize("name", ["deepbind", "cnn_transformer"])
def test_padding_gets_no_gradient_when_training_with_lengths(name):
    """Training on padded batches: the loss does not depend on what lies past a sequence's end."""
    from mxnet import autograd

    net = NETWORKS[name]()
    net.initialize(mx.init.Xavier())
    net.hybridize(static_alloc=True)
    x = nd.array(np.eye(4, dtype=np.float32)[np.random.default_rng(0).integers(0, 4, (4, 150))]
                 .transpose(0, 2, 1)[:, :, None, :])
    x.attach_grad()
    lengths = nd.array([150, 101, 120, 101])
    with autograd.record():
        loss = mx.gluon.loss.SoftmaxCrossEntropyLoss()(net(x, lengths), nd.array([1, 0, 1, 0]))
    loss.backward()
    gradient = np.abs(x.grad.asnumpy()[:, :, 0, :]).sum(axis=1)  # (4, 150)
    assert gradient[1, 101:].max() == 0 and gradient[2, 120:].max() == 0
    assert gradient[1, :101].max() > 0


def test_auto_is_the_mode_the_model_was_tested_in_whatever_the_engine(tmp_path):
    """One meaning per mode: auto is windows for a run trained on one length, whole for an --any-length
    run, and never depends on the engine (onnxruntime refuses whole in one line instead)."""
    from bindreg.score.predict import choose_mode

    directory = exported(ConvNet(), tmp_path / "run")
    assert choose_mode(directory, "mxnet", "auto") == choose_mode(directory, "onnxruntime", "auto") == "windows"
    run = json.loads((directory / "run.json").read_text())
    (directory / "run.json").write_text(json.dumps({**run, "any_length": True}))
    assert choose_mode(directory, "mxnet", "auto") == "whole"
    with pytest.raises(BindregError, match=r"trained on whole sequences.*--mode whole needs --engine mxnet"):
        choose_mode(directory, "onnxruntime", "auto")
