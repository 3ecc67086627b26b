"""Gluon building blocks for the paper's CNNs and for DeepBind.

Every network takes one-hot DNA laid out as an image of height 1,
``x: shape=(N, 4, 1, L)`` float32, and returns two logits ``(N, 2)`` (the paper's
two output neurons). The layout is Conv2D with ``(1, k)`` kernels rather than
Conv1D because MXNet's ONNX exporter rejects 1-D convolution layouts.

Global-max networks also accept ``lengths: shape=(N,)`` float32, the true length in bases of
each sequence of a right-padded batch (docs/varlen.md). An output position of a convolution
or pooling layer is *valid* when its whole receptive field lies inside the sequence (plus the
network's own padding, for DeepBind); the global max sees valid positions only, so a padded
sequence scores exactly as it does alone. Networks with local pooling at the top need the
length they were trained on and refuse ``lengths``.
"""

from __future__ import annotations

from collections.abc import Sequence

from mxnet.gluon import HybridBlock, nn

from ..core.errors import BindregError
from ..core.sequences import reverse_complement

#: Added to the activations of invalid positions before the global max (never wins against a real one).
_MASKED = 1e30


class GlobalMaxOverPositions(HybridBlock):
    """Max over the position axis: ``(N, C, 1, L) -> (N, C)``.

    ``topk(k=1)`` rather than ``GlobalMaxPool2D`` or ``max``: its backward pass is
    the fastest of the three on CPU (perf-notes.md, 1layer: 3.1 ms per step
    against 5.2 and 3.6), and it exports to ONNX as TopK. (``max`` exports as a
    ReduceMax that MXNet 1.9's exporter writes in a form ONNX opset 18+ refuses.)
    """

    def hybrid_forward(self, F, x, valid=None):
        if valid is not None:
            x = F.broadcast_sub(x, (1 - valid_mask(F, x, valid)) * _MASKED)
        return F.reshape(F.topk(x, axis=3, k=1, ret_typ="value"), shape=(0, -1))


def valid_mask(F, x, valid):
    """``(N, 1, 1, P)`` float: 1 where position ``p < valid[n]`` of ``x: (N, C, 1, P)``, else 0."""
    positions = F.reshape(F.contrib.arange_like(x, axis=3), shape=(1, 1, 1, -1))
    return F.broadcast_lesser(positions, F.reshape(valid, shape=(-1, 1, 1, 1)))


def valid_after(F, layer, valid):
    """Valid output positions of a (1, k) convolution or pooling layer given ``valid`` input positions.

    A window is valid when it lies wholly inside the valid input: ``floor((valid - k) / stride) + 1``
    (a Conv2D here has stride 1 and no padding). Other layers keep the positions they are given.
    """
    if isinstance(layer, (nn.Conv2D, nn.MaxPool2D)):
        kernel, stride = layer._kwargs["kernel"][1], layer._kwargs["stride"][1]
        if isinstance(layer, nn.Conv2D) and (layer._kwargs["pad"][1] or layer._kwargs["dilate"][1] != 1):
            raise BindregError(f"{layer.name}: padded or dilated convolutions have no valid-position rule yet; "
                               "use unpadded, undilated (1, k) convolutions for variable-length input")
        return F.floor((valid - kernel) / stride) + 1 if stride != 1 else valid - kernel + 1
    return valid


class ConvNet(HybridBlock):
    """Zeng et al. (2016), Figure 1, with Table 1's width/depth/pooling knobs.

    conv(filters[0], widths[0]) -> ReLU -> [local max pool(inner_pool) ->
    conv(filters[i], widths[i]) -> ReLU]... -> top pooling -> dense(hidden) ->
    ReLU -> dropout(dropout) -> dense(2).

    ``top_pool=None`` is the global max pool ("does the motif occur?");
    an integer is a local max pool of that window and stride, which keeps
    where the motif occurred.
    """

    def __init__(
        self,
        filters: Sequence[int] = (16,),
        widths: Sequence[int] = (24,),
        inner_pool: int = 3,
        top_pool: int | None = None,
        hidden: int = 32,
        dropout: float = 0.5,
        **kwargs,
    ):
        super().__init__(**kwargs)
        #: The structure without the dropout rate: settings whose ``config`` agree can be trained
        #: together as one packed graph (bindreg.packed).
        self.config = {"filters": tuple(filters), "widths": tuple(widths), "inner_pool": inner_pool,
                       "top_pool": top_pool, "hidden": hidden}
        if len(filters) != len(widths):
            raise ValueError("filters and widths must have one entry per convolutional layer")
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="features_")
            with self.features.name_scope():
                for depth, (count, width) in enumerate(zip(filters, widths)):
                    if depth:
                        self.features.add(nn.MaxPool2D((1, inner_pool), strides=(1, inner_pool)))
                    self.features.add(nn.Conv2D(count, (1, width), activation="relu"))
                if top_pool is None:
                    self.features.add(GlobalMaxOverPositions())
                else:
                    self.features.add(nn.MaxPool2D((1, top_pool), strides=(1, top_pool)))
                    self.features.add(nn.Flatten())
            self.hidden = nn.Dense(hidden, activation="relu")
            self.dropout = nn.Dropout(dropout)
            self.output = nn.Dense(2)
        self._top_pool = top_pool

    def hybrid_forward(self, F, x, lengths=None):
        if lengths is None:
            features = self.features(x)
        else:
            if self._top_pool is not None:
                raise BindregError(f"{self.name}: local max pooling at the top needs the fixed input length the "
                                   "network was trained on; score windows of that length instead (bindreg "
                                   "predict --mode windows)")
            features, valid = x, lengths
            for layer in self.features:
                if isinstance(layer, GlobalMaxOverPositions):
                    features = layer(features, valid)
                else:
                    features, valid = layer(features), valid_after(F, layer, valid)
        return self.output(self.dropout(self.hidden(features)))


