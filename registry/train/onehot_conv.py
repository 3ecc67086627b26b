"""The first layer of the paper's CNNs as one fused CPU operator: convolution over one-hot DNA,
then max pooling (global or local), with the pooling's backward routed straight to the weights.

Why we wrote our own: on CPU, MXNet 1.9 spends most of a training step of these networks in the
first layer. Its MKL-DNN convolution backward runs at a third of its forward's speed, ``topk``
and the max reductions over positions run at ~0.3 G elements/s, and pooling backward is slower
still (perf-notes; docs/training-speed.md). No library we can use from MXNet does better. But
the input is one-hot, so a convolution position is a sum of ``k`` weight columns (a gather,
no multiplications), and under max pooling only the winning position of each window gets a
gradient: ``dW[j, base at (winner + j), f] += g``. Both loops are a few lines of numba
(vectorised over filters, parallel over sequences or kernel offsets) and never materialise
the ``(N, filters, positions)`` convolution output.

The operator is ``nd/sym.Custom(data (N,4,1,L), weight (F,4,1,k), bias (F,), kernel=k, pool=p,
op_type="bindreg_onehot_conv_max")`` and returns the pooled values ``(N, Q, F)`` (filters last:
the kernels vectorise over them), ``Q = (L - k + 1 - p) // p + 1``, pooled with MXNet's
``Pooling(kernel=p, stride=p)`` windows ("valid" convention); ``p = L - k + 1`` is the global
max. It is exact for any input: columns that are not one-hot (N is all-zero and one-hot; other
values, such as DeepBind's 0.25 padding) take a slower per-channel branch. Ties go to the first
position. Only the packed trainer uses it (CPU only); exported models keep MXNet's Conv2D and
are unchanged.
"""

from __future__ import annotations

import ctypes
import os

import numba
import numpy as np
from mxnet import operator
from mxnet.base import _LIB, check_call
from numba import njit, prange

from ..core.kernel_lock import PARALLEL_KERNELS

OP_TYPE = "bindreg_onehot_conv_max"
NOT_ONE_HOT = -1  # a column that is neither one-hot nor all-zero
ALL_ZERO = 4  # N: the fifth, all-zero row of the gathered weights


@njit(parallel=True, cache=True)
def _codes(x):
    """``(N, 4, L)`` -> ``(N, L)`` int8 base codes: 0-3, ALL_ZERO, or NOT_ONE_HOT."""
    count, _, length = x.shape
    codes = np.empty((count, length), np.int8)
    for n in prange(count):
        for p in range(length):
            code = ALL_ZERO
            for c in range(4):
                value = x[n, c, p]
                if value == 1.0 and code == ALL_ZERO:
                    code = c
                elif value != 0.0:
                    code = NOT_ONE_HOT
                    break
            codes[n, p] = code
    return codes


