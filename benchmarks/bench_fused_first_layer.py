"""The fused one-hot first layer (bindreg.onehot_conv) against MXNet's Convolution + topk/Pooling,
per training step of the packed engine, A/B interleaved in one process.

For one setting (the final training, ``train_setting``) and for 30 packed settings (the search,
``train_together``), each model's step is timed with the fused operator forced on and forced
off, alternating, and the medians' ratio printed. This is the measurement behind
``bindreg.packed.fuses_first_layer``'s rule (fuse after a global max or a wide window, and in
packed searches of many settings).

    python benchmarks/bench_fused_first_layer.py [--models 1layer 3layer] [--steps 300] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from bench_vs_pytorch import HPARAMS, one_hot_batches

MODELS = ["1layer", "1layer_128motif", "1layer_local_win9", "3layer"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="*", default=MODELS)
    parser.add_argument("--steps", type=int, default=300, help="timed steps per measurement of one setting")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--packed", type=int, default=30, help="settings trained together in the second row")
    args = parser.parse_args()

    import mxnet as mx
    import numpy as np
    from mxnet import nd

    from _common import save
    from bindreg.train import packed
    from bindreg.host.plugins import get_registry
    from bindreg.train.training import Split, train_setting, train_together

    x, y = one_hot_batches()
    ctx = mx.cpu()
    split = Split(nd.array(x[:, :, None, :], ctx=ctx), nd.array(y, ctx=ctx), y.astype(np.int8))
    splits = {"train": split, "valid": Split(split.x[:200], split.y[:200], split.labels[:200])}

    def one(architecture, steps):
        return train_setting(architecture, HPARAMS, splits, steps, steps, seed=0, ctx=ctx,
                             on_step=lambda step: None).train_seconds / steps

    def together(architecture, steps):
        seeds = list(range(args.packed))
        tick = time.perf_counter()
        train_together(architecture, [HPARAMS] * args.packed, splits, steps, steps, seeds, ctx,
                       on_step=lambda step: None)
        return (time.perf_counter() - tick) / steps

    rows = []
    for model in args.models:
        architecture = get_registry().architectures.get(model)
        for settings, measure, steps in ((1, one, args.steps), (args.packed, together, max(20, args.steps // 10))):
            times = {"always": [], "never": []}
            for mode in times:  # warm up both graphs (and numba's cache)
                packed.FUSED_FIRST_LAYER = mode
                measure(architecture, 10)
            for _ in range(args.repeats):
                for mode in times:
                    packed.FUSED_FIRST_LAYER = mode
                    times[mode].append(measure(architecture, steps))
            packed.FUSED_FIRST_LAYER = "auto"
            config = packed.packable_config([architecture.build(dict(HPARAMS))])
            row = {"model": model, "settings": settings, "fused_ms": statistics.median(times["always"]) * 1e3,
                   "mxnet_ms": statistics.median(times["never"]) * 1e3,
                   "auto_uses": "fused" if packed.fuses_first_layer(config, 101, ctx, settings) else "mxnet"}
            row["mxnet_over_fused"] = row["mxnet_ms"] / row["fused_ms"]
            rows.append(row)
            print(f"{model:>18} x{settings:<3} fused {row['fused_ms']:7.2f} ms  MXNet ops {row['mxnet_ms']:7.2f} ms  "
                  f"speed-up {row['mxnet_over_fused']:.2f}  (default: {row['auto_uses']})", flush=True)
    meta = {"steps": args.steps, "repeats": args.repeats, "cpus": os.cpu_count(),
            "threads": os.environ.get("OMP_NUM_THREADS", "default")}
    print(save("fused_first_layer", rows, ["model", "settings", "fused_ms", "mxnet_ms", "mxnet_over_fused", "auto_uses"],
               meta))


if __name__ == "__main__":
    main()
