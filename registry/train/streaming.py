"""Train and score straight from the Zarr store, chunk by chunk, in bounded memory.

The in-memory path (``training.load_splits``) holds every split as float32 on the device:
about 1.6 kB per 101 bp sequence, 16 GB for 10 million. A ``StreamingSplit`` instead keeps
only one byte per sequence in memory (its split code and label) and reads the one-hot
``onehot`` array one store chunk (``CHUNK_SAMPLES`` sequences) at a time.

Shuffling. A global permutation would need random access to single sequences, i.e. one
chunk decompression per sequence. Like ``tf.data``'s shuffle buffer and WebDataset's shard
shuffling we shuffle in two levels instead: each epoch visits the chunks in a seeded random
order, and the training rows of ``buffer_chunks`` consecutive chunks (plus the few rows left
over from the previous window) are permuted together and cut into minibatches. Every training
row is still seen exactly once per epoch (bar the last ``< batch_size`` rows, which the
in-memory path drops too), but a minibatch draws from ``buffer_chunks`` chunks, not from the
whole split: if the store is sorted (say all positives first), minibatches are less mixed than
under a global permutation. Raise ``buffer_chunks`` (each chunk is ~3.3 MB of uint8 at 101 bp)
for better mixing; the default 16 holds ~53 MB.

Read-ahead. Chunk reads (Blosc decompression and the row selection) run in a background
thread ``prefetch`` chunks ahead of the training step, so the step rarely waits on them;
``benchmarks/bench_streaming.py`` measures the difference.

Splits are interleaved in the store (each sample carries its split), so a chunk yields rows
of all three splits; each split reads only the chunks that hold at least one of its rows and
keeps only its rows from them.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import xarray as xr
import zarr
from mxnet import nd

from ..core.errors import BindregError
from .evaluation import predict_proba_nd
from ..data.store import SPLITS, split_codes
from ..core.sequences import over_strands, reverse_complement
from .splits import check_enough_for_a_minibatch

#: Default budget (GB) for the in-memory path's arrays; above it runs stream from the store.
DEFAULT_MEMORY_BUDGET_GB = 4.0
BUDGET_VARIABLE = "BINDREG_MEMORY_BUDGET_GB"


def memory_budget_gb(budget_gb: float | None = None) -> float:
    """The memory budget: the argument, else ``$BINDREG_MEMORY_BUDGET_GB``, else the default."""
    if budget_gb is not None:
        return float(budget_gb)
    text = os.environ.get(BUDGET_VARIABLE)
    if not text:
        return DEFAULT_MEMORY_BUDGET_GB
    try:
        value = float(text)
    except ValueError:
        raise BindregError(f"${BUDGET_VARIABLE} is {text!r}, not a number of GB; set it to e.g. 4") from None
    if value <= 0:
        raise BindregError(f"${BUDGET_VARIABLE} is {value}; give a positive number of GB, e.g. 4")
    return value


def in_memory_gb(dataset: xr.Dataset, both_strands: bool = False) -> float:
    """What the in-memory path would hold: every split as float32, plus the per-epoch shuffled
    copy of the training split (estimated as 80% of the sequences), doubled by reverse complements."""
    samples, bases, length = dataset["onehot"].shape
    per_sample = bases * length * 4
    strands = 2 if both_strands else 1
    return samples * per_sample * (1 + 0.8) * strands / 1e9


@dataclass
class DataPath:
    """Which path a run reads its data by, and why (recorded in metrics.json)."""

    path: str  # "streaming" or "in_memory"
    reason: str
    in_memory_estimate_gb: float
    memory_budget_gb: float

    def describe(self) -> str:
        if self.path == "streaming":
            return f"data: streamed from the Zarr store chunk by chunk ({self.reason})"
        return f"data: loaded into memory ({self.reason})"


def choose_path(dataset: xr.Dataset, stream: bool = False, budget_gb: float | None = None,
                both_strands: bool = False) -> DataPath:
    """Stream on request, or when the in-memory arrays would exceed the memory budget."""
    budget = memory_budget_gb(budget_gb)
    estimate = in_memory_gb(dataset, both_strands)
    if stream:
        return DataPath("streaming", "requested with --stream", estimate, budget)
    if estimate > budget:
        return DataPath("streaming", f"in memory it would take ~{estimate:.1f} GB, over the {budget:g} GB "
                        f"budget set by --memory-budget or ${BUDGET_VARIABLE}", estimate, budget)
    return DataPath("in_memory", f"~{estimate:.2f} GB, within the {budget:g} GB budget", estimate, budget)


@dataclass
class StreamingSplit:
    """One split read from the store's ``onehot: shape=(N, 4, L)`` uint8, chunk by chunk.

    ``codes`` (int8 split codes) and ``all_labels`` (int8) are per-sample vectors of the whole
    store, shared by the three splits: one byte each per sequence. ``both_strands``: training
    minibatches include every reverse complement and scores are the mean over both strands.
    """

    onehot: zarr.Array
    codes: np.ndarray
    all_labels: np.ndarray
    code: int
    ctx: object
    buffer_chunks: int = 16
    prefetch: int = 4
    both_strands: bool = False
    #: Reader threads: two can decompress two chunks at once when the consumer is quick
    #: (scoring); results come back in order whatever their number.
    workers: int = 2

    def __post_init__(self):
        mine = self.codes == self.code
        self.chunk_size = self.onehot.chunks[0]
        self.rows_per_chunk = np.add.reduceat(mine, np.arange(0, len(mine), self.chunk_size)) if len(mine) \
            else np.zeros(0, int)
        self.chunks = np.flatnonzero(self.rows_per_chunk)
        self._labels = self.all_labels[mine].astype(np.int8)

    @property
    def labels(self) -> np.ndarray:
        """Labels in store order, one per sequence: the order of ``scores``, which averages the
        two strands (only ``batches`` yields each sequence twice, and ``len`` counts those)."""
        return self._labels

    @property
    def input_length(self) -> int:
        return self.onehot.shape[2]

    def __len__(self) -> int:
        return len(self._labels) * (2 if self.both_strands else 1)

    def with_both_strands(self) -> "StreamingSplit":
        return replace(self, both_strands=True)

    def read_chunk(self, chunk: int, augment: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """This split's rows of one store chunk: ``x: (m, 4, L)`` uint8, ``y: (m,)`` int8;
        with ``augment`` their reverse complements follow them."""
        start = int(chunk) * self.chunk_size
        stop = min(start + self.chunk_size, len(self.codes))
        mine = self.codes[start:stop] == self.code
        x = self.onehot[start:stop][mine]
        y = self.all_labels[start:stop][mine]
        if augment:
            x = np.concatenate([x, reverse_complement(x, bases=1, positions=2)])
            y = np.concatenate([y, y])
        return x, y

    def _read_ahead(self, chunks: Iterable, augment: bool) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``read_chunk`` over ``chunks``, in order, with up to ``prefetch`` reads running ahead in
        ``workers`` background threads (Blosc and NumPy release the GIL while they work);
        ``prefetch=0`` reads in line."""
        if self.prefetch <= 0:
            for chunk in chunks:
                yield self.read_chunk(chunk, augment)
            return
        pending: deque = deque()
        chunks = iter(chunks)
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="bindreg-read-ahead") as pool:
            try:
                for chunk in chunks:
                    pending.append(pool.submit(self.read_chunk, chunk, augment))
                    if len(pending) > self.prefetch:
                        yield pending.popleft().result()
                while pending:
                    yield pending.popleft().result()
            finally:
                for future in pending:  # the consumer stopped early (end of training)
                    future.cancel()

    def batches(self, order_rng: np.random.Generator, batch_size: int) -> Iterator[tuple[nd.NDArray, nd.NDArray]]:
        """Minibatches ``(x: (batch_size, 4, 1, L) float32, y: (batch_size,) float32)`` forever,
        epoch after epoch; see the module docstring for the shuffle. Seeded by ``order_rng``
        only, so the read-ahead depth does not change the order."""
        check_enough_for_a_minibatch(self, batch_size)
        chunk_seed, window_seed = order_rng.integers(2 ** 63, size=2)
        chunk_rng, window_rng = np.random.default_rng(chunk_seed), np.random.default_rng(window_seed)

        def plan():
            while True:
                order = chunk_rng.permutation(self.chunks)
                for index, chunk in enumerate(order):
                    yield chunk, index == len(order) - 1

        plan_items = plan()
        epoch_ends: deque = deque()

        def chunk_plan():
            for chunk, last in plan_items:
                epoch_ends.append(last)
                yield chunk

        length = self.input_length
        held_x: list[np.ndarray] = []
        held_y: list[np.ndarray] = []
        held_chunks = 0
        for x, y in self._read_ahead(chunk_plan(), augment=self.both_strands):
            epoch_end = epoch_ends.popleft()
            held_x.append(x)
            held_y.append(y)
            held_chunks += 1
            if held_chunks < self.buffer_chunks and not epoch_end:
                continue
            held_chunks = 0
            window_x, window_y = np.concatenate(held_x), np.concatenate(held_y)
            order = window_rng.permutation(len(window_y))
            usable = len(order) // batch_size * batch_size
            taken, carried = order[:usable], order[usable:]
            held_x, held_y = ([], []) if epoch_end else ([window_x[carried]], [window_y[carried]])
            if not usable:
                continue
            batch_x = nd.array(window_x[taken].reshape(usable, 4, 1, length), ctx=self.ctx, dtype="uint8")
            batch_y = nd.array(window_y[taken], ctx=self.ctx, dtype="float32")
            for start in range(0, usable, batch_size):
                yield batch_x[start:start + batch_size].astype("float32"), batch_y[start:start + batch_size]

    def scores(self, net, block_rows: int = 8192) -> np.ndarray:
        """P(bound) per sequence in store order, scored a block of about ``block_rows`` sequences
        at a time (rows of several chunks, so forward batches stay full); the mean over both
        strands when ``both_strands`` is set. Up to two blocks are in flight on the engine, so
        reading the next block overlaps the forward pass of the last one."""
        done: list[np.ndarray] = []
        in_flight: deque = deque()
        held: list[np.ndarray] = []
        held_rows = 0

        def submit(rows: list[np.ndarray]):
            x = nd.array(np.concatenate(rows)[:, :, None, :], ctx=self.ctx, dtype="uint8").astype("float32")
            in_flight.append(over_strands(lambda rows: predict_proba_nd(net, rows), x, self.both_strands))
            while len(in_flight) > 2:  # bound what the asynchronous engine holds
                done.append(in_flight.popleft().asnumpy())

        for x, _ in self._read_ahead(self.chunks, augment=False):
            held.append(x)
            held_rows += len(x)
            if held_rows >= block_rows:
                submit(held)
                held, held_rows = [], 0
        if held:
            submit(held)
        done += [score.asnumpy() for score in in_flight]
        return np.concatenate(done).astype(np.float64) if done else np.zeros(0)


