"""Publishing: a DVC artifact in dvc.yaml, GTO tags, the archive in the remote; twice is harmless."""

from __future__ import annotations

import subprocess

import yaml

from bindreg.publish import publish_lock

from conftest import bindreg_cli


def _git(registry, *args):
    return subprocess.run(["git", *args], cwd=registry, check=True, capture_output=True, text=True).stdout


def test_publish_registers_a_dvc_artifact_with_gto_tags(published):
    registry, name = published["registry"], published["name"]
    assert f"published {name}@v0.0.1 (stage prod)" in published["publish_output"]
    artifact = yaml.safe_load((registry / "dvc.yaml").read_text())["artifacts"][name]
    assert artifact["path"] == f"models/{name}.tar" and artifact["type"] == "model"
    assert len(artifact["meta"]["archive_sha256"]) == 64 and artifact["meta"]["task"] == "discovery"
    tags = _git(registry, "tag", "-l").split()
    assert f"{name}@v0.0.1" in tags and f"{name}#prod#1" in tags
    assert list(published["remote"].rglob("*")), "dvc push left the remote empty"
    assert _git(registry, "status", "--porcelain", "--", "dvc.yaml", "models").strip() == ""


def test_publishing_twice_changes_nothing(published):
    registry, name = published["registry"], published["name"]
    before = (_git(registry, "rev-parse", "HEAD"), _git(registry, "tag", "-l"), (registry / "dvc.yaml").read_text())
    again = bindreg_cli("publish", str(published["run"]), "--repo", str(registry))
    assert f"{name}@v0.0.1 already holds this bundle" in again.stdout
    assert (_git(registry, "rev-parse", "HEAD"), _git(registry, "tag", "-l"), (registry / "dvc.yaml").read_text()) \
        == before


def test_a_concurrent_publish_is_refused_in_one_line(published):
    registry = published["registry"]
    with publish_lock(registry, wait=0):
        result = bindreg_cli("publish", str(published["run"]), "--repo", str(registry), "--wait", "0.5",
                             check=False)
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert "another bindreg publish" in result.stderr and "nothing was published" in result.stderr


def test_publish_needs_a_git_dvc_project(tmp_path, published):
    result = bindreg_cli("publish", str(published["run"]), "--repo", str(tmp_path), check=False)
    assert result.returncode == 1 and "is not a git repository" in result.stderr
    assert "Traceback" not in result.stderr
