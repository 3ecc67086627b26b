"""The first layer of ``bindnet`` as one fused CPU operator: a convolution over one-hot DNA on both
strands with shared (reverse-complemented) weights, pooled per filter into the global max and the
global mean of its rectified output.

Why we wrote our own: the same reason as ``bindreg.onehot_conv`` (docs/training-speed.md). MXNet's
MKL-DNN convolution of 128 filters over both strands costs ~20 ms a training step on 2 cores,
and the mean pooling's backward is dense. On one-hot input a convolution position is a sum of
``k`` weight rows (a gather), so this operator never multiplies, never materialises the
``(N, 2, F, P)`` convolution output and keeps only a bit mask of the positive positions for the
mean's backward. It serves training only; exported models compute the same function with
MXNet's Convolution (``bindreg.strandnet``).

``nd/sym.Custom(data (N,4,1,L), weight (F,4,1,k), bias (F,), kernel=k, strands=2, op_type=OP_TYPE)``
-> ``(N, 2, F)``: row 0 the max over both strands and all ``P = L - k + 1`` positions of the
convolution (before ReLU: ReLU commutes with max), row 1 the mean over both strands and all
positions of ``relu(convolution)``; ``strands=1`` scans the given strand only. The input must be one-hot or all-zero (N) per column; the
trainer checks that before choosing this operator.
"""

from __future__ import annotations


import numba
import numpy as np
from mxnet import operator
from numba import njit, prange

from ..core.kernel_lock import PARALLEL_KERNELS
from .onehot_conv import ALL_ZERO, _codes, _host_view, _pair_weights, _store, default_threads

OP_TYPE = "bindreg_onehot_strands_maxmean"
#: Blocks of sequences the backward sums separately (threads share them out). A fixed number, not
#: the thread count, so that the gradient's float sums, and a run's result, do not depend on
#: how many threads ran them (a sweep's one-thread workers give what `bindreg run` gives).
BLOCKS = 8


@njit(parallel=True, cache=True)
def _both_strands(codes):
    """``(N, L)`` base codes -> ``(N, 2, L)``: the sequence and its reverse complement (N stays N)."""
    count, length = codes.shape
    both = np.empty((count, 2, length), np.int8)
    for n in prange(count):
        for p in range(length):
            code = codes[n, p]
            both[n, 0, p] = code
            rc = codes[n, length - 1 - p]
            both[n, 1, p] = 3 - rc if rc < ALL_ZERO else ALL_ZERO
    return both


