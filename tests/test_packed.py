"""The packed engine: its step is gluon.Trainer + AdaDelta's, and a packed search is the sequential one."""

from __future__ import annotations

import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd, gluon, nd

from bindreg.data.datasets import prepare
from bindreg.train.packed import packable_config, train_packed, unpack
from bindreg.host.plugins import get_registry
from bindreg.train.training import BUDGETS, build_network, load_splits, run_protocol


def _random_batches(count: int = 500, length: int = 101, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (count, length))].transpose(0, 2, 1)[:, :, None, :]
    return nd.array(x), nd.array(rng.integers(0, 2, count), dtype="float32")


@pytest.mark.parametrize("model", ["1layer", "2layer_local_win3", "1layer_rc", "deepbind", "deepbind-no-hidden"])
def test_packed_step_is_gluon_trainer_adadelta(model):
    """Two settings packed (grouped convs, batched dense layers, per-setting rho/epsilon) end where
    each alone ends under gluon.Trainer + mx.optimizer.AdaDelta (dropout 0: MXNet's masks differ)."""
    ctx, steps, batch = mx.cpu(), 4, 100
    architecture = get_registry().architectures.get(model.removesuffix("-no-hidden"))
    x, y = _random_batches()
    settings = [{"dropout": 0.0, "rho": 0.9, "epsilon": 1e-6}, {"dropout": 0.0, "rho": 0.99, "epsilon": 1e-4}]
    if model.startswith("deepbind"):
        settings = [{**s, "hidden": model == "deepbind"} for s in settings]
    references = []
    for index, hparams in enumerate(settings):
        net = build_network(architecture, hparams, 101, 10 + index, ctx)
        trainer = gluon.Trainer(net.collect_params(), mx.optimizer.AdaDelta(rho=hparams["rho"],
                                                                            epsilon=hparams["epsilon"]))
        for step in range(steps):
            with autograd.record():
                loss = gluon.loss.SoftmaxCrossEntropyLoss()(net(x[step * batch:(step + 1) * batch]),
                                                            y[step * batch:(step + 1) * batch])
            loss.backward()
            trainer.step(batch)
        references.append([p.data().asnumpy() for p in net.collect_params().values()])

    nets = [build_network(architecture, h, 101, 10 + i, ctx) for i, h in enumerate(settings)]
    batches = ((x[s * batch:(s + 1) * batch], y[s * batch:(s + 1) * batch]) for s in range(steps))
    run = train_packed(nets, packable_config(nets), settings, [1, 2], batches, x[:200], steps, steps, ctx, batch,
                       judge=lambda setting, step, scores: True)
    for index, net in enumerate(nets):
        unpack(run.best_theta, run.layout, index, net)
        for reference, param in zip(references[index], net.collect_params().values()):
            np.testing.assert_allclose(param.data().asnumpy(), reference, rtol=1e-5, atol=1e-6)


def test_packed_search_matches_sequential_search(tmp_path):
    from conftest import write_zeng_experiment

    data = write_zeng_experiment(tmp_path / "masked", train=500, test=100, masked_every=3)
    _, dataset = prepare(str(data), "discovery")
    splits = load_splits(dataset, mx.cpu())
    architecture = get_registry().architectures.get("1layer")
    protocol = BUDGETS["smoke"].with_overrides(settings=4, search_minibatches=45, search_validate_every=15,
                                               train_minibatches=20)
    packed = run_protocol(architecture, splits, protocol, seed=5, ctx=mx.cpu())
    sequential = run_protocol(architecture, splits, protocol.with_overrides(pack=False), seed=5, ctx=mx.cpu())
    assert (packed.search_mode, sequential.search_mode) == ("packed", "sequential")
    assert packed.chosen == sequential.chosen
    tolerance = 1.5 / len(splits["valid"])  # at most one sequence on the other side of 0.5
    for together, alone in zip(packed.search, sequential.search):
        assert together.hparams == alone.hparams and together.seed == alone.seed
        assert [c.step for c in together.curve] == [c.step for c in alone.curve] == [15, 30, 45]
        for a, b in zip(together.curve, alone.curve):
            assert abs(a.metrics["loss"] - b.metrics["loss"]) < 1e-4
            assert abs(a.metrics["accuracy"] - b.metrics["accuracy"]) <= tolerance
    assert packed.test_metrics["auroc"] == pytest.approx(sequential.test_metrics["auroc"], abs=1e-3)


def test_deepbind_search_packs_each_structure_and_matches_one_at_a_time(zeng_files):
    """DeepBind's space turns the hidden layer on and off: one packed graph per structure, the same
    curves as each setting trained alone."""
    _, dataset = prepare(str(zeng_files), "discovery")
    splits = load_splits(dataset, mx.cpu())
    architecture = get_registry().architectures.get("deepbind")
    protocol = BUDGETS["smoke"].with_overrides(settings=6, search_minibatches=20, search_validate_every=10)
    packed = run_protocol(architecture, splits, protocol, seed=3, ctx=mx.cpu())
    alone = run_protocol(architecture, splits, protocol.with_overrides(pack=False), seed=3, ctx=mx.cpu())
    assert (packed.search_mode, alone.search_mode) == ("packed", "sequential")
    assert {r.hparams["hidden"] for r in packed.search} == {True, False}
    for together, one in zip(packed.search, alone.search):
        assert together.hparams == one.hparams
        for a, b in zip(together.curve, one.curve):
            assert abs(a.metrics["loss"] - b.metrics["loss"]) < 1e-4
    assert packed.chosen == alone.chosen


def test_networks_that_do_not_pack_search_one_at_a_time(zeng_files):
    _, dataset = prepare(str(zeng_files), "discovery")
    splits = load_splits(dataset, mx.cpu())
    result = run_protocol(get_registry().architectures.get("cnn_transformer"), splits,
                          BUDGETS["smoke"].with_overrides(settings=1), seed=0, ctx=mx.cpu())
    assert result.search_mode == "sequential" and "does not pack" in result.search_note


def test_validation_chunks_are_as_large_as_the_widest_activation_allows():
    """The fused first layer returns only its pooled windows, so a packed search of 30
    ``1layer_128motif`` settings validates 1,000 sequences a forward, not 50 (whose fixed cost per
    forward made validation ~40% of the search); MXNet's convolution keeps the 64 MB bound."""
    from bindreg.train.packed import Layout, PackedGraph, _score_batch

    config = {"filters": (128,), "widths": (24,), "inner_pool": None, "top_pool": None, "hidden": 32}
    layout = Layout.of(config, 128, 30)
    assert _score_batch(PackedGraph(config, layout, False, fused_length=101), 101) == 1000
    assert _score_batch(PackedGraph(config, layout, False), 101) == 50
