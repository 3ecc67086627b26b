"""Clock and worker time of a sweep's runs, from their records: a run store or a report's runs/.

    python scripts/sweep_clock.py docs/results/compare-paper/runs [--commits 8fb117f,16903d1,aa85132]

Clock is the union of the runs' intervals (``run.json`` ``created_at`` less data preparation, plus
``metrics.json`` ``wall_seconds.total``), as in a report's Compute section, so the time between
pieces of a sweep does not count. ``--commits`` keeps only runs whose ``run.json`` names one of
these git commits (prefixes): the runs of one sweep among records of several.
"""
import argparse
import json
from pathlib import Path

from bindreg.experiment.standing import elapsed

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("root", type=Path)
parser.add_argument("--commits", default="", help="comma-separated git commit prefixes to keep")
args = parser.parse_args()
commits = [c for c in args.commits.split(",") if c]
results = []
for run_file in sorted(args.root.rglob("run.json")):
    metrics_file = run_file.parent / "metrics.json"
    if not metrics_file.exists():
        continue
    run = json.loads(run_file.read_text())
    commit = (run.get("code") or {}).get("git_commit") or ""
    if commits and not any(commit.startswith(c) for c in commits):
        continue
    results.append({"run": run, "metrics": json.loads(metrics_file.read_text())})
worker = sum(r["metrics"]["wall_seconds"].get("total", 0.0) for r in results)
clock = elapsed(results) or 0.0
sized = sum(1 for r in results if r["run"].get("train_size"))
print(f"{len(results)} runs ({sized} data-size): clock {clock / 3600:.2f} h, worker time {worker / 3600:.2f} h")
