"""The nine CNN variants of Zeng et al. (2016), Table 1, and its basic ``1layer`` structure.

Kernel counts and pooling follow Table 1. The paper defers kernel widths to its
(now offline) website; we use width 24 for the first layer (DeepBind's motif
length, which ``1layer`` replicates), width 5 for deeper layers, and local max
pooling of window 3, stride 3, between layers (docs/architectures.md).
"""

from functools import partial

import bindreg
from bindreg.catalog import Architecture

ONE, TWO, THREE = ((16,), (24,)), ((16, 32), (24, 5)), ((16, 32, 64), (24, 5, 5))

TABLE_1 = [
    ("1layer", "16 kernels of width 24, global max pooling, dense 32, dropout (the paper's basic model)",
     ONE, None),
    ("1layer_1motif", "1layer with a single convolutional kernel", ((1,), (24,)), None),
    ("1layer_64motif", "1layer with 64 convolutional kernels", ((64,), (24,)), None),
    ("1layer_128motif", "1layer with 128 convolutional kernels", ((128,), (24,)), None),
    ("1layer_local_win3", "1layer with local max pooling of window 3 at the top", ONE, 3),
    ("1layer_local_win9", "1layer with local max pooling of window 9 at the top", ONE, 9),
    ("2layer", "2 convolutional layers of 16/32 kernels, global max pooling at the top", TWO, None),
    ("3layer", "3 convolutional layers of 16/32/64 kernels, global max pooling at the top", THREE, None),
    ("2layer_local_win3", "2 layers of 16/32 kernels, local max pooling of window 3 at the top", TWO, 3),
    ("3layer_local_win3", "3 layers of 16/32/64 kernels, local max pooling of window 3 at the top", THREE, 3),
]


def _build(filters, widths, top_pool, hparams):
    from bindreg.nets import ConvNet  # here, so that TABLE_1 reads without MXNet (the PyTorch benchmark)

    return ConvNet(filters=filters, widths=widths, top_pool=top_pool, dropout=hparams["dropout"])


def _global_twin(widths, top_pool, twin, length):
    """``twin`` (the same layers with global max pooling) where the local top pool of window
    ``top_pool`` covers exactly the positions left at the top of ``length`` bp (one window: the
    global max), else None. 3layer_local_win3 at 101 bp: 78 -> 26 -> 22 -> 7 -> 3 positions."""
    positions = length
    for depth, width in enumerate(widths):
        positions = (positions - 3) // 3 + 1 if depth else positions  # ConvNet's inner pool: window 3, stride 3
        positions -= width - 1
    return twin if positions == top_pool else None


@bindreg.hookimpl
def register_architectures(register):
    twins = {(filters, widths): name for name, _, (filters, widths), top_pool in TABLE_1 if top_pool is None}
    for name, description, (filters, widths), top_pool in TABLE_1:
        twin = twins.get((filters, widths)) if top_pool is not None else None
        register(Architecture(name, description, partial(_build, filters, widths, top_pool),
                              same_as=partial(_global_twin, widths, top_pool, twin) if twin else None))
