"""Readers for Zeng ``.data``, DeepBind ``.seq`` and FASTA files."""

import bindreg
from bindreg.catalog import SequenceFormat
from bindreg.formats import (deepbind_companion_test, read_deepbind_seq, read_fasta, read_zeng_data,
                             zeng_companion_test)


@bindreg.hookimpl
def register_formats(register):
    register(SequenceFormat("zeng", "Zeng et al. motif-discovery release: '>name SEQUENCE label' lines",
                            (".data", ".data.gz"), read_zeng_data, zeng_companion_test))
    register(SequenceFormat("deepbind", "DeepBind ENCODE .seq: FoldID EventID seq Bound (AC = train, B = test)",
                            (".seq", ".seq.gz"), read_deepbind_seq, deepbind_companion_test))
    register(SequenceFormat("fasta", "FASTA, plain or gzipped; labels from --labels, else all bound",
                            (".fa", ".fasta", ".fna", ".fa.gz", ".fasta.gz", ".fna.gz"), read_fasta))
