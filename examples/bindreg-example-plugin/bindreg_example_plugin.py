"""An example bindreg plugin: ``1layer_maxavg``, the paper's 1layer with max *and* average pooling.

DeepBind used max+average pooling for in-vitro (PBM) data; this plugin lets the
paper's comparison ask whether it helps on ChIP-seq too.
"""

from mxnet.gluon import HybridBlock, nn

import bindreg
from bindreg.catalog import Architecture


class MaxAvgNet(HybridBlock):
    """``x: (N, 4, 1, L)`` -> conv(16, width 24) -> [max, mean] over positions -> dense 32 -> dropout -> 2."""

    def __init__(self, dropout: float, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.conv = nn.Conv2D(16, (1, 24), activation="relu")
            self.hidden = nn.Dense(32, activation="relu")
            self.dropout = nn.Dropout(dropout)
            self.output = nn.Dense(2)

    def hybrid_forward(self, F, x):
        scan = self.conv(x)
        pooled = F.concat(F.max(scan, axis=(2, 3)), F.mean(scan, axis=(2, 3)), dim=1)
        return self.output(self.dropout(self.hidden(pooled)))


@bindreg.hookimpl
def register_architectures(register):
    register(Architecture("1layer_maxavg", "1layer with global max and average pooling (example plugin)",
                          lambda hparams: MaxAvgNet(hparams["dropout"])))
