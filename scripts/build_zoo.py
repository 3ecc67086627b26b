"""Build a zoo folder from a run store (docs/zoo.md); the shipped one is registry/zoo.

    python scripts/build_zoo.py --runs /work/runs-paper --out registry/zoo [--version v1.0.0]

For every experiment under RUNS/DATASET/discovery/ and every zoo model (bindnet_gkm with 256 filters,
1layer_128motif) the newest finished run at seed 0 and the paper budget is copied, given its full
card (motif analysis, about 25-60 s each; copies are kept in --work and reused), bundled and
indexed. The run store is only read. Prints what was missing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from bindreg.core.errors import BindregError
    from bindreg.api.zoo_build import MAX_MB, WANTED, build

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, required=True, help="the --runs folder of `bindreg compare`")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "registry" / "zoo",
                        help="zoo folder to write (replaced whole); default: the shipped zoo, registry/zoo")
    parser.add_argument("--version", default="v1.0.0", help="version of every model in this build (vX.Y.Z)")
    parser.add_argument("--work", type=Path, default=None,
                        help="keeps the analysed copies of the runs (default $BINDREG_HOME/zoo-build)")
    parser.add_argument("--models", default=",".join(WANTED),
                        help="comma-separated models; bindnet_gkm needs 256 filters, the others any setting")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budget", default="paper")
    parser.add_argument("--max-mb", type=float, default=MAX_MB)
    parser.add_argument("--keep-others", action="store_true",
                        help="keep the zoo's models that this build does not make (their archives as they are)")
    args = parser.parse_args(argv)
    wanted = {m: WANTED.get(m, {}) for m in args.models.split(",") if m}
    try:
        report = build(args.runs, args.out, args.version, args.work, wanted, args.seed, args.budget, args.max_mb,
                       progress=lambda message: print(message, file=sys.stderr, flush=True),
                       keep_others=args.keep_others)
    except BindregError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    for model in report.models:
        print(f"{model['name']}@{model['version']}\tAUROC {model['auroc']}\t{model['bytes'] / 1e6:.2f} MB\t"
              f"motifs: {', '.join(model['motifs']) or '-'}")
    kept = f" (and {len(report.kept)} kept as they were)" if report.kept else ""
    print(f"{len(report.models)} models{kept}, {report.megabytes:.1f} MB -> {report.zoo}")
    for dataset, model in report.missing:
        print(f"missing: {model} on {dataset} (no finished run at seed {args.seed}, budget {args.budget})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
