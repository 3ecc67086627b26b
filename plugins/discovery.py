"""The motif discovery task: bound sequences against dinucleotide shuffles of themselves."""

from importlib.metadata import version

import numpy as np

import bindreg
from bindreg.catalog import DatasetInputs, GenomeInputs, Task
from bindreg.errors import BindregError
from bindreg.negatives import dinucleotide_shuffle
from bindreg.peaks import discovery_positives
from bindreg.sequences import SequenceSet


def label_for_discovery(sequences: SequenceSet, rng: np.random.Generator) -> SequenceSet:
    """Keep given negatives; when an input holds positives only, add one shuffle of each."""
    labels = sequences.labels
    if labels is not None and (labels == 0).any():
        if not (labels == 1).any():
            raise BindregError(f"{sequences.origin}: every sequence is labelled 0; discovery needs bound "
                               "sequences (label 1)")
        return sequences
    sequences.check()  # report bad records (and unequal lengths unless opted in) before shuffling
    shuffled = dinucleotide_shuffle(sequences.sequences, rng)
    count = len(sequences)
    return SequenceSet(
        names=sequences.names + [f"{n}_shuf" for n in sequences.names],
        sequences=sequences.sequences + shuffled,
        labels=np.concatenate([np.ones(count, np.int8), np.zeros(count, np.int8)]),
        origin=sequences.origin,
        lines=sequences.lines * 2,
        sources=sequences.sources + ["dinuc_shuffle"] * count,
        any_length=sequences.any_length,
    )


def discovery_from_genome(inputs: GenomeInputs, rng: np.random.Generator) -> DatasetInputs:
    """The central 101 bp of each peak (summit-aware) against dinucleotide shuffles of them."""
    positives, provenance = discovery_positives(inputs)
    return DatasetInputs(name=positives.origin.split("/")[-1].split(".")[0],
                         train=label_for_discovery(positives, rng), test=None, provenance=provenance)


@bindreg.hookimpl
def register_tasks(register):
    register(Task(
        "discovery",
        "Motif discovery: bound sequences vs dinucleotide shuffles of them (made when the input has none)",
        label_for_discovery,
        from_genome=discovery_from_genome,
        provenance={"negative_sampler": f"uniform dinucleotide shuffle, dinuc-shuf {version('dinuc-shuf')}"},
    ))
