"""gkm-SVM's kernel and decision values in seconds, the same functions gkmsvm-lite computes in minutes.

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

The same decomposition gives the kernel against a few sequences (Nystrom's landmarks) at once:
an index per gapped j-mer pattern from each code to the landmarks holding it, so ``K(x, y)`` for
every landmark y is one index read per gapped j-mer of x (``kernel_against``). gkmsvm-lite compares
every pair of l-mers of every (x, y) pair instead: 90% of its Nystrom fit (``fit_nystrom``).
"""

from __future__ import annotations

import functools
import threading
import types
from itertools import combinations
from math import comb

import numpy as np
from numba import njit, prange

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


@njit(cache=True, nogil=True)
def _fold(head, tail, scale, weights, offsets, head_code, tail_code, tail_size, table):
    """table[offset_p + code_p(v)] += a_j * scale_i for every l-mer v of sequence i (head/tail (S, W)).
    Pattern by pattern, so that one pattern's block of the table stays in cache (10x faster than
    sequence by sequence; each entry sums in the same order)."""
    for p in range(weights.shape[0]):
        base, size = offsets[p], tail_size[p]
        for i in range(head.shape[0]):
            weight = weights[p] * scale[i]
            for w in range(head.shape[1]):
                table[base + head_code[p, head[i, w]] * size + tail_code[p, tail[i, w]]] += weight


@njit(cache=True, nogil=True)
def _look_up(head, tail, offsets, head_code, tail_code, tail_size, table, out):
    """out[n] = sum over the patterns p and l-mers u of sequence n of table[offset_p + code_p(u)],
    pattern by pattern (as ``_fold``)."""
    out[:] = 0.0
    for p in range(offsets.shape[0] - 1):
        base, size = offsets[p], tail_size[p]
        for n in range(head.shape[0]):
            total = 0.0
            for w in range(head.shape[1]):
                total += table[base + head_code[p, head[n, w]] * size + tail_code[p, tail[n, w]]]
            out[n] += total


@njit(cache=True, nogil=True, inline="always")
def _warm(row) -> float:
    """Reads ``row`` once, one value per 64-byte line, in order; returns their sum (so the reads stay).
    Why: ``_against_py``'s adds land at random places of a row (8 KB at 1,000 landmarks), which the
    hardware cannot prefetch, and the whole ``(N, M)`` output leaves the cache between patterns; one
    sequential pass first brings the row in at streaming speed. With the other two changes of
    ``_against_py``, USF1's 37,432 x 1,000 on one thread: 40.0 s -> 22.1 s, the same bits
    (benchmarks/bench_gkm_kernel.py)."""
    total = 0.0
    for i in range(0, row.shape[0], 8):
        total += row[i]
    return total


#: Rows of x per parallel task of ``_against_py`` (each task has its own look-up buffers).
_ROWS_PER_TASK = 64


