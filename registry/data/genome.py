"""Reference genomes: indexed FASTA access (plain or bgzip, via pyfaidx) and streaming in chunks.

Everything that walks a whole genome goes through ``iter_chunks`` so that memory
stays bounded by the chunk size, not by the genome size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import BindregError

#: Bases per chunk when streaming over a genome (1 Mb: ~1 MB of sequence in memory per chunk).
CHUNK_BASES = 1_000_000
_GC = np.zeros(256, dtype=np.uint8)
for _c in b"GCgc":
    _GC[_c] = 1


@dataclass(frozen=True)
class Interval:
    """A half-open, 0-based genomic interval ``[start, end)``."""

    chrom: str
    start: int
    end: int


class Genome:
    """An indexed FASTA file; ``lengths`` maps each chromosome to its length in bp.

    The index (``.fai``, and ``.gzi`` for bgzip) is built beside the file on first use.
    """

    def __init__(self, path: Path):
        import pyfaidx

        from ..core.validate import check_fasta_index, input_file

        self.path = input_file(path, "genome FASTA")
        if _starts_with_bom(self.path):
            raise BindregError(f"{self.path}: starts with a UTF-8 byte-order mark, which an indexed FASTA cannot "
                               "hold (offsets are in bytes); remove it, e.g. sed -i '1s/^\\xEF\\xBB\\xBF//' FILE")
        if _is_plain_gzip(self.path):
            raise BindregError(f"{self.path}: gzip-compressed but not bgzip, so it cannot be indexed; "
                               "recompress it with `bgzip` (htslib) or decompress it with `gunzip`")
        indexes = [Path(f"{self.path}.fai"), Path(f"{self.path}.gzi")]
        existing = [index.exists() for index in indexes]
        try:
            # as_raw: slices are plain 0-based strings, the cheapest access path.
            self._fasta = pyfaidx.Fasta(str(self.path), as_raw=True, sequence_always_upper=True)
        except Exception as exc:  # noqa: BLE001 - pyfaidx raises FastaIndexingError, ValueError, RuntimeError...
            for index, was_there in zip(indexes, existing):  # a failed indexing leaves nothing beside the input
                if not was_there:
                    index.unlink(missing_ok=True)
            message = " ".join(str(exc).split())[:200]
            raise BindregError(f"{self.path}: not an indexable FASTA genome ({message}); give a plain or "
                               "bgzip-compressed FASTA file, every line of a record the same width, no blank "
                               "lines") from None
        self.lengths = {name: len(record) for name, record in self._fasta.records.items()}
        if not self.lengths:
            raise BindregError(f"{self.path}: no sequences found; is this a FASTA file?")
        if not _is_gzip(self.path):  # bgzip offsets are in decompressed bytes; pyfaidx checks those blocks
            check_fasta_index(self.path, self._fasta.faidx.index)

    def fetch(self, chrom: str, start: int, end: int) -> str:
        """Upper-case sequence of ``[start, end)``; positions outside the chromosome read as N."""
        length = self.lengths[chrom]
        left, right = max(start, 0), min(end, length)
        core = self._fasta[chrom][left:right] if right > left else ""
        return "N" * (left - start) + core + "N" * (end - max(right, start))

    @property
    def total_bases(self) -> int:
        return sum(self.lengths.values())

    def check_chromosome(self, chrom: str, where: str) -> None:
        if chrom not in self.lengths:
            names = list(self.lengths)
            shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
            raise BindregError(f"{where}: chromosome {chrom!r} is not in the genome {self.path.name} "
                               f"(it has {shown}); use the genome build the peaks were called on, or remove "
                               "these records")

    def close(self) -> None:
        self._fasta.close()


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def _starts_with_bom(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(3) == b"\xef\xbb\xbf"


def _is_plain_gzip(path: Path) -> bool:
    """True for gzip that is not BGZF (BGZF blocks carry the 'BC' extra field)."""
    with open(path, "rb") as handle:
        head = handle.read(18)
    if head[:2] != b"\x1f\x8b":
        return False
    has_extra = bool(head[3] & 4)
    return not (has_extra and head[12:14] == b"BC")


def whole_genome(genome: Genome) -> list[Interval]:
    return [Interval(chrom, 0, length) for chrom, length in genome.lengths.items()]


def iter_chunks(genome: Genome, regions: list[Interval] | None = None, chunk_bases: int = CHUNK_BASES,
                margin: int = 0) -> Iterator[tuple[Interval, str, int]]:
    """Stream ``regions`` (default: every chromosome) in pieces of at most ``chunk_bases``.

    Yields ``(core, sequence, offset)``: ``core`` is the piece itself; ``sequence``
    is ``core`` widened by ``margin`` bases on each side (N beyond chromosome ends),
    starting at genome position ``offset``. A caller keeps only features that start
    inside ``core``, so features across chunk borders are seen exactly once.
    """
    for region in regions or whole_genome(genome):
        for start in range(region.start, region.end, chunk_bases):
            end = min(start + chunk_bases, region.end)
            yield Interval(region.chrom, start, end), genome.fetch(region.chrom, start - margin, end + margin), \
                start - margin


def gc_fraction(sequences: list[str]) -> np.ndarray:
    """GC fraction of each sequence, ``shape=(n,)`` float; N counts as neither (denominator = length)."""
    if not sequences:
        return np.zeros(0)
    length = len(sequences[0])
    raw = np.frombuffer("".join(sequences).encode("latin-1"), dtype=np.uint8).reshape(-1, length)
    return _GC[raw].sum(axis=1) / length


def write_fasta(path: Path, records: Iterator[tuple[str, Iterator[bytes]]], bgzip: bool = False,
                line_width: int = 60) -> None:
    """Write ``(name, chunks of sequence bytes)`` records as FASTA, streaming (plain or bgzip).

    The caller renames the result into place; bgzip output uses Biopython's BGZF writer.
    """
    if bgzip:
        from Bio import bgzf

        handle = bgzf.BgzfWriter(str(path), "wb")
    else:
        handle = open(path, "wb")
    with handle:
        for name, chunks in records:
            handle.write(b">" + name.encode() + b"\n")
            carry = b""
            for chunk in chunks:
                carry += chunk
                full = len(carry) - len(carry) % line_width
                if full:
                    view = memoryview(carry)
                    handle.write(b"".join(bytes(view[i:i + line_width]) + b"\n" for i in range(0, full, line_width)))
                    carry = carry[full:]
            if carry:
                handle.write(carry + b"\n")
