"""A model on this machine: a run directory or a bundle, found by path or by NAME[@VERSION].

Pulled models lie under ``$BINDREG_HOME/models/NAME/VERSION`` (``bindreg.hub.pull`` puts them
there); ``bundle_info`` reads the facts scoring needs from either kind of directory.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..core.errors import BindregError
from ..core.fsutil import home
from ..core.record import is_run, read_run

SPEC = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9_/-]*?)(?:@(?P<version>v\d+\.\d+\.\d+))?$")


ORIGIN = "origin.json"


def models_home() -> Path:
    return home() / "models"


def parse_spec(spec: str) -> tuple[str, str | None]:
    match = SPEC.match(spec)
    if not match:
        raise BindregError(f"{spec!r} is not NAME or NAME@vX.Y.Z; see `bindreg models list` for names")
    return match["name"], match["version"]


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.lstrip("v").split("."))


def resolve_local(model: str) -> Path:
    """A bundle or run directory for ``model``: a path, or NAME[@VERSION] in the cache (latest cached
    version when no version is given)."""
    path = Path(model)
    if path.is_dir():
        return path
    name, version = parse_spec(model)
    folder = models_home() / name
    cached = sorted((p.name for p in folder.iterdir() if (p / ORIGIN).exists()), key=version_key) \
        if folder.is_dir() else []
    if version:
        if version not in cached:
            raise BindregError(f"{name}@{version} is not downloaded; run `bindreg pull {name}@{version} "
                               "--from REPO` first")
        return folder / version
    if not cached:
        raise BindregError(f"no model {model!r} is downloaded and no such directory exists; run "
                           f"`bindreg pull {name} --from REPO` first, or give a run directory")
    return folder / cached[-1]



def bundle_info(directory: Path) -> dict:
    """``bundle.json`` of a bundle, or the same facts read from a run directory's ``run.json``."""
    directory = Path(directory)
    if (directory / "bundle.json").exists():
        return json.loads((directory / "bundle.json").read_text())
    if is_run(directory):
        record = read_run(directory, finished=False)
        return {"input_length": record.sequence_length, "model": record.model, "both_strands": record.both_strands,
                "trained_any_length": bool(record.run.get("any_length", False))}
    raise BindregError(f"{directory}: neither a model bundle (bundle.json) nor a run directory (run.json); "
                       "give a published NAME[@VERSION] pulled with `bindreg pull`, or a run directory")
