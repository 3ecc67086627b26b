"""Scoring sequences of any length with an exported network, through MXNet or onnxruntime alone.

Two modes (``--mode``), and ``auto``, which depends on the model only, never on the engine:
``whole`` for a model trained on sequences of any length (``bindreg run --any-length``), else
``windows``; so ``--engine mxnet`` and ``--engine onnxruntime`` give the same scores (1e-5)
for the same input and mode.

``whole`` (MXNet, global-max networks): each sequence is scored whole, in padded batches
with the padding masked out (``bindreg.varlen``); a sequence of the model's length scores
as on the fixed-length path. The ONNX graph has a fixed input length, so onnxruntime
refuses it (one line naming the fix).

``windows``: the network sees its fixed input length ``L`` (recorded in ``bundle.json``):

- a sequence of exactly ``L`` bp is scored as it is;
- a longer one is cut into windows of ``L`` bp every ``stride`` bases (default 1,
  plus one window flush with the end), and its score is the highest window score:
  "is there a binding site anywhere in it?", the question the paper's models answer;
- a shorter one is centred and padded with N (all-zero columns) to ``L`` bp, the
  encoding the networks already see for N.

The score is P(bound), the softmax of the two output logits, as in ``test_predictions.csv``.
``--engine onnxruntime`` imports neither MXNet nor bindreg's training code.
"""

from __future__ import annotations

import csv
import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import BindregError
from ..core.sequences import SequenceSet, one_hot

ENGINES = ("mxnet", "onnxruntime")
MODES = ("auto", "whole", "windows")


@dataclass
class Scorer:
    """Logits for ``x: shape=(n, 4, 1, L)`` float32 -> ``(n, 2)``, from one engine."""

    engine: str
    input_length: int
    run_batch: object
    batch: int
    #: The run trained on both strands (``--both-strands``): score as the mean over both, as it was tested.
    both_strands: bool = False

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """P(bound) ``(n,)`` float64 for ``x: (n, 4, 1, L)``; batches are padded to the model's batch."""
        scores = []
        for start in range(0, len(x), self.batch):
            chunk = x[start:start + self.batch]
            logits = np.asarray(self.run_batch(chunk), dtype=np.float64)[:len(chunk)]
            # Softmax in float32 like MXNet's nd.softmax, so both engines round alike.
            logits32 = logits.astype(np.float32)
            shifted = np.exp(logits32 - logits32.max(axis=1, keepdims=True))
            scores.append((shifted[:, 1] / shifted.sum(axis=1)).astype(np.float64))
        return np.concatenate(scores) if scores else np.zeros(0)


def load_scorer(bundle: Path, engine: str = "mxnet") -> Scorer:
    """A scorer for a bundle or run directory (``model-symbol.json``, ``model-0000.params``,
    ``model.onnx``, ``bundle.json``)."""
    bundle = Path(bundle)
    info = bundle_info(bundle)
    length = int(info["input_length"])
    if engine == "onnxruntime":
        onnx_path = bundle / "model.onnx"
        if not onnx_path.exists():
            why = info.get("onnx_note") or "publish the run (bindreg publish) or use --engine mxnet"
            raise BindregError(f"{bundle}: no model.onnx; {why}")
        try:
            import onnxruntime as ort
        except ImportError:
            raise BindregError("onnxruntime is not installed; pip install onnxruntime, or use --engine mxnet") \
                from None
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

        return Scorer(engine, length, run_onnx, batch, both_strands=bool(info.get("both_strands")))
    if engine == "mxnet":
        import mxnet as mx
        from mxnet import gluon

        with warnings.catch_warnings():  # "Cannot decide type for ... data": it is float32, given below
            warnings.simplefilter("ignore", UserWarning)
            net = gluon.SymbolBlock.imports(str(bundle / "model-symbol.json"), ["data"],
                                            str(bundle / "model-0000.params"), ctx=mx.cpu())
        return Scorer(engine, length, lambda chunk: net(mx.nd.array(chunk, dtype="float32")).asnumpy(), 1000,
                      both_strands=bool(info.get("both_strands")))
    raise BindregError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")


def onnx_batch(session, info: dict) -> int:
    """The batch the ONNX graph was exported with: its input shape says, whatever ``bundle.json``
    (absent in a run directory) claims; a symbolic batch takes ``bundle.json``'s or 64."""
    declared = session.get_inputs()[0].shape[0]
    if isinstance(declared, int) and declared > 0:
        return declared
    return int(info.get("onnx_batch", 64))


def bundle_info(directory: Path) -> dict:
    """``bundle.json`` of a bundle, or the same facts read from a run directory's ``run.json``."""
    directory = Path(directory)
    if (directory / "bundle.json").exists():
        return json.loads((directory / "bundle.json").read_text())
    if (directory / "run.json").exists():
        run = json.loads((directory / "run.json").read_text())
        metrics = json.loads((directory / "metrics.json").read_text()) if (directory / "metrics.json").exists() else {}
        return {"input_length": run["sequence_length"], "model": run["model"],
                "both_strands": metrics.get("protocol", {}).get("both_strands", False),
                "trained_any_length": bool(run.get("any_length", False))}
    raise BindregError(f"{directory}: neither a model bundle (bundle.json) nor a run directory (run.json); "
                       "give a published NAME[@VERSION] pulled with `bindreg pull`, or a run directory")


