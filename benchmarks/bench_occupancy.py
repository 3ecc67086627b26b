"""The paper's task comparison on the generated compendium: CNN test AUROC on motif discovery,
motif occupancy and the position-uncontrolled occupancy variant (Supplementary Fig. S2), for the
same TF and the same peaks.

Expected shape (Zeng et al. 2016, section 5): occupancy clearly below discovery; on the
position-uncontrolled variant local pooling (1layer_local_win3/win9) above global pooling (1layer).

    python benchmarks/bench_occupancy.py [--tfs CTCF] [--genome-mb 20] [--sites 3000] [--budget demo]
"""

from __future__ import annotations

import argparse
import time

from _common import RESULTS, save
from bindreg.host.catalog import GenomeInputs
from bindreg.data.compendium import generate_compendium, parse_tfs
from bindreg.data.datasets import prepare_from_genome
from bindreg.experiment.runs import run
from bindreg.data.store import provenance
from bindreg.train.training import BUDGETS

EXPERIMENTS = [  # (label, task, position_uncontrolled, models)
    ("discovery", "discovery", False, ["1layer"]),
    ("occupancy", "occupancy", False, ["1layer", "1layer_local_win3"]),
    ("occupancy, motif position uncontrolled (S2)", "occupancy", True,
     ["1layer", "1layer_local_win3", "1layer_local_win9"]),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tfs", default="CTCF")
    parser.add_argument("--genome-mb", type=float, default=20.0)
    parser.add_argument("--sites", type=int, default=3000)
    parser.add_argument("--budget", default="demo", choices=sorted(BUDGETS))
    parser.add_argument("--seed", type=int, default=2016)
    args = parser.parse_args()
    pairs = parse_tfs(args.tfs)
    spec = "_".join(f"{tf}-{cofactor}" for tf, cofactor in pairs)
    folder = RESULTS / f"compendium_{spec}_{args.genome_mb:g}mb_{args.sites}_{args.seed}"
    if not (folder / "compendium.json").exists():
        generate_compendium(folder, args.tfs, args.genome_mb, args.sites, args.seed)
    rows = []
    for tf, _ in pairs:
        for label, task, uncontrolled, models in EXPERIMENTS:
            inputs = GenomeInputs(folder / "genome.fa", folder / "peaks" / f"{tf}.narrowPeak",
                                  tf=tf if task == "occupancy" else None, position_uncontrolled=uncontrolled)
            started = time.perf_counter()
            store, dataset = prepare_from_genome(task, inputs, out=RESULTS / "stores" / f"{tf}-{task}-{int(uncontrolled)}.zarr")
            prepare_s = time.perf_counter() - started
            matching = provenance(dataset).get("matching", {})
            for model in models:
                m = run(model, task, str(store), BUDGETS[args.budget], seed=0, runs_root=RESULTS / "runs").metrics
                rows.append({"tf": tf, "experiment": label, "model": model, "test_auroc": m["test"]["auroc"],
                             "samples": int(dataset.sizes["sample"]), "prepare_s": prepare_s,
                             "train_wall_s": m["wall_seconds"]["total"],
                             "ks_gc_after_p": matching.get("gc", {}).get("after", {}).get("pvalue", ""),
                             "ks_score_after_p": matching.get("motif_score", {}).get("after", {}).get("pvalue", "")})
                print(f"{tf} {label:>44} {model:>18}: test AUROC {rows[-1]['test_auroc']:.4f} "
                      f"({rows[-1]['samples']} samples)", flush=True)
    print(save("occupancy", rows, ["tf", "experiment", "model", "test_auroc", "samples", "ks_gc_after_p",
                                   "ks_score_after_p", "prepare_s", "train_wall_s"],
               {"compendium": str(folder), "budget": args.budget, "genome_mb": args.genome_mb, "sites": args.sites,
                "seed": args.seed}))


if __name__ == "__main__":
    main()
