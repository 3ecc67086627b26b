"""Crash test (issue 16): `bindreg run` and `bindreg compare` killed (SIGKILL) at random moments.

After every kill nothing partial may look complete: each store in the cache opens and verifies, and
a run directory, if there is one, is whole. A rerun then succeeds and leaves no temporary folder of
a killed process behind. The moments are drawn with a fixed seed: over the duration of an
uninterrupted run, and within 20 ms after a write (a temporary folder) has begun.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from bindreg.data.store import open_store

from conftest import paths_under, write_zeng_experiment

BIN = Path(sys.executable).parent
RUN_FILES = ("metrics.json", "run.json", "test_predictions.csv", "roc.csv", "pr.csv", "card.md")


def _start(args: list[str], home: Path) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "bindreg"), *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "BINDREG_HOME": str(home)})


def _finish(args: list[str], home: Path) -> float:
    started = time.perf_counter()
    process = _start(args, home)
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr.decode()[-2000:]
    return time.perf_counter() - started


def _nothing_partial(home: Path, runs: Path) -> None:
    for store in (home / "datasets").glob("*.zarr") if (home / "datasets").exists() else []:
        open_store(store)  # raises on a partial or damaged store
    for run_dir in (p.parent for p in runs.rglob("run.json")):
        if not any(part.startswith(".") for part in run_dir.relative_to(runs).parts):
            missing = [f for f in RUN_FILES if not (run_dir / f).exists()]
            assert not missing, f"{run_dir} looks like a run but lacks {missing}"


def _leftovers(*folders: Path) -> list[Path]:
    return [p for folder in folders for p in paths_under(folder)
            if p.name.endswith((".tmp", ".old")) or p.parent.name == ".inflight"]


@pytest.mark.slow
def test_runs_killed_at_random_moments_leave_nothing_partial_and_a_rerun_succeeds(tmp_path, capsys):
    data = write_zeng_experiment(tmp_path / "toy", train=400, test=100)
    runs, home = tmp_path / "runs", tmp_path / "home"
    run = ["run", "--model", "kmer_lr", "--data", str(data), "--runs", str(runs), "-q"]
    compare = ["compare", "-d", str(data), "-m", "kmer_lr", "--sizes", "", "--runs", str(runs / "sweep"),
               "-o", str(tmp_path / "report"), "-q", "--no-motifs"]
    # How long an uninterrupted run takes here (its own home and runs folder, so nothing is reused).
    duration = _finish(["run", "--model", "kmer_lr", "--data", str(data), "--runs", str(tmp_path / "ref"), "-q"],
                       tmp_path / "ref-home")
    rng = np.random.default_rng(2016)
    kills, left = 0, 0
    # Each command is killed once at a random moment of its duration and once at a random moment
    # (0-20 ms) after it starts writing a store or a run (a temporary folder appears).
    for command, while_writing in ((run, False), (run, True), (compare, False), (compare, True)):
        earlier = set(_leftovers(runs, home))
        process = _start(command, home)
        if while_writing:
            deadline = time.perf_counter() + 2 * duration
            while process.poll() is None and time.perf_counter() < deadline and \
                    not set(_leftovers(runs, home)) - earlier:
                time.sleep(0.01)
            time.sleep(float(rng.uniform(0.0, 0.02)))
        else:
            time.sleep(float(rng.uniform(0.25, 1.0)) * duration)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
        _nothing_partial(home, runs)
        left = max(left, len(_leftovers(runs, home)))
    # At least one attempt must die before it finishes (the loaded machine's timing varies; an attempt that
    # finished anyway is checked the same way).
    assert kills >= 1
    _finish(run, home)
    _finish(compare, home)
    _nothing_partial(home, runs)
    finished = list((runs / "sweep").rglob("metrics.json"))
    assert len(finished) == 1, finished  # exactly one run of the compare job, whatever the kills left
    assert not _leftovers(runs, home), _leftovers(runs, home)
    with capsys.disabled():
        print(f"\ncrash: {kills} of 4 attempts killed (SIGKILL at seeded moments over {duration:.0f} s), "
              f"up to {left} temporary folder(s) left by them, none after the reruns; nothing partial read")
