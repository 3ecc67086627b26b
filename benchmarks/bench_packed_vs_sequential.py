"""The paper's search for one architecture on real data, packed (all settings in one graph)
against one setting at a time (``--no-pack``), in one run: wall time of the search, whether both
pick the same setting, and how far their validation curves differ.

Both use protocol version 2 (one shared minibatch order; per-setting initialisation and dropout
masks drawn the same way), so the curves agree to floating-point tolerance, not exactly: the
packed graph sums over settings in a different order than a lone one.

    python benchmarks/bench_packed_vs_sequential.py [--data DIR] [--model 1layer] [--seed 0]
"""

from __future__ import annotations

import argparse
import time

import mxnet as mx

from _common import SHARED_DATA, save
from bindreg.data.datasets import prepare
from bindreg.host.hparams import sample_settings
from bindreg.host.plugins import get_registry
from bindreg.train.training import BUDGETS, choose_setting, load_splits, train_setting, train_together


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(SHARED_DATA / "zeng_md_stat3_helas3"))
    parser.add_argument("--model", default="1layer")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    protocol = BUDGETS["paper"]
    _, dataset = prepare(args.data, "discovery")
    splits = load_splits(dataset, mx.cpu())
    architecture = get_registry().architectures.get(args.model)
    settings = sample_settings(architecture.space, protocol.settings, args.seed)
    seeds = [args.seed * 1000 + index for index in range(len(settings))]  # as run_protocol
    common = (splits, protocol.search_minibatches, protocol.search_validate_every)

    tick = time.perf_counter()
    packed = train_together(architecture, settings, *common, seeds, mx.cpu(), protocol.batch_size,
                            order_seed=args.seed)
    packed_seconds = time.perf_counter() - tick
    tick = time.perf_counter()
    alone = [train_setting(architecture, hparams, *common, seed, mx.cpu(), protocol.batch_size, order_seed=args.seed)
             for hparams, seed in zip(settings, seeds)]
    sequential_seconds = time.perf_counter() - tick

    loss_gap = max(abs(a.metrics["loss"] - b.metrics["loss"])
                   for p, s in zip(packed, alone) for a, b in zip(p.curve, s.curve))
    accuracy_gap = max(abs(a.metrics["accuracy"] - b.metrics["accuracy"])
                       for p, s in zip(packed, alone) for a, b in zip(p.curve, s.curve))
    row = {"model": args.model, "settings": len(settings), "packed_s": packed_seconds,
           "sequential_s": sequential_seconds, "packed/sequential": packed_seconds / sequential_seconds,
           "chosen_packed": choose_setting(packed), "chosen_sequential": choose_setting(alone),
           "same_choice": choose_setting(packed) == choose_setting(alone), "max_valid_loss_gap": loss_gap,
           "max_valid_accuracy_gap": accuracy_gap, "valid_sequences": len(splits["valid"])}
    print(save("packed_vs_sequential", [row], list(row), {"data": args.data, "seed": args.seed}))


if __name__ == "__main__":
    main()