@njit(parallel=True, fastmath=True, cache=True)
def _forward(both, w, b, strands, out, winner, positive):
    """``out[n, 0, f]`` max of the convolution over strands and positions (``winner`` = strand * P + p),
    ``out[n, 1, f]`` mean of its ReLU; ``positive[n, s, p, f]`` 1 where the convolution is > 0."""
    count, _, length = both.shape
    k, _, filters = w.shape
    positions = length - k + 1
    pairs = _pair_weights(w)
    scale = np.float32(1.0 / (strands * positions))
    for n in prange(count):
        acc = np.empty(filters, np.float32)
        best = np.full(filters, -np.inf, np.float32)
        where = np.zeros(filters, np.int32)
        total = np.zeros(filters, np.float32)
        pair_codes = np.empty(length - 1, np.int16)
        for s in range(strands):
            for p in range(length - 1):
                pair_codes[p] = both[n, s, p] * 5 + both[n, s, p + 1]
            for p in range(positions):
                acc[:] = b
                for jj in range(k // 2):
                    row = pairs[jj, pair_codes[p + 2 * jj]]
                    for f in range(filters):
                        acc[f] += row[f]
                if k % 2:
                    row = w[k - 1, both[n, s, p + k - 1]]
                    for f in range(filters):
                        acc[f] += row[f]
                for f in range(filters):
                    value = acc[f]
                    if value > best[f]:
                        best[f] = value
                        where[f] = s * positions + p
                    if value > 0:
                        total[f] += value
                        positive[n, s, p, f] = 1
                    else:
                        positive[n, s, p, f] = 0
        for f in range(filters):
            out[n, 0, f] = best[f]
            out[n, 1, f] = total[f] * scale
            winner[n, f] = where[f]


@njit(parallel=True, fastmath=True, cache=True)
def _backward(both, g, winner, strands, positive, counts, dw, db):
    """Weight gradient: the max's gradient to its winning window, the mean's to every window whose
    convolution was positive, each as ``dw[j, base at p + j, f] += g`` (row ALL_ZERO: N, dropped).

    Per sequence the mean's part is counted first, in integers: ``counts[j, b, f]`` = the positive
    windows of filter f with base b at offset j, then ``dw[j, b, f] += g_mean[f] * counts[j, b, f]``.
    Why: the count is a byte add per filter (32 at once with AVX2, where a float multiply-add
    does 8), and the bias needs the same counts (row j = 0 sums to filter f's positive windows).
    ``counts``: ``(chunks, k, 5, F)`` scratch (``weight_gradient`` sizes it); sequences are split
    into ``chunks`` blocks (``BLOCKS``), shared out to the threads, each with its own partial
    gradient, summed in block order."""
    count, _, length = both.shape
    k, _, filters = dw.shape
    positions = length - k + 1
    chunks = counts.shape[0]
    scale = np.float32(1.0 / (strands * positions))
    partial_dw = np.zeros((chunks, k, 5, filters), np.float32)
    partial_db = np.zeros((chunks, filters), np.float32)
    for c in prange(chunks):
        tally = counts[c]
        for n in range(c * count // chunks, (c + 1) * count // chunks):
            tally[:] = 0
            for s in range(strands):
                for p in range(positions):
                    mask = positive[n, s, p]
                    for j in range(k):
                        row = tally[j, both[n, s, p + j]]
                        for f in range(filters):
                            row[f] += mask[f]
            for j in range(k):
                for b in range(5):
                    for f in range(filters):
                        partial_dw[c, j, b, f] += g[n, 1, f] * scale * np.float32(tally[j, b, f])
            for f in range(filters):
                at = winner[n, f]
                s, p = at // positions, at % positions
                counted = np.float32(0.0)
                for b in range(5):
                    counted += np.float32(tally[0, b, f])
                partial_db[c, f] += g[n, 0, f] + g[n, 1, f] * scale * counted
                for j in range(k):
                    partial_dw[c, j, both[n, s, p + j], f] += g[n, 0, f]
    for c in range(chunks):
        dw += partial_dw[c]
        db += partial_db[c]


def pool_both_strands(both, w, bias, strands: int, positive=None):
    """``_forward`` with its outputs allocated: ``(out (N, 2, F), winner (N, F), positive (N, strands,
    P, F))`` for ``both (N, 2, L)`` codes and ``w (k, 5, F)``; ``positive``: a buffer of that shape
    to fill (the operator keeps one between steps)."""
    count, _, length = both.shape
    kernel, _, filters = w.shape
    out = np.empty((count, 2, filters), np.float32)
    winner = np.empty((count, filters), np.int32)
    if positive is None:
        positive = np.empty((count, strands, length - kernel + 1, filters), np.uint8)
    _forward(both, w, bias, strands, out, winner, positive)
    return out, winner, positive


def weight_gradient(both, g, winner, strands: int, positive):
    """``_backward`` with its scratch and outputs allocated: ``(dw (k, 5, F), db (F,))`` for the
    pooled gradient ``g (N, 2, F)`` and what ``pool_both_strands`` returned. The window counters
    are as wide as ``strands * P`` needs (a byte up to 255 windows)."""
    count, _, positions, filters = positive.shape
    kernel = both.shape[2] - positions + 1
    windows = strands * positions
    dtype = np.uint8 if windows <= 0xFF else np.uint16 if windows <= 0xFFFF else np.uint32
    counts = np.empty((min(BLOCKS, count), kernel, 5, filters), dtype)
    dw, db = np.zeros((kernel, 5, filters), np.float32), np.zeros(filters, np.float32)
    _backward(both, g, winner, strands, positive, counts, dw, db)
    return dw, db


class _StrandsMaxMean(operator.CustomOp):
    def __init__(self, strands: int, threads: int):
        super().__init__()
        self._strands, self._threads, self._saved = strands, threads, None
        self._positive = np.empty(0, np.uint8)

    def _scratch(self, shape: tuple) -> np.ndarray:
        """The ``positive`` mask's buffer, kept between calls. Why: at 100 x 2 x 91 x 256 it is 4.7 MB,
        and a fresh one costs a page fault per 4 kB on its first write (~0.5 ms a step). One op
        instance runs one forward, then its backward, before the next forward (the next step's
        weights wait on this backward), so the mask saved for the backward is never overwritten."""
        if self._positive.shape != shape:
            self._positive = np.empty(shape, np.uint8)
        return self._positive

    def forward(self, is_train, req, in_data, out_data, aux):
        with PARALLEL_KERNELS:
            numba.set_num_threads(self._threads)  # per calling thread: MXNet's custom-op worker
            x = _host_view(in_data[0])[:, :, 0, :]
            weight = _host_view(in_data[1])  # (F, 4, 1, k)
            filters, _, _, kernel = weight.shape
            w = np.zeros((kernel, 5, filters), np.float32)
            w[:, :4] = weight[:, :, 0, :].transpose(2, 1, 0)
            codes = _codes(x)
            if codes.min() < 0:
                raise ValueError(f"{OP_TYPE} takes one-hot or all-zero (N) columns only")
            both = _both_strands(codes)
            count, _, length = both.shape
            out, winner, positive = pool_both_strands(
                both, w, _host_view(in_data[2]), self._strands,
                self._scratch((count, self._strands, length - kernel + 1, filters)))
            self._saved = (both, winner, positive) if is_train else None
            _store(out_data[0], req[0], out)

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        with PARALLEL_KERNELS:
            numba.set_num_threads(self._threads)
            both, winner, positive = self._saved
            dw, db = weight_gradient(both, _host_view(out_grad[0]), winner, self._strands, positive)
            _store(in_grad[1], req[1], dw[:, :4].transpose(2, 1, 0)[:, :, None, :])
            _store(in_grad[2], req[2], db)
            if req[0] not in ("null", "add"):
                _host_view(in_grad[0])[...] = 0




@operator.register(OP_TYPE)
class _StrandsMaxMeanProp(operator.CustomOpProp):
    def __init__(self, kernel, strands=2):
        super().__init__(need_top_grad=True)
        self._kernel, self._strands = int(kernel), int(strands)
        self._threads = default_threads()

    def list_arguments(self):
        return ["data", "weight", "bias"]

    def infer_shape(self, in_shape):
        return in_shape, [(in_shape[0][0], 2, in_shape[1][0])], []

    def declare_backward_dependency(self, out_grad, in_data, out_data):
        return [out_grad[0], out_data[0]]  # the output orders backward after its forward (onehot_conv)

    def create_operator(self, ctx, shapes, dtypes):
        return _StrandsMaxMean(self._strands, self._threads)


def warm_up() -> None:
    """Compile the kernels once (numba caches them on disk)."""
    with PARALLEL_KERNELS:
        both = _both_strands(np.zeros((1, 30), np.int8))
        out, winner, positive = pool_both_strands(both, np.zeros((5, 5, 16), np.float32), np.zeros(16, np.float32), 2)
        weight_gradient(both, out, winner, 2, positive)
