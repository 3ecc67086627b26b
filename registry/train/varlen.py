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
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..core.errors import BindregError
from ..core.sequences import one_hot

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

        from ..score.predict import bundle_info

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

    Buckets by length (``scoring_buckets``); the batch size of the longest bucket keeps
    ``B x Lmax`` under ``bases_per_batch`` and shorter buckets hold proportionally more.
    """
    lengths = [len(s) for s in sequences]
    if not lengths:
        return
    pad = _pad()
    for rows in scoring_buckets(lengths, bases_per_batch):
        x, valid = pad([one_hot([sequences[i]])[0] for i in rows])
        yield np.asarray(rows), x.asnumpy()[:, :, None, :], valid.asnumpy().astype(np.float32)


def _pad():
    """gluonnlp's ``batchify.Pad``: ``(4, l)`` one-hot arrays to ``(B, 4, Lmax)`` with N (zeros), and the lengths."""
    from gluonnlp.data.batchify import Pad

    return Pad(axis=1, pad_val=0, ret_length=True, dtype="float32")


def _bucket_sampler(lengths, batch_size: int, ratio: float, shuffle: bool):
    from gluonnlp.data import FixedBucketSampler

    with warnings.catch_warnings():  # "Some buckets are empty and will be removed": expected for few lengths
        warnings.simplefilter("ignore", UserWarning)
        return FixedBucketSampler(list(lengths), batch_size=batch_size, num_buckets=min(10, len(set(lengths))),
                                  ratio=ratio, shuffle=shuffle)


