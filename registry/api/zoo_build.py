"""Building a zoo from a run store: pick the runs, give them full cards, bundle them, index them.

``build(runs, out)`` takes the runs that ``bindreg compare`` wrote under ``runs/DATASET/TASK/
MODEL-KEY/`` and, for every experiment and every wanted model, the newest finished run
(``metrics.json`` present, ``.inflight`` folders ignored) at the wanted seed and budget whose
hyper-parameters agree with the wanted ones (``bindnet_gkm`` with 256 filters, say), trained on the
whole training split (data-size runs are not chosen). Each chosen run
is copied (the run store is never written), its card rewritten with the motif analysis that a
sweep with ``--no-motifs`` skipped (``bindreg.experiment.cards``, reading the run's test split
from the store named in its ``run.json``), bundled like ``bindreg publish`` bundles it, and
added to a fresh zoo folder, which then replaces ``out``. Analysed copies are kept in ``work``
and reused while the run (its ``run.json`` ``created_at``) and the motif code
(``bindreg.experiment.filters``) are the same, so a second build only analyses new runs.

Names are what a biologist searches for: factor, cell line, model (``stat3-helas3-bindnet-gkm``,
``arid3a-k562-1layer-128motif``).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import BindregError

#: The zoo's models and the hyper-parameters a run must have to be chosen (bindnet_gkm: the recommended
#: setting; 1layer_128motif: the paper's best one-layer model, any chosen setting).
WANTED = {"bindnet_gkm": {"filters": 256}, "1layer_128motif": {}}
#: Cell lines as ENCODE spells them, for names read in lower case from Zeng et al.'s folders.
CELL_LINES = {"helas3": "HeLa-S3", "gm12878": "GM12878", "k562": "K562", "hepg2": "HepG2", "h1-hesc": "H1-hESC"}
MAX_MB = 25.0
#: Beside an analysed copy: which run and which card code made it (not part of the bundle).
ANALYSED = "zoo-analysed.json"


@dataclass
class BuildReport:
    zoo: Path
    models: list[dict] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)
    megabytes: float = 0.0
    #: With ``keep_others``: the names carried over from the old zoo as they were.
    kept: list[str] = field(default_factory=list)


def zoo_name(dataset: str, model: str) -> str:
    """``stat3-helas3-bindnet-gkm`` for ``zeng_md_stat3_helas3`` and ``bindnet_gkm``: factor, cell line, model."""
    from ..experiment.recovery import factor_of

    factor, cell = factor_of(dataset)
    words = [factor, cell or "", model]
    name = "-".join(re.sub(r"[^a-z0-9]+", "-", w.lower()).strip("-") for w in words if w)
    return re.sub(r"-+", "-", name)


def cell_line(dataset: str) -> str | None:
    from ..experiment.recovery import factor_of

    cell = factor_of(dataset)[1]
    return CELL_LINES.get(cell.lower(), cell) if cell else None


def finished_runs(runs: Path, task: str = "discovery"):
    """``(dataset, directory, run.json, metrics.json)`` of every finished run under ``runs/DATASET/TASK/``."""
    for directory in sorted(Path(runs).glob(f"*/{task}/*")):
        if directory.name.endswith(".inflight") or directory.name.startswith(".") or \
                not (directory / "metrics.json").is_file() or not (directory / "run.json").is_file():
            continue
        try:
            run = json.loads((directory / "run.json").read_text())
            metrics = json.loads((directory / "metrics.json").read_text())
        except (OSError, ValueError):
            continue  # being written: the next build sees it
        yield directory.parent.parent.name, directory, run, metrics


def select_runs(runs: Path, wanted: dict[str, dict] | None = None, seed: int = 0, budget: str = "paper",
                task: str = "discovery") -> tuple[dict[tuple[str, str], Path], list[tuple[str, str]]]:
    """The newest matching run per (experiment, model), and the pairs that have none."""
    wanted = WANTED if wanted is None else wanted
    best: dict[tuple[str, str], tuple[str, Path]] = {}
    experiments = sorted(p.name for p in Path(runs).iterdir() if (p / task).is_dir()) if Path(runs).is_dir() else []
    if not experiments:
        raise BindregError(f"{runs}: no runs of task {task} (expected {runs}/DATASET/{task}/MODEL-KEY/); give the "
                           "--runs folder of `bindreg compare`")
    for dataset, directory, run, metrics in finished_runs(runs, task):
        model = run.get("model")
        if model not in wanted or run.get("seed") != seed or metrics.get("protocol", {}).get("budget") != budget \
                or run.get("train_size") is not None:  # a data-size run trained on a subsample
            continue
        chosen = metrics.get("hyperparameters", {})
        if any(chosen.get(k) != v for k, v in wanted[model].items()):
            continue
        key = (dataset, model)
        if key not in best or run.get("created_at", "") > best[key][0]:
            best[key] = (run.get("created_at", ""), directory)
    missing = [(d, m) for d in experiments for m in wanted if (d, m) not in best]
    return {k: v[1] for k, v in sorted(best.items())}, missing


def analysed_copy(run_dir: Path, work: Path) -> Path:
    """A copy of ``run_dir`` under ``work`` with the full card (motif analysis); reused while the run's
    ``created_at`` is unchanged. The run itself is only read."""
    from ..core.fsutil import atomic_directory
    from ..data.store import open_store
    from ..experiment.cards import motif_sequences, write_card

    from ..core.fsutil import sha256_file, write_json_atomic
    from ..experiment import filters

    run_dir = Path(run_dir)
    run = json.loads((run_dir / "run.json").read_text())
    target = Path(work) / run["dataset"] / run_dir.name
    # The same run analysed by the same motif code: reuse it (a change of either analyses it again).
    stamp = {"created_at": run.get("created_at"), "filters_sha256": sha256_file(Path(filters.__file__))}
    try:
        if json.loads((target / ANALYSED).read_text()) == stamp:
            return target
    except (OSError, ValueError):
        pass
    store = Path(run["store"])
    if not store.exists():
        raise BindregError(f"{run_dir}: its dataset store {store} is not on this machine; the card's motif analysis "
                           "reads its test split: build the zoo where the runs were made")
    dataset = open_store(store, verify=False)
    with atomic_directory(target) as scratch:
        for file in run_dir.iterdir():
            if file.is_file():
                shutil.copyfile(file, scratch / file.name)
        write_card(scratch, run, json.loads((run_dir / "metrics.json").read_text()), *motif_sequences(dataset))
        write_json_atomic(scratch / ANALYSED, stamp)
    return target


def model_meta(run_dir: Path, name: str) -> dict:
    """The index's facts about a zoo model (what `bindreg models list` shows and filters on)."""
    from ..experiment.recovery import factor_of

    run = json.loads((run_dir / "run.json").read_text())
    metrics = json.loads((run_dir / "metrics.json").read_text())
    front = (run_dir / "card.md").read_text().split("---\n")[1]
    import yaml

    matched = yaml.safe_load(front)["bindreg"]["learned_motifs"]["matched"]
    return {"name": name, "tf": factor_of(run["dataset"])[0], "cell_line": cell_line(run["dataset"]),
            "dataset": run["dataset"], "model": run["model"], "plugin": run["plugin"], "task": run["task"],
            "auroc": round(metrics["test"]["auroc"], 4), "auprc": round(metrics["test"]["auprc"], 4),
            "budget": metrics["protocol"]["budget"], "seed": run["seed"],
            "hyperparameters": metrics["hyperparameters"], "run": run_dir.name, "created_at": run["created_at"],
            "motifs": sorted({m["name"] for m in matched})}


