"""Scoring whole sequences of any length through a run's or bundle's length-aware graph.

A run of a global-max network exports, beside its fixed-length graph, ``model-varlen-symbol.json``
with two inputs: ``x: (N, 4, 1, Lmax)`` right-padded with N and ``lengths: (N,)``. Sequences are
bucketed by length (gluonnlp ``FixedBucketSampler``) and padded per bucket (``batchify.Pad``);
shorter than the trained length, they are first centred in N, as on the fixed-length path.
Training on such sequences (``bindreg.train.varlen``) batches them the same way.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from ..core.errors import BindregError
from ..core.sequences import one_hot, over_strands, reverse_complement
from .engines import p_bound

#: The length-aware graph of a run or bundle (inputs ``data0``: one-hot, ``data1``: lengths).
VARLEN_SYMBOL = "model-varlen-symbol.json"


#: Upper bound on ``batch size x padded length`` per forward pass: bounds memory for long peaks.
BASES_PER_BATCH = 100_000


def supports_any_length(directory: Path) -> bool:
    return (Path(directory) / VARLEN_SYMBOL).exists()


class LengthAwareScorer:
    """P(bound) for sequences of any length through a bundle's or run's length-aware graph."""

    def __init__(self, directory: Path):
        from .bundles import bundle_info
        from .engines import import_network

        directory = Path(directory)
        if not supports_any_length(directory):
            model = bundle_info(directory).get("model", "this model")
            raise BindregError(f"{directory}: {model} has no length-aware graph ({VARLEN_SYMBOL}): local pooling "
                               "at the top needs the length it was trained on (or the run predates bindreg's "
                               "variable-length support); use --mode windows")
        info = bundle_info(directory)
        self.input_length = int(info["input_length"])
        self.both_strands = bool(info.get("both_strands"))
        self._net = import_network(directory, VARLEN_SYMBOL, ["data0", "data1"])

    def probabilities(self, sequences: list[str]) -> np.ndarray:
        """P(bound) ``(n,)`` float64; the mean over both strands for a ``--both-strands`` run."""
        sequences = [centre_pad(s, self.input_length) for s in sequences]
        return over_strands(self._forward, sequences, self.both_strands, [reverse_complement(s) for s in sequences])

    def _forward(self, sequences: list[str]) -> np.ndarray:
        import mxnet as mx

        scores = np.zeros(len(sequences))
        for rows, x, lengths in padded_batches(sequences):
            scores[rows] = p_bound(self._net(mx.nd.array(x), mx.nd.array(lengths)).asnumpy())
        return scores


def padded_batches(sequences: list[str], bases_per_batch: int = BASES_PER_BATCH):
    """Yield ``(rows, x: (B, 4, 1, Lmax) float32, lengths: (B,) float32)`` covering every sequence once.

    Buckets by length (``scoring_buckets``); the batch size of the longest bucket keeps
    ``B x Lmax`` under ``bases_per_batch`` and shorter buckets hold proportionally more.
    """
    lengths = [len(s) for s in sequences]
    if not lengths:
        return
    pad = padder()
    for rows in scoring_buckets(lengths, bases_per_batch):
        x, valid = pad([one_hot([sequences[i]])[0] for i in rows])
        yield np.asarray(rows), x.asnumpy()[:, :, None, :], valid.asnumpy().astype(np.float32)


def padder():
    """gluonnlp's ``batchify.Pad``: ``(4, l)`` one-hot arrays to ``(B, 4, Lmax)`` with N (zeros), and the lengths."""
    from gluonnlp.data.batchify import Pad

    return Pad(axis=1, pad_val=0, ret_length=True, dtype="float32")


def bucket_sampler(lengths, batch_size: int, ratio: float, shuffle: bool):
    from gluonnlp.data import FixedBucketSampler

    with warnings.catch_warnings():  # "Some buckets are empty and will be removed": expected for few lengths
        warnings.simplefilter("ignore", UserWarning)
        return FixedBucketSampler(list(lengths), batch_size=batch_size, num_buckets=min(10, len(set(lengths))),
                                  ratio=ratio, shuffle=shuffle)


def scoring_buckets(lengths, bases_per_batch: int = BASES_PER_BATCH):
    """Every index once, in batches of similar length (``FixedBucketSampler``, ``ratio=1``, no shuffling)."""
    return bucket_sampler(lengths, max(1, bases_per_batch // max(lengths)), ratio=1.0, shuffle=False)


def centre_pad(sequence: str, length: int) -> str:
    """``sequence`` centred in N to ``length`` bp when shorter (the fixed-length path's rule), else as is."""
    if len(sequence) >= length:
        return sequence
    left = (length - len(sequence)) // 2
    return "N" * left + sequence + "N" * (length - len(sequence) - left)
