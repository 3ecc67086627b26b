"""Datasets bindreg generates itself, so that it runs with no data argument and no network."""

from functools import partial

import bindreg
from bindreg.catalog import DatasetInputs, DatasetSource
from bindreg.synthetic import planted_motif_sequences, varied_length_sequences


def _load(name, tf, cofactor, seed):
    positives, provenance = planted_motif_sequences(tf, count=4000, cofactor=cofactor, seed=seed)
    return DatasetInputs(name=name, train=positives, test=None, provenance=provenance)


def _load_varied(name, tf, seed):
    positives, provenance = varied_length_sequences(tf, count=4000, seed=seed)
    return DatasetInputs(name=name, train=positives, test=None, provenance=provenance)


@bindreg.hookimpl
def register_datasets(register):
    register(DatasetSource(
        "synthetic_ctcf",
        "4,000 generated 101 bp 'peaks' of human composition, 80% carrying JASPAR CTCF near the centre, "
        "30% of those also YY1 (the default dataset)",
        partial(_load, "synthetic_ctcf", "CTCF", "YY1", 2016),
    ))
    register(DatasetSource(
        "synthetic_ctcf_varlen",
        "4,000 generated 'peaks' of 60 to 400 bp (any length: trained whole, docs/varlen.md), 80% carrying "
        "JASPAR CTCF near their centre",
        partial(_load_varied, "synthetic_ctcf_varlen", "CTCF", 2016),
    ))
