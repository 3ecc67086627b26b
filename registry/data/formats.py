"""Readers for the sequence formats this field publishes.

Every reader names the file and line of the first bad record and says how to
fix it; sequence content (alphabet, lengths) is checked later by
``SequenceSet.check`` so that all formats share one set of rules.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from ..core.errors import BindregError
from ..core.fsutil import open_text
from ..core.sequences import SequenceSet, read_text_lines


def _label(value: str, where: str) -> int:
    if value not in ("0", "1"):
        raise BindregError(f"{where}: label {value!r} is not binary; use 1 for bound and 0 for unbound")
    return int(value)


def read_zeng_data(path: Path) -> SequenceSet:
    """Zeng et al. ``.data``: ``>chrN:start-end SEQUENCE label`` per line, space separated."""
    names, seqs, labels, lines = [], [], [], []
    for number, line in read_text_lines(path):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 3 or not fields[0].startswith(">"):
            raise BindregError(f"{path}:{number}: expected '>name SEQUENCE label' (3 fields), "
                               f"found {len(fields)} field(s); fix or remove this line")
        names.append(fields[0][1:])
        seqs.append(fields[1].upper())
        labels.append(_label(fields[2], f"{path}:{number}"))
        lines.append(number)
    return SequenceSet(names, seqs, np.array(labels, dtype=np.int8), str(path), lines)


def zeng_companion_test(path: Path) -> Path | None:
    """The paper's release pairs ``train.data`` with ``test.data`` in one folder."""
    partner = path.with_name("test.data")
    return partner if path.name == "train.data" and partner.exists() else None


DEEPBIND_HEADER = ["FoldID", "EventID", "seq", "Bound"]


def read_deepbind_seq(path: Path) -> SequenceSet:
    """DeepBind ENCODE ``.seq``: tab-separated ``FoldID EventID seq Bound`` with a header."""
    names, seqs, labels, lines = [], [], [], []
    for number, line in read_text_lines(path):
        if number == 1:
            if line.split("\t") != DEEPBIND_HEADER:
                raise BindregError(f"{path}:1: expected the header 'FoldID<TAB>EventID<TAB>seq<TAB>Bound' "
                                   f"of a DeepBind .seq file, found {line[:60]!r}")
            continue
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 4:
            raise BindregError(f"{path}:{number}: expected 4 tab-separated fields "
                               f"(FoldID, EventID, seq, Bound), found {len(fields)}")
        names.append(fields[1])
        seqs.append(fields[2].upper())
        labels.append(_label(fields[3], f"{path}:{number}"))
        lines.append(number)
    return SequenceSet(names, seqs, np.array(labels, dtype=np.int8), str(path), lines)


def deepbind_companion_test(path: Path) -> Path | None:
    """DeepBind's ENCODE release pairs the ``*_AC.seq`` training fold with ``*_B.seq``."""
    if not path.name.endswith("_AC.seq"):
        return None
    partner = path.with_name(path.name[: -len("_AC.seq")] + "_B.seq")
    return partner if partner.exists() else None


def read_fasta(path: Path) -> SequenceSet:
    """FASTA (optionally gzipped); the sequences carry no labels."""
    names, chunks, lines = [], [], []
    try:
        with open_text(path) as handle:
            for number, line in enumerate(handle, start=1):
                line = line.strip()
                if not line or line.startswith(";"):
                    continue
                if line.startswith(">"):
                    names.append(line[1:].split()[0] if line[1:].strip() else f"record{len(names) + 1}")
                    chunks.append([])
                    lines.append(number)
                elif not chunks:
                    raise BindregError(f"{path}:{number}: sequence before the first '>' header; "
                                       "is this a FASTA file?")
                else:
                    chunks[-1].append(line.upper())
    except (UnicodeDecodeError, gzip.BadGzipFile, EOFError) as exc:
        raise BindregError(f"{path}: not a readable FASTA file ({exc}); give plain or gzipped FASTA") from None
    except OSError as exc:
        raise BindregError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return SequenceSet(names, ["".join(c) for c in chunks], None, str(path), lines)


def apply_label_file(sequences: SequenceSet, path: Path) -> SequenceSet:
    """Attach labels from ``path``: ``name<whitespace>label`` lines, or one label per line in order.

    A first line whose label field is not 0/1 is taken for a header.
    """
    rows = [(n, line.split()) for n, line in read_text_lines(path) if line.strip()]
    if rows and rows[0][1][-1] not in ("0", "1"):
        rows = rows[1:]
    if not rows:
        raise BindregError(f"{path}: no labels found; give 'name label' per line (label 0 or 1)")
    if all(len(fields) == 1 for _, fields in rows):
        if len(rows) != len(sequences):
            raise BindregError(f"{path}: {len(rows)} labels for {len(sequences)} sequences in "
                               f"{sequences.origin}; give one label per sequence, in order")
        labels = [_label(fields[0], f"{path}:{n}") for n, fields in rows]
    else:
        by_name = {}
        for n, fields in rows:
            if len(fields) != 2:
                raise BindregError(f"{path}:{n}: expected 'name label', found {len(fields)} fields")
            by_name[fields[0]] = _label(fields[1], f"{path}:{n}")
        labels = []
        for i, name in enumerate(sequences.names):
            if name not in by_name:
                raise BindregError(f"{sequences.where(i)}: sequence {name!r} has no label in {path}; "
                                   "add a line 'name label' for it")
            labels.append(by_name[name])
    sequences.labels = np.array(labels, dtype=np.int8)
    return sequences
