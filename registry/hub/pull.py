"""Finding, downloading and checking published models.

``pull("NAME[@VERSION]", repo)`` resolves the version from the repository's GTO
tags (default: the greatest), downloads the archive through DVC
(``Repo.artifacts.download``, what ``dvc artifacts get`` runs) into a fresh
scratch cache so that the bytes really come from the DVC remote, and keeps it only
when

1. the archive's sha256 equals the one recorded in ``dvc.yaml`` at the version's
   commit (git is the trust anchor, not the remote);
2. every archive entry is a plain file that stays inside the cache;
3. every file matches ``manifest.json`` (whose own sha256 is in ``dvc.yaml`` too);
4. ``test.expect`` re-scores within its tolerance with MXNet and with onnxruntime.

A model is cached by version under ``$BINDREG_HOME/models/NAME/VERSION`` and is
not downloaded again while its recorded archive sha256 is unchanged.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ..core.errors import BindregError
from ..score.bundles import MANIFEST, models_home, resolve_local, verify_cached, verify_manifest
from .cache import Pulled, cached_is_current as _cached_is_current, install_checked
from .repository import published_meta, registry_checkout, resolve_version


def pull(spec: str, repo: str | None = None) -> Pulled:
    """Download ``NAME[@VERSION]`` from ``repo`` (path or git URL; default: this repository),
    verify it, and cache it by version. Returns where it lies. With no ``repo``, a name of the zoo
    shipped with bindreg comes from it (offline); a zoo folder as ``repo`` is read like it."""
    from . import zoo
    from ..core.fsutil import clean_stale, owner_tag

    if zoo.is_zoo(repo) or (repo is None and zoo.find(spec) is not None):
        return zoo.pull(spec, Path(repo) if repo is not None else None)
    with registry_checkout(repo) as root:
        name, version, entry = resolve_version(spec, root)
        label = f"{name}@{version}"
        meta = published_meta(root, entry["versions"][version], name) or {}
        if "archive_sha256" not in meta:
            raise BindregError(f"{label}: dvc.yaml records no archive_sha256 for it; it was not published by "
                               "bindreg publish and cannot be verified")
        target = models_home() / name / version
        repaired = None
        if _cached_is_current(target, meta):
            try:
                verify_cached(target, label)
                return Pulled(name, version, target, False, {})
            except BindregError as exc:  # a damaged cache is downloaded again, not refused forever
                repaired = str(exc).removeprefix(f"{label}: ").split(";")[0]
        models_home().mkdir(parents=True, exist_ok=True)
        clean_stale(models_home(), ".pull-", suffixes=())
        scratch = Path(tempfile.mkdtemp(prefix=f".pull-{owner_tag()}.", dir=models_home()))
        try:
            archive = _download(root, name, version, scratch, label)
            worst = install_checked(archive, meta, label, target, {"name": name, "version": version,
                                    "repo": str(repo or root), "commit": entry["versions"][version], "meta": meta},
                                    scratch, "dvc.yaml")
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return Pulled(name, version, target, True, worst, repaired)


def _download(root: Path, name: str, version: str, scratch: Path, label: str) -> Path:
    """Fetch the archive through DVC from the repository's remote into ``scratch``.

    A fresh DVC cache directory makes DVC read the remote, not a local cache that
    still holds the bytes ``dvc add`` saw.
    """
    from dvc.repo import Repo

    out = scratch / f"{name}.tar"
    try:
        with Repo.open(str(root), subrepos=True, uninitialized=True,
                       config={"cache": {"dir": str(scratch / "dvc-cache")}}) as dvc_repo:
            dvc_repo.artifacts.download(name, version=version, out=str(out), force=True)
    except BindregError:
        raise
    except Exception as exc:  # noqa: BLE001 - DVC's many transfer and lookup errors
        message = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise BindregError(f"{label}: DVC could not download it ({message}); check the DVC remote of "
                           f"{root} (`dvc remote list`) and that the model was pushed") from None
    if not out.is_file():
        raise BindregError(f"{label}: DVC downloaded no archive to {out}; the artifact path in dvc.yaml is wrong")
    return out


def local_model(model: str) -> Path:
    """``resolve_local`` (a path, or NAME[@VERSION] in the cache), except that a model of the zoo shipped
    with bindreg that is not cached yet is verified and cached first (it is on this machine already)."""
    from . import zoo

    try:
        return resolve_local(model)
    except BindregError as not_local:
        try:
            in_zoo = not Path(model).is_dir() and zoo.find(model) is not None
        except BindregError:
            raise not_local from None
        if not in_zoo:
            raise
    return zoo.pull(model).directory


def recheck(model: str) -> dict:
    """Re-check a downloaded model: every sha256, then ``test.expect`` with both engines."""
    from .bundle import check_expectations

    directory = local_model(model)  # every sha256 (and the manifest's own, for a pulled model)
    label = str(model)
    if not (directory / MANIFEST).exists():
        verify_manifest(directory, label)  # refuses: a run directory is not a bundle
    return {"directory": str(directory), "worst_difference": check_expectations(directory, label)}
