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

import contextlib
import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import BindregError

SPEC = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9_/-]*?)(?:@(?P<version>v\d+\.\d+\.\d+))?$")
ORIGIN = "origin.json"


@dataclass
class Pulled:
    name: str
    version: str
    directory: Path
    downloaded: bool
    worst_difference: dict


def models_home() -> Path:
    from ..data.datasets import home

    return home() / "models"


def parse_spec(spec: str) -> tuple[str, str | None]:
    match = SPEC.match(spec)
    if not match:
        raise BindregError(f"{spec!r} is not NAME or NAME@vX.Y.Z; see `bindreg models list` for names")
    return match["name"], match["version"]


@contextlib.contextmanager
def registry_checkout(repo: str | None):
    """A local git work tree for ``repo``: the path itself when local, else a temporary clone."""
    from .publish import git

    if repo is None:
        here = Path.cwd()
        if not git(here, "rev-parse", "--show-toplevel", check=False):
            raise BindregError("the current directory is not a git repository; say where the models are "
                               "published with --from PATH_OR_GIT_URL")
        repo = git(here, "rev-parse", "--show-toplevel")
    if Path(repo).is_dir():
        root = Path(repo).resolve()
        if not git(root, "rev-parse", "--git-dir", check=False):
            raise BindregError(f"{repo} is not a git repository; give the repository the models were published to")
        yield root
        return
    scratch = Path(tempfile.mkdtemp(prefix="bindreg-registry-"))
    try:
        result = subprocess.run(["git", "clone", "--quiet", str(repo), str(scratch / "repo")],
                                capture_output=True, text=True)
        if result.returncode != 0:
            first = result.stderr.strip().splitlines()[-1:] or ["no output"]
            raise BindregError(f"cannot clone {repo}: {first[0]}; check the URL or path given with --from")
        yield scratch / "repo"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.lstrip("v").split("."))


def registered(root: Path) -> dict[str, dict]:
    """Every GTO-tagged artifact: ``name -> {versions: {vX.Y.Z: commit}, stages: {stage: vX.Y.Z}}``."""
    from gto.constants import Action
    from gto.tag import parse_name

    from .publish import git

    models: dict[str, dict] = {}
    listing = git(root, "for-each-ref", "--sort=creatordate", "refs/tags",
                  "--format=%(refname:short) %(*objectname) %(objectname)")
    for line in listing.splitlines():
        tag, commit, *_ = line.split()  # annotated tags list the tagged commit first
        parsed = parse_name(tag, raise_on_fail=False)  # {} for tags that are not GTO's
        if not parsed:
            continue
        entry = models.setdefault(parsed["name"], {"versions": {}, "stages": {}})
        # Tags are read oldest first, so a later deregistration or unassignment wins.
        if parsed.get("version"):
            if parsed.get("action") == Action.REGISTER:
                entry["versions"][parsed["version"]] = commit
            elif parsed.get("action") == Action.DEREGISTER:
                entry["versions"].pop(parsed["version"], None)
        elif parsed.get("stage"):
            if parsed.get("action") == Action.ASSIGN:
                entry["stages"][parsed["stage"]] = commit
            elif parsed.get("action") == Action.UNASSIGN:
                entry["stages"].pop(parsed["stage"], None)
    for entry in models.values():
        by_commit = {c: v for v, c in entry["versions"].items()}
        entry["stages"] = {s: by_commit.get(c, c[:7]) for s, c in entry["stages"].items()}
        entry["versions"] = dict(sorted(entry["versions"].items(), key=lambda kv: _version_key(kv[0])))
    return {name: models[name] for name in sorted(models) if models[name]["versions"]}


def list_models(repo: str | None = None, tf: str | None = None) -> list[dict]:
    """One row per registered model: name, latest version, stages and the latest version's meta.

    ``repo`` None: the zoo shipped with bindreg, then the current repository's models when it is a git
    repository; a zoo folder (``index.json``): that zoo. ``tf`` keeps one factor's models."""
    from . import zoo
    from .publish import published_meta

    if zoo.is_zoo(repo):
        return zoo.list_models(Path(repo), tf)
    rows = zoo.list_models(None, tf) if repo is None else []
    if repo is None and not _in_git_repository():
        return rows
    with registry_checkout(repo) as root:
        for name, entry in registered(root).items():
            latest, commit = list(entry["versions"].items())[-1]
            meta = published_meta(root, commit, name) or {}
            if zoo.matches_factor(meta, name, tf):
                rows.append({"name": name, "latest": latest, "versions": list(entry["versions"]),
                             "stages": entry["stages"], "meta": meta, "source": str(repo or root)})
    return rows


def _in_git_repository() -> bool:
    from .publish import git

    return bool(git(Path.cwd(), "rev-parse", "--show-toplevel", check=False))


def show_model(spec: str, repo: str | None = None) -> dict:
    """Versions, stages and recorded meta of one model (one version when the spec names it)."""
    from . import zoo
    from .publish import published_meta

    if repo is None or zoo.is_zoo(repo):
        folder = Path(repo) if repo is not None else None
        found = zoo.show_model(spec, folder)
        if found is not None:
            return found
        if folder is not None:
            raise zoo.unknown(spec, folder)

    with registry_checkout(repo) as root:
        name, chosen, entry = _resolve(spec, root)
        commit = entry["versions"][chosen]
        cached = models_home() / name / chosen
        return {"name": name, "version": chosen, "commit": commit, "versions": list(entry["versions"]),
                "stages": entry["stages"], "meta": published_meta(root, commit, name) or {},
                "cached": str(cached) if (cached / ORIGIN).exists() else None}


