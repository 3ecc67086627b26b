"""Every registered architecture builds, maps (N, 4, 1, L) to (N, 2), and exports to ONNX faithfully."""

from __future__ import annotations

import numpy as np
import pytest
from mxnet import cpu, nd

from bindreg.host.plugins import get_registry
from bindreg.train.training import build_network

ARCHITECTURES = sorted(get_registry().architectures.names())
#: MXNet 1.9's exporter cannot write these (gluonnlp's Transformer encoder); bundles note it instead.
NO_ONNX = {"cnn_transformer"}


def _inputs(count: int = 8, length: int = 101) -> np.ndarray:
    codes = np.random.default_rng(0).integers(0, 4, (count, length))
    return np.eye(4, dtype=np.float32)[codes].transpose(0, 2, 1)[:, :, None, :].copy()


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_onnx_export_matches_mxnet(name, tmp_path):
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from bindreg.train.export import export_onnx

    architecture = get_registry().architectures.get(name)
    hparams = {key: choices[0] for key, choices in architecture.space.items()}
    net = build_network(architecture, hparams, 101, seed=0, ctx=cpu())
    x = _inputs()
    expected = net(nd.array(x)).asnumpy()
    assert expected.shape == (8, 2)
    net.export(str(tmp_path / "model"))
    if name in NO_ONNX:
        from bindreg.hub.bundle import try_export_onnx

        note = try_export_onnx(tmp_path, 101, name)
        assert note.startswith(f"no ONNX export for {name}") and "\n" not in note
        return
    path = export_onnx(tmp_path / "model-symbol.json", tmp_path / "model-0000.params", 101,
                       tmp_path / "model.onnx", batch=8)
    onnx.checker.check_model(onnx.load(str(path)))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_wrong_input_length_is_one_clear_error():
    from bindreg.core.errors import BindregError

    architecture = get_registry().architectures.get("3layer_local_win3")
    with pytest.raises(BindregError, match="does not accept 20 bp inputs"):
        build_network(architecture, {"dropout": 0.5}, 20, seed=0, ctx=cpu())
