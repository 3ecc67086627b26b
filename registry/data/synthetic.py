"""Benchmark sequences that bindreg generates itself: real JASPAR motifs planted in
background of human-genome dinucleotide composition.

This is what ships instead of data: ``pyjaspar`` carries JASPAR offline, and the
generator is seeded, so every machine builds the same sequences.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..core.errors import BindregError
from ..core.sequences import SequenceSet, reverse_complement_codes

JASPAR_RELEASE = "JASPAR2026"

# Dinucleotide frequencies (%) of the human genome (GRCh38, both strands), row =
# first base, column = second base, order A C G T. CpG depletion (CG ~1%) is the
# feature a shuffled-negative benchmark most needs to get right.
HUMAN_DINUCLEOTIDES = np.array([
    [9.8, 5.0, 7.0, 7.6],
    [7.3, 5.2, 1.0, 7.0],
    [5.9, 4.3, 5.2, 5.0],
    [6.5, 5.9, 7.3, 9.8],
])
_LETTERS = np.frombuffer(b"ACGT", dtype=np.uint8)


def jaspar_pwm(tf: str | None = None, matrix_id: str | None = None) -> tuple[np.ndarray, dict]:
    """A JASPAR CORE motif as a probability matrix ``shape=(4, width)`` (A C G T) and its identity.

    Chosen by ``matrix_id`` when given, else the latest CORE matrix named ``tf``.
    """
    from pyjaspar import jaspardb

    db = jaspardb(release=JASPAR_RELEASE)
    if matrix_id:
        motif = db.fetch_motif_by_id(matrix_id)
        if motif is None:
            raise BindregError(f"JASPAR matrix {matrix_id!r} not found in {JASPAR_RELEASE}; "
                               "check the ID (for example MA0139.2)")
    else:
        with warnings.catch_warnings():  # pyjaspar warns on stderr when nothing matches; we say it in one line
            warnings.simplefilter("ignore")
            motifs = [m for m in db.fetch_motifs_by_name(tf or "") if m.collection == "CORE"]
        if not motifs:
            raise BindregError(f"no JASPAR CORE motif named {tf!r} in {JASPAR_RELEASE}; give a TF name such as "
                               "CTCF, a matrix ID (--motif MA0139.2) or a motif file (--motif-file)")
        motif = max(motifs, key=lambda m: (m.matrix_id.split(".")[0], int(m.matrix_id.split(".")[1])))
    counts = np.array([motif.counts[b] for b in "ACGT"], dtype=float) + 0.5
    return counts / counts.sum(axis=0), {"matrix_id": motif.matrix_id, "name": motif.name,
                                          "release": JASPAR_RELEASE}


def human_background(count: int, length: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` sequences as base codes ``(count, length)`` from a first-order Markov chain."""
    transitions = HUMAN_DINUCLEOTIDES / HUMAN_DINUCLEOTIDES.sum(axis=1, keepdims=True)
    start = HUMAN_DINUCLEOTIDES.sum(axis=1) / HUMAN_DINUCLEOTIDES.sum()
    cumulative = np.cumsum(transitions, axis=1)
    codes = np.empty((count, length), dtype=np.uint8)
    codes[:, 0] = rng.choice(4, size=count, p=start)
    draws = rng.random((count, length))
    for position in range(1, length):
        codes[:, position] = (draws[:, position, None] > cumulative[codes[:, position - 1]]).sum(axis=1)
    return np.minimum(codes, 3)


