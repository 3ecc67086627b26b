"""The recommended model: its fused strands kernel equals MXNet's ops, its recipe trains, chooses on
validation only, exports, and is what `bindreg run` trains without --model."""

from __future__ import annotations

import json

import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd, gluon, nd

from bindreg.experiment.compare import plan
from bindreg.train.export import export_onnx
from bindreg.host.plugins import get_registry
from bindreg.host.catalog import Recipe
from bindreg.data.negatives import fresh_negatives
from bindreg.train.recipe import (StandardisedEnsemble, _WeightAverage, _epochs, learning_schedule, member_scores,
                                  refit_recipe_setting, shifted)
from bindreg.train.splits import Split
from bindreg.train.training import Checkpoint, SettingResult
from bindreg.train.strandnet import StrandNet
from bindreg.train.training import BUDGETS

from conftest import bindreg_cli


def _one_hot(count: int, length: int = 101, seed: int = 0, with_n: bool = True) -> nd.NDArray:
    codes = np.random.default_rng(seed).integers(0, 5 if with_n else 4, size=(count, length))
    x = np.zeros((count, 4, 1, length), np.float32)
    for base in range(4):
        x[:, base, 0, :] = codes == base
    return nd.array(x)


@pytest.mark.parametrize("strands, length", [(2, 101), (1, 101), (2, 300)])
def test_fused_kernel_equals_mxnet_convolution_values_and_gradients(strands, length):
    """Max and mean over both strands (N columns included): outputs and every gradient to 1e-4 relative.
    At 300 bp the backward's window counts exceed a byte (2 x 286 windows) and take 16 bits."""
    x, y = _one_hot(48, length), nd.array(np.random.default_rng(1).integers(0, 2, 48))
    weight = nd.array(np.random.default_rng(2).standard_normal((24, 4, 1, 15)).astype(np.float32) * 0.3)
    results, dense = [], {}
    for fused in (False, True):
        net = StrandNet(filters=24, width=15, dropout=0.0, fused=fused, strands=strands, prefix="s_")
        net.initialize(mx.init.Xavier())
        net(x)
        net.weight.set_data(weight)
        for name, param in net.collect_params().items():
            if "dense" in name:
                param.set_data(dense.setdefault(name, param.data().copy()))
        net.hybridize()
        with autograd.record():
            out = net(x)
            loss = gluon.loss.SoftmaxCrossEntropyLoss()(out, y)
        loss.backward()
        results.append([out.asnumpy(), net.weight.grad().asnumpy(), net.bias.grad().asnumpy(),
                        net.hidden.weight.grad().asnumpy()])
    for unfused, fused in zip(*results):
        np.testing.assert_allclose(fused, unfused, rtol=1e-4, atol=1e-4 * np.abs(unfused).max())


def test_scores_are_the_same_on_both_strands():
    net = StrandNet(filters=8, width=11)
    net.initialize(mx.init.Xavier())
    x = _one_hot(10, with_n=False)
    rc = nd.flip(nd.flip(x, axis=1), axis=3)
    np.testing.assert_allclose(net(x).asnumpy(), net(rc).asnumpy(), rtol=1e-5, atol=1e-5)


def test_fresh_negatives_keep_dinucleotide_counts_and_n():
    positives = _one_hot(20, length=60).asnumpy()[:, :, 0, :].astype(np.uint8)
    shuffled = fresh_negatives(positives, np.random.default_rng(0))
    assert shuffled.shape == positives.shape and shuffled.dtype == np.uint8
    assert not np.array_equal(shuffled, positives)

    def dinucleotides(onehot):
        codes = np.where(onehot.sum(axis=1) == 0, 4, onehot.argmax(axis=1))
        return np.sort(codes[:, :-1] * 5 + codes[:, 1:], axis=1)

    np.testing.assert_array_equal(dinucleotides(shuffled), dinucleotides(positives))


def test_shifted_moves_each_row_and_fills_with_n():
    x = _one_hot(200, length=30, with_n=False).asnumpy()[:, :, 0, :].astype(np.uint8)
    moved = shifted(x, 3, np.random.default_rng(0))
    seen = set()
    for row, out in zip(x, moved):
        offset = next(o for o in range(-3, 4) if np.array_equal(np.roll(row, o, axis=1)[:, max(o, 0):30 + min(o, 0)],
                                                                out[:, max(o, 0):30 + min(o, 0)]))
        filled = out[:, :offset] if offset > 0 else out[:, 30 + offset:]
        assert not filled.any()  # N where nothing moved in
        seen.add(offset)
    assert seen == set(range(-3, 4))


def test_each_epoch_pairs_every_positive_with_that_many_new_shuffles():
    class Train:  # what _epochs reads of a training split
        x = _one_hot(30, length=40)
        labels = np.repeat([1, 0], 15)

    epochs = _epochs(Train, Recipe(negatives=2, shift=2), np.random.default_rng(0), True, mx.cpu())
    (x1, y1), (x2, y2) = next(epochs), next(epochs)
    assert x1.shape == (45, 4, 1, 40) and y1.asnumpy().sum() == 15
    assert not np.array_equal(x1.asnumpy(), x2.asnumpy())  # new shuffles (and shifts) every epoch


