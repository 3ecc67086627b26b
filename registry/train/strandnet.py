"""``bindnet``'s network: one wide convolution shared by both strands, pooled by max and mean.

x ``(N, 4, 1, L)`` one-hot -> conv(F filters of width k) on the sequence and, with the
reverse-complemented weights, on its other strand -> ReLU -> per filter the max and the mean over
both strands and all positions ``(N, 2F)`` -> dense(hidden) -> ReLU -> dropout -> dense(2).

Why this shape (docs/recommended.md has the measured ablation): a binding site may sit on either
strand, so sharing each filter with its reverse complement halves what must be learnt and makes
the score strand-symmetric; the max says whether the best site occurs, the mean how much of the
sequence looks like sites (weak and repeated sites, which gkm-SVM's k-mer counts capture and a
single max does not).

``fused=True`` computes the first layer with ``bindreg.onehot_strands`` (CPU training only);
``fused=False`` with MXNet's Convolution, which is what is exported. Both give the same values.
"""

from __future__ import annotations

from mxnet.gluon import HybridBlock

from .nets import add_strand_layers, valid_mask
from .onehot_strands import OP_TYPE


class StrandNet(HybridBlock):
    """``strands=1`` and ``mean=False`` switch off the two ingredients (for the ablation)."""

    def __init__(self, filters: int = 128, width: int = 15, hidden: int = 32, dropout: float = 0.2,
                 fused: bool = False, strands: int = 2, mean: bool = True, **kwargs):
        super().__init__(**kwargs)
        self._filters, self._width, self.fused = filters, width, fused
        self._strands, self._mean = strands, mean
        add_strand_layers(self, filters, width, hidden, dropout)

    def hybrid_forward(self, F, x, lengths=None, weight=None, bias=None):
        return self.output(self.dropout(self.hidden(self._features(F, x, lengths, weight, bias))))

    def _features(self, F, x, lengths, weight, bias):
        """``(N, 2F)`` (``(N, F)`` without the mean): the pooled first layer the dense layers read."""
        if self.fused and lengths is None:
            pooled = F.Custom(x, weight, bias, kernel=self._width, strands=self._strands,
                              op_type=OP_TYPE)  # (N, 2, F)
            features = F.concat(F.relu(F.slice_axis(pooled, axis=1, begin=0, end=1)),
                                F.slice_axis(pooled, axis=1, begin=1, end=2), dim=1)
        else:
            features = self._pooled(F, x, lengths, weight, bias)
        if not self._mean:
            features = F.slice_axis(features, axis=1, begin=0, end=1)
        return F.reshape(features, shape=(0, -1))

    def _pooled(self, F, x, lengths, weight, bias):
        """``(N, 2, F)``: max and mean of the rectified convolution over both strands."""
        scan = dict(kernel=(1, self._width), num_filter=self._filters)
        forward = F.relu(F.Convolution(x, weight, bias, **scan))
        valid = None if lengths is None else lengths - self._width + 1
        best, both = self.pool(forward, valid), forward
        if self._strands == 2:
            reverse = F.relu(F.Convolution(x, F.flip(F.flip(weight, axis=1), axis=3), bias, **scan))
            best, both = F.maximum(best, self.pool(reverse, valid)), forward + reverse
        if valid is None:  # GlobalAveragePool exports to ONNX; ReduceMean does not (see nets)
            mean = F.Pooling(both, global_pool=True, pool_type="avg", kernel=(1, 1)) / self._strands
        else:
            masked = F.broadcast_mul(both, valid_mask(F, both, valid))
            total = F.Pooling(masked, global_pool=True, pool_type="sum", kernel=(1, 1))
            mean = F.broadcast_div(F.reshape(total, shape=(0, -1)),
                                   F.reshape(self._strands * valid, shape=(-1, 1)))
        return F.concat(F.expand_dims(best, axis=1), F.reshape(mean, shape=(0, 1, -1)), dim=1)
