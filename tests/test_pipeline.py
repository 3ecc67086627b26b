"""The DVC pipeline, for real: a fresh copy of the repository, `dvc repro` offline end to end on a
tiny compendium and model matrix, then a second `dvc repro` that runs nothing."""

from __future__ import annotations

import pytest

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

pytestmark = pytest.mark.slow  # every test here trains, publishes or pulls

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _sh(args: list[str], cwd: Path, env: dict) -> str:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout + result.stderr


def test_dvc_repro_from_a_fresh_copy_then_nothing_to_do(tmp_path):
    repo = tmp_path / "repo"
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in tracked.split("\n"):
        if name and (ROOT / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repo / name)
    # A smaller matrix and compendium than the bundled default, so the test takes about a minute.
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params.update(experiments=["CTCF"], models=["1layer", "pwm"], sizes=[])
    (repo / "params.yaml").write_text(yaml.safe_dump(params))
    (repo / "pipeline" / "inputs" / "compendium.json").write_text(json.dumps(
        {"tfs": "CTCF", "genome_mb": 2.0, "sites_per_tf": 600, "seed": 7}))
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "BINDREG_HOME": str(tmp_path / "home"),
           "DVC_NO_ANALYTICS": "1", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    _sh(["git", "init", "-q"], repo, env)
    _sh(["git", "add", "-A"], repo, env)
    _sh(["git", "commit", "-qm", "copy"], repo, env)
    dry = _sh([str(BIN / "dvc"), "repro", "--dry"], repo, env)
    for stage in ("generate", "prepare@CTCF", "train@CTCF-1layer", "train@CTCF-pwm", "compare"):
        assert f"Running stage '{stage}'" in dry, dry
    assert not (repo / "data").exists() and not (repo / "runs").exists()
    first = _sh([str(BIN / "dvc"), "repro"], repo, env)
    assert "Running stage 'compare'" in first
    # Every file the stages wrote is a declared output (or DVC's own dvc.lock and .gitignore entries); the
    # stamps are rewritten (this copy changed the compendium spec, so they differ from the committed ones).
    status = _sh(["git", "status", "--porcelain", "--ignored", "--untracked-files=all"], repo, env)
    declared = ("data/compendium/", "data/stores/CTCF.zarr/", "runs/cells/CTCF-1layer/", "runs/cells/CTCF-pwm/",
                "reports/cells/CTCF-1layer/", "reports/cells/CTCF-pwm/", "runs/compare/", "reports/compare/")
    for line in status.splitlines():
        path = line[3:]
        if line[:2] == " M" and path.startswith("pipeline/state/"):
            continue
        assert line[:2] in ("??", "!!") and (path in ("dvc.lock",) or path.endswith(".gitignore")
                                              or path.startswith(declared) or path.startswith(".dvc/")), line
    assert (repo / "reports" / "compare" / "report.html").exists()
    second = _sh([str(BIN / "dvc"), "repro"], repo, env)
    assert "Running stage" not in second and "up to date" in second
    metrics = _sh([str(BIN / "dvc"), "metrics", "show"], repo, env)
    assert "median_auc.1layer" in metrics and "median_auc.pwm" in metrics


def test_stamps_are_the_same_bytes_for_the_same_inputs(tmp_path):
    from bindreg.experiment.stamps import stamp

    spec = tmp_path / "spec.json"
    spec.write_text('{"tfs": "CTCF"}')
    first = stamp(tmp_path / "a.json", [spec], "discovery CTCF")
    assert stamp(tmp_path / "b.json", [spec], "discovery CTCF") == first
    assert (tmp_path / "a.json").read_bytes() != b"" and stamp(tmp_path / "c.json", [spec], "discovery GATA1") != first
    spec.write_text('{"tfs": "GATA1"}')
    assert stamp(tmp_path / "d.json", [spec], "discovery CTCF") != first


def test_the_committed_stamps_match_the_bundled_pipeline():
    """A fresh clone's `dvc repro` rewrites pipeline/state/ with the bytes git holds (params.yaml's matrix)."""
    import tempfile

    from bindreg.experiment.stamps import stamp

    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    state = ROOT / "pipeline" / "state"
    with tempfile.TemporaryDirectory() as scratch:
        import os as _os

        here = _os.getcwd()
        _os.chdir(ROOT)
        try:
            out = Path(scratch)
            assert stamp(out / "g.json", [Path("pipeline/inputs/compendium.json")]) == \
                json.loads((state / "generate.json").read_text())["digest"]
            for tf in params["experiments"]:
                assert stamp(out / "p.json", [Path("pipeline/state/generate.json")], f"discovery {tf}") == \
                    json.loads((state / f"prepare-{tf}.json").read_text())["digest"]
                for model in params["models"]:
                    assert stamp(out / "t.json", [Path(f"pipeline/state/prepare-{tf}.json")],
                                 f"{model} {params['budget']} {params['seed']}") == \
                        json.loads((state / f"train-{tf}-{model}.json").read_text())["digest"]
        finally:
            _os.chdir(here)
