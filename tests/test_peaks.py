"""Peak files: narrowPeak and BED readers, summit-aware windows, and every dropped record counted."""

from __future__ import annotations

import re

import numpy as np
import pytest

from bindreg.core.errors import BindregError
from bindreg.data.genome import Genome
from bindreg.data.peaks import PeakIndex, non_overlapping, peak_windows, read_peaks

from conftest import random_sequences, write_genome


@pytest.fixture
def genome(tmp_path):
    chr1 = random_sequences(1, length=5000, seed=4)[0]
    chr1 = chr1[:3000] + "N" * 20 + chr1[3020:]
    return Genome(write_genome(tmp_path / "g.fa", {"chr1": chr1, "chr2": random_sequences(1, 800, 5)[0]}))


def narrowpeak(path, rows):
    path.write_text("".join("\t".join(map(str, r)) + "\n" for r in rows))
    return path


def row(chrom, start, end, summit, signal=5.0):
    return [chrom, start, end, ".", 500, ".", signal, 10, 8, summit]


def test_windows_are_summit_centred_and_every_drop_counted(tmp_path, genome):
    peaks = narrowpeak(tmp_path / "p.narrowPeak", [
        row("chr1", 1000, 1400, 100, 9.0),     # kept: centre 1100
        row("chr1", 1000, 1400, 100, 9.0),     # exact duplicate
        row("chr1", 1000, 1400, 150, 4.0),     # second summit 50 bp away: overlapping, weaker
        row("chr1", 2000, 2300, -1),           # no summit: midpoint 2150
        row("chr1", 2950, 3100, 60),           # window over the N run
        row("chr2", 0, 100, 10),               # window off the chromosome start
        row("chr2", 700, 800, 90),             # window off the chromosome end
    ])
    windows, dropped = peak_windows(read_peaks(peaks, genome), genome)
    assert windows.names == ["chr1:1050-1151", "chr1:2100-2201"]
    assert windows.sequences[0] == genome.fetch("chr1", 1050, 1151) and len(windows.sequences[1]) == 101
    assert windows.lines == [1, 4]
    assert dropped == {"duplicate": 1, "overlapping": 1, "off_chromosome_end": 2, "contains_n": 1}


def test_bed_uses_midpoints_and_score(tmp_path, genome):
    bed = tmp_path / "p.bed"
    bed.write_text("track name=x\nchr1\t100\t300\nchr1\t400\t500\tname\t900\n")
    peaks = read_peaks(bed, genome)
    assert peaks.format == "bed" and peaks.centres().tolist() == [200, 450] and peaks.strength.tolist() == [0, 900]


@pytest.mark.parametrize("text, message", [
    ("chr1\t10\t200\t.\t0\t.\n", "p.narrowPeak:1: narrowPeak needs 10 tab-separated columns"),
    ("chrZ\t10\t200\t.\t0\t.\t1\t1\t1\t5\n", "p.narrowPeak:1: chromosome 'chrZ' is not in the genome g.fa"),
    ("chr2\t10\t900\t.\t0\t.\t1\t1\t1\t5\n", "peak ends at 900, beyond the end of chr2 (800 bp)"),
    ("chr1\t10\tx\t.\t0\t.\t1\t1\t1\t5\n", "end 'x' is not an integer"),
    ("chr1\t10\t20\t.\t0\t.\t1\t1\t1\t50\n", "summit offset 50 lies outside the peak"),
])
def test_bad_records_are_one_line_naming_file_and_line(tmp_path, genome, text, message):
    (tmp_path / "p.narrowPeak").write_text(text)
    with pytest.raises(BindregError, match=re.escape(message)) as caught:
        read_peaks(tmp_path / "p.narrowPeak", genome)
    assert "\n" not in str(caught.value)


def test_non_overlapping_keeps_the_strongest():
    kept = non_overlapping(["c", "c", "c", "d"], np.array([100, 150, 260, 120]), np.array([1.0, 2.0, 1.0, 0.0]))
    assert kept.tolist() == [1, 2, 3]


def test_peak_index_overlap(tmp_path, genome):
    peaks = read_peaks(narrowpeak(tmp_path / "p.narrowPeak", [row("chr1", 100, 200, 5), row("chr1", 150, 400, 5),
                                                               row("chr1", 1000, 1100, 5)]), genome)
    index = PeakIndex(peaks)
    hits = index.overlaps("chr1", np.array([0, 0, 399, 400, 500, 1099]), np.array([100, 101, 450, 450, 600, 1200]))
    assert hits.tolist() == [False, True, True, False, False, True]
    assert not index.overlaps("chr2", np.array([0]), np.array([800])).any()
