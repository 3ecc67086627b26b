"""The occupancy task: labelled motif instances, GC x motif-score matching, the position variant."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.stats import ks_2samp

from bindreg.host.catalog import GenomeInputs
from bindreg.data.datasets import prepare_from_genome
from bindreg.core.errors import BindregError
from bindreg.data.occupancy import match_negatives
from bindreg.data.store import provenance


def test_matching_removes_gc_and_score_differences():
    rng = np.random.default_rng(0)
    labels = np.r_[np.ones(1500, np.int8), np.zeros(8000, np.int8)]
    gc = np.r_[rng.normal(0.48, 0.05, 1500), rng.normal(0.41, 0.05, 8000)].clip(0, 1)
    score = np.r_[rng.normal(16, 3, 1500), rng.normal(12, 3, 8000)]
    kept, report = match_negatives(labels, gc, score, np.random.default_rng(1))
    assert report["gc"]["before"]["pvalue"] < 1e-10 and report["motif_score"]["before"]["pvalue"] < 1e-10
    pos, neg = kept[labels[kept] == 1], kept[labels[kept] == 0]
    assert len(pos) == len(neg) > 700
    for values in (gc, score):
        assert ks_2samp(values[pos], values[neg]).pvalue > 0.05
    assert report["gc"]["after"]["pvalue"] > 0.05 and report["motif_score"]["after"]["pvalue"] > 0.05


def test_matching_without_negatives_is_one_line():
    with pytest.raises(BindregError, match="no unbound motif instances"):
        match_negatives(np.ones(5, np.int8), np.zeros(5), np.zeros(5), np.random.default_rng(0))


def test_occupancy_store_is_matched_labelled_and_traceable(compendium):
    inputs = GenomeInputs(compendium / "genome.fa", compendium / "peaks" / "CTCF.narrowPeak", tf="CTCF")
    path, dataset = prepare_from_genome("occupancy", inputs)
    label = dataset["label"].values
    assert dataset.attrs["task"] == "occupancy" and dataset.attrs["dataset"] == "CTCF"
    assert (label == 1).sum() == (label == 0).sum() > 150
    for name in ("gc", "motif_score"):
        values = dataset[name].values
        assert ks_2samp(values[label == 1], values[label == 0]).pvalue > 0.05
    record = provenance(dataset)
    assert {r["role"] for r in record["inputs"]} == {"genome", "peaks"} and all(len(r["sha256"]) == 64
                                                                                 for r in record["inputs"])
    assert record["motif"]["name"] == "CTCF" and record["fimo"]["pvalue_threshold"] == 1e-4
    assert set(record["dropped"]) >= {"overlapping", "off_chromosome_end", "contains_n"}
    matching = json.loads(dataset.attrs["matching"])
    assert matching["motif_score"]["before"]["pvalue"] < matching["motif_score"]["after"]["pvalue"]
    assert (dataset["motif_offset"].values == 0).all()
    # every example is a 101 bp window whose middle holds the motif: GC is recomputable from onehot
    onehot = dataset["onehot"].values
    assert np.allclose(onehot[:, 1:3, :].sum(axis=(1, 2)) / 101, dataset["gc"].values)
    again, _ = prepare_from_genome("occupancy", inputs)
    assert again == path  # cached by input hashes and options


def test_position_uncontrolled_variant_moves_the_motif_in_positives_only(compendium):
    inputs = GenomeInputs(compendium / "genome.fa", compendium / "peaks" / "CTCF.narrowPeak", tf="CTCF",
                          position_uncontrolled=True)
    _, dataset = prepare_from_genome("occupancy", inputs)
    offset, label = dataset["motif_offset"].values, dataset["label"].values
    assert (offset[label == 0] == 0).all() and (offset[label == 1] != 0).mean() > 0.9
    assert dataset.attrs["dataset"] == "CTCF-position-uncontrolled"
    assert provenance(dataset)["variant"] == "position_uncontrolled"


def test_discovery_from_the_same_peaks(compendium):
    inputs = GenomeInputs(compendium / "genome.fa", compendium / "peaks" / "CTCF.narrowPeak")
    _, dataset = prepare_from_genome("discovery", inputs)
    record = provenance(dataset)
    windows = record["peaks"]["windows"]
    assert (dataset["label"].values == 1).sum() == windows == (dataset["label"].values == 0).sum()
    dropped = record["dropped"]
    assert dropped["duplicate"] > 0 and dropped["overlapping"] > 0
    assert windows + sum(dropped.values()) == record["peaks"]["records"]
    with pytest.raises(BindregError, match="--tf applies to --task occupancy"):
        prepare_from_genome("discovery", GenomeInputs(inputs.genome, inputs.peaks, tf="CTCF"))


def test_regions_limit_the_scan(compendium, tmp_path):
    regions = tmp_path / "regions.bed"
    regions.write_text("chr1\t0\t900000\nchr1\t800000\t1600000\n")  # overlapping lines are merged
    inputs = GenomeInputs(compendium / "genome.fa", compendium / "peaks" / "CTCF.narrowPeak", tf="CTCF",
                          regions=regions)
    _, dataset = prepare_from_genome("occupancy", inputs)
    names = dataset["name"].values
    assert all(n.startswith("chr1:") and int(n.split(":")[1].split("-")[0]) < 1_600_000 for n in names)
    record = provenance(dataset)
    assert record["instances"]["bases_scanned"] == 1_600_000 and "regions" in {r["role"] for r in record["inputs"]}
