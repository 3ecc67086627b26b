"""Training on sequences of any length: one padded batch per length bucket, padding masked out.

How the exported length-aware graph scores is in ``bindreg.score.whole``; how a network is
re-traced for it, in ``bindreg.train.tracing``. A run of a global-max network exports, beside its fixed-length graph (``model-symbol.json``),
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

from dataclasses import dataclass, replace

import numpy as np

from ..core.sequences import over_strands, reverse_complement
from ..score.whole import bucket_sampler, padder, scoring_buckets


def training_epochs(lengths, batch_size: int, rng: np.random.Generator):
    """Epochs of training minibatches (lists of index arrays), forever: ``FixedBucketSampler(shuffle=True,
    ratio=0)``, so every minibatch holds ``batch_size`` sequences of similar length except the last of
    each bucket, which holds the rest of it.

    gluonnlp 0.10 shuffles with NumPy's global ``np.random``; each epoch is drawn under a seed taken
    from ``rng`` and the global state is put back, so the order is reproducible from the run seed
    and nothing else that uses ``np.random`` is disturbed.
    """
    sampler = bucket_sampler(lengths, batch_size, ratio=0.0, shuffle=True)
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
        return reverse_complement(sequence, bases=0, positions=1) if row >= count else sequence

    def _batch(self, rows, pad):
        x, valid = pad([self._sequence(row) for row in rows])
        return (x.reshape((0, 4, 1, -1)).as_in_context(self.ctx),
                valid.astype("float32").as_in_context(self.ctx))

    def batches(self, order_rng: np.random.Generator, batch_size: int):
        """Minibatches ``(x: (B, 4, 1, Lmax) float32, lengths: (B,) float32, y: (B,) float32)`` forever,
        one bucketed, shuffled epoch after another (``training_epochs``)."""
        from .splits import check_enough_for_a_minibatch

        check_enough_for_a_minibatch(self, batch_size)
        lengths = np.tile(self.lengths, 2 if self.both_strands else 1)
        labels = np.tile(self.all_labels, 2 if self.both_strands else 1).astype(np.float32)
        from mxnet import nd

        pad = padder()
        for epoch in training_epochs(lengths, batch_size, order_rng):
            for rows in epoch:
                x, valid = self._batch(rows, pad)
                yield x, valid, nd.array(labels[rows], ctx=self.ctx, dtype="float32")

    def scores(self, net) -> np.ndarray:
        """P(bound) per sequence with the padding masked; the mean over both strands when set."""
        count = len(self.all_labels)
        return over_strands(lambda rows: self._scores(net, rows), np.arange(count), self.both_strands,
                            np.arange(count) + count)

    def _scores(self, net, rows: np.ndarray) -> np.ndarray:
        from mxnet import nd

        scores = np.zeros(len(rows))
        pad = padder()
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
