"""The zoo: published models that ship with bindreg, listed, verified and used offline.

A zoo is a folder holding ``index.json`` and one bundle archive per model version
(``NAME@vX.Y.Z.tar``, the deterministic tar of ``bindreg.hub.bundle``). bindreg ships one
inside the package (``bindreg/zoo``, i.e. ``registry/zoo`` in the source tree); a lab makes its
own with ``scripts/build_zoo.py`` and shares the folder (``--from PATH``). The index plays the
part ``dvc.yaml`` plays for a DVC/GTO registry: it is in git with the code, and it records each
archive's and each manifest's sha256, so a download is checked against it, not against itself::

    {"format": 1, "about": "...",
     "models": {NAME: {"versions": {VERSION: {"archive": "NAME@VERSION.tar", "archive_sha256": ...,
                                              "manifest_sha256": ..., "bytes": ...}},
                       "meta": {"tf": "STAT3", "cell_line": "HeLa-S3", "dataset": ..., "model": ...,
                                "task": ..., "auroc": ..., ...}}}}

``pull`` keeps a zoo model only after the same checks as a DVC pull (``bindreg.hub.pull``): the
archive's sha256, safe extraction, the manifest's sha256, every file's sha256, and
``test.expect`` with MXNet and onnxruntime; it is cached by version under
``$BINDREG_HOME/models/NAME/VERSION`` like a pulled model.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from ..core.errors import BindregError

INDEX = "index.json"
FORMAT = 1


def shipped() -> Path:
    """The zoo inside the installed package."""
    return Path(__file__).resolve().parent.parent / "zoo"


def is_zoo(path) -> bool:
    """Whether ``path`` (a ``--from`` value) is a zoo folder rather than a git repository."""
    return path is not None and "://" not in str(path) and (Path(path) / INDEX).is_file()


def read_index(zoo: Path | None = None) -> dict:
    """The zoo's index; the shipped zoo when ``zoo`` is None (an empty one when it holds none)."""
    zoo = Path(zoo) if zoo is not None else shipped()
    path = zoo / INDEX
    if not path.exists():
        return {"format": FORMAT, "models": {}}
    try:
        index = json.loads(path.read_text())
        models = index["models"]
    except (OSError, ValueError, KeyError, TypeError):
        raise BindregError(f"{path}: not a readable zoo index; rebuild the zoo with scripts/build_zoo.py") from None
    if index.get("format") != FORMAT or not isinstance(models, dict):
        raise BindregError(f"{path}: zoo index format {index.get('format')!r}, expected {FORMAT}; use the bindreg "
                           "that built it, or rebuild the zoo with scripts/build_zoo.py")
    return index


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.lstrip("v").split("."))


def matches_factor(meta: dict, name: str, tf: str | None) -> bool:
    """``--tf`` filter: the recorded factor, case-insensitive (the name's first word when none is recorded)."""
    if not tf:
        return True
    factor = str(meta.get("tf") or name.split("-")[0])
    return factor.upper() == tf.upper()


def list_models(zoo: Path | None = None, tf: str | None = None) -> list[dict]:
    """One row per zoo model (the rows of ``bindreg.hub.pull.list_models``): name, latest version,
    versions, stages (none), meta, and ``source``."""
    zoo = Path(zoo) if zoo is not None else shipped()
    rows = []
    for name, entry in sorted(read_index(zoo)["models"].items()):
        versions = sorted(entry.get("versions", {}), key=_version_key)
        if versions and matches_factor(entry.get("meta", {}), name, tf):
            rows.append({"name": name, "latest": versions[-1], "versions": versions, "stages": {},
                         "meta": entry.get("meta", {}), "source": "zoo" if zoo == shipped() else str(zoo)})
    return rows


def find(spec: str, zoo: Path | None = None) -> tuple[str, str, dict, dict] | None:
    """``(name, version, version record, meta)`` of ``NAME[@VERSION]`` in the zoo; None when the zoo has
    no model of that name; an error naming the versions when it lacks the version asked for."""
    from ..score.bundles import parse_spec

    name, version = parse_spec(spec)
    entry = read_index(zoo)["models"].get(name)
    if not entry or not entry.get("versions"):
        return None
    versions = sorted(entry["versions"], key=_version_key)
    version = version or versions[-1]
    if version not in entry["versions"]:
        raise BindregError(f"{name} has no version {version} in the zoo {zoo or shipped()}; it holds "
                           f"{', '.join(versions)}")
    return name, version, entry["versions"][version], entry.get("meta", {})


