"""Scoring regions of a reference genome (BED or narrowPeak) with their coordinates.

Each region is read from the genome (pyfaidx, ``bindreg.data.genome``) and scored whole, as
``bindreg predict`` scores a FASTA record of that width: regions of the model's length through
the fixed-length network in large batches (``bindreg.score.fasta_stream``), the others by the mode
``--mode`` chooses (whole, padding masked; or the best window). Regions are read, scored and
written ``BATCH`` at a time, so memory holds one batch of sequences.

Output (TSV, a BED with a header line): ``#chrom start end name score``; ``name`` is the BED's
fourth column when it has one, else ``chrom:start-end``; ``score`` is P(bound) with 9 decimals.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..core.errors import BindregError

#: Regions fetched and scored together.
BATCH = 8192


def _names(path: Path, count: int) -> list[str] | None:
    """The BED name column (4th) in file order, or None when the file has fewer columns."""
    from ..core.fsutil import open_text
    from ..data.peaks import _skip

    names = []
    with open_text(path) as handle:
        for raw in handle:
            line = raw.rstrip("\r\n")
            if _skip(line):
                continue
            fields = line.split("\t") if "\t" in line else line.split()
            if len(fields) < 4 or fields[3] in ("", "."):
                return None
            names.append(fields[3])
    return names if len(names) == count else None


def predict_regions(model: str, genome_path: Path, regions: Path, engine: str = "mxnet", out: Path | None = None,
                    stride: int = 1, mode: str = "auto", progress: bool = False) -> tuple[int, str]:
    """Score each region of ``regions`` in ``genome_path``; write the table to ``out`` (or stdout).
    Returns the number of regions and the mode used for regions not of the model's length."""
    import sys

    from .fasta_stream import format_scores, load_fixed_length_scorer
    from ..data.genome import Genome
    from ..data.peaks import read_peaks
    from .predict import choose_mode, score_sequences
    from .bundles import resolve_local
    from .scan import base_codes

    for label, path in (("--genome", genome_path), ("--regions", regions)):
        if Path(path).is_dir():
            raise BindregError(f"{path}: is a directory; give the {label[2:]} file itself ({label})")
    directory = resolve_local(model)
    chosen = choose_mode(directory, engine, mode)
    fixed = load_fixed_length_scorer(directory, engine)
    genome = Genome(Path(genome_path))
    scratch = Path(out).with_name(f".{Path(out).name}.tmp") if out is not None else None
    ok = False
    try:
        peaks = read_peaks(Path(regions), genome)
        names = _names(Path(regions), len(peaks)) or [f"{c}:{s}-{e}" for c, s, e in
                                                       zip(peaks.chroms, peaks.starts.tolist(), peaks.ends.tolist())]
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(peaks), desc="regions", unit="region", mininterval=1)
        handle = open(scratch, "w", encoding="utf-8") if scratch is not None else sys.stdout
        try:
            handle.write("#chrom\tstart\tend\tname\tscore\n")
            for first in range(0, len(peaks), BATCH):
                rows = range(first, min(first + BATCH, len(peaks)))
                sequences = [genome.fetch(peaks.chroms[i], int(peaks.starts[i]), int(peaks.ends[i])) for i in rows]
                scores = np.empty(len(sequences))
                exact = [k for k, s in enumerate(sequences) if len(s) == fixed.input_length]
                if exact:
                    codes = np.stack([base_codes(sequences[k]) for k in exact])
                    scores[exact] = fixed.probabilities(codes)
                others = [k for k, s in enumerate(sequences) if len(s) != fixed.input_length]
                if others:
                    scores[others] = score_sequences(directory, [sequences[k] for k in others], engine,
                                                     chosen, stride)[0]
                text = format_scores(scores)
                handle.write("".join(f"{peaks.chroms[i]}\t{peaks.starts[i]}\t{peaks.ends[i]}\t{names[i]}\t"
                                     f"{t.tobytes().decode()}\n" for i, t in zip(rows, text)))
                if bar is not None:
                    bar.update(len(sequences))
            ok = True
        finally:
            if bar is not None:
                bar.close()
            if scratch is not None:
                handle.close()
    finally:
        genome.close()
        if scratch is not None:
            if ok:
                os.replace(scratch, out)
            else:
                scratch.unlink(missing_ok=True)
    return len(peaks), chosen
