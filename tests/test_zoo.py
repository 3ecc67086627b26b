"""The zoo: built from a run store, listed, pulled with every check, used by name; and the shipped one."""

from __future__ import annotations

import json
import shutil
import tarfile

import numpy as np
import pytest

from bindreg.core.errors import BindregError
from bindreg.hub import zoo
from bindreg.api.zoo_build import build, select_runs, zoo_name

from conftest import bindreg_cli, random_sequences

pytestmark = pytest.mark.slow  # trains and publishes (the `published` fixture), pulls every shipped model


@pytest.fixture(scope="module")
def run_store(published, tmp_path_factory):
    """A run store as `bindreg compare` writes it: the published smoke run, an older copy of it, a newer
    data-size run, and a half-written run (``.inflight``)."""
    root = tmp_path_factory.mktemp("runstore") / "runs"
    folder = root / "toy_experiment" / "discovery"
    newest = folder / "1layer-aaaaaaaaaaaa"
    shutil.copytree(published["run"], newest)
    older = folder / "1layer-bbbbbbbbbbbb"
    shutil.copytree(published["run"], older)
    run = json.loads((older / "run.json").read_text())
    (older / "run.json").write_text(json.dumps({**run, "created_at": "2000-01-01T00:00:00+00:00"}))
    subsample = folder / "1layer-n500-dddddddddddd"  # a data-size run, newer: never a zoo model
    shutil.copytree(published["run"], subsample)
    (subsample / "run.json").write_text(json.dumps({**run, "train_size": 500, "created_at": "2999-01-01T00:00:00+00:00"}))
    shutil.copytree(published["run"], folder / "1layer-cccccccccccc.inflight")
    (folder / "1layer-cccccccccccc.inflight" / "metrics.json").unlink()
    return root


@pytest.fixture(scope="module")
def built(run_store, tmp_path_factory):
    out = tmp_path_factory.mktemp("lab") / "zoo"
    report = build(run_store, out, "v1.2.3", work=out.parent / "work", wanted={"1layer": {}, "2layer": {}},
                   budget="smoke")
    return out, report


def test_names_are_factor_cell_line_model():
    assert zoo_name("zeng_md_stat3_helas3", "bindnet") == "stat3-helas3-bindnet"
    assert zoo_name("zeng_md_stat3_helas3", "bindnet_gkm") == "stat3-helas3-bindnet-gkm"
    assert zoo_name("zeng_md_stat3_gm12878", "1layer_128motif") == "stat3-gm12878-1layer-128motif"
    assert zoo_name("ARID3A_K562_ARID3A_(sc-8821)_Stanford", "bindnet") == "arid3a-k562-bindnet"
    assert zoo_name("MYC_H1-hESC_c-Myc_Stanford", "1layer_128motif") == "myc-h1-hesc-1layer-128motif"


def test_build_takes_the_newest_finished_run_and_reports_what_is_missing(run_store, built):
    chosen, missing = select_runs(run_store, {"1layer": {}, "2layer": {}}, budget="smoke")
    assert [p.name for p in chosen.values()] == ["1layer-aaaaaaaaaaaa"]
    assert missing == [("toy_experiment", "2layer")]
    out, report = built
    assert [m["name"] for m in report.models] == ["toy-experiment-1layer"] and report.missing == missing
    index = json.loads((out / "index.json").read_text())
    record = index["models"]["toy-experiment-1layer"]
    assert record["meta"]["tf"] == "TOY" and record["meta"]["model"] == "1layer"
    assert (out / record["versions"]["v1.2.3"]["archive"]).stat().st_size == record["versions"]["v1.2.3"]["bytes"]
    # The run store was only read; the zoo's card has the motif analysis the run's may lack.
    assert (report.models[0]["source"]).endswith("1layer-aaaaaaaaaaaa")


def test_keep_others_rebuilds_only_the_models_it_makes(run_store, built, tmp_path):
    out, _ = built
    lab = tmp_path / "zoo"
    shutil.copytree(out, lab)
    index = json.loads((lab / "index.json").read_text())
    index["models"]["other-model"] = index["models"]["toy-experiment-1layer"]  # another model, its archive shared
    (lab / "index.json").write_text(json.dumps(index))
    report = build(run_store, lab, "v1.2.4", work=out.parent / "work", wanted={"1layer": {}}, budget="smoke",
                   keep_others=True)
    assert report.kept == ["other-model"]
    models = json.loads((lab / "index.json").read_text())["models"]
    assert set(models) == {"toy-experiment-1layer", "other-model"}
    assert set(models["toy-experiment-1layer"]["versions"]) == {"v1.2.4"}
    assert models["other-model"] == index["models"]["other-model"]  # as it was, and its archive is there
    assert (lab / models["other-model"]["versions"]["v1.2.3"]["archive"]).exists()


