"""Sequences as read from files, and their one-hot encoding."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import BindregError

BASES = "ACGT"
_ALLOWED = np.zeros(256, dtype=bool)
_CODE = np.full(256, 4, dtype=np.uint8)  # 4 = N: an all-zero column
for _i, _b in enumerate(BASES):
    for _c in (_b, _b.lower()):
        _CODE[ord(_c)] = _i
        _ALLOWED[ord(_c)] = True
for _c in "Nn":
    _ALLOWED[ord(_c)] = True


@dataclass
class SequenceSet:
    """Sequences read from one input, with where each came from.

    ``labels`` is int8 ``(n,)`` with 1 = bound and 0 = unbound, or ``None`` when the
    input holds positives only (a task then decides how to make negatives).
    ``lines`` are 1-based line numbers in ``origin`` for error messages.
    ``any_length``: the user opted in to sequences of different lengths (``--any-length``;
    docs/varlen.md); otherwise ``check`` refuses unequal lengths.
    """

    names: list[str]
    sequences: list[str]
    labels: np.ndarray | None
    origin: str
    lines: list[int] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    any_length: bool = False

    def __post_init__(self):
        if not self.lines:
            self.lines = list(range(1, len(self.sequences) + 1))
        if not self.sources:
            self.sources = ["input"] * len(self.sequences)

    def __len__(self) -> int:
        return len(self.sequences)

    def where(self, index: int) -> str:
        return f"{self.origin}:{self.lines[index]}"

    def check(self) -> int:
        """Refuse empty input, characters outside ACGTN and (unless ``any_length``) unequal lengths;
        return the length (the shortest when lengths may differ)."""
        if not self.sequences:
            raise BindregError(f"{self.origin}: no sequences found; check that the file is not empty "
                               "and is in the format its name suggests")
        length = len(self.sequences[0])
        for i, seq in enumerate(self.sequences):
            if len(seq) != length and not self.any_length:
                raise BindregError(
                    f"{self.where(i)}: sequence {self.names[i]!r} has length {len(seq)}, expected "
                    f"{length} like the first record; give every sequence one length "
                    "(for example the central 101 bp of each peak), or train on whole sequences with --any-length")
            if not seq:
                raise BindregError(f"{self.where(i)}: sequence {self.names[i]!r} is empty; remove the record")
            raw = np.frombuffer(seq.encode("latin-1", "replace"), dtype=np.uint8)
            bad = np.flatnonzero(~_ALLOWED[raw])
            if bad.size:
                char = seq[bad[0]]
                raise BindregError(
                    f"{self.where(i)}: character {char!r} at position {bad[0] + 1} of "
                    f"{self.names[i]!r} is not one of A, C, G, T, N; replace ambiguity codes by N")
        if self.labels is not None:
            if len(self.labels) != len(self.sequences):
                raise BindregError(f"{self.origin}: {len(self.labels)} labels for "
                                   f"{len(self.sequences)} sequences; give one label per sequence")
            bad = np.flatnonzero((self.labels != 0) & (self.labels != 1))
            if bad.size:
                i = int(bad[0])
                raise BindregError(f"{self.where(i)}: label {self.labels[i]} is not binary; "
                                   "use 1 for bound and 0 for unbound")
        return min(map(len, self.sequences)) if self.any_length else length

    def refuse_uninformative(self) -> None:
        """Refuse input whose every sequence is only N (nothing to learn or score); warn, with the
        count, when some are."""
        from .validate import warn

        only_n = [i for i, seq in enumerate(self.sequences) if not seq.strip("Nn")]
        if only_n and len(only_n) == len(self.sequences):
            raise BindregError(f"{self.origin}: every sequence ({len(only_n)}) is only N (unknown bases); "
                               "give sequences with A, C, G, T (masked regions belong out of the input)")
        if only_n:
            warn(f"{self.origin}: {len(only_n)} of {len(self.sequences)} sequences are only N, first at "
                 f"{self.where(only_n[0])}; they carry no information")

    @classmethod
    def concat(cls, parts: list["SequenceSet"], origin: str) -> "SequenceSet":
        labels = [p.labels for p in parts]
        return cls(
            names=[n for p in parts for n in p.names],
            sequences=[s for p in parts for s in p.sequences],
            labels=None if any(l is None for l in labels) else np.concatenate(labels).astype(np.int8),
            origin=origin,
            lines=[x for p in parts for x in p.lines],
            sources=[x for p in parts for x in p.sources],
            any_length=any(p.any_length for p in parts),
        )


def one_hot(sequences: list[str]) -> np.ndarray:
    """Encode equal-length sequences: ``shape=(n, 4, L)`` uint8, base order A C G T, N = zeros."""
    if not sequences:
        return np.zeros((0, 4, 0), dtype=np.uint8)
    length = len(sequences[0])
    raw = np.frombuffer("".join(sequences).encode("latin-1"), dtype=np.uint8).reshape(-1, length)
    codes = _CODE[raw]
    # A fifth row absorbs N and is dropped, which leaves N as an all-zero column.
    return np.eye(5, 4, dtype=np.uint8)[codes].transpose(0, 2, 1).copy()


def one_hot_padded(sequences: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Sequences of any lengths right-padded with N to the longest: ``(n, 4, Lmax)`` uint8 and
    their lengths ``(n,)`` int32 (the variable-length store's layout, docs/varlen.md)."""
    lengths = np.fromiter(map(len, sequences), dtype=np.int32, count=len(sequences))
    longest = int(lengths.max()) if len(lengths) else 0
    return one_hot([s.ljust(longest, "N") for s in sequences]), lengths


