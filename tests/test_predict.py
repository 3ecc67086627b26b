"""Scoring sequences of any length: windows for long ones, N padding for short ones, two engines."""

from __future__ import annotations

import numpy as np
import pytest

from bindreg.core.errors import BindregError
from bindreg.score.predict import load_scorer, predict_fasta, score, windows

from conftest import random_sequences


def test_windows_cover_long_sequences_and_pad_short_ones():
    x, owners = windows(["ACGTA" * 3, "ACG"], length=10, stride=3)
    assert x.shape == (4, 4, 1, 10)
    assert owners.tolist() == [0, 0, 0, 1]  # starts 0, 3 and 5 (flush with the end)
    padded = x[3, :, 0, :]
    assert padded[:, :3].sum() == 0 and padded[:, 3:6].sum() == 3 and padded[:, 6:].sum() == 0


def test_long_sequence_scores_its_best_window(published):
    scorer = load_scorer(published["run"], "mxnet")
    planted = random_sequences(1, length=101, seed=5, motif="CCGCGTGACGTCACGCGG")[0]
    background = random_sequences(2, length=101, seed=6)
    long = background[0] + planted + background[1]
    windows_alone = score(scorer, [long[i:i + 101] for i in range(len(long) - 100)])
    assert score(scorer, [long])[0] == pytest.approx(windows_alone.max(), abs=1e-7)
    assert score(scorer, [planted[30:70]])[0] >= 0


@pytest.mark.parametrize("engine", ["mxnet", "onnxruntime"])
def test_predict_fasta_with_either_engine(published, tmp_path, engine):
    from bindreg.hub.bundle import build_bundle

    bundle = build_bundle(published["run"], tmp_path / "bundle", "toy")
    fasta = tmp_path / "x.fa"
    fasta.write_text(">a\n" + "ACGT" * 40 + "\n>b\nACGTN\n")
    names, scores = predict_fasta(str(bundle), fasta, engine, tmp_path / "out.tsv")
    assert names == ["a", "b"] and scores.shape == (2,) and np.all((scores >= 0) & (scores <= 1))
    assert (tmp_path / "out.tsv").read_text().startswith("name\tscore\na\t")


def test_bad_fasta_is_one_clear_error(published, tmp_path):
    fasta = tmp_path / "bad.fa"
    fasta.write_text(">ok\nACGT\n>bad\nACGRT\n")
    with pytest.raises(BindregError, match=r"bad.fa:4: character 'R' at column 4"):
        predict_fasta(str(published["run"]), fasta)


def test_onnxruntime_engine_does_not_import_mxnet(published, tmp_path):
    import subprocess
    import sys

    from bindreg.hub.bundle import build_bundle

    bundle = build_bundle(published["run"], tmp_path / "bundle", "toy")
    fasta = tmp_path / "x.fa"
    fasta.write_text(">a\n" + "ACGT" * 30 + "\n")
    code = ("import sys; from bindreg.predict import predict_fasta; "
            f"predict_fasta({str(bundle)!r}, {str(fasta)!r}, 'onnxruntime'); print('mxnet' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["mxnet", "onnxruntime"])
def test_both_strand_run_is_scored_over_both_strands(tmp_path, engine):
    """A run trained with --both-strands was tested as the mean over strands; its bundle scores so too."""
    import csv

    from bindreg.hub.bundle import build_bundle
    from bindreg.data.store import open_store

    from conftest import bindreg_cli, write_zeng_experiment

    data = write_zeng_experiment(tmp_path / "toy_experiment")
    run_dir = tmp_path / "run"
    bindreg_cli("run", "--model", "1layer", "--data", str(data), "--budget", "smoke", "--both-strands", "-q",
                "--out", str(run_dir))
    with open(run_dir / "test_predictions.csv") as handle:
        rows = list(csv.DictReader(handle))
    import json

    dataset = open_store(json.loads((run_dir / "run.json").read_text())["store"])
    from bindreg.core.sequences import decode

    test = decode(dataset["onehot"].values[dataset["split"].values == "test"])
    bundle = build_bundle(run_dir, tmp_path / "bundle", "toy-both")
    scores = score(load_scorer(bundle, engine), test)
    np.testing.assert_allclose(scores, [float(r["score"]) for r in rows], atol=1e-6)


def test_both_engines_give_the_same_scores_in_the_same_mode(published, tmp_path):
    """One meaning per mode: on sequences longer, shorter and equal to the input length, the CLI with
    MXNet and with onnxruntime picks the same mode (auto -> windows), says so with -o too, and
    prints the same scores to 1e-5."""
    from bindreg.hub.bundle import build_bundle
    from bindreg.score.predict import read_predictions

    from conftest import bindreg_cli

    bundle = build_bundle(published["run"], tmp_path / "bundle", "toy")
    sequences = random_sequences(3, 251, seed=7) + random_sequences(2, 101, seed=8) + random_sequences(2, 60, seed=9)
    fasta = tmp_path / "long.fa"
    fasta.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(sequences)))
    scores, modes = {}, {}
    for engine in ("mxnet", "onnxruntime"):
        out = tmp_path / f"{engine}.tsv"
        result = bindreg_cli("predict", str(bundle), str(fasta), "--engine", engine, "-o", str(out))
        modes[engine] = [line for line in result.stderr.splitlines() if line.startswith("mode: ")]
        assert f"mode windows -> {out}" in result.stdout
        scores[engine] = read_predictions(out)
    assert modes["mxnet"] == modes["onnxruntime"] == ["mode: windows"]
    names = [f"s{i}" for i in range(len(sequences))]
    np.testing.assert_allclose([scores["mxnet"][n] for n in names], [scores["onnxruntime"][n] for n in names],
                               atol=1e-5, rtol=0)


def test_onnx_batch_comes_from_the_graph_not_bundle_json(published, tmp_path):
    """A run directory has no bundle.json; its model.onnx (exported with batch 64) still scores."""
    import shutil

    from bindreg.hub.bundle import build_bundle

    bundle = build_bundle(published["run"], tmp_path / "bundle", "toy")
    run_copy = tmp_path / "run"
    shutil.copytree(published["run"], run_copy)
    shutil.copyfile(bundle / "model.onnx", run_copy / "model.onnx")
    sequences = random_sequences(70, 101, seed=10)  # more than one batch of 64
    onnx = load_scorer(run_copy, "onnxruntime")
    assert onnx.batch == 64
    np.testing.assert_allclose(score(onnx, sequences), score(load_scorer(run_copy, "mxnet"), sequences), atol=1e-5)
