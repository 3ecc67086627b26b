"""The local model cache both download paths share: what a pull returns, and whether a cached copy is current.

``bindreg.hub.pull`` (DVC/GTO registries) and ``bindreg.hub.zoo`` (zoo folders) both keep a
verified model under ``$BINDREG_HOME/models/NAME/VERSION`` with an ``origin.json`` that records
the archive sha256 it was checked against.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..score.bundles import ORIGIN


@dataclass
class Pulled:
    name: str
    version: str
    directory: Path
    downloaded: bool
    worst_difference: dict
    #: Why the cached copy was replaced (it failed its sha256 checks), or None.
    repaired: str | None = None


def cached_is_current(target: Path, meta: dict) -> bool:
    """Whether ``target`` holds a copy verified against the archive sha256 in ``meta``."""
    try:
        origin = json.loads((Path(target) / ORIGIN).read_text())
    except (OSError, ValueError):
        return False
    return origin.get("meta", {}).get("archive_sha256") == meta["archive_sha256"]
