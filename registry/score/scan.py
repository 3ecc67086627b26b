"""Scanning a genome: P(bound) of the window of the model's length at every position, as a track.

The network is evaluated convolutionally: each layer is computed once per position of a long
stretch, not once per window. For ``1layer`` (conv 24 -> ReLU -> global max -> dense 32 -> dense 2)
over a stretch: the convolution over every position, then a sliding maximum of width
``L - k + 1`` over the convolution's outputs (one window's global max), then the dense head for
each position. Max pooling inside the network (``2layer``, ``3layer``) or at its top
(``*_local_win*``) has a stride ``s``: a window starting at position ``p`` sees the pooled
positions of phase ``p mod s``, so the layers above it are evaluated once per phase on every
``s``-th pooled position, which is again each layer once per position in all. A local pool at the
top is followed by ``Flatten`` and a dense layer over its ``Q`` positions: that dense layer is a
convolution of width ``Q`` over the pooled positions.

Why our own evaluation rather than MXNet or onnxruntime on the exported graph: the exported
graph takes fixed-length windows (scoring a chromosome with it re-runs every layer ~L times per
base, the window-by-window path of ``bindreg predict``), and neither framework has a sliding
maximum of a width other than a pooling kernel, which costs ``L - k + 1`` comparisons per output.
The first layer is a gather over one-hot codes (a convolution position is a sum of ``k`` weight
columns; no multiplications; N is a zero column), the sliding maximum is van Herk/Gil-Werman
(three comparisons per output, whatever the width), both a few lines of numba vectorised over
filters; deeper layers and the dense head are NumPy matrix products.

Chunks: a chunk of ``C`` positions reads ``C + L - 1`` bases, so every window it scores is whole
inside it and a chunk border changes nothing (the value equals the window scored alone, to float32
rounding). Memory is that of one chunk, whatever the chromosome's length.

Track convention: the value at base ``x`` is P(bound) of the ``L``-bp window starting at
``x - L // 2`` (so centred on ``x``; bases past a chromosome end read as N, as in every other
window bindreg scores). A base that is N itself gets no value, so gaps (N runs) are gaps in the
track; a window that only overlaps N is scored with N as all-zero columns, exactly as
``bindreg predict`` scores it. With ``--stride S`` every ``S``-th base is scored and its value
covers ``S`` bases.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numba import njit, prange

from ..core.errors import BindregError

#: Positions per chunk are chosen so that one layer's output holds about this many floats (~32 MB).
CHUNK_FLOATS = 1 << 23
TRACK_SUFFIXES = {".bw": "bigwig", ".bigwig": "bigwig", ".bedgraph": "bedgraph", ".bg": "bedgraph"}

_CODES = np.full(256, 4, dtype=np.uint8)  # 4 = N (anything not ACGT): an all-zero column
for _i, _b in enumerate(b"ACGT"):
    _CODES[_b] = _i
    _CODES[_b + 32] = _i  # lower case


def base_codes(sequence: str | bytes) -> np.ndarray:
    """``(n,)`` uint8 codes 0-3 for A C G T, 4 for N or anything else."""
    raw = sequence.encode("latin-1") if isinstance(sequence, str) else sequence
    return _CODES[np.frombuffer(raw, dtype=np.uint8)]


# ---------------------------------------------------------------- the network as a plan


@dataclass
class Conv:
    """A ``(1, k)`` convolution: ``weight (k, C, F)``, ``bias (F,)``; ``relu`` after it."""

    weight: np.ndarray
    bias: np.ndarray
    relu: bool = False

    @property
    def width(self) -> int:
        return self.weight.shape[0]


@dataclass
class Pool:
    """Max pooling of ``size`` positions every ``stride`` (MXNet's 'valid' convention)."""

    size: int
    stride: int


@dataclass
class Dense:
    weight: np.ndarray  # (out, in)
    bias: np.ndarray
    relu: bool = False


@dataclass
class ScanPlan:
    """A network as a chain that can run over a long stretch: ``layers`` (Conv/Pool) up to the top,
    then either a global max (``local_width is None``) or a local pool followed by a dense layer
    over its ``local_width`` positions (held as the last Conv of ``layers``), then ``head``."""

    input_length: int
    layers: list = field(default_factory=list)
    head: list = field(default_factory=list)
    global_max: bool = True

    @property
    def first_filters(self) -> int:
        return self.layers[0].weight.shape[2]

    def valid_positions(self) -> int:
        """Positions one window leaves at the top (the global max's width)."""
        v = self.input_length
        for layer in self.layers:
            v = v - layer.width + 1 if isinstance(layer, Conv) else (v - layer.size) // layer.stride + 1
        return v


def _attrs(node: dict) -> dict:
    return node.get("attrs", node.get("param", {})) or {}


def _tuple(text: str) -> tuple[int, ...]:
    return tuple(int(v) for v in text.strip("()[] ").split(",") if v.strip() not in ("", "None"))


def load_plan(directory: Path, label: str | None = None) -> ScanPlan:
    """Read ``model-symbol.json`` + ``model-0000.params`` of a run directory or bundle as a ScanPlan.

    Refuses, in one line naming the operator, networks that are not a chain of (1, k) convolutions,
    ReLU, max pooling and a global max or a local pool + dense head (DeepBind pads each window
    with 0.25 at its ends, so its value is not a sliding computation; 1layer_rc and transformers
    are not chains).
    """
    import mxnet as mx

    from .bundles import bundle_info

    directory = Path(directory)
    label = label or str(directory)
    info = bundle_info(directory)
    length = int(info["input_length"])
    if info.get("both_strands"):
        raise BindregError(f"{label}: trained with --both-strands (scored as the mean of both strands); "
                           "bindreg scan does not do that average yet; score windows with bindreg predict")
    symbol = json.loads((directory / "model-symbol.json").read_text())
    loaded = mx.nd.load(str(directory / "model-0000.params"))
    params = {name.split(":", 1)[-1]: value.asnumpy() for name, value in loaded.items()}
    nodes, heads = symbol["nodes"], symbol["heads"]
    refuse = (f"{label}: bindreg scan evaluates chains of (1, k) convolutions, ReLU, max pooling and a "
              "global max or a local pool with a dense head; {why}; score windows with "
              "bindreg predict --mode windows instead")
    # Walk back from the output along the first input: a chain, every other input a parameter.
    chain, index = [], heads[0][0]
    while nodes[index]["op"] != "null":
        node = nodes[index]
        for extra in node["inputs"][1:]:
            if nodes[extra[0]]["op"] != "null":
                raise BindregError(refuse.format(why=f"{node['name']} ({node['op']}) joins two branches"))
        chain.append(node)
        index = node["inputs"][0][0]
    chain.reverse()
    plan = ScanPlan(length)
    seen_top = flattened = False
    for node in chain:
        op, attrs = node["op"], _attrs(node)
        inputs = [nodes[i[0]]["name"] for i in node["inputs"][1:]]
        if op == "Convolution":
            kernel = _tuple(attrs.get("kernel", "()"))
            if (len(kernel) != 2 or kernel[0] != 1 or any(_tuple(attrs.get(k, "(1,1)")) not in ((1, 1), ())
                                                        for k in ("stride", "dilate"))
                    or any(_tuple(attrs.get("pad", "(0,0)"))) or int(attrs.get("num_group", 1)) != 1):
                raise BindregError(refuse.format(why=f"{node['name']} is not an unpadded stride-1 (1, k) convolution"))
            if seen_top:
                raise BindregError(refuse.format(why=f"{node['name']}: a convolution after the top pooling"))
            weight = params[inputs[0]]  # (F, C, 1, k)
            bias = params[inputs[1]] if len(inputs) > 1 else np.zeros(weight.shape[0], np.float32)
            plan.layers.append(Conv(np.ascontiguousarray(weight[:, :, 0, :].transpose(2, 1, 0)), bias.astype(np.float32)))
        elif op == "Activation" and attrs.get("act_type") == "relu" or op == "relu":
            target = plan.head[-1] if plan.head else plan.layers[-1] if plan.layers else None
            if target is None or isinstance(target, Pool):
                raise BindregError(refuse.format(why=f"{node['name']}: ReLU not after a convolution or dense layer"))
            target.relu = True
        elif op == "Activation":
            raise BindregError(refuse.format(why=f"{node['name']}: activation {attrs.get('act_type')!r}"))
        elif op == "Pooling":
            kernel, stride = _tuple(attrs.get("kernel", "()")), _tuple(attrs.get("stride", "(1,1)")) or (1, 1)
            if (attrs.get("pool_type", "max") != "max" or attrs.get("global_pool", "False") == "True"
                    or len(kernel) != 2 or kernel[0] != 1 or any(_tuple(attrs.get("pad", "(0,0)")))
                    or attrs.get("pooling_convention", "valid") != "valid"):
                raise BindregError(refuse.format(why=f"{node['name']} is not an unpadded (1, p) max pooling"))
            if seen_top:
                raise BindregError(refuse.format(why=f"{node['name']}: pooling after the top"))
            plan.layers.append(Pool(kernel[1], stride[1]))
        elif op == "topk":
            if int(attrs.get("k", 1)) != 1 or int(attrs.get("axis", -1)) not in (3, -1) or \
                    attrs.get("ret_typ", "indices") != "value" or seen_top:
                raise BindregError(refuse.format(why=f"{node['name']}: topk other than the max over positions"))
            seen_top = True
        elif op in ("Reshape", "reshape", "Flatten", "flatten"):
            if not seen_top:  # Flatten right after a local pool: the top
                if not plan.layers or not isinstance(plan.layers[-1], Pool):
                    raise BindregError(refuse.format(why=f"{node['name']}: flatten not after a pooling layer"))
                seen_top, flattened = True, True
                plan.global_max = False
        elif op == "Dropout":
            continue  # identity when scoring
        elif op == "FullyConnected":
            if not seen_top:
                raise BindregError(refuse.format(why=f"{node['name']}: a dense layer before any pooling to the top"))
            weight = params[inputs[0]].astype(np.float32)
            bias = params[inputs[1]].astype(np.float32) if len(inputs) > 1 else np.zeros(weight.shape[0], np.float32)
            if flattened and not plan.head and isinstance(plan.layers[-1], Pool):
                # Dense over (C, Q) flattened channel-major: a convolution of width Q over pooled positions.
                channels = next(l.weight.shape[2] for l in reversed(plan.layers) if isinstance(l, Conv))
                width = weight.shape[1] // channels
                if width * channels != weight.shape[1]:
                    raise BindregError(refuse.format(why=f"{node['name']}: input size not channels x positions"))
                plan.layers.append(Conv(np.ascontiguousarray(weight.reshape(-1, channels, width).transpose(2, 1, 0)),
                                        bias))
            else:
                plan.head.append(Dense(weight, bias))
        else:
            raise BindregError(refuse.format(why=f"{node['name']} is a {op} operator"))
    if not seen_top or not plan.layers or not isinstance(plan.layers[0], Conv):
        raise BindregError(refuse.format(why="no convolution followed by a pooling to the top"))
    if plan.global_max and plan.valid_positions() < 1:
        raise BindregError(refuse.format(why=f"its layers leave no position of a {length}-bp window"))
    if not plan.global_max and plan.valid_positions() != 1:
        raise BindregError(refuse.format(why="its dense layer does not cover the whole pooled window"))
    last = plan.head[-1] if plan.head else plan.layers[-1]
    out = last.weight.shape[0] if isinstance(last, Dense) else last.weight.shape[2]
    if out != 2:
        raise BindregError(refuse.format(why=f"it has {out} outputs, not the two logits of bound/unbound"))
    return plan


# ---------------------------------------------------------------- kernels


@njit(parallel=True, cache=True, nogil=True)
def _onehot_conv(codes, table, bias, relu):
    """``codes (n,)`` uint8, ``table (k, 5, F)`` (row 4 zero) -> ``(n - k + 1, F)`` float32."""
    k, _, filters = table.shape
    count = codes.shape[0] - k + 1
    out = np.empty((count, filters), np.float32)
    block = 4096
    for b in prange((count + block - 1) // block):
        for p in range(b * block, min(count, (b + 1) * block)):
            for f in range(filters):
                out[p, f] = bias[f]
            for t in range(k):
                code = codes[p + t]
                for f in range(filters):
                    out[p, f] += table[t, code, f]
            if relu:
                for f in range(filters):
                    out[p, f] = max(out[p, f], np.float32(0))
    return out


@njit(parallel=True, cache=True, nogil=True)
def _sliding_max(x, width):
    """Max over ``width`` consecutive rows: ``(n, F) -> (n - width + 1, F)`` (van Herk/Gil-Werman)."""
    n, filters = x.shape
    count = n - width + 1
    ahead = np.empty_like(x)  # running max from each block's start
    behind = np.empty_like(x)  # running max to each block's end
    blocks = (n + width - 1) // width
    for b in prange(blocks):
        start, end = b * width, min(n, (b + 1) * width)
        for f in range(filters):
            ahead[start, f] = x[start, f]
            behind[end - 1, f] = x[end - 1, f]
        for p in range(start + 1, end):
            for f in range(filters):
                ahead[p, f] = max(ahead[p - 1, f], x[p, f])
        for p in range(end - 2, start - 1, -1):
            for f in range(filters):
                behind[p, f] = max(behind[p + 1, f], x[p, f])
    out = np.empty((count, filters), x.dtype)
    for b in prange(blocks):
        for p in range(b * width, min(count, (b + 1) * width)):
            for f in range(filters):
                out[p, f] = max(behind[p, f], ahead[p + width - 1, f])
    return out


@njit(parallel=True, cache=True, nogil=True)
def _dense_conv(x, weight, bias, relu, count):
    """``x (n, C)``, ``weight (k, C, F)`` -> ``(count, F)``: a (1, k) convolution over dense input
    (``k = 1``: a dense layer applied at every position). Vectorised over F, parallel over positions:
    numba rather than BLAS, whose threads contend with numba's after every parallel region."""
    k, channels, filters = weight.shape
    out = np.empty((count, filters), np.float32)
    block = 2048
    for b in prange((count + block - 1) // block):
        for p in range(b * block, min(count, (b + 1) * block)):
            for f in range(filters):
                out[p, f] = bias[f]
            for t in range(k):
                for c in range(channels):
                    value = x[p + t, c]
                    if value != 0:
                        for f in range(filters):
                            out[p, f] += value * weight[t, c, f]
            if relu:
                for f in range(filters):
                    out[p, f] = max(out[p, f], np.float32(0))
    return out


#: Dense pre-activations of the fused kernel are recomputed from scratch every this many windows
#: (in between they are updated with the few filters whose window maximum changed).
_REFRESH = 32


@njit(parallel=True, cache=True, nogil=True)
def _fused_global(triplets, table3, bias, valid, hidden_w, hidden_b, out_w, out_b, windows, block):
    """P(bound) of ``windows`` windows for conv -> ReLU -> global max -> dense -> ReLU -> dense(2):
    the whole network per block of ``block`` windows, so every intermediate stays in cache
    (allocating and first touching chunk-sized arrays cost as much as the arithmetic here).

    ``triplets (n,)``: code of the 3 bases from each position (``25 a + 5 b + c``, N = 4);
    ``table3 (G, 125, F)``: the kernel's weights summed over each triplet of offsets, so a position
    is ``G = ceil(k / 3)`` gathers instead of ``k``. ``hidden_w (F, H)``, ``out_w (H, 2)``.
    Consecutive windows share most of their maxima (a maximum changes when it enters or leaves the
    window), so the hidden layer is updated with the filters that changed only."""
    groups, _, filters = table3.shape
    hidden = hidden_w.shape[1]
    probabilities = np.empty(windows, np.float32)
    for b in prange((windows + block - 1) // block):
        first, last = b * block, min(windows, (b + 1) * block)
        count = last - first
        positions = count + valid - 1
        conv = np.empty((positions, filters), np.float32)
        for p in range(positions):
            row = conv[p]
            row[:] = bias
            for g in range(groups):
                weights = table3[g, triplets[first + p + 3 * g]]
                for f in range(filters):
                    row[f] += weights[f]
            for f in range(filters):
                row[f] = max(row[f], np.float32(0))
        # Sliding max of width `valid` (van Herk/Gil-Werman): running maxima within blocks of `valid`.
        ahead = np.empty_like(conv)
        behind = np.empty_like(conv)
        for start in range(0, positions, valid):
            end = min(positions, start + valid)
            ahead[start] = conv[start]
            for p in range(start + 1, end):
                for f in range(filters):
                    ahead[p, f] = max(ahead[p - 1, f], conv[p, f])
            behind[end - 1] = conv[end - 1]
            for p in range(end - 2, start - 1, -1):
                for f in range(filters):
                    behind[p, f] = max(behind[p + 1, f], conv[p, f])
        pooled = np.empty(filters, np.float32)
        h = np.empty(hidden, np.float32)
        probability = np.float32(0)
        for i in range(count):
            changed = i % _REFRESH == 0
            if changed:
                for f in range(filters):
                    pooled[f] = max(behind[i, f], ahead[i + valid - 1, f])
                h[:] = hidden_b
                for f in range(filters):
                    value = pooled[f]
                    if value != 0:
                        for j in range(hidden):
                            h[j] += value * hidden_w[f, j]
            else:
                for f in range(filters):
                    value = max(behind[i, f], ahead[i + valid - 1, f])
                    if value != pooled[f]:
                        step = value - pooled[f]
                        pooled[f] = value
                        changed = True
                        for j in range(hidden):
                            h[j] += step * hidden_w[f, j]
            if changed:
                logit0, logit1 = out_b[0], out_b[1]
                for j in range(hidden):
                    value = max(h[j], np.float32(0))
                    logit0 += value * out_w[j, 0]
                    logit1 += value * out_w[j, 1]
                probability = np.float32(1) / (np.float32(1) + np.exp(logit0 - logit1))
            probabilities[first + i] = probability
    return probabilities


def triplet_codes(codes: np.ndarray) -> np.ndarray:
    """``(n,)`` base codes -> ``(n,)`` uint8 ``25 c[p] + 5 c[p+1] + c[p+2]`` (N past the end)."""
    padded = np.concatenate([codes, np.full(2, 4, np.uint8)])
    return (padded[:-2] * 25 + padded[1:-1] * 5 + padded[2:]).astype(np.uint8)


def triplet_table(table: np.ndarray) -> np.ndarray:
    """``(k, 5, F)`` gather table -> ``(ceil(k / 3), 125, F)``: sums over offsets 3g, 3g+1, 3g+2
    (offsets past ``k`` weigh nothing)."""
    k, _, filters = table.shape
    groups = -(-k // 3)
    padded = np.zeros((groups * 3, 5, filters), np.float32)
    padded[:k] = table
    t = padded.reshape(groups, 3, 5, filters)
    summed = t[:, 0, :, None, None, :] + t[:, 1, None, :, None, :] + t[:, 2, None, None, :, :]
    return np.ascontiguousarray(summed.reshape(groups, 125, filters), dtype=np.float32)


def _conv(x: np.ndarray, layer: Conv) -> np.ndarray:
    """Dense input ``(n, C)`` -> ``(n - k + 1, F)``."""
    count = x.shape[0] - layer.width + 1
    if count <= 0:
        return np.zeros((0, layer.weight.shape[2]), np.float32)
    return _dense_conv(np.ascontiguousarray(x), layer.weight, layer.bias, layer.relu, count)


def _pool(x: np.ndarray, pool: Pool, phase: int) -> np.ndarray:
    """Max pooling of ``x[phase:]``: ``(n, F) -> ((n - phase - size) // stride + 1, F)``."""
    count = (x.shape[0] - phase - pool.size) // pool.stride + 1
    if count <= 0:
        return np.zeros((0, x.shape[1]), x.dtype)
    out = x[phase:phase + pool.stride * (count - 1) + 1:pool.stride].copy()
    for j in range(1, pool.size):
        np.maximum(out, x[phase + j:phase + j + pool.stride * (count - 1) + 1:pool.stride], out=out)
    return out


class Scanner:
    """Scores every window of a plan's length in a stretch of base codes."""

    def __init__(self, plan: ScanPlan):
        self.plan = plan
        first = plan.layers[0]
        table = np.zeros((first.width, 5, first.weight.shape[2]), np.float32)
        table[:, :4, :] = first.weight
        self._table = table
        self._valid = plan.valid_positions()
        self._table3 = triplet_table(table)
        # Dense layers as width-1 convolutions: weight (1, in, out).
        self._head = [Conv(np.ascontiguousarray(d.weight.T[None]), d.bias, d.relu) for d in plan.head]

    def fused(self) -> bool:
        """conv -> ReLU -> global max -> dense -> ReLU -> dense(2) (the 1layer family): one fused kernel."""
        plan = self.plan
        return (plan.global_max and len(plan.layers) == 1 and plan.layers[0].relu and len(plan.head) == 2
                and plan.head[0].relu and not plan.head[1].relu and self._valid > 0)

    def window_probabilities(self, codes: np.ndarray) -> np.ndarray:
        """``codes (n,)`` -> P(bound) ``(n - L + 1,)`` float32 of the windows starting at 0 .. n - L."""
        windows = codes.shape[0] - self.plan.input_length + 1
        if windows <= 0:
            return np.zeros(0, np.float32)
        if self.fused():
            first, (hidden, output) = self.plan.layers[0], self.plan.head
            block = max(256, (1 << 17) // first.weight.shape[2])
            return _fused_global(triplet_codes(codes), self._table3, first.bias, self._valid,
                                 np.ascontiguousarray(hidden.weight.T), hidden.bias,
                                 np.ascontiguousarray(output.weight.T), output.bias, windows, block)
        return probabilities(self.window_logits(codes))

    def window_logits(self, codes: np.ndarray) -> np.ndarray:
        """``codes (n,)`` -> logits ``(n - L + 1, 2)`` of the windows starting at 0 .. n - L."""
        plan = self.plan
        windows = codes.shape[0] - plan.input_length + 1
        if windows <= 0:
            return np.zeros((0, 2), np.float32)
        first = plan.layers[0]
        x = _onehot_conv(codes, self._table, first.bias, first.relu)
        return self._branch(x, plan.layers[1:], windows)

    def _branch(self, x: np.ndarray, layers: list, windows: int) -> np.ndarray:
        """Logits of ``windows`` windows whose level-``x`` positions start at 0, 1, 2, ... of ``x``."""
        for index, layer in enumerate(layers):
            if isinstance(layer, Pool):
                # Windows starting at phase r (mod stride) see the pooled positions of that phase.
                out = np.empty((windows, 2), np.float32)
                for phase in range(min(layer.stride, windows)):
                    count = (windows - phase + layer.stride - 1) // layer.stride
                    out[phase::layer.stride] = self._branch(_pool(x, layer, phase), layers[index + 1:], count)
                return out
            x = _conv(x, layer)
        if self.plan.global_max:
            x = _sliding_max(np.ascontiguousarray(x), self._valid) if self._valid > 1 else x
        x = x[:windows]
        for dense in self._head:
            x = _dense_conv(x, dense.weight, dense.bias, dense.relu, len(x))
        return x

    def chunk_positions(self) -> int:
        if self.fused():  # memory per chunk: its bases and scores only
            return 1 << 20
        widest = max(l.weight.shape[2] for l in self.plan.layers if isinstance(l, Conv))
        return max(4096, CHUNK_FLOATS // widest)


def probabilities(logits: np.ndarray) -> np.ndarray:
    """P(bound) from ``(n, 2)`` logits, softmax in float32 as in ``bindreg.score.predict.Scorer``."""
    logits = logits.astype(np.float32, copy=False)
    return np.float32(1) / (np.float32(1) + np.exp(logits[:, 0] - logits[:, 1]))


# ---------------------------------------------------------------- genome and track


@dataclass
class ScanSummary:
    bases: int
    scored: int
    seconds: float
    track: Path
    chunk_positions: int
    #: Of ``seconds``, the time spent writing the track (pyBigWig or text) and reading the genome.
    write_seconds: float = 0.0
    read_seconds: float = 0.0


def _regions(genome, regions: Path | None, chroms: list[str] | None):
    from ..data.genome import Interval, whole_genome
    from ..data.peaks import read_regions

    if regions is not None and chroms:
        raise BindregError("give --regions or --chrom, not both")
    if regions is not None:
        if Path(regions).is_dir():
            raise BindregError(f"{regions}: is a directory; give a BED file of regions")
        return read_regions(Path(regions), genome)
    if chroms:
        order = list(genome.lengths)
        for chrom in chroms:
            genome.check_chromosome(chrom, "--chrom")
        return [Interval(c, 0, genome.lengths[c]) for c in sorted(set(chroms), key=order.index)]
    return whole_genome(genome)


def prefetched(items: Iterator, depth: int = 2) -> Iterator:
    """``items`` produced in a worker thread, ``depth`` ahead of the consumer: the scan's kernels
    release the GIL, so the next chunk is computed while pyBigWig (which holds it) writes this one.
    An exception in the worker is raised in the consumer; leaving the loop early stops the worker."""
    import queue
    import threading

    box: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def offer(entry) -> bool:
        while not stop.is_set():
            try:
                box.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not offer((item, None)):
                    return
            offer((done, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            offer((done, exc))

    worker = threading.Thread(target=work, name="bindreg-scan", daemon=True)
    worker.start()
    try:
        while True:
            item, error = box.get()
            if item is done:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        worker.join()


def iter_scores(scanner: Scanner, genome, regions, stride: int = 1, chunk: int | None = None,
                progress=None, timings: dict | None = None) -> Iterator[tuple[str, int, np.ndarray]]:
    """Yield ``(chrom, first_base, values)``: ``values[i]`` is the score of base ``first_base + i * stride``
    (float32; NaN where that base is N). Chunks of ``chunk`` bases (a multiple of ``stride``);
    ``timings["read"]`` accumulates the seconds spent reading the genome."""
    import time

    length = scanner.plan.input_length
    half = length // 2
    chunk = chunk or scanner.chunk_positions()
    chunk = max(stride, chunk - chunk % stride)
    timings = timings if timings is not None else {}
    for region in regions:
        for start in range(region.start, region.end, chunk):
            end = min(start + chunk, region.end)
            started = time.perf_counter()
            codes = base_codes(genome.fetch(region.chrom, start - half, end - half + length - 1))
            timings["read"] = timings.get("read", 0.0) + time.perf_counter() - started
            values = scanner.window_probabilities(codes)[::stride]
            values[codes[half:half + end - start:stride] == 4] = np.nan  # an N base gets no value
            if progress is not None:
                progress(end - start)
            yield region.chrom, start, values


class TrackWriter:
    """bigWig (pyBigWig) or bedGraph (text), by the output's suffix; written to a temporary sibling
    and renamed into place when closed without error."""

    def __init__(self, path: Path, chrom_sizes: list[tuple[str, int]], stride: int):
        self.path = Path(path)
        self.kind = track_kind(self.path)
        self.stride = stride
        self.scratch = self.path.with_name(f".{self.path.name}.tmp")
        self._sizes = dict(chrom_sizes)
        if self.kind == "bigwig":
            import pyBigWig

            self._bw = pyBigWig.open(str(self.scratch), "w")
            # No zoom levels: libBigWig keeps every zoom record in memory until close (~14 bytes a base,
            # so ~40 GB for a human genome) and computes them at close (~1 us a base). Readers (pyBigWig,
            # IGV, UCSC) read the base data; UCSC's bigWigToBedGraph | bedGraphToBigWig adds zooms.
            self._bw.addHeader(list(chrom_sizes), maxZooms=0)
        else:
            self._text = open(self.scratch, "w", encoding="ascii")

    def add(self, chrom: str, first: int, values: np.ndarray) -> int:
        """Write runs of non-NaN values; returns how many were written."""
        good = ~np.isnan(values)
        if not good.any():
            return 0
        # Runs of consecutive scored positions: each becomes one fixed-step block.
        edges = np.flatnonzero(np.diff(np.r_[0, good.view(np.int8), 0]))
        limit = self._sizes[chrom]
        for a, b in zip(edges[0::2], edges[1::2]):
            starts = first + np.arange(a, b, dtype=np.int64) * self.stride
            run = values[a:b]
            if self.kind == "bigwig":
                last_span = min(self.stride, limit - int(starts[-1]))
                if last_span == self.stride:
                    self._bw.addEntries(chrom, int(starts[0]), values=run.astype(np.float64), span=self.stride,
                                        step=self.stride)
                else:  # the last value would run past the chromosome end
                    if len(run) > 1:
                        self._bw.addEntries(chrom, int(starts[0]), values=run[:-1].astype(np.float64),
                                            span=self.stride, step=self.stride)
                    self._bw.addEntries(chrom, int(starts[-1]), values=run[-1:].astype(np.float64),
                                        span=last_span, step=last_span)
            else:
                ends = np.minimum(starts + self.stride, limit)
                self._text.write("".join(f"{chrom}\t{s}\t{e}\t{v:.9g}\n"
                                         for s, e, v in zip(starts.tolist(), ends.tolist(), run.tolist())))
        return int(good.sum())

    def close(self, ok: bool) -> None:
        if self.kind == "bigwig":
            self._bw.close()
        else:
            self._text.close()
        if ok:
            os.replace(self.scratch, self.path)
        else:
            self.scratch.unlink(missing_ok=True)


def track_kind(path: Path) -> str:
    kind = TRACK_SUFFIXES.get(Path(path).suffix.lower())
    if kind is None:
        raise BindregError(f"{path}: unknown track format; name it .bw / .bigWig (bigWig) or .bedGraph / .bg")
    if Path(path).is_dir():
        raise BindregError(f"{path}: is a directory; give a file name ending in .bw or .bedGraph")
    return kind


def scan(model: str, genome_path: Path, out: Path, regions: Path | None = None, chroms: list[str] | None = None,
         stride: int = 1, progress: bool = False, chunk: int | None = None) -> ScanSummary:
    """Write the track of ``model`` (NAME[@VERSION], bundle or run directory) over ``genome_path``."""
    import time

    from ..data.genome import Genome
    from .bundles import resolve_local

    if stride < 1:
        raise BindregError(f"--stride {stride}: must be at least 1")
    track_kind(out)
    if Path(genome_path).is_dir():
        raise BindregError(f"{genome_path}: is a directory; give the genome's FASTA file")
    directory = resolve_local(model)
    scanner = Scanner(load_plan(directory, model))
    genome = Genome(Path(genome_path))
    started = time.perf_counter()
    try:
        todo = _regions(genome, regions, chroms)
        total = sum(r.end - r.start for r in todo)
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=total, desc="scan", unit="bp", unit_scale=True, mininterval=1)
        writer = TrackWriter(out, list(genome.lengths.items()), stride)
        scored, ok, timings, writing = 0, False, {}, 0.0
        try:
            for chrom, first, values in prefetched(iter_scores(scanner, genome, todo, stride, chunk,
                                                               bar.update if bar is not None else None, timings)):
                mark = time.perf_counter()
                scored += writer.add(chrom, first, values)
                writing += time.perf_counter() - mark
            ok = True
        finally:
            mark = time.perf_counter()
            writer.close(ok)
            writing += time.perf_counter() - mark
            if bar is not None:
                bar.close()
    finally:
        genome.close()
    return ScanSummary(total, scored, time.perf_counter() - started, Path(out), chunk or scanner.chunk_positions(),
                       writing, timings.get("read", 0.0))