def unknown(spec: str, zoo: Path | None = None) -> BindregError:
    """The error for a name the zoo does not hold, with the closest names it does."""
    from ..core.errors import unknown_name

    return unknown_name("zoo model", spec.split("@")[0], read_index(zoo)["models"],
                        f"in {zoo or shipped()}; see `bindreg models list`")


def show_model(spec: str, zoo: Path | None = None) -> dict | None:
    """What ``bindreg models show`` prints for a zoo model; None when the zoo has no such name."""
    from ..score.bundles import ORIGIN, models_home

    found = find(spec, zoo)
    if found is None:
        return None
    name, version, record, meta = found
    cached = models_home() / name / version
    return {"name": name, "version": version, "zoo": str(Path(zoo) if zoo else shipped()),
            "versions": sorted(read_index(zoo)["models"][name]["versions"], key=_version_key), "stages": {},
            "archive": record, "meta": meta, "cached": str(cached) if (cached / ORIGIN).exists() else None}


def pull(spec: str, zoo: Path | None = None):
    """Verify ``NAME[@VERSION]`` from the zoo and cache it by version (``bindreg.hub.pull.Pulled``);
    a cached copy whose recorded archive sha256 is unchanged is re-checked file by file instead."""
    from .bundle import verify_manifest
    from ..score.bundles import models_home
    from .cache import Pulled, cached_is_current

    zoo = Path(zoo) if zoo is not None else shipped()
    found = find(spec, zoo)
    if found is None:
        raise unknown(spec, zoo)
    name, version, record, meta = found
    label = f"{name}@{version}"
    target = models_home() / name / version
    if cached_is_current(target, record):
        verify_manifest(target, label)
        return Pulled(name, version, target, False, {})
    archive = zoo / record["archive"]
    if not archive.is_file():
        raise BindregError(f"{label}: the zoo lists {archive} but it is missing; reinstall bindreg or rebuild the "
                           "zoo with scripts/build_zoo.py")
    worst = install(archive, record, name, version, label,
                    {"name": name, "version": version, "zoo": str(zoo), "meta": {**meta, **record}})
    return Pulled(name, version, target, True, worst)


def install(archive: Path, record: dict, name: str, version: str, label: str, origin: dict) -> dict:
    """Check ``archive`` against its zoo ``record`` and cache it (``bindreg.hub.cache.install_checked``).
    Returns the largest ``test.expect`` difference per engine."""
    from ..score.bundles import models_home
    from .cache import install_checked

    models_home().mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".zoo-", dir=models_home()))
    try:
        return install_checked(archive, record, label, models_home() / name / version, origin, scratch,
                               "the zoo index")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def add(zoo: Path, bundle: Path, name: str, version: str, meta: dict) -> dict:
    """Put the bundle directory ``bundle`` into the zoo folder ``zoo`` as ``NAME@VERSION``: its archive,
    and its record and ``meta`` in the index (written aside and renamed). Returns the record."""
    from ..core.fsutil import sha256_file, write_json_atomic
    from .bundle import write_archive
    from ..score.bundles import parse_spec

    parse_spec(f"{name}@{version}")  # refuses names and versions GTO would refuse
    zoo = Path(zoo)
    zoo.mkdir(parents=True, exist_ok=True)
    archive = f"{name}@{version}.tar"
    sha = write_archive(bundle, zoo / archive)
    record = {"archive": archive, "archive_sha256": sha, "manifest_sha256": sha256_file(Path(bundle) / "manifest.json"),
              "bytes": (zoo / archive).stat().st_size}
    index = read_index(zoo)
    entry = index["models"].setdefault(name, {"versions": {}, "meta": {}})
    entry["versions"][version] = record
    entry["meta"] = meta
    index["about"] = ("bindreg zoo: bundle archives NAME@VERSION.tar and their sha256; `bindreg models list "
                      "--from THIS_FOLDER`, `bindreg pull NAME --from THIS_FOLDER` (docs/zoo.md)")
    write_json_atomic(zoo / INDEX, {"format": FORMAT, **{k: v for k, v in index.items() if k != "format"}})
    return record
