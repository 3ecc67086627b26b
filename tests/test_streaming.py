"""Streaming from the Zarr store: every row once per epoch, seeded order, equal scores, the CLI path."""

from __future__ import annotations

import hashlib
import json

import mxnet as mx
import numpy as np
import pytest

from bindreg.data.datasets import prepare
from bindreg.core.errors import BindregError
from bindreg.host.plugins import get_registry
from bindreg.data.store import SPLITS, content_hash, open_store, split_codes, write_store
from bindreg.train.streaming import DataPath, choose_path, stream_splits
from bindreg.experiment.runs import run
from bindreg.train.training import BUDGETS, build_network, load_splits, with_both_strands

from conftest import bindreg_cli

CHUNK = 64  # small chunks, so a few hundred sequences make many of them


@pytest.fixture(scope="module")
def small_store(tmp_path_factory):
    """The Zeng-layout toy experiment (1,500 sequences) re-written with 64-sequence chunks."""
    from conftest import write_zeng_experiment

    base = tmp_path_factory.mktemp("streaming")
    _, dataset = prepare(str(write_zeng_experiment(base / "toy")), "discovery", out=base / "plain.zarr")
    dataset = dataset.load()
    for variable in dataset.variables.values():
        variable.encoding = {}
    return write_store(dataset, base / "chunked.zarr", chunk_samples=CHUNK)


def _row_ids(batches, count, onehot):
    """The store row of every sequence in ``count`` minibatches (each random sequence is unique)."""
    index = {np.ascontiguousarray(row).tobytes(): i for i, row in enumerate(onehot)}
    rows = []
    for _ in range(count):
        x, _ = next(batches)
        rows += [index[r.astype(np.uint8).tobytes()] for r in x.asnumpy()[:, :, 0, :]]
    return rows


def test_every_training_row_once_per_epoch_and_seeded(small_store):
    dataset = open_store(small_store)
    onehot = dataset["onehot"].values
    train_rows = set(np.flatnonzero(dataset["split"].values == "train").tolist())
    split = stream_splits(dataset, small_store, mx.cpu(), buffer_chunks=3, prefetch=2)["train"]
    assert len(split.chunks) > 10
    batch_size = next(b for b in range(10, 60) if len(train_rows) % b == 0)  # no remainder to drop
    per_epoch = len(train_rows) // batch_size
    rows = _row_ids(split.batches(np.random.default_rng(5), batch_size), 2 * per_epoch, onehot)
    first, second = rows[:len(train_rows)], rows[len(train_rows):]
    assert sorted(first) == sorted(second) == sorted(train_rows)
    assert first != second  # a fresh order each epoch
    in_line = stream_splits(dataset, small_store, mx.cpu(), buffer_chunks=3, prefetch=0)["train"]
    assert _row_ids(in_line.batches(np.random.default_rng(5), batch_size), per_epoch, onehot) == first
    other = _row_ids(in_line.batches(np.random.default_rng(6), batch_size), per_epoch, onehot)
    assert other != first and sorted(other) == sorted(first)
    odd = _row_ids(split.batches(np.random.default_rng(5), 100), len(train_rows) // 100, onehot)
    assert len(set(odd)) == len(odd) == len(train_rows) // 100 * 100  # the remainder is dropped, as in memory


def test_streaming_scores_equal_in_memory_scores(small_store):
    dataset = open_store(small_store)
    streamed = stream_splits(dataset, small_store, mx.cpu())
    loaded = load_splits(dataset, mx.cpu())
    net = build_network(get_registry().architectures.get("1layer"), {"dropout": 0.5}, 101, seed=1, ctx=mx.cpu())
    for name in ("valid", "test"):
        assert (streamed[name].labels == loaded[name].labels).all()
        np.testing.assert_allclose(streamed[name].scores(net), loaded[name].scores(net), atol=1e-6, rtol=0)
    both_streamed, both_loaded = with_both_strands(streamed), with_both_strands(loaded)
    np.testing.assert_allclose(both_streamed["test"].scores(net), both_loaded["test"].scores(net), atol=1e-6, rtol=0)
    assert len(both_streamed["train"]) == len(both_loaded["train"])
    for name in ("valid", "test"):  # one label per score (--stream --both-strands crashed on this)
        assert (both_streamed[name].labels == both_loaded[name].labels).all()


def test_content_hash_reads_in_pieces_but_hashes_the_same_bytes(small_store):
    dataset = open_store(small_store)
    onehot, label, split = dataset["onehot"].values, dataset["label"].values, dataset["split"].values
    whole = hashlib.sha256(onehot.tobytes() + label.astype(np.int8).tobytes()
                           + "\n".join(split.tolist()).encode()).hexdigest()
    assert content_hash(dataset["onehot"], label, dataset["split"]) == whole == dataset.attrs["content_sha256"]
    codes = split_codes(np.array(["test", "unused", "train", "valid"]))
    assert codes.tolist() == [SPLITS.index("test"), -1, 0, 1] and codes.dtype == np.int8


def test_path_is_chosen_by_budget_and_request(small_store, monkeypatch):
    dataset = open_store(small_store)
    assert choose_path(dataset).path == "in_memory"
    assert choose_path(dataset, stream=True).path == "streaming"
    assert choose_path(dataset, budget_gb=1e-4).path == "streaming"
    monkeypatch.setenv("BINDREG_MEMORY_BUDGET_GB", "1e-4")
    assert isinstance(choose_path(dataset), DataPath) and choose_path(dataset).path == "streaming"
    monkeypatch.setenv("BINDREG_MEMORY_BUDGET_GB", "lots")
    with pytest.raises(BindregError, match="BINDREG_MEMORY_BUDGET_GB"):
        choose_path(dataset)


@pytest.mark.slow
def test_run_stream_trains_end_to_end(small_store, tmp_path):
    out = tmp_path / "run"
    result = bindreg_cli("run", "--model", "1layer", "--data", str(small_store), "--budget", "smoke",
                         "--train-minibatches", "60", "--stream", "-q", "--out", str(out))
    assert "streamed from the Zarr store" in result.stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["data_path"]["path"] == "streaming"
    assert metrics["test"]["auroc"] > 0.9  # the planted 18-mer
    assert len((out / "test_predictions.csv").read_text().splitlines()) == 1 + 300
    assert (out / "card.md").exists()
    with pytest.raises(BindregError, match="--stream applies to networks"):
        run("kmer_lr", "discovery", str(small_store), BUDGETS["smoke"], stream=True)



def test_model_card_reads_only_the_test_rows_it_uses(small_store, monkeypatch):
    import bindreg.cards as cards

    monkeypatch.setattr(cards, "MAX_SEQUENCES", 20)
    dataset = open_store(small_store)
    onehot, labels = cards.motif_sequences(dataset)
    test = dataset["split"].values == "test"
    full_onehot, full_labels = dataset["onehot"].values[test], dataset["label"].values[test]
    assert len(onehot) < len(full_onehot) and (onehot[:20] == full_onehot[:20]).all()
    assert (onehot[labels == 1][:20] == full_onehot[full_labels == 1][:20]).all()
