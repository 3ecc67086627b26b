"""The generated compendium: seeded files, realistic peaks, the truth for every planted site."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bindreg.data.compendium import generate_compendium, parse_tfs
from bindreg.core.errors import BindregError
from bindreg.data.genome import Genome, gc_fraction


def test_compendium_files_and_manifest(compendium):
    manifest = json.loads((compendium / "compendium.json").read_text())
    entry = manifest["tfs"][0]
    assert entry["tf"] == "CTCF" and entry["cofactor"]["name"].upper() == "YY1" and entry["sites"] == 600
    assert 0.3 < entry["bound_sites"] / entry["sites"] < 0.7
    assert set(manifest["sha256"]) >= {"genome.fa", "peaks/CTCF.narrowPeak", "sites/CTCF.bed"}
    genome = Genome(compendium / "genome.fa")
    assert genome.lengths == manifest["chromosomes"] and genome.fetch("chr1", 0, 10) == "N" * 10
    body = genome.fetch("chr1", 100_000, 200_000)
    assert 0.38 < gc_fraction([body])[0] < 0.46 and body.count("CG") / len(body) < 0.02
    peaks = [line.split("\t") for line in (compendium / "peaks" / "CTCF.narrowPeak").read_text().splitlines()]
    assert all(len(p) == 10 for p in peaks) and len(peaks) == entry["peak_records"]
    signal = [float(p[6]) for p in peaks]
    assert signal == sorted(signal, reverse=True)  # ENCODE order: strongest first
    truth = [line.split("\t") for line in (compendium / "sites" / "CTCF.bed").read_text().splitlines()[1:]]
    bound = np.array([t[4] == "1" for t in truth if t[3] == "site"])
    preferred = np.array([t[5] == "preferred" for t in truth if t[3] == "site"])
    assert bound[preferred].mean() > bound[~preferred].mean() + 0.3  # the co-factor's position matters


def test_same_seed_same_files_and_bgzip(tmp_path):
    first = generate_compendium(tmp_path / "a", "GATA1", genome_mb=0.5, sites_per_tf=50, seed=3)
    second = generate_compendium(tmp_path / "b", "GATA1", genome_mb=0.5, sites_per_tf=50, seed=3, bgzip=True)
    assert first["sha256"]["peaks/GATA1.narrowPeak"] == second["sha256"]["peaks/GATA1.narrowPeak"]
    plain, packed = Genome(tmp_path / "a" / "genome.fa"), Genome(tmp_path / "b" / "genome.fa.gz")
    assert plain.fetch("chr2", 0, plain.lengths["chr2"]) == packed.fetch("chr2", 0, packed.lengths["chr2"])
    third = generate_compendium(tmp_path / "c", "GATA1", genome_mb=0.5, sites_per_tf=50, seed=4)
    assert third["sha256"]["genome.fa"] != first["sha256"]["genome.fa"]


def test_tf_specs_and_size_errors(tmp_path):
    assert parse_tfs("CTCF, GATA1:TAL1") == [("CTCF", "ZNF143"), ("GATA1", "TAL1")]
    with pytest.raises(BindregError, match="do not fit"):
        generate_compendium(tmp_path / "x", "CTCF", genome_mb=0.1, sites_per_tf=5000)
    assert not (tmp_path / "x").exists()
