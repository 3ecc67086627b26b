"""From what the user names on the command line to an encoded, validated dataset store.

A dataset is named by a registered name (``bindreg data list``) or by a path:
a Zarr store made by bindreg, a file in a registered format (``.data``,
``.seq``, FASTA...), or a folder that holds one experiment (``train.data`` +
``test.data``, or one ``*_AC.seq`` + ``*_B.seq`` pair).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import xarray as xr

from . import __version__
from .catalog import DatasetInputs, SequenceFormat
from .errors import BindregError, unknown_name
from .formats import apply_label_file
from .fsutil import sha256_file
from .plugins import get_registry
from .sequences import SequenceSet
from .store import build_dataset, open_store, write_store


def home() -> Path:
    """Where bindreg keeps caches: ``$BINDREG_HOME``, default ``~/.cache/bindreg``."""
    return Path(os.environ.get("BINDREG_HOME") or Path.home() / ".cache" / "bindreg")


def is_store(path: Path) -> bool:
    return path.is_dir() and (path / ".zmetadata").exists()


def format_for(path: Path) -> SequenceFormat:
    formats = list(get_registry().formats)
    name = path.name.lower()
    for fmt in formats:
        if any(name.endswith(suffix) for suffix in fmt.suffixes):
            return fmt
    known = ", ".join(s for f in formats for s in f.suffixes)
    raise BindregError(f"{path}: unknown file type; bindreg reads {known} files and Zarr stores")


def _experiment_file(folder: Path) -> Path:
    """The training input of a folder that holds one experiment."""
    if (folder / "train.data").exists():
        return folder / "train.data"
    folds = sorted(folder.glob("*_AC.seq"))
    if len(folds) == 1:
        return folds[0]
    if len(folds) > 1:
        raise BindregError(f"{folder}: holds {len(folds)} DeepBind experiments; name one *_AC.seq file, "
                           f"for example {folds[0]}")
    raise BindregError(f"{folder}: no dataset found; expected train.data (+ test.data), one *_AC.seq "
                       "(+ *_B.seq), or a Zarr store made by `bindreg data encode`")


def _read(path: Path, role: str) -> tuple[SequenceSet, dict]:
    fmt = format_for(path)
    sequences = fmt.read(path)
    return sequences, {"role": role, "path": str(path), "sha256": sha256_file(path), "format": fmt.name}


def load_inputs(spec: str, labels: Path | None = None, test: Path | None = None) -> DatasetInputs:
    """Read the sequences behind a dataset name or path (not yet labelled by a task)."""
    registry = get_registry()
    if spec in registry.datasets:
        if labels or test:
            raise BindregError(f"--labels and --test apply to files, not to the registered dataset {spec!r}")
        return registry.datasets.get(spec).load()
    path = Path(spec).expanduser()
    if not path.exists():
        raise unknown_name("dataset", spec, registry.datasets.names(),
                           "or give a path to a .data, .seq or FASTA file, a folder, or a Zarr store")
    if path.is_dir():
        path = _experiment_file(path)
    train, train_record = _read(path, "train")
    records = [train_record]
    if labels:
        train = apply_label_file(train, Path(labels))
        records.append({"role": "labels", "path": str(labels), "sha256": sha256_file(Path(labels))})
    test_path = Path(test) if test else format_for(path).companion_test(path)
    test_set = None
    if test_path:
        if not test_path.exists():
            raise BindregError(f"{test_path}: test input not found")
        test_set, test_record = _read(test_path, "test")
        records.append(test_record)
    name = path.parent.name if path.name == "train.data" else path.name.split(".")[0].removesuffix("_AC")
    return DatasetInputs(name=name, train=train, test=test_set, provenance={"inputs": records})


def prepare(spec: str, task_name: str, split_seed: int = 0, labels: Path | None = None,
            test: Path | None = None, out: Path | None = None, refresh: bool = False) -> tuple[Path, xr.Dataset]:
    """Encode a dataset for a task into a store (cached by its inputs, task and seed) and open it."""
    path = Path(spec).expanduser()
    if is_store(path):
        dataset = open_store(path)
        if dataset.attrs["task"] != task_name:
            raise BindregError(f"{path}: store was encoded for task {dataset.attrs['task']!r}, not "
                               f"{task_name!r}; encode it again with --task {task_name}")
        return path, dataset
    task = get_registry().tasks.get(task_name)
    inputs = load_inputs(spec, labels, test)
    key_material = json.dumps({"inputs": inputs.provenance, "task": task_name, "seed": split_seed,
                               "bindreg_format": 1}, sort_keys=True, default=str)
    key = hashlib.sha256(key_material.encode()).hexdigest()[:12]
    target = Path(out) if out else home() / "datasets" / f"{inputs.name}-{task_name}-{key}.zarr"
    if target.exists() and not refresh:
        try:
            dataset = open_store(target)
            if dataset.attrs.get("cache_key") == key:
                return target, dataset
        except BindregError:
            pass  # a damaged cache entry is rebuilt below
    rng = np.random.default_rng(split_seed)
    train = task.label(inputs.train, rng)
    test_set = task.label(inputs.test, rng) if inputs.test is not None else None
    provenance = {**inputs.provenance, **task.provenance, "task": task_name, "split_seed": split_seed,
                  "bindreg_version": __version__}
    dataset = build_dataset(train, test_set, split_seed, task_name, inputs.name, provenance)
    dataset.attrs["cache_key"] = key
    write_store(dataset, target)
    return target, open_store(target)
