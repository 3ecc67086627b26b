"""cnn_transformer and 1layer_rc: trained and used like any architecture; exports degrade with a note."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bindreg.hub.bundle import build_bundle, check_expectations, try_export_onnx
from bindreg.core.errors import BindregError
from bindreg.train.nets import BothStrandsConvNet
from bindreg.host.plugins import get_registry
from bindreg.score.predict import load_scorer, score
from bindreg.score.whole import VARLEN_SYMBOL

from conftest import bindreg_cli, random_sequences, write_zeng_experiment
from test_varlen import exported


def test_both_architectures_are_registered_by_their_plugin():
    registry = get_registry()
    for name in ("cnn_transformer", "1layer_rc"):
        assert registry.architectures.plugin_of(name).startswith("attention_architectures")
    assert set(registry.architectures.get("cnn_transformer").space) == {"dropout", "epsilon", "heads"}


def test_1layer_rc_exports_to_onnx_and_scores_alike_on_both_engines(tmp_path):
    directory = exported(BothStrandsConvNet(), tmp_path / "run")
    assert try_export_onnx(directory, 101, "1layer_rc") is None
    (directory / "bundle.json").write_text(json.dumps({"input_length": 101, "onnx_batch": 64}))
    sequences = random_sequences(5, 130, seed=8)
    np.testing.assert_allclose(score(load_scorer(directory, "onnxruntime"), sequences),
                               score(load_scorer(directory, "mxnet"), sequences), atol=1e-6)


@pytest.mark.slow
def test_cnn_transformer_runs_predicts_any_length_and_bundles_without_onnx(tmp_path):
    """End to end: bindreg run, bindreg predict of whole peaks, then the bundle that publish and pull
    use: no model.onnx but a one-line note, expectations checked with MXNet only, onnxruntime refused
    with that note."""
    data = write_zeng_experiment(tmp_path / "toy_experiment", train=300, test=100)
    run_dir = tmp_path / "runs" / "transformer"
    printed = bindreg_cli("run", "--model", "cnn_transformer", "--data", str(data), "--budget", "smoke", "-q",
                          "--out", str(run_dir)).stdout
    assert "cnn_transformer on toy_experiment" in printed and (run_dir / VARLEN_SYMBOL).exists()

    fasta = tmp_path / "peaks.fa"
    fasta.write_text("".join(f">peak{i}\n{s}\n" for i, s in enumerate(
        random_sequences(2, 101, seed=1) + random_sequences(1, 700, seed=2) + random_sequences(1, 45, seed=3))))
    result = bindreg_cli("predict", str(run_dir), str(fasta), "--mode", "whole")
    assert result.stderr.strip().endswith("mode: whole") and len(result.stdout.splitlines()) == 5

    bundle = build_bundle(run_dir, tmp_path / "bundle", "tr-toy")
    info = json.loads((bundle / "bundle.json").read_text())
    assert info["onnx"] is False and info["any_length"] is True and not (bundle / "model.onnx").exists()
    assert info["onnx_note"].startswith("no ONNX export for cnn_transformer") and "\n" not in info["onnx_note"]
    assert set(check_expectations(bundle, "tr-toy")) == {"mxnet"}
    with pytest.raises(BindregError, match="no ONNX export for cnn_transformer.*--engine mxnet"):
        load_scorer(bundle, "onnxruntime")