def _against_py(x_head, x_tail, y_head, y_tail, weights, offsets, head_code, tail_code, tail_size, out):
    """out[n, i] += sum_p a_p * #{(u, v): u an l-mer of x_n, v of y_i, u_p == v_p}: per pattern p,
    an index from each code to the rows of y holding it (counting sort), then one read per l-mer
    of x, the sequences of x shared among threads (each row of ``out`` is one thread's and sums in
    the same order whatever the threads). x_head/x_tail ``(N, W)``, y_head/y_tail ``(M, V)``, out
    ``(N, M)`` float64. Returns a number of no meaning (``_warm``'s reads).

    Per row: the row is read in first (``_warm``), all W look-ups are made before any add (their cache
    misses overlap), and the adds of one code that land on one row of y are summed in a register
    (the same additions, in the same order). Indices are int32: codes < 4**l, entries < 2 x V x M."""
    rows, columns = y_head.shape
    width = x_head.shape[1]
    tasks = (x_head.shape[0] + _ROWS_PER_TASK - 1) // _ROWS_PER_TASK
    warmed = 0.0
    for p in range(weights.shape[0]):
        size = offsets[p + 1] - offsets[p]
        start = np.zeros(size + 1, np.int32)
        codes = np.empty((rows, columns), np.int32)
        for i in range(rows):
            for v in range(columns):
                code = head_code[p, y_head[i, v]] * tail_size[p] + tail_code[p, y_tail[i, v]]
                codes[i, v] = code
                start[code + 1] += 1
        for code in range(size):
            start[code + 1] += start[code]
        fill = start[:-1].copy()
        owner = np.empty(rows * columns, np.int32)
        for i in range(rows):
            for v in range(columns):
                owner[fill[codes[i, v]]] = i
                fill[codes[i, v]] += 1
        weight = weights[p]
        for task in prange(tasks):
            low = np.empty(width, np.int32)
            high = np.empty(width, np.int32)
            for n in range(task * _ROWS_PER_TASK, min((task + 1) * _ROWS_PER_TASK, x_head.shape[0])):
                row = out[n]
                warmed += _warm(row)
                for w in range(width):
                    code = head_code[p, x_head[n, w]] * tail_size[p] + tail_code[p, x_tail[n, w]]
                    low[w], high[w] = start[code], start[code + 1]
                for w in range(width):
                    entry, end = low[w], high[w]
                    while entry < end:
                        i = owner[entry]
                        total = row[i] + weight
                        entry += 1
                        while entry < end and owner[entry] == i:
                            total += weight
                            entry += 1
                        row[i] = total
    return warmed


def _renamed(function, name: str):
    """``function``'s code under another name. Why: numba's disk cache keys a kernel by its module, name
    and line, not by ``parallel``, so a serial build shares the parallel one's cache entry (and could load
    the parallel kernel, which aborted a run, as ``serial_here`` says) unless it has a name of its own.
    Uncached, the serial kernels compiled in every process: 5 s of each member fit."""
    copy = types.FunctionType(function.__code__, function.__globals__, name, function.__defaults__,
                              function.__closure__)
    copy.__qualname__ = name
    return copy


#: Parallel, and serial for a thread that fits while another trains (``serial_here``), each cached apart.
_against = njit(parallel=True, cache=True, nogil=True)(_against_py)
_against_serial = njit(cache=True, nogil=True)(_renamed(_against_py, "_against_serial_py"))
_THIS_THREAD = threading.local()


def serial_here() -> None:
    """From now on this thread launches no parallel numba kernel: gkm-SVM's kernel and diagonals
    run serially here. Why: numba's ``workqueue`` threading layer (gkmsvm-lite pins it) aborts the
    process when two threads launch parallel kernels at once, and the thread that trains networks
    launches them (the fused first layer, dinucleotide shuffles)."""
    _THIS_THREAD.serial = True


def _serial() -> bool:
    return getattr(_THIS_THREAD, "serial", False)


def _diagonal(kernel, x: np.ndarray) -> np.ndarray:
    """``kernel._raw_diagonal(x)`` (raw ``K(x, x)``, ``(n,)`` in x's dtype); in a ``serial_here``
    thread, gkmsvm-lite's NumPy path with its two numba kernels compiled without ``parallel``."""
    if not _serial():
        return np.asarray(kernel._raw_diagonal(x))
    from gkmsvm.codec import reverse_complement
    from gkmsvm.kernels import direct

    forward, cross = _serial_diagonal_kernels()
    packed = direct._pack_windows_cpu(kernel.base_index_windows(x))
    result = forward(packed, kernel._mismatch_table, kernel.l, kernel._min_matches)
    if kernel.include_rc:
        packed_rc = direct._pack_windows_cpu(kernel.base_index_windows(reverse_complement(x)))
        result = result + cross(packed, packed_rc, kernel._mismatch_table, kernel.l, kernel._min_matches)
    return result.astype(x.dtype)


@functools.cache
def _serial_diagonal_kernels():
    """gkmsvm-lite's two diagonal kernels compiled without ``parallel`` (once per process; several
    fitting threads may ask at once)."""
    from gkmsvm.kernels import direct

    return tuple(njit(nogil=True, fastmath=True, cache=True)(_renamed(f.py_func, f.py_func.__name__ + "_serial"))
                 for f in (direct._fused_diagonal_packed_numba, direct._fused_cross_diagonal_packed_numba))


