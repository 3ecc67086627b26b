"""Shared bits of the benchmarks: where results go, and printing a Markdown table."""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def save(name: str, rows: list[dict], header: list[str], meta: dict) -> str:
    """Write ``results/NAME.json`` and ``results/NAME.md``; return the Markdown table."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row.get(h, "")) for h in header) + " |")
    table = "\n".join(lines)
    (RESULTS / f"{name}.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(table + "\n")
    return table


def _cell(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def thread_env(threads: int) -> dict:
    """The environment of a framework's worker: ``threads`` > 0 pins OpenMP to that count for
    both frameworks; 0 leaves each at its own default (PyTorch: all cores; MXNet: half of them,
    which measured fastest for these small steps; bindreg's numba kernels: all cores)."""
    import os

    env = dict(os.environ)
    env.pop("OMP_NUM_THREADS", None)
    return {**env, "OMP_NUM_THREADS": str(threads)} if threads else env


THREADS_HELP = "OpenMP threads for both frameworks; 0 (default): each framework's own default"
