"""Readers for the sequence formats this field publishes.

Every reader names the file and line of the first bad record and says how to
fix it; sequence content (alphabet, lengths) is checked later by
``SequenceSet.check`` so that all formats share one set of rules.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..core.errors import BindregError
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
    """The paper's release pairs ``train.data`` with ``test.data`` in one folder (``.gz`` too)."""
    if path.name not in ("train.data", "train.data.gz"):
        return None
    for name in ("test.data", "test.data.gz"):
        if path.with_name(name).exists():
            return path.with_name(name)
    return None


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
    for suffix in ("_AC.seq", "_AC.seq.gz"):
        if path.name.endswith(suffix):
            for partner_suffix in ("_B.seq", "_B.seq.gz"):
                partner = path.with_name(path.name[: -len(suffix)] + partner_suffix)
                if partner.exists():
                    return partner
    return None


#: Any character that is not a base (after upper-casing): the first one found on a line is reported.
_NOT_A_BASE = re.compile(r"[^ACGTN]")


def read_fasta(path: Path) -> SequenceSet:
    """FASTA (optionally gzipped); the sequences carry no labels. A character outside ACGTN is
    reported at its own line and column (records may span many lines)."""
    names, chunks, lines = [], [], []
    for number, line in read_text_lines(path):
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
            upper = line.upper()
            bad = _NOT_A_BASE.search(upper)
            if bad:
                raise BindregError(f"{path}:{number}: character {line[bad.start()]!r} at column {bad.start() + 1} "
                                   f"of {names[-1]!r} is not one of A, C, G, T, N; replace ambiguity codes by N")
            chunks[-1].append(upper)
    return SequenceSet(names, ["".join(c) for c in chunks], None, str(path), lines)


def apply_label_file(sequences: SequenceSet, path: Path) -> SequenceSet:
    """Attach labels from ``path``: ``name<whitespace>label`` lines, or one label per line in order.

    A first line whose label field is not 0/1 is taken for a header. Input that holds labels
    already (``.data``, ``.seq``) is refused rather than relabelled; a name given 1 and 0 is refused;
    a name listed twice with one label is counted in a warning."""
    from ..core.validate import warn

    if sequences.labels is not None:
        raise BindregError(f"{path}: --labels labels unlabelled input (FASTA), but {sequences.origin} holds "
                           "its own labels; drop --labels, or give the sequences as FASTA")
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
        by_name, first_line, repeated = {}, {}, 0
        for n, fields in rows:
            if len(fields) != 2:
                raise BindregError(f"{path}:{n}: expected 'name label', found {len(fields)} fields")
            name, label = fields[0], _label(fields[1], f"{path}:{n}")
            if name in by_name:
                if by_name[name] != label:
                    raise BindregError(f"{path}:{n}: {name!r} is labelled {label} here but {by_name[name]} at line "
                                       f"{first_line[name]}; give each name one label")
                repeated += 1
                continue
            by_name[name], first_line[name] = label, n
        if repeated:
            warn(f"{path}: {repeated} name(s) are listed more than once (with the same label); each is used once")
        unused = len(set(by_name) - set(sequences.names))
        if unused:
            warn(f"{path}: {unused} labelled name(s) match no sequence in {sequences.origin}; they are ignored")
        labels = []
        for i, name in enumerate(sequences.names):
            if name not in by_name:
                raise BindregError(f"{sequences.where(i)}: sequence {name!r} has no label in {path}; "
                                   "add a line 'name label' for it")
            labels.append(by_name[name])
    sequences.labels = np.array(labels, dtype=np.int8)
    return sequences
