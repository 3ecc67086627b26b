"""From what the user names on the command line to an encoded, validated dataset store.

A dataset is named by a registered name (``bindreg data list``) or by a path:
a Zarr store made by bindreg, a file in a registered format (``.data``,
``.seq``, FASTA...), or a folder that holds one experiment (``train.data`` +
``test.data``, or one ``*_AC.seq`` + ``*_B.seq`` pair).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import xarray as xr

from .. import __version__
from ..host.catalog import DatasetInputs, GenomeInputs, SequenceFormat
from ..core.errors import BindregError, unknown_name
from .formats import apply_label_file
from ..core.fsutil import home, sha256_file
from ..host.plugins import get_registry
from ..core.sequences import SequenceSet
from .store import STORE_MARKERS, build_dataset, open_store, repeat_warnings, write_store
from ..core.fsutil import check_replaceable
from ..core.validate import input_file, path_component


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
    for name in ("train.data", "train.data.gz"):
        if (folder / name).exists():
            return folder / name
    folds = sorted(folder.glob("*_AC.seq")) + sorted(folder.glob("*_AC.seq.gz"))
    if len(folds) == 1:
        return folds[0]
    if len(folds) > 1:
        raise BindregError(f"{folder}: holds {len(folds)} DeepBind experiments; name one *_AC.seq file, "
                           f"for example {folds[0]}")
    raise BindregError(f"{folder}: no dataset found; expected train.data (+ test.data), one *_AC.seq "
                       "(+ *_B.seq), or a Zarr store made by `bindreg data encode`")


def _read(path: Path, role: str) -> tuple[SequenceSet, dict]:
    fmt = format_for(path)
    input_file(path, f"{role} input")
    sequences = fmt.read(path)
    return sequences, {"role": role, "path": str(path), "sha256": sha256_file(path), "format": fmt.name}


def load_inputs(spec: str, labels: Path | None = None, test: Path | None = None,
                any_length: bool = False) -> DatasetInputs:
    """Read the sequences behind a dataset name or path (not yet labelled by a task).

    ``any_length``: keep sequences of different lengths as they are (``--any-length``); a
    registered dataset of varied lengths says so itself (its ``SequenceSet.any_length``)."""
    registry = get_registry()
    if spec in registry.datasets:
        if labels or test:
            raise BindregError(f"--labels and --test apply to files, not to the registered dataset {spec!r}")
        inputs = registry.datasets.get(spec).load()
        _allow_any_length(inputs, any_length)
        return inputs
    path = Path(spec).expanduser()
    if not path.exists():
        raise unknown_name("dataset", spec, registry.datasets.names(),
                           "or give a path to a .data, .seq or FASTA file, a folder, or a Zarr store")
    if path.is_dir():
        path = _experiment_file(path)
    train, train_record = _read(path, "train")
    records = [train_record]
    if labels:
        input_file(labels, "label", "give 'name label' lines (--labels FILE)")
        train = apply_label_file(train, Path(labels))
        records.append({"role": "labels", "path": str(labels), "sha256": sha256_file(Path(labels))})
    test_path = Path(test) if test else format_for(path).companion_test(path)
    test_set = None
    if test_path:
        input_file(test_path, "test input")
        test_set, test_record = _read(test_path, "test")
        records.append(test_record)
    name = _dataset_name(path)
    inputs = DatasetInputs(name=name, train=train, test=test_set, provenance={"inputs": records})
    _allow_any_length(inputs, any_length)
    return inputs


def _dataset_name(path: Path) -> str:
    """The experiment's name: the folder of ``train.data``, else the file name before its first
    suffix (``_AC`` dropped); never empty, never hidden."""
    if path.name in ("train.data", "train.data.gz"):
        name = path.resolve().parent.name
    else:
        name = path.name.lstrip(".").split(".")[0].removesuffix("_AC")
    return name or "dataset"


def _allow_any_length(inputs: DatasetInputs, any_length: bool) -> None:
    if any_length:
        for part in (inputs.train, inputs.test):
            if part is not None:
                part.any_length = True


def _any_length_key(inputs: DatasetInputs) -> dict:
    """Cache-key material for ``--any-length``; empty when off, so fixed-length keys stay as they were."""
    return {"any_length": True} if inputs.train.any_length else {}


def _cache_key(material: dict) -> str:
    text = json.dumps({**material, "bindreg_format": 1}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _cached(target: Path, key: str, refresh: bool) -> xr.Dataset | None:
    """The store at ``target`` if it was built from the same inputs (``cache_key``), else None."""
    if target.exists() and not refresh:
        try:
            dataset = open_store(target)
            if dataset.attrs.get("cache_key") == key:
                repeat_warnings(dataset)
                return dataset
        except BindregError:
            pass  # a damaged cache entry is rebuilt
    return None


def _write(inputs: DatasetInputs, task_name: str, split_seed: int, provenance: dict, key: str,
           target: Path) -> tuple[Path, xr.Dataset]:
    dataset = build_dataset(inputs.train, inputs.test, split_seed, task_name, inputs.name, provenance)
    dataset.attrs["cache_key"] = key
    for name in ("matching", "dropped"):  # the figures a person checks first, also as attributes of their own
        if name in provenance:
            dataset.attrs[name] = json.dumps(provenance[name], sort_keys=True)
    if inputs.coords:
        dataset = dataset.assign_coords({name: (("sample",), np.asarray(values)) for name, values in
                                         inputs.coords.items()})
    write_store(dataset, target)
    return target, open_store(target)


def prepare(spec: str, task_name: str, split_seed: int = 0, labels: Path | None = None,
            test: Path | None = None, out: Path | None = None, refresh: bool = False,
            any_length: bool = False) -> tuple[Path, xr.Dataset]:
    """Encode a dataset for a task into a store (cached by its inputs, task and seed) and open it.
    ``any_length``: keep sequences of different lengths whole (docs/varlen.md)."""
    path = Path(spec).expanduser()
    if is_store(path):
        dataset = open_store(path)
        if dataset.attrs["task"] != task_name:
            stored = dataset.attrs["task"]
            raise BindregError(f"{path}: store was encoded for task {stored!r}, not {task_name!r}; run it with "
                               f"--task {stored}, or build a {task_name} store from the original inputs")
        return path, dataset
    task = get_registry().tasks.get(task_name)
    inputs = load_inputs(spec, labels, test, any_length)
    key = _cache_key({"inputs": inputs.provenance, "task": task_name, "seed": split_seed,
                      **_any_length_key(inputs)})
    target = Path(out) if out else home() / "datasets" / path_component(
        f"{inputs.name}-{task_name}-{key}.zarr", "dataset name", spec)
    cached = _cached(target, key, refresh)
    if cached is not None:
        return target, cached
    check_replaceable(target, STORE_MARKERS)  # before the work, not after it
    rng = np.random.default_rng(split_seed)
    inputs.train = task.label(inputs.train, rng)
    inputs.test = task.label(inputs.test, rng) if inputs.test is not None else None
    provenance = {**inputs.provenance, **task.provenance, "task": task_name, "split_seed": split_seed,
                  "bindreg_version": __version__, **_any_length_key(inputs)}
    return _write(inputs, task_name, split_seed, provenance, key, target)


def prepare_from_genome(task_name: str, inputs: GenomeInputs, split_seed: int = 0, out: Path | None = None,
                        refresh: bool = False, plot: Path | None = None) -> tuple[Path, xr.Dataset]:
    """Build a task's examples from a genome and peaks into a store (cached by input hashes,
    options, task and seed) and open it. ``split_seed`` also seeds negatives and matching.
    ``plot``: a PNG of the matching (tasks that match negatives, i.e. occupancy)."""
    path, dataset = _prepare_from_genome(task_name, inputs, split_seed, out, refresh)
    if plot is not None:
        from .occupancy import plot_matching

        if "matching" not in dataset.attrs:
            raise BindregError(f"--plot draws the matching of negatives, which task {task_name!r} does not do; "
                               "use it with --task occupancy")
        plot_matching(json.loads(dataset.attrs["matching"]), plot)
    return path, dataset


def _prepare_from_genome(task_name: str, inputs: GenomeInputs, split_seed: int, out: Path | None,
                         refresh: bool) -> tuple[Path, xr.Dataset]:
    registry = get_registry()
    task = registry.tasks.get(task_name)
    if task.from_genome is None:
        able = [t.name for t in registry.tasks if t.from_genome is not None]
        raise BindregError(f"task {task_name!r} cannot be built from a genome and peaks; tasks that can: "
                           f"{', '.join(able)}")
    files = {"genome": inputs.genome, "peaks": inputs.peaks, "motif_file": inputs.motif_file,
             "regions": inputs.regions}
    for role, file in files.items():
        if file is not None:
            input_file(file, role.replace("_", " "))
    material = {role: sha256_file(Path(file)) for role, file in files.items() if file is not None}
    # any_length joins the key only when set, so the keys of stores built before it existed still match.
    options = {k: v for k, v in asdict(inputs).items() if k not in files and k != "progress"
               and not (k == "any_length" and not v)}
    key = _cache_key({"files": material, "options": options, "task": task_name, "seed": split_seed})
    stem = Path(inputs.peaks).name.split(".")[0]
    target = Path(out) if out else home() / "datasets" / path_component(
        f"{stem or 'peaks'}-{task_name}-{key}.zarr", "peaks file name", str(inputs.peaks))
    cached = _cached(target, key, refresh)
    if cached is not None:
        return target, cached
    check_replaceable(target, STORE_MARKERS)
    built = task.from_genome(inputs, np.random.default_rng(split_seed))
    provenance = {**built.provenance, **task.provenance, "task": task_name, "options": options,
                  "split_seed": split_seed, "bindreg_version": __version__}
    return _write(built, task_name, split_seed, provenance, key, target)
