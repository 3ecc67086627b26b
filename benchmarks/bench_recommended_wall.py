"""Wall time of `bindreg run --budget paper`: the recommended model against 1layer_128motif.

Runs the two models alternately on each dataset (same machine state for both), each as a fresh
`bindreg run` process, and prints the seconds, their ratio and each run's test AUROC (seed 0). Stop other heavy jobs first; the
1-minute load is printed with every figure.

    python benchmarks/bench_recommended_wall.py -d ../shared/data/zeng_md_stat3_helas3 [-d ...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed_run(model: str, data: str, out: Path) -> tuple[float, float, dict]:
    """``(seconds, test AUROC, gkm-SVM member's fit and wait seconds)`` of one ``bindreg run --budget
    paper`` process (the last empty for a model without a member)."""
    tick = time.perf_counter()
    done = subprocess.run([str(Path(sys.executable).parent / "bindreg"), "run", "--model", model, "--data", data,
                           "--budget", "paper", "--out", str(out), "--quiet"], stdout=subprocess.DEVNULL)
    if done.returncode:
        sys.exit(f"bench_recommended_wall: `bindreg run --model {model} --data {data}` failed (its error above)")
    seconds = time.perf_counter() - tick
    (metrics,) = Path(out).rglob("metrics.json")
    recorded = json.loads(metrics.read_text())
    members = recorded.get("members") or {}
    gkm = {k: members[k] for k in ("gkm_fit_seconds", "gkm_wait_seconds") if k in members}
    return seconds, recorded["test"]["auroc"], gkm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-d", "--data", action="append", required=True)
    parser.add_argument("--model", default="bindnet_gkm")
    parser.add_argument("--reference", default="1layer_128motif")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        for index, data in enumerate(args.data):
            runs = {m: timed_run(m, data, Path(scratch) / f"{index}-{m}") for m in (args.reference, args.model)}
            print(json.dumps({"data": Path(data).name, **{m: round(run[0], 1) for m, run in runs.items()},
                              "ratio": round(runs[args.model][0] / runs[args.reference][0], 2),
                              "test_auroc": {m: round(run[1], 4) for m, run in runs.items()},
                              **runs[args.model][2],
                              "load_1min": os.getloadavg()[0]}), flush=True)


if __name__ == "__main__":
    main()
