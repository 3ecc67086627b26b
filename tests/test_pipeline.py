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
    first = _sh([str(BIN / "dvc"), "repro"], repo, env)
    assert "Running stage 'compare'" in first
    assert (repo / "reports" / "compare" / "report.html").exists()
    second = _sh([str(BIN / "dvc"), "repro"], repo, env)
    assert "Running stage" not in second and "up to date" in second
    metrics = _sh([str(BIN / "dvc"), "metrics", "show"], repo, env)
    assert "median_auc.1layer" in metrics and "median_auc.pwm" in metrics
