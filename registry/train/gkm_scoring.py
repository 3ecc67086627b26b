"""gkm-SVM decision values in seconds, the same function gkmsvm-lite computes in minutes.

Why our own code: gkmsvm-lite scores a sequence by its kernel against every support vector
(``(N, S)`` pairs of sequences, each 91 x 182 pairs of 11-mers): 5,391 test sequences of
STAT3 HeLa-S3 against ~8,400 support vectors took 400 s, as long as three times the fit. The
kernel of LS-GKM's mismatch-table family (``gkm_cnt``, ``gkm_estfull``, ``gkm_esttrunc``, the
default) is a sum over pairs of l-mers of ``h(m)``, m = mismatches; where ``h(m) = 0`` beyond
``D`` mismatches it is exactly ``sum_j a_j C(l - m, j)`` over ``j = l-D .. l`` (a triangular
system), and ``C(l - m, j)`` counts the gapped j-mers (j of the l positions) two l-mers share.
So the support vectors fold once into weight tables over gapped j-mers, and a sequence's score
is a lookup per gapped j-mer of its own l-mers:

    score(x) = bias + (1 / sqrt(K(x, x))) * sum_{u in x} sum_j a_j sum_{p in C(l, j)} T_j[p, u_p]
    T_j[p, g] = sum_i coef_i / sqrt(K(sv_i, sv_i)) * #{v in sv_i and its reverse complement: v_p = g}

Cost: one pass over the support vectors' l-mers and one over the test sequences' (``l`` = 11,
``D`` = 3: 232 gapped j-mers per l-mer, tables of 41 M float64). N counts as A (its argmax), as in
gkmsvm-lite. Equal to ``GkmSVM.__call__`` to float32 rounding (tests/test_baselines.py).
"""

from __future__ import annotations

from itertools import combinations
from math import comb

import numpy as np
from numba import njit

#: Above this many table entries (8 bytes each) the scorer falls back to gkmsvm-lite's own.
MAX_TABLE_ENTRIES = 120_000_000


def decomposition(table: np.ndarray, l: int) -> tuple[list[int], np.ndarray] | None:
    """``h(m)`` (``table[m]``, m = 0..l) as ``sum_j a_j C(l - m, j)``: returns ``(js, a)``, or
    None where ``h`` is not zero beyond its last non-zero entry (not of this family)."""
    nonzero = np.flatnonzero(np.asarray(table[: l + 1]) != 0)
    if not len(nonzero):
        return None
    depth = int(nonzero[-1])
    js = list(range(l - depth, l + 1))
    # Row m (mismatches 0..depth), column j: C(l - m, j); triangular (zero where j > l - m).
    system = np.array([[comb(l - m, j) for j in js] for m in range(depth + 1)], dtype=np.float64)
    a = np.linalg.solve(system, np.asarray(table[: depth + 1], dtype=np.float64))
    return js, a