def test_weight_average_follows_the_weights_and_swaps_back():
    net = gluon.nn.Dense(3, in_units=2)
    net.initialize(mx.init.Constant(1.0))
    average = _WeightAverage(net, decay=0.9)
    net.weight.set_data(nd.full((3, 2), 3.0))
    average.update()  # first step: decay (1 + 1) / (10 + 1), so the average moves most of the way
    expected = 1.0 * 2 / 11 + 3.0 * 9 / 11
    average.swap()
    assert np.allclose(net.weight.data().asnumpy(), expected)
    average.swap()
    assert np.allclose(net.weight.data().asnumpy(), 3.0)  # the trained weights are back


def test_learning_schedule_replays_the_halvings_before_the_best_epoch():
    aurocs = [0.6, 0.7, 0.69, 0.68, 0.75, 0.74, 0.73, 0.72, 0.71]  # halvings after epochs 4, 7 and 9
    curve = [Checkpoint(100 * (i + 1), {"auroc": a, "loss": 0.5}) for i, a in enumerate(aurocs)]
    result = SettingResult({}, 0, curve, curve[4], None)
    assert learning_schedule(result, Recipe(decay_after=2)) == (500, [400])


def test_a_refit_member_trains_on_training_and_validation_for_the_scaled_schedule():
    x = _one_hot(500, with_n=False)
    labels = np.repeat(np.int8([1, 0]), 250)
    whole = Split(x, nd.array(labels, dtype="float32"), labels)
    splits = {"train": whole.subset(np.r_[0:200, 250:450]), "valid": whole.subset(np.r_[200:250, 450:500])}
    architecture = get_registry().architectures.get("bindnet")
    recipe = Recipe(fused=True, batch_size=50, max_minibatches=100)
    result = refit_recipe_setting(architecture, recipe, {"filters": 8, "width": 5, "hidden": 4, "dropout": 0.2},
                                  splits, (8, [4]), 0, mx.cpu(), reshuffle=True)
    assert result.minibatches == 10  # 8 minibatches scaled by 500 / 400 sequences
    assert not result.net.fused  # the exportable network


def test_registered_as_recommended_with_its_own_recipe():
    registry = get_registry()
    assert registry.recommended() == "bindnet_gkm"
    for name in ("bindnet", "bindnet_gkm"):
        architecture = registry.architectures.get(name)
        assert architecture.recipe is not None and architecture.recipe.optimizer == "adam"
        assert architecture.recipe.gkm_member == (name == "bindnet_gkm")
    assert registry.architectures.get("bindnet_gkm").recipe.member_scale == "log_odds"
    with pytest.raises(ValueError, match="member_scale='logit'.*log_odds"):
        Recipe(member_scale="logit")


@pytest.mark.parametrize("scale", ["log_odds", "probability"])
def test_standardised_ensemble_is_the_mean_of_its_networks_scores_standardised_on_validation(scale):
    nets = []
    for seed in (0, 1):
        mx.random.seed(seed)
        net = StrandNet(filters=8, width=5, hidden=4, dropout=0.0)
        net.initialize(mx.init.Xavier())
        nets.append(net)
    valid = Split(_one_hot(40, seed=1), nd.zeros(40), np.zeros(40))
    test = Split(_one_hot(7, seed=2), nd.zeros(7), np.zeros(7))
    on_valid = [member_scores(valid, net, scale) for net in nets]
    ensemble = StandardisedEnsemble(nets, [(p.mean(), p.std()) for p in on_valid], 0.7, log_odds=scale == "log_odds")
    logits = ensemble(test.x).asnumpy()
    expected = 0.7 * np.mean([(member_scores(test, net, scale) - p.mean()) / p.std() for net, p in zip(nets, on_valid)],
                             axis=0)
    assert np.allclose(logits[:, 1] - logits[:, 0], expected, atol=1e-4)
    if scale == "log_odds":  # the logits' difference: log(P / (1 - P)) without P's float32 rounding
        p = test.scores(nets[0])
        assert np.allclose(member_scores(test, nets[0], scale), np.log(p / (1 - p)), atol=1e-4)


def test_recipe_is_part_of_the_compare_key_and_paper_models_keep_theirs(zeng_files, tmp_path):
    jobs = {job.model: job.key for job in plan(["bindnet", "bindnet_gkm", "1layer"], [str(zeng_files)], "discovery",
                                                BUDGETS["smoke"], str(tmp_path), sizes=())}
    # 1layer's key is the one every earlier sweep wrote (no recipe in its settings).
    assert len(set(jobs.values())) == 3


