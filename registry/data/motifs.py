"""A TF's motif (JASPAR by TF name or matrix ID, or a user's MEME/JASPAR file) and genome-wide
FIMO scanning with ``pymemesuite``, streamed over the genome in chunks.
"""

from __future__ import annotations

import io

import os
import tempfile
from collections import deque
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import numpy as np

from ..core.errors import BindregError
from ..core.fsutil import sha256_file
from .genome import CHUNK_BASES, Genome, Interval, iter_chunks
from .synthetic import HUMAN_DINUCLEOTIDES, jaspar_pwm

#: FIMO's default p-value threshold, which the paper used for genome-wide instances.
FIMO_THRESHOLD = 1e-4
#: Zero-order background of the human genome (A C G T), from the dinucleotide table.
HUMAN_BACKGROUND = HUMAN_DINUCLEOTIDES.sum(axis=1) / HUMAN_DINUCLEOTIDES.sum()


@dataclass(frozen=True)
class Motif:
    """A position probability matrix ``pwm: shape=(4, width)`` (rows A C G T) and where it came from."""

    pwm: np.ndarray
    identity: dict

    @property
    def width(self) -> int:
        return self.pwm.shape[1]

    @property
    def name(self) -> str:
        return self.identity.get("name") or self.identity.get("matrix_id") or "motif"


def resolve_motif(tf: str | None = None, matrix_id: str | None = None, motif_file: Path | None = None) -> Motif:
    """The motif named by a user MEME/JASPAR file, else a JASPAR matrix ID, else a TF name
    (the latest JASPAR CORE matrix of that name)."""
    if motif_file is not None:
        return read_motif_file(Path(motif_file), tf)
    if not (tf or matrix_id):
        raise BindregError("the occupancy task needs the TF's motif: give --tf NAME (JASPAR), --motif MATRIX_ID "
                           "or --motif-file FILE (MEME or JASPAR format)")
    pwm, identity = jaspar_pwm(tf, matrix_id)
    return Motif(pwm, identity)


def read_motif_file(path: Path, tf: str | None = None) -> Motif:
    """A motif from a MEME (minimal or full) or JASPAR (``>ID NAME`` + 4 count rows) file, read with
    Biopython. With several motifs in the file, ``tf`` picks one by name or ID."""
    from Bio import motifs as bio_motifs

    from ..core.validate import input_file

    input_file(path, "motif")
    text = path.read_text(encoding="utf-8", errors="replace").lstrip("\ufeff")
    kind = "minimal" if text.lstrip().startswith("MEME version") else "jaspar"
    try:
        found = list(bio_motifs.parse(io.StringIO(text), kind))
        for found_motif in found:  # a matrix of zeros, NaN or negative counts gives no usable PWM
            values = np.array([found_motif.counts[b] for b in "ACGT"], dtype=float)
            if values.size == 0 or not np.isfinite(values).all() or (values < 0).any() or \
                    (values.sum(axis=0) <= 0).any():
                raise ValueError(f"motif {found_motif.name!r} has empty, negative or non-finite counts")
    except Exception as exc:  # noqa: BLE001 - Biopython raises many types for malformed files
        raise BindregError(f"{path}: not a readable {'MEME' if kind == 'minimal' else 'JASPAR'} motif file "
                           f"({type(exc).__name__}: {' '.join(str(exc).split())[:120]})") from None
    if not found:
        raise BindregError(f"{path}: no motif found; give a MEME or JASPAR motif file")
    if tf:
        chosen = [m for m in found if tf.lower() in {str(m.name).lower(), str(getattr(m, "matrix_id", "")).lower()}]
        if not chosen:
            raise BindregError(f"{path}: no motif named {tf!r}; it holds {', '.join(str(m.name) for m in found[:5])}")
        motif = chosen[0]
    elif len(found) > 1:
        raise BindregError(f"{path}: holds {len(found)} motifs ({', '.join(str(m.name) for m in found[:5])}); "
                           "pick one with --tf NAME")
    else:
        motif = found[0]
    counts = np.array([motif.counts[b] for b in "ACGT"], dtype=float)
    # MEME files hold probabilities: scale them to counts so that the 0.5 pseudocount stays small.
    scale = 100.0 if counts.sum(axis=0).max() <= 1.01 else 1.0
    counts = counts * scale + 0.5
    identity = {"name": str(motif.name), "matrix_id": str(getattr(motif, "matrix_id", "") or motif.name),
                "file": str(path), "sha256": sha256_file(path), "format": "MEME" if kind == "minimal" else "JASPAR"}
    return Motif(counts / counts.sum(axis=0), identity)


def meme_text(motif: Motif, background: np.ndarray = HUMAN_BACKGROUND) -> str:
    """The motif in MEME minimal format, which is what pymemesuite reads."""
    rows = "\n".join(" ".join(f"{p:.6f}" for p in column) for column in motif.pwm.T)
    letters = " ".join(f"{b} {p:.4f}" for b, p in zip("ACGT", background))
    return (f"MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\nBackground letter frequencies\n{letters}\n\n"
            f"MOTIF {motif.identity.get('matrix_id', 'motif')} {motif.name}\n"
            f"letter-probability matrix: alength= 4 w= {motif.width} nsites= 100 E= 0\n{rows}\n")


