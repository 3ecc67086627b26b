"""Sequences of any length: one padded batch per length bucket, padding masked out of pooling.

A run of a global-max network exports, beside its fixed-length graph (``model-symbol.json``),
a *length-aware* graph (``model-varlen-symbol.json``) with two inputs: ``x: (N, 4, 1, Lmax)``
right-padded with N (all-zero columns) and ``lengths: (N,)``, each sequence's true length.
Both graphs share ``model-0000.params``. Which output positions count is defined in
``bindreg.nets`` (a position is valid when its whole receptive field lies inside the
sequence); with the padding masked out, a sequence scores the same alone or padded in a
batch, so on sequences of the model's own length this path equals the fixed-length one
(``tests/test_varlen.py`` checks 1e-5).

Batches are made with gluonnlp: ``FixedBucketSampler`` groups sequences of similar length
(little padding) and ``batchify.Pad`` pads each group to its longest member. Sequences
shorter than the length the network was trained on are centred and N-padded to it first,
as on the fixed-length path, so every sequence has at least one valid position.
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np

from .errors import BindregError
from .sequences import one_hot

#: The length-aware graph of a run or bundle (inputs ``data0``: one-hot, ``data1``: lengths).
VARLEN_SYMBOL = "model-varlen-symbol.json"
#: Upper bound on ``batch size x padded length`` per forward pass: bounds memory for long peaks.
BASES_PER_BATCH = 100_000


def export_length_aware(net, directory: Path, input_length: int) -> bool:
    """Write ``VARLEN_SYMBOL`` for ``net`` into ``directory``; False when the network needs a fixed
    length (local pooling at the top) or does not take ``lengths``."""
    from mxnet import base, nd

    net.hybridize(static_alloc=True)  # drops the cached fixed-length graph; the next call traces two inputs
    try:
        net(nd.zeros((1, 4, 1, input_length)), nd.array([input_length]))
    except (BindregError, TypeError, ValueError, base.MXNetError):  # no `lengths` input (a plugin's own net)
        return False
    scratch = Path(tempfile.mkdtemp(prefix=".varlen-", dir=directory))
    try:
        net.export(str(scratch / "model"))
        shutil.copyfile(scratch / "model-symbol.json", Path(directory) / VARLEN_SYMBOL)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return True


def supports_any_length(directory: Path) -> bool:
    return (Path(directory) / VARLEN_SYMBOL).exists()


class LengthAwareScorer:
    """P(bound) for sequences of any length through a bundle's or run's length-aware graph."""

    def __init__(self, directory: Path):
        import mxnet as mx
        from mxnet import gluon

        from .predict import bundle_info

        directory = Path(directory)
        if not supports_any_length(directory):
            model = bundle_info(directory).get("model", "this model")
            raise BindregError(f"{directory}: {model} has no length-aware graph ({VARLEN_SYMBOL}): local pooling "
                               "at the top needs the length it was trained on (or the run predates bindreg's "
                               "variable-length support); use --mode windows")
        info = bundle_info(directory)
        self.input_length = int(info["input_length"])
        self.both_strands = bool(info.get("both_strands"))
        with warnings.catch_warnings():  # "Cannot decide type for data1": float32, as given below
            warnings.simplefilter("ignore", UserWarning)
            self._net = gluon.SymbolBlock.imports(str(directory / VARLEN_SYMBOL), ["data0", "data1"],
                                                  str(directory / "model-0000.params"), ctx=mx.cpu())

    def probabilities(self, sequences: list[str]) -> np.ndarray:
        """P(bound) ``(n,)`` float64; the mean over both strands for a ``--both-strands`` run."""
        sequences = [centre_pad(s, self.input_length) for s in sequences]
        scores = self._forward(sequences)
        if self.both_strands:
            scores = (scores + self._forward([reverse_complement(s) for s in sequences])) / 2
        return scores

    def _forward(self, sequences: list[str]) -> np.ndarray:
        import mxnet as mx

        scores = np.zeros(len(sequences))
        for rows, x, lengths in padded_batches(sequences):
            logits = self._net(mx.nd.array(x), mx.nd.array(lengths)).asnumpy()
            # Softmax in float32 like predict.Scorer, so both paths round alike.
            shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
            scores[rows] = shifted[:, 1] / shifted.sum(axis=1)
        return scores


def padded_batches(sequences: list[str], bases_per_batch: int = BASES_PER_BATCH):
    """Yield ``(rows, x: (B, 4, 1, Lmax) float32, lengths: (B,) float32)`` covering every sequence once.

    Buckets by length (``FixedBucketSampler``, no shuffling); the batch size of the longest bucket
    keeps ``B x Lmax`` under ``bases_per_batch`` and shorter buckets hold proportionally more.
    """
    from gluonnlp.data import FixedBucketSampler
    from gluonnlp.data.batchify import Pad

    lengths = [len(s) for s in sequences]
    if not lengths:
        return
    batch = max(1, bases_per_batch // max(lengths))
    with warnings.catch_warnings():  # "Some buckets are empty and will be removed": expected for few lengths
        warnings.simplefilter("ignore", UserWarning)
        sampler = FixedBucketSampler(lengths, batch_size=batch, num_buckets=min(10, len(set(lengths))),
                                     ratio=1.0, shuffle=False)
    pad = Pad(axis=1, pad_val=0, ret_length=True, dtype="float32")
    for rows in sampler:
        x, valid = pad([one_hot([sequences[i]])[0] for i in rows])
        yield np.asarray(rows), x.asnumpy()[:, :, None, :], valid.asnumpy().astype(np.float32)


def centre_pad(sequence: str, length: int) -> str:
    """``sequence`` centred in N to ``length`` bp when shorter (the fixed-length path's rule), else as is."""
    if len(sequence) >= length:
        return sequence
    left = (length - len(sequence)) // 2
    return "N" * left + sequence + "N" * (length - len(sequence) - left)


_COMPLEMENT = str.maketrans("ACGTNacgtn", "TGCANtgcan")


def reverse_complement(sequence: str) -> str:
    return sequence.translate(_COMPLEMENT)[::-1]

