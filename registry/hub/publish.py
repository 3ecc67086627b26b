"""Publishing a run: its bundle becomes a versioned artifact of DVC's own model registry.

``publish(run_dir)`` in a git repository where ``dvc init`` ran and a default DVC
remote is set:

1. builds the bundle (``bindreg.bundle``) and packs it into ``models/NAME.tar``;
2. ``dvc add`` tracks the archive and ``dvc push`` uploads it to the remote;
3. records the artifact in ``dvc.yaml`` (``artifacts: NAME: {path, type: model, meta}``),
   with the archive's and the manifest's sha256 in ``meta`` so that git, not the
   remote, is what a download is checked against;
4. commits exactly those files and tags the commit with GTO (``NAME@vX.Y.Z``; a
   stage is a ``NAME#STAGE#N`` tag).

Until the commit, every touched file is backed up and put back on failure, so an
interrupted publish leaves the registry as it was. A second publish of the same
bundle (same bytes) is recognised and publishes nothing. Publishes into one
repository are serialised by a lock file; one that waits longer than ``wait``
seconds is refused with one line.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from ..core.errors import BindregError
from ..core.record import read_run
from .repository import git, latest_version, published_meta, registered

MODELS_DIR = "models"
LOCK_NAME = "bindreg-publish.lock"


@dataclass
class Published:
    name: str
    version: str
    tag: str
    stage: str | None
    archive_sha256: str
    repo: Path
    already: bool = False
    #: A one-line note on what the bundle lacks (no ONNX export for this architecture), else None.
    note: str | None = None


def artifact_name(model: str, dataset: str) -> str:
    """A GTO-valid artifact name (letters, digits, '-'): ``2layer_local_win3`` -> ``2layer-local-win3``."""
    slug = re.sub(r"[^a-z0-9]+", "-", f"{model}-{dataset}".lower()).strip("-")
    return slug


def check_name(name: str) -> str:
    from gto.constants import assert_name_is_valid
    from gto.exceptions import ValidationError

    try:
        assert_name_is_valid(name)
    except ValidationError:
        raise BindregError(f"model name {name!r} is not a valid artifact name; use lower-case letters, digits "
                           "and '-', starting and ending with a letter or digit") from None
    return name


def project_root(repo: Path) -> Path:
    """The git work tree of ``repo`` that has DVC initialised and a default remote."""
    repo = Path(repo)
    if not repo.is_dir():
        raise BindregError(f"{repo}: no such directory; give the git repository to publish into with --repo")
    top = git(repo, "rev-parse", "--show-toplevel", check=False)
    if not top:
        raise BindregError(f"{repo} is not a git repository; run `git init` there (and `dvc init`), "
                           "or give --repo")
    root = Path(top)
    if not (root / ".dvc").is_dir():
        raise BindregError(f"{root} has no DVC project; run `dvc init` there and add a remote with "
                           "`dvc remote add -d store PATH_OR_URL`")
    from dvc.repo import Repo

    with Repo(str(root)) as dvc_repo:
        if not dvc_repo.config["core"].get("remote"):
            raise BindregError(f"{root} has no default DVC remote; add one with "
                               "`dvc remote add -d store PATH_OR_URL` and commit .dvc/config")
    return root


@contextlib.contextmanager
def publish_lock(root: Path, wait: float):
    """Hold ``.dvc/tmp/bindreg-publish.lock``; wait up to ``wait`` seconds for another publish."""
    path = root / ".dvc" / "tmp" / LOCK_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "another process"
                    raise BindregError(f"another bindreg publish ({holder}) holds {path}; "
                                       f"waited {wait:g} s, nothing was published; retry when it finishes") \
                        from None
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def publish(run_dir: Path, repo: Path = Path("."), name: str | None = None, version: str | None = None,
            stage: str | None = None, wait: float = 60.0) -> Published:
    """Register the bundle of ``run_dir`` in ``repo`` as a new version of artifact ``name``."""
    from .bundle import build_bundle, write_archive
    from ..core.fsutil import sha256_file

    run_dir = Path(run_dir)
    record = read_run(run_dir)
    name = check_name(name or artifact_name(record.model, record.dataset))
    if version is not None and not re.fullmatch(r"v\d+\.\d+\.\d+", version):
        raise BindregError(f"version {version!r} is not semantic; give it as vMAJOR.MINOR.PATCH, e.g. v1.0.0")
    root = project_root(repo)
    with publish_lock(root, wait):
        scratch = Path(tempfile.mkdtemp(prefix="publish-", dir=root / ".dvc" / "tmp"))
        try:
            bundle = build_bundle(run_dir, scratch / name, name)
            archive_sha = write_archive(bundle, scratch / f"{name}.tar")
            meta = _artifact_meta(bundle, archive_sha, sha256_file(bundle / "manifest.json"))
            note = json.loads((bundle / "bundle.json").read_text()).get("onnx_note")
            existing = latest_version(root, name)
            if existing and (published_meta(root, existing[1], name) or {}).get("archive_sha256") == archive_sha:
                if stage:
                    _assign(root, name, existing[0], stage)
                return Published(name, existing[0], f"{name}@{existing[0]}", stage, archive_sha, root, already=True,
                                 note=note)
            has_head = bool(git(root, "rev-parse", "--verify", "-q", "HEAD", check=False))
            head_meta = (published_meta(root, "HEAD", name) if has_head else None) or {}
            # Equal at HEAD but untagged: an earlier publish stopped after its commit; only tag it.
            if head_meta.get("archive_sha256") != archive_sha:
                _commit_archive(root, name, f"{MODELS_DIR}/{name}.tar", scratch / f"{name}.tar", meta)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return replace(_tag(root, name, version, stage, archive_sha), note=note)


def _artifact_meta(bundle: Path, archive_sha: str, manifest_sha: str) -> dict:
    info = json.loads((bundle / "bundle.json").read_text())
    return {"model": info["model"], "plugin": info["plugin"], "task": info["task"], "dataset": info["dataset"],
            "input_length": info["input_length"], "auroc": round(info["test"]["auroc"], 4),
            "auprc": round(info["test"]["auprc"], 4), "budget": info["budget"],
            "bindreg": info["versions"].get("bindreg"), "archive_sha256": archive_sha,
            "manifest_sha256": manifest_sha}


@contextlib.contextmanager
def _quiet_dvc_hints():
    """Silence DVC's "To track the changes with git, run: git add ..." hint: bindreg commits them itself."""
    import logging

    hints = logging.getLogger("dvc.repo.scm_context")
    level = hints.level
    hints.setLevel(logging.WARNING)
    try:
        yield
    finally:
        hints.setLevel(level)


