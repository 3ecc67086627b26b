"""A store described in lines: what `bindreg data show` and `data encode` print."""

from __future__ import annotations

import numpy as np

from bindreg.core.sequences import SequenceSet
from bindreg.data.store import build_dataset, open_store, write_store
from bindreg.data.summary import describe_store

from conftest import random_sequences


def test_a_store_is_described_split_by_split_with_its_hash(tmp_path):
    labels = np.array([1, 0] * 100, np.int8)
    dataset = build_dataset(SequenceSet([f"s{i}" for i in range(200)], random_sequences(200, length=40), labels,
                                        "mem"), None, 7, "discovery", "toy", {"inputs": [{"sha256": "abc", "path": "x"}]})
    path = write_store(dataset, tmp_path / "toy.zarr")
    lines = describe_store(path, open_store(path))
    assert lines[0] == f"{path}: toy / discovery, 200 sequences of 40 bp"
    assert [line.split(":")[0].strip() for line in lines[1:4]] == ["train", "valid", "test"]
    assert any(line.startswith("  content sha256 ") for line in lines)
    assert lines[-1] == f"  full provenance: bindreg data show {path} --json"
