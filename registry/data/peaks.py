"""Peak calls (BED, ENCODE narrowPeak) and the fixed-length windows built from them.

Every record that does not become a window is counted under the reason it was
dropped (``duplicate``, ``overlapping``, ``off_chromosome_end``, ``contains_n``),
and the counts go into the dataset's provenance.
"""

from __future__ import annotations

import gzip
import zlib

import bisect
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.errors import BindregError
from ..core.fsutil import open_text, sha256_file
from .genome import Genome, Interval
from ..core.sequences import SequenceSet

#: The paper's window: 101 bp centred on a summit or a motif instance.
WINDOW = 101
NARROWPEAK_COLUMNS = ("chrom", "start", "end", "name", "score", "strand", "signalValue", "pValue", "qValue",
                      "peak")


@dataclass
class Peaks:
    """Peak records in file order; ``summit`` is an absolute 0-based position or -1 (none given).

    ``strength`` orders overlapping peaks (narrowPeak signalValue, BED score, else 0).
    """

    path: Path
    format: str
    chroms: list[str]
    starts: np.ndarray
    ends: np.ndarray
    summits: np.ndarray
    strength: np.ndarray
    lines: list[int]

    def __len__(self) -> int:
        return len(self.chroms)

    def centres(self) -> np.ndarray:
        """Summit where given, else the midpoint (ENCODE peaks without a summit)."""
        return np.where(self.summits >= 0, self.summits, (self.starts + self.ends) // 2)


def _skip(line: str) -> bool:
    return not line.strip() or line.startswith(("#", "track", "browser"))


def _int(value: str, column: str, where: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise BindregError(f"{where}: {column} {value!r} is not an integer; BED coordinates are whole "
                           "0-based numbers") from None


def read_peaks(path: Path, genome: Genome) -> Peaks:
    """Read BED (3+ columns) or ENCODE narrowPeak (10 columns; chosen by a name containing
    'narrowPeak'), checking every record against ``genome``."""
    from ..core.validate import input_file

    path = input_file(path, "peaks")
    narrow = "narrowpeak" in path.name.lower()
    chroms, starts, ends, summits, strength, lines = [], [], [], [], [], []
    try:
        with open_text(path) as handle:
            for number, raw in enumerate(handle, start=1):
                line = raw.rstrip("\r\n")
                if _skip(line):
                    continue
                where = f"{path}:{number}"
                fields = line.split("\t") if "\t" in line else line.split()
                if narrow and len(fields) < len(NARROWPEAK_COLUMNS):
                    raise BindregError(
                        f"{where}: narrowPeak needs 10 tab-separated columns ({', '.join(NARROWPEAK_COLUMNS)}), "
                        f"found {len(fields)}; give the ENCODE narrowPeak file itself, or rename a 3-column "
                        "file to .bed")
                if len(fields) < 3:
                    raise BindregError(f"{where}: BED needs at least 3 columns (chrom, start, end), "
                                       f"found {len(fields)}")
                chrom = fields[0]
                start, end = _int(fields[1], "start", where), _int(fields[2], "end", where)
                genome.check_chromosome(chrom, where)
                if not 0 <= start < end:
                    raise BindregError(f"{where}: start {start} and end {end} do not make an interval; "
                                       "need 0 <= start < end")
                if end > genome.lengths[chrom]:
                    raise BindregError(f"{where}: peak ends at {end}, beyond the end of {chrom} "
                                       f"({genome.lengths[chrom]} bp) in {genome.path.name}; the peaks were "
                                       "called on another genome build")
                summit = -1
                if narrow:
                    offset = _int(fields[9], "peak (summit offset)", where)
                    if offset >= 0:
                        if start + offset >= end:
                            raise BindregError(f"{where}: summit offset {offset} lies outside the peak "
                                               f"({end - start} bp); column 10 is relative to the start")
                        summit = start + offset
                    score = fields[6]
                else:
                    score = fields[4] if len(fields) > 4 else "0"
                try:
                    value = float(score)
                except ValueError:
                    value = 0.0
                chroms.append(chrom)
                starts.append(start)
                ends.append(end)
                summits.append(summit)
                strength.append(value)
                lines.append(number)
    except (UnicodeDecodeError, EOFError, gzip.BadGzipFile, zlib.error):
        raise BindregError(f"{path}: not a text file or a damaged .gz; give BED or narrowPeak text "
                           "(optionally .gz)") from None
    if not chroms:
        raise BindregError(f"{path}: no peaks found; give BED or narrowPeak lines")
    return Peaks(path, "narrowPeak" if narrow else "bed", chroms, np.array(starts, np.int64),
                 np.array(ends, np.int64), np.array(summits, np.int64), np.array(strength), lines)


def read_intervals(path: Path, genome: Genome) -> list[Interval]:
    """The intervals of a BED or narrowPeak file (for region sets)."""
    peaks = read_peaks(path, genome)
    return [Interval(c, int(s), int(e)) for c, s, e in zip(peaks.chroms, peaks.starts, peaks.ends)]


def read_regions(path: Path, genome: Genome) -> list[Interval]:
    """Regions to scan from a BED file (first three columns), merged and checked against the genome."""
    intervals = read_intervals(Path(path), genome)
    merged: list[Interval] = []
    for interval in sorted(intervals, key=lambda i: (list(genome.lengths).index(i.chrom), i.start)):
        if merged and merged[-1].chrom == interval.chrom and interval.start <= merged[-1].end:
            merged[-1] = Interval(interval.chrom, merged[-1].start, max(merged[-1].end, interval.end))
        else:
            merged.append(interval)
    if not merged:
        raise BindregError(f"{path}: no regions found; give BED lines 'chrom start end'")
    return merged


def non_overlapping(chroms: list[str], centres: np.ndarray, strength: np.ndarray, length: int = WINDOW) -> np.ndarray:
    """Indices of windows kept when overlapping ``length``-bp windows are resolved greedily by
    ``strength`` (strongest first; ties keep file order). Windows overlap when their centres
    are closer than ``length``."""
    accepted: dict[str, list[int]] = {}
    keep = []
    for index in np.lexsort((np.arange(len(centres)), -np.asarray(strength))):
        taken = accepted.setdefault(chroms[index], [])
        centre = int(centres[index])
        slot = bisect.bisect_left(taken, centre)
        if (slot < len(taken) and taken[slot] - centre < length) or (slot and centre - taken[slot - 1] < length):
            continue
        taken.insert(slot, centre)
        keep.append(index)
    return np.sort(np.array(keep, dtype=np.int64))


def off_chromosome_end(chroms: list[str], centres: np.ndarray, genome: Genome, length: int = WINDOW) -> np.ndarray:
    """True where the window of ``length`` bp around a centre runs past either end of its chromosome."""
    starts = np.asarray(centres) - length // 2
    limits = np.array([genome.lengths[c] for c in chroms], dtype=np.int64)
    return (starts < 0) | (starts + length > limits)


@dataclass
class DroppedCounts:
    """Records that did not become windows, by reason."""

    counts: Counter = field(default_factory=Counter)

    def add(self, reason: str, count: int) -> None:
        self.counts[reason] += int(count)

    def as_dict(self) -> dict:
        return {reason: int(count) for reason, count in self.counts.items()}


def peak_windows(peaks: Peaks, genome: Genome, length: int = WINDOW) -> tuple[SequenceSet, dict]:
    """Positives for motif discovery: the ``length`` bp around each peak's summit (or midpoint).

    Exact duplicates are dropped, then windows running off a chromosome end, then
    windows holding an N, then overlapping windows (the stronger peak's is kept,
    so near-identical sequences never straddle the train/test split). Returns the
    windows and the count dropped for each reason.
    """
    dropped = DroppedCounts()
    centres = peaks.centres()
    seen: set[tuple] = set()
    unique = []
    for index, key in enumerate(zip(peaks.chroms, peaks.starts.tolist(), peaks.ends.tolist(), centres.tolist())):
        if key not in seen:
            seen.add(key)
            unique.append(index)
    dropped.add("duplicate", len(peaks) - len(unique))
    index = np.array(unique, dtype=np.int64)
    chroms = [peaks.chroms[i] for i in index]
    off = off_chromosome_end(chroms, centres[index], genome, length)
    dropped.add("off_chromosome_end", off.sum())
    index = index[~off]
    sequences = [genome.fetch(peaks.chroms[i], int(centres[i]) - length // 2, int(centres[i]) - length // 2 + length)
                 for i in index]
    clean = np.array(["N" not in s for s in sequences], dtype=bool)
    dropped.add("contains_n", (~clean).sum())
    index, sequences = index[clean], [s for s, ok in zip(sequences, clean) if ok]
    kept = non_overlapping([peaks.chroms[i] for i in index], centres[index], peaks.strength[index], length)
    dropped.add("overlapping", len(index) - len(kept))
    index, sequences = index[kept], [sequences[k] for k in kept]
    names = [f"{peaks.chroms[i]}:{int(centres[i]) - length // 2}-{int(centres[i]) - length // 2 + length}"
             for i in index]
    windows = SequenceSet(names, sequences, None, str(peaks.path), [peaks.lines[i] for i in index],
                          ["peak"] * len(index))
    return windows, dropped.as_dict()


def whole_peaks(peaks: Peaks, genome: Genome) -> tuple[SequenceSet, dict]:
    """Positives of any length for motif discovery: each peak from its start to its end.

    The same drops as ``peak_windows``, by the same reasons: exact duplicates, peaks running off
    a chromosome end, peaks holding an N, then overlapping peaks (the stronger one is kept).
    """
    dropped = DroppedCounts()
    seen: set[tuple] = set()
    unique = []
    for index, key in enumerate(zip(peaks.chroms, peaks.starts.tolist(), peaks.ends.tolist())):
        if key not in seen:
            seen.add(key)
            unique.append(index)
    dropped.add("duplicate", len(peaks) - len(unique))
    index = np.array(unique, dtype=np.int64)
    off = np.array([peaks.starts[i] < 0 or peaks.ends[i] > genome.lengths[peaks.chroms[i]] for i in index], dtype=bool)
    dropped.add("off_chromosome_end", int(off.sum()))
    index = index[~off] if len(index) else index
    sequences = [genome.fetch(peaks.chroms[i], int(peaks.starts[i]), int(peaks.ends[i])) for i in index]
    clean = np.array([bool(s) and "N" not in s for s in sequences], dtype=bool)
    dropped.add("contains_n", int((~clean).sum()))
    index, sequences = index[clean], [s for s, ok in zip(sequences, clean) if ok]
    accepted: dict[str, list[tuple[int, int]]] = {}
    kept = []
    for k in np.lexsort((np.arange(len(index)), -peaks.strength[index])) if len(index) else []:
        i = index[k]
        taken = accepted.setdefault(peaks.chroms[i], [])  # sorted, non-overlapping (start, end)
        start, end = int(peaks.starts[i]), int(peaks.ends[i])
        slot = bisect.bisect_left(taken, (start, end))
        if (slot < len(taken) and taken[slot][0] < end) or (slot and taken[slot - 1][1] > start):
            continue
        taken.insert(slot, (start, end))
        kept.append(k)
    kept = np.sort(np.array(kept, dtype=np.int64))
    dropped.add("overlapping", len(index) - len(kept))
    index, sequences = index[kept], [sequences[k] for k in kept]
    names = [f"{peaks.chroms[i]}:{int(peaks.starts[i])}-{int(peaks.ends[i])}" for i in index]
    return SequenceSet(names, sequences, None, str(peaks.path), [peaks.lines[i] for i in index],
                       ["peak"] * len(index), any_length=True), dropped.as_dict()


class PeakIndex:
    """Fast "does this interval overlap any peak?" over merged, sorted peak intervals."""

    def __init__(self, peaks: Peaks):
        self._merged: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for chrom in set(peaks.chroms):
            rows = np.flatnonzero(np.array(peaks.chroms) == chrom)
            order = rows[np.argsort(peaks.starts[rows], kind="stable")]
            starts, ends = [], []
            for s, e in zip(peaks.starts[order].tolist(), peaks.ends[order].tolist()):
                if starts and s <= ends[-1]:
                    ends[-1] = max(ends[-1], e)
                else:
                    starts.append(s)
                    ends.append(e)
            self._merged[chrom] = (np.array(starts), np.array(ends))

    def overlaps(self, chrom: str, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """True for each half-open ``[start, end)`` on ``chrom`` that shares a base with a peak."""
        if chrom not in self._merged:
            return np.zeros(len(starts), dtype=bool)
        peak_starts, peak_ends = self._merged[chrom]
        # Merged intervals are disjoint and sorted, so the last one starting before `end`
        # is the only candidate (it also has the largest end of those).
        candidate = np.searchsorted(peak_starts, ends, side="left") - 1
        valid = candidate >= 0
        hit = np.zeros(len(starts), dtype=bool)
        hit[valid] = peak_ends[candidate[valid]] > np.asarray(starts)[valid]
        return hit


def discovery_positives(inputs) -> tuple[SequenceSet, dict]:
    """Peak windows and their provenance for a ``GenomeInputs`` (the discovery task's positives)."""
    extra = inputs.motif_options()
    if extra:
        raise BindregError(f"{', '.join(extra)} appl{'ies' if len(extra) == 1 else 'y'} to --task occupancy, "
                           "not discovery; drop the option or use --task occupancy")
    genome = Genome(inputs.genome)
    peaks = read_peaks(inputs.peaks, genome)
    windows, dropped = whole_peaks(peaks, genome) if inputs.any_length else peak_windows(peaks, genome)
    genome.close()
    if not len(windows):
        raise BindregError(f"{inputs.peaks}: none of the {len(peaks)} peaks gives a usable "
                           f"{'whole peak' if inputs.any_length else f'{WINDOW} bp window'} "
                           f"(dropped: {dropped}); check the genome build")
    provenance = {
        "inputs": [{"role": "genome", "path": str(inputs.genome), "sha256": sha256_file(Path(inputs.genome))},
                   {"role": "peaks", "path": str(inputs.peaks), "sha256": sha256_file(Path(inputs.peaks)),
                    "format": peaks.format, "records": len(peaks)}],
        **({"window": "whole peak (start to end)"} if inputs.any_length else
           {"window": WINDOW, "centring": "summit (narrowPeak column 10) where given, else the peak midpoint"}),
        "peaks": {"records": len(peaks), "windows": len(windows)},
        "dropped": dropped,
    }
    return windows, provenance
