"""Naming a dataset by registered name or by path, and the cached stores that come out."""

from __future__ import annotations

import numpy as np
import pytest

from bindreg.data.datasets import load_inputs, prepare
from bindreg.core.errors import BindregError
from bindreg.data.synthetic import planted_motif_sequences

from conftest import random_sequences, shared


def test_zeng_folder_uses_test_data_as_the_test_split(zeng_files):
    path, dataset = prepare(str(zeng_files), "discovery")
    split = dataset["split"].values
    assert (split == "test").sum() == 300 and dataset.attrs["dataset"] == "toy_experiment"
    train = (split == "train").sum()
    assert abs((split == "valid").sum() - (train + (split == "valid").sum()) / 8) <= 2
    again, _ = prepare(str(zeng_files), "discovery")
    assert again == path  # cached by input hashes, task and seed


def test_deepbind_training_fold_gets_shuffled_negatives_and_b_fold_test():
    folder = shared("deepbind_encode_jisraeli")
    _, dataset = prepare(str(folder / "MYC_H1-hESC_c-Myc_Stanford_AC.seq"), "discovery")
    split, label, source = (dataset[v].values for v in ("split", "label", "source"))
    assert (split != "test").sum() == 2 * 4051 and (label[split != "test"] == 0).sum() == 4051
    assert set(source[(split != "test") & (label == 0)]) == {"dinuc_shuffle"}
    assert (split == "test").sum() == 1000 and set(source[split == "test"]) == {"input"}
    inputs = dataset.attrs["provenance"]
    assert "MYC_H1-hESC_c-Myc_Stanford_B.seq" in inputs and "dinuc-shuf" in inputs


def test_fasta_with_labels_and_fasta_of_positives(tmp_path):
    seqs = random_sequences(200, length=60, seed=3)
    fasta = tmp_path / "peaks.fa"
    fasta.write_text("".join(f">p{i}\n{s}\n" for i, s in enumerate(seqs)))
    _, positives_only = prepare(str(fasta), "discovery")
    assert positives_only.sizes["sample"] == 400 and int(positives_only["label"].sum()) == 200
    labels = tmp_path / "labels.txt"
    labels.write_text("".join(f"p{i}\t{i % 2}\n" for i in range(200)))
    _, labelled = prepare(str(fasta), "discovery", labels=labels)
    assert labelled.sizes["sample"] == 200 and int(labelled["label"].sum()) == 100


def test_unknown_dataset_suggests_names():
    with pytest.raises(BindregError, match=r"unknown dataset 'synthetic_ctfc'; did you mean 'synthetic_ctcf'"):
        load_inputs("synthetic_ctfc")


def test_folder_without_a_dataset(tmp_path):
    with pytest.raises(BindregError, match="no dataset found"):
        load_inputs(str(tmp_path))


def test_store_for_another_task_is_refused(zeng_files):
    path, _ = prepare(str(zeng_files), "discovery")
    with pytest.raises(BindregError, match="encoded for task 'discovery'"):
        prepare(str(path), "occupancy")


def test_generated_dataset_is_seeded_and_carries_the_motif():
    first, provenance = planted_motif_sequences("CTCF", count=300, seed=5)
    second, _ = planted_motif_sequences("CTCF", count=300, seed=5)
    assert first.sequences == second.sequences and provenance["motif"]["matrix_id"].startswith("MA")
    gc = np.mean([(s.count("G") + s.count("C")) / len(s) for s in first.sequences])
    assert 0.38 < gc < 0.50  # human-like composition
    cg = np.mean([s.count("CG") / (len(s) - 1) for s in first.sequences])
    assert cg < 0.03  # CpG depletion of the background
