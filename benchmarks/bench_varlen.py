"""Training on whole sequences of different lengths against the same sequences cropped to one length.

The bundled ``synthetic_ctcf_varlen`` positives (60-400 bp, CTCF planted near each centre) are
trained on three ways with the same budget and seed, interleaved in one process:

- ``whole``: ``--any-length``, padded and masked minibatches through gluon.Trainer (bindreg.varlen);
- ``crop101``: the central 101 bp of each (shorter ones centred in N), the paper's window, on the
  packed engine (the default) and
- ``crop101 --no-pack``: the same one setting at a time through gluon.Trainer (the same engine as
  ``whole``, so the wall-time ratio is the cost of the lengths alone).

Each arm makes its own dinucleotide-shuffled negatives and its own split, so AUROCs are each on
their own test sequences (whole vs cropped): they say how well each arm learns its task, not
which scores the same peaks better.

    python benchmarks/bench_varlen.py [--budget demo] [--model 1layer] [--seed 0]
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import replace
from pathlib import Path

from _common import save
from bindreg.runs import run
from bindreg.synthetic import varied_length_sequences
from bindreg.training import BUDGETS
from bindreg.varlen import centre_pad


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
        arms = [("whole (--any-length)", "synthetic_ctcf_varlen", True, True),
                ("crop101 packed", str(cropped), False, True),
                ("crop101 --no-pack", str(cropped), False, False)]
        for label, data, any_length, pack in arms:
            protocol = replace(BUDGETS[args.budget], pack=pack)
            summary = run(args.model, "discovery", data, protocol, seed=args.seed, any_length=any_length,
                          out=Path(scratch) / label.split()[0] / str(pack), analyse_motifs=False)
            metrics = summary.metrics
            rows.append({"arm": label, "test_auroc": metrics["test"]["auroc"], "test_auprc": metrics["test"]["auprc"],
                         "search_s": metrics["wall_seconds"]["search"], "train_s": metrics["wall_seconds"]["train"],
                         "total_s": metrics["wall_seconds"]["total"], "search_mode": metrics["search"]["mode"]})
            print(rows[-1], flush=True)
    base = rows[2]["total_s"]
    for row in rows:
        row["time_vs_crop101_no_pack"] = row["total_s"] / base
    print(save("varlen", rows, ["arm", "test_auroc", "test_auprc", "search_s", "train_s", "total_s",
                                "time_vs_crop101_no_pack", "search_mode"],
               {"budget": args.budget, "model": args.model, "seed": args.seed}))


def centre_crop(sequence: str, length: int) -> str:
    """The central ``length`` bp, or the sequence centred in N when shorter (the fixed-length rule)."""
    if len(sequence) <= length:
        return centre_pad(sequence, length)
    start = (len(sequence) - length) // 2
    return sequence[start:start + length]


if __name__ == "__main__":
    main()