def warm_up() -> None:
    """Compile the kernel against landmarks and the diagonals once, parallel and serial (numba caches them
    on disk; a fit's first call would otherwise spend ~5 s of its thread compiling)."""
    from gkmsvm.train import _build_kernel

    kernel = _build_kernel("estimated", 11, 7, 3, 1.0, None, None, True)[0]
    x = np.eye(4, dtype=np.float32)[np.random.RandomState(0).randint(0, 4, (4, 30))].transpose(0, 2, 1).copy()
    kernel_against(kernel, x, x[:2])
    thread = threading.Thread(target=lambda: (serial_here(), kernel_against(kernel, x, x[:2])))
    thread.start()
    thread.join()


def _tables(kernel):
    """The pattern layout of ``kernel``'s mismatch table, or None where it is not of the family."""
    from gkmsvm.kernels.direct import DirectGkmKernel
    from gkmsvm.kernels.esttrunc import EstTruncGkmKernel

    # Exactly these classes: a subclass could weight mismatches by position, which the tables ignore.
    if type(kernel) not in (DirectGkmKernel, EstTruncGkmKernel):
        return None
    parts = decomposition(np.asarray(kernel._mismatch_table), int(kernel.l))
    if parts is None:
        return None
    return _layout(int(kernel.l), *parts)


