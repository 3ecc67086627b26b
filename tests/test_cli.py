"""The command line: a full run, listings, and one-line errors with no traceback."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from bindreg.cli import app

from conftest import bindreg_cli

runner = CliRunner()

RUN_FILES = {"metrics.json", "run.json", "search.jsonl", "training_curve.csv", "test_predictions.csv",
             "roc.csv", "pr.csv", "curves.png", "model-symbol.json", "model-0000.params", "card.md"}


@pytest.mark.slow
def test_run_default_dataset_writes_a_complete_run_directory(tmp_path):
    result = runner.invoke(app, ["run", "--model", "2layer", "--task", "discovery", "--budget", "smoke",
                                 "--quiet", "--runs", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "test AUROC" in result.output and "[reduced budget]" in result.output
    run_dir = tmp_path / "synthetic_ctcf" / "discovery" / "2layer-seed0"
    assert RUN_FILES <= {p.name for p in run_dir.iterdir()}
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert {"auroc", "auprc", "accuracy", "loss"} <= set(metrics["test"])
    assert set(metrics["hyperparameters"]) == {"dropout", "rho", "epsilon"}
    assert metrics["protocol"]["reduced"] and "Reduced budget (smoke)" in (run_dir / "card.md").read_text()
    assert len((run_dir / "search.jsonl").read_text().splitlines()) == 2
    assert not [p for p in tmp_path.rglob(".*tmp")]


def test_listings():
    assert "1layer_local_win9" in runner.invoke(app, ["models"]).output
    assert "zeng_architectures" in runner.invoke(app, ["plugins"]).output
    assert "synthetic_ctcf" in runner.invoke(app, ["data", "list"]).output


@pytest.mark.parametrize("args, message", [
    (["run", "--model", "1layer_128motifs"], "unknown model '1layer_128motifs'; did you mean '1layer_128motif'"),
    (["run", "--model", "1layer", "--task", "discover"], "unknown task 'discover'; did you mean 'discovery'"),
    (["run", "--model", "1layer", "--data", "no/such/file.data"], "unknown dataset 'no/such/file.data'"),
    (["run", "--model", "1layer", "--device", "gpu"], "--device gpu:"),
])
def test_errors_are_one_line(args, message):
    result = bindreg_cli(*args, check=False)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and message in result.stderr, result.stderr


def test_malformed_input_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.data"
    bad.write_text(">a " + "A" * 101 + " 1\n>b " + "A" * 50 + "Z" + "A" * 50 + " 0\n")
    result = bindreg_cli("run", "--model", "1layer", "--data", str(bad), check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{bad}:2: character 'Z' at position 51" in result.stderr


@pytest.mark.slow
def test_data_encode_and_show(tmp_path, zeng_files):
    store = tmp_path / "toy.zarr"
    encoded = runner.invoke(app, ["data", "encode", str(zeng_files), "-o", str(store)])
    assert encoded.exit_code == 0 and "test: 150 positives, 150 negatives" in encoded.output
    shown = runner.invoke(app, ["data", "show", str(store)])
    assert shown.exit_code == 0 and "content sha256" in shown.output
    trained = runner.invoke(app, ["run", "--model", "1layer", "--data", str(store), "--budget", "smoke", "-q",
                                  "--out", str(tmp_path / "run")])
    assert trained.exit_code == 0, trained.output


@pytest.mark.slow
def test_prepare_occupancy_prints_matching_and_trains(tmp_path, compendium):
    store = tmp_path / "occupancy.zarr"
    prepared = bindreg_cli("data", "prepare", "--task", "occupancy", "--genome", str(compendium / "genome.fa"),
                           "--peaks", str(compendium / "peaks" / "CTCF.narrowPeak"), "--tf", "CTCF", "-q",
                           "-o", str(store), "--plot", str(tmp_path / "matching.png"))
    assert "GC content KS: before" in prepared.stdout and "motif score KS: before" in prepared.stdout
    assert (tmp_path / "matching.png").read_bytes()[:4] == b"\x89PNG"
    assert "dropped records: contains_n" in prepared.stdout and "overlapping" in prepared.stdout
    trained = runner.invoke(app, ["run", "--model", "1layer", "--task", "occupancy", "--data", str(store),
                                  "--budget", "smoke", "-q", "--out", str(tmp_path / "run")])
    assert trained.exit_code == 0 and "(occupancy)" in trained.output, trained.output
    refused = bindreg_cli("run", "--model", "1layer", "--task", "occupancy", "--budget", "smoke", "-q", check=False)
    assert refused.returncode == 1 and "built from a genome and peaks" in refused.stderr


def test_generate_compendium_command(tmp_path):
    result = bindreg_cli("data", "generate-compendium", str(tmp_path / "c"), "--tfs", "GATA1", "--genome-mb", "0.5",
                         "--sites", "40", "-q")
    assert "GATA1" in result.stdout and (tmp_path / "c" / "peaks" / "GATA1.narrowPeak").exists()


@pytest.mark.parametrize("case, message", [
    ("missing_chromosome", "p.narrowPeak:2: chromosome 'chr9' is not in the genome genome.fa"),
    ("short_narrowpeak", "p.narrowPeak:1: narrowPeak needs 10 tab-separated columns"),
    ("unknown_tf", "no JASPAR CORE motif named 'NOTATF1'"),
])
def test_bad_genome_inputs_are_one_line(tmp_path, compendium, case, message):
    good = (compendium / "peaks" / "CTCF.narrowPeak").read_text().splitlines()[:3]
    lines = {"missing_chromosome": [good[0], "chr9\t10\t300\t.\t0\t.\t5\t5\t5\t100"],
             "short_narrowpeak": ["chr1\t100000\t100300\t.\t0\t."], "unknown_tf": good}[case]
    peaks = tmp_path / "p.narrowPeak"
    peaks.write_text("\n".join(lines) + "\n")
    result = bindreg_cli("data", "prepare", "--task", "occupancy", "--genome", str(compendium / "genome.fa"),
                         "--peaks", str(peaks), "--tf", "NOTATF1" if case == "unknown_tf" else "CTCF", "-q",
                         "-o", str(tmp_path / "s.zarr"), check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0 and message in result.stderr, result.stderr
    assert not (tmp_path / "s.zarr").exists()
