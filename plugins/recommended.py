"""``bindnet``: bindreg's recommended network, trained by its own recipe (docs/recommended.md).

A strand-symmetric convolution (each filter also scans the other strand), global max and mean
pooling, Adam, two fresh dinucleotide shuffles of every positive as negatives each epoch, early
stopping on validation AUROC within 5,000 minibatches (the paper's final training), and the mean
of two such networks trained from different seeds, the second on the training and validation
splits together for the first one's schedule. Every choice was made on validation splits
(benchmarks/bench_recommended.py).
"""

import bindreg
from bindreg.catalog import Architecture, Recipe

SPACE = {"filters": (256,), "width": (11,), "hidden": (32,), "dropout": (0.2,)}


def _build(hparams):
    from bindreg.train.strandnet import StrandNet  # MXNet only when a network is built

    return StrandNet(filters=hparams["filters"], width=hparams["width"], hidden=hparams["hidden"],
                     dropout=hparams["dropout"], fused=hparams.get("fused", False))


@bindreg.hookimpl
def register_architectures(register):
    register(Architecture(
        "bindnet",
        "recommended: 256 strand-shared filters of width 11, max + mean pooling, Adam, 2 fresh "
        "shuffles per positive every epoch, early stopping on validation AUROC, ensemble of 2 (the second "
        "refitted on training + validation)",
        _build, space=SPACE, recipe=Recipe(fused=True, ensemble=2, negatives=2, max_minibatches=5000, refit=True),
        recommended=True))
