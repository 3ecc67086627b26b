"""``bindnet_gkm`` (recommended) and ``bindnet``: bindreg's own models, trained by their own recipe
(docs/recommended.md).

``bindnet``: a strand-symmetric convolution (each filter also scans the other strand), global max
and mean pooling, Adam, two fresh dinucleotide shuffles of every positive as negatives each epoch,
early stopping on validation AUROC within 5,000 minibatches (the paper's final training), and the
mean of two such networks trained from different seeds, the second on the training and
validation splits together for the first one's schedule. ``bindnet_gkm``: the same two networks
with a gkm-SVM as a third member, weighted on the validation split (``Recipe.gkm_member``); the
networks join it by their log-odds (``Recipe.member_scale``); its fit takes up to 10,000 positives
(``Recipe.gkm_max_positives``), each with 3 negatives, 2 of them new shuffles of it
(``Recipe.gkm_negatives``), with 1,000 Nystrom landmarks, 2,000 where its sample is small
(``Recipe.gkm_small_landmarks``). Every
choice was made on validation splits (benchmarks/bench_recommended.py).
"""

from dataclasses import replace

import bindreg
from bindreg.catalog import Architecture, Recipe

SPACE = {"filters": (256,), "width": (11,), "hidden": (32,), "dropout": (0.2,)}
NETWORKS = Recipe(fused=True, ensemble=2, negatives=2, max_minibatches=5000, refit=True)
WITH_GKM = replace(NETWORKS, gkm_member=True, member_scale="log_odds", gkm_max_positives=10_000, gkm_negatives=3,
                   gkm_small_landmarks=2000)


def _build(hparams):
    from bindreg.train.strandnet import StrandNet  # MXNet only when a network is built

    return StrandNet(filters=hparams["filters"], width=hparams["width"], hidden=hparams["hidden"],
                     dropout=hparams["dropout"], fused=hparams.get("fused", False))


@bindreg.hookimpl
def register_architectures(register):
    networks = ("256 strand-shared filters of width 11, max + mean pooling, Adam, 2 fresh shuffles per positive "
                "every epoch, early stopping on validation AUROC, ensemble of 2 (the second refitted on training "
                "+ validation)")
    register(Architecture("bindnet", f"{networks}; one exported graph (ONNX, genome scans)", _build, space=SPACE,
                          recipe=NETWORKS))
    register(Architecture(
        "bindnet_gkm", "recommended: bindnet's two networks with gkm-SVM (gapped 11-mers, up to 10,000 positives, "
        "3 negatives each) as a third member, its weight chosen on validation; scored by bindreg predict on either "
        "engine",
        _build, space=SPACE, recipe=WITH_GKM, recommended=True))
