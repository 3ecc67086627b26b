"""A model on this machine: a run directory or a bundle, found by path or by NAME[@VERSION].

Pulled models lie under ``$BINDREG_HOME/models/NAME/VERSION`` (``bindreg.hub.pull`` puts them
there); ``bundle_info`` reads the facts scoring needs from either kind of directory.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..core.errors import BindregError
from ..core.fsutil import home, sha256_file
from ..core.record import is_run, read_run

SPEC = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9_/-]*?)(?:@(?P<version>v\d+\.\d+\.\d+))?$")


ORIGIN = "origin.json"
MANIFEST = "manifest.json"
#: Files that a download adds beside a bundle (where it came from); not part of the bundle.
LOCAL_FILES = (ORIGIN,)


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
    version when no version is given). A pulled model (and any bundle with a ``manifest.json``) is
    checked against its sha256s first, so a damaged copy is never scored with."""
    path = Path(model)
    if path.is_dir():
        if (path / ORIGIN).exists():
            verify_cached(path, str(model))
        elif (path / MANIFEST).exists():
            verify_manifest(path, str(model))
        return path
    found = _resolve_cached(model)
    verify_cached(found, model)
    return found


def _resolve_cached(model: str) -> Path:
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


def verify_cached(directory: Path, label: str) -> None:
    """Check a downloaded model before it is used: ``manifest.json`` against the sha256 that
    ``origin.json`` recorded from ``dvc.yaml`` at download, then every file against the manifest
    (under a millisecond for the paper's networks). One line names the damaged file and the fix."""
    directory = Path(directory)
    try:
        origin = json.loads((directory / ORIGIN).read_text())
        expected = origin["meta"]["manifest_sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        raise BindregError(f"{label}: {directory / ORIGIN} is missing or unreadable, so the cached copy cannot "
                           f"be checked; run `bindreg pull {label}` again") from None
    manifest = directory / MANIFEST
    actual = sha256_file(manifest) if manifest.is_file() else "missing"
    if actual != expected:
        raise BindregError(f"{label}: {MANIFEST} in the cache does not match the sha256 recorded at download "
                           f"({str(expected)[:16]}..., got {actual[:16]}...); the cached copy was altered, run "
                           f"`bindreg pull {label}` to download it again")
    try:
        verify_manifest(directory, label)
    except BindregError as exc:
        raise BindregError(f"{str(exc).split('; ')[0]}; the cached copy is damaged, run `bindreg pull {label}` "
                           "to download it again") from None


def verify_manifest(directory: Path, label: str) -> dict:
    """Check every file against ``manifest.json``; the first difference is one error naming the file."""
    directory = Path(directory)
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
        listed = manifest["files"]
        if not isinstance(listed, dict) or not all(isinstance(f, dict) and Path(n).name == n and n not in ("", ".", "..")
                                                   for n, f in listed.items()):
            raise ValueError("files must map plain file names to their facts")
    except (OSError, ValueError, KeyError, TypeError):
        raise BindregError(f"{label}: {MANIFEST} is missing or unreadable; the bundle is damaged, "
                           "publish it again") from None
    present = {p.name for p in directory.iterdir()
               if p.is_file() and p.name != MANIFEST and p.name not in LOCAL_FILES}
    for extra in sorted(present - set(listed)):
        raise BindregError(f"{label}: {extra} is not in {MANIFEST}; the bundle was altered, nothing was kept")
    for file, facts in sorted(listed.items()):
        path = directory / file
        if not path.exists():
            raise BindregError(f"{label}: {file} listed in {MANIFEST} is missing; the bundle is incomplete")
        actual = sha256_file(path)
        if actual != facts.get("sha256"):
            wanted, got = _distinct_prefixes(str(facts.get("sha256")), actual)
            raise BindregError(f"{label}: {file} does not match its sha256 in {MANIFEST} (expected {wanted}..., "
                               f"got {got}...); the copy or the manifest is corrupt, nothing was kept")
    return manifest


def _distinct_prefixes(first: str, second: str, least: int = 12) -> tuple[str, str]:
    """Prefixes of two hashes long enough to differ (never two identical short hashes in a message)."""
    same = next((i for i, (a, b) in enumerate(zip(first, second)) if a != b), min(len(first), len(second)))
    width = max(least, same + 4)
    return first[:width], second[:width]


def bundle_info(directory: Path) -> dict:
    """``bundle.json`` of a bundle, or the same facts read from a run directory's ``run.json``; the input
    length is checked to be a positive whole number."""
    directory = Path(directory)
    if (directory / "bundle.json").exists():
        path = directory / "bundle.json"
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise BindregError(f"{path}: not readable JSON ({type(exc).__name__}); the model folder {directory} "
                               "is damaged, export or pull it again") from None
        if not isinstance(info, dict):
            raise BindregError(f"{path}: expected a JSON object, found {type(info).__name__}; the model folder "
                               f"{directory} is damaged, export or pull it again")
    elif is_run(directory):
        record = read_run(directory, finished=False)
        path = directory / "run.json"
        info = {"input_length": record.sequence_length, "model": record.model, "both_strands": record.both_strands,
                "trained_any_length": bool(record.run.get("any_length", False))}
    else:
        raise BindregError(f"{directory}: neither a model bundle (bundle.json) nor a run directory (run.json); "
                           "give a published NAME[@VERSION] pulled with `bindreg pull`, or a run directory")
    length = info.get("input_length")
    if not isinstance(length, int) or isinstance(length, bool) or length < 1:
        raise BindregError(f"{path}: the model's input length is {length!r}, not a positive whole number; "
                           f"the model folder {directory} is damaged, export or pull it again")
    return info