def build(runs: Path, out: Path, version: str = "v1.0.0", work: Path | None = None,
          wanted: dict[str, dict] | None = None, seed: int = 0, budget: str = "paper", max_mb: float = MAX_MB,
          progress=None, keep_others: bool = False) -> BuildReport:
    """Make the zoo folder ``out`` (replaced whole) from the runs under ``runs``; see the module docstring.
    ``progress(message)`` is called once per model. ``keep_others``: the new folder also holds ``out``'s
    models that this build does not make, their archives and index records unchanged (one model is
    rebuilt without the others' runs)."""
    from ..core.fsutil import atomic_directory
    from ..hub import zoo
    from ..hub.bundle import build_bundle

    from ..core.fsutil import home

    work = Path(work) if work is not None else home() / "zoo-build"
    chosen, missing = select_runs(runs, wanted, seed, budget)
    if not chosen:
        raise BindregError(f"{runs}: no finished run matches (models {', '.join(WANTED if wanted is None else wanted)}"
                           f", seed {seed}, budget {budget}); nothing to put in a zoo")
    report = BuildReport(Path(out), missing=missing)
    names: dict[str, Path] = {}
    with atomic_directory(Path(out)) as scratch, tempfile.TemporaryDirectory(prefix="zoo-bundles-") as bundles:
        if keep_others and zoo.is_zoo(out):
            report.kept = _carry_over(Path(out), scratch, {zoo_name(dataset, model) for dataset, model in chosen})
        for (dataset, model), run_dir in chosen.items():
            name = zoo_name(dataset, model)
            if name in names:
                raise BindregError(f"{run_dir} and {names[name]} both make the zoo name {name!r}; give their "
                                   "experiments names that differ in factor or cell line")
            names[name] = run_dir
            if progress:
                progress(f"{name}: {run_dir}")
            copy = analysed_copy(run_dir, work)
            bundle = build_bundle(copy, Path(bundles) / name, name)
            meta = model_meta(copy, name)
            record = zoo.add(scratch, bundle, name, version, meta)
            report.models.append({**meta, "version": version, "bytes": record["bytes"], "source": str(run_dir)})
        report.megabytes = sum(p.stat().st_size for p in scratch.iterdir()) / 1e6
        if report.megabytes > max_mb:
            raise BindregError(f"the zoo would hold {report.megabytes:.1f} MB, more than {max_mb:g} MB; ship fewer "
                               "models, or raise --max-mb where size does not matter")
    return report


def _carry_over(old: Path, new: Path, rebuilt: set[str]) -> list[str]:
    """Copy the zoo ``old``'s models not named in ``rebuilt`` into the folder ``new``: every archive of
    theirs and their index records, as they are. Returns their names."""
    from ..core.fsutil import write_json_atomic
    from ..hub.zoo import INDEX, read_index

    index = read_index(old)
    kept = {name: entry for name, entry in index["models"].items() if name not in rebuilt}
    for entry in kept.values():
        for record in entry["versions"].values():
            shutil.copy2(old / record["archive"], new / record["archive"])
    write_json_atomic(new / INDEX, {**index, "models": kept})
    return sorted(kept)
