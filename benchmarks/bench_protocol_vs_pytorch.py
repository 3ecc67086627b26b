"""The paper's whole protocol for 1layer on STAT3 HeLa-S3: bindreg (packed search) against PyTorch
run one setting at a time, wall time and test AUROC, in one run.

Both sides get the same splits (bindreg's: train.data -> train/valid, test.data -> test, as
bench_real_data.py) and the same 30 settings; each does 30 settings x 500 minibatches validating
every 100, picks the best by validation accuracy, trains it for 5,000 minibatches validating
every 500, and tests the best iteration once. Wall time excludes reading and encoding the data.
One framework per subprocess (their OpenMP runtimes conflict), the same thread count for both.

By default PyTorch replays bindreg's draws (initial weights, minibatch order, dropout masks; see
``_torch_zeng.protocol``), so the AUROC gap measures arithmetic, not luck of the draw;
``--own-draws`` lets PyTorch initialise and drop out with its own RNG instead.

    python benchmarks/bench_protocol_vs_pytorch.py [--data DIR] [--model 1layer] [--seeds 0 1 2] [--threads 0]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import SHARED_DATA, THREADS_HELP, thread_env


def bindreg_worker(args, arrays_path: Path) -> dict:
    """Run bindreg's protocol; leave the splits and settings in ``arrays_path`` for the PyTorch worker."""
    import time

    import mxnet as mx
    import numpy as np
    from mxnet import nd

    from bindreg.data.datasets import prepare
    from bindreg.host.hparams import sample_settings
    from bindreg.host.plugins import get_registry
    from bindreg.train.packed import _parameters
    from bindreg.train.training import BUDGETS, build_network, load_splits, run_protocol

    _, dataset = prepare(args.data, "discovery")
    splits = load_splits(dataset, mx.cpu())
    architecture = get_registry().architectures.get(args.model)
    arrays = {}
    for name, split in splits.items():
        arrays[f"{name}_x"] = split.x.asnumpy()[:, :, 0, :]
        arrays[f"{name}_y"] = split.labels.astype(np.int64)
    settings = sample_settings(architecture.space, BUDGETS["paper"].settings, args.seed)
    length = splits["train"].input_length
    for index in [*range(len(settings)), 999]:  # the initial weights run_protocol will draw
        net = build_network(architecture, settings[min(index, len(settings) - 1)], length,
                            args.seed * 1000 + index, mx.cpu())
        nd.waitall()  # the build's trial forward may still be re-laying weights out for MKL-DNN (packed.pack)
        for name, param in _parameters(net).items():
            arrays[f"init{index}_{name}"] = param.data().asnumpy()
    np.savez(arrays_path, settings=json.dumps(settings), **arrays)
    started = time.perf_counter()
    result = run_protocol(architecture, splits, BUDGETS["paper"], args.seed, mx.cpu())
    return {"wall_s": time.perf_counter() - started, "search_s": result.wall_seconds["search"],
            "chosen": result.chosen, "hyperparameters": result.final.hparams,
            "test_auroc": result.test_metrics["auroc"], "best_iteration": result.final.best.step,
            "search_mode": result.search_mode, "counts": {k: len(v) for k, v in splits.items()}}


def torch_worker(args, arrays_path: Path) -> dict:
    import numpy as np
    import torch

    from _torch_zeng import protocol

    if args.threads:
        torch.set_num_threads(args.threads)
    loaded = np.load(arrays_path)
    arrays = {key: loaded[key] for key in loaded.files if key != "settings"}
    inits = {}
    for key in [key for key in arrays if key.startswith("init")]:
        index, name = key[len("init"):].split("_", 1)
        inits.setdefault(int(index), {})[name] = arrays.pop(key)
    return protocol(args.model, arrays, json.loads(str(loaded["settings"])), args.seed,
                    None if args.own_draws else inits)


