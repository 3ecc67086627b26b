"""Per-step time at batch 100: bindreg's trainer against the same model in PyTorch (CPU 2.13), in one run.

One framework per subprocess (MXNet's and PyTorch's OpenMP runtimes conflict in one process),
the two alternating so that drift in machine load hits both alike, the same thread count for
both, the median of the repeats; the ratio bindreg / PyTorch is printed per model.

bindreg's figure is ``train_setting``'s training time (validation excluded) over ``--steps``
steps: the step the protocol runs, with its per-epoch shuffle. PyTorch's is a bare loop over
contiguous slices of preloaded tensors (``_torch_zeng.step_seconds``), after 20 warm-up steps.

    python benchmarks/bench_vs_pytorch.py [--models 1layer 3layer] [--steps 400] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from _common import THREADS_HELP, thread_env

MODELS = ["1layer", "1layer_128motif", "3layer"]
HPARAMS = {"dropout": 0.5, "rho": 0.99, "epsilon": 1e-6}


def one_hot_batches(count: int = 5000, length: int = 101, seed: int = 0):
    """The same random one-hot sequences and labels for both frameworks: ``(count, 4, length)``, ``(count,)``."""
    import numpy as np

    rng = np.random.default_rng(seed)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (count, length))].transpose(0, 2, 1).copy()
    return x, rng.integers(0, 2, count).astype(np.float32)


def torch_worker(model: str, steps: int, threads: int) -> float:
    import torch

    from _torch_zeng import step_seconds

    if threads:
        torch.set_num_threads(threads)
    x, y = one_hot_batches()
    return step_seconds(model, x, y, steps, HPARAMS)


def bindreg_worker(model: str, steps: int, threads: int) -> float:
    import mxnet as mx
    import numpy as np
    from mxnet import nd

    from bindreg.host.plugins import get_registry
    from bindreg.train.training import Split, train_setting

    x, y = one_hot_batches()
    ctx = mx.cpu()
    split = Split(nd.array(x[:, :, None, :], ctx=ctx), nd.array(y, ctx=ctx), y.astype(np.int8))
    splits = {"train": split, "valid": Split(split.x[:200], split.y[:200], split.labels[:200])}
    architecture = get_registry().architectures.get(model)
    train_setting(architecture, HPARAMS, splits, 20, 20, seed=0, ctx=ctx)  # warm up
    result = train_setting(architecture, HPARAMS, splits, steps, steps, seed=0, ctx=ctx, on_step=lambda step: None)
    return result.train_seconds / steps


def measure(framework: str, model: str, steps: int, threads: int) -> float:
    """Seconds per step from a fresh subprocess running one framework."""
    env = thread_env(threads)
    out = subprocess.run([sys.executable, __file__, "--worker", framework, "--models", model, "--steps", str(steps),
                          "--threads", str(threads)], capture_output=True, text=True, env=env,
                         cwd=Path(__file__).parent)
    if out.returncode != 0:
        raise SystemExit(f"{framework} worker for {model} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])["seconds_per_step"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="*", default=MODELS)
    parser.add_argument("--steps", type=int, default=400, help="timed steps per measurement")
    parser.add_argument("--repeats", type=int, default=3, help="alternating measurements per framework")
    parser.add_argument("--threads", type=int, default=0, help=THREADS_HELP)
    parser.add_argument("--worker", choices=["torch", "bindreg"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker = torch_worker if args.worker == "torch" else bindreg_worker
        print(json.dumps({"seconds_per_step": worker(args.models[0], args.steps, args.threads)}))
        return
    try:
        import torch  # noqa: F401
    except ImportError:
        print("skipped: PyTorch is not installed (pip install -e '.[bench]' installs torch==2.13.0)")
        return
    from _common import save

    rows = []
    for model in args.models:
        torch_s, ours_s = [], []
        for _ in range(args.repeats):
            torch_s.append(measure("torch", model, args.steps, args.threads))
            ours_s.append(measure("bindreg", model, args.steps, args.threads))
        row = {"model": model, "pytorch_ms": statistics.median(torch_s) * 1000,
               "bindreg_ms": statistics.median(ours_s) * 1000}
        row["ratio"] = row["bindreg_ms"] / row["pytorch_ms"]
        row["target"] = "<= 1.5: " + ("met" if row["ratio"] <= 1.5 else "NOT met")
        rows.append(row)
        print(f"{model:>16}: PyTorch {row['pytorch_ms']:6.2f} ms  bindreg {row['bindreg_ms']:6.2f} ms  "
              f"ratio {row['ratio']:.2f}  (runs: torch {[round(t * 1000, 2) for t in torch_s]}, "
              f"bindreg {[round(t * 1000, 2) for t in ours_s]})", flush=True)
    import torch

    meta = {"steps": args.steps, "repeats": args.repeats, "threads": args.threads, "batch": 100,
            "torch": torch.__version__, "cpus": os.cpu_count()}
    print(save("vs_pytorch", rows, ["model", "pytorch_ms", "bindreg_ms", "ratio", "target"], meta))


if __name__ == "__main__":
    main()
