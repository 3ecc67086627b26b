"""The three-phase protocol: search order, reproducibility, best iteration."""

from __future__ import annotations

import mxnet as mx

from bindreg.data.datasets import prepare
from bindreg.host.hparams import PAPER_SPACE, grid, sample_settings
from bindreg.host.plugins import get_registry
from bindreg.train.training import BUDGETS, load_splits, run_protocol


def test_thirty_settings_cover_all_27_combinations():
    settings = sample_settings(PAPER_SPACE, 30, seed=0)
    assert len(grid(PAPER_SPACE)) == 27
    assert len({tuple(sorted(s.items())) for s in settings}) == 27
    assert settings == sample_settings(PAPER_SPACE, 30, seed=0)


def test_protocol_is_reproducible_and_learns(zeng_files):
    _, dataset = prepare(str(zeng_files), "discovery")
    splits = load_splits(dataset, mx.cpu())
    architecture = get_registry().architectures.get("1layer")
    protocol = BUDGETS["smoke"].with_overrides(search_minibatches=40, train_minibatches=120)
    first = run_protocol(architecture, splits, protocol, seed=3, ctx=mx.cpu())
    second = run_protocol(architecture, splits, protocol, seed=3, ctx=mx.cpu())
    assert first.test_metrics == second.test_metrics
    assert first.final.hparams == second.final.hparams
    assert first.test_metrics["auroc"] > 0.9  # a planted 18-mer is easy
    assert first.final.best.step in [c.step for c in first.final.curve]
    assert protocol.reduced and protocol.budget == "smoke+custom"


def test_reverse_complement_and_both_strand_training(zeng_files):
    import numpy as np
    from mxnet import nd

    from bindreg.core.sequences import decode, one_hot
    from bindreg.core.sequences import reverse_complement

    x = nd.array(one_hot(["AACGTN", "GATTCA"])[:, :, None, :])
    assert decode(reverse_complement(x).asnumpy()[:, :, 0, :].astype(np.uint8)) == ["NACGTT", "TGAATC"]

    _, dataset = prepare(str(zeng_files), "discovery")
    splits = load_splits(dataset, mx.cpu())
    protocol = BUDGETS["smoke"].with_overrides(search_minibatches=40, train_minibatches=120)
    from dataclasses import replace

    result = run_protocol(get_registry().architectures.get("1layer"), splits, replace(protocol, both_strands=True),
                          seed=3, ctx=mx.cpu())
    assert len(result.test_scores) == len(splits["test"]) and result.test_metrics["auroc"] > 0.9
