"""What the command line asks for, as library objects; compare's job keys must not move."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from bindreg.core.errors import BindregError
from bindreg.experiment.compare import job_key
from bindreg.experiment.settings import names, protocol_for, sizes, with_params

#: Keys of bindreg 0.1 for the same inputs: a long sweep reuses its runs only while these hold.
KEYS = {"paper": "881e9c57f9a6", "demo": "b4c2de94683a", "smoke": "b5e59bc942a2"}


@pytest.mark.parametrize("budget", sorted(KEYS))
def test_job_keys_are_those_of_the_flat_layout(budget):
    settings = {k: v for k, v in asdict(protocol_for(budget)).items() if k != "budget"}
    assert job_key("1layer", "ab" * 32, "discovery", settings, 0, None) == KEYS[budget]
    assert job_key("kmer_lr", "ab" * 32, "discovery", {"baseline": {"k": 5}}, 1, 2500) == "7e97f5cb4680"


def test_an_unknown_budget_is_one_line():
    with pytest.raises(BindregError, match="unknown budget 'dmeo'; did you mean 'demo'"):
        protocol_for("dmeo")


def test_overrides_mark_the_budget_custom():
    protocol = protocol_for("demo", settings=3, both_strands=True)
    assert protocol.settings == 3 and protocol.budget == "demo+custom" and protocol.both_strands


def test_params_yaml_replaces_the_options(tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text("models: [1layer, kmer_lr]\nbudget: smoke\nseed: 4\nsizes: [100]\n")
    assert with_params(params, "2layer", "paper", 0, "2500") == ("1layer,kmer_lr", "smoke", 4, "100")
    assert with_params(None, "2layer", "paper", 0, "2500") == ("2layer", "paper", 0, "2500")
    assert names("a, b c") == ["a", "b", "c"] and sizes("10,,20") == (10, 20)
