"""Training on whole sequences of different lengths against the same sequences cropped to one length.

The bundled ``synthetic_ctcf_varlen`` positives (60-400 bp, CTCF planted near each centre) are
trained on three ways with the same budget and seed, interleaved in one process:

- ``whole``: ``--any-length``, padded and masked minibatches through gluon.Trainer (bindreg.varlen);
- ``crop101``: the central 101 bp of each (shorter ones centred in N), the paper's window, on the
  packed engine (what a fixed-length run of a plain ConvNet uses, also with ``--no-pack``).

The engines differ, so the run-time ratio mixes two costs; the per-step table below separates
them: gluon.Trainer steps on the whole arm's bucketed minibatches against gluon.Trainer steps on
101 bp minibatches, interleaved (the cost of the lengths alone).

Each arm makes its own dinucleotide-shuffled negatives and its own split, so AUROCs are each on
their own test sequences (whole vs cropped): they say how well each arm learns its task, not
which scores the same peaks better.

    python benchmarks/bench_varlen.py [--budget demo] [--model 1layer] [--seed 0]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _common import save
from bindreg.experiment.runs import run
from bindreg.data.synthetic import varied_length_sequences
from bindreg.train.training import BUDGETS
from bindreg.score.whole import centre_pad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", default="demo", choices=sorted(BUDGETS))
    parser.add_argument("--model", default="1layer")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    positives, _ = varied_length_sequences("CTCF", count=4000, seed=2016)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        cropped = Path(scratch) / "synthetic_ctcf_crop101.fa"
        cropped.write_text("".join(f">{name}\n{centre_crop(sequence, 101)}\n"
                                   for name, sequence in zip(positives.names, positives.sequences)))
        arms = [("whole (--any-length)", "synthetic_ctcf_varlen", True),
                ("crop101", str(cropped), False)]
        for label, data, any_length in arms:
            summary = run(args.model, "discovery", data, BUDGETS[args.budget], seed=args.seed, any_length=any_length,
                          out=Path(scratch) / label.split()[0], analyse_motifs=False)
            metrics = summary.metrics
            rows.append({"arm": label, "test_auroc": metrics["test"]["auroc"], "test_auprc": metrics["test"]["auprc"],
                         "search_s": metrics["wall_seconds"]["search"], "train_s": metrics["wall_seconds"]["train"],
                         "total_s": metrics["wall_seconds"]["total"], "search_mode": metrics["search"]["mode"]})
            print(rows[-1], flush=True)
    for row in rows:
        row["time_vs_crop101"] = row["total_s"] / rows[1]["total_s"]
    print(save("varlen", rows, ["arm", "test_auroc", "test_auprc", "search_s", "train_s", "total_s",
                                "time_vs_crop101", "search_mode"],
               {"budget": args.budget, "model": args.model, "seed": args.seed}))
    print(save("varlen_steps", per_step(args.model), ["minibatches", "mean_width_bp", "ms_per_step", "ratio"],
               {"model": args.model, "engine": "gluon.Trainer", "steps": 200, "repeats": 3}))


def per_step(model: str, steps: int = 200, repeats: int = 3) -> list[dict]:
    """ms per gluon.Trainer step: bucketed padded minibatches (with lengths) against 101 bp ones,
    interleaved ``repeats`` times; the minimum of each is kept."""
    import time

    import mxnet as mx
    import numpy as np
    from mxnet import autograd, gluon, nd

    from bindreg.data.datasets import prepare
    from bindreg.host.plugins import get_registry
    from bindreg.train.training import build_network
    from bindreg.train.varlen import load_variable_length_splits

    _, dataset = prepare("synthetic_ctcf_varlen", "discovery")
    train = load_variable_length_splits(dataset, mx.cpu())["train"]
    source = train.batches(np.random.default_rng(0), 100)
    varied = [next(source) for _ in range(steps)]
    fixed = [(nd.array(np.eye(4, dtype="float32")[np.random.default_rng(i).integers(0, 4, (100, 101))]
                       .transpose(0, 2, 1)[:, :, None, :]), nd.array(np.arange(100) % 2)) for i in range(steps)]
    architecture = get_registry().architectures.get(model)
    arms = {"bucketed, with lengths": (build_network(architecture, {"dropout": 0.5}, train.input_length, 0, mx.cpu(),
                                                      any_length=True), varied),
            "101 bp": (build_network(architecture, {"dropout": 0.5}, 101, 0, mx.cpu()), fixed)}
    best = {name: float("inf") for name in arms}
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    for _ in range(repeats):
        for name, (net, batches) in arms.items():
            trainer = gluon.Trainer(net.collect_params(), mx.optimizer.AdaDelta())
            nd.waitall()
            tick = time.perf_counter()
            for *inputs, y in batches:
                with autograd.record():
                    loss = loss_fn(net(*inputs), y)
                loss.backward()
                trainer.step(y.shape[0])
            nd.waitall()
            best[name] = min(best[name], (time.perf_counter() - tick) * 1000 / steps)
    widths = {"bucketed, with lengths": float(np.mean([b[0].shape[3] for b in varied])), "101 bp": 101.0}
    return [{"minibatches": name, "mean_width_bp": widths[name], "ms_per_step": best[name],
             "ratio": best[name] / best["101 bp"]} for name in arms]


def centre_crop(sequence: str, length: int) -> str:
    """The central ``length`` bp, or the sequence centred in N when shorter (the fixed-length rule)."""
    if len(sequence) <= length:
        return centre_pad(sequence, length)
    start = (len(sequence) - length) // 2
    return sequence[start:start + length]


if __name__ == "__main__":
    main()
