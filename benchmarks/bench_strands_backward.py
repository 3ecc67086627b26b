"""``bindnet``'s fused first layer (bindreg.onehot_strands): its backward by window counts against
the float scatter it replaced, A/B interleaved in one process, and a whole training step.

The reference below is the backward as it was until 2026-12-07 (kept here only to measure
against): for every offset j, sequence, strand and window it adds the mean's gradient times the
positive mask into ``dw[j, base]`` in float32. The present kernel counts positive windows per
(offset, base, filter) in bytes and multiplies once per sequence. Both get the same forward's
mask; the gradients are compared too (they differ by float rounding only).

    python benchmarks/bench_strands_backward.py [--filters 256] [--repeats 50] \
        [--data "../shared/data/deepbind_encode_jisraeli/SP1_GM12878_SP1_HudsonAlpha_AC.seq"]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numba
import numpy as np
from numba import njit, prange

from _common import SHARED_DATA, save
from bindreg.train import onehot_strands as strands


@njit(parallel=True, fastmath=True, cache=True)
def float_scatter_backward(both, g, winner, n_strands, positive, dw, db):
    """The replaced kernel (reference only)."""
    count, _, length = both.shape
    k, _, filters = dw.shape
    positions = length - k + 1
    scale = np.float32(1.0 / (n_strands * positions))
    for j in prange(k):
        grad = np.empty(filters, np.float32)
        for n in range(count):
            for f in range(filters):
                grad[f] = g[n, 1, f] * scale
            for s in range(n_strands):
                for p in range(positions):
                    row = dw[j, both[n, s, p + j]]
                    mask = positive[n, s, p]
                    for f in range(filters):
                        row[f] += grad[f] * mask[f]
            for f in range(filters):
                at = winner[n, f]
                s, p = at // positions, at % positions
                dw[j, both[n, s, p + j], f] += g[n, 0, f]
    for n in range(count):
        for f in range(filters):
            counted = 0
            for s in range(n_strands):
                for p in range(positions):
                    counted += positive[n, s, p, f]
            db[f] += g[n, 0, f] + g[n, 1, f] * scale * counted


def kernels(filters: int, repeats: int) -> dict:
    """Median ms of each backward on one minibatch (100 x 101 bp, width 11), alternated."""
    rng = np.random.default_rng(0)
    count, length, k = 100, 101, 11
    both = strands._both_strands(rng.integers(0, 5, size=(count, length)).astype(np.int8))
    w = (rng.standard_normal((k, 5, filters)) * 0.3).astype(np.float32)
    _, winner, positive = strands.pool_both_strands(both, w, np.zeros(filters, np.float32), 2)
    g = rng.standard_normal((count, 2, filters)).astype(np.float32)
    grads, times = {}, {"float scatter": [], "window counts": []}
    for _ in range(repeats + 1):  # the first round compiles
        for name in times:  # each timed with its allocations, as the operator calls it
            tick = time.perf_counter()
            if name == "float scatter":
                dw, db = np.zeros((k, 5, filters), np.float32), np.zeros(filters, np.float32)
                float_scatter_backward(both, g, winner, 2, positive, dw, db)
            else:
                dw, db = strands.weight_gradient(both, g, winner, 2, positive)
            times[name].append(1000 * (time.perf_counter() - tick))
            grads[name] = dw
    scale = np.abs(grads["float scatter"]).max()
    return {**{name: statistics.median(t[1:]) for name, t in times.items()},
            "max_relative_difference": float(np.abs(grads["float scatter"] - grads["window counts"]).max() / scale)}


def training_step(data: str, filters: int, steps: int = 500) -> float:
    """ms per minibatch of bindnet's fused network (Adam, batch 100) on a dataset's training split."""
    import mxnet as mx
    from mxnet import autograd, gluon, nd

    from bindreg.data.datasets import prepare
    from bindreg.host.plugins import get_registry
    from bindreg.train.splits import load_splits
    from bindreg.train.training import build_network

    ctx = mx.cpu()
    _, dataset = prepare(data, "discovery")
    train = load_splits(dataset, ctx)["train"]
    net = build_network(get_registry().architectures.get("bindnet"),
                        {"filters": filters, "width": 11, "hidden": 32, "dropout": 0.2, "fused": True},
                        train.input_length, 0, ctx)
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 1e-3})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()

    def run(count):
        for i in range(count):
            start = (i * 100) % (len(train.y) - 100)
            with autograd.record():
                loss = loss_fn(net(train.x[start:start + 100]), train.y[start:start + 100])
            loss.backward()
            trainer.step(100)
        nd.waitall()

    run(20)
    tick = time.perf_counter()
    run(steps)
    return 1000 * (time.perf_counter() - tick) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--filters", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--data", default=str(SHARED_DATA / "deepbind_encode_jisraeli" / "SP1_GM12878_SP1_HudsonAlpha_AC.seq"),
                        help="a dataset for the whole training step ('' to skip)")
    args = parser.parse_args()
    measured = kernels(args.filters, args.repeats)
    row = {"filters": args.filters, "float_scatter_ms": measured["float scatter"],
           "window_counts_ms": measured["window counts"],
           "speedup": measured["float scatter"] / measured["window counts"],
           "max_relative_difference": measured["max_relative_difference"]}
    if args.data:
        row["training_step_ms"] = training_step(args.data, args.filters)
    meta = {"threads": numba.get_num_threads(), "load_1min": os.getloadavg()[0], "data": args.data}
    print(save("strands_backward", [row], list(row), meta))


if __name__ == "__main__":
    main()
