"""Scoring exported models: MXNet (symbol + params), or onnxruntime alone (model.onnx)."""

import bindreg
from bindreg.catalog import Engine
from bindreg.score.engines import load_mxnet, load_onnxruntime


@bindreg.hookimpl
def register_engines(register):
    register(Engine("mxnet", "the exported MXNet graph (any model; whole-sequence mode too)", load_mxnet))
    register(Engine("onnxruntime", "model.onnx through onnxruntime, without MXNet (fixed-length windows)",
                    load_onnxruntime))
