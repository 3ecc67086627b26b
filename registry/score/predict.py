"""Scoring sequences of any length with an exported network, through MXNet or onnxruntime alone.

Two modes (``--mode``), and ``auto``, which depends on the model only, never on the engine:
``whole`` for a model trained on sequences of any length (``bindreg run --any-length``), else
``windows``; so ``--engine mxnet`` and ``--engine onnxruntime`` give the same scores (1e-5)
for the same input and mode.

``whole`` (MXNet, global-max networks): each sequence is scored whole, in padded batches
with the padding masked out (``bindreg.varlen``); a sequence of the model's length scores
as on the fixed-length path. The ONNX graph has a fixed input length, so other engines
refuse it (one line naming the fix).

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
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import BindregError
from ..core.sequences import SequenceSet, one_hot, over_strands
from .bundles import bundle_info, resolve_local
from .engines import BUILTIN, engine_loader, p_bound
from .gkm_member import COMBINATION_FILE, with_member

ENGINES = tuple(BUILTIN)  # and any engine a plugin registers
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
            scores.append(p_bound(np.asarray(self.run_batch(chunk))[:len(chunk)]))
        return np.concatenate(scores) if scores else np.zeros(0)


def load_scorer(bundle: Path, engine: str = "mxnet") -> Scorer:
    """A scorer for a bundle or run directory (``model-symbol.json``, ``model-0000.params``,
    ``model.onnx``, ``bundle.json``) through engine ``engine`` (built-in or a plugin's)."""
    info = bundle_info(Path(bundle))
    run_batch, batch = engine_loader(engine)(Path(bundle), info)
    return Scorer(engine, int(info["input_length"]), with_member(Path(bundle), run_batch), batch,
                  both_strands=bool(info.get("both_strands")))


def windows(sequences: list[str], length: int, stride: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """One-hot windows ``(w, 4, 1, length)`` float32 and, per window, the index of its sequence.

    Longer sequences give a window every ``stride`` bases plus one flush with the end;
    shorter ones are centred and padded with N.
    """
    from .whole import centre_pad

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
    per_window = over_strands(scorer.probabilities, x, scorer.both_strands)
    best = np.full(len(sequences), -np.inf)
    np.maximum.at(best, owners, per_window)
    return best


def read_sequences(fasta: Path) -> SequenceSet:
    """FASTA records of any length, checked for the ACGTN alphabet."""
    from ..data.formats import read_fasta

    records = read_fasta(Path(fasta))
    if not records.sequences:
        raise BindregError(f"{fasta}: no sequences found; give a FASTA file with at least one record")
    records.refuse_uninformative()
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
    chosen = mode
    if mode == "auto":
        chosen = "whole" if bundle_info(directory).get("trained_any_length") else "windows"
    if chosen == "whole" and (Path(directory) / COMBINATION_FILE).exists():
        raise BindregError(f"{directory}: this model has a gkm-SVM member, which scores windows of its input length "
                           "only; use --mode windows")
    if chosen == "whole" and engine != "mxnet":
        why = "this model was trained on whole sequences of any length, so auto means whole; " \
            if mode == "auto" else ""
        raise BindregError(f"{directory}: {why}--mode whole needs --engine mxnet (the ONNX export has a fixed "
                           f"input length); use --engine mxnet, or --mode windows with {engine}")
    return chosen


def score_sequences(directory: Path, sequences: list[str], engine: str = "mxnet", mode: str = "auto",
                    stride: int = 1) -> tuple[np.ndarray, str]:
    """P(bound) per sequence with the model in ``directory``, and the mode used (``whole``/``windows``)."""
    chosen = choose_mode(directory, engine, mode)
    if chosen == "whole":
        from .whole import LengthAwareScorer

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

    from ..core.fsutil import check_output_file

    if out is not None:
        check_output_file(Path(out), (fasta,))
    directory = resolve_local(model)
    records = read_sequences(fasta)
    scores, chosen = score_sequences(directory, records.sequences, engine, mode, stride)
    if out is not None:
        write_text_atomic(Path(out), predictions_tsv(records.names, scores))
    return records.names, scores, chosen


def predictions_tsv(names: list[str], scores: np.ndarray) -> str:
    """``name<TAB>score`` lines under a header; scores written in full (``repr``), as tests compare them."""
    return "\n".join(["name\tscore"] + [f"{n}\t{s!r}" for n, s in zip(names, scores.tolist())]) + "\n"


def read_predictions(path: Path) -> dict[str, float]:
    """``name -> score`` from ``test_predictions.csv`` (comma) or a ``bindreg predict`` TSV."""
    text = Path(path).read_text()
    dialect = "excel-tab" if "\t" in text.splitlines()[0] else "excel"
    return {row["name"]: float(row["score"]) for row in csv.DictReader(text.splitlines(), dialect=dialect)}
