"""The report's sections beyond the paper: recommended model against the rest, seed spread, compute."""

from __future__ import annotations

from bindreg.experiment import standing
from bindreg.experiment.report import _md_table


def _result(model, experiment, auroc, seed=0, size=None, seconds=10.0):
    return {"metrics": {"model": model, "dataset": experiment, "test": {"auroc": auroc},
                        "wall_seconds": {"total": seconds, "train": seconds / 2}},
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
