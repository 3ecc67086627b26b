"""Motif recovery: does a model's card name the factor of its experiment, or the factor's family?

For a comparison report: one row per run whose experiment's factor has a JASPAR motif. The
factor is read from the experiment's name (``zeng_md_stat3_helas3`` -> STAT3; DeepBind's ENCODE
``MYC_H1-hESC_c-Myc_Stanford`` -> MYC); its JASPAR matrices are those of the CORE vertebrate
collection whose name is the factor or a dimer holding it (``MAX::MYC``), and its *family* is
JASPAR's ``family`` field of those matrices (pyjaspar). A card *names the factor* when one of its
claimed filter matches (``bindreg.learned_motifs.matched`` of the card's front matter, so the
rules of ``bindreg.experiment.cards.significant`` apply) is one of the factor's matrices, and
*names its family* when a claimed match shares a JASPAR family with it. JASPAR's ``class`` field
(C2H2 zinc fingers, for one, hold CTCF, SP1, REST and ZBTB7A alike) is reported, not counted.

``motif_recovery(results)`` takes the run records of ``bindreg.experiment.compare`` (dicts with
``run``, ``metrics`` and ``directory``; baselines and the data-size study's subsampled runs are
left out) and returns the rows; ``recovery_markdown(rows)`` is the
report's table.
"""

from __future__ import annotations

import re
from pathlib import Path

#: JASPAR's own spelling for factors whose experiment name spells them otherwise.
ALIASES = {"NRSF": "REST", "GABP": "GABPA", "C-MYC": "MYC"}


def factor_of(experiment: str) -> tuple[str, str | None]:
    """``(factor, cell line)`` from an experiment name: Zeng et al.'s ``zeng_md_TF_CELL`` or DeepBind's
    ENCODE ``TF_CELL_ANTIBODY_LAB``; the whole name and None when neither fits."""
    name = Path(str(experiment)).name
    zeng = re.match(r"^zeng_[a-z]+_([A-Za-z0-9-]+)_([A-Za-z0-9-]+)$", name)
    if zeng:
        return zeng[1].upper(), zeng[2]
    parts = name.split("_")
    if len(parts) >= 2:
        return ALIASES.get(parts[0].upper(), parts[0].upper()), parts[1]
    return name.upper(), None


_FAMILIES: dict | None = None


def jaspar_families() -> dict[str, dict]:
    """``matrix_id -> {name, family: [...], class: [...]}`` for JASPAR CORE vertebrates (pyjaspar, offline)."""
    global _FAMILIES
    if _FAMILIES is None:
        from pyjaspar import jaspardb

        from ..data.synthetic import JASPAR_RELEASE

        motifs = jaspardb(release=JASPAR_RELEASE).fetch_motifs(collection="CORE", tax_group=["vertebrates"])
        _FAMILIES = {m.matrix_id: {"name": m.name, "family": list(m.tf_family or []),
                                   "class": list(m.tf_class or [])} for m in motifs}
    return _FAMILIES


def factor_matrices(factor: str) -> dict[str, dict]:
    """The factor's JASPAR matrices: name equal to it, or a dimer (``A::B``) holding it; case-insensitive."""
    wanted = factor.upper()
    return {mid: facts for mid, facts in jaspar_families().items()
            if wanted in facts["name"].upper().split("::")}


def claimed_matches(directory: Path) -> list[dict] | None:
    """The card's claimed filter matches (front matter ``bindreg.learned_motifs.matched``); None when the
    run has no card or its motifs were not analysed (a sweep with ``--no-motifs``)."""
    import yaml

    card = Path(directory) / "card.md"
    try:
        text = card.read_text()
        front = yaml.safe_load(text.split("---\n")[1])
    except (OSError, IndexError, yaml.YAMLError):
        return None
    motifs = (front or {}).get("bindreg", {}).get("learned_motifs")
    if motifs is None or not (Path(directory) / "motifs.tsv").exists():
        return None
    return list(motifs.get("matched") or [])