def decode(onehot: np.ndarray) -> list[str]:
    """Inverse of ``one_hot`` for ``(n, 4, L)`` arrays; all-zero columns become N."""
    letters = np.frombuffer(b"ACGTN", dtype=np.uint8)
    codes = np.where(onehot.any(axis=1), onehot.argmax(axis=1), 4)
    return [letters[row].tobytes().decode() for row in codes]


_COMPLEMENT = str.maketrans("ACGTNacgtn", "TGCANtgcan")


def reverse_complement(x, bases: int = 1, positions: int = 3):
    """The other strand, the one place bindreg computes it.

    One-hot DNA in A C G T order (a NumPy array, an MXNet NDArray, or a Symbol inside
    ``hybrid_forward``): flipping the ``bases`` axis complements (A<->T, C<->G), flipping
    ``positions`` reverses. Defaults fit ``(n, 4, 1, L)``; ``(4, L)`` takes ``bases=0, positions=1``.
    Axes are non-negative because MXNet's flip refuses negative ones. A ``str`` is reverse-complemented
    as text (N stays N).
    """
    if isinstance(x, str):
        return x.translate(_COMPLEMENT)[::-1]
    if isinstance(x, np.ndarray):
        return np.ascontiguousarray(np.flip(x, axis=(bases, positions)))
    return x.flip(axis=bases).flip(axis=positions)


def reverse_complement_codes(codes: np.ndarray) -> np.ndarray:
    """The other strand of base codes 0-3 (A C G T) along the last axis: ``3 - code``, reversed."""
    return 3 - codes[..., ::-1]


def over_strands(score, x, both_strands: bool, reverse=None):
    """``score(x)``, or with ``both_strands`` its mean with ``score(reverse)`` (default: the reverse
    complement of ``x``): how a model trained with ``--both-strands`` is tested and used."""
    forward = score(x)
    if not both_strands:
        return forward
    return (forward + score(reverse_complement(x) if reverse is None else reverse)) / 2


def read_text_lines(path: Path):
    """Yield ``(line_number, stripped_line)`` of a plain or gzipped text file; a binary, damaged or
    unreadable file, or a folder, is one clear error."""
    import gzip
    import zlib

    from .fsutil import open_text

    if Path(path).is_dir():
        raise BindregError(f"{path}: is a folder, expected a file; give the file itself")
    try:
        with open_text(path) as handle:
            for number, line in enumerate(handle, start=1):
                if "\x00" in line:
                    raise BindregError(f"{path}:{number}: holds NUL bytes, so it is not a text file; "
                                       "give the plain-text (or gzipped) file")
                yield number, line.rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise BindregError(f"{path}: not a text file (byte {exc.start} is not UTF-8); "
                           "decompress it or give the plain-text file") from None
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise BindregError(f"{path}: damaged or truncated gzip ({exc or type(exc).__name__}); "
                           "give an intact .gz or the plain-text file") from None
    except OSError as exc:
        raise BindregError(f"{path}: cannot read ({exc.strerror or exc})") from None
