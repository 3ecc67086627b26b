"""Several settings of one ConvNet trained as one graph, with one flat AdaDelta update.

``P`` settings of the same ConvNet structure (they differ only in dropout, rho, epsilon and
their seeds) become one computation: the first convolution is one conv with ``P x filters``
output channels over the shared input, deeper convolutions are grouped (``num_group=P``), the
dense layers are batched over a setting axis (``batch_dot``), and the loss is the sum over
settings. Their parameters are disjoint, so each setting's gradient is exactly its own.

All parameters of all settings live in one flat vector ``theta`` that the graph splits into
weights, so its gradient comes back flat and AdaDelta (Zeiler 2012, lr 1, no weight decay, the
arithmetic of ``mx.optimizer.AdaDelta``) is ~14 element-wise operations over one buffer, with
per-setting rho and epsilon as per-element arrays, instead of ~8 small operations per parameter.
(MXNet 1.9 has no fused AdaDelta operator; this is the smallest faithful update we could write.)

Dropout masks are drawn explicitly from a per-setting ``numpy.random.Generator(seed)``, one block
per validation interval, so a setting sees the same masks packed or alone (MXNet's own RNG stream
depends on the shape of the draw). ``P = 1`` is the fast single-model step.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from mxnet import autograd, gluon, nd
from mxnet.gluon import nn

from ..core.sequences import over_strands, reverse_complement
from . import onehot_conv
from .draws import dropout_masks, validation_blocks
from .nets import BothStrandsConvNet, ConvNet, DeepBindNet


#: "auto" (``fuses_first_layer``'s rule), "always" or "never" (MXNet's Convolution + topk/Pooling):
#: the switch benchmarks/bench_fused_first_layer.py flips for its A/B.
FUSED_FIRST_LAYER = "auto"


def fuses_first_layer(config: dict, length: int, ctx, settings: int = 1) -> bool:
    """Whether the first convolution and its pooling run as ``bindreg.onehot_conv``'s operator.

    It is a CPU (numba) operator. Measured per step, A/B in one process
    (benchmarks/bench_fused_first_layer.py, docs/benchmarks.md): it wins wherever its backward
    is sparse, i.e. the pooling after the first convolution spans more than 16 positions (the
    global max of the 1layer family: 1.1x for 1layer alone, 3.2x for 30 packed, 3.4x / 5.8x for
    1layer_128motif), and for packed searches of many settings (30 packed 1layer_local_win9
    1.5x, 3layer 1.15x); one setting with local pooling (1layer_local_win9, 3layer) runs 0.7-0.8x
    as fast as MXNet's own operators, which therefore stay there.
    """
    if FUSED_FIRST_LAYER == "never" or ctx.device_type != "cpu":
        return False
    return FUSED_FIRST_LAYER == "always" or first_pool(config, length) > 16 or settings >= 10


def first_pool(config: dict, length: int) -> int:
    """The window of the max pooling after the first convolution (the global max: all its positions)."""
    pool = config["inner_pool"] if len(config["filters"]) > 1 else config["top_pool"]
    return pool or length - config["widths"][0] + 1


def packable_config(nets: list) -> dict | None:
    """The shared structure of ``nets``, or None when they cannot be packed together (not all plain
    ``bindreg.nets.ConvNet``s, ``BothStrandsConvNet``s or ``DeepBindNet``s, or differently shaped)."""
    if not nets or any(type(net) not in (ConvNet, BothStrandsConvNet, DeepBindNet) or type(net) is not type(nets[0])
                       for net in nets):
        return None
    config = [_config(net) for net in nets]
    if any(c != config[0] for c in config):
        return None
    return config[0]


def _config(net) -> dict:
    """The packed graph's description of one net: ConvNet's own config; ``BothStrandsConvNet``
    (``1layer_rc``) as the one-layer ConvNet it is plus ``strands: 2`` (each filter also scans with its
    reverse complement, global max over both); ``DeepBindNet`` plus ``deepbind: True`` (0.25 padding of
    width - 1 on both sides, dropout on the pooled features, hidden layer of 32 or none: ``hidden`` None)."""
    if type(net) is ConvNet:
        return {**net.config, "hidden_inputs": net.hidden.weight.shape[1]}
    weight = net.conv.weight if type(net) is DeepBindNet else net.weight
    filters, _, _, width = weight.shape
    hidden = None if net.hidden is None else net.hidden._units  # noqa: SLF001 - Dense keeps its size there
    extra = {"deepbind": True} if type(net) is DeepBindNet else {"strands": 2}
    return {"filters": (filters,), "widths": (width,), "inner_pool": None, "top_pool": None, "hidden": hidden,
            "hidden_inputs": filters, **extra}


@dataclass(frozen=True)
class Layout:
    """Where each weight of the packed net sits in ``theta``: ``(name, shape)`` in order."""

    entries: tuple[tuple[str, tuple[int, ...]], ...]
    settings: int

    @classmethod
    def of(cls, config: dict, hidden_inputs: int, settings: int) -> "Layout":
        p, entries, channels = settings, [], 4
        for depth, (count, width) in enumerate(zip(config["filters"], config["widths"])):
            entries += [(f"conv{depth}_weight", (p * count, channels, 1, width)), (f"conv{depth}_bias", (p * count,))]
            channels = count
        hidden = config["hidden"]
        if hidden is not None:  # (DeepBind may have none: the pooled features go to the output layer)
            entries += [("hidden_weight", (p, hidden, hidden_inputs)), ("hidden_bias", (p, 1, hidden))]
        entries += [("output_weight", (p, 2, hidden or hidden_inputs)), ("output_bias", (p, 1, 2))]
        return cls(tuple(entries), settings)

    @property
    def sizes(self) -> list[int]:
        return [int(np.prod(shape)) for _, shape in self.entries]

    @property
    def offsets(self) -> list[int]:
        return list(np.cumsum([0] + self.sizes))

    def owner(self) -> np.ndarray:
        """The setting each element of ``theta`` belongs to (every entry's first axis is grouped by setting)."""
        return np.concatenate([np.repeat(np.arange(self.settings), size // self.settings) for size in self.sizes])


def _score_batch(graph, length: int) -> int:
    """Sequences per validation forward: as many as keep the widest activation near 16M floats (64 MB),
    between 50 and 1,000.

    MXNet's convolution materialises the first layer's ``(N, P*filters, 1, positions)`` output; the
    fused operator returns only its pooled windows, so deeper layers (at most ``P*filters`` channels
    over those windows) bound it instead. Each forward pays a fixed cost (the fused operator is a
    Python ``Custom`` call), so chunks of 50 where 1,000 fit made validation ~40% of a packed search
    of ``1layer_128motif`` on FOXA1."""
    config, layout = graph._config, graph._layout  # noqa: SLF001
    if graph._fused_length is not None and not config.get("strands") and not config.get("deepbind"):  # noqa: SLF001
        width = layout.settings * max(config["filters"])
        positions = (length - config["widths"][0] + 1) // first_pool(config, length)
    else:
        width, positions = weight_count(layout), length
    return int(np.clip(16_000_000 // (width * max(positions, 1)), 50, 1000))


class PackedGraph(gluon.HybridBlock):
    """``(x (N,4,1,L), theta[, y (N,), masks (P,N,hidden)])``: training returns the summed
    cross-entropy of all settings; inference returns P(bound) ``(P, N)``."""

    def __init__(self, config: dict, layout: Layout, training: bool, fused_length: int | None = None,
                 **kwargs):
        super().__init__(**kwargs)
        self._config, self._layout, self._training = config, layout, training
        self._fused_length = fused_length  # inputs of this length take bindreg.onehot_conv's first layer

    def hybrid_forward(self, F, x, theta, y=None, masks=None):
        p = self._layout.settings
        pieces = F.split_v2(theta, tuple(int(i) for i in self._layout.offsets[1:-1]), axis=0)
        weights = {name: F.reshape(piece, shape=shape) for (name, shape), piece in zip(self._layout.entries, pieces)}
        h = self._features(F, x, weights)
        h = F.transpose(F.reshape(h, shape=(0, p, -1)), axes=(1, 0, 2))  # (P, N, features)
        deepbind = self._config.get("deepbind", False)
        if self._training and deepbind:  # DeepBind drops pooled features, not hidden units
            h = h * masks
        if "hidden_weight" in weights:
            h = F.relu(F.broadcast_add(F.batch_dot(h, weights["hidden_weight"], transpose_b=True),
                                       weights["hidden_bias"]))
        if self._training and not deepbind:
            h = h * masks
        logits = F.broadcast_add(F.batch_dot(h, weights["output_weight"], transpose_b=True), weights["output_bias"])
        if not self._training:
            return F.slice_axis(F.softmax(logits, axis=-1), axis=2, begin=1, end=2).reshape((0, -1))
        labels = F.reshape(F.one_hot(y, 2), shape=(1, -1, 2))
        return -F.sum(F.broadcast_mul(F.log_softmax(logits, axis=-1), labels))

    def _features(self, F, x, weights):
        """The convolutions of all settings: ``(N, 4, 1, L) -> (N, P*filters, ...)``, grouped by setting."""
        p = self._layout.settings
        filters, widths = self._config["filters"], self._config["widths"]
        top, inner = self._config["top_pool"], self._config["inner_pool"]
        fused = self._fused_length is not None
        if self._config.get("strands") == 2:  # 1layer_rc: the global max over both strands' scans
            return self._both_strands(F, x, weights)
        if self._config.get("deepbind"):  # 0.25-padded input: MXNet's convolution (not one-hot)
            pad = widths[0] - 1
            x = F.pad(x, mode="constant", constant_value=0.25, pad_width=(0, 0, 0, 0, 0, 0, pad, pad))
            return F.relu(self._global_max(F, x, weights["conv0_weight"], weights["conv0_bias"], fused=False))
        if fused:  # conv + the pooling that follows it as one operator (bindreg.onehot_conv)
            h = F.Custom(x, weights["conv0_weight"], weights["conv0_bias"], kernel=widths[0],
                         pool=first_pool(self._config, self._fused_length),
                         op_type=onehot_conv.OP_TYPE)  # (N, windows, P*filters)
            # (N, P*filters, 1, windows); expand_dims(axis=2) after the transpose instead breaks
            # MKL-DNN's grouped convolution backward ("could not create ... reorder primitive").
            h = F.relu(F.transpose(F.expand_dims(h, axis=1), axes=(0, 3, 1, 2)))
            if len(filters) == 1:
                return F.reshape(h, shape=(0, -1))
        else:
            h = x
        for depth in range(1 if fused else 0, len(filters)):
            if depth and not (fused and depth == 1):  # the fused operator pooled layer 0's output
                h = F.relu(F.Pooling(h, kernel=(1, inner), stride=(1, inner), pool_type="max"))
            h = F.Convolution(h, weights[f"conv{depth}_weight"], weights[f"conv{depth}_bias"],
                              kernel=(1, widths[depth]), num_filter=p * filters[depth],
                              num_group=p if depth else 1)
        # ReLU after max pooling, not before: max and ReLU commute (same values and gradients) and
        # the pooled array is 3x to 78x smaller than the convolution's output.
        if top is None:  # topk: the fastest global-max backward on CPU (nets.GlobalMaxOverPositions)
            return F.relu(F.topk(h, axis=3, k=1, ret_typ="value"))
        return F.relu(F.Pooling(h, kernel=(1, top), stride=(1, top), pool_type="max"))

    def _both_strands(self, F, x, weights):
        """``BothStrandsConvNet``'s features ``(N, P*filters)``: max over positions of each filter and of
        its reverse complement (bases and positions flipped), then over the two, then ReLU."""
        weight, bias, fused = weights["conv0_weight"], weights["conv0_bias"], self._fused_length is not None
        return F.relu(F.maximum(self._global_max(F, x, weight, bias, fused),
                                self._global_max(F, x, reverse_complement(weight), bias, fused)))

    def _global_max(self, F, x, weight, bias, fused: bool):
        """One-layer scan and global max ``(N, P*filters)``, by the fused one-hot operator or MXNet's."""
        width = self._config["widths"][0]
        if fused:
            h = F.Custom(x, weight, bias, kernel=width, pool=first_pool(self._config, self._fused_length),
                         op_type=onehot_conv.OP_TYPE)  # (N, 1, P*filters)
            return F.reshape(h, shape=(0, -1))
        h = F.Convolution(x, weight, bias, kernel=(1, width), num_filter=weight_count(self._layout))
        return F.reshape(F.topk(h, axis=3, k=1, ret_typ="value"), shape=(0, -1))


def weight_count(layout: Layout) -> int:
    """The first layer's output channels (P x filters)."""
    return layout.entries[0][1][0]


def pack(nets: list, layout: Layout, ctx) -> nd.NDArray:
    """``theta`` holding each standalone net's (initialised) weights in its setting's slot."""
    # A pending forward may be re-laying a weight out for MKL-DNN in place (a read, so asnumpy's
    # wait does not cover it); reading the weight meanwhile fails with "can't generate TBlob for
    # MKLDNN data" (seen once in CI). Let the engine finish first.
    nd.waitall()
    per_entry = {name: [] for name, _ in layout.entries}
    for net in nets:
        for name, param in _parameters(net).items():
            array = param.data().asnumpy()
            per_entry[name].append(array if name.startswith("conv") else array[None])
    parts = [np.concatenate(per_entry[name], axis=0).reshape(-1) for name, _ in layout.entries]
    return nd.array(np.concatenate(parts), ctx=ctx, dtype="float32")


def unpack(theta: np.ndarray, layout: Layout, setting: int, net) -> None:
    """Write setting ``setting``'s slice of ``theta`` (host array) into a standalone ConvNet."""
    parameters = _parameters(net)
    for (name, _), start, size in zip(layout.entries, layout.offsets, layout.sizes):
        block = theta[start:start + size].reshape((layout.settings, -1))[setting]
        param = parameters[name]
        param.set_data(nd.array(block.reshape(param.shape), ctx=param.list_ctx()[0]))


def _parameters(net) -> dict:
    """A standalone ConvNet's (BothStrandsConvNet's, DeepBindNet's) parameters under the packed layout's names."""
    parameters = {}
    if type(net) is BothStrandsConvNet:
        parameters["conv0_weight"], parameters["conv0_bias"] = net.weight, net.bias
        convs = []
    elif type(net) is DeepBindNet:
        convs = [net.conv]
    else:
        convs = [block for block in net.features if isinstance(block, nn.Conv2D)]
    for depth, conv in enumerate(convs):
        parameters[f"conv{depth}_weight"], parameters[f"conv{depth}_bias"] = conv.weight, conv.bias
    for name in ("hidden", "output"):
        layer = getattr(net, name)
        if layer is not None:
            parameters[f"{name}_weight"], parameters[f"{name}_bias"] = layer.weight, layer.bias
    return parameters


class FlatAdaDelta:
    """AdaDelta over one flat parameter vector with per-element rho and epsilon.

    Op for op the arithmetic of ``mx.optimizer.AdaDelta.update`` (rescale, accumulate g^2,
    delta = sqrt(acc_delta + eps) / sqrt(acc_g + eps) * g, accumulate delta^2, w -= delta).
    """

    def __init__(self, theta: nd.NDArray, rho: np.ndarray, epsilon: np.ndarray, rescale: float):
        ctx = theta.context
        self.rho = nd.array(rho, ctx=ctx, dtype="float32")
        self.one_minus_rho = nd.array(1.0 - rho, ctx=ctx, dtype="float32")
        self.epsilon = nd.array(epsilon, ctx=ctx, dtype="float32")
        self.acc_g = nd.zeros(theta.shape, ctx=ctx)
        self.acc_delta = nd.zeros(theta.shape, ctx=ctx)
        self.rescale = rescale

    def update(self, theta: nd.NDArray, grad: nd.NDArray) -> None:
        g = grad * self.rescale
        self.acc_g *= self.rho
        self.acc_g += self.one_minus_rho * g * g
        delta = nd.sqrt(self.acc_delta + self.epsilon) / nd.sqrt(self.acc_g + self.epsilon) * g
        self.acc_delta *= self.rho
        self.acc_delta += self.one_minus_rho * delta * delta
        theta -= delta


@dataclass
class PackedRun:
    """What a packed training produced: each setting's best iteration's weights, in ``theta`` layout."""

    best_theta: np.ndarray
    layout: Layout
    seconds: float
    validation_seconds: float


def train_packed(nets: list, config: dict, hparams: list[dict], seeds: list[int], batches,
                 valid_x: nd.NDArray, minibatches: int, validate_every: int, ctx, batch_size: int,
                 judge: Callable[[int, int, np.ndarray], bool], on_step: Callable[[int], None] | None = None,
                 valid_x_rc: nd.NDArray | None = None) -> PackedRun:
    """Train ``len(nets)`` settings together.

    ``batches`` yields ``(x, y)`` minibatches (shared by all settings); ``judge(setting, step,
    scores)`` records a validation and returns True when it is that setting's best so far (its
    weights are then kept in ``best_theta``).
    """
    settings = len(nets)
    layout = Layout.of(config, config["hidden_inputs"], settings)
    theta = pack(nets, layout, ctx)
    theta.attach_grad()
    owner = layout.owner()
    optimizer = FlatAdaDelta(theta, np.array([h.get("rho", 0.9) for h in hparams], np.float32)[owner],
                             np.array([h.get("epsilon", 1e-6) for h in hparams], np.float32)[owner], 1.0 / batch_size)
    fused_length = valid_x.shape[3] if fuses_first_layer(config, valid_x.shape[3], ctx, settings) else None
    train_graph = PackedGraph(config, layout, True, fused_length)
    score_graph = PackedGraph(config, layout, False, fused_length)
    train_graph.hybridize(static_alloc=True, static_shape=True)
    score_graph.hybridize(static_alloc=True)
    rates = [float(net.dropout._rate) for net in nets]
    mask_width = config["hidden_inputs"] if config.get("deepbind") else config["hidden"]
    rngs = [np.random.default_rng(seed) for seed in seeds]
    best_theta = theta.asnumpy()
    validation_seconds = 0.0
    started = time.perf_counter()
    step = 0
    for block in validation_blocks(minibatches, validate_every):
        masks = nd.array(dropout_masks(rngs, rates, block, batch_size, mask_width), ctx=ctx)
        for index in range(block):
            x, y = next(batches)
            with autograd.record():
                loss = train_graph(x, theta, y, masks[index])
            loss.backward()
            optimizer.update(theta, theta.grad)
            step += 1
            if on_step is not None:
                on_step(step)
        nd.waitall()
        tick = time.perf_counter()
        scores = _scores(score_graph, theta, valid_x, valid_x_rc)
        host = None
        for setting in range(settings):
            if judge(setting, step, scores[setting]):
                host = theta.asnumpy() if host is None else host
                best_theta[owner == setting] = host[owner == setting]
        validation_seconds += time.perf_counter() - tick
    nd.waitall()
    return PackedRun(best_theta, layout, time.perf_counter() - started, validation_seconds)


def _scores(graph, theta, x, x_rc=None) -> np.ndarray:
    """``(P, n)`` P(bound) of every setting; the mean over both strands when ``x_rc`` is given."""
    batch_size = _score_batch(graph, x.shape[3])

    def forward(data):
        return nd.concat(*[graph(data[i:i + batch_size], theta) for i in range(0, data.shape[0], batch_size)], dim=1)

    scores = over_strands(forward, x, x_rc is not None, x_rc)
    return scores.asnumpy().astype(np.float64)
