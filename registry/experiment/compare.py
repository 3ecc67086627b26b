"""``bindreg compare``: models x experiments for one task, as in Zeng et al.'s comparison.

1. plan: prepare each dataset (cached), and make one ``Job`` per model x experiment (plus the
   data-size study: training subsets of 2,500 / 10,000 / 40,000 sequences where the data allow);
2. execute what is missing, serially or on Dask distributed; a job is keyed by model, store
   content hash, task, protocol (or baseline options), seed and training size, and its run
   directory is named by that key, so a finished run is found and reused, never redone;
3. report (``bindreg.report``): figures, tables, Wilcoxon tests and the paper's findings.

Exactly once: a job trains into a private scratch directory and publishes it with one
rename that fails if the run already exists, so when Dask re-runs the job of a worker that
died (or two attempts overlap), the first to finish wins and the other is discarded.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..data.datasets import prepare
from ..core.errors import BindregError
from ..core.fsutil import clean_stale, owner_tag, read_text_in
from ..core.record import RunRecord
from ..host.catalog import RECIPE_KEY_DEFAULTS
from ..host.plugins import get_registry
from ..data.store import counts
from ..train.training import Protocol

#: The paper's down-sampled training sets (section 3.4, Fig. 4C and Supplementary Fig. S3).
PAPER_SIZES = (2500, 10_000, 40_000)
#: Models of the data-size study by default: the basic model and the deeper ones it is compared with.
DEFAULT_SIZE_MODELS = ("1layer", "1layer_128motif", "2layer", "3layer")


@dataclass(frozen=True)
class Job:
    """One run to make: ``target`` is its run directory (a path or an fsspec URL)."""

    model: str
    store: str
    dataset: str
    task: str
    protocol: Protocol
    seed: int
    train_size: int | None
    options: dict = field(default_factory=dict, hash=False)
    #: Not part of the key: it changes the card, not the trained model or its scores.
    analyse_motifs: bool = True
    key: str = ""
    target: str = ""
    #: The model asked for, where ``model`` is another one computing the same function at this
    #: length (``Architecture.same_as``): the run is ``model``'s, reported under this name.
    reported_as: str = ""


def job_key(model: str, content_sha256: str, task: str, settings: dict, seed: int, train_size: int | None) -> str:
    """12 hex digits naming a run by everything that determines its result."""
    material = {"model": model, "data": content_sha256, "task": task, "settings": settings, "seed": seed,
                "train_size": train_size}
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:12]


def _is_url(runs: str) -> bool:
    return "://" in str(runs)


def plan(models: list[str], data: list[str], task: str, protocol: Protocol, runs: str, seed: int = 0,
         sizes: tuple[int, ...] = PAPER_SIZES, size_models: tuple[str, ...] = DEFAULT_SIZE_MODELS,
         options: dict[str, dict] | None = None, analyse_motifs: bool = True,
         reuse: tuple[str, ...] = ()) -> list[Job]:
    """Every job of the comparison; datasets are encoded here (once, cached) so workers only read stores.
    ``reuse``: other run stores (folders) searched for a finished run of the same key, which is then read
    where it lies instead of being made again in ``runs`` (the DVC pipeline's per-cell run stores)."""
    registry = get_registry()
    options = options or {}
    from .runs import check_model_name
    from ..core.validate import path_component

    for model in models:
        check_model_name(model)
    if not data:
        raise BindregError("no datasets given; pass --data once per experiment (a name, file, folder or store)")
    jobs = []
    for spec in expand_globs(data):
        store, dataset = prepare(spec, task)
        sha, name = dataset.attrs["content_sha256"], dataset.attrs["dataset"]
        path_component(name, "dataset name", str(store))
        path_component(task, "task name", str(store))
        pool = counts(dataset)
        train_pool = pool["train"]["positives"] + pool["train"]["negatives"]
        for asked in models:
            model = _same_function(registry, asked, dataset.attrs)
            baseline = model in registry.baselines
            settings = ({"baseline": options.get(model, {})} if baseline
                        else {k: v for k, v in asdict(protocol).items() if k != "budget"})
            recipe = None if baseline else registry.architectures.get(model).recipe
            if recipe is not None:  # a changed recipe or space is a new run (the paper's models keep their keys)
                space = registry.architectures.get(model).space
                fields = {k: v for k, v in asdict(recipe).items() if RECIPE_KEY_DEFAULTS.get(k, object()) != v}
                settings["recipe"] = {**fields, "space": {k: list(v) for k, v in space.items()}}
            runs_for_size = [None] + [s for s in sizes if s < train_pool and asked in size_models]
            for size in runs_for_size:
                key = job_key(model, sha, task, settings, seed, size)
                leaf = path_component(f"{model}{'' if size is None else f'-n{size}'}-{key}", "run name", model)
                target = f"{str(runs).rstrip('/')}/{name}/{task}/{leaf}"
                if _read_finished(target) is None:
                    target = next((found for found in (f"{root}/{name}/{task}/{leaf}" for root in reuse)
                                   if _read_finished(found) is not None), target)
                jobs.append(Job(model, str(store), name, task, protocol, seed, size,
                                options.get(model, {}) if baseline else {}, analyse_motifs, key, target,
                                asked if asked != model else ""))
    return jobs


def _same_function(registry, model: str, attrs) -> str:
    """The model whose run ``model`` shares on a store with these attributes: the one it names by
    ``same_as`` at the store's length (when that one trains by the same recipe over the same space),
    else itself. Stores of varied lengths share nothing: their padded width is not the input."""
    if model not in registry.architectures or "min_length" in attrs:
        return model
    arch = registry.architectures.get(model)
    twin = arch.same_as(int(attrs["sequence_length"])) if arch.same_as else None
    if twin is None or twin not in registry.architectures:
        return model
    other = registry.architectures.get(twin)
    same_training = other.recipe == arch.recipe and dict(other.space) == dict(arch.space)
    return twin if same_training else model


def as_requested(job: Job, result: dict) -> dict:
    """A run's result under the name it was asked for; a shared run (``Job.reported_as``) is
    marked ``shared_with`` its model, so its compute is counted once."""
    if not job.reported_as:
        return result
    metrics = {**result["metrics"], "model": job.reported_as}
    return {**result, "metrics": metrics, "run": {**result["run"], "model": job.reported_as},
            "shared_with": job.model}


def expand_globs(data: list[str]) -> list[str]:
    """Each argument as given, or the sorted matches of a glob pattern that is not itself a path."""
    import glob

    expanded = []
    for spec in data:
        matches = sorted(glob.glob(spec)) if any(c in spec for c in "*?[") and not Path(spec).exists() else []
        if any(c in spec for c in "*?") and not Path(spec).exists() and not matches:
            raise BindregError(f"--data {spec!r}: the pattern matches nothing; check the path")
        expanded.extend(matches or [spec])
    return expanded


def reuse_stores(patterns) -> list[str]:
    """Folders named by ``--reuse`` (globs expanded, sorted); a pattern matching nothing is fine (no runs yet)."""
    import glob

    found = []
    for pattern in patterns:
        matches = sorted(glob.glob(pattern)) if any(c in pattern for c in "*?[") else [pattern]
        found.extend(m for m in matches if Path(m).is_dir())
    return found


def _read_finished(target: str) -> dict | None:
    """The metrics and identity of a finished run (its ``metrics.json`` is written last), else None."""
    metrics = read_text_in(target, "metrics.json")
    if metrics is None:
        return None
    record = RunRecord.from_json(json.loads(read_text_in(target, "run.json")), json.loads(metrics), target)
    return {"metrics": record.metrics, "run": record.run, "directory": target}


def run_job(job: Job) -> dict:
    """Make one run unless it exists; return its metrics, identity and directory. Safe to call
    again after a crash, or twice at once: the first finished attempt is the one kept."""
    import dask

    from .runs import run

    finished = _read_finished(job.target)
    if finished is not None:
        return {**finished, "reused": True}
    if _is_url(job.target):
        scratch_root = Path(tempfile.mkdtemp(prefix="bindreg-job-"))
    else:
        scratch_root = Path(job.target).parent / ".inflight"
        scratch_root.mkdir(parents=True, exist_ok=True)
        for prefix in (f"{job.key}.", f".{job.key}."):  # attempts of this job whose process was killed
            clean_stale(scratch_root, prefix, suffixes=())
    scratch = scratch_root / f"{job.key}.{owner_tag()}.{uuid.uuid4().hex[:8]}"
    try:
        # The store opens as lazy dask arrays. On a Dask worker, reading them would otherwise go to the
        # worker's cluster as tasks of their own, queued behind the other runs' training: a run waited
        # up to 10 minutes for its own data while the worker started further runs beside it.
        with dask.config.set(scheduler="synchronous"):
            run(job.model, job.task, job.store, job.protocol, seed=job.seed, out=scratch,
                train_size=job.train_size, options=job.options or None, analyse_motifs=job.analyse_motifs)
        _publish(scratch, job.target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if _is_url(job.target):
            shutil.rmtree(scratch_root, ignore_errors=True)
    return {**_read_finished(job.target), "reused": False}


def _publish(scratch: Path, target: str) -> None:
    """Move a finished run into place unless another attempt already did."""
    if _is_url(target):
        import fsspec

        fs, path = fsspec.core.url_to_fs(target)
        if fs.exists(f"{path}/metrics.json"):
            return
        fs.makedirs(path, exist_ok=True)
        # metrics.json goes last: until it is there, readers treat the run as not finished.
        for item in sorted(scratch.iterdir(), key=lambda p: p.name == "metrics.json"):
            fs.put(str(item), f"{path}/{item.name}", recursive=item.is_dir())
        return
    try:
        os.rename(scratch, target)  # refuses a non-empty existing target: the earlier attempt stays
    except OSError:
        if not (Path(target) / "metrics.json").exists():
            raise


def execute(jobs: list[Job], executor: str = "serial", scheduler: str | None = None, workers: int = 2,
            progress: bool = False) -> list[dict]:
    """Run every job (reusing finished ones) on the executor named ``executor`` (``serial``, ``dask``,
    or a plugin's); results in job order. ``scheduler`` and ``workers`` go to the executor."""
    run = get_registry().executors.get(executor).run
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(jobs), desc="runs", unit="run")
    results: list[dict | None] = [None] * len(jobs)
    # A shared run (Job.reported_as) is made once: one job per run directory, its result fanned out.
    asked_by: dict[str, list[int]] = {}
    for index, job in enumerate(jobs):
        asked_by.setdefault(job.target, []).append(index)
    runnable = [dataclasses.replace(jobs[indices[0]], reported_as="") for indices in asked_by.values()]
    keys = [f"bindreg-run-{j.key}" for j in runnable]
    for index, result in run(run_job, runnable, keys, {"scheduler": scheduler, "workers": workers}):
        for asked in asked_by[runnable[index].target]:
            results[asked] = as_requested(jobs[asked], result)
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    return results


def compare(models: list[str], data: list[str], task: str, protocol: Protocol, out: Path, runs: str = "runs",
            seed: int = 0, executor: str = "serial", scheduler: str | None = None, workers: int = 2,
            sizes: tuple[int, ...] = PAPER_SIZES, size_models: tuple[str, ...] = DEFAULT_SIZE_MODELS,
            reference: str | None = None, options: dict[str, dict] | None = None, progress: bool = False,
            analyse_motifs: bool = True, extra_seeds: tuple[int, ...] = (), seed_models: tuple[str, ...] = (),
            finished_only: bool = False, announce=None, reuse: tuple[str, ...] = ()):
    """Plan, run what is missing, write the report folder ``out``; returns the report's summary.

    ``extra_seeds``: ``seed_models`` (those of ``models`` by default) are also run at these seeds,
    full size only, for the report's seed spread. ``finished_only``: run nothing; report the
    finished runs and list the missing ones in the report (a sweep still under way).
    ``announce(text)`` is told the plan (runs to do, reused, data-size runs) before anything runs;
    ``reuse``: other run stores (folders or globs) whose finished runs are read where they lie."""
    from ..core.fsutil import check_replaceable
    from ..host.plugins import get_registry
    from .report import write_report

    check_replaceable(Path(out), ("summary.json", "report.md"))  # before the runs, not after them
    stores = tuple(reuse_stores(reuse))
    jobs = plan(models, data, task, protocol, runs, seed, sizes, size_models, options, analyse_motifs, stores)
    for extra in extra_seeds:
        if extra != seed:
            jobs += plan([m for m in (seed_models or models) if m in models], data, task, protocol, runs, extra,
                         (), (), options, analyse_motifs, stores)
    if not _is_url(runs) and not finished_only:
        Path(runs).mkdir(parents=True, exist_ok=True)  # the run store exists even when every run is reused
    if announce is not None:
        announce(describe_plan(jobs))
    missing = []
    if finished_only:
        finished = [_read_finished(job.target) for job in jobs]
        missing = [job for job, done in zip(jobs, finished) if done is None]
        results = [as_requested(job, {**done, "reused": True}) for job, done in zip(jobs, finished) if done is not None]
        if not results:
            raise BindregError("--finished-only: none of the planned runs has finished yet in the run store")
    else:
        results = execute(jobs, executor, scheduler, workers, progress)
    registry = get_registry()
    recommended = next((m for m in models if m in registry.architectures
                        and registry.architectures.get(m).recommended), None)
    return write_report(results, out, models, task, reference, seed, recommended,
                        missing=[{"model": j.reported_as or j.model, "dataset": j.dataset, "seed": j.seed, "train_size": j.train_size}
                                 for j in missing])


def describe_plan(jobs: list[Job]) -> str:
    """The plan in a few lines: how many runs, how many are reused, which are the data-size study's."""
    shared = [job for job in jobs if job.reported_as]
    jobs = list({job.target: job for job in jobs}.values())  # one per run directory
    finished = [_read_finished(job.target) is not None for job in jobs]
    sized = [job for job in jobs if job.train_size is not None]
    experiments = sorted({job.dataset for job in jobs})
    lines = [f"plan: {len(jobs)} run(s) over {len(experiments)} experiment(s): {sum(finished)} finished (reused), "
             f"{len(jobs) - sum(finished)} to run"]
    if shared:
        names = sorted({f"{job.reported_as} = {job.model}" for job in shared})
        lines.append(f"  {len(shared)} shared: the same function at this length, one run for both ({'; '.join(names)})")
    if sized:
        by_size: dict[int, list[str]] = {}
        for job in sized:
            by_size.setdefault(job.train_size, []).append(f"{job.model} on {job.dataset}")
        lines.append(f"  including {len(sized)} data-size run(s) (--sizes; '' for none): " + "; ".join(
            f"{size} sequences: {', '.join(names)}" for size, names in sorted(by_size.items())))
    return "\n".join(lines)


def read_params(path: Path) -> dict:
    """``models`` (a list), ``budget`` and ``seed`` from a DVC ``params.yaml``; absent keys are left out."""
    import yaml

    from ..core.validate import input_file

    input_file(path, "params")
    try:
        params = yaml.safe_load(Path(path).read_text(encoding="utf-8-sig"))
        params = {} if params is None else params
    except FileNotFoundError:
        raise BindregError(f"{path}: params file not found") from None
    except yaml.YAMLError as exc:
        raise BindregError(f"{path}: not valid YAML ({' '.join(str(exc).split())[:120]})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BindregError(f"{path}: cannot read the params file ({getattr(exc, 'strerror', None) or exc})") from None
    if not isinstance(params, dict):
        raise BindregError(f"{path}: expected a YAML mapping (models:, budget:, seed:, sizes:), found "
                           f"{type(params).__name__}")
    from ..train.training import BUDGETS

    chosen = {k: params[k] for k in ("models", "budget", "seed", "sizes") if k in params}
    if "models" in chosen and not (isinstance(chosen["models"], list) and chosen["models"]
                                   and all(isinstance(m, str) and m for m in chosen["models"])):
        raise BindregError(f"{path}: models must be a non-empty list of model names")
    if "budget" in chosen and (not isinstance(chosen["budget"], str) or chosen["budget"] not in BUDGETS):
        raise BindregError(f"{path}: budget {chosen['budget']!r} is not one of {', '.join(BUDGETS)}")
    if "seed" in chosen and (not isinstance(chosen["seed"], int) or isinstance(chosen["seed"], bool)):
        raise BindregError(f"{path}: seed {chosen['seed']!r} is not a whole number")
    if "sizes" in chosen and not (isinstance(chosen["sizes"], list) and all(
            isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in chosen["sizes"])):
        raise BindregError(f"{path}: sizes must be a list of positive whole numbers (or [] for none)")
    return chosen


def parse_sizes(text: str) -> tuple[int, ...]:
    """``"2500,10000"`` -> ``(2500, 10000)``; anything but positive whole numbers is one refusal."""
    sizes = []
    for value in (v.strip() for v in text.split(",")):
        if not value:
            continue
        if not value.isdigit() or int(value) < 1:
            raise BindregError(f"--sizes {text!r}: {value!r} is not a positive whole number; write e.g. "
                               "--sizes 2500,10000 or --sizes '' for none")
        sizes.append(int(value))
    return tuple(sizes)


def parse_options(values: list[str]) -> dict[str, dict]:
    """``["pwm.tf=STAT3", "gkmsvm.max_positives=1000"]`` -> ``{"pwm": {"tf": "STAT3"}, ...}``."""
    parsed: dict[str, dict] = {}
    for value in values:
        head, sep, setting = value.partition("=")
        model, dot, name = head.partition(".")
        if not (sep and dot and model and name):
            raise BindregError(f"--option {value!r}: write MODEL.NAME=VALUE, for example pwm.tf=STAT3")
        parsed.setdefault(model, {})[name] = int(setting) if setting.isdigit() else setting
    return parsed
