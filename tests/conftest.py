"""Shared fixtures: a private BINDREG_HOME, small real-format input files, the shared data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

# The dvc CLI would otherwise try to send usage analytics and check for updates over the network.
os.environ.setdefault("DVC_NO_ANALYTICS", "1")
os.environ.setdefault("DVC_TEST", "1")

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
    return write_zeng_experiment(tmp_path / "toy_experiment")


def bindreg_cli(*args: str, env: dict | None = None, check: bool = True,
               cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the installed ``bindreg`` console script in a subprocess (entry points load for real)."""
    result = subprocess.run([str(BIN / "bindreg"), *args], capture_output=True, text=True,
                            env={**os.environ, **(env or {})}, timeout=600, cwd=cwd)
    if check and result.returncode != 0:
        raise AssertionError(f"bindreg {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result


def paths_under(folder: Path) -> list[Path]:
    """Every file and folder below `folder`, safe to call while a command renames or removes them.

    Path.rglob raises when a folder vanishes between being listed and being entered (a finished
    run's `.inflight` folder); os.walk skips it.
    """
    return [Path(parent, name) for parent, names, files in os.walk(folder) for name in names + files]


def write_zeng_experiment(folder: Path, train: int = 600, test: int = 150, motif: str = "CCGCGTGACGTCACGCGG",
                          masked_every: int = 0) -> Path:
    """A Zeng-layout experiment (train.data + test.data) with a planted motif in the positives;
    with ``masked_every=k`` every k-th positive carries none, so AUCs are not all 1."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, count, seed in (("train.data", train, 1), ("test.data", test, 2)):
        pos = random_sequences(count, seed=seed, motif=motif)
        if masked_every:
            pos = [s if i % masked_every else random_sequences(1, seed=seed * 1000 + i)[0] for i, s in enumerate(pos)]
        neg = random_sequences(count, seed=seed + 100)
        lines = [f">chr1:{i}-{i + 100} {s} 1" for i, s in enumerate(pos)]
        lines += [f">chr1:{i}-{i + 100}_shuf {s} 0" for i, s in enumerate(neg)]
        (folder / name).write_text("\n".join(lines) + "\n")
    return folder


@pytest.fixture(scope="session")
def compendium(tmp_path_factory) -> Path:
    """A small generated compendium (3 Mb genome, CTCF with co-factor YY1, 600 sites), built once."""
    from bindreg.data.compendium import generate_compendium

    folder = tmp_path_factory.mktemp("compendium") / "ctcf"
    generate_compendium(folder, "CTCF:YY1", genome_mb=3, sites_per_tf=600, seed=11)
    return folder


def write_genome(path: Path, records: dict[str, str]) -> Path:
    path.write_text("".join(f">{name}\n" + "\n".join(seq[i:i + 60] for i in range(0, len(seq), 60)) + "\n"
                            for name, seq in records.items()))
    return path


def git_project(root: Path, remote: Path) -> Path:
    """A git repository with DVC initialised and ``remote`` (a directory) as its default DVC remote."""
    root.mkdir(parents=True, exist_ok=True)
    remote.mkdir(parents=True, exist_ok=True)
    for command in (["git", "init", "-q", "-b", "main"], ["git", "config", "user.name", "bindreg tests"],
                    ["git", "config", "user.email", "tests@bindreg.invalid"], [str(BIN / "dvc"), "init", "-q"],
                    [str(BIN / "dvc"), "config", "core.analytics", "false"],
                    [str(BIN / "dvc"), "remote", "add", "-d", "store", str(remote)],
                    ["git", "add", "-A"], ["git", "commit", "-q", "-m", "DVC project with a local remote"]):
        subprocess.run(command, cwd=root, check=True, capture_output=True)
    return root


@pytest.fixture(scope="session")
def published(tmp_path_factory):
    """A run smoke-trained in one project, published (stage prod) into a separate local git + DVC
    repository whose DVC remote is a local directory."""
    base = tmp_path_factory.mktemp("published")
    project = base / "project"
    data = write_zeng_experiment(project / "toy_experiment")
    registry = git_project(base / "registry", base / "remote")
    run_dir = project / "runs" / "toy"
    bindreg_cli("run", "--model", "1layer", "--data", str(data), "--budget", "smoke", "-q", "--out", str(run_dir),
                cwd=project)
    result = bindreg_cli("publish", str(run_dir), "--repo", str(registry), "--stage", "prod", cwd=project)
    return {"base": base, "project": project, "registry": registry, "remote": base / "remote", "run": run_dir,
            "name": "1layer-toy-experiment", "publish_output": result.stdout}


def tiny_model(folder: Path, length: int = 101, seed: int = 0) -> Path:
    """A run-like directory holding a real, untrained MXNet ``1layer`` network exported for ``length``
    bp (``model-symbol.json``, ``model-0000.params``, ``run.json``): what predict, score-variants and
    mutagenesis read, made in about a second."""
    import mxnet as mx

    from bindreg.host.plugins import get_registry
    from bindreg.train.tracing import retrace_fixed_length

    folder.mkdir(parents=True, exist_ok=True)
    mx.random.seed(seed)
    net = get_registry().architectures.get("1layer").build({"dropout": 0.5, "rho": 0.9, "epsilon": 1e-6})
    net.initialize(mx.init.Xavier())
    retrace_fixed_length(net, length).export(str(folder / "model"))
    (folder / "run.json").write_text(f'{{"sequence_length": {length}, "model": "1layer"}}\n')
    return folder


def invoke(*args: str):
    """Run the bindreg CLI in this process (``typer.testing.CliRunner``): no interpreter or MXNet start-up."""
    from typer.testing import CliRunner

    from bindreg.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


def assert_one_line_error(result, *needles: str) -> str:
    """Exit status 1, no traceback, stderr exactly one line 'Error: ...' holding every needle."""
    assert result.exit_code == 1, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def exported_model(folder: Path, architecture: str, seed: int = 0, length: int = 101, onnx: bool = False) -> Path:
    """A real Gluon network of ``architecture`` with random weights, exported like a run directory
    (with ``onnx``: and ``model.onnx`` of batch 64, like a bundle)."""
    import mxnet as mx

    from bindreg.host.plugins import get_registry

    mx.random.seed(seed)
    net = get_registry().architectures.get(architecture).build({"dropout": 0.5, "hidden": True})
    net.initialize(mx.init.Normal(0.3), ctx=mx.cpu())
    net.hybridize()
    net(mx.nd.zeros((1, 4, 1, length)))
    folder.mkdir(parents=True, exist_ok=True)
    # Non-zero biases, so that a bias left out would show.
    for param in net.collect_params().values():
        if param.name.endswith("bias"):
            param.set_data(mx.nd.random.normal(0, 0.3, shape=param.shape))
    net(mx.nd.zeros((1, 4, 1, length)))
    net.export(str(folder / "model"))
    info = {"input_length": length, "model": architecture}
    if onnx:
        from bindreg.train.export import export_onnx

        export_onnx(folder / "model-symbol.json", folder / "model-0000.params", length, folder / "model.onnx", batch=64)
        info["onnx_batch"] = 64
    (folder / "bundle.json").write_text(json.dumps(info))
    return folder