def measure(framework: str, args, arrays_path: Path) -> dict:
    env = thread_env(args.threads)
    command = [sys.executable, __file__, "--worker", framework, "--arrays", str(arrays_path), "--data", args.data,
               "--model", args.model, "--seed", str(args.seed), "--threads", str(args.threads)]
    command += ["--own-draws"] if args.own_draws else []
    out = subprocess.run(command, capture_output=True, text=True, env=env, cwd=Path(__file__).parent)
    if out.returncode != 0:
        raise SystemExit(f"{framework} worker failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(SHARED_DATA / "zeng_md_stat3_helas3"))
    parser.add_argument("--model", default="1layer")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                        help="one protocol per seed and framework; the AUROC target is on the mean gap")
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)  # a worker's seed
    parser.add_argument("--threads", type=int, default=0, help=THREADS_HELP)
    parser.add_argument("--repeats", type=int, default=1, help="alternating runs per framework; medians count")
    parser.add_argument("--own-draws", action="store_true",
                        help="PyTorch initialises and draws dropout with its own RNG (default: replays bindreg's)")
    parser.add_argument("--worker", choices=["torch", "bindreg"], help=argparse.SUPPRESS)
    parser.add_argument("--arrays", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker = torch_worker if args.worker == "torch" else bindreg_worker
        print(json.dumps(worker(args, args.arrays)))
        return
    if not Path(args.data).exists():
        print(f"skipped: {args.data} not found (the shared data sits beside the project)")
        return
    try:
        import torch  # noqa: F401
    except ImportError:
        print("skipped: PyTorch is not installed (pip install -e '.[bench]' installs torch==2.13.0)")
        return
    from _common import save

    rows, ratios, gaps = [], [], []
    with tempfile.TemporaryDirectory() as scratch:
        arrays_path = Path(scratch) / "splits.npz"
        for seed in args.seeds:
            args.seed = seed
            runs = {"bindreg": [], "torch": []}
            for _ in range(args.repeats):
                for framework in ("bindreg", "torch"):  # bindreg first: it writes the shared splits
                    runs[framework].append(measure(framework, args, arrays_path))
                    print(f"{framework:>8} seed {seed}: {json.dumps(runs[framework][-1])}", flush=True)
            pair = []
            for framework, label in (("torch", "PyTorch, one setting at a time"), ("bindreg", "bindreg (packed search)")):
                last = runs[framework][-1]
                pair.append({"seed": seed, "implementation": label,
                             "wall_s": statistics.median(r["wall_s"] for r in runs[framework]),
                             "search_s": statistics.median(r["search_s"] for r in runs[framework]),
                             "test_auroc": last["test_auroc"], "chosen": str(last["hyperparameters"]),
                             "best_iteration": last["best_iteration"]})
            rows += pair
            ratios.append(pair[1]["wall_s"] / pair[0]["wall_s"])
            gaps.append(pair[1]["test_auroc"] - pair[0]["test_auroc"])
            print(f"seed {seed}: wall ratio {ratios[-1]:.3f}, AUROC bindreg - PyTorch {gaps[-1]:+.4f}", flush=True)
    ratio = statistics.median(ratios)
    mean_gap = abs(statistics.mean(gaps))
    print(f"wall ratio bindreg / PyTorch, median over {len(ratios)} seed(s): {ratio:.3f} "
          f"(target <= 0.5: {'met' if ratio <= 0.5 else 'NOT met'}); mean test AUROC gap {mean_gap:.4f} "
          f"(per seed {', '.join(f'{gap:+.4f}' for gap in gaps)}; target <= 0.005: "
          f"{'met' if mean_gap <= 0.005 else 'NOT met'})")
    import torch

    meta = {"data": args.data, "model": args.model, "seeds": args.seeds, "threads": args.threads,
            "own_draws": args.own_draws, "repeats": args.repeats, "wall_ratio": ratio, "auroc_gaps": gaps,
            "mean_auroc_gap": mean_gap, "torch": torch.__version__, "counts": runs["bindreg"][-1]["counts"]}
    print(save("protocol_vs_pytorch", rows, ["seed", "implementation", "wall_s", "search_s", "test_auroc", "chosen",
                                             "best_iteration"], meta))


if __name__ == "__main__":
    main()
