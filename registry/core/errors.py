"""The one exception type the CLI turns into a one-line message."""

import difflib
from collections.abc import Iterable


class BindregError(Exception):
    """A problem the user can fix; its message is one line that says how."""


def unknown_name(kind: str, name: str, known: Iterable[str], hint: str = "") -> BindregError:
    """An error for an unregistered name that lists the closest registered ones."""
    known = sorted(known)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.4)
    suggestion = f"did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    listing = f"known: {', '.join(known)}" if known else f"no {kind}s are registered"
    parts = [f"unknown {kind} {name!r}", suggestion, listing + (f" ({hint})" if hint else "")]
    return BindregError("; ".join(p for p in parts if p))


class BindregWarning(UserWarning):
    """Something the user should know (leakage, duplicates, conflicting labels); the CLI prints one line."""
