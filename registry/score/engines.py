"""Prediction engines: what turns one-hot windows into logits for an exported model.

Built-in: ``mxnet`` (the exported symbol and params) and ``onnxruntime`` (``model.onnx``, without
MXNet). A plugin adds one with ``register_engines``; the built-ins are found without loading
plugins, so scoring with them never imports the plugin loader's catalogue of networks.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..core.errors import BindregError

RunBatch = Callable[[np.ndarray], np.ndarray]


def p_bound(logits) -> np.ndarray:
    """P(bound) ``(n,)`` float64 from logits ``(n, 2)``: the softmax in float32, as MXNet's
    ``nd.softmax`` computes it, so every engine and path rounds alike."""
    logits32 = np.asarray(logits, dtype=np.float32)
    shifted = np.exp(logits32 - logits32.max(axis=1, keepdims=True))
    return (shifted[:, 1] / shifted.sum(axis=1)).astype(np.float64)


def load_onnxruntime(bundle: Path, info: dict) -> tuple[RunBatch, int]:
    """``model.onnx`` through onnxruntime alone; its graph has a fixed batch (``onnx_batch``)."""
    length = int(info["input_length"])
    onnx_path = Path(bundle) / "model.onnx"
    if not onnx_path.exists():
        why = info.get("onnx_note") or "publish the run (bindreg publish) or use --engine mxnet"
        raise BindregError(f"{bundle}: no model.onnx; {why}")
    try:
        import onnxruntime as ort
    except ImportError:
        raise BindregError("onnxruntime is not installed; pip install onnxruntime, or use --engine mxnet") from None
    options = ort.SessionOptions()
    options.log_severity_level = 3  # MXNet's exporter lists weights as graph inputs; ORT warns once per weight
    session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    batch = onnx_batch(session, info)

    def run_onnx(chunk: np.ndarray) -> np.ndarray:
        # The exported graph has a fixed batch; pad the last chunk with N (zeros).
        padded = np.zeros((batch, 4, 1, length), dtype=np.float32)
        padded[:len(chunk)] = chunk
        return session.run(None, {input_name: padded})[0]

    return run_onnx, batch


def onnx_batch(session, info: dict) -> int:
    """The batch the ONNX graph was exported with: its input shape says, whatever ``bundle.json``
    (absent in a run directory) claims; a symbolic batch takes ``bundle.json``'s or 64."""
    declared = session.get_inputs()[0].shape[0]
    if isinstance(declared, int) and declared > 0:
        return declared
    return int(info.get("onnx_batch", 64))


def import_network(directory: Path, symbol: str, inputs: list[str]):
    """A Gluon ``SymbolBlock`` from ``directory/symbol`` and ``model-0000.params`` on the CPU; a missing or
    damaged file is one line naming the folder (MXNet's own errors are multi-line C++ traces)."""
    import mxnet as mx
    from mxnet import gluon

    directory = Path(directory)
    for name in (symbol, "model-0000.params"):
        if not (directory / name).is_file():
            raise BindregError(f"{directory}: no {name}; give a bundle or a finished run directory")
    try:
        with warnings.catch_warnings():  # "Cannot decide type for ... data": it is float32, given below
            warnings.simplefilter("ignore", UserWarning)
            return gluon.SymbolBlock.imports(str(directory / symbol), inputs, str(directory / "model-0000.params"),
                                             ctx=mx.cpu())
    except Exception as exc:  # noqa: BLE001 - MXNet raises MXNetError, ValueError, AssertionError...
        first = next((line.strip() for line in reversed(str(exc).splitlines()) if line.strip()), type(exc).__name__)
        raise BindregError(f"{directory}: MXNet cannot load {symbol} with model-0000.params ({first[:160]}); "
                           "the model files are damaged, export or pull the model again") from None


def load_mxnet(bundle: Path, info: dict) -> tuple[RunBatch, int]:
    """``model-symbol.json`` + ``model-0000.params`` as a Gluon ``SymbolBlock`` on the CPU."""
    import mxnet as mx

    net = import_network(Path(bundle), "model-symbol.json", ["data"])
    return (lambda chunk: net(mx.nd.array(chunk, dtype="float32")).asnumpy()), 1000


BUILTIN = {"mxnet": load_mxnet, "onnxruntime": load_onnxruntime}


def engine_loader(name: str) -> Callable[[Path, dict], tuple[RunBatch, int]]:
    """The ``load`` of engine ``name``: a built-in, else one a plugin registered."""
    if name in BUILTIN:
        return BUILTIN[name]
    from ..host.plugins import get_registry

    return get_registry().engines.get(name).load