def test_a_zoo_folder_is_listed_pulled_predicted_and_tested_like_a_registry(built, tmp_path):
    out, _ = built
    listing = bindreg_cli("models", "list", "--from", str(out), "--tf", "toy", cwd=tmp_path).stdout
    assert "toy-experiment-1layer" in listing and "v1.2.3" in listing
    assert "toy-experiment-1layer" not in bindreg_cli("models", "list", "--from", str(out), "--tf", "STAT3",
                                                       cwd=tmp_path).stdout
    pulled = bindreg_cli("pull", "toy-experiment-1layer@v1.2.3", "--from", str(out), cwd=tmp_path).stdout
    assert "downloaded and verified" in pulled and "onnxruntime within" in pulled
    assert "already cached" in bindreg_cli("pull", "toy-experiment-1layer", "--from", str(out), cwd=tmp_path).stdout
    fasta = tmp_path / "x.fa"
    fasta.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(random_sequences(3, 180, seed=11))))
    scores = {}
    for engine in ("mxnet", "onnxruntime"):
        result = bindreg_cli("predict", "toy-experiment-1layer", str(fasta), "--engine", engine, cwd=tmp_path)
        assert "mode: windows" in result.stderr
        scores[engine] = np.array([float(line.split("\t")[1]) for line in result.stdout.splitlines()[1:]])
    np.testing.assert_allclose(scores["mxnet"], scores["onnxruntime"], atol=1e-5, rtol=0)
    assert "test.expect ok" in bindreg_cli("test", "toy-experiment-1layer", cwd=tmp_path).stdout
    shown = json.loads(bindreg_cli("models", "show", "toy-experiment-1layer", "--from", str(out), cwd=tmp_path).stdout)
    assert shown["version"] == "v1.2.3" and shown["cached"]


def test_a_flipped_byte_is_named_and_nothing_is_kept(built, tmp_path, monkeypatch):
    out, _ = built
    damaged = tmp_path / "zoo"
    shutil.copytree(out, damaged)
    archive = damaged / "toy-experiment-1layer@v1.2.3.tar"
    with tarfile.open(archive) as tar:
        inside = tar.getmember("model-0000.params").offset_data + 100
    data = bytearray(archive.read_bytes())
    data[inside] ^= 0xFF
    archive.write_bytes(bytes(data))
    monkeypatch.setenv("BINDREG_HOME", str(tmp_path / "home"))  # an empty cache: the archive is really read
    with pytest.raises(BindregError, match=r"toy-experiment-1layer@v1.2.3: model-0000.params does not match its "
                                           r"sha256"):
        zoo.pull("toy-experiment-1layer@v1.2.3", damaged)
    assert not [p for p in (tmp_path / "home" / "models").rglob("*") if p.is_file()]


def test_unknown_name_is_one_line_with_the_close_names(built):
    out, _ = built
    with pytest.raises(BindregError, match=r"unknown zoo model 'toy-experiment-1layr'; did you mean "
                                           r"'toy-experiment-1layer'"):
        zoo.pull("toy-experiment-1layr", out)


def test_shipped_zoo_is_small_and_every_model_passes_its_checks(tmp_path, monkeypatch):
    """The must-show, offline: every shipped model verifies (sha256 of the archive, the manifest and
    every file; test.expect with MXNet and onnxruntime) and the zoo holds at most 25 MB."""
    from bindreg.hub.pull import recheck
    from bindreg.hub.repository import list_models

    monkeypatch.setenv("BINDREG_HOME", str(tmp_path / "home"))  # a fresh machine: nothing cached yet

    folder = zoo.shipped()
    rows = zoo.list_models()
    assert rows, f"{folder} ships no models; build it with scripts/build_zoo.py"
    assert sum(p.stat().st_size for p in folder.iterdir()) <= 25e6
    assert {r["meta"]["tf"] for r in zoo.list_models(tf="stat3")} == {"STAT3"}
    for row in rows:
        pulled = zoo.pull(row["name"])
        assert pulled.downloaded and set(pulled.worst_difference) == {"mxnet", "onnxruntime"}
        assert max(pulled.worst_difference.values()) <= 1e-5
        assert recheck(row["name"])["worst_difference"]
    import os

    cwd = os.getcwd()
    os.chdir(tmp_path)  # not a git repository: the zoo alone
    try:
        assert [r["name"] for r in list_models()] == [r["name"] for r in rows]
    finally:
        os.chdir(cwd)
    listing = bindreg_cli("models", "list", "--tf", "STAT3", cwd=tmp_path).stdout
    assert "stat3-helas3-" in listing and "arid3a" not in listing
