"""DeepBind's published ChIP-seq configuration (Alipanahi et al., Nat. Biotechnol. 2015)."""

import bindreg
from bindreg.catalog import Architecture
from bindreg.hparams import PAPER_SPACE
from bindreg.nets import DeepBindNet


def _build(hparams):
    return DeepBindNet(motifs=16, width=24, hidden=hparams["hidden"], dropout=hparams["dropout"])


@bindreg.hookimpl
def register_architectures(register):
    register(Architecture(
        "deepbind",
        "DeepBind: 16 motifs of width 24 over 0.25-padded input, max pooling, hidden layer on/off (searched)",
        _build,
        # DeepBind treats the hidden layer as a hyper-parameter (Zeng et al. always include it).
        space={**PAPER_SPACE, "hidden": (True, False)},
    ))
