"""Beyond the paper: ``cnn_transformer`` (gluonnlp's Transformer encoder over a convolutional stem)
and ``1layer_rc`` (1layer with its filters scanned on both strands)."""

import bindreg
from bindreg.catalog import Architecture
from bindreg.hparams import PAPER_SPACE

#: Kept small so that a search stays cheap: 8 combinations (the demo budget samples 6 of them).
#: AdaDelta's rho stays at the trainer's default (0.9); epsilon sets its early step size.
TRANSFORMER_SPACE = {"dropout": (0.1, 0.3), "epsilon": (1e-4, 1e-6), "heads": (2, 4)}


def _transformer(hparams):
    from bindreg.attention import ConvTransformerNet

    return ConvTransformerNet(heads=hparams["heads"], dropout=hparams["dropout"])


def _both_strands(hparams):
    from bindreg.nets import BothStrandsConvNet

    return BothStrandsConvNet(filters=16, width=24, dropout=hparams["dropout"])


@bindreg.hookimpl
def register_architectures(register):
    register(Architecture(
        "cnn_transformer",
        "conv stem (32 x width 15, max pool 4) -> gluonnlp Transformer encoder (1 layer) -> masked global max",
        _transformer, space=TRANSFORMER_SPACE))
    register(Architecture(
        "1layer_rc", "1layer whose 16 filters scan both strands (max over both before the dense layers)",
        _both_strands, space=dict(PAPER_SPACE)))
