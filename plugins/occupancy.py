"""The motif occupancy task (Zeng et al. 2016, section 4.1): bound vs unbound genomic instances of
the TF's motif, matched on GC content and motif score. Built from a genome and peaks only."""

import bindreg
from bindreg.catalog import Task
from bindreg.errors import BindregError
from bindreg.occupancy import build_occupancy


def _needs_a_genome(sequences, rng):
    raise BindregError(f"{sequences.origin}: the occupancy task is built from a genome and peaks, not from "
                       "sequences; run `bindreg data prepare --task occupancy --genome G.fa --peaks P.narrowPeak "
                       "--tf NAME -o S.zarr`, then pass the store with --data S.zarr")


@bindreg.hookimpl
def register_tasks(register):
    register(Task(
        "occupancy",
        "Motif occupancy: bound vs unbound genomic motif instances (FIMO), GC and motif score matched",
        _needs_a_genome,
        from_genome=build_occupancy,
    ))
