"""The issue's must-show: publish in one project, pull and predict from an unrelated directory;
a flipped byte in the remote and an archive entry that escapes the cache are refused."""

from __future__ import annotations

import pytest

import io
import json
import subprocess
import tarfile
from pathlib import Path

import numpy as np
from bindreg.score.predict import read_predictions
from bindreg.core.sequences import decode
from bindreg.data.store import open_store

from conftest import bindreg_cli, git_project

pytestmark = pytest.mark.slow  # every test here trains, publishes or pulls


def _elsewhere(tmp_path: Path) -> tuple[Path, dict]:
    """An unrelated directory (no git) and an empty BINDREG_HOME, so that pull really downloads."""
    work = tmp_path / "elsewhere"
    work.mkdir()
    return work, {"BINDREG_HOME": str(tmp_path / "home")}


def _cli_in(cwd: Path, env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return bindreg_cli(*args, env=env, check=check, cwd=cwd)


def test_pull_then_predict_reproduces_the_run_with_mxnet_and_onnxruntime(published, tmp_path):
    work, env = _elsewhere(tmp_path)
    name = published["name"]
    pulled = _cli_in(work, env, "pull", name, "--from", str(published["registry"]))
    assert f"{name}@v0.0.1: downloaded and verified" in pulled.stdout and "onnxruntime within" in pulled.stdout
    run = json.loads((published["run"] / "run.json").read_text())
    dataset = open_store(Path(run["store"]))
    test = dataset["split"].values == "test"
    names = [str(n) for n in dataset["name"].values[test]]
    fasta = work / "test.fa"
    fasta.write_text("".join(f">{n}\n{s}\n" for n, s in zip(names, decode(dataset["onehot"].values[test]))))
    original = read_predictions(published["run"] / "test_predictions.csv")
    for engine in ("mxnet", "onnxruntime"):
        _cli_in(work, env, "predict", name, str(fasta), "--engine", engine, "-o", str(work / f"{engine}.tsv"))
        got = read_predictions(work / f"{engine}.tsv")
        assert list(got) == names
        difference = np.abs(np.array([got[n] for n in names]) - np.array([original[n] for n in names]))
        assert difference.max() <= 1e-6, (engine, difference.max())
    again = _cli_in(work, env, "pull", f"{name}@v0.0.1", "--from", str(published["registry"]))
    assert "already cached" in again.stdout
    assert "test.expect ok" in _cli_in(work, env, "test", name).stdout


def test_models_list_and_show(published):
    listing = bindreg_cli("models", "list", "--from", str(published["registry"])).stdout
    assert published["name"] in listing and "v0.0.1" in listing and "prod: v0.0.1" in listing
    shown = json.loads(bindreg_cli("models", "show", published["name"], "--from", str(published["registry"])).stdout)
    assert shown["version"] == "v0.0.1" and shown["meta"]["model"] == "1layer"
    assert "1layer_local_win9" in bindreg_cli("models").stdout  # architectures, as before


def _remote_archive(remote: Path) -> Path:
    files = [p for p in remote.rglob("*") if p.is_file()]
    assert len(files) == 1, files
    return files[0]


def test_a_flipped_byte_in_the_remote_fails_pull_naming_the_file(published, tmp_path):
    work, env = _elsewhere(tmp_path)
    stored = _remote_archive(published["remote"])
    with tarfile.open(stored) as tar:
        offset = tar.getmember("model-0000.params").offset_data + 100
    original = stored.read_bytes()
    stored.chmod(0o644)
    damaged = bytearray(original)
    damaged[offset] ^= 0xFF
    stored.write_bytes(bytes(damaged))
    try:
        result = _cli_in(work, env, "pull", published["name"], "--from", str(published["registry"]), check=False)
    finally:
        stored.write_bytes(original)
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert "model-0000.params does not match its sha256" in result.stderr
    assert not (tmp_path / "home" / "models" / published["name"]).exists()


def test_tampering_with_a_downloaded_model_fails_bindreg_test(published, tmp_path):
    work, env = _elsewhere(tmp_path)
    _cli_in(work, env, "pull", published["name"], "--from", str(published["registry"]))
    card = tmp_path / "home" / "models" / published["name"] / "v0.0.1" / "card.md"
    card.write_text(card.read_text() + "tampered\n")
    result = _cli_in(work, env, "test", published["name"], check=False)
    assert result.returncode == 1 and "card.md does not match its sha256" in result.stderr


def test_an_archive_entry_escaping_the_cache_is_refused(tmp_path):
    from bindreg.core.fsutil import sha256_file
    from bindreg.hub.publish import _commit_archive, _tag, publish_lock

    evil = tmp_path / "evil.tar"
    with tarfile.open(evil, "w") as tar:
        payload = b"written outside the cache"
        entry = tarfile.TarInfo("../../escaped.txt")
        entry.size = len(payload)
        tar.addfile(entry, io.BytesIO(payload))
    # A project of its own, so that the other tests never meet this model.
    project = git_project(tmp_path / "evil_project", tmp_path / "evil_remote")
    meta = {"model": "1layer", "task": "discovery", "dataset": "evil", "auroc": 1.0,
            "archive_sha256": sha256_file(evil), "manifest_sha256": "0" * 64}
    with publish_lock(project, wait=5):
        _commit_archive(project, "evil", "models/evil.tar", evil, meta)
    _tag(project, "evil", None, None, meta["archive_sha256"])
    work, env = _elsewhere(tmp_path)
    result = _cli_in(work, env, "pull", "evil", "--from", str(project), check=False)
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert "archive entry '../../escaped.txt' would write outside the model cache" in result.stderr
    assert not list(tmp_path.rglob("escaped.txt"))


def test_unknown_model_is_one_line(published, tmp_path):
    work, env = _elsewhere(tmp_path)
    result = _cli_in(work, env, "pull", "1layer-toy-experimen", "--from", str(published["registry"]), check=False)
    assert result.returncode == 1 and "did you mean '1layer-toy-experiment'" in result.stderr
    result = _cli_in(work, env, "predict", "nothing-here", str(work), check=False)
    assert result.returncode == 1 and "bindreg pull nothing-here" in result.stderr


def test_pull_from_a_git_url(published, tmp_path):
    """A URL (here file://) is cloned; the archive still comes from the DVC remote the clone names."""
    work, env = _elsewhere(tmp_path)
    url = published["registry"].as_uri()
    assert published["name"] in _cli_in(work, env, "models", "list", "--from", url).stdout
    pulled = _cli_in(work, env, "pull", f"{published['name']}@v0.0.1", "--from", url)
    assert "downloaded and verified" in pulled.stdout
