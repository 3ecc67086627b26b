"""The bundled benchmarks: JASPAR motifs planted in sequence of human composition, reproducibly."""

from __future__ import annotations

import numpy as np

from bindreg.core.sequences import reverse_complement_codes
from bindreg.data.synthetic import human_background, planted_motif_sequences, sample_sites


def test_sites_on_the_reverse_strand_are_reverse_complements_of_draws():
    pwm = np.zeros((4, 4))
    pwm[[0, 0, 2, 1], range(4)] = 1  # the motif AAGC, drawn exactly
    sites, reverse = sample_sites(pwm, 200, np.random.default_rng(0))
    assert reverse.any() and (~reverse).any()
    assert (sites[~reverse] == [0, 0, 2, 1]).all()
    assert (sites[reverse] == reverse_complement_codes(np.array([0, 0, 2, 1]))).all()  # GCTT


def test_the_same_seed_gives_the_same_sequences():
    first = human_background(5, 50, np.random.default_rng(3))
    assert np.array_equal(first, human_background(5, 50, np.random.default_rng(3)))


def test_planted_positives_are_unlabelled_and_reproducible():
    first, provenance = planted_motif_sequences("CTCF", count=50, length=101, seed=4)
    again, _ = planted_motif_sequences("CTCF", count=50, length=101, seed=4)
    assert first.labels is None and first.sequences == again.sequences  # the task makes the negatives
    assert {len(s) for s in first.sequences} == {101} and provenance["motif"]["matrix_id"].startswith("MA")