def test_run_without_model_trains_the_recommended_model_and_exports_it(zeng_files, tmp_path):
    result = bindreg_cli("run", "--data", str(zeng_files), "--budget", "demo", "--runs", str(tmp_path), "-q")
    directory = tmp_path / "toy_experiment" / "discovery" / "bindnet_gkm-seed0"
    metrics = json.loads((directory / "metrics.json").read_text())
    assert metrics["model"] == "bindnet_gkm" and metrics["search"]["mode"] == "recipe"
    # gkm-SVM's weight was chosen on validation, and each part's test AUROC is on record.
    members = metrics["members"]
    assert 0 <= members["gkm_weight"] <= 1 and len(members["weight_auroc"]) == 11
    assert members["networks_test_auroc"] > 0.5 and members["gkm_test_auroc"] > 0.5
    assert (directory / "gkm-member.npz").exists() and (directory / "gkm-member.json").exists()
    assert metrics["test"]["auroc"] > 0.9, result.stdout  # a planted 18-mer: easy
    assert metrics["seconds_per_500k_samples"] > 0 and (directory / "model-symbol.json").exists()
    # The exported (unfused) network with its gkm-SVM member scores the test sequences as the run did, on both
    # engines.
    records = [line.split() for line in (zeng_files / "test.data").read_text().splitlines()[:20]]
    fasta = tmp_path / "test.fa"
    fasta.write_text("".join(f"{name}\n{sequence}\n" for name, sequence, _ in records))
    expected = dict(line.split(",")[0::2] for line in (directory / "test_predictions.csv").read_text().splitlines()[1:])
    export_onnx(directory / "model-symbol.json", directory / "model-0000.params", 101, directory / "model.onnx")
    for engine in ("mxnet", "onnxruntime"):
        bindreg_cli("predict", str(directory), str(fasta), "--engine", engine, "-o", str(tmp_path / f"{engine}.tsv"))
        rows = [line.split("\t") for line in (tmp_path / f"{engine}.tsv").read_text().splitlines()
                if not line.startswith(("#", "name"))]
        assert len(rows) == 20
        for name, score in rows:
            assert abs(float(score) - float(expected[name.lstrip(">")])) < 1e-4, (engine, name)

    # Its bundle carries the member: test.expect holds on both engines, and the manifest covers the member's files.
    from bindreg.hub.bundle import build_bundle, check_expectations

    bundle = build_bundle(directory, tmp_path / "bundle", "toy-bindnet-gkm")
    manifest = json.loads((bundle / "manifest.json").read_text())["files"]
    assert {"gkm-member.npz", "gkm-member.json", "model.onnx"} <= set(manifest)
    worst = check_expectations(bundle, "toy-bindnet-gkm")
    assert set(worst) == {"mxnet", "onnxruntime"} and max(worst.values()) < 1e-5


def test_fused_backward_gives_the_same_bits_on_any_number_of_threads():
    """The backward sums fixed blocks of sequences, so a sweep's one-thread workers train exactly
    what a two-thread `bindreg run` trains."""
    import numba

    from bindreg.train import onehot_strands as strands

    rng = np.random.default_rng(3)
    count, length, k, filters = 37, 101, 11, 32
    both = strands._both_strands(rng.integers(0, 5, size=(count, length)).astype(np.int8))
    w = (rng.standard_normal((k, 5, filters)) * 0.3).astype(np.float32)
    _, winner, positive = strands.pool_both_strands(both, w, np.zeros(filters, np.float32), 2)
    g = rng.standard_normal((count, 2, filters)).astype(np.float32)
    grads, before = [], numba.get_num_threads()
    try:
        for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
            numba.set_num_threads(threads)
            grads.append(strands.weight_gradient(both, g, winner, 2, positive))
    finally:
        numba.set_num_threads(before)
    for dw, db in grads[1:]:
        assert np.array_equal(dw, grads[0][0]) and np.array_equal(db, grads[0][1])


def test_keeping_the_mask_buffer_between_steps_trains_the_same_network(monkeypatch):
    """The fused layer reuses its positive-window mask's buffer; training with a fresh buffer every
    call (inference calls of another shape in between) must give the same bits."""
    from bindreg.train import onehot_strands as strands

    x, y = _one_hot(600, with_n=False), nd.array(np.random.default_rng(4).integers(0, 2, 600))

    def train():
        mx.random.seed(0)
        net = StrandNet(filters=16, width=11, fused=True, prefix="s_")
        net.initialize(mx.init.Xavier())
        net.hybridize(static_alloc=True, static_shape=True)
        trainer, loss_fn = gluon.Trainer(net.collect_params(), "adam"), gluon.loss.SoftmaxCrossEntropyLoss()
        for step in range(40):
            start = step * 50 % 550
            with autograd.record():
                loss = loss_fn(net(x[start:start + 50]), y[start:start + 50])
            loss.backward()
            trainer.step(50)
            if step % 10 == 9:
                net(x[:77]).asnumpy()
        return net(x).asnumpy()

    kept = train()
    monkeypatch.setattr(strands._StrandsMaxMean, "_scratch", lambda self, shape: np.empty(shape, np.uint8))
    assert np.array_equal(train(), kept)
