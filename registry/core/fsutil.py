"""Write-then-rename helpers, so an interrupted step never leaves a half-written result."""

from __future__ import annotations

import contextlib
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
def atomic_directory(target: Path):
    """Yield a temporary sibling directory; on success it replaces ``target`` in one rename.
    Temporary siblings of ``target`` left by killed processes are deleted first."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(target.parent, f".{target.name}.")
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}.{owner_tag()}.", suffix=".tmp", dir=target.parent))
    try:
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


def write_bytes_atomic(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
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


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read 1 MiB at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
