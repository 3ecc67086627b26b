"""The read side of a model repository: git, its GTO tags and the artifact facts in ``dvc.yaml``.

``publish`` writes a repository and ``pull`` downloads from one; both read it through here.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from pathlib import Path

import yaml

from ..core.errors import BindregError, unknown_name
from ..score.bundles import ORIGIN, models_home, parse_spec, version_key

def git(root: Path, *args: str, check: bool = True) -> str:
    """Run git in ``root``; a failure is one line with git's own first line of complaint."""
    result = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
    if check and result.returncode != 0:
        first = (result.stderr.strip() or result.stdout.strip()).splitlines()[:1]
        raise BindregError(f"git {' '.join(args[:2])} failed in {root}: {first[0] if first else 'no output'}")
    return result.stdout.strip()


@contextlib.contextmanager
def registry_checkout(repo: str | None):
    """A local git work tree for ``repo``: the path itself when local, else a temporary clone."""
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


def registered(root: Path) -> dict[str, dict]:
    """Every GTO-tagged artifact: ``name -> {versions: {vX.Y.Z: commit}, stages: {stage: vX.Y.Z}}``."""
    from gto.constants import Action
    from gto.tag import parse_name

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
        entry["versions"] = dict(sorted(entry["versions"].items(), key=lambda kv: version_key(kv[0])))
    return {name: models[name] for name in sorted(models) if models[name]["versions"]}


def published_meta(root: Path, rev: str, name: str) -> dict | None:
    """The ``meta`` of artifact ``name`` in ``dvc.yaml`` at git revision ``rev``, or None."""
    text = git(root, "show", f"{rev}:dvc.yaml", check=False)
    if not text:
        return None
    artifact = ((yaml.safe_load(text) or {}).get("artifacts") or {}).get(name)
    return (artifact or {}).get("meta")


def latest_version(root: Path, name: str) -> tuple[str, str] | None:
    """``(version, commit)`` of the greatest registered version of ``name``, or None."""
    versions = registered(root).get(name, {}).get("versions")
    return list(versions.items())[-1] if versions else None


def list_models(repo: str | None = None, tf: str | None = None) -> list[dict]:
    """One row per registered model: name, latest version, stages and the latest version's meta.

    ``repo`` None: the zoo shipped with bindreg, then the current repository's models when it is a git
    repository; a zoo folder (``index.json``): that zoo. ``tf`` keeps one factor's models."""
    from . import zoo

    if zoo.is_zoo(repo):
        return zoo.list_models(Path(repo), tf)
    rows = zoo.list_models(None, tf) if repo is None else []
    if repo is None and not git(Path.cwd(), "rev-parse", "--show-toplevel", check=False):
        return rows  # outside a git repository: the zoo alone
    with registry_checkout(repo) as root:
        for name, entry in registered(root).items():
            latest, commit = list(entry["versions"].items())[-1]
            meta = published_meta(root, commit, name) or {}
            if zoo.matches_factor(meta, name, tf):
                rows.append({"name": name, "latest": latest, "versions": list(entry["versions"]),
                             "stages": entry["stages"], "meta": meta, "source": str(repo or root)})
    return rows


def show_model(spec: str, repo: str | None = None) -> dict:
    """Versions, stages and recorded meta of one model (one version when the spec names it); a zoo
    model when ``repo`` is None and the shipped zoo has the name, or when ``repo`` is a zoo folder."""
    from . import zoo

    if repo is None or zoo.is_zoo(repo):
        folder = Path(repo) if repo is not None else None
        found = zoo.show_model(spec, folder)
        if found is not None:
            return found
        if folder is not None:
            raise zoo.unknown(spec, folder)
    with registry_checkout(repo) as root:
        name, chosen, entry = resolve_version(spec, root)
        commit = entry["versions"][chosen]
        cached = models_home() / name / chosen
        return {"name": name, "version": chosen, "commit": commit, "versions": list(entry["versions"]),
                "stages": entry["stages"], "meta": published_meta(root, commit, name) or {},
                "cached": str(cached) if (cached / ORIGIN).exists() else None}


def resolve_version(spec: str, root: Path) -> tuple[str, str, dict]:
    """``(name, version, registry entry)`` for NAME[@VERSION]; no version means the greatest."""
    name, version = parse_spec(spec)
    models = registered(root)
    if name not in models:
        raise unknown_name("published model", name, models, f"in {root}; see `bindreg models list`")
    entry = models[name]
    version = version or list(entry["versions"])[-1]
    if version not in entry["versions"]:
        raise BindregError(f"{name} has no version {version}; published: {', '.join(entry['versions'])}")
    return name, version, entry