def windows(sequences: list[str], length: int, stride: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """One-hot windows ``(w, 4, 1, length)`` float32 and, per window, the index of its sequence.

    Longer sequences give a window every ``stride`` bases plus one flush with the end;
    shorter ones are centred and padded with N.
    """
    from ..train.varlen import centre_pad

    if stride < 1:
        raise BindregError(f"stride {stride} must be at least 1")
    pieces: list[str] = []
    owners: list[int] = []
    for index, sequence in enumerate(sequences):
        if len(sequence) <= length:
            pieces.append(centre_pad(sequence, length))
            owners.append(index)
            continue
        starts = list(range(0, len(sequence) - length + 1, stride))
        if starts[-1] != len(sequence) - length:
            starts.append(len(sequence) - length)
        pieces.extend(sequence[s:s + length] for s in starts)
        owners.extend([index] * len(starts))
    x = one_hot(pieces).astype(np.float32)[:, :, None, :]
    return x, np.asarray(owners, dtype=np.int64)


def score(scorer: Scorer, sequences: list[str], stride: int = 1) -> np.ndarray:
    """P(bound) per sequence ``(n,)``: the best window for long sequences, N-padded for short ones."""
    if not sequences:
        return np.zeros(0)
    x, owners = windows(sequences, scorer.input_length, stride)
    per_window = scorer.probabilities(x)
    if scorer.both_strands:  # reverse complement: flip bases (A C G T order) and positions
        per_window = (per_window + scorer.probabilities(np.ascontiguousarray(x[:, ::-1, :, ::-1]))) / 2
    best = np.full(len(sequences), -np.inf)
    np.maximum.at(best, owners, per_window)
    return best


def read_sequences(fasta: Path) -> SequenceSet:
    """FASTA records of any length, checked for the ACGTN alphabet."""
    from ..data.formats import read_fasta

    records = read_fasta(Path(fasta))
    if not records.sequences:
        raise BindregError(f"{fasta}: no sequences found; give a FASTA file with at least one record")
    for index, sequence in enumerate(records.sequences):
        # The alphabet check of SequenceSet, one record at a time (lengths may differ here).
        SequenceSet([records.names[index]], [sequence], None, records.origin, [records.lines[index]]).check()
        if not sequence:
            raise BindregError(f"{records.where(index)}: record {records.names[index]!r} is empty")
    return records


def choose_mode(directory: Path, engine: str, mode: str) -> str:
    """``whole`` or ``windows`` for ``mode`` (auto, whole or windows).

    ``auto`` is the mode the model was tested in, whatever the engine: ``whole`` for a model
    trained on sequences of any length, ``windows`` for one trained on one length (the paper's
    "is there a site anywhere?", and what ``test.expect`` checks). ``whole`` needs MXNet.
    """
    if mode not in MODES:
        raise BindregError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
    if engine not in ENGINES:
        raise BindregError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    chosen = mode
    if mode == "auto":
        chosen = "whole" if bundle_info(directory).get("trained_any_length") else "windows"
    if chosen == "whole" and engine != "mxnet":
        why = "this model was trained on whole sequences of any length, so auto means whole; " \
            if mode == "auto" else ""
        raise BindregError(f"{directory}: {why}--mode whole needs --engine mxnet (the ONNX export has a fixed "
                           "input length); use --engine mxnet, or --mode windows with onnxruntime")
    return chosen


def score_sequences(directory: Path, sequences: list[str], engine: str = "mxnet", mode: str = "auto",
                    stride: int = 1) -> tuple[np.ndarray, str]:
    """P(bound) per sequence with the model in ``directory``, and the mode used (``whole``/``windows``)."""
    chosen = choose_mode(directory, engine, mode)
    if chosen == "whole":
        from ..train.varlen import LengthAwareScorer

        return LengthAwareScorer(directory).probabilities(sequences), chosen
    return score(load_scorer(directory, engine), sequences, stride), chosen


def predict_fasta(model: str, fasta: Path, engine: str = "mxnet", out: Path | None = None,
                  stride: int = 1, mode: str = "auto") -> tuple[list[str], np.ndarray]:
    """Score every record of ``fasta`` with ``model`` (NAME[@VERSION] in the cache, a bundle or a run
    directory); write ``name<TAB>score`` to ``out`` when given. Returns names and scores."""
    names, scores, _ = predict_fasta_with_mode(model, fasta, engine, out, stride, mode)
    return names, scores


def predict_fasta_with_mode(model: str, fasta: Path, engine: str = "mxnet", out: Path | None = None,
                            stride: int = 1, mode: str = "auto") -> tuple[list[str], np.ndarray, str]:
    """``predict_fasta`` that also says which mode scored the sequences."""
    from ..core.fsutil import write_text_atomic
    from ..hub.pull import resolve_local

    directory = resolve_local(model)
    records = read_sequences(fasta)
    scores, chosen = score_sequences(directory, records.sequences, engine, mode, stride)
    if out is not None:
        lines = ["name\tscore"] + [f"{n}\t{s!r}" for n, s in zip(records.names, scores.tolist())]
        write_text_atomic(Path(out), "\n".join(lines) + "\n")
    return records.names, scores, chosen


def read_predictions(path: Path) -> dict[str, float]:
    """``name -> score`` from ``test_predictions.csv`` (comma) or a ``bindreg predict`` TSV."""
    text = Path(path).read_text()
    dialect = "excel-tab" if "\t" in text.splitlines()[0] else "excel"
    return {row["name"]: float(row["score"]) for row in csv.DictReader(text.splitlines(), dialect=dialect)}