def scoring_buckets(lengths, bases_per_batch: int = BASES_PER_BATCH):
    """Every index once, in batches of similar length (``FixedBucketSampler``, ``ratio=1``, no shuffling)."""
    return _bucket_sampler(lengths, max(1, bases_per_batch // max(lengths)), ratio=1.0, shuffle=False)


def training_epochs(lengths, batch_size: int, rng: np.random.Generator):
    """Epochs of training minibatches (lists of index arrays), forever: ``FixedBucketSampler(shuffle=True,
    ratio=0)``, so every minibatch holds ``batch_size`` sequences of similar length except the last of
    each bucket, which holds the rest of it.

    gluonnlp 0.10 shuffles with NumPy's global ``np.random``; each epoch is drawn under a seed taken
    from ``rng`` and the global state is put back, so the order is reproducible from the run seed
    and nothing else that uses ``np.random`` is disturbed.
    """
    sampler = _bucket_sampler(lengths, batch_size, ratio=0.0, shuffle=True)
    while True:
        state = np.random.get_state()
        np.random.seed(int(rng.integers(2 ** 32)))
        try:
            epoch = [np.array(rows) for rows in sampler]
        finally:
            np.random.set_state(state)
        yield epoch


@dataclass
class VariableLengthSplit:
    """One split of a variable-length store (``onehot`` right-padded, ``length`` per sequence) for training.

    Held on the host as uint8 (1 byte a base); each minibatch is cut to its own sequences' lengths
    and padded by ``batchify.Pad`` to its longest member, then moved to ``ctx`` as float32.
    ``batches`` yields ``(x, lengths, y)``: the trainer passes ``lengths`` to the network, which masks
    the padding out of its global max (docs/varlen.md). ``input_length`` is the shortest sequence of
    the store: the network must accept it, and it is the length the exported fixed graph takes.
    """

    onehot: np.ndarray
    lengths: np.ndarray
    all_labels: np.ndarray
    ctx: object
    input_length: int
    both_strands: bool = False
    #: The trainer's flag: train through ``gluon.Trainer`` with ``lengths``, never the packed engine.
    any_length: bool = True
    why_sequential: str = ("sequences of different lengths train one setting at a time through gluon.Trainer "
                           "with their lengths; the packed engine takes one fixed length")

    @property
    def labels(self) -> np.ndarray:
        """Labels in split order (the order of ``scores``)."""
        return self.all_labels

    def __len__(self) -> int:
        return len(self.all_labels) * (2 if self.both_strands else 1)

    def with_both_strands(self) -> "VariableLengthSplit":
        return replace(self, both_strands=True)

    def _sequence(self, row: int) -> np.ndarray:
        """``(4, l)`` one-hot of a row; rows past the split's size are the reverse complements."""
        count = len(self.all_labels)
        sequence = self.onehot[row % count, :, :self.lengths[row % count]]
        return sequence[::-1, ::-1] if row >= count else sequence

    def _batch(self, rows, pad):
        x, valid = pad([self._sequence(row) for row in rows])
        return (x.reshape((0, 4, 1, -1)).as_in_context(self.ctx),
                valid.astype("float32").as_in_context(self.ctx))

    def batches(self, order_rng: np.random.Generator, batch_size: int):
        """Minibatches ``(x: (B, 4, 1, Lmax) float32, lengths: (B,) float32, y: (B,) float32)`` forever,
        one bucketed, shuffled epoch after another (``training_epochs``)."""
        from .training import check_enough_for_a_minibatch

        check_enough_for_a_minibatch(self, batch_size)
        lengths = np.tile(self.lengths, 2 if self.both_strands else 1)
        labels = np.tile(self.all_labels, 2 if self.both_strands else 1).astype(np.float32)
        from mxnet import nd

        pad = _pad()
        for epoch in training_epochs(lengths, batch_size, order_rng):
            for rows in epoch:
                x, valid = self._batch(rows, pad)
                yield x, valid, nd.array(labels[rows], ctx=self.ctx, dtype="float32")

    def scores(self, net) -> np.ndarray:
        """P(bound) per sequence with the padding masked; the mean over both strands when set."""
        count = len(self.all_labels)
        forward = self._scores(net, np.arange(count))
        return forward if not self.both_strands else (forward + self._scores(net, np.arange(count) + count)) / 2

    def _scores(self, net, rows: np.ndarray) -> np.ndarray:
        from mxnet import nd

        scores = np.zeros(len(rows))
        pad = _pad()
        for batch in scoring_buckets(self.lengths[rows % len(self.all_labels)]):
            x, valid = self._batch(rows[batch], pad)
            scores[batch] = nd.softmax(net(x, valid), axis=1)[:, 1].asnumpy()
        return scores


def load_variable_length_splits(dataset, ctx, codes: np.ndarray | None = None) -> dict[str, VariableLengthSplit]:
    """The train/valid/test splits of a variable-length store (one with a ``length`` variable)."""
    from ..data.store import SPLITS, split_codes

    codes = split_codes(dataset["split"]) if codes is None else codes
    onehot, lengths, labels = dataset["onehot"].values, dataset["length"].values, dataset["label"].values
    shortest = int(lengths[codes >= 0].min())
    return {name: VariableLengthSplit(onehot[codes == code], lengths[codes == code],
                                      labels[codes == code].astype(np.int8), ctx, shortest)
            for code, name in enumerate(SPLITS)}


def length_aware(net, name: str, input_length: int):
    """``net`` re-traced to take ``(x, lengths)``; one-line error naming the model when it cannot."""
    from mxnet import base, nd

    net.hybridize(static_alloc=True)  # bucket shapes vary: no static_shape; drops the fixed-length trace
    try:
        net(nd.zeros((1, 4, 1, input_length), ctx=net_context(net)), nd.array([input_length], ctx=net_context(net)))
    except BindregError:  # the networks' own refusal: local max pooling at the top
        reason = "its top layer needs the one length it was built for"
    except (TypeError, ValueError, base.MXNetError) as exc:
        reason = "it takes no lengths: " + (str(exc).strip().splitlines() or [type(exc).__name__])[0][:120]
    else:
        return net
    raise BindregError(f"model {name!r} cannot train on sequences of different lengths ({reason}); use a "
                       "network with a global max at the top (1layer, 2layer, 3layer, 1layer_128motif, deepbind, "
                       "1layer_rc, cnn_transformer) or give sequences of one length (leave out --any-length)")


def net_context(net):
    return next(iter(net.collect_params().values())).list_ctx()[0]


def retrace_fixed_length(net, input_length: int):
    """``net`` traced again with one input of ``input_length`` bp (before ``export`` writes
    ``model-symbol.json``, the fixed-length graph), whatever it was last called with."""
    from mxnet import nd

    net.hybridize(static_alloc=True, static_shape=True)
    net(nd.zeros((1, 4, 1, input_length), ctx=net_context(net)))
    return net


def centre_pad(sequence: str, length: int) -> str:
    """``sequence`` centred in N to ``length`` bp when shorter (the fixed-length path's rule), else as is."""
    if len(sequence) >= length:
        return sequence
    left = (length - len(sequence)) // 2
    return "N" * left + sequence + "N" * (length - len(sequence) - left)


_COMPLEMENT = str.maketrans("ACGTNacgtn", "TGCANtgcan")


def reverse_complement(sequence: str) -> str:
    return sequence.translate(_COMPLEMENT)[::-1]

