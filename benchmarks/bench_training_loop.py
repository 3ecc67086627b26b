"""Seconds per 500,000 training samples (the paper's Table 2 measure) for every architecture:
bindreg's trainer against a bare hybridized Gluon loop over the same in-memory arrays, in one run.

The bare loop is the plainest hybridized Gluon loop: contiguous slices of one
preloaded NDArray, forward, backward, ``gluon.Trainer`` AdaDelta step, nothing
else, timed from after the network is built. The trainer's time includes
per-epoch shuffling, a per-step progress callback and bookkeeping; its
validation time is excluded (Table 2 times training only). For the paper's CNNs
the trainer is the packed engine (bindreg.packed: flat AdaDelta, ReLU after
pooling), so its ratio is below 1; DeepBind trains through gluon.Trainer (ratio ~1).
Target: ratio <= 1.2 for 1layer.

    python benchmarks/bench_training_loop.py [--minibatches 1000] [--models 1layer 3layer]
"""

from __future__ import annotations

import argparse
import platform
import time

import mxnet as mx
from mxnet import autograd, gluon, nd

from _common import save
from bindreg.data.datasets import prepare
from bindreg.host.plugins import get_registry
from bindreg.train.training import build_network, load_splits, train_setting

PAPER_TABLE_2 = {"1layer": 64.34, "1layer_64motif": 79.45, "1layer_128motif": 94.47, "1layer_local_win9": 68.08,
                 "1layer_local_win3": 73.12, "2layer": 91.82, "3layer": 124.12, "2layer_local_win3": 93.34,
                 "3layer_local_win3": 125.5}


def default_hparams(space: dict) -> dict:
    chosen = {"dropout": 0.5, "rho": 0.99, "epsilon": 1e-6}
    return {key: chosen.get(key, choices[0]) for key, choices in space.items()}


def bare_loop(architecture, hparams, x, y, minibatches: int, ctx) -> float:
    """Seconds for ``minibatches`` steps of the plainest hybridized Gluon loop."""
    net = build_network(architecture, hparams, x.shape[3], seed=0, ctx=ctx)
    trainer = gluon.Trainer(net.collect_params(), mx.optimizer.AdaDelta(rho=hparams["rho"],
                                                                        epsilon=hparams["epsilon"]))
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    batches = x.shape[0] // 100
    nd.waitall()
    started = time.perf_counter()
    for step in range(minibatches):
        start = (step % batches) * 100
        with autograd.record():
            loss = loss_fn(net(x[start:start + 100]), y[start:start + 100])
        loss.backward()
        trainer.step(100)
    nd.waitall()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minibatches", type=int, default=1000, help="steps timed per model and loop")
    parser.add_argument("--models", nargs="*", help="default: every registered architecture")
    parser.add_argument("--data", default="synthetic_ctcf")
    parser.add_argument("--repeats", type=int, default=2, help="alternating repeats; the fastest counts")
    args = parser.parse_args()

    ctx = mx.cpu()
    registry = get_registry()
    _, dataset = prepare(args.data, "discovery")
    splits = load_splits(dataset, ctx)
    x, y = splits["train"].x, splits["train"].y
    rows = []
    for name in args.models or registry.architectures.names():
        architecture = registry.architectures.get(name)
        hparams = default_hparams(architecture.space)
        bare, ours = [], []
        for _ in range(args.repeats):  # alternate so that drift in machine load hits both alike
            bare.append(bare_loop(architecture, hparams, x, y, args.minibatches, ctx))
            # A per-step callback, as the CLI's progress bar uses, so its cost is counted too.
            result = train_setting(architecture, hparams, splits, args.minibatches, args.minibatches,
                                   seed=0, ctx=ctx, on_step=lambda step: None)
            ours.append(result.train_seconds)
        scale = 500_000 / (args.minibatches * 100)
        row = {"model": name, "bare_s_per_500k": min(bare) * scale, "bindreg_s_per_500k": min(ours) * scale,
               "ratio": min(ours) / min(bare), "paper_2016_gpu_s": PAPER_TABLE_2.get(name, "")}
        rows.append(row)
        print(f"{name:>18}: bare {row['bare_s_per_500k']:7.1f} s  bindreg {row['bindreg_s_per_500k']:7.1f} s"
              f"  ratio {row['ratio']:.3f}", flush=True)
    meta = {"minibatches": args.minibatches, "repeats": args.repeats, "data": args.data,
            "mxnet": mx.__version__, "machine": platform.machine(), "cpus": __import__("os").cpu_count()}
    print(save("training_loop", rows, ["model", "bare_s_per_500k", "bindreg_s_per_500k", "ratio",
                                       "paper_2016_gpu_s"], meta))


if __name__ == "__main__":
    main()