def sample_sites(pwm: np.ndarray, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``count`` instances drawn from ``pwm`` as base codes ``(count, width)``, each on a random
    strand (reverse-complemented where the returned ``reverse`` flag is set)."""
    cumulative = np.cumsum(pwm, axis=0)
    site = np.minimum((rng.random((count, pwm.shape[1]))[:, None, :] > cumulative[None]).sum(axis=1), 3)
    reverse = rng.random(count) < 0.5
    site[reverse] = reverse_complement_codes(site[reverse])
    return site.astype(np.uint8), reverse


def plant(codes: np.ndarray, pwm: np.ndarray, rows: np.ndarray, centre_jitter: int,
          rng: np.random.Generator, lengths: np.ndarray | None = None) -> np.ndarray:
    """Write one motif instance sampled from ``pwm`` into each of ``rows``, on a random strand,
    centred within ``centre_jitter`` bases of the middle; returns the start positions.
    ``lengths``: each row's own length (``(len(codes),)``) when rows are sequences of different
    lengths stored left-aligned in ``codes``; the middle is then each one's own."""
    width = pwm.shape[1]
    length = codes.shape[1] if lengths is None else np.asarray(lengths)[rows]
    site, _ = sample_sites(pwm, len(rows), rng)
    middle = (length - width) // 2
    starts = np.clip(middle + rng.integers(-centre_jitter, centre_jitter + 1, len(rows)), 0, length - width)
    for offset in range(width):
        codes[rows, starts + offset] = site[:, offset]
    return starts


def planted_motif_sequences(tf: str, count: int = 4000, length: int = 101, with_motif: float = 0.8,
                            cofactor: str | None = None, with_cofactor: float = 0.3,
                            centre_jitter: int = 20, seed: int = 0) -> tuple[SequenceSet, dict]:
    """Positives for a motif-discovery benchmark: ``count`` sequences of ``length`` bp, a
    fraction ``with_motif`` carrying an instance of ``tf``'s JASPAR motif near the centre (as
    ChIP-seq summits do) and ``with_cofactor`` of them also a co-factor motif anywhere.

    Returns the sequences (unlabelled: the task makes negatives) and their provenance.
    """
    rng = np.random.default_rng(seed)
    pwm, motif = jaspar_pwm(tf)
    codes = human_background(count, length, rng)
    carriers = np.flatnonzero(rng.random(count) < with_motif)
    plant(codes, pwm, carriers, centre_jitter, rng)
    provenance = {"generator": "bindreg.synthetic.planted_motif_sequences", "tf": tf, "motif": motif,
                  "count": count, "length": length, "with_motif": with_motif, "seed": seed,
                  "centre_jitter": centre_jitter, "background": "human dinucleotide Markov chain"}
    if cofactor:
        co_pwm, co_motif = jaspar_pwm(cofactor)
        partners = carriers[rng.random(len(carriers)) < with_cofactor]
        plant(codes, co_pwm, partners, (length - co_pwm.shape[1]) // 2, rng)
        provenance.update(cofactor=co_motif, with_cofactor=with_cofactor)
    sequences = [_LETTERS[row].tobytes().decode() for row in codes]
    names = [f"{tf}_synthetic_{i}" for i in range(count)]
    origin = f"<generated: {tf} {motif['matrix_id']}, seed {seed}>"
    return SequenceSet(names, sequences, None, origin, sources=["planted"] * count), provenance


def varied_length_sequences(tf: str, count: int = 4000, min_length: int = 60, max_length: int = 400,
                            with_motif: float = 0.8, centre_jitter: int = 20,
                            seed: int = 0) -> tuple[SequenceSet, dict]:
    """Positives of lengths drawn uniformly from ``min_length..max_length`` bp (peaks are not all
    one width), a fraction ``with_motif`` carrying ``tf``'s JASPAR motif near each one's centre.

    The set allows any length (``SequenceSet.any_length``): it trains on whole sequences.
    """
    rng = np.random.default_rng(seed)
    pwm, motif = jaspar_pwm(tf)
    if min_length < pwm.shape[1]:
        raise BindregError(f"min_length {min_length} is shorter than the {pwm.shape[1]} bp {tf} motif; "
                           "give a longer minimum")
    lengths = rng.integers(min_length, max_length + 1, count)
    codes = human_background(count, max_length, rng)
    plant(codes, pwm, np.flatnonzero(rng.random(count) < with_motif), centre_jitter, rng, lengths)
    sequences = [_LETTERS[row[:length]].tobytes().decode() for row, length in zip(codes, lengths)]
    provenance = {"generator": "bindreg.synthetic.varied_length_sequences", "tf": tf, "motif": motif,
                  "count": count, "lengths": [min_length, max_length], "with_motif": with_motif, "seed": seed,
                  "centre_jitter": centre_jitter, "background": "human dinucleotide Markov chain"}
    names = [f"{tf}_varlen_{i}" for i in range(count)]
    origin = f"<generated: {tf} {motif['matrix_id']}, {min_length}-{max_length} bp, seed {seed}>"
    return SequenceSet(names, sequences, None, origin, sources=["planted"] * count, any_length=True), provenance