def _both_strands(kernel, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The heads and tails ``(M, 2V)`` of the l-mers of y ``(M, 4, L)`` float32 and of its reverse
    complement side by side (y's alone where the kernel ignores the reverse complement): the
    landmarks' side of ``_against_py``."""
    from gkmsvm.codec import reverse_complement

    strands = [y, reverse_complement(y)] if kernel.include_rc else [y]
    return tuple(np.ascontiguousarray(np.concatenate(parts, axis=1))
                 for parts in zip(*(_split(kernel.base_index_windows(s)) for s in strands)))


def kernel_against(kernel, x: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """``K(x, y)`` as gkmsvm-lite's ``compute_gram(kernel, x, y)`` gives it (raw sums rounded to
    x's dtype, then normalised by the diagonals), for x ``(N, 4, L)`` and a few y ``(M, 4, L)``
    float32 one-hot; ``(N, M)`` float64. None where the kernel is not of the mismatch-table family."""
    layout = _tables(kernel)
    if layout is None:
        return None
    weights, offsets, head_code, tail_code, tail_size = layout
    x = np.ascontiguousarray(x, dtype=np.float32)
    y = np.ascontiguousarray(y, dtype=np.float32)
    y_head, y_tail = _both_strands(kernel, y)
    raw = np.zeros((len(x), len(y)), np.float64)
    arguments = (*_split(kernel.base_index_windows(x)), y_head, y_tail, weights, offsets, head_code, tail_code,
                 tail_size, raw)
    (_against_serial if _serial() else _against)(*arguments)
    gram = raw.astype(x.dtype)
    if kernel.normalize:
        norm = np.sqrt(_diagonal(kernel, x)[:, None] * _diagonal(kernel, y)[None, :])
        gram = gram / np.clip(norm, 1e-10, None)
    return np.asarray(gram, np.float64)


class NystromReuse:
    """What one Nystrom fit leaves for a second one on a superset of its sequences (``bindnet_gkm``'s
    member, fitted again on training + validation): its landmarks, the kernel row of every sequence it
    fitted, and the extra shuffles it made of each positive.

    Why: the kernel against the landmarks is most of a fit (ELK1's two fits: 40 of 50 s), and the
    second fit's sequences are mostly the first's. A row depends on its own sequence and the
    landmarks alone, so a remembered row is the one the second fit would compute; ``computed`` counts
    the rows computed so far."""

    def __init__(self):
        self.landmarks: np.ndarray | None = None  # (m, 4, L) float32, chosen by the first fit
        self.computed = 0
        self._rows: dict[bytes, np.ndarray] = {}
        self._shuffles: dict[bytes, list[np.ndarray]] = {}

    def rows(self, kernel, x: np.ndarray) -> np.ndarray:
        """``K(x, landmarks)`` ``(n, m)`` float64 for ``x`` ``(n, 4, L)`` float32, computing only new sequences'."""
        keys = [sequence.tobytes() for sequence in x]
        missing = [i for i, key in enumerate(keys) if key not in self._rows]
        if missing:
            for i, row in zip(missing, kernel_against(kernel, x[missing], self.landmarks)):
                self._rows[keys[i]] = row
        self.computed += len(missing)
        return np.stack([self._rows[key] for key in keys])

    def shuffles(self, positives: np.ndarray, count: int, make) -> list[np.ndarray]:
        """``count`` arrays like ``positives`` ``(n, 4, L)``: each positive's shuffles from an earlier call,
        ``make(some positives)`` (one shuffle of each) for the positives not seen before."""
        keys = [sequence.tobytes() for sequence in positives]
        # one index per distinct new sequence (a positive that occurs twice gets its shuffles once)
        missing = sorted({key: i for i, key in enumerate(keys) if key not in self._shuffles}.values())
        if missing and count:
            made = [make(positives[missing]) for _ in range(count)]
            for j, i in enumerate(missing):
                self._shuffles[keys[i]] = [shuffled[j] for shuffled in made]
        return [np.stack([self._shuffles[key][c] for key in keys]) for c in range(count)]


def fit_nystrom(positives: np.ndarray, negatives: np.ndarray, n_components: int = 1000, verbose: bool = False,
                weighted: bool = False, reuse: NystromReuse | None = None):
    """``gkmsvm.train_gkmsvm(positives, negatives, solver="nystrom", n_components=...)`` (LS-GKM
    defaults) with the kernel against the landmarks from ``kernel_against``: the same landmarks,
    Nystrom features and SVC, kernel values equal to float32 rounding. One-hot ``(n, 4, L)``
    float32 each; returns a ``gkmsvm.GkmSVM``. The steps after the kernel are gkmsvm-lite's
    ``_fit_nystrom``, repeated here only because it computes the kernel inside.

    ``weighted`` (for several negatives per positive): the SVM is fitted by ``dual_coordinate_descent`` on
    the Nystrom features instead, a positive's error weighted by the negatives per positive (so both
    classes weigh the same; negatives keep SVC's C = 1): SVC needs the ``(n, n)`` Gram matrix, 13 GB at
    40,000 sequences.

    ``reuse``: the first fit given it chooses the landmarks as without it and leaves its kernel rows
    there; a later fit given it takes those landmarks and computes only its new sequences' rows."""
    from gkmsvm.svm import GkmSVM
    from gkmsvm.train import _build_kernel, _fit_sklearn

    x = np.ascontiguousarray(np.concatenate([positives, negatives]), dtype=np.float32)
    y = np.array([1] * len(positives) + [-1] * len(negatives))
    kernel, kernel_type, kernel_params = _build_kernel("estimated", 11, 7, 3, 1.0, None, None, True)
    if reuse is None or reuse.landmarks is None:
        m = min(n_components, len(x))
        landmarks = np.sort(np.random.RandomState(42).choice(len(x), size=m, replace=False))
        if reuse is not None:
            reuse.landmarks = x[landmarks]
    if reuse is None:
        k_nm = kernel_against(kernel, x, x[landmarks])
        k_mm = k_nm[landmarks]
    else:  # the landmarks' rows are among the remembered ones: nothing is computed for k_mm
        k_nm, k_mm = reuse.rows(kernel, x), reuse.rows(kernel, reuse.landmarks)
    eigenvalues, u = np.linalg.eigh(k_mm)
    valid = eigenvalues > max(1e-10, eigenvalues.max() * 1e-8)
    features = (k_nm @ u[:, valid]) / np.sqrt(eigenvalues[valid])[None, :]
    del k_nm, k_mm, u
    if weighted:
        cost = np.where(y > 0, len(negatives) / len(positives), 1.0)
        alpha, bias = dual_coordinate_descent(np.ascontiguousarray(features), y.astype(np.float64), cost)
        support = alpha > 0
        return GkmSVM(support_sequences=x[support], coefficients=(alpha * y)[support].astype(np.float32),
                      bias=bias, kernel_type=kernel_type, kernel_params=kernel_params)
    gram = np.empty((len(x), len(x)), np.float64)
    for row in range(0, len(x), 1000):
        gram[row:row + 1000] = features[row:row + 1000] @ features.T
    del features
    svc = _fit_sklearn(gram, y, 1.0, verbose=verbose)
    del gram
    return GkmSVM(support_sequences=x[svc.support_], coefficients=svc.dual_coef_[0].astype(np.float32),
                  bias=float(svc.intercept_[0]), kernel_type=kernel_type, kernel_params=kernel_params)


@njit(cache=True, nogil=True)
def _dual_cd(features, y, cost, epochs, tolerance):
    n = features.shape[0]
    alpha = np.zeros(n)
    w = np.zeros(features.shape[1])
    bias = 0.0
    diagonal = np.empty(n)
    for i in range(n):
        diagonal[i] = (features[i] * features[i]).sum() + 1.0
    np.random.seed(0)
    order = np.arange(n)
    for _ in range(epochs):
        np.random.shuffle(order)
        largest, smallest = -1e30, 1e30
        for i in order:
            gradient = y[i] * ((w * features[i]).sum() + bias) - 1.0
            projected = gradient
            if alpha[i] == 0.0:
                projected = min(gradient, 0.0)
            elif alpha[i] == cost[i]:
                projected = max(gradient, 0.0)
            largest, smallest = max(largest, projected), min(smallest, projected)
            if projected != 0.0:
                old = alpha[i]
                alpha[i] = min(max(old - gradient / diagonal[i], 0.0), cost[i])
                step = (alpha[i] - old) * y[i]
                w += step * features[i]
                bias += step
        if largest - smallest < tolerance:
            break
    return alpha, bias


def dual_coordinate_descent(features: np.ndarray, y: np.ndarray, cost: np.ndarray, epochs: int = 50,
                            tolerance: float = 1e-2) -> tuple[np.ndarray, float]:
    """``(alpha (n,), bias)`` of the hinge-loss SVM on ``features: (n, m)`` float64 with labels ``y``
    (+1/-1) and a box ``0 <= alpha_i <= cost[i]``: Hsieh et al. 2008's dual coordinate descent (liblinear's
    solver), the bias as a feature of 1. The model is then ``sum_i alpha_i y_i K(x_i, x) + bias`` over the
    sequences themselves, as gkmsvm-lite's SVC gives it. Why our own: liblinear (sklearn's LinearSVC)
    does not return the dual coefficients, and SVC needs the ``(n, n)`` Gram matrix. On MYC's training
    split (balanced, 1,000 landmarks) it gives SVC's validation AUROC to 4 digits; with 3 negatives per
    positive, 15, 30, 60 and 200 epochs agree within 0.0007 on MYC and ZBTB7A. Memory ``(n, m)``, time
    ``epochs x n x m`` (2 s at 30,000 x 1,000 x 30); no GIL, so it runs beside the networks' training."""
    return _dual_cd(features, y, cost, epochs, tolerance)


def fast_scorer(model):
    """``score(x)`` for a fitted ``gkmsvm.GkmSVM`` (x ``(N, 4, L)`` one-hot float32 -> ``(N,)``
    float64), or None where its kernel is not of the mismatch-table family or the tables would
    be too large (then score with ``model(x)``)."""
    from gkmsvm.codec import reverse_complement

    kernel = model.kernel
    layout = None if getattr(model, "_on_gpu", False) or getattr(model, "_on_mlx", False) else _tables(kernel)
    if layout is None:
        return None
    weights, offsets, head_code, tail_code, tail_size = layout
    if offsets[-1] > MAX_TABLE_ENTRIES:
        return None
    support = np.ascontiguousarray(model.support_sequences, dtype=np.float32)
    scale = np.asarray(model.coefficients, np.float64)
    if kernel.normalize:
        scale = scale / np.sqrt(np.clip(np.asarray(_diagonal(kernel, support), np.float64), 1e-20, None))
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
            raw /= np.sqrt(np.clip(np.asarray(_diagonal(kernel, x), np.float64), 1e-20, None))
        return raw + bias

    return score
