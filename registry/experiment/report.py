"""The comparison report: ``report.md``, a self-contained ``report.html`` (figures inlined as
base64 PNG), the PNG figures, ``results.csv`` and ``summary.json`` (DVC metrics).

Figures follow Zeng et al. (2016): AUC distribution per model (Fig. 2A/3), each model against a
reference with R-squared (Fig. 2B), AUC change against ``1layer`` with experiments clustered by
Ward linkage (Fig. 4A), AUC against training-set size (Fig. 4C, Supplementary Fig. S3), and
seconds per 500,000 training samples (Table 2).
"""

from __future__ import annotations

import base64
import csv
import html
import re
import warnings
from pathlib import Path

import numpy as np

from ..core.figures import new_figure
from ..core.fsutil import atomic_directory, read_text_in, write_json_atomic

BASIC = "1layer"


def _table(results: list[dict], seed: int = 0) -> tuple[list[str], list[str], dict]:
    """Models, experiments and ``auc[(model, experiment)]`` of the full-size runs at ``seed``."""
    auc = {}
    for r in results:
        if r["run"].get("train_size") is None and int(r["run"].get("seed", 0)) == seed:
            auc[(r["metrics"]["model"], r["metrics"]["dataset"])] = r["metrics"]["test"]["auroc"]
    models = list(dict.fromkeys(m for m, _ in auc))
    experiments = sorted({e for _, e in auc})
    return models, experiments, auc


def _matrix(models, experiments, auc) -> np.ndarray:
    return np.array([[auc.get((m, e), np.nan) for e in experiments] for m in models])


def paired_tests(models, experiments, auc, basic: str = BASIC) -> dict[str, dict]:
    """Median paired AUC difference to ``basic`` and its two-sided Wilcoxon signed-rank p per model."""
    from scipy.stats import wilcoxon

    tests = {}
    if basic not in models:
        return tests
    for model in models:
        if model == basic:
            continue
        pairs = [(auc[(model, e)], auc[(basic, e)]) for e in experiments if (model, e) in auc and (basic, e) in auc]
        diff = np.array([a - b for a, b in pairs])
        p = None
        if len(diff) and np.any(diff != 0):
            p = float(wilcoxon(diff).pvalue)
        tests[model] = {"n": len(diff), "median_difference": float(np.median(diff)) if len(diff) else None,
                        "wilcoxon_p": p}
    return tests


def _save(figure, path: Path) -> None:
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def plot_distribution(models, matrix, path: Path) -> None:
    """Box plot of test AUCs per model, models ordered by median, each experiment a dot (Fig. 2A/3)."""
    order = sorted(range(len(models)), key=lambda i: np.nanmedian(matrix[i]))
    figure = new_figure(figsize=(max(6, 0.7 * len(models) + 2), 4.5))
    axis = figure.subplots()
    values = [matrix[i][~np.isnan(matrix[i])] for i in order]
    axis.boxplot(values, showfliers=False)
    rng = np.random.default_rng(0)
    for position, v in enumerate(values, start=1):
        axis.scatter(position + rng.uniform(-0.15, 0.15, len(v)), v, s=12, alpha=0.7, color="tab:blue")
    axis.set_xticks(range(1, len(order) + 1), [models[i] for i in order], rotation=45, ha="right")
    axis.set(ylabel="test AUC", title="AUC distribution per model (Zeng et al. Fig. 2A)")
    _save(figure, path)


def r_squared(x: np.ndarray, y: np.ndarray) -> float | None:
    """R-squared of the least-squares line of ``y`` on ``x`` (as in the paper's Fig. 2B)."""
    if len(x) < 3 or np.ptp(x) == 0:
        return None
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (slope * x + intercept)
    total = np.sum((y - y.mean()) ** 2)
    return float(1 - np.sum(residual ** 2) / total) if total > 0 else None


