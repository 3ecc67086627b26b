"""The motif-recovery table: does a card name its experiment's factor, or the factor's JASPAR family?"""

from __future__ import annotations

import yaml

from bindreg.experiment.recovery import factor_of, motif_recovery, recovery_markdown


def _run(tmp_path, name: str, dataset: str, matched: list[dict] | None, model: str = "bindnet") -> dict:
    """A run record as `bindreg compare` passes it, whose card claims ``matched`` (None: not analysed)."""
    directory = tmp_path / name
    directory.mkdir()
    front = {"bindreg": {"learned_motifs": {"matched": matched or []}}}
    (directory / "card.md").write_text("---\n" + yaml.safe_dump(front) + "---\n\n# card\n")
    if matched is not None:
        (directory / "motifs.tsv").write_text("filter\n")
    return {"run": {"dataset": dataset, "model": model, "kind": "network"}, "metrics": {}, "directory": str(directory)}


def test_factor_and_cell_line_come_from_the_experiment_name():
    assert factor_of("zeng_md_stat3_helas3") == ("STAT3", "helas3")
    assert factor_of("MYC_H1-hESC_c-Myc_Stanford") == ("MYC", "H1-hESC")
    assert factor_of("REST_GM12878_NRSF_HudsonAlpha") == ("REST", "GM12878")
    assert factor_of("NRSF_GM12878_x_y")[0] == "REST"  # JASPAR's spelling


def test_recovery_names_factor_family_or_nothing(tmp_path):
    results = [
        _run(tmp_path, "a", "zeng_md_stat3_helas3", [{"filter": 4, "matrix_id": "MA0144.3", "name": "STAT3"}]),
        _run(tmp_path, "b", "zeng_md_stat3_gm12878", [{"filter": 9, "matrix_id": "MA0137.4", "name": "STAT1"}]),
        _run(tmp_path, "c", "REST_GM12878_NRSF_HudsonAlpha", [{"filter": 1, "matrix_id": "MA1929.2", "name": "CTCF"}]),
        _run(tmp_path, "d", "MYC_H1-hESC_c-Myc_Stanford", [{"filter": 2, "matrix_id": "MA0059.2", "name": "MAX::MYC"}]),
        _run(tmp_path, "e", "SP1_GM12878_SP1_HudsonAlpha", None),
        _run(tmp_path, "f", "toy_experiment", []),  # no JASPAR motif for "TOY": no row
        {**_run(tmp_path, "g", "zeng_md_stat3_helas3", []), "run": {"dataset": "zeng_md_stat3_helas3",
                                                                     "model": "pwm", "kind": "baseline"}},
    ]
    rows = {r["experiment"]: r for r in motif_recovery(results)}
    assert set(rows) == {"zeng_md_stat3_helas3", "zeng_md_stat3_gm12878", "REST_GM12878_NRSF_HudsonAlpha",
                         "MYC_H1-hESC_c-Myc_Stanford", "SP1_GM12878_SP1_HudsonAlpha"}
    assert rows["zeng_md_stat3_helas3"]["recovered"] == "factor"
    assert rows["zeng_md_stat3_gm12878"]["recovered"] == "family"
    assert rows["zeng_md_stat3_gm12878"]["family"] == ["STAT factors"]
    assert rows["REST_GM12878_NRSF_HudsonAlpha"]["recovered"] == "no"  # same class (C2H2), another family
    assert rows["MYC_H1-hESC_c-Myc_Stanford"]["recovered"] == "factor"  # a dimer holding the factor
    assert rows["SP1_GM12878_SP1_HudsonAlpha"]["recovered"] is None
    table = recovery_markdown(list(rows.values()))
    assert "| experiment | factor | JASPAR family | model |" in table
    assert "- `bindnet`: the card names the factor in 2 of 4 experiments, the factor or its JASPAR family in 3." in table
    assert "not analysed (`bindreg card RUN`)" in table
    # A model none of whose runs was analysed gets one line, not a row per run.
    unanalysed = {**rows["SP1_GM12878_SP1_HudsonAlpha"], "model": "1layer"}
    table = recovery_markdown(list(rows.values()) + [unanalysed])
    assert "- not analysed (no run has a motif analysis; `bindreg card RUN` adds it): `1layer`." in table
    assert "| 1layer |" not in table
