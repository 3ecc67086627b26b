"""Shared fixtures: a private BINDREG_HOME, small real-format input files, the shared data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
BIN = Path(sys.executable).parent


@pytest.fixture(autouse=True, scope="session")
def bindreg_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("bindreg_home")
    os.environ["BINDREG_HOME"] = str(home)
    return home


def shared(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not available (shared data sits beside the project)")
    return path


def random_sequences(count: int, length: int = 101, seed: int = 0, motif: str | None = None) -> list[str]:
    rng = np.random.default_rng(seed)
    seqs = ["".join(rng.choice(list("ACGT"), length)) for _ in range(count)]
    if motif:
        seqs = [s[:40] + motif + s[40 + len(motif):] for s in seqs]
    return seqs


@pytest.fixture
def zeng_files(tmp_path) -> Path:
    """A folder in the Zeng release layout: train.data and test.data with a planted motif."""
    folder = tmp_path / "toy_experiment"
    folder.mkdir()
    for name, count, seed in (("train.data", 600, 1), ("test.data", 150, 2)):
        pos = random_sequences(count, seed=seed, motif="CCGCGTGACGTCACGCGG")
        neg = random_sequences(count, seed=seed + 100)
        lines = [f">chr1:{i}-{i + 100} {s} 1" for i, s in enumerate(pos)]
        lines += [f">chr1:{i}-{i + 100}_shuf {s} 0" for i, s in enumerate(neg)]
        (folder / name).write_text("\n".join(lines) + "\n")
    return folder


def bindreg_cli(*args: str, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run the installed ``bindreg`` console script in a subprocess (entry points load for real)."""
    result = subprocess.run([str(BIN / "bindreg"), *args], capture_output=True, text=True,
                            env={**os.environ, **(env or {})}, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"bindreg {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result


@pytest.fixture(scope="session")
def compendium(tmp_path_factory) -> Path:
    """A small generated compendium (3 Mb genome, CTCF with co-factor YY1, 600 sites), built once."""
    from bindreg.compendium import generate_compendium

    folder = tmp_path_factory.mktemp("compendium") / "ctcf"
    generate_compendium(folder, "CTCF:YY1", genome_mb=3, sites_per_tf=600, seed=11)
    return folder


def write_genome(path: Path, records: dict[str, str]) -> Path:
    path.write_text("".join(f">{name}\n" + "\n".join(seq[i:i + 60] for i in range(0, len(seq), 60)) + "\n"
                            for name, seq in records.items()))
    return path
