"""Genome access: plain and bgzip FASTA through pyfaidx, streaming in chunks, GC content."""

from __future__ import annotations

import gzip

import pytest

from bindreg.core.errors import BindregError
from bindreg.data.genome import Genome, Interval, gc_fraction, iter_chunks, write_fasta

from conftest import random_sequences, write_genome


@pytest.fixture
def sequences():
    return {"chr1": random_sequences(1, length=2500, seed=1)[0], "chr2": "N" * 30 + random_sequences(1, 700, 2)[0]}


def test_plain_and_bgzip_read_alike(tmp_path, sequences):
    plain = Genome(write_genome(tmp_path / "g.fa", sequences))
    write_fasta(tmp_path / "g.fa.gz", ((n, iter([s.encode()])) for n, s in sequences.items()), bgzip=True)
    packed = Genome(tmp_path / "g.fa.gz")
    assert plain.lengths == packed.lengths == {"chr1": 2500, "chr2": 730}
    assert plain.fetch("chr1", 100, 250) == packed.fetch("chr1", 100, 250) == sequences["chr1"][100:250]
    # outside the chromosome reads as N, so windows at the ends keep their length
    assert plain.fetch("chr2", -5, 3) == "NNNNNNNN" and len(plain.fetch("chr2", 725, 740)) == 15


def test_plain_gzip_is_refused_in_one_line(tmp_path, sequences):
    path = tmp_path / "g.fa.gz"
    path.write_bytes(gzip.compress(b">chr1\nACGT\n"))
    with pytest.raises(BindregError, match="gzip-compressed but not bgzip.*bgzip"):
        Genome(path)


def test_chunks_cover_every_base_once_with_margins(tmp_path, sequences):
    genome = Genome(write_genome(tmp_path / "g.fa", sequences))
    seen = {"chr1": "", "chr2": ""}
    for core, sequence, offset in iter_chunks(genome, chunk_bases=400, margin=7):
        assert offset == core.start - 7 and len(sequence) == core.end - core.start + 14
        seen[core.chrom] += sequence[7:-7]
    assert seen == sequences
    regions = [Interval("chr1", 1000, 1500)]
    assert "".join(s for _, s, _ in iter_chunks(genome, regions, chunk_bases=300)) == sequences["chr1"][1000:1500]


def test_gc_fraction():
    assert gc_fraction(["GGCC", "ATAT", "GANN"]).tolist() == [1.0, 0.0, 0.25]