def plot_scatter(models, matrix, reference: str, path: Path) -> dict[str, float | None]:
    """One panel per model: its AUC against the reference's, per experiment, with R-squared (Fig. 2B)."""
    ref = models.index(reference)
    others = [i for i in range(len(models)) if i != ref]
    columns = min(4, max(1, len(others)))
    rows = max(1, -(-len(others) // columns))
    figure = new_figure(figsize=(3.2 * columns, 3.2 * rows))
    axes = figure.subplots(rows, columns, squeeze=False)
    fits = {}
    for axis, i in zip(axes.flat, others):
        keep = ~np.isnan(matrix[ref]) & ~np.isnan(matrix[i])
        x, y = matrix[ref][keep], matrix[i][keep]
        fits[models[i]] = r2 = r_squared(x, y)
        axis.scatter(x, y, s=14)
        low = float(np.nanmin([x.min(initial=1), y.min(initial=1), 0.5]))
        axis.plot([low, 1], [low, 1], ls="--", color="grey", lw=1)
        axis.set(xlabel=f"{reference} AUC", ylabel=f"{models[i]} AUC",
                 title=f"{models[i]}: R² {r2:.3f}" if r2 is not None else models[i])
    for axis in list(axes.flat)[len(others):]:
        axis.axis("off")
    _save(figure, path)
    return fits


def plot_heatmap(models, experiments, matrix, path: Path, basic: str = BASIC) -> list[str]:
    """AUC change of each model against ``basic`` per experiment, experiments ordered by Ward
    clustering of their change profiles (Fig. 4A); returns the experiment order."""
    from scipy.cluster.hierarchy import dendrogram, linkage

    base = models.index(basic)
    rows = [i for i in range(len(models)) if i != base]
    change = np.nan_to_num(matrix[rows] - matrix[base])
    order = list(range(len(experiments)))
    figure = new_figure(figsize=(max(6, 0.5 * len(experiments) + 3), 0.4 * len(rows) + 3.5))
    if len(experiments) >= 2:
        tree = linkage(change.T, method="ward")
        top = figure.add_axes([0.25, 0.78, 0.6, 0.17])
        with warnings.catch_warnings():  # all-equal distances (e.g. two experiments) only warn about axis limits
            warnings.simplefilter("ignore")
            order = dendrogram(tree, ax=top, no_labels=True, color_threshold=None)["leaves"]
        top.set_xlim(0, 10 * len(experiments))  # leaves sit at 5, 15, ...: one per heat-map column
        top.axis("off")
    axis = figure.add_axes([0.25, 0.3, 0.6, 0.47])
    limit = max(0.01, float(np.abs(change).max()))
    image = axis.imshow(change[:, order], cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    axis.set_yticks(range(len(rows)), [models[i] for i in rows])
    axis.set_xticks(range(len(order)), [experiments[j][:24] for j in order], rotation=60, ha="right", fontsize=7)
    colorbar = figure.add_axes([0.87, 0.3, 0.02, 0.47])
    figure.colorbar(image, cax=colorbar, label=f"AUC − {basic} AUC")
    figure.suptitle(f"AUC change against {basic}, Ward clustering (Fig. 4A)", fontsize=10)
    figure.savefig(path, dpi=110)
    return [experiments[j] for j in order]


def size_table(results: list[dict]) -> list[dict]:
    """AUC per model, experiment and training size (full-size runs give their own size)."""
    rows = []
    for r in results:
        m = r["metrics"]
        rows.append({"model": m["model"], "experiment": m["dataset"], "train_size": m.get("train_size"),
                     "subsampled": r["run"].get("train_size") is not None, "auc": m["test"]["auroc"],
                     "seed": int(r["run"].get("seed", 0))})
    return rows


def plot_sizes(rows: list[dict], path: Path) -> bool:
    """Median AUC against training-set size per model, over experiments (Fig. 4C, Supp. Fig. S3)."""
    subsampled = {(r["model"], r["experiment"]) for r in rows if r["subsampled"]}
    if not subsampled:
        return False
    figure = new_figure(figsize=(6.5, 4.5))
    axis = figure.subplots()
    for model in sorted({m for m, _ in subsampled}):
        points = {}
        for r in rows:
            if r["model"] == model and (model, r["experiment"]) in subsampled:
                size = r["train_size"] if r["subsampled"] else "full"
                points.setdefault(size, []).append(r["auc"])
        sized = sorted((s, np.median(v)) for s, v in points.items() if s != "full")
        axis.plot([s for s, _ in sized], [v for _, v in sized], marker="o", label=model)
    axis.set_xscale("log")
    axis.set(xlabel="training sequences (subsampled)", ylabel="median test AUC",
             title="AUC against training-set size (Zeng et al. Fig. 4C / S3)")
    axis.legend(fontsize=8)
    _save(figure, path)
    return True


def timing_table(results: list[dict]) -> dict[str, dict]:
    """Median seconds per 500,000 training samples and median training wall time per model (Table 2)."""
    per_model: dict[str, list] = {}
    for r in results:
        if r["run"].get("train_size") is None:
            per_model.setdefault(r["metrics"]["model"], []).append(r["metrics"])
    return {model: {"seconds_per_500k_samples": float(np.median([m["seconds_per_500k_samples"] for m in ms])),
                    "train_seconds": float(np.median([m["wall_seconds"]["train"] for m in ms])),
                    "kind": ms[0].get("kind", "network"), "budget": ms[0]["protocol"]["budget"]}
            for model, ms in per_model.items()}


def _median(models, matrix, model):
    return float(np.nanmedian(matrix[models.index(model)])) if model in models else None


def findings(models, matrix, tests, size_rows) -> list[dict]:
    """The paper's motif-discovery findings, each checked on the data run (None: not run)."""
    med = {m: _median(models, matrix, m) for m in models}
    diff = {m: t["median_difference"] for m, t in tests.items()}
    rows = []

    def check(claim, section, needed, holds, measured):
        if all(n in models for n in needed) and holds is not None:
            rows.append({"finding": claim, "paper": section, "holds": bool(holds()), "measured": measured()})
        else:
            rows.append({"finding": claim, "paper": section, "holds": None,
                         "measured": f"not run (needs {', '.join(needed)})"})

    def compare_medians(claim, section, first, second, holds, describe):
        """A finding on two models' medians, taken over the experiments both ran (a sweep under way
        may have one model on fewer experiments); fewer than 3 in common: not tested."""
        if first not in models or second not in models:
            return check(claim, section, [first, second], None, None)
        shared = ~np.isnan(matrix[models.index(first)]) & ~np.isnan(matrix[models.index(second)])
        if shared.sum() < 3:
            rows.append({"finding": claim, "paper": section, "holds": None,
                         "measured": f"not tested ({first} and {second} share {int(shared.sum())} experiment(s))"})
            return
        a, b = (float(np.median(matrix[models.index(m)][shared])) for m in (first, second))
        rows.append({"finding": claim, "paper": section, "holds": bool(holds(a, b)),
                     "measured": describe(a, b) + f" (the {int(shared.sum())} experiments both ran)"})

    compare_medians("1layer performs about as well as DeepBind (median AUCs within 0.02)", "3.2, Fig. 2A/B",
                    "1layer", "deepbind", lambda a, b: abs(a - b) <= 0.02,
                    lambda a, b: f"median 1layer {a:.3f} vs deepbind {b:.3f}")
    check("More kernels help: 1layer_64motif and 1layer_128motif beat 1layer", "3.2, Fig. 2A",
          ["1layer", "1layer_64motif", "1layer_128motif"],
          lambda: diff["1layer_64motif"] > 0 and diff["1layer_128motif"] > 0,
          lambda: f"median paired Δ 64motif {diff['1layer_64motif']:+.4f}, 128motif {diff['1layer_128motif']:+.4f}")
    check("Local max pooling is worse than global (1layer_local_win3/win9 below 1layer)", "3.2",
          ["1layer", "1layer_local_win3", "1layer_local_win9"],
          lambda: diff["1layer_local_win3"] < 0 and diff["1layer_local_win9"] < 0,
          lambda: f"median paired Δ win3 {diff['1layer_local_win3']:+.4f}, win9 {diff['1layer_local_win9']:+.4f}")
    compare_medians("The more local the pooling, the worse (win3 below win9)", "3.2",
                    "1layer_local_win3", "1layer_local_win9", lambda a, b: a < b,
                    lambda a, b: f"median win3 {a:.3f} vs win9 {b:.3f}")
    check("More layers reduce performance (2layer, 3layer below 1layer)", "3.2",
          ["1layer", "2layer", "3layer"], lambda: diff["2layer"] < 0 and diff["3layer"] < 0,
          lambda: f"median paired Δ 2layer {diff['2layer']:+.4f}, 3layer {diff['3layer']:+.4f}")
    check("Local pooling at the top does not rescue deep nets (2layer/3layer_local_win3 not above 1layer)", "3.2",
          ["1layer", "2layer_local_win3", "3layer_local_win3"],
          lambda: diff["2layer_local_win3"] <= 0 and diff["3layer_local_win3"] <= 0,
          lambda: f"median paired Δ {diff['2layer_local_win3']:+.4f}, {diff['3layer_local_win3']:+.4f}")
    # Networks trained by the paper's protocol (an architecture with its own recipe, such as the
    # recommended model, is compared in its own section), the best of those run on at least half as
    # many experiments as the most-run one (a model on one experiment cannot be "the best").
    from ..host.plugins import get_registry

    architectures = get_registry().architectures
    paper_cnns = [m for m in models if m in med and m not in ("deepbind", "gkmsvm", "kmer_lr", "pwm")
                  and not (m in architectures.names() and architectures.get(m).recipe is not None)]
    covered = {m: int((~np.isnan(matrix[models.index(m)])).sum()) for m in paper_cnns}
    cnns = [m for m in paper_cnns if covered[m] >= max(covered.values()) / 2] if covered else []
    best = max(cnns, key=lambda m: med[m]) if cnns else None
    if best:
        compare_medians("The best CNN matches or beats gkm-SVM (median AUC)", "3.1-3.3, Fig. 2A/3", best, "gkmsvm",
                        lambda a, b: a >= b - 0.005, lambda a, b: f"median {best} {a:.3f} vs gkmsvm {b:.3f}")
    else:
        check("The best CNN matches or beats gkm-SVM (median AUC)", "3.1-3.3, Fig. 2A/3", ["gkmsvm", "a CNN"],
              None, None)

    def gaps():
        """Complex models' (2layer, 3layer) paired AUC gap to 1layer per training size, the full
        training set as "full": {size: {(model, experiment): gap}}."""
        by = {(r["model"], r["experiment"], r["train_size"] if r["subsampled"] else "full"): r["auc"]
              for r in size_rows}
        out: dict = {}
        for (m, e, size), auc in by.items():
            if m in ("2layer", "3layer") and ("1layer", e, size) in by:
                out.setdefault(size, {})[(m, e)] = auc - by[("1layer", e, size)]
        return out

    gap = gaps()
    smallest = min((s for s in gap if s != "full"), default=None)
    # The same model/experiment pairs at the smallest subsampled size and at full size.
    paired = sorted(set(gap.get(smallest, {})) & set(gap.get("full", {}))) if smallest else []
    small_gap, full_gap = ((float(np.median([gap[size][k] for k in paired])) for size in (smallest, "full"))
                           if paired else (np.nan, np.nan))
    complex_run = [m for m in ("2layer", "3layer") if m in models] or ["2layer or 3layer"]
    check("Complex models need data: their gap to 1layer widens as training sets shrink", "3.4, Fig. 4C/S3",
          ["1layer", complex_run[0]] if len(paired) >= 3 else ["subsampled and full-size runs of 1layer and "
                                                                 "2layer/3layer on 3 or more experiments"],
          (lambda: small_gap < full_gap) if len(paired) >= 3 else None,
          lambda: f"median Δ({'/'.join(complex_run)} − 1layer) at n={smallest} {small_gap:+.4f} vs full size "
                  f"{full_gap:+.4f} ({len(paired)} pairs); by size: " + ", ".join(
                      f"n={size}: {np.median(list(v.values())):+.4f} ({len(v)})"
                      for size, v in sorted(gap.items(), key=lambda kv: (kv[0] == "full", kv[0]))))
    return rows


def _png(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def _md_table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _fmt(value, spec=".4f"):
    return "—" if value is None else format(value, spec)


#: The report folder's copy of every reported run's record (``RECORD_FILES``), in the run store's
#: layout ``<dataset>/<task>/<run>``: ``bindreg compare ... --reuse REPORT/runs --finished-only``
#: writes the report again from it after the run store (models, predictions) is gone.
RECORDS = "runs"
#: What the report reads from a run directory: the test metrics and timings, the run's identity,
#: and the card and motif matches that the motif-recovery table reads. A few KB per run.
RECORD_FILES = ("metrics.json", "run.json", "card.md", "motifs.tsv")


def keep_records(results: list[dict], records: Path) -> list[str]:
    """Copy each run's ``RECORD_FILES`` under ``records``; returns each copy's path relative to the
    report folder, in ``results`` order. A run store is large and machine-local (a lost machine
    took a 31-hour sweep's runs with it); the report must not depend on it."""
    relative = []
    for result in results:
        directory = str(result["directory"]).rstrip("/")
        layout = Path(*directory.split("/")[-3:])  # <dataset>/<task>/<run>, as in the run store
        target = records / layout
        target.mkdir(parents=True, exist_ok=True)
        for name in RECORD_FILES:
            text = read_text_in(directory, name)
            if text is not None:
                (target / name).write_text(text)
        relative.append(f"{records.name}/{layout.as_posix()}")
    return relative


def write_report(results: list[dict], out: Path, requested_models: list[str], task: str,
                 reference: str | None = None, seed: int = 0, recommended: str | None = None,
                 missing: list[dict] | None = None) -> dict:
    """Write the report folder atomically; returns ``summary`` (also written as summary.json).

    The paper's tables use the runs at ``seed``; runs at other seeds feed the seed-spread section;
    ``recommended`` gets a section of its own against every other model (``standing``)."""
    from . import standing

    models, experiments, auc = _table(results, seed)
    models = [m for m in requested_models if m in models]
    matrix = _matrix(models, experiments, auc)
    tests = paired_tests(models, experiments, auc)
    all_rows = size_table(results)
    size_rows = [row for row in all_rows if row["seed"] == seed]
    timing = timing_table(results)
    reference = reference or ("deepbind" if "deepbind" in models else BASIC)
    found = findings(models, matrix, tests, size_rows)
    figures: list[tuple[str, str]] = []
    out = Path(out)
    with atomic_directory(out, replaces=("summary.json", "report.md")) as scratch:
        if (out / "README.md").is_file():  # a person's notes on the report (what is cut, why) survive a rewrite
            (scratch / "README.md").write_bytes((out / "README.md").read_bytes())
        plot_distribution(models, matrix, scratch / "auc_distribution.png")
        figures.append(("auc_distribution.png", "AUC distribution per model (Fig. 2A / 3)"))
        fits = {}
        if reference in models and len(models) > 1:
            fits = plot_scatter(models, matrix, reference, scratch / "scatter.png")
            figures.append(("scatter.png", f"Each model against {reference}, per experiment, with R² (Fig. 2B)"))
        order = experiments
        if BASIC in models and len(models) > 1:
            order = plot_heatmap(models, experiments, matrix, scratch / "auc_change_heatmap.png")
            figures.append(("auc_change_heatmap.png", f"AUC change against {BASIC}, Ward clustering (Fig. 4A)"))
        if plot_sizes(size_rows, scratch / "auc_vs_training_size.png"):
            figures.append(("auc_vs_training_size.png", "AUC against training-set size (Fig. 4C / S3)"))
        records = keep_records(results, scratch / RECORDS)
        with open(scratch / "results.csv", "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["model", "experiment", "train_size", "subsampled", "seed", "test_auroc",
                             "run_directory", "record"])
            for r, row, record in zip(results, all_rows, records):
                writer.writerow([row["model"], row["experiment"], row["train_size"], row["subsampled"], row["seed"],
                                 f"{row['auc']:.6f}", r["directory"], record])
        summary = {
            "task": task, "experiments": experiments, "reference": reference,
            "median_auc": {m: _median(models, matrix, m) for m in models},
            "paired_vs_1layer": tests, "r_squared_vs_reference": fits, "timing": timing,
            "findings": found, "runs": len(results), "reused": sum(bool(r.get("reused")) for r in results),
            "recommended": recommended,
            "versus_recommended": standing.versus(results, recommended, models, seed) if recommended in models else [],
            "seed_spread": standing.seed_spread(results), "compute": standing.compute(results),
            "missing": missing or [], "origins": standing.origins(results), "shared": standing.shared(results),
            "members": standing.members(results, recommended),
        }
        write_json_atomic(scratch / "summary.json", summary)
        # DVC metrics: flat per-model AUCs, which `dvc metrics show` prints as columns.
        write_json_atomic(scratch / "metrics.json", {"median_auc": summary["median_auc"]})
        markdown = _markdown(summary, models, experiments, matrix, order, figures)
        markdown += "\n" + standing.markdown(recommended, summary["versus_recommended"], summary["seed_spread"],
                                              summary["compute"], _md_table)
        markdown += standing.members_markdown(recommended, summary["members"], _md_table)
        markdown += standing.missing_markdown(summary["missing"], _md_table)
        markdown += standing.origins_markdown(summary["origins"], _md_table)
        markdown += standing.shared_markdown(summary["shared"])
        from .recovery import motif_recovery, recovery_markdown  # does each card name its factor? (issue 13)
        markdown += "\n## Motif recovery\n\n" + recovery_markdown(motif_recovery(results, seed))
        (scratch / "report.md").write_text(markdown)
        (scratch / "report.html").write_text(_html(markdown, figures, scratch))
    return summary


def _markdown(summary, models, experiments, matrix, order, figures) -> str:
    tests, timing = summary["paired_vs_1layer"], summary["timing"]
    budgets = sorted({t["budget"] for t in timing.values() if t["kind"] != "baseline"})
    lines = [f"# Model comparison: {summary['task']}, {len(experiments)} experiments x {len(models)} models", "",
             f"{summary['runs']} runs ({summary['reused']} reused from earlier sweeps); network budget(s): "
             f"{', '.join(budgets) or '—'}. A budget other than `paper` trains less than the paper did.", "",
             "## Median test AUC per model", "",
             _md_table(["model", "median AUC", "Δ vs 1layer (median, paired)", "Wilcoxon p", "n"],
                       [[m, _fmt(summary["median_auc"][m]), _fmt(tests.get(m, {}).get("median_difference"), "+.4f"),
                         _fmt(tests.get(m, {}).get("wilcoxon_p"), ".3g"), tests.get(m, {}).get("n", "—")]
                        for m in sorted(models, key=lambda m: -summary["median_auc"][m])]), "",
             "## The paper's findings on these data", "",
             _md_table(["finding (Zeng et al. 2016)", "section", "holds here?", "measured"],
                       [[f["finding"], f["paper"], {True: "yes", False: "**no**", None: "not tested"}[f["holds"]],
                         f["measured"]] for f in summary["findings"]]), "",
             "With few experiments or a reduced budget a finding can fail by chance; the Wilcoxon p-values "
             "say how much the paired differences can be trusted.", "",
             "## Training time (Table 2)", "",
             _md_table(["model", "seconds per 500,000 samples", "median training wall time (s)", "kind"],
                       [[m, f"{t['seconds_per_500k_samples']:.1f}", f"{t['train_seconds']:.1f}", t["kind"]]
                        for m, t in timing.items()]), "",
             "Baselines' figure is their fit time scaled to 500,000 training sequences (one fit, not SGD passes).", "",
             "## Figures", ""]
    for name, caption in figures:
        lines += [f"### {caption}", "", f"![{caption}]({name})", ""]
    lines += ["## AUC per experiment", "",
              _md_table(["experiment"] + models,
                        [[e] + [_fmt(matrix[i][experiments.index(e)], ".3f") for i in range(len(models))]
                         for e in order]), ""]
    return "\n".join(lines)


def _html(markdown: str, figures, folder: Path) -> str:
    """A self-contained page: the Markdown as preformatted tables, figures inlined as base64."""
    body = []
    for block in markdown.split("\n\n"):
        if block.startswith("# "):
            body.append(f"<h1>{html.escape(block[2:])}</h1>")
        elif block.startswith("## ") or block.startswith("### "):
            level = 2 if block.startswith("## ") else 3
            body.append(f"<h{level}>{html.escape(block.lstrip('# '))}</h{level}>")
        elif block.startswith("!["):
            name = block[block.index("](") + 2:block.rindex(")")]
            body.append(f'<img alt="{html.escape(name)}" src="data:image/png;base64,{_png(folder / name)}">')
        elif block.startswith("|"):
            rows = [line.strip("|").split(" | ") for line in block.splitlines() if not line.startswith("|---")]
            cells = "".join("<tr>" + "".join(f"<{'th' if i == 0 else 'td'}>{html.escape(c.strip())}"
                                             f"</{'th' if i == 0 else 'td'}>" for c in row) + "</tr>"
                            for i, row in enumerate(rows))
            body.append(f"<table>{cells}</table>")
        else:
            body.append(f"<p>{html.escape(block)}</p>")
    body = [re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", re.sub(r"`(.+?)`", r"<code>\1</code>", part)) for part in body]
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}img{max-width:100%}")
    return f"<!doctype html><html><head><meta charset='utf-8'><title>bindreg compare</title>" \
           f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n"
