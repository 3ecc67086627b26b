"""Report sections beyond the paper's: how the recommended model stands against every other model,
how much results move between seeds, where the sweep's compute went, and which code and machines
made its runs.

``results`` are ``compare.execute``'s dicts (``metrics``, ``run``, ``directory``); only full-size
runs count (no data-size runs).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np


def _full_size(results: list[dict]):
    return [r for r in results if r["run"].get("train_size") is None]


def auc_by_seed(results: list[dict]) -> dict[str, dict[int, dict[str, float]]]:
    """``{model: {seed: {experiment: test AUROC}}}`` of the full-size runs."""
    table: dict = defaultdict(lambda: defaultdict(dict))
    for r in _full_size(results):
        m = r["metrics"]
        table[m["model"]][int(r["run"].get("seed", 0))][m["dataset"]] = m["test"]["auroc"]
    return table


def versus(results: list[dict], model: str, others: list[str], seed: int = 0) -> list[dict]:
    """``model`` against each other model on the experiments both ran at ``seed``: median paired AUROC
    difference, wins (strictly higher AUROC), and the two-sided Wilcoxon signed-rank p."""
    from scipy.stats import wilcoxon

    table = auc_by_seed(results)
    mine = table.get(model, {}).get(seed, {})
    rows = []
    for other in others:
        theirs = table.get(other, {}).get(seed, {})
        shared = sorted(set(mine) & set(theirs))
        if other == model or not shared:
            continue
        diff = np.array([mine[e] - theirs[e] for e in shared])
        p = float(wilcoxon(diff).pvalue) if np.any(diff != 0) else None
        rows.append({"other": other, "n": len(shared), "median_difference": float(np.median(diff)),
                     "wins": int((diff > 0).sum()), "wilcoxon_p": p,
                     "median_model": float(np.median([mine[e] for e in shared])),
                     "median_other": float(np.median([theirs[e] for e in shared]))})
    return rows


def seed_spread(results: list[dict]) -> list[dict]:
    """For each model run at two or more seeds: its median AUROC at each seed (over the experiments
    every seed ran) and the median, over experiments, of the range (max - min) across seeds."""
    rows = []
    for model, by_seed in auc_by_seed(results).items():
        if len(by_seed) < 2:
            continue
        seeds = sorted(by_seed)
        shared = sorted(set.intersection(*(set(by_seed[s]) for s in seeds)))
        if not shared:
            continue
        values = np.array([[by_seed[s][e] for e in shared] for s in seeds])
        rows.append({"model": model, "seeds": seeds, "n": len(shared),
                     "median_per_seed": [float(np.median(v)) for v in values],
                     "median_of_seed_means": float(np.median(values.mean(axis=0))),
                     "median_range": float(np.median(values.max(axis=0) - values.min(axis=0))),
                     "max_range": float(np.max(values.max(axis=0) - values.min(axis=0)))})
    return rows


def compute(results: list[dict]) -> dict:
    """Wall seconds of every run (as each run measured itself), in total and per model; a run
    reported under two names (``shared_with``, bindreg.compare) counts once, under its own."""
    per_model: dict = defaultdict(lambda: {"runs": 0, "seconds": 0.0, "train_seconds": 0.0, "test_seconds": 0.0,
                                           "prepare_seconds": 0.0})
    made: dict = {}
    for r in results:
        where = r.get("directory") or id(r)
        if where not in made or made[where].get("shared_with"):
            made[where] = r
    for r in made.values():
        m = r["metrics"]
        wall = m.get("wall_seconds", {})
        row = per_model[r.get("shared_with", m["model"]) + ("" if r["run"].get("train_size") is None else " (data-size)")]
        row["runs"] += 1
        row["seconds"] += float(wall.get("total", 0.0))
        row["train_seconds"] += float(wall.get("search", 0.0)) + float(wall.get("train", 0.0))
        row["test_seconds"] += float(wall.get("test", 0.0))
        row["prepare_seconds"] += float(wall.get("prepare", 0.0))
    total = sum(v["seconds"] for v in per_model.values())
    return {"total_seconds": total, "train_seconds": sum(v["train_seconds"] for v in per_model.values()),
            "elapsed_seconds": elapsed(results),
            "per_model": dict(sorted(per_model.items(), key=lambda kv: -kv[1]["seconds"]))}


def elapsed(results: list[dict]) -> float | None:
    """Seconds of clock time during which at least one run was under way: the union of the runs'
    intervals (start = ``run.json``'s ``created_at`` less the data preparation before it, end = start +
    the run's wall time). A sweep run in pieces, across sessions, counts only the time it ran; None
    where no run says when it started."""
    from datetime import datetime

    spans = []
    for r in results:
        stamp, wall = r["run"].get("created_at"), r["metrics"].get("wall_seconds", {})
        if not stamp or "total" not in wall:
            continue
        start = datetime.fromisoformat(stamp).timestamp() - float(wall.get("prepare", 0.0))
        spans.append((start, start + float(wall["total"])))
    if not spans:
        return None
    covered, end = 0.0, float("-inf")
    for a, b in sorted(spans):
        if b > end:
            covered += b - max(a, end)
            end = b
    return covered


def markdown(recommended: str | None, rows: list[dict], spread: list[dict], cost: dict, md_table) -> str:
    """The three sections as Markdown (``md_table(header, rows)`` from the report)."""
    parts = []
    if recommended and rows:
        parts.append(f"## The recommended model ({recommended}) against every other model\n\n"
                     "Test AUROC at seed 0 on the experiments both ran; wins = experiments where "
                     f"{recommended} is higher; two-sided Wilcoxon signed-rank p on the paired differences.\n\n"
                     + md_table(["model", "n", f"median {recommended}", "median model", "median Δ", "wins",
                                 "Wilcoxon p"],
                                [[r["other"], r["n"], f"{r['median_model']:.4f}", f"{r['median_other']:.4f}",
                                  f"{r['median_difference']:+.4f}", f"{r['wins']}/{r['n']}",
                                  "-" if r["wilcoxon_p"] is None else f"{r['wilcoxon_p']:.3g}"] for r in rows]))
    if spread:
        parts.append("## Seeds\n\nThe same runs at other seeds (initialisation, dropout, minibatch order; the "
                     "data split is fixed). Range = max − min test AUROC of an experiment across seeds.\n\n"
                     + md_table(["model", "seeds", "n", "median AUROC per seed", "median of seed means",
                                 "median range", "largest range"],
                                [[r["model"], ",".join(map(str, r["seeds"])), r["n"],
                                  " / ".join(f"{v:.4f}" for v in r["median_per_seed"]),
                                  f"{r['median_of_seed_means']:.4f}", f"{r['median_range']:.4f}",
                                  f"{r['max_range']:.4f}"] for r in spread]))
    if cost["per_model"]:
        parts.append(f"## Compute\n\n{len(cost['per_model'])} kinds of run, {cost['total_seconds'] / 3600:.2f} "
                     f"hours of run wall time in all, {cost['train_seconds'] / 3600:.2f} of them fitting models "
                     "(each run's own clock; runs on parallel workers overlap, so this is worker time, not "
                     "elapsed time)"
                     + (f"; {cost['elapsed_seconds'] / 3600:.2f} hours of clock time with at least one run under "
                        "way (the union of the runs' intervals, so time between pieces of a sweep does not count)"
                        if cost.get("elapsed_seconds") else "")
                     + ". Testing is scoring the test split once. Preparing data is opening the "
                     "encoded store, or encoding it the first time "
                     "(seconds). Runs made on Dask workers before bindreg 2026-12-05 also count here the wait "
                     "for their store reads, which went to the cluster as tasks queued behind other runs "
                     "(docs/compare.md).\n\n"
                     + md_table(["model", "runs", "hours", "of which fitting (search + training)",
                                 "of which testing", "of which preparing data", "share"],
                                [[m, v["runs"], f"{v['seconds'] / 3600:.2f}", f"{v['train_seconds'] / 3600:.2f}",
                                  f"{v.get('test_seconds', 0.0) / 3600:.2f}", f"{v['prepare_seconds'] / 3600:.2f}",
                                  f"{100 * v['seconds'] / max(cost['total_seconds'], 1e-9):.0f}%"]
                                 for m, v in cost["per_model"].items()]))
    return "\n\n".join(parts) + ("\n" if parts else "")


def members(results: list[dict], model: str | None) -> list[dict]:
    """Per experiment and seed, what ``model``'s parts score alone on the test split (a recipe with
    ``gkm_member`` records them; nothing was chosen on these): the networks' standardised mean,
    gkm-SVM alone, gkm-SVM's weight (chosen on validation) and the model."""
    rows = []
    for r in _full_size(results):
        m = r["metrics"]
        parts = m.get("members") or {}
        if m["model"] != model or "gkm_test_auroc" not in parts:
            continue
        rows.append({"experiment": m["dataset"], "seed": int(r["run"].get("seed", 0)),
                     "networks": parts["networks_test_auroc"], "gkm": parts["gkm_test_auroc"],
                     "weight": parts["gkm_weight"], "model": m["test"]["auroc"],
                     "gkm_fit_seconds": parts.get("gkm_fit_seconds"), "fitted": parts.get("fitted")})
    return sorted(rows, key=lambda row: (row["seed"], row["experiment"]))


