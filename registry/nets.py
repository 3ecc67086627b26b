"""Gluon building blocks for the paper's CNNs and for DeepBind.

Every network takes one-hot DNA laid out as an image of height 1,
``x: shape=(N, 4, 1, L)`` float32, and returns two logits ``(N, 2)`` (the paper's
two output neurons). The layout is Conv2D with ``(1, k)`` kernels rather than
Conv1D because MXNet's ONNX exporter rejects 1-D convolution layouts.
"""

from __future__ import annotations

from collections.abc import Sequence

from mxnet.gluon import HybridBlock, nn


class GlobalMaxOverPositions(HybridBlock):
    """Max over the position axis: ``(N, C, 1, L) -> (N, C)``.

    ``topk(k=1)`` rather than ``GlobalMaxPool2D`` or ``max``: its backward pass is
    the fastest of the three on CPU (perf-notes.md, 1layer: 3.1 ms per step
    against 5.2 and 3.6), and it exports to ONNX as TopK. (``max`` exports as a
    ReduceMax that MXNet 1.9's exporter writes in a form ONNX opset 18+ refuses.)
    """

    def hybrid_forward(self, F, x):
        return F.reshape(F.topk(x, axis=3, k=1, ret_typ="value"), shape=(0, -1))


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

    def hybrid_forward(self, F, x):
        return self.output(self.dropout(self.hidden(self.features(x))))


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

    def hybrid_forward(self, F, x):
        padded = F.pad(x, mode="constant", constant_value=0.25,
                       pad_width=(0, 0, 0, 0, 0, 0, self._pad, self._pad))
        features = self.dropout(self.pool(self.conv(padded)))
        if self.hidden is not None:
            features = self.hidden(features)
        return self.output(features)
