"""The local model cache both download paths share: how an archive is checked and cached, what a
pull returns, and whether a cached copy is current.

``bindreg.hub.pull`` (DVC/GTO registries) and ``bindreg.hub.zoo`` (zoo folders) both keep a
verified model under ``$BINDREG_HOME/models/NAME/VERSION`` with an ``origin.json`` that records
the archive sha256 it was checked against; they differ only in where the archive comes from and
where its sha256 is recorded (``dvc.yaml`` at the version's commit, or the zoo's index).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import BindregError
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


def install_checked(archive: Path, meta: dict, label: str, target: Path, origin: dict, scratch: Path,
                    recorded_in: str) -> dict:
    """Cache ``archive`` at ``target`` only if it passes every check, in this order:

    1. it unpacks safely (plain files that stay inside ``scratch/unpacked``);
    2. its sha256 and its manifest's equal ``meta["archive_sha256"]`` and ``meta["manifest_sha256"]``
       (``recorded_in`` names where they are recorded, for the error); on a wrong archive sha256
       the damaged file is named when the archive still unpacks;
    3. every file matches ``manifest.json``;
    4. ``test.expect`` re-scores within its tolerance with MXNet and with onnxruntime.

    Then the files and ``origin`` (as ``origin.json``) are written aside and renamed onto
    ``target``, which is replaced only when it holds an earlier model (``origin.json`` or
    ``manifest.json``), never someone's other files. Returns the largest ``test.expect``
    difference per engine. Nothing is kept on any failure."""
    from ..core.fsutil import atomic_directory, sha256_file, write_json_atomic
    from .bundle import check_expectations, extract_archive, verify_manifest

    unpacked = Path(scratch) / "unpacked"
    unpacked.mkdir()
    actual = sha256_file(archive)
    extract_archive(archive, unpacked, label)

    def check_files():
        manifest = unpacked / "manifest.json"
        if not manifest.is_file() or sha256_file(manifest) != meta.get("manifest_sha256"):
            raise BindregError(f"{label}: manifest.json is missing or does not match the sha256 recorded in "
                               f"{recorded_in}; the bundle was altered, nothing was kept")
        verify_manifest(unpacked, label)

    if actual != meta["archive_sha256"]:
        check_files()  # names the damaged file when there is one
        raise BindregError(f"{label}: the archive {Path(archive).name} does not match the sha256 recorded in "
                           f"{recorded_in} (expected {meta['archive_sha256'][:12]}..., got {actual[:12]}...); "
                           "the copy is corrupt, nothing was kept")
    check_files()
    worst = check_expectations(unpacked, label)
    with atomic_directory(target, replaces=(ORIGIN, "manifest.json")) as final:
        for file in unpacked.iterdir():
            shutil.copyfile(file, final / file.name)
        write_json_atomic(final / ORIGIN, origin)
    return worst
