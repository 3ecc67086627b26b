"""Encoded datasets: one-hot DNA, labels and splits as an xarray Dataset in a Zarr store.

Layout (``FORMAT_VERSION`` 1):

- ``onehot`` uint8 ``(sample, base, position)``, base coordinate ``A C G T``,
  chunked along ``sample``; N is an all-zero column;
- ``label`` int8 ``(sample,)``: 1 bound, 0 unbound;
- ``split`` ``(sample,)``: ``train``, ``valid`` or ``test``;
- ``length`` int32 ``(sample,)``, only in a store of sequences of different lengths (made with
  ``--any-length``, docs/varlen.md): ``onehot`` is then right-padded with N to the longest
  sequence and ``length`` holds each one's true length; ``sequence_length`` is the padded width
  and ``min_length``/``max_length`` the range. Fixed-length stores have no ``length`` and are
  byte-for-byte what they were before variable lengths existed (same content hash);
- coordinates ``name`` and ``source`` (``input``, ``planted``, ``dinuc_shuffle``...);
- attrs: ``task``, ``dataset``, ``sequence_length``, ``content_sha256`` and
  ``provenance`` (JSON: inputs and their sha256, seeds, sampler, versions).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import xarray as xr

from ..core.errors import BindregError
from ..core.validate import warn
from ..core.sequences import SequenceSet, one_hot, one_hot_padded

FORMAT_VERSION = 1
#: An existing folder holding one of these is a Zarr store, which a new store may replace.
STORE_MARKERS = (".zmetadata", ".zgroup")
SPLITS = ("train", "valid", "test")
CHUNK_SAMPLES = 8192
#: Rows of the small per-sample columns (label, split) read at a time when hashing or validating.
SPLIT_READ_ROWS = 1 << 20


def stratified_split(labels: np.ndarray, rng: np.random.Generator, test_fraction: float = 0.2,
                     valid_fraction: float = 1 / 8) -> np.ndarray:
    """Per class: ``test_fraction`` to test, then ``valid_fraction`` of the rest to valid (the paper's
    80/20 split with 1/8 of training held for validation). Pass ``test_fraction=0`` when the test
    split comes from its own file."""
    split = np.empty(len(labels), dtype="<U5")
    for value in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == value))
        n_test = int(round(len(members) * test_fraction))
        n_valid = int(round((len(members) - n_test) * valid_fraction))
        split[members[:n_test]] = "test"
        split[members[n_test:n_test + n_valid]] = "valid"
        split[members[n_test + n_valid:]] = "train"
    return split


def content_hash(onehot, label, split, length=None) -> str:
    """SHA-256 over the one-hot bytes, the labels, the newline-joined split names and (variable-length
    stores only) the int32 lengths.

    Any array-like that slices to NumPy works (NumPy, Zarr, an xarray variable): everything is
    read ``CHUNK_SAMPLES`` rows at a time, so verifying a 10-million-sequence store stays within
    a few MB of memory. The bytes hashed are those of the whole-array form (stores written
    before this function streamed still verify).
    """
    total = len(label)
    digest = hashlib.sha256()
    for start in range(0, total, CHUNK_SAMPLES):
        digest.update(np.ascontiguousarray(_rows(onehot, start, start + CHUNK_SAMPLES)).tobytes())
    for start in range(0, total, SPLIT_READ_ROWS):
        digest.update(np.asarray(_rows(label, start, start + SPLIT_READ_ROWS), dtype=np.int8).tobytes())
    for start in range(0, total, SPLIT_READ_ROWS):
        names = _rows(split, start, start + SPLIT_READ_ROWS).tolist()
        digest.update((("\n" if start else "") + "\n".join(names)).encode())
    if length is not None:
        for start in range(0, total, SPLIT_READ_ROWS):
            digest.update(np.asarray(_rows(length, start, start + SPLIT_READ_ROWS), dtype=np.int32).tobytes())
    return digest.hexdigest()


def _rows(array, start: int, stop: int) -> np.ndarray:
    """Rows ``start:stop`` of a NumPy, Zarr, dask or xarray array, as NumPy."""
    part = array[start:stop]
    return np.asarray(part.values if hasattr(part, "values") else part)


def split_codes(split) -> np.ndarray:
    """The split column as int8 codes (index into ``SPLITS``; -1 for any other value, e.g. the
    ``unused`` rows of a subsampled run), read in pieces: 1 byte per sequence instead of the
    20 bytes of ``<U5`` strings."""
    codes = np.empty(len(split), dtype=np.int8)
    for start in range(0, len(split), SPLIT_READ_ROWS):
        names = _rows(split, start, start + SPLIT_READ_ROWS)
        piece = np.full(len(names), -1, dtype=np.int8)
        for code, name in enumerate(SPLITS):
            piece[names == name] = code
        codes[start:start + len(names)] = piece
    return codes


def build_dataset(train: SequenceSet, test: SequenceSet | None, split_seed: int, task: str,
                  dataset: str, provenance: dict) -> xr.Dataset:
    """Encode labelled sequences and assign splits; ``test`` (if given) becomes the test split.

    Sequences of different lengths (allowed by ``SequenceSet.any_length``) are N-padded to the
    longest with a ``length`` variable beside them; equal lengths always give a fixed-length store."""
    parts = [train] + ([test] if test is not None else [])
    any_length = any(part.any_length for part in parts)
    length = None
    for part in parts:
        part_length = part.check()
        if part.labels is None:
            raise BindregError(f"{part.origin}: sequences have no labels; give a label file or use a "
                               "task that makes negatives (discovery)")
        if length is not None and part_length != length and not any_length:
            raise BindregError(f"{part.origin}: sequences are {part_length} bp but the training input's "
                               f"are {length} bp; give both inputs one length")
        length = part_length
    rng = np.random.default_rng(split_seed)
    train_split = stratified_split(train.labels, rng, test_fraction=0.0 if test is not None else 0.2)
    split = np.concatenate([train_split] + ([np.full(len(test), "test", "<U5")] if test is not None else []))
    merged = SequenceSet.concat(parts, origin=train.origin)
    for name in SPLITS:
        present = set(merged.labels[split == name].tolist())
        if present != {0, 1}:
            raise BindregError(f"{train.origin}: the {name} split holds only label(s) {sorted(present)}; "
                               "give more sequences of each class (at least 10 of each is sensible)")
    for part in parts:
        part.refuse_uninformative()
    found = input_checks(train, test, merged, split)
    for message in found:
        warn(message)
    onehot, lengths = one_hot_padded(merged.sequences)
    varied = bool((lengths != lengths[0]).any())
    attrs = {
        "bindreg_format": FORMAT_VERSION,
        "task": task,
        "dataset": dataset,
        "sequence_length": onehot.shape[2],
        "split_seed": split_seed,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "counts": json.dumps({s: {"positives": int(((split == s) & (merged.labels == 1)).sum()),
                                  "negatives": int(((split == s) & (merged.labels == 0)).sum())}
                              for s in SPLITS}),
        "provenance": json.dumps(provenance, sort_keys=True, default=str),
        "content_sha256": content_hash(onehot, merged.labels, split, lengths if varied else None),
    }
    if found:
        attrs["warnings"] = json.dumps(found)
    variables = {
        "onehot": (("sample", "base", "position"), onehot),
        "label": (("sample",), merged.labels.astype(np.int8)),
        "split": (("sample",), split),
    }
    if varied:
        variables["length"] = (("sample",), lengths)
        attrs.update(min_length=int(lengths.min()), max_length=int(lengths.max()))
    return xr.Dataset(
        variables,
        coords={
            "base": list("ACGT"),
            "name": (("sample",), np.array(merged.names, dtype=str)),
            "source": (("sample",), np.array(merged.sources, dtype=str)),
        },
        attrs=attrs,
    )


def write_store(dataset: xr.Dataset, path: Path, chunk_samples: int = CHUNK_SAMPLES) -> Path:
    """Write to a temporary sibling and rename, so a crash never leaves a store that looks complete.
    ``chunk_samples``: sequences per ``onehot`` chunk (tests use small chunks to get many)."""
    from ..core.fsutil import atomic_directory

    length = dataset.sizes["position"]
    with atomic_directory(Path(path), replaces=STORE_MARKERS) as scratch:
        dataset.to_zarr(scratch, mode="w", consolidated=True,
                        encoding={"onehot": {"chunks": (chunk_samples, 4, length)}})
    return Path(path)


def open_store(path: Path, verify: bool = True) -> xr.Dataset:
    """Open and validate a store; any problem is one line naming the store and what is wrong."""
    path = Path(path)
    if not path.exists():
        raise BindregError(f"{path}: no such dataset store")
    try:
        dataset = xr.open_zarr(path, consolidated=True)
    except Exception as exc:  # noqa: BLE001 - zarr raises many types for a damaged store
        raise BindregError(f"{path}: not a readable Zarr store ({type(exc).__name__}: {exc}); "
                           "rebuild it with `bindreg data encode`") from None
    try:
        problem = _attrs_problem(dataset.attrs) or _problem(dataset, verify)
    except Exception as exc:  # noqa: BLE001 - a damaged chunk surfaces as a codec, OS or value error
        message = " ".join(str(exc).split())[:160] or "no detail"
        problem = f"its data cannot be read ({type(exc).__name__}: {message}; a chunk is damaged or missing)"
    if problem:
        raise BindregError(f"{path}: {problem}; rebuild it with `bindreg data encode`")
    return dataset


def _attrs_problem(attrs) -> str | None:
    """Attributes a run relies on, each of the type it is read as (the content hash does not cover them)."""
    from ..core.validate import path_component

    for name in ("task", "dataset", "content_sha256"):
        if not isinstance(attrs.get(name), str) or not attrs.get(name):
            return f"attribute {name!r} is missing or not a string"
    try:
        path_component(attrs["dataset"], "dataset attribute", "store")
        path_component(attrs["task"], "task attribute", "store")
    except BindregError as exc:
        return str(exc).removeprefix("store: ").split("; rename it")[0]
    for name in ("counts", "provenance", "matching", "dropped", "warnings"):
        if name in attrs:
            try:
                value = json.loads(attrs[name])
            except (TypeError, ValueError):
                return f"attribute {name!r} is not JSON"
            if not isinstance(value, (dict, list)):
                return f"attribute {name!r} is not a JSON object"
    for name in ("sequence_length", "split_seed", "min_length", "max_length"):
        if name in attrs and (not isinstance(attrs[name], int) or isinstance(attrs[name], bool)):
            return f"attribute {name!r} is {attrs[name]!r}, not an integer"
    if not isinstance(attrs.get("sequence_length"), int):
        return "attribute 'sequence_length' is missing"
    return None


def _problem(dataset: xr.Dataset, verify: bool) -> str | None:
    if dataset.attrs.get("bindreg_format") != FORMAT_VERSION:
        return f"bindreg_format is {dataset.attrs.get('bindreg_format')!r}, expected {FORMAT_VERSION}"
    for name, dims in (("onehot", ("sample", "base", "position")), ("label", ("sample",)),
                       ("split", ("sample",))):
        if name not in dataset:
            return f"variable {name!r} is missing"
        if dataset[name].dims != dims:
            return f"variable {name!r} has dims {dataset[name].dims}, expected {dims}"
    if dataset["onehot"].dtype != np.uint8 or list(dataset["base"].values) != list("ACGT"):
        return "onehot must be uint8 over bases A C G T"
    if dataset["label"].dtype != np.int8:
        return f"variable 'label' is {dataset['label'].dtype}, expected int8"
    if dataset["split"].dtype.kind not in "UO":
        return f"variable 'split' is {dataset['split'].dtype}, expected strings"
    label = dataset["label"].values  # int8: one byte per sequence
    if not np.isin(label, (0, 1)).all():
        return f"labels must be 0 or 1, found {sorted(set(np.unique(label).tolist()) - {0, 1})[:3]}"
    for start in range(0, len(label), SPLIT_READ_ROWS):
        unknown = set(np.unique(_rows(dataset["split"], start, start + SPLIT_READ_ROWS)).tolist()) - set(SPLITS)
        if unknown:
            return f"unknown split value(s) {sorted(unknown)}"
    if dataset.attrs["sequence_length"] != dataset.sizes["position"]:
        return (f"attribute sequence_length is {dataset.attrs['sequence_length']} but onehot holds "
                f"{dataset.sizes['position']} positions")
    length = dataset["length"].values if "length" in dataset else None
    if length is None and ("min_length" in dataset.attrs or "max_length" in dataset.attrs):
        return "attributes min_length/max_length belong to a store of varied lengths, which has no 'length'"
    if length is not None:
        if "min_length" not in dataset.attrs or "max_length" not in dataset.attrs:
            return "a store of varied lengths needs attributes min_length and max_length"
        if dataset["length"].dims != ("sample",) or length.dtype != np.int32:
            return "variable 'length' must be int32 over sample"
        if len(length) and (length.min() < 1 or length.max() > dataset.sizes["position"]):
            return (f"lengths must lie in 1..{dataset.sizes['position']} (the padded width), found "
                    f"{int(length.min())}..{int(length.max())}")
        if len(length) and (int(length.min()), int(length.max())) != (dataset.attrs["min_length"],
                                                                      dataset.attrs["max_length"]):
            return (f"attributes min_length/max_length ({dataset.attrs['min_length']}/{dataset.attrs['max_length']}) "
                    f"do not match the lengths ({int(length.min())}..{int(length.max())})")
    if verify:
        actual = content_hash(dataset["onehot"], label, dataset["split"], length)
        if actual != dataset.attrs.get("content_sha256"):
            return "content does not match its content_sha256 (the store was modified or damaged)"
    return None


def input_checks(train: SequenceSet, test: SequenceSet | None, merged: SequenceSet, split: np.ndarray) -> list[str]:
    """Warnings, with counts, about what the labelled input holds: the same sequence with both labels,
    sequences repeated, test sequences that also occur in training or validation (leakage)."""
    if not len(merged):
        return []
    hashes = np.fromiter((hash(seq) for seq in merged.sequences), dtype=np.int64, count=len(merged))
    unique, inverse, repeats = np.unique(hashes, return_inverse=True, return_counts=True)
    found = []
    high = np.zeros(len(unique), dtype=np.int8)
    low = np.ones(len(unique), dtype=np.int8)
    np.maximum.at(high, inverse, merged.labels)
    np.minimum.at(low, inverse, merged.labels)
    conflicting = int((high != low).sum())
    if conflicting:
        found.append(f"{train.origin}: {conflicting} sequence(s) occur with label 1 and with label 0; they cannot "
                     "be told apart, check the labels")
    repeated = int((repeats - 1).sum())
    if repeated:
        found.append(f"{train.origin}: {repeated} of {len(merged)} sequences repeat an earlier one "
                     f"({int((repeats > 1).sum())} distinct sequences occur more than once)")
    is_test = split == "test"
    if is_test.any() and (~is_test).any():
        leaked = int(np.isin(hashes[is_test], hashes[~is_test]).sum())
        if leaked:
            origin = test.origin if test is not None else train.origin
            found.append(f"{origin}: {leaked} of {int(is_test.sum())} test sequences also occur in the training or "
                         "validation splits (leakage: the test AUROC overstates performance); give a test set "
                         "disjoint from training")
    return found


def repeat_warnings(dataset: xr.Dataset) -> None:
    """Warn again (a ``BindregWarning`` each) what the store's input checks found when it was built."""
    from ..core.validate import warn

    for message in json.loads(dataset.attrs.get("warnings", "[]")):
        warn(message)


def provenance(dataset: xr.Dataset) -> dict:
    return json.loads(dataset.attrs.get("provenance", "{}"))


def counts(dataset: xr.Dataset) -> dict:
    return json.loads(dataset.attrs.get("counts", "{}"))
