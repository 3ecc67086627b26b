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
from ..core.sequences import SequenceSet, one_hot, one_hot_padded

FORMAT_VERSION = 1
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
    with atomic_directory(Path(path)) as scratch:
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
    problem = _problem(dataset, verify)
    if problem:
        raise BindregError(f"{path}: {problem}; rebuild it with `bindreg data encode`")
    return dataset


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
    label = dataset["label"].values  # int8: one byte per sequence
    if not np.isin(label, (0, 1)).all():
        return f"labels must be 0 or 1, found {sorted(set(np.unique(label).tolist()) - {0, 1})[:3]}"
    for start in range(0, len(label), SPLIT_READ_ROWS):
        unknown = set(np.unique(_rows(dataset["split"], start, start + SPLIT_READ_ROWS)).tolist()) - set(SPLITS)
        if unknown:
            return f"unknown split value(s) {sorted(unknown)}"
    length = dataset["length"].values if "length" in dataset else None
    if length is not None:
        if dataset["length"].dims != ("sample",) or length.dtype != np.int32:
            return "variable 'length' must be int32 over sample"
        if len(length) and (length.min() < 1 or length.max() > dataset.sizes["position"]):
            return (f"lengths must lie in 1..{dataset.sizes['position']} (the padded width), found "
                    f"{int(length.min())}..{int(length.max())}")
    if verify:
        actual = content_hash(dataset["onehot"], label, dataset["split"], length)
        if actual != dataset.attrs.get("content_sha256"):
            return "content does not match its content_sha256 (the store was modified or damaged)"
    return None


def provenance(dataset: xr.Dataset) -> dict:
    return json.loads(dataset.attrs.get("provenance", "{}"))


def counts(dataset: xr.Dataset) -> dict:
    return json.loads(dataset.attrs.get("counts", "{}"))