def _layout(l: int, js: list[int], a: np.ndarray):
    """Every gapped j-mer pattern p (j of the l positions): its weight a_j, the offset of its block
    of 4**j entries in one flat table, and its code as two look-ups. An l-mer splits into a head
    (its first ``h = ceil(l / 2)`` bases, as a base-4 number) and a tail; ``code_p = head_code[p,
    head] * tail_size[p] + tail_code[p, tail]`` (two reads instead of j multiply-adds)."""
    h = (l + 1) // 2
    patterns = [(weight, chosen) for j, weight in zip(js, a) for chosen in combinations(range(l), j)]
    weights = np.array([w for w, _ in patterns], np.float64)
    offsets = np.zeros(len(patterns) + 1, np.int64)
    offsets[1:] = np.cumsum([4 ** len(chosen) for _, chosen in patterns])
    head_code = np.zeros((len(patterns), 4 ** h), np.int64)
    tail_code = np.zeros((len(patterns), 4 ** (l - h)), np.int64)
    tail_size = np.zeros(len(patterns), np.int64)
    digits_head = (np.arange(4 ** h)[:, None] // 4 ** np.arange(h - 1, -1, -1)) % 4          # (4**h, h)
    digits_tail = (np.arange(4 ** (l - h))[:, None] // 4 ** np.arange(l - h - 1, -1, -1)) % 4
    for index, (_, chosen) in enumerate(patterns):
        head = [c for c in chosen if c < h]
        tail = [c - h for c in chosen if c >= h]
        head_code[index] = digits_head[:, head] @ (4 ** np.arange(len(head) - 1, -1, -1)) if head else 0
        tail_code[index] = digits_tail[:, tail] @ (4 ** np.arange(len(tail) - 1, -1, -1)) if tail else 0
        tail_size[index] = 4 ** len(tail)
    return weights, offsets, head_code, tail_code, tail_size


def _split(windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each l-mer (windows ``(N, W, l)`` int8 base indices) as its head and tail numbers ``(N, W)``."""
    l = windows.shape[2]
    h = (l + 1) // 2
    bases = windows.astype(np.int64)
    head = bases[:, :, :h] @ (4 ** np.arange(h - 1, -1, -1))
    tail = bases[:, :, h:] @ (4 ** np.arange(l - h - 1, -1, -1))
    return np.ascontiguousarray(head), np.ascontiguousarray(tail)


@njit(cache=True)
def _fold(head, tail, scale, weights, offsets, head_code, tail_code, tail_size, table):
    """table[offset_p + code_p(v)] += a_j * scale_i for every l-mer v of sequence i (head/tail (S, W))."""
    for i in range(head.shape[0]):
        for w in range(head.shape[1]):
            hv, tv = head[i, w], tail[i, w]
            for p in range(weights.shape[0]):
                table[offsets[p] + head_code[p, hv] * tail_size[p] + tail_code[p, tv]] += weights[p] * scale[i]


@njit(cache=True)
def _look_up(head, tail, offsets, head_code, tail_code, tail_size, table, out):
    """out[n] = sum over the l-mers u of sequence n and patterns p of table[offset_p + code_p(u)]."""
    for n in range(head.shape[0]):
        total = 0.0
        for w in range(head.shape[1]):
            hv, tv = head[n, w], tail[n, w]
            for p in range(offsets.shape[0] - 1):
                total += table[offsets[p] + head_code[p, hv] * tail_size[p] + tail_code[p, tv]]
        out[n] = total


def fast_scorer(model):
    """``score(x)`` for a fitted ``gkmsvm.GkmSVM`` (x ``(N, 4, L)`` one-hot float32 -> ``(N,)``
    float64), or None where its kernel is not of the mismatch-table family or the tables would
    be too large (then score with ``model(x)``)."""
    from gkmsvm.codec import reverse_complement
    from gkmsvm.kernels.direct import DirectGkmKernel
    from gkmsvm.kernels.esttrunc import EstTruncGkmKernel

    kernel = model.kernel
    # Exactly these classes: a subclass could weight mismatches by position, which the tables ignore.
    if type(kernel) not in (DirectGkmKernel, EstTruncGkmKernel) \
            or getattr(model, "_on_gpu", False) or getattr(model, "_on_mlx", False):
        return None
    table = kernel._mismatch_table
    l = int(kernel.l)
    parts = decomposition(np.asarray(table), l)
    if parts is None:
        return None
    js, a = parts
    weights, offsets, head_code, tail_code, tail_size = _layout(l, js, a)
    if offsets[-1] > MAX_TABLE_ENTRIES:
        return None
    support = np.ascontiguousarray(model.support_sequences, dtype=np.float32)
    scale = np.asarray(model.coefficients, np.float64)
    if kernel.normalize:
        scale = scale / np.sqrt(np.clip(np.asarray(model._get_sv_diag(), np.float64), 1e-20, None))
    folded = np.zeros(int(offsets[-1]), np.float64)
    strands = [support, reverse_complement(support)] if kernel.include_rc else [support]
    for strand in strands:
        _fold(*_split(kernel.base_index_windows(strand)), scale, weights, offsets, head_code, tail_code, tail_size,
              folded)
    bias = float(np.asarray(model.bias).reshape(-1)[0])

    def score(x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)
        raw = np.empty(len(x), np.float64)
        _look_up(*_split(kernel.base_index_windows(x)), offsets, head_code, tail_code, tail_size, folded, raw)
        if kernel.normalize:
            raw /= np.sqrt(np.clip(np.asarray(kernel._raw_diagonal(x), np.float64), 1e-20, None))
        return raw + bias

    return score
