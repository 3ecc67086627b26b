"""Checks on what users, stores, bundles and plugins hand to bindreg, each a one-line refusal.

- ``input_file``: a path the user gave must be a readable file, not a folder;
- ``path_component``: a name that becomes part of a path (a store's ``dataset`` attribute, a
  plugin's model or task name) must be one plain folder name, so nothing is written outside the
  folder the user gave;
- ``warn``: a warning the CLI prints as one line (``BindregWarning``): leakage, duplicates,
  conflicting labels, with counts;
- ``check_fasta_index``: a ``.fai`` that does not describe its FASTA (a stale index) is refused,
  since pyfaidx would silently read the wrong bases through it.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

from .errors import BindregError, BindregWarning

#: Characters that would let a name leave its folder, or hide it: separators and control characters.
_UNSAFE = re.compile(r"[/\\\x00-\x1f\x7f]")


def input_file(path: Path | str, role: str, fix: str = "") -> Path:
    """``path`` as a ``Path`` if it is an existing, readable file; else one line naming it."""
    path = Path(path)
    hint = f"; {fix}" if fix else ""
    if path.is_dir():
        raise BindregError(f"{path}: is a folder, expected a {role} file{hint or '; give the file itself'}")
    if not path.exists():
        raise BindregError(f"{path}: {role} file not found{hint}")
    if not path.is_file():
        raise BindregError(f"{path}: not a regular file; give the {role} file itself")
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise BindregError(f"{path}: cannot read the {role} file ({exc.strerror or exc})") from None
    return path


def path_component(value, what: str, source: str) -> str:
    """``value`` if it can be one folder name inside an output folder; else a refusal naming ``source``.

    Refused: non-strings, empty names, ``.`` and ``..``, path separators, control characters, a
    leading ``.`` (hidden names are bindreg's temporary folders) or ``~``, and names over 200 characters."""
    if (not isinstance(value, str) or not value.strip() or _UNSAFE.search(value) or value.startswith((".", "~"))
            or len(value) > 200):
        raise BindregError(f"{source}: {what} {value!r} is not a plain name (no '/', '\\', '..', leading '.' "
                           "or control characters), so it cannot name a folder inside the output folder; rename it")
    return value


def inside(root: Path, path: Path, what: str) -> Path:
    """``path`` if it lies inside ``root`` (after resolving ``..`` and links); else a refusal."""
    resolved_root = Path(root).resolve()
    resolved = Path(path).resolve()
    if resolved != resolved_root and resolved_root not in resolved.parents:
        raise BindregError(f"{path}: {what} would be written outside {root}; refused")
    return Path(path)


def warn(message: str) -> None:
    """A ``BindregWarning``: the CLI prints it as one line ``Warning: ...`` and goes on."""
    warnings.warn(message, BindregWarning, stacklevel=2)


def check_fasta_index(path: Path, index: dict) -> None:
    """Refuse a plain FASTA whose ``.fai`` does not match it (a stale index from another file).

    ``index``: pyfaidx's records (``rlen``, ``offset``, ``lenc``, ``lenb`` per name). For each
    record the bytes just before its offset must be its header line and the bytes at its computed
    end must close the record; a few hundred bytes are read per record, never the sequence."""
    size = path.stat().st_size
    fai = f"{path}.fai"
    with open(path, "rb") as handle:
        for name, record in index.items():
            problem = _record_problem(handle, size, str(name).encode(), record)
            if problem:
                raise BindregError(f"{fai}: does not match {path.name} ({problem}): a stale index, made for "
                                   f"another file; delete {fai} and bindreg builds it again")


def _record_problem(handle, size: int, name: bytes, record) -> str | None:
    offset, length, width, stride = int(record.offset), int(record.rlen), int(record.lenc), int(record.lenb)
    if offset > size or offset < 1:
        return f"record {name.decode(errors='replace')!r} starts at byte {offset}, the file has {size}"
    back = min(offset, len(name) + 4096)
    handle.seek(offset - back)
    head = handle.read(back)
    header = head.rstrip(b"\r\n").rsplit(b"\n", 1)[-1].lstrip(b"\xef\xbb\xbf")
    if not head.endswith(b"\n") or not (header == b">" + name or header.startswith((b">" + name + b" ",
                                                                                    b">" + name + b"\t"))):
        return f"no header '>{name.decode(errors='replace')}' before byte {offset}"
    if width <= 0:
        return None if length == 0 else f"record {name.decode(errors='replace')!r} has no line width"
    full, rest = divmod(length, width)
    end = offset + full * stride + rest  # just after the last base (after its newline when rest == 0)
    if end > size:
        return f"record {name.decode(errors='replace')!r} would end at byte {end}, the file has {size}"
    handle.seek(end - 1)
    around = handle.read(2)
    last, after = around[:1], around[1:2]
    if rest:
        closes = last not in (b"\n", b"\r", b">") and after in (b"\n", b"\r")
    else:
        closes = (length == 0 or last == b"\n") and after in (b"", b">", b"\n", b"\r")
    if not closes:
        return f"record {name.decode(errors='replace')!r} does not end where the index says ({length} bp)"
    return None