def motif_recovery(results: list[dict], seed: int | None = None) -> list[dict]:
    """One row per run whose experiment's factor has a JASPAR motif: experiment, factor, model, the
    factor's family, whether the card names the factor (``factor``) or its family (``family``), and
    the claimed matches that did; ``recovered`` is None when the card has no motif analysis.
    ``seed``: only the runs at that seed (the report's tables), else all."""
    families = jaspar_families()
    rows = []
    for result in results:
        run = result["run"]
        if run.get("kind") == "baseline" or run.get("train_size") or (seed is not None and run.get("seed") != seed):
            continue  # no first layer to read; the data-size study's subsampled runs repeat a model
        factor, cell = factor_of(run["dataset"])
        own = factor_matrices(factor)
        if not own:
            continue
        # The family of the factor's own matrix; a dimer's partner (ELK1::HOXA1) would add its family too.
        exact = {mid: facts for mid, facts in own.items() if facts["name"].upper() == factor} or own
        own_families = {f for facts in exact.values() for f in facts["family"]}
        claimed = claimed_matches(Path(str(result["directory"]))) if "://" not in str(result["directory"]) else None
        names_factor = names_family = None
        hits: dict[str, int] = {}
        if claimed is not None:
            for match in claimed:
                facts = families.get(match.get("matrix_id"), {"name": match.get("name", "?"), "family": []})
                if match.get("matrix_id") in own or own_families & set(facts["family"]):
                    label = f"{facts['name']} {match.get('matrix_id')}"
                    hits[label] = hits.get(label, 0) + 1
            names_factor = any(m.get("matrix_id") in own for m in claimed)
            names_family = names_factor or any(own_families & set(families.get(m.get("matrix_id"), {})
                                                                   .get("family", [])) for m in claimed)
        rows.append({"experiment": run["dataset"], "factor": factor, "cell_line": cell, "model": run["model"],
                     "jaspar": sorted(own), "family": sorted(own_families),
                     "class": sorted({c for facts in exact.values() for c in facts["class"]}),
                     "factor_named": names_factor, "family_named": names_family,
                     "claimed": len(claimed) if claimed is not None else None,
                     "hits": [f"{label} x{n}" for label, n in sorted(hits.items(), key=lambda kv: -kv[1])],
                     "recovered": None if claimed is None else ("factor" if names_factor else
                                                                "family" if names_family else "no")})
    return sorted(rows, key=lambda r: (r["experiment"], r["model"]))


def recovery_markdown(rows: list[dict]) -> str:
    """The motif-recovery table as Markdown, with a one-line summary per model above it."""
    if not rows:
        return "No experiment's factor has a JASPAR CORE vertebrate motif, so there is nothing to recover.\n"
    lines = []
    for model in sorted({r["model"] for r in rows}):
        mine = [r for r in rows if r["model"] == model and r["recovered"] is not None]
        if mine:
            factor = sum(r["recovered"] == "factor" for r in mine)
            family = sum(r["recovered"] in ("factor", "family") for r in mine)
            lines.append(f"- `{model}`: the card names the factor in {factor} of {len(mine)} experiments, "
                         f"the factor or its JASPAR family in {family}.")
    analysed = {r["model"] for r in rows if r["recovered"] is not None}
    skipped = sorted({r["model"] for r in rows} - analysed)
    if skipped:  # a --no-motifs sweep: one line, not a table row per run saying so
        lines.append(f"- not analysed (no run has a motif analysis; `bindreg card RUN` adds it): "
                     f"{', '.join(f'`{m}`' for m in skipped)}.")
    lines += ["", "| experiment | factor | JASPAR family | model | filters matched | recovered | "
                  "matches of the factor or its family (filters) |",
              "|---|---|---|---|---|---|---|"]
    for r in (r for r in rows if r["model"] in analysed):
        recovered = {"factor": "factor", "family": "family only", "no": "no",
                     None: "not analysed (`bindreg card RUN`)"}[r["recovered"]]
        lines.append(f"| {r['experiment']} | {r['factor']} | {', '.join(r['family']) or '-'} | {r['model']} | "
                     f"{'-' if r['claimed'] is None else r['claimed']} | {recovered} | "
                     f"{'; '.join(r['hits']) or '-'} |")
    return "\n".join(lines) + "\n"
