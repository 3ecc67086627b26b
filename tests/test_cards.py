"""Model cards: Hugging Face front matter, bindreg fields, and first-layer filters matched to JASPAR."""

from __future__ import annotations

import numpy as np
import yaml

from bindreg.experiment.filters import filter_motifs, jaspar_vertebrates, match_jaspar, significant
from bindreg.core.sequences import one_hot
from bindreg.data.synthetic import jaspar_pwm

from conftest import random_sequences


def _front_matter(card: str) -> dict:
    assert card.startswith("---\n")
    return yaml.safe_load(card.split("---\n")[1])


def test_card_has_hugging_face_and_bindreg_fields(published):
    card = (published["run"] / "card.md").read_text()
    front = _front_matter(card)
    assert {"license", "tags", "datasets", "model-index", "bindreg"} <= set(front)
    result = front["model-index"][0]["results"][0]
    assert result["task"]["name"] == "discovery" and result["dataset"]["name"] == "toy_experiment"
    assert {m["type"] for m in result["metrics"]} == {"auroc", "auprc", "accuracy"}
    fields = front["bindreg"]
    assert fields["architecture"] == "1layer" and "zeng_architectures" in fields["plugin"]
    assert fields["search_budget"]["budget"] == "smoke" and fields["experiment"] == "toy_experiment"
    assert {i["role"] for i in fields["training_data"]["inputs"]} == {"train", "test"}
    assert all(len(i["sha256"]) == 64 for i in fields["training_data"]["inputs"])
    assert {"mxnet", "bindreg", "numpy"} <= set(fields["versions"]) and "Zeng" in fields["citation"]
    for heading in ("## Learned motifs", "## Intended use", "## Limitations", "## Citation"):
        assert heading in card
    assert "| filter | sites | bits | best JASPAR match |" in card
    assert (published["run"] / "motif_logos.png").stat().st_size > 1000


def test_a_filter_that_is_a_jaspar_motif_is_recovered_and_matched():
    """A filter whose weights are CTCF's log-odds finds CTCF sites and matches CTCF in JASPAR."""
    pwm, identity = jaspar_pwm("CTCF")
    width = pwm.shape[1]
    rng = np.random.default_rng(0)
    sequences = random_sequences(400, length=60, seed=3)
    planted = []
    for seq in sequences:  # a sampled CTCF site in every sequence
        site = "".join("ACGT"[rng.choice(4, p=pwm[:, j])] for j in range(width))
        planted.append(seq[:20] + site + seq[20 + width:])
    weights = np.log(pwm / 0.25)[None].astype(np.float32)  # (1 filter, 4, width)
    noise = rng.normal(0, 0.01, (1, 4, width)).astype(np.float32)  # a second, meaningless filter
    motifs = filter_motifs(np.concatenate([weights, noise]), np.zeros(2, np.float32), one_hot(planted))
    assert motifs[0].sites >= 200  # sampled sites vary; the weak ones fall below half the maximum
    recovered = motifs[0].pfm.argmax(axis=0)
    assert (recovered == pwm.argmax(axis=0)).mean() > 0.8
    match_jaspar(motifs)
    best = significant(motifs[0])
    assert best is not None and "CTCF" in best["name"].upper(), motifs[0].matches
    assert len(jaspar_vertebrates()[0]) > 500


def test_random_filters_match_nothing():
    """TOMTOM alone gives near-uniform filters tiny p-values against long JASPAR motifs; the
    column-shuffle null must reject every one of them."""
    rng = np.random.default_rng(1)
    weights = rng.normal(0, 0.3, (8, 4, 24)).astype(np.float32)
    motifs = filter_motifs(weights, np.zeros(8, np.float32), one_hot(random_sequences(800, seed=9)))
    match_jaspar(motifs)
    assert all(m.matches for m in motifs) and not [m for m in motifs if significant(m)]
