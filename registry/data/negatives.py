"""Negative examples for motif discovery: dinucleotide shuffles of the positives."""

from __future__ import annotations

import numpy as np
from dinuc_shuf import shuffle

_LETTERS = np.frombuffer(b"ACGTN", dtype=np.uint8)
_CODE = np.full(256, 4, dtype=np.uint8)
for _i, _c in enumerate(b"ACGT"):
    _CODE[_c] = _i


def dinucleotide_shuffle(sequences: list[str], rng: np.random.Generator) -> list[str]:
    """Shuffle each sequence keeping its dinucleotide counts exactly (uniformly, via ``dinuc-shuf``).

    ``dinuc-shuf`` requires exactly one hot letter per position, so N is encoded
    as a fifth letter: runs of N are shuffled like any other letter and every
    dinucleotide count, N's included, is kept. Sequences of different lengths are shuffled one
    group of equal length at a time (each keeps its length); equal lengths are one group, so a
    fixed-length input draws from ``rng`` exactly as before.
    """
    if not sequences:
        return []
    lengths = np.fromiter(map(len, sequences), dtype=np.int64, count=len(sequences))
    if (lengths != lengths[0]).any():
        shuffled: list[str] = [""] * len(sequences)
        for length in np.unique(lengths):
            rows = np.flatnonzero(lengths == length)
            for row, sequence in zip(rows, dinucleotide_shuffle([sequences[i] for i in rows], rng)):
                shuffled[row] = sequence
        return shuffled
    length = len(sequences[0])
    codes = _CODE[np.frombuffer("".join(sequences).encode("latin-1"), dtype=np.uint8)]
    onehot = np.eye(5, dtype=np.uint8)[codes.reshape(-1, length)]
    shuffled = shuffle(onehot, rng=rng, verify=False).argmax(axis=2)
    return [_LETTERS[row].tobytes().decode() for row in shuffled]


def fresh_negatives(positives: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Dinucleotide shuffles of ``positives: (n, 4, L)`` uint8 one-hot (N = all-zero column), as
    ``(n, 4, L)`` uint8; N is shuffled as a fifth letter so every dinucleotide count is kept."""
    five = np.concatenate([positives, 1 - positives.sum(axis=1, keepdims=True, dtype=np.uint8)], axis=1)
    shuffled = shuffle(five.transpose(0, 2, 1), rng=rng, verify=False)  # (n, L, 5)
    return np.ascontiguousarray(shuffled[:, :, :4].transpose(0, 2, 1))
