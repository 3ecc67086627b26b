"""What a command line (or a DVC ``params.yaml``) asks of a run or a comparison, as library objects,
and what a finished one reports back as lines of text."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from ..core.errors import unknown_name
from ..train.training import BUDGETS, Protocol


def protocol_for(budget: str, settings: int | None = None, search_minibatches: int | None = None,
                 train_minibatches: int | None = None, both_strands: bool = False, pack: bool = True) -> Protocol:
    """The protocol of ``budget`` (``paper``, ``demo``, ``smoke``) with any counts given replacing its own."""
    if budget not in BUDGETS:
        raise unknown_name("budget", budget, BUDGETS, "paper is the paper's protocol")
    chosen = BUDGETS[budget].with_overrides(settings=settings, search_minibatches=search_minibatches,
                                            train_minibatches=train_minibatches)
    return replace(chosen, both_strands=both_strands, pack=pack)


def names(text: str) -> list[str]:
    """``"a,b c"`` -> ``["a", "b", "c"]`` (comma- or space-separated names)."""
    return [name for name in re.split(r"[,\s]+", text) if name]


def sizes(text: str) -> tuple[int, ...]:
    """``"2500,10000"`` -> ``(2500, 10000)``; anything but positive whole numbers is one refusal."""
    from .compare import parse_sizes

    return parse_sizes(text)


def with_params(params: Path | None, models: str, budget: str, seed: int, size_list: str) -> tuple[str, str, int, str]:
    """``(models, budget, seed, sizes)`` with the values of a ``params.yaml`` replacing the options given."""
    if params is None:
        return models, budget, seed, size_list
    from .compare import read_params

    chosen = read_params(params)
    return (",".join(chosen.get("models", [models])), chosen.get("budget", budget), chosen.get("seed", seed),
            ",".join(str(s) for s in chosen.get("sizes", size_list.split(","))))


def run_report(model: str, task: str, summary) -> list[str]:
    """What ``bindreg run`` prints about a finished run (``runs.RunSummary``)."""
    metrics = summary.metrics
    test = metrics["test"]
    budget_note = " [reduced budget]" if metrics["protocol"]["reduced"] else ""
    lines = [f"{model} on {metrics['dataset']} ({task}){budget_note}: test AUROC {test['auroc']:.4f}  AUPRC "
             f"{test['auprc']:.4f}" + (f"  accuracy {test['accuracy']:.4f}" if "accuracy" in test else "")]
    if "hyperparameters" in metrics:
        import json

        search = metrics["search"]
        lines += [f"chosen {json.dumps(metrics['hyperparameters'])}, best iteration {metrics['best_iteration']}, "
                  f"{metrics['wall_seconds']['total']:.0f} s",
                  f"search: {search['mode']}" + (f" ({search['why_sequential']})" if search["why_sequential"] else "")]
    else:
        lines.append(f"fitted on {metrics['train_size']} sequences in {metrics['wall_seconds']['train']:.1f} s")
    return lines + [f"run directory: {summary.directory}"]


def compare_report(summary: dict, out: Path) -> list[str]:
    """What ``bindreg compare`` prints about a finished comparison (``report.write_report``'s summary)."""
    lines = [f"{summary['runs']} runs ({summary['reused']} reused) on {len(summary['experiments'])} experiments"]
    for model, value in sorted(summary["median_auc"].items(), key=lambda kv: -kv[1]):
        lines.append(f"  {model:>18}: median AUC {value:.4f}")
    held = [f for f in summary["findings"] if f["holds"] is not None]
    return lines + [f"paper findings holding here: {sum(f['holds'] for f in held)} of {len(held)} tested",
                    f"report: {out / 'report.html'}"]