@njit(cache=True)
def _pair_weights(w):
    """``(k, 5, F)`` -> ``(k // 2, 25, F)``: the summed weights of two adjacent bases, so a position
    costs k/2 vector additions instead of k."""
    k, _, filters = w.shape
    pairs = np.empty((k // 2, 25, filters), np.float32)
    for jj in range(k // 2):
        for a in range(5):
            for b in range(5):
                for f in range(filters):
                    pairs[jj, a * 5 + b, f] = w[2 * jj, a, f] + w[2 * jj + 1, b, f]
    return pairs


@njit(parallel=True, fastmath=True, cache=True)
def _forward(codes, x, w, b, pool, out, winner):
    """``out[n, q, f]`` = max over window q of the convolution; ``winner`` its position.

    ``w`` is ``(k, 5, F)``: the weights by offset and base, row 4 zeros (N).
    """
    count, length = codes.shape
    k, _, filters = w.shape
    windows = out.shape[1]
    pairs = _pair_weights(w)
    for n in prange(count):
        pair_codes = np.empty(length - 1, np.int16)  # 5 * first + second, or -1 (not one-hot)
        for p in range(length - 1):
            first, second = codes[n, p], codes[n, p + 1]
            pair_codes[p] = first * 5 + second if first >= 0 and second >= 0 else -1
        acc = np.empty(filters, np.float32)
        for q in range(windows):
            for p in range(q * pool, q * pool + pool):
                acc[:] = b
                for jj in range(k // 2):
                    code = pair_codes[p + 2 * jj]
                    if code >= 0:
                        row = pairs[jj, code]
                        for f in range(filters):
                            acc[f] += row[f]
                    else:
                        for j in range(2 * jj, 2 * jj + 2):
                            _add_column(acc, codes[n, p + j], x, n, p + j, w[j])
                if k % 2:
                    _add_column(acc, codes[n, p + k - 1], x, n, p + k - 1, w[k - 1])
                if p == q * pool:
                    for f in range(filters):
                        out[n, q, f] = acc[f]
                        winner[n, q, f] = p
                else:
                    for f in range(filters):
                        if acc[f] > out[n, q, f]:
                            out[n, q, f] = acc[f]
                            winner[n, q, f] = p


@njit(inline="always", fastmath=True)
def _add_column(acc, code, x, n, position, w_j):
    """``acc += W[:, :, j] @ x[n, :, position]`` for one input column."""
    if code >= 0:
        for f in range(acc.shape[0]):
            acc[f] += w_j[code, f]
    else:
        for c in range(4):
            value = x[n, c, position]
            for f in range(acc.shape[0]):
                acc[f] += value * w_j[c, f]


@njit(parallel=True, cache=True)
def _backward_by_winner(codes, x, g, winner, dw):
    """Scatter each pooled gradient onto its winner's window (few windows: global max)."""
    count, windows, filters = g.shape
    k = dw.shape[0]
    for j in prange(k):  # row j of dw belongs to one thread
        for n in range(count):
            for q in range(windows):
                for f in range(filters):
                    p = winner[n, q, f] + j
                    code = codes[n, p]
                    if code >= 0:
                        dw[j, code, f] += g[n, q, f]
                    else:
                        for c in range(4):
                            dw[j, c, f] += g[n, q, f] * x[n, c, p]


@njit(parallel=True, fastmath=True, cache=True)
def _backward_by_position(codes, x, g, winner, pool, dw):
    """The same sum position by position, vectorised over filters (many windows: local pooling)."""
    count, windows, filters = g.shape
    k = dw.shape[0]
    for j in prange(k):
        grad = np.empty(filters, np.float32)
        for n in range(count):
            for p in range(windows * pool):
                q = p // pool
                for f in range(filters):
                    grad[f] = g[n, q, f] if winner[n, q, f] == p else np.float32(0.0)
                code = codes[n, p + j]
                if code >= 0:
                    row = dw[j, code]
                    for f in range(filters):
                        row[f] += grad[f]
                else:
                    for c in range(4):
                        value = x[n, c, p + j]
                        for f in range(filters):
                            dw[j, c, f] += grad[f] * value


def default_threads() -> int:
    """The OpenMP thread count MXNet runs with (``OMP_NUM_THREADS``), else numba's (all cores)."""
    try:
        return max(1, min(int(os.environ["OMP_NUM_THREADS"]), numba.config.NUMBA_NUM_THREADS))
    except (KeyError, ValueError):
        return numba.config.NUMBA_NUM_THREADS


def pooled_length(length: int, kernel: int, pool: int) -> int:
    """Windows of ``Pooling(kernel=pool, stride=pool)`` over a valid convolution's output."""
    return (length - kernel + 1 - pool) // pool + 1


def _host_view(array) -> np.ndarray:
    """A zero-copy float32 view of a CPU NDArray handed to a custom operator.

    ``asnumpy()`` and ``assign`` each cost an engine round trip and a copy, which at the paper's
    sizes is most of this operator's time. The arrays a custom operator receives are its own for
    the duration of the call (and no longer: keep a copy, not a view). They must be in MXNet's
    default layout, as every input here is (a data batch and slices of the packed parameters):
    the custom-operator bridge hands over MKL-DNN blocked arrays without converting them, whether
    read this way or with ``asnumpy()``.
    """
    array.wait_to_read()  # a no-op for the bridge's arrays; cheap insurance before a raw read
    pointer = ctypes.c_void_p()
    check_call(_LIB.MXNDArrayGetData(array.handle, ctypes.byref(pointer)))
    size = int(np.prod(array.shape))
    return np.ctypeslib.as_array(ctypes.cast(pointer, ctypes.POINTER(ctypes.c_float)), (size,)).reshape(array.shape)


def _store(target, req: str, value: np.ndarray) -> None:
    if req == "null":
        return
    view = _host_view(target)
    if req == "add":
        view += value
    else:
        view[...] = value


class _OneHotConvMax(operator.CustomOp):
    def __init__(self, pool: int, threads: int):
        super().__init__()
        self._pool, self._threads, self._saved = pool, threads, None

    def forward(self, is_train, req, in_data, out_data, aux):
        with PARALLEL_KERNELS:
            self._forward(is_train, req, in_data, out_data)

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        with PARALLEL_KERNELS:
            self._backward(req, out_grad, in_grad)

    def _forward(self, is_train, req, in_data, out_data):
        numba.set_num_threads(self._threads)  # per calling thread: MXNet's custom-op worker
        x = _host_view(in_data[0])[:, :, 0, :]
        weight = _host_view(in_data[1])  # (F, 4, 1, k)
        filters, _, _, kernel = weight.shape
        w = np.zeros((kernel, 5, filters), np.float32)
        w[:, :4] = weight[:, :, 0, :].transpose(2, 1, 0)
        codes = _codes(x)
        if codes.min() >= 0:
            x = _NO_VALUES  # only columns that are not one-hot read x; keep no copy otherwise
        else:
            x = x.copy()  # the view is MXNet's buffer, reused once this call returns
        out = np.empty(out_data[0].shape, np.float32)
        winner = np.empty(out.shape, np.int32)
        _forward(codes, x, w, _host_view(in_data[2]), self._pool, out, winner)
        self._saved = (codes, x, winner, kernel) if is_train else None
        _store(out_data[0], req[0], out)

    def _backward(self, req, out_grad, in_grad):
        numba.set_num_threads(self._threads)
        codes, x, winner, kernel = self._saved
        g = _host_view(out_grad[0])
        dw = np.zeros((kernel, 5, g.shape[2]), np.float32)
        # One scalar update per (window, filter, offset) beats a vector pass over every position
        # once a window spans more positions than a vector holds filters (16): global max, win > 16.
        if self._pool > 16:
            _backward_by_winner(codes, x, g, winner, dw)
        else:
            _backward_by_position(codes, x, g, winner, self._pool, dw)
        _store(in_grad[1], req[1], dw[:, :4].transpose(2, 1, 0)[:, :, None, :])
        _store(in_grad[2], req[2], g.sum(axis=(0, 1)))
        if req[0] not in ("null", "add"):
            _host_view(in_grad[0])[...] = 0


_NO_VALUES = np.zeros((0, 4, 0), np.float32)


@operator.register(OP_TYPE)
class _OneHotConvMaxProp(operator.CustomOpProp):
    def __init__(self, kernel, pool):
        super().__init__(need_top_grad=True)
        self._kernel, self._pool = int(kernel), int(pool)
        self._threads = default_threads()

    def list_arguments(self):
        return ["data", "weight", "bias"]

    def infer_shape(self, in_shape):
        count, _, _, length = in_shape[0]
        windows = pooled_length(length, self._kernel, self._pool)
        return in_shape, [(count, windows, in_shape[1][0])], []

    def declare_backward_dependency(self, out_grad, in_data, out_data):
        # The output too, though backward never reads it: it orders the backward after the
        # forward that saved the winners (a head gradient given directly need not wait for it).
        return [out_grad[0], out_data[0]]

    def create_operator(self, ctx, shapes, dtypes):
        return _OneHotConvMax(self._pool, self._threads)


def warm_up() -> None:
    """Compile the kernels once (numba caches them on disk), so a first run does not pay it."""
    x = np.zeros((1, 4, 30), np.float32)
    w = np.zeros((5, 5, 16), np.float32)
    out, winner = np.empty((1, 1, 16), np.float32), np.empty((1, 1, 16), np.int32)
    with PARALLEL_KERNELS:
        codes = _codes(x)
        _forward(codes, x, w, np.zeros(16, np.float32), 26, out, winner)
        _backward_by_winner(codes, x, out, winner, w)
        _backward_by_position(codes, x, out, winner, 26, w)