def open_onehot(store_path: Path) -> zarr.Array:
    """The store's ``onehot`` as a Zarr array (reads bypass dask: one chunk, one call)."""
    try:
        return zarr.open_consolidated(str(store_path), mode="r")["onehot"]
    except Exception as exc:  # noqa: BLE001 - zarr raises many types for a damaged store
        raise BindregError(f"{store_path}: cannot read its onehot array ({type(exc).__name__}: {exc}); "
                           "rebuild it with `bindreg data encode`") from None


def stream_splits(dataset: xr.Dataset, store_path: Path, ctx, buffer_chunks: int = 16,
                  prefetch: int = 4) -> dict[str, StreamingSplit]:
    """The train/valid/test splits of a store as streaming splits. The split column comes from
    ``dataset`` (which may have rows marked ``unused`` by ``--train-size``), the one-hot data
    from the store on disk."""
    onehot = open_onehot(store_path)
    if onehot.shape != dataset["onehot"].shape:
        raise BindregError(f"{store_path}: onehot has shape {onehot.shape} on disk but {dataset['onehot'].shape} "
                           "in the opened dataset; give the store the dataset was opened from")
    codes = split_codes(dataset["split"])
    labels = dataset["label"].values.astype(np.int8)
    return {name: StreamingSplit(onehot, codes, labels, code, ctx, buffer_chunks, prefetch)
            for code, name in enumerate(SPLITS)}
