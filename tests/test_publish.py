"""Publishing: a DVC artifact in dvc.yaml, GTO tags, the archive in the remote; twice is harmless."""

from __future__ import annotations

import pytest

import subprocess

import yaml

from bindreg.hub.publish import publish_lock

from conftest import BIN, bindreg_cli

pytestmark = pytest.mark.slow  # every test here trains, publishes or pulls


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


def test_a_second_version_keeps_the_first_pullable(published, tmp_path):
    from conftest import git_project

    registry = git_project(tmp_path / "registry", tmp_path / "remote")
    other_run = published["project"] / "runs" / "toy-seed1"
    bindreg_cli("run", "--model", "1layer", "--data", str(published["project"] / "toy_experiment"), "--budget",
                "smoke", "-q", "--seed", "1", "--out", str(other_run))
    bindreg_cli("publish", str(published["run"]), "--repo", str(registry), "--name", "toy")
    second = bindreg_cli("publish", str(other_run), "--repo", str(registry), "--name", "toy", "--stage", "prod")
    assert "published toy@v0.0.2 (stage prod)" in second.stdout
    assert len([p for p in (tmp_path / "remote").rglob("*") if p.is_file()]) == 2
    older = bindreg_cli("pull", "toy@v0.0.1", "--from", str(registry), env={"BINDREG_HOME": str(tmp_path / "h")})
    assert "toy@v0.0.1: downloaded and verified" in older.stdout


def test_a_failed_push_leaves_the_registry_as_it_was(published, tmp_path):
    from conftest import git_project

    not_a_directory = tmp_path / "remote-file"
    registry = git_project(tmp_path / "registry", tmp_path / "unused")
    not_a_directory.write_text("a file where the remote should be\n")
    subprocess.run([str(BIN / "dvc"), "remote", "modify", "store", "url", str(not_a_directory)], cwd=registry,
                   check=True, capture_output=True)
    _git(registry, "commit", "-qam", "remote is a file")
    head = _git(registry, "rev-parse", "HEAD")
    result = bindreg_cli("publish", str(published["run"]), "--repo", str(registry), check=False)
    assert result.returncode == 1 and "dvc push of models/1layer-toy-experiment.tar" in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1
    assert _git(registry, "rev-parse", "HEAD") == head and _git(registry, "tag", "-l") == ""
    assert _git(registry, "status", "--porcelain", "--untracked-files=all", "--", "dvc.yaml", "models") == ""
    assert not (registry / "dvc.yaml").exists()
