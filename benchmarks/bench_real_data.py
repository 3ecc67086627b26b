"""Test AUROC and wall time on real ChIP-seq data (Zeng et al.'s STAT3 HeLa-S3 release):
bindreg's CNNs with the full paper protocol against a plain gkm-SVM on the same split.

gkm-SVM follows the paper's protocol (section 4.3): default parameters of
gkmsvm-lite (LS-GKM compatible), at most 5,000 positives sampled (and as many
negatives), trained on the training input, scored on the same test split.

    python benchmarks/bench_real_data.py [--data DIR] [--budget paper] [--models 1layer deepbind]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from _common import RESULTS, SHARED_DATA, save
from bindreg.data.datasets import prepare
from bindreg.experiment.runs import run
from bindreg.train.training import BUDGETS

MODELS = ["1layer", "1layer_128motif", "2layer", "deepbind"]


def gkm_svm(data: str, seed: int = 0) -> dict:
    """The gkm-SVM baseline plugin (bindreg_plugins.baselines) through the shared runner."""
    summary = run("gkmsvm", "discovery", data, BUDGETS["smoke"], seed=seed, runs_root=RESULTS / "runs")
    m = summary.metrics
    return {"model": "gkm-SVM (gkmsvm-lite defaults)", "test_auroc": m["test"]["auroc"],
            "wall_s": m["wall_seconds"]["total"] - m["wall_seconds"]["prepare"], "train_s": m["wall_seconds"]["train"],
            "training_sequences": m["train_size"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(SHARED_DATA / "zeng_md_stat3_helas3"))
    parser.add_argument("--budget", default="paper", choices=sorted(BUDGETS))
    parser.add_argument("--models", nargs="*", default=MODELS)
    parser.add_argument("--no-gkmsvm", action="store_true")
    parser.add_argument("--both-strands", action="store_true", help="train/score CNNs on both strands")
    args = parser.parse_args()
    from pathlib import Path

    if not Path(args.data).exists():
        print(f"skipped: {args.data} not found (the shared data sits beside the project)")
        sys.exit(0)
    _, dataset = prepare(args.data, "discovery")
    rows = []
    for model in args.models:
        protocol = replace(BUDGETS[args.budget], both_strands=args.both_strands)
        summary = run(model, "discovery", args.data, protocol, seed=0,
                      runs_root=RESULTS / ("runs-both-strands" if args.both_strands else "runs"))
        m = summary.metrics
        label = model + (" (both strands)" if args.both_strands else "")
        rows.append({"model": label, "test_auroc": m["test"]["auroc"], "test_auprc": m["test"]["auprc"],
                     "wall_s": m["wall_seconds"]["total"], "search_s": m["wall_seconds"]["search"],
                     "train_s": m["wall_seconds"]["train"], "chosen": str(m["hyperparameters"])})
        print(f"{model:>16}: test AUROC {rows[-1]['test_auroc']:.4f}  wall {rows[-1]['wall_s']:.0f} s", flush=True)
    if not args.no_gkmsvm:
        rows.append(gkm_svm(args.data))
        print(f"gkm-SVM: test AUROC {rows[-1]['test_auroc']:.4f}  wall {rows[-1]['wall_s']:.0f} s", flush=True)
    meta = {"data": args.data, "budget": args.budget, "both_strands": args.both_strands,
            "counts": dataset.attrs["counts"]}
    name = "real_data_both_strands" if args.both_strands else "real_data"
    print(save(name, rows, ["model", "test_auroc", "test_auprc", "wall_s", "search_s", "train_s",
                                   "chosen", "training_sequences"], meta))


if __name__ == "__main__":
    main()
