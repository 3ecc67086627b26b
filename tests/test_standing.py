"""The report's sections beyond the paper: recommended model against the rest, seed spread, compute."""

from __future__ import annotations

from bindreg.experiment import standing
from bindreg.experiment.report import _md_table


def _result(model, experiment, auroc, seed=0, size=None, seconds=10.0):
    return {"metrics": {"model": model, "dataset": experiment, "test": {"auroc": auroc},
                        "wall_seconds": {"total": seconds, "train": seconds / 2, "test": seconds / 8,
                                         "prepare": seconds / 4}},
            "run": {"seed": seed, "train_size": size}, "directory": f"{model}-{experiment}-{seed}"}


def test_versus_counts_wins_and_pairs_only_shared_experiments():
    results = [_result("best", f"e{i}", 0.9 + i / 100) for i in range(6)]
    results += [_result("other", f"e{i}", 0.85 + i / 100) for i in range(5)]  # e5 missing
    results += [_result("best", "e0", 0.1, seed=1), _result("other", "e0", 0.99, size=500)]
    (row,) = standing.versus(results, "best", ["best", "other"])
    assert row["n"] == 5 and row["wins"] == 5 and abs(row["median_difference"] - 0.05) < 1e-9
    assert row["wilcoxon_p"] < 0.1


def test_seed_spread_and_compute():
    results = [_result("m", f"e{i}", 0.8 + s / 100, seed=s, seconds=3600) for i in range(3) for s in (0, 1, 2)]
    results.append(_result("single", "e0", 0.7))
    (row,) = standing.seed_spread(results)
    assert row["model"] == "m" and row["seeds"] == [0, 1, 2] and abs(row["median_range"] - 0.02) < 1e-9
    cost = standing.compute(results)
    assert abs(cost["total_seconds"] - (9 * 3600 + 10)) < 1e-6 and cost["per_model"]["m"]["runs"] == 9
    text = standing.markdown("m", [], [row], cost, _md_table)
    assert "## Seeds" in text and "## Compute" in text
    assert abs(cost["train_seconds"] - (9 * 1800 + 5)) < 1e-6 and "4.50 of them fitting models" in text
    assert "| m | 9 | 9.00 | 4.50 | 1.12 | 2.25 | 100% |" in text


def test_findings_compare_medians_only_over_the_experiments_both_models_ran():
    """A sweep under way: 1layer on one experiment, gkm-SVM on twelve. Their medians are not
    comparable, so the finding is not tested; 1layer_128motif, on all twelve, is compared instead
    on those twelve. The recommended model (its own recipe) is not one of the paper's CNNs."""
    import numpy as np

    from bindreg.experiment.report import findings

    models = ["1layer", "1layer_128motif", "bindnet", "gkmsvm"]
    matrix = np.full((4, 12), np.nan)
    matrix[0, 0] = 0.99  # 1layer: one experiment, the easiest
    matrix[1] = np.linspace(0.80, 0.90, 12)
    matrix[2] = np.linspace(0.95, 0.99, 12)
    matrix[3] = np.linspace(0.85, 0.95, 12)
    row = next(r for r in findings(models, matrix, {}, []) if "gkm-SVM" in r["finding"])
    assert row["holds"] is False and "1layer_128motif" in row["measured"] and "12 experiments" in row["measured"]
    matrix[1] = np.nan
    row = next(r for r in findings(models, matrix, {}, []) if "gkm-SVM" in r["finding"])
    assert row["holds"] is None and "share 1 experiment" in row["measured"]


def test_data_size_finding_pairs_the_smallest_size_with_full_size_and_takes_3layer_alone():
    """The data-size finding needs 1layer and either deeper model; it compares the gap to 1layer at the
    smallest subsampled size with the gap at full size, over the same experiments."""
    import numpy as np

    from bindreg.experiment.report import findings

    def row(model, experiment, size, auc):
        return {"model": model, "experiment": experiment, "train_size": size or 9000, "subsampled": bool(size),
                "auc": auc}

    size_rows = []
    for e in "abc":
        size_rows += [row("1layer", e, None, 0.90), row("3layer", e, None, 0.88),
                      row("1layer", e, 2500, 0.85), row("3layer", e, 2500, 0.60)]
    models = ["1layer", "3layer"]
    matrix = np.full((2, 3), 0.9)
    [found] = [r for r in findings(models, matrix, {}, size_rows) if "need data" in r["finding"]]
    assert found["holds"] is True and "n=2500 -0.2500 vs full size -0.0200 (3 pairs)" in found["measured"]
    [untested] = [r for r in findings(models, matrix, {}, size_rows[:8]) if "need data" in r["finding"]]
    assert untested["holds"] is None


def test_origins_names_each_code_and_machine_that_made_runs():
    """Runs with the same key differed across machines; a report mixing code or machines says so."""
    here = {"code": {"sha256": "aaaa", "git_commit": "0123456789abcdef", "git_modified": True},
            "machine": {"cpu": "AMD EPYC", "cores": 2, "vector_flags": ["avx2", "fma"], "mxnet_features": []}}
    results = [_result("m", f"e{i}", 0.8) for i in range(3)]
    assert standing.origins_markdown(standing.origins(results), _md_table) == ""  # one origin: no section
    for r in results[:2]:
        r["run"].update(here)
    rows = standing.origins(results)
    assert rows == [{"code": "aaaa (git 0123456789, modified)", "machine": "AMD EPYC, 2 cores, avx2/fma", "runs": 2},
                    {"code": "not recorded", "machine": "not recorded", "runs": 1}]
    assert "## Where the runs were made" in standing.origins_markdown(rows, _md_table)


def test_elapsed_is_the_union_of_run_intervals():
    """Two runs side by side and one an hour later: 2 h of worker time over 1.5 h of clock time,
    the hour between them not counted."""
    results = [_result("m", f"e{i}", 0.8, seconds=3600) for i in range(3)]  # prepare 900 s of each
    for r, start in zip(results, ("2026-12-05T10:15:00+00:00", "2026-12-05T10:45:00+00:00",
                                  "2026-12-05T13:15:00+00:00")):
        r["run"]["created_at"] = start
    assert standing.elapsed(results) == 1.5 * 3600 + 3600
    assert standing.elapsed([_result("m", "e0", 0.8)]) is None
    text = standing.markdown(None, [], [], standing.compute(results), _md_table)
    assert "2.50 hours of clock time with at least one run under way" in text


def test_members_section_shows_each_part_of_a_model_with_a_gkm_member():
    results = []
    for i in range(3):
        run = _result("mix", f"e{i}", 0.90 + i / 100)
        run["metrics"]["members"] = {"networks_test_auroc": 0.89 + i / 100, "gkm_test_auroc": 0.88,
                                     "gkm_weight": 0.3, "gkm_fit_seconds": 12.0, "fitted": 20000}
        results.append(run)
    results.append(_result("mix", "e9", 0.5, size=2500))  # data-size runs are not members' rows
    results.append(_result("other", "e0", 0.95))
    rows = standing.members(results, "mix")
    assert [r["experiment"] for r in rows] == ["e0", "e1", "e2"] and rows[0]["weight"] == 0.3
    text = standing.members_markdown("mix", rows, _md_table)
    assert "## Members of mix" in text and "| e0 | 0 | 0.8900 | 0.8800 | 0.3 | 0.9000 | +0.0100 | 20,000 | 12 |" in text
    assert "3/3 above the networks" in text
    assert standing.members_markdown("other", standing.members(results, "other"), _md_table) == ""