def _commit_archive(root: Path, name: str, archive_rel: str, archive: Path, meta: dict) -> None:
    """Put the archive in place, dvc add + push it, record it in dvc.yaml and commit; undo all on failure."""
    from dvc.annotations import Artifact
    from dvc.repo import Repo

    touched = [archive_rel, f"{archive_rel}.dvc", f"{MODELS_DIR}/.gitignore", "dvc.yaml"]
    dirty = git(root, "status", "--porcelain", "--", *touched[1:])
    if dirty:
        raise BindregError(f"{root}: uncommitted changes to {dirty.split()[-1]}; commit or revert them before "
                           "publishing, so that the registry commit holds only the published model")
    backup = Path(tempfile.mkdtemp(prefix="backup-", dir=root / ".dvc" / "tmp"))
    saved = {}
    for rel in touched:
        if (root / rel).exists():
            saved[rel] = backup / rel.replace("/", "__")
            shutil.copy2(root / rel, saved[rel])
    try:
        (root / MODELS_DIR).mkdir(exist_ok=True)
        target = root / archive_rel
        if target.exists():
            target.chmod(0o644)
            target.unlink()  # it may be a link into the DVC cache; never write through it
        shutil.copyfile(archive, target)
        with Repo(str(root)) as dvc_repo, _quiet_dvc_hints():
            # DVC resolves targets against the working directory, not the repository: use absolute paths.
            dvc_repo.add(str(target))
            try:
                dvc_repo.push(targets=[str(target)])
            except Exception as exc:  # noqa: BLE001 - any transfer failure of DVC
                raise BindregError(f"dvc push of {archive_rel} to the default remote failed "
                                   f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
                                   "check the remote with `dvc remote list`; nothing was published") from None
            dvc_repo.artifacts.add(name, Artifact(
                path=archive_rel, type="model", labels=[meta["task"], meta["model"], meta["dataset"]],
                desc=f"bindreg {meta['model']} on {meta['dataset']} ({meta['task']}), test AUROC {meta['auroc']}",
                meta=meta), dvcfile=str(root / "dvc.yaml"))
        git(root, "add", "--", *touched[1:])
        git(root, "commit", "-q", "-m", f"Publish model {name} (archive sha256 {meta['archive_sha256'][:12]})",
            "--", *touched[1:])
    except BaseException:
        for rel in touched:
            if rel in saved:
                shutil.copy2(saved[rel], root / rel)
            elif (root / rel).exists():
                (root / rel).unlink()
        git(root, "reset", "-q", "--", *touched[1:], check=False)
        raise
    finally:
        shutil.rmtree(backup, ignore_errors=True)


