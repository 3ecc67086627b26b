"""The train/valid/test splits of an in-memory store on the compute device, and their minibatches.

Streamed splits (``streaming.StreamingSplit``) and splits of sequences of any length
(``varlen.VariableLengthSplit``) offer the same ``batches``, ``scores`` and ``with_both_strands``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import xarray as xr
from mxnet import nd

from ..core.errors import BindregError
from ..core.sequences import over_strands, reverse_complement
from ..data.store import SPLITS, split_codes
from .draws import epoch_orders
from .evaluation import predict_log_odds, predict_proba

@dataclass
class Split:
    """One split on the compute device: ``x: shape=(n, 4, 1, L)`` float32, ``y: (n,)`` float32.

    ``x_rc`` holds the reverse complements when scoring is over both strands.
    """

    x: nd.NDArray
    y: nd.NDArray
    labels: np.ndarray
    x_rc: nd.NDArray | None = None

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def input_length(self) -> int:
        return self.x.shape[3]

    def batches(self, order_rng: np.random.Generator, batch_size: int) -> Iterator[tuple[nd.NDArray, nd.NDArray]]:
        """Minibatches ``(x, y)`` forever: per epoch one gather on the device by
        ``order_rng.permutation(n)``, then contiguous slices; the last ``n % batch_size`` rows
        of each epoch's order are skipped. ``streaming.StreamingSplit`` has the same method."""
        check_enough_for_a_minibatch(self, batch_size)
        ctx = self.x.context
        for order in epoch_orders(order_rng, len(self)):
            permutation = nd.array(order, ctx=ctx, dtype="int64")
            epoch_x, epoch_y = nd.take(self.x, permutation), nd.take(self.y, permutation)
            for start in range(0, len(self) // batch_size * batch_size, batch_size):
                yield epoch_x[start:start + batch_size], epoch_y[start:start + batch_size]

    def scores(self, net) -> np.ndarray:
        """P(bound) per sequence; the mean over both strands when ``x_rc`` is set."""
        return over_strands(lambda x: predict_proba(net, x), self.x, self.x_rc is not None, self.x_rc)

    def log_odds(self, net) -> np.ndarray:
        """log(P(bound) / P(unbound)) per sequence (``predict_log_odds``); the mean over both strands
        when ``x_rc`` is set."""
        return over_strands(lambda x: predict_log_odds(net, x), self.x, self.x_rc is not None, self.x_rc)

    def joined(self, other: "Split") -> "Split":
        """This split's sequences followed by ``other``'s (reverse complements are not kept)."""
        return Split(nd.concat(self.x, other.x, dim=0), nd.concat(self.y, other.y, dim=0),
                     np.concatenate([self.labels, other.labels]))

    def subset(self, rows: np.ndarray) -> "Split":
        """The sequences at ``rows`` (indices into this split)."""
        index = nd.array(rows, ctx=self.x.context, dtype="int64")
        return Split(nd.take(self.x, index), nd.take(self.y, index), self.labels[rows])

def with_both_strands(splits: dict[str, Split]) -> dict[str, Split]:
    """Training gains every reverse complement; valid and test are scored over both strands."""
    if not all(isinstance(split, Split) for split in splits.values()):  # streaming splits do it per chunk
        return {name: split.with_both_strands() for name, split in splits.items()}
    train = splits["train"]
    both = {"train": Split(nd.concat(train.x, reverse_complement(train.x), dim=0),
                           nd.concat(train.y, train.y, dim=0), np.concatenate([train.labels, train.labels]))}
    for name in ("valid", "test"):
        split = splits[name]
        both[name] = Split(split.x, split.y, split.labels, x_rc=reverse_complement(split.x))
    return both

def load_splits(dataset: xr.Dataset, ctx, codes: np.ndarray | None = None) -> dict[str, Split]:
    """Read the train/valid/test splits of a store into device memory (``codes``: the split
    column as ``store.split_codes``, if already computed)."""
    codes = split_codes(dataset["split"]) if codes is None else codes
    onehot = dataset["onehot"].values
    label = dataset["label"].values
    splits = {}
    for code, name in enumerate(SPLITS):
        rows = np.flatnonzero(codes == code)
        x = onehot[rows]
        splits[name] = Split(
            x=nd.array(x[:, :, None, :], ctx=ctx, dtype="float32"),
            y=nd.array(label[rows], ctx=ctx, dtype="float32"),
            labels=label[rows].astype(np.int8),
        )
    return splits

def check_enough_for_a_minibatch(train, batch_size: int) -> None:
    """One-line error when a training split (in memory or streamed) cannot fill one minibatch."""
    if len(train) < batch_size:
        raise BindregError(f"the training split has {len(train)} sequences, fewer than one minibatch "
                           f"of {batch_size}; give more data")
