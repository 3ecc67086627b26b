"""Write-then-rename helpers, so an interrupted step never leaves a half-written result.

Results get the permissions the user's umask gives any new file (``tempfile`` makes its
scratch files 600 and directories 700, which a rename would otherwise keep), so a shared
``--runs`` store stays readable by colleagues and by Dask workers of another user.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import re
import shutil
import socket
import tempfile
from pathlib import Path


def owner_tag() -> str:
    """``HOST-PID`` of this process, put into temporary names so that a later process can tell a
    scratch folder whose writer was killed (same host, pid gone) from one still being written."""
    host = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname().split(".")[0]) or "host"
    return f"{host}-{os.getpid()}"


def _owner_gone(tag: str) -> bool:
    host, _, pid = tag.rpartition("-")
    if host != owner_tag().rpartition("-")[0] or not pid.isdigit():
        return False  # another machine's (on a shared file system): not ours to judge
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def clean_stale(folder: Path, prefix: str, suffixes: tuple[str, ...] = (".tmp", ".old")) -> list[Path]:
    """Delete ``folder/PREFIX<HOST-PID>.*`` temporary folders or files left by killed processes of this
    host (SIGKILL leaves them: nothing can clean up after it). Returns what was deleted."""
    removed = []
    folder = Path(folder)
    if not folder.is_dir():
        return removed
    for entry in folder.iterdir():
        name = entry.name
        if not name.startswith(prefix) or (suffixes and not name.endswith(suffixes)):
            continue
        tag = name[len(prefix):].split(".", 1)[0]
        if _owner_gone(tag):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    entry.unlink()
            removed.append(entry)
    return removed


@contextlib.contextmanager
def atomic_directory(target: Path, replaces: tuple[str, ...] = ()):
    """Yield a temporary sibling directory; on success it replaces ``target`` in one rename.
    Temporary siblings of ``target`` left by killed processes are deleted first.

    ``replaces``: file names of which an existing ``target`` must hold one to be replaced (the proof
    that it is an earlier output of the same kind); an empty folder is always replaceable. Anything
    else there (a file, the current folder, someone's data) is refused in one line, never deleted."""
    target = Path(target)
    check_replaceable(target, replaces)
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(target.parent, f".{target.name}.")
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}.{owner_tag()}.", suffix=".tmp", dir=target.parent))
    try:
        os.chmod(scratch, 0o777 & ~umask())
        yield scratch
        if target.exists():
            retired = target.with_name(f".{target.name}.{owner_tag()}.old")
            os.replace(target, retired)
            os.replace(scratch, target)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(scratch, target)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise


def check_output_file(path: Path, inputs: tuple = ()) -> None:
    """Refuse (one line) an output file path that is a folder, lies under a file, or is one of ``inputs``."""
    from .errors import BindregError

    path = Path(path)
    if path.is_dir():
        raise BindregError(f"{path}: is a folder; give a file path for this output (nothing was written)")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise BindregError(f"{parent}: is a file, so {path} cannot be written inside it; give another path")
            break
    for given in inputs:
        if given is not None and Path(given).exists() and path.exists() and os.path.samefile(path, given):
            raise BindregError(f"{path}: is also an input of this command; give another output path "
                               "(nothing was written)")


def check_replaceable(target: Path, replaces: tuple[str, ...]) -> None:
    """Refuse (one line) an existing ``target`` that is not an empty folder nor holds one of ``replaces``."""
    from .errors import BindregError

    for parent in target.parents:
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                raise BindregError(f"{parent}: is a file, so {target} cannot be written inside it; give another "
                                   "path (nothing was written)")
            break
    if not (target.exists() or target.is_symlink()):
        return
    if target.is_symlink() or not target.is_dir():
        raise BindregError(f"{target}: exists and is not a folder; give a new path for the output "
                           "(nothing was replaced)")
    if replaces and not any((target / name).exists() for name in replaces) and any(target.iterdir()):
        raise BindregError(f"{target}: exists and is not an earlier output of this command (it has no "
                           f"{' or '.join(replaces)}); give a new or empty folder, or delete it yourself "
                           "(nothing was replaced)")


def write_bytes_atomic(path: Path, data: bytes) -> None:
    from .errors import BindregError

    path = Path(path)
    check_output_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            os.fchmod(out.fileno(), 0o666 & ~umask())
            out.write(data)
        os.replace(scratch, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(scratch)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: Path, data) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def read_text_in(folder: str, name: str) -> str | None:
    """The text of ``folder/name``, a local path or an fsspec URL (a run store may be either); None
    where there is no such file."""
    if "://" in folder:
        import fsspec

        fs, path = fsspec.core.url_to_fs(folder)
        try:
            return fs.cat_file(f"{path}/{name}").decode()
        except FileNotFoundError:
            return None
    path = Path(folder) / name
    return path.read_text() if path.exists() else None


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read 1 MiB at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def atomic_text_file(path: Path, mode: str = "w"):
    """Yield a handle to a temporary sibling of ``path``, renamed onto ``path`` when the block succeeds
    (for results written piece by piece)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as out:
            os.fchmod(out.fileno(), 0o666 & ~umask())
            yield out
        os.replace(scratch, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(scratch)
        raise
def umask() -> int:
    """The process umask, read from /proc where it can be (setting it to read it races with threads)."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def home() -> Path:
    """Where bindreg keeps caches: ``$BINDREG_HOME``, default ``~/.cache/bindreg``."""
    return Path(os.environ.get("BINDREG_HOME") or Path.home() / ".cache" / "bindreg")


def open_text(path: Path):
    """Plain or gzip (``.gz``) UTF-8 text for line readers (FASTA, BED, narrowPeak, VCF, labels); a
    UTF-8 byte-order mark is skipped; a folder or missing file is one line naming it."""
    from .validate import input_file

    input_file(path, "input")
    if Path(path).suffix.lower() == ".gz":
        return gzip.open(path, "rt", encoding="utf-8-sig")
    return open(path, encoding="utf-8-sig")