class DeepBindNet(HybridBlock):
    """DeepBind's published ChIP-seq configuration (Alipanahi et al. 2015).

    16 motif detectors of width 24 scanned over the sequence padded by
    ``width - 1`` positions of 0.25 on each side (so that partial motifs at the
    ends still score), rectification, global max pooling, dropout on the pooled
    features, an optional hidden layer of 32 ReLUs, and the output layer.
    """

    def __init__(self, motifs: int = 16, width: int = 24, hidden: bool = True,
                 dropout: float = 0.5, **kwargs):
        super().__init__(**kwargs)
        self._pad = width - 1
        with self.name_scope():
            self.conv = nn.Conv2D(motifs, (1, width), activation="relu")
            self.pool = GlobalMaxOverPositions()
            self.dropout = nn.Dropout(dropout)
            self.hidden = nn.Dense(32, activation="relu") if hidden else None
            self.output = nn.Dense(2)

    def hybrid_forward(self, F, x, lengths=None):
        valid = None
        if lengths is not None:
            # Past a sequence's end the fixed-length network sees its own 0.25 padding: put it there,
            # then every window that overlaps the sequence (k - 1 more than a valid convolution) counts.
            inside = valid_mask(F, x, lengths)
            x = F.broadcast_add(F.broadcast_mul(x, inside), (1 - inside) * 0.25)
            valid = lengths + self._pad
        padded = F.pad(x, mode="constant", constant_value=0.25,
                       pad_width=(0, 0, 0, 0, 0, 0, self._pad, self._pad))
        features = self.dropout(self.pool(self.conv(padded), valid))
        if self.hidden is not None:
            features = self.hidden(features)
        return self.output(features)


def add_strand_layers(block: HybridBlock, filters: int, width: int, hidden: int, dropout: float) -> None:
    """The parameters and layers of a strand-symmetric network (``BothStrandsConvNet``, ``StrandNet``):
    the shared filters ``weight (F, 4, 1, k)`` and ``bias (F,)``, the global max, and the dense head."""
    with block.name_scope():
        block.weight = block.params.get("weight", shape=(filters, 4, 1, width))
        block.bias = block.params.get("bias", shape=(filters,), init="zeros")
        block.pool = GlobalMaxOverPositions()
        block.hidden = nn.Dense(hidden, activation="relu")
        block.dropout = nn.Dropout(dropout)
        block.output = nn.Dense(2)


class BothStrandsConvNet(HybridBlock):
    """``1layer`` whose filters scan both strands: each filter and its reverse complement.

    Reverse-complementing the weights (flip the base axis, A C G T -> T G C A, and the
    position axis) rather than the input keeps both scans aligned on the same positions, so
    a padded batch masks both alike. The global max of each filter is taken over both
    strands before the dense layers, which makes the score the same for a sequence and its
    reverse complement.
    """

    def __init__(self, filters: int = 16, width: int = 24, hidden: int = 32, dropout: float = 0.5, **kwargs):
        super().__init__(**kwargs)
        self._filters, self._width = filters, width
        add_strand_layers(self, filters, width, hidden, dropout)

    def hybrid_forward(self, F, x, lengths=None, weight=None, bias=None):
        scan = dict(kernel=(1, self._width), num_filter=self._filters)
        forward = F.relu(F.Convolution(x, weight, bias, **scan))
        reverse = F.relu(F.Convolution(x, reverse_complement(weight), bias, **scan))
        valid = None if lengths is None else lengths - self._width + 1
        features = F.maximum(self.pool(forward, valid), self.pool(reverse, valid))
        return self.output(self.dropout(self.hidden(features)))