def members_markdown(model: str | None, rows: list[dict], md_table) -> str:
    """The "Members" section; empty when the recommended model has no gkm-SVM member."""
    if not rows:
        return ""
    by_seed: dict = defaultdict(list)
    for row in rows:
        by_seed[row["seed"]].append(row)
    medians = [[f"median, seed {seed}", "", f"{np.median([r['networks'] for r in group]):.4f}",
                f"{np.median([r['gkm'] for r in group]):.4f}", "",
                f"{np.median([r['model'] for r in group]):.4f}",
                f"{sum(r['model'] > r['networks'] for r in group)}/{len(group)} above the networks", "", ""]
               for seed, group in sorted(by_seed.items())]
    return (f"\n## Members of {model}\n\nTest AUROC of each part alone (recorded by every run; nothing was chosen on "
            "these): the networks' standardised mean, the gkm-SVM member, gkm-SVM's weight (chosen on the validation "
            "split) and the model. The gkm-SVM member is the model's own fit (on at most its recipe's cap of positives, "
            "drawn by the run's seed, with its recipe's negatives per positive; fitted: how many sequences, positives "
            "and negatives), not the gkmsvm baseline's run.\n\n"
            + md_table(["experiment", "seed", "networks", "gkm-SVM member", "weight", model, "Δ vs networks",
                        "fitted", "gkm-SVM seconds"],
                       [[r["experiment"], r["seed"], f"{r['networks']:.4f}", f"{r['gkm']:.4f}", f"{r['weight']:.1f}",
                         f"{r['model']:.4f}", f"{r['model'] - r['networks']:+.4f}",
                         "-" if r.get("fitted") is None else f"{r['fitted']:,}",
                         "-" if r["gkm_fit_seconds"] is None else f"{r['gkm_fit_seconds']:.0f}"] for r in rows]
                       + medians) + "\n")