def _tag(root: Path, name: str, version: str | None, stage: str | None, archive_sha: str) -> Published:
    """GTO-register HEAD as the next (or the given) version of ``name``, and assign ``stage``."""
    import gto.api
    from gto.exceptions import GTOException

    try:
        gto.api.register(str(root), name, "HEAD", version=version,
                         message=f"bindreg model {name} (archive sha256 {archive_sha})")
    except GTOException as exc:
        raise BindregError(f"GTO could not tag {name} in {root}: {str(exc).splitlines()[0]}") from None
    head = git(root, "rev-parse", "HEAD")
    chosen = next(v for v, commit in registered(root)[name]["versions"].items() if commit == head)
    if stage:
        _assign(root, name, chosen, stage)
    return Published(name, chosen, f"{name}@{chosen}", stage, archive_sha, root)


def _assign(root: Path, name: str, version: str, stage: str) -> None:
    """Assign ``stage`` to ``name@version`` unless it already holds it (so that repeating is harmless)."""
    import gto.api
    from gto.exceptions import GTOException

    if registered(root).get(name, {}).get("stages", {}).get(stage) == version:
        return

    try:
        gto.api.assign(str(root), name, stage, version=version, message=f"{name} {version} -> {stage}")
    except GTOException as exc:
        raise BindregError(f"GTO could not assign stage {stage!r} to {name}@{version}: "
                           f"{str(exc).splitlines()[0]}") from None


def publish_to_dvc(run_dir: Path, options: Mapping) -> str:
    """The built-in ``dvc`` publish target: ``publish`` with the command line's options, reported as lines."""
    result = publish(run_dir, Path(options.get("repo") or "."), name=options.get("name"),
                     version=options.get("version"), stage=options.get("stage"), wait=float(options.get("wait", 60.0)))
    if result.already:
        lines = [f"{result.tag} already holds this bundle (archive sha256 {result.archive_sha256[:12]}...); "
                 "nothing new was published"]
    else:
        lines = [f"published {result.tag}{f' (stage {result.stage})' if result.stage else ''} in {result.repo}; "
                 f"archive sha256 {result.archive_sha256}"]
    return "\n".join(lines + ([f"note: {result.note}"] if result.note else []))


def publish_run(run_dir: Path, target: str = "dvc", **options) -> str:
    """Publish the finished run ``run_dir`` to the target named ``target`` (built-in ``dvc`` or a plugin's)."""
    from ..host.plugins import get_registry

    read_run(run_dir)  # a one-line refusal of anything but a finished run, before any target sees it
    return get_registry().publish_targets.get(target).publish(Path(run_dir), options)