def _resolve(spec: str, root: Path) -> tuple[str, str, dict]:
    """``(name, version, registry entry)`` for NAME[@VERSION]; no version means the greatest."""
    from ..core.errors import unknown_name

    name, version = parse_spec(spec)
    models = registered(root)
    if name not in models:
        raise unknown_name("published model", name, models, f"in {root}; see `bindreg models list`")
    entry = models[name]
    version = version or list(entry["versions"])[-1]
    if version not in entry["versions"]:
        raise BindregError(f"{name} has no version {version}; published: {', '.join(entry['versions'])}")
    return name, version, entry


def pull(spec: str, repo: str | None = None) -> Pulled:
    """Download ``NAME[@VERSION]`` from ``repo`` (path or git URL; default: this repository),
    verify it, and cache it by version. Returns where it lies. With no ``repo``, a name of the zoo
    shipped with bindreg comes from it (offline); a zoo folder as ``repo`` is read like it."""
    from . import zoo
    from .bundle import check_expectations, extract_archive, verify_manifest
    from ..core.fsutil import atomic_directory, sha256_file, write_json_atomic
    from .publish import published_meta

    if zoo.is_zoo(repo) or (repo is None and zoo.find(spec) is not None):
        return zoo.pull(spec, Path(repo) if repo is not None else None)
    with registry_checkout(repo) as root:
        name, version, entry = _resolve(spec, root)
        label = f"{name}@{version}"
        meta = published_meta(root, entry["versions"][version], name) or {}
        if "archive_sha256" not in meta:
            raise BindregError(f"{label}: dvc.yaml records no archive_sha256 for it; it was not published by "
                               "bindreg publish and cannot be verified")
        target = models_home() / name / version
        if _cached_is_current(target, meta):
            verify_manifest(target, label)
            return Pulled(name, version, target, False, {})
        models_home().mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".pull-", dir=models_home()))
        try:
            archive = _download(root, name, version, scratch, label)
            actual = sha256_file(archive)
            unpacked = scratch / "unpacked"
            unpacked.mkdir()
            if actual != meta["archive_sha256"]:
                # Say which file is damaged when the archive still unpacks; else name the archive.
                extract_archive(archive, unpacked, label)
                verify_manifest(unpacked, label)
                raise BindregError(f"{label}: the archive {name}.tar does not match the sha256 recorded in "
                                   f"dvc.yaml (expected {meta['archive_sha256'][:12]}..., got {actual[:12]}...); "
                                   "the remote copy is corrupt, nothing was kept")
            extract_archive(archive, unpacked, label)
            manifest = unpacked / "manifest.json"
            if not manifest.is_file() or sha256_file(manifest) != meta.get("manifest_sha256"):
                raise BindregError(f"{label}: manifest.json is missing or does not match the sha256 recorded in "
                                   "dvc.yaml; the bundle was altered, nothing was kept")
            verify_manifest(unpacked, label)
            worst = check_expectations(unpacked, label)
            with atomic_directory(target) as final:
                for file in unpacked.iterdir():
                    shutil.copyfile(file, final / file.name)
                write_json_atomic(final / ORIGIN, {"name": name, "version": version, "repo": str(repo or root),
                                                   "commit": entry["versions"][version], "meta": meta})
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return Pulled(name, version, target, True, worst)


def _cached_is_current(target: Path, meta: dict) -> bool:
    try:
        origin = json.loads((target / ORIGIN).read_text())
    except (OSError, ValueError):
        return False
    return origin.get("meta", {}).get("archive_sha256") == meta["archive_sha256"]


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


def resolve_local(model: str) -> Path:
    """A bundle or run directory for ``model``: a path, or NAME[@VERSION] in the cache (latest cached
    version when no version is given)."""
    path = Path(model)
    if path.is_dir():
        return path
    name, version = parse_spec(model)
    folder = models_home() / name
    cached = sorted((p.name for p in folder.iterdir() if (p / ORIGIN).exists()), key=_version_key) \
        if folder.is_dir() else []
    if not cached or (version and version not in cached):
        from . import zoo

        if zoo.find(model) is not None:  # shipped with bindreg: verify and cache it on first use
            return zoo.pull(model).directory
    if version:
        if version not in cached:
            raise BindregError(f"{name}@{version} is not downloaded; run `bindreg pull {name}@{version} "
                               "--from REPO` first")
        return folder / version
    if not cached:
        raise BindregError(f"no model {model!r} is downloaded and no such directory exists; run "
                           f"`bindreg pull {name} --from REPO` first, or give a run directory")
    return folder / cached[-1]


def recheck(model: str) -> dict:
    """Re-check a downloaded model: every sha256, then ``test.expect`` with both engines."""
    from .bundle import check_expectations, verify_manifest

    directory = resolve_local(model)
    label = str(model)
    verify_manifest(directory, label)
    return {"directory": str(directory), "worst_difference": check_expectations(directory, label)}
