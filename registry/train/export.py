"""ONNX export of a run's network, for scoring with onnxruntime alone."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


def export_onnx(symbol: Path, params: Path, input_length: int, path: Path, batch: int = 1) -> Path:
    """Write ``path`` (.onnx) from an exported MXNet symbol + params for ``(batch, 4, 1, input_length)``.

    The networks are Conv2D over ``(N, 4, 1, L)`` and pool with TopK because MXNet
    1.9's exporter rejects 1-D convolution layouts and writes ReduceMax in a form
    that ONNX opset 18+ refuses (docs/architectures.md).
    """
    from mxnet import onnx as mx_onnx

    path = Path(path)
    scratch = path.with_name(f".{path.name}.tmp")
    try:
        mx_onnx.export_model(str(symbol), str(params), in_shapes=[(batch, 4, 1, input_length)],
                             in_types=[np.float32], onnx_file_path=str(scratch))
        os.replace(scratch, path)
    finally:
        scratch.unlink(missing_ok=True)
    return path