def shared(results: list[dict]) -> dict[str, dict]:
    """Models reported from another model's runs (``shared_with``: the same function at this
    length), as ``{model: {"runs_of": other, "runs": n}}``."""
    out: dict[str, dict] = {}
    for r in results:
        if r.get("shared_with"):
            row = out.setdefault(r["metrics"]["model"], {"runs_of": r["shared_with"], "runs": 0})
            row["runs"] += 1
    return out


def shared_markdown(rows: dict[str, dict]) -> str:
    """The "Shared runs" section; empty when no model shares another's runs."""
    if not rows:
        return ""
    return ("\n## Shared runs\n\nThese models compute exactly another model's function at these sequences' "
            "length (same layers and parameters, same initialisation; `same_as` in their registration), so "
            "their figures are that model's runs, made once: "
            + "; ".join(f"`{m}` from `{r['runs_of']}` ({r['runs']} runs)" for m, r in sorted(rows.items())) + ".\n")


def origins(results: list[dict]) -> list[dict]:
    """Runs per (code, machine) that made them (``run.json``'s ``code`` and ``machine``; runs written
    before bindreg recorded them count as "not recorded"): a report mixing them may not repeat
    run for run (docs/compare.md, "Reproducibility")."""
    counts: dict = defaultdict(int)
    for r in (r for r in results if not r.get("shared_with")):
        code, machine = r["run"].get("code"), r["run"].get("machine")
        code_text = (f"{code['sha256']}" + (f" (git {code['git_commit'][:10]}{', modified' if code['git_modified'] else ''})"
                                            if code.get("git_commit") else "")) if code else "not recorded"
        machine_text = (f"{machine['cpu']}, {machine['cores']} cores, {'/'.join(machine['vector_flags']) or '-'}"
                        if machine else "not recorded")
        counts[(code_text, machine_text)] += 1
    return [{"code": c, "machine": m, "runs": n} for (c, m), n in sorted(counts.items(), key=lambda kv: -kv[1])]


def origins_markdown(rows: list[dict], md_table) -> str:
    """The "Where the runs were made" section; empty when every run is from one code and machine."""
    if len(rows) < 2:
        return ""
    return ("\n## Where the runs were made\n\nThe runs of this report come from more than one version of the code "
            "(sha256 of bindreg's source) or machine. Runs with the same key can differ between them (MXNet picks "
            "its CPU kernels by instruction set; docs/compare.md, \"Reproducibility\").\n\n"
            + md_table(["code", "machine", "runs"], [[r["code"], r["machine"], r["runs"]] for r in rows]) + "\n")


def missing_markdown(missing: list[dict], md_table) -> str:
    """What the plan asked for but the run store does not hold yet (``compare --finished-only``)."""
    if not missing:
        return ""
    counts: dict = defaultdict(int)
    for job in missing:
        kind = "full size" if job["train_size"] is None else "data-size"
        counts[(job["model"], job["seed"], kind)] += 1
    return ("\n## Not run yet\n\nThese planned runs were not finished when this report was written; every table "
            "above uses the finished runs only (so a model's n can be below the number of experiments).\n\n"
            + md_table(["model", "seed", "kind", "runs missing"],
                       [[m, s, k, n] for (m, s, k), n in sorted(counts.items(), key=lambda kv: str(kv[0]))]) + "\n")
