"""Motifs by TF name, matrix ID or file, and FIMO (pymemesuite) scanning streamed in chunks."""

from __future__ import annotations

import numpy as np
import pytest

from bindreg.core.errors import BindregError
from bindreg.data.genome import Genome, Interval
from bindreg.data.motifs import meme_text, resolve_motif, scan_genome

from conftest import random_sequences, write_genome

COMPLEMENT = str.maketrans("ACGT", "TGCA")


def test_motif_by_name_id_and_files(tmp_path):
    by_name = resolve_motif(tf="CTCF")
    by_id = resolve_motif(matrix_id="MA0139.2")
    assert by_name.identity["name"] == "CTCF" and by_id.width == 15 and by_id.pwm.shape == (4, 15)
    assert np.allclose(by_id.pwm.sum(axis=0), 1)
    meme = tmp_path / "ctcf.meme"
    meme.write_text(meme_text(by_id))
    from_meme = resolve_motif(motif_file=meme)
    assert from_meme.width == 15 and np.abs(from_meme.pwm - by_id.pwm).max() < 0.02
    assert from_meme.identity["sha256"] and from_meme.identity["format"] == "MEME"
    jaspar = tmp_path / "ctcf.jaspar"
    counts = (by_id.pwm * 100).round().astype(int)
    jaspar.write_text(">MA0139.2 CTCF\n" + "".join(f"{b} [ {' '.join(map(str, r))} ]\n" for b, r in zip("ACGT", counts)))
    assert resolve_motif(motif_file=jaspar).identity["matrix_id"] == "MA0139.2"


def test_unknown_tf_and_missing_motif_are_one_line():
    with pytest.raises(BindregError, match="no JASPAR CORE motif named 'NOTATF'"):
        resolve_motif(tf="NOTATF")
    with pytest.raises(BindregError, match="needs the TF's motif: give --tf NAME"):
        resolve_motif()


def test_scan_finds_planted_sites_on_both_strands_once_across_chunks(tmp_path):
    motif = resolve_motif(matrix_id="MA0139.2")
    CTCF_SITE = "".join("ACGT"[i] for i in motif.pwm.argmax(axis=0))  # the consensus, 15 bp
    background = random_sequences(1, length=6000, seed=9)[0]
    reverse_site = CTCF_SITE.translate(COMPLEMENT)[::-1]
    plants = {995: CTCF_SITE, 3000: reverse_site, 5990 - 15: CTCF_SITE}  # the first spans a chunk border
    sequence = list(background)
    for start, site in plants.items():
        sequence[start:start + len(site)] = site
    genome = Genome(write_genome(tmp_path / "g.fa", {"chr1": "".join(sequence)}))
    found = scan_genome(genome, motif, threshold=1e-6, half_context=100, chunk_bases=1000)
    centres = sorted(found.centres)
    assert centres == [start + 7 for start in sorted(plants)]
    strands = dict(zip(found.centres, found.strands))
    assert strands[3007] == "-" and strands[1002] == "+"
    assert found.bases_scanned == 6000 and all(len(c) == 201 for c in found.contexts)
    context = found.contexts[found.centres.index(1002)]
    assert context[100 - 7:100 + 8] == CTCF_SITE
    assert context.startswith(genome.fetch("chr1", 902, 903))
    only = scan_genome(genome, motif, [Interval("chr1", 2500, 4000)], threshold=1e-6)
    assert only.centres == [3007] and only.bases_scanned == 1500
