"""A convolutional stem followed by gluonnlp's Transformer encoder (``cnn_transformer``).

The stem finds motifs as the paper's CNNs do; the encoder lets every motif occurrence
attend to the others, which is where interactions between motifs (spacing, co-factors)
can be learnt. Attention, layer norm, the position-wise feed-forward block and the
sinusoidal positional encoding are gluonnlp 0.10's own ``TransformerEncoder``.

    x (N, 4, 1, L) -> Conv2D(units, (1, width)) -> ReLU -> max pool (1, pool)
      -> (N, P, units) -> TransformerEncoder(layers, heads, valid_length)
      -> masked global max over positions -> dense(hidden) -> ReLU -> dropout -> dense(2)

With ``lengths`` the encoder masks padded positions out of attention (gluonnlp's
``valid_length``) and the global max ignores them, so a padded sequence scores as it does
alone. The pooling after the stem shortens the sequence that attention (quadratic in
length) sees.

The defaults are small on purpose: on 2 CPU cores MXNet spends a training step of this
network mostly on per-operator overhead, not arithmetic (units 64 and 2 layers: ~35x the
step time of ``1layer``; units 32 and 1 layer: ~7x; docs/attention.md).
"""

from __future__ import annotations

from mxnet.gluon import HybridBlock, nn

from .nets import GlobalMaxOverPositions, valid_after

#: Longest stem output (after pooling) the positional encoding covers: 4 x 2048 = ~8 kb sequences.
MAX_POSITIONS = 2048


class ConvTransformerNet(HybridBlock):
    """Conv stem -> gluonnlp TransformerEncoder -> masked global max -> dense -> 2 logits."""

    def __init__(self, units: int = 32, width: int = 15, pool: int = 4, layers: int = 1, heads: int = 4,
                 ffn: int = 64, hidden: int = 32, dropout: float = 0.1, **kwargs):
        from gluonnlp.model.transformer import TransformerEncoder

        super().__init__(**kwargs)
        with self.name_scope():
            self.stem = nn.HybridSequential(prefix="stem_")
            with self.stem.name_scope():
                self.stem.add(nn.Conv2D(units, (1, width), activation="relu"))
                self.stem.add(nn.MaxPool2D((1, pool), strides=(1, pool)))
            # scale_embed=False: the stem's ReLU outputs are already on the scale of the encoding.
            self.encoder = TransformerEncoder(num_layers=layers, units=units, hidden_size=ffn,
                                              max_length=MAX_POSITIONS, num_heads=heads, scale_embed=False,
                                              dropout=dropout, prefix="encoder_")
            self.pool = GlobalMaxOverPositions()
            self.hidden = nn.Dense(hidden, activation="relu")
            self.dropout = nn.Dropout(dropout)
            self.output = nn.Dense(2)

    def hybrid_forward(self, F, x, lengths=None):
        features, valid = x, lengths
        for layer in self.stem:
            features = layer(features)
            valid = None if valid is None else valid_after(F, layer, valid)
        tokens = F.transpose(F.reshape(features, shape=(0, 0, -1)), axes=(0, 2, 1))  # (N, P, units)
        encoded, _ = self.encoder(tokens, None, valid)
        grid = F.expand_dims(F.transpose(encoded, axes=(0, 2, 1)), axis=2)  # back to (N, units, 1, P)
        return self.output(self.dropout(self.hidden(self.pool(grid, valid))))
