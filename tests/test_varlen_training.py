"""Training on sequences of different lengths: the padded store, bucketed minibatches, the run end to end."""

from __future__ import annotations

import hashlib
import json

import mxnet as mx
import numpy as np
import pytest

from bindreg.core.errors import BindregError
from bindreg.data.negatives import dinucleotide_shuffle
from bindreg.core.sequences import SequenceSet, decode
from bindreg.data.store import build_dataset, content_hash, open_store, write_store
from bindreg.train.varlen import load_variable_length_splits, training_epochs

from conftest import bindreg_cli, random_sequences


def _sequences(lengths, seed=0):
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(list("ACGT"), length)) for length in lengths]


def _labelled(sequences, any_length):
    labels = np.array([1, 0] * (len(sequences) // 2), np.int8)
    return SequenceSet([f"s{i}" for i in range(len(sequences))], sequences, labels, "mem", any_length=any_length)


def test_variable_length_store_round_trips(tmp_path):
    lengths = np.random.default_rng(1).integers(30, 90, 200)
    sequences = _sequences(lengths)
    path = write_store(build_dataset(_labelled(sequences, True), None, 7, "discovery", "toy", {}),
                       tmp_path / "varied.zarr", chunk_samples=64)
    dataset = open_store(path)  # verifies the content hash, lengths included
    stored = dataset["length"].values
    assert stored.dtype == np.int32 and (stored == lengths).all()
    assert dataset.attrs["sequence_length"] == dataset.sizes["position"] == lengths.max()
    assert (dataset.attrs["min_length"], dataset.attrs["max_length"]) == (lengths.min(), lengths.max())
    onehot = dataset["onehot"].values
    assert [s[:n] for s, n in zip(decode(onehot), stored)] == sequences
    assert all(not onehot[i, :, n:].any() for i, n in enumerate(stored))  # N-padding past each length
    other = stored.copy()
    other[0] -= 1
    assert content_hash(onehot, dataset["label"].values, dataset["split"], other) != dataset.attrs["content_sha256"]


def test_fixed_length_store_is_unchanged_by_any_length():
    """Equal lengths give the store they always gave: no ``length`` variable and the content hash of
    the documented formula (one-hot bytes, labels, newline-joined splits), with or without the opt-in."""
    sequences = random_sequences(100, length=40)
    plain = build_dataset(_labelled(sequences, False), None, 7, "discovery", "toy", {})
    opted = build_dataset(_labelled(sequences, True), None, 7, "discovery", "toy", {})
    expected = hashlib.sha256(plain["onehot"].values.tobytes() + plain["label"].values.astype(np.int8).tobytes()
                              + "\n".join(plain["split"].values.tolist()).encode()).hexdigest()
    for dataset in (plain, opted):
        assert "length" not in dataset and "min_length" not in dataset.attrs
        assert dataset.attrs["content_sha256"] == expected and dataset.attrs["sequence_length"] == 40


def test_unequal_lengths_need_the_opt_in(tmp_path):
    fasta = tmp_path / "peaks.fa"
    fasta.write_text(">a\n" + "ACGT" * 30 + "\n>b\n" + "ACGT" * 20 + "\n")
    result = bindreg_cli("data", "encode", str(fasta), "-o", str(tmp_path / "p.zarr"), check=False)
    assert result.returncode == 1 and "peaks.fa:3" in result.stderr and "--any-length" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_dinucleotide_shuffles_keep_each_length():
    sequences = _sequences([60, 61, 60, 200, 75])
    shuffled = dinucleotide_shuffle(sequences, np.random.default_rng(0))
    for original, shuffle in zip(sequences, shuffled):
        assert len(shuffle) == len(original) and shuffle != original
        pairs = lambda s: sorted(s[i:i + 2] for i in range(len(s) - 1))  # noqa: E731
        assert pairs(shuffle) == pairs(original)


def test_training_epochs_are_bucketed_seeded_and_leave_numpy_alone():
    lengths = np.random.default_rng(2).integers(60, 400, 1000)
    np.random.seed(5)
    before = np.random.get_state()[1].copy()
    first = next(training_epochs(lengths, 100, np.random.default_rng(0)))
    again = next(training_epochs(lengths, 100, np.random.default_rng(0)))
    assert (np.random.get_state()[1] == before).all()
    assert all((a == b).all() for a, b in zip(first, again))
    assert sorted(np.concatenate(first).tolist()) == list(range(1000))  # every sequence once per epoch
    assert max(len(rows) for rows in first) == 100
    spans = [np.ptp(lengths[rows]) for rows in first]
    assert np.median(spans) < 60  # buckets of similar length: little padding


def test_local_pooling_network_is_refused_in_one_line(tmp_path):
    from bindreg.host.plugins import get_registry
    from bindreg.train.training import train_setting

    lengths = np.random.default_rng(3).integers(60, 120, 400)
    dataset = build_dataset(_labelled(_sequences(lengths), True), None, 7, "discovery", "toy", {})
    splits = load_variable_length_splits(dataset, mx.cpu())
    architecture = get_registry().architectures.get("1layer_local_win3")
    with pytest.raises(BindregError, match=r"model '1layer_local_win3' cannot train on sequences of different "
                                           r"lengths .*global max.*--any-length"):
        train_setting(architecture, {"dropout": 0.5}, splits, 5, 5, 0, mx.cpu())


@pytest.mark.slow
def test_run_trains_on_fasta_of_different_lengths(tmp_path):
    """The must-show: ``bindreg run --any-length`` on a FASTA of 60-300 bp peaks learns the planted
    motif (AUROC well above chance) and writes metrics, card and both exported graphs."""
    from bindreg.data.synthetic import varied_length_sequences

    positives, _ = varied_length_sequences("CTCF", count=1000, min_length=60, max_length=300, seed=4)
    fasta = tmp_path / "varied_peaks.fa"
    fasta.write_text("".join(f">{n}\n{s}\n" for n, s in zip(positives.names, positives.sequences)))
    run_dir = tmp_path / "run"
    result = bindreg_cli("run", "--model", "1layer", "--task", "discovery", "--data", str(fasta), "--any-length",
                         "--budget", "demo", "--settings", "1", "--search-minibatches", "10",
                         "--train-minibatches", "800", "-q", "--out", str(run_dir), "--seed", "1")
    assert "60-300 bp" in result.stdout and "search: sequential (sequences of different lengths" in result.stdout
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["test"]["auroc"] > 0.75, metrics["test"]
    assert "packed engine takes one fixed length" in metrics["search"]["why_sequential"]
    run = json.loads((run_dir / "run.json").read_text())
    assert run["any_length"] and run["lengths"] == {"min": 60, "max": 300} and run["sequence_length"] == 60
    for name in ("model-symbol.json", "model-varlen-symbol.json", "model-0000.params", "card.md"):
        assert (run_dir / name).exists(), name
    assert "trained on 60-300 bp" in (run_dir / "card.md").read_text()
    # The trained model scores whole peaks of any length, here longer than any it was trained on.
    peaks = tmp_path / "long.fa"
    peaks.write_text(">motif\n" + positives.sequences[0] * 3 + "\n>short\nACGTACGTAC\n")
    scored = bindreg_cli("predict", str(run_dir), str(peaks))
    assert "mode: whole" in scored.stderr and len(scored.stdout.strip().splitlines()) == 3


def test_whole_peaks_from_a_genome_keep_their_widths(compendium, tmp_path):
    """``bindreg data prepare --any-length``: discovery positives are whole peaks (here 150-500 bp), each
    negative the dinucleotide shuffle of one, so every length occurs once per class."""
    from bindreg.host.catalog import GenomeInputs
    from bindreg.data.datasets import prepare_from_genome

    inputs = GenomeInputs(compendium / "genome.fa", compendium / "peaks" / "CTCF.narrowPeak", any_length=True)
    _, dataset = prepare_from_genome("discovery", inputs, out=tmp_path / "whole.zarr")
    lengths, labels = dataset["length"].values, dataset["label"].values
    assert 150 <= lengths.min() and lengths.max() <= 500 and len(np.unique(lengths)) > 50
    assert sorted(lengths[labels == 1]) == sorted(lengths[labels == 0])
    assert all("-" in name and ":" in name for name in dataset["name"].values[:5])
    with pytest.raises(BindregError, match="drop --any-length"):
        prepare_from_genome("occupancy", GenomeInputs(compendium / "genome.fa", compendium / "peaks" / "CTCF.narrowPeak",
                                                      tf="CTCF", any_length=True), out=tmp_path / "occ.zarr")
