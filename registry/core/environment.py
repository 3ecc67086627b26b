"""Which code and which machine made a run, so that two runs with the same key can be told apart.

A run's key (model, dataset content, task, settings, seed) says what was asked for, not what
answered: the same key gave test AUROCs up to 0.03 apart on two machines (docs/compare.md,
"Reproducibility"). MXNet picks its CPU kernels (MKL-DNN) by instruction set, so float rounding,
and with it a whole training trajectory, can differ between CPUs; and code changes between
sweeps. ``run.json`` therefore records both:

- ``code``: sha256 over the source of the ``bindreg`` and ``bindreg_plugins`` packages (every
  ``.py`` file, by path and content; works for a wheel install as well as a checkout) and, where
  the source is a git checkout, its commit and whether files differ from it;
- ``machine``: CPU model, its vector instruction sets, core count, and MXNet's compiled
  features that choose kernels.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import subprocess
from pathlib import Path

VECTOR_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "amx_tile")
MXNET_FEATURES = ("MKLDNN", "BLAS_OPEN", "BLAS_MKL", "BLAS_APPLE", "BLAS_ATLAS", "OPENMP", "CUDA", "CUDNN")


@functools.lru_cache(maxsize=1)
def code_identity() -> dict:
    """``{"sha256": source digest (16 hex), "git_commit": str | None, "git_modified": bool | None}``."""
    digest = hashlib.sha256()
    roots = [Path(importlib.util.find_spec(name).origin).parent for name in ("bindreg", "bindreg_plugins")]
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            digest.update(f"{root.name}/{path.relative_to(root).as_posix()}".encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    commit, modified = _git_state(roots[0])
    return {"sha256": digest.hexdigest()[:16], "git_commit": commit, "git_modified": modified}


def _git_state(folder: Path) -> tuple[str | None, bool | None]:
    """The commit of the git checkout holding ``folder`` and whether its tracked files differ; (None,
    None) outside a checkout or without git."""
    try:
        commit = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True,
                                text=True, timeout=10)
        if commit.returncode != 0:
            return None, None
        status = subprocess.run(["git", "-C", str(folder), "status", "--porcelain", "--untracked-files=no"],
                                capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None, None
    return commit.stdout.strip(), (bool(status.stdout.strip()) if status.returncode == 0 else None)


@functools.lru_cache(maxsize=1)
def machine_identity() -> dict:
    """``{"cpu": model name, "vector_flags": [...], "cores": int, "mxnet_features": [...]}``."""
    cpu, flags = "unknown", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and cpu == "unknown":
                cpu = value.strip()
            elif key.strip() == "flags" and not flags:
                flags = set(value.split())
    except OSError:  # not Linux: the platform module's word for it
        import platform

        cpu = platform.processor() or platform.machine()
    try:
        import mxnet as mx

        features = [f for f in MXNET_FEATURES if mx.runtime.Features().is_enabled(f)]
    except Exception:  # noqa: BLE001 - an MXNet build without the runtime feature list
        features = []
    return {"cpu": cpu, "vector_flags": [f for f in VECTOR_FLAGS if f in flags], "cores": os.cpu_count(),
            "mxnet_features": features}