@dataclass
class Instances:
    """Motif instances, one row each: chromosome, ``centre`` (0-based position of the motif's
    middle base), strand, FIMO log-odds ``score`` and ``pvalue``, and ``context``: the
    sequence of ``2 * half_context + 1`` bp centred on it (N beyond chromosome ends)."""

    chroms: list[str] = field(default_factory=list)
    centres: list[int] = field(default_factory=list)
    strands: list[str] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    pvalues: list[float] = field(default_factory=list)
    contexts: list[str] = field(default_factory=list)
    half_context: int = 100
    bases_scanned: int = 0

    def __len__(self) -> int:
        return len(self.centres)


#: Chunks a scanning process handles before it is replaced. pymemesuite 0.1.0a4's ``Sequence``
#: never frees its copy of the sequence (no ``__dealloc__``), about 1 byte per base scanned; a
#: fresh process every 25 Mb returns that memory, which keeps a whole-genome scan bounded.
CHUNKS_PER_PROCESS = 25
_worker: dict = {}


def _start_worker(text: str, threshold: float) -> None:
    """Process-pool initializer: parse the motif once per scanning process."""
    from pymemesuite.common import MotifFile
    from pymemesuite.fimo import FIMO

    with tempfile.NamedTemporaryFile("w", suffix=".meme", delete=False) as handle:
        handle.write(text)
    try:
        with MotifFile(handle.name) as motif_file:
            _worker.update(motif=motif_file.read(), background=motif_file.background)
    finally:
        os.unlink(handle.name)
    _worker["fimo"] = FIMO(both_strands=True, threshold=threshold)


def _scan_chunk(core: Interval, sequence: str, offset: int, width: int, half_context: int) -> list[tuple]:
    from pymemesuite.common import Sequence

    pattern = _worker["fimo"].score_motif(_worker["motif"], [Sequence(sequence, name=b"chunk")],
                                          _worker["background"])
    found = []
    for match in pattern.matched_elements:
        # pymemesuite reports 1-based inclusive coordinates, start > stop on the reverse strand.
        left = offset + min(match.start, match.stop) - 1
        if not core.start <= left < core.end:
            continue  # found again (or already) by the neighbouring chunk
        centre = left + width // 2
        local = centre - offset
        found.append((core.chrom, centre, match.strand, float(match.score), float(match.pvalue),
                      sequence[local - half_context:local + half_context + 1]))
    return found


def scan_genome(genome: Genome, motif: Motif, regions: list[Interval] | None = None,
                threshold: float = FIMO_THRESHOLD, half_context: int = 100, chunk_bases: int = CHUNK_BASES,
                workers: int | None = None, progress: bool = False) -> Instances:
    """Every FIMO match of ``motif`` with p-value below ``threshold`` on either strand.

    The genome streams through in chunks of ``chunk_bases``, widened so that every
    match and its context lie inside one chunk; ``workers`` processes score chunks
    at once, with at most two chunks per worker in flight (bounded memory).
    """
    workers = workers or min(2, os.cpu_count() or 1)
    instances = Instances(half_context=half_context)
    total = sum(r.end - r.start for r in regions) if regions else genome.total_bases
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total / 1e6, unit="Mb", desc=f"FIMO {motif.name}",
                   bar_format="{l_bar}{bar}| {n:.1f}/{total:.1f} Mb [{elapsed}<{remaining}]")

    def collect(future, core):
        for row in future.result():
            for column, value in zip((instances.chroms, instances.centres, instances.strands, instances.scores,
                                      instances.pvalues, instances.contexts), row):
                column.append(value)
        instances.bases_scanned += core.end - core.start
        if bar is not None:
            bar.update((core.end - core.start) / 1e6)

    margin = half_context + motif.width
    # spawn: max_tasks_per_child needs it, and a forked child would inherit the parent's threads.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker,
                             initargs=(meme_text(motif), threshold), max_tasks_per_child=CHUNKS_PER_PROCESS) as pool:
        pending: deque = deque()
        for core, sequence, offset in iter_chunks(genome, regions, chunk_bases, margin):
            pending.append((pool.submit(_scan_chunk, core, sequence, offset, motif.width, half_context), core))
            while len(pending) >= 2 * workers:
                collect(*pending.popleft())
        while pending:
            collect(*pending.popleft())
    if bar is not None:
        bar.close()
    return instances


def fimo_provenance(threshold: float) -> dict:
    return {"scanner": f"FIMO (pymemesuite {version('pymemesuite')})", "pvalue_threshold": threshold,
            "background": {b: round(float(p), 4) for b, p in zip("ACGT", HUMAN_BACKGROUND)}, "strands": "both"}
