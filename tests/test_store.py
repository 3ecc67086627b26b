"""Encoded Zarr stores: layout, split, provenance, validation, atomic writes."""

from __future__ import annotations

import numpy as np
import pytest
import zarr

from bindreg.core.errors import BindregError
from bindreg.core.sequences import SequenceSet
from bindreg.data.store import build_dataset, open_store, stratified_split, write_store

from conftest import random_sequences


def _dataset(count=400):
    seqs = random_sequences(count, length=50)
    labels = np.array([1, 0] * (count // 2), np.int8)
    return build_dataset(SequenceSet([f"s{i}" for i in range(count)], seqs, labels, "mem"), None, 7,
                         "discovery", "toy", {"inputs": [{"sha256": "abc"}]})


def test_split_is_stratified_80_20_with_an_eighth_for_validation():
    labels = np.array([1] * 800 + [0] * 800)
    split = stratified_split(labels, np.random.default_rng(0))
    for value in (0, 1):
        members = split[labels == value]
        assert (members == "test").sum() == 160 and (members == "valid").sum() == 80
    assert (split == stratified_split(labels, np.random.default_rng(0))).all()


def test_store_round_trip(tmp_path):
    path = write_store(_dataset(), tmp_path / "toy.zarr")
    dataset = open_store(path)
    assert dataset["onehot"].dtype == np.uint8 and dataset["onehot"].dims == ("sample", "base", "position")
    assert list(dataset["base"].values) == list("ACGT") and dataset.attrs["task"] == "discovery"
    assert "abc" in dataset.attrs["provenance"] and dataset.sizes["sample"] == 400
    assert not list(tmp_path.glob(".*tmp"))  # no scratch left behind


def test_tampered_store_is_refused(tmp_path):
    path = write_store(_dataset(), tmp_path / "toy.zarr")
    group = zarr.open_group(str(path), mode="r+")
    group["label"][0] = 1 - group["label"][0]
    with pytest.raises(BindregError, match="does not match its content_sha256"):
        open_store(path)
    group["label"][0] = 5
    with pytest.raises(BindregError, match=r"labels must be 0 or 1"):
        open_store(path)


def test_missing_variable_is_refused(tmp_path):
    dataset = _dataset().drop_vars("split")
    dataset.to_zarr(tmp_path / "bad.zarr", consolidated=True)
    with pytest.raises(BindregError, match="variable 'split' is missing"):
        open_store(tmp_path / "bad.zarr")


def test_interrupted_write_keeps_the_previous_store(tmp_path, monkeypatch):
    path = write_store(_dataset(), tmp_path / "toy.zarr")
    before = open_store(path).attrs["content_sha256"]
    bigger = _dataset(600)

    def explode(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(type(bigger), "to_zarr", explode)
    with pytest.raises(KeyboardInterrupt):
        write_store(bigger, path)
    assert open_store(path).attrs["content_sha256"] == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["toy.zarr"]


def test_single_class_split_is_refused():
    seqs = random_sequences(40, length=20)
    with pytest.raises(BindregError, match="split holds only label"):
        build_dataset(SequenceSet([str(i) for i in range(40)], seqs, np.ones(40, np.int8), "f.data"), None, 0,
                      "discovery", "x", {})
