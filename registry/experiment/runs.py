"""One run: a model trained and tested on one dataset for one task, and its run directory.

A run directory holds::

    metrics.json          test AUROC/AUPRC/accuracy/loss, best iteration, chosen
                          hyper-parameters, protocol, wall times
    run.json              what was run: model and plugin, task, dataset store and
                          its content hash, seeds, software versions
    search.jsonl          one line per searched setting with its validation curve
    training_curve.csv    validation metrics of the final training, every checkpoint
    test_predictions.csv  name, label, score for every test sequence
    roc.csv, pr.csv       curve points;  curves.png  the same, drawn
    model-symbol.json, model-0000.params   the exported network (best iteration)
    model-varlen-symbol.json   the same network for sequences of any length (global-max
                          networks only; bindreg.varlen)
    gkm-member.npz, gkm-member.json   a gkm-SVM member scored beside the network, and its
                          weight (recipes with ``gkm_member``; bindreg.score.gkm_member)
    card.md               the model card (bindreg.cards): YAML front matter + Markdown,
    motif_logos.png, motifs.tsv   first-layer filters as logos, matched to JASPAR

It is written to a temporary sibling and renamed into place when complete.
"""

from __future__ import annotations

import csv
import json
import platform
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import mxnet as mx
import numpy as np

from .. import __version__
from .cards import PAPER_CITATION, motif_sequences, write_card
from ..data.datasets import prepare
from ..train.devices import context
from ..core.environment import code_identity, machine_identity
from ..core.errors import BindregError
from ..train.evaluation import binary_metrics, curves
from ..core.fsutil import atomic_directory, check_replaceable
from ..core.record import write_run
from ..host.plugins import get_registry
from ..data.store import SPLITS, counts, provenance, split_codes
from ..train.streaming import DataPath, choose_path, stream_splits
from ..train.splits import load_splits
from ..train.recipe import run_recipe
from ..train.training import Protocol, ProtocolResult, run_protocol
from ..train.tracing import export_length_aware, retrace_fixed_length
from ..train.varlen import load_variable_length_splits
from ..core.validate import inside, path_component

#: An existing folder holding one of these is an earlier run, which a new run may replace.
RUN_MARKERS = ("run.json", "metrics.json")


@dataclass
class RunSummary:
    directory: Path
    metrics: dict


def run(model: str | None, task: str, data: str, protocol: Protocol, seed: int = 0, device: str = "cpu",
        runs_root: Path = Path("runs"), split_seed: int = 0, labels: Path | None = None,
        test: Path | None = None, progress=None, out: Path | None = None, train_size: int | None = None,
        options: dict | None = None, stream: bool = False, memory_budget_gb: float | None = None,
        announce=None, analyse_motifs: bool = True, any_length: bool = False) -> RunSummary:
    """Resolve names through the registry, prepare the data, run the protocol (or fit the baseline),
    write the run directory.

    ``train_size``: train on that many sequences drawn from the training split (seeded by ``seed``;
    the data-size study); ``options``: settings of a baseline (for example ``{"tf": "STAT3"}``).
    ``stream``: read minibatches from the store chunk by chunk (``bindreg.streaming``), which a
    network run also does by itself when its arrays would exceed ``memory_budget_gb``;
    ``announce(line)`` is told which path was taken before training starts;
    ``analyse_motifs=False`` leaves the card's filter-to-JASPAR section for ``bindreg card`` (sweeps).
    ``any_length``: keep sequences of different lengths whole and train on them padded and masked
    (``bindreg.varlen``; docs/varlen.md).
    """
    registry = get_registry()
    model = model or registry.recommended()
    check_model_name(model)
    baseline = registry.baselines.get(model) if model in registry.baselines else None
    if baseline is None:
        architecture = registry.architectures.get(model)
    elif options is None:
        options = {}
    if stream and baseline is not None:
        raise BindregError(f"--stream applies to networks; the baseline {model!r} fits on arrays in memory; "
                           "drop --stream")
    if options and baseline is None:
        raise BindregError(f"options {options} apply to baselines ({', '.join(registry.baselines.names())}), "
                           f"not to the network {model!r}; drop --option")
    registry.tasks.get(task)
    if out is not None:
        check_replaceable(Path(out), RUN_MARKERS)  # before the data are prepared, not after training
    ctx = context(device)
    started = time.perf_counter()
    store_path, dataset = prepare(data, task, split_seed=split_seed, labels=labels, test=test,
                                  any_length=any_length)
    dataset = subsample_training(dataset, train_size, seed, pool=("train", "valid") if baseline else ("train",))
    prepare_seconds = time.perf_counter() - started
    dataset_name = dataset.attrs["dataset"]
    identity = {
        "model": model,
        "plugin": (registry.baselines if baseline else registry.architectures).plugin_of(model),
        "kind": "baseline" if baseline else "network",
        "task": task,
        "dataset": dataset_name,
        "data_argument": data,
        "store": str(store_path),
        "store_content_sha256": dataset.attrs["content_sha256"],
        "split_seed": split_seed,
        "seed": seed,
        "train_size": train_size,
        "device": str(ctx),
        "counts": counts(dataset),
        "provenance": provenance(dataset),
        "sequence_length": int(dataset.attrs["sequence_length"]),
        **varied_lengths(dataset),
        "versions": {"bindreg": __version__, "mxnet": mx.__version__, "numpy": np.__version__,
                     "python": platform.python_version()},
        "code": code_identity(),
        "machine": machine_identity(),
        "command": " ".join(sys.argv),
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    directory = Path(out) if out else run_directory(Path(runs_root), dataset_name, task, f"{model}-seed{seed}")
    check_replaceable(directory, RUN_MARKERS)  # before training, not after it
    if baseline is not None:
        split = dataset["split"].values
        names = dataset["name"].values[split == "test"]
        metrics, scores = _run_baseline(baseline, dataset, seed, options, prepare_seconds, started)
        identity["options"] = options
        test_labels = dataset["label"].values[split == "test"]
        _write_baseline_directory(directory, identity, metrics, names, test_labels, scores)
        return RunSummary(directory, metrics)
    codes = split_codes(dataset["split"])
    data_path = choose_path(dataset, stream, memory_budget_gb, protocol.both_strands)
    if "length" in dataset:
        data_path = variable_length_path(dataset, stream, data_path)
    if announce is not None:
        announce(data_path.describe())
    if "length" in dataset:
        splits = load_variable_length_splits(dataset, ctx, codes)
        identity["sequence_length"] = splits["train"].input_length  # the exported fixed graph's length
    elif data_path.path == "streaming":
        splits = stream_splits(dataset, store_path, ctx)
    else:
        splits = load_splits(dataset, ctx, codes)
    train = run_recipe if architecture.recipe is not None else run_protocol  # its own recipe, or the paper's
    result = train(architecture, splits, protocol, seed, ctx, progress=progress, task=task)
    wall = {"prepare": prepare_seconds, **result.wall_seconds}
    wall["total"] = time.perf_counter() - started
    metrics = _metrics(model, task, dataset_name, protocol, result, wall)
    metrics["train_size"] = int(len(splits["train"]))
    metrics["data_path"] = asdict(data_path)
    identity["search"] = metrics["search"]
    names = dataset["name"].isel(sample=np.flatnonzero(codes == SPLITS.index("test"))).values
    # The card's motif rows are read only when the card analyses motifs (not in --no-motifs sweeps).
    card_onehot, card_labels = motif_sequences(dataset, codes) if analyse_motifs else (None, None)
    _write_run_directory(directory, identity, metrics, result, names, splits["test"].labels,
                         card_onehot, card_labels, analyse_motifs)
    return RunSummary(directory, metrics)


def check_model_name(model: str) -> None:
    """Refuse a name that is neither an architecture nor a baseline, listing both kinds."""
    from ..core.errors import unknown_name

    registry = get_registry()
    if model not in registry.architectures and model not in registry.baselines:
        raise unknown_name("model", model, [*registry.architectures.names(), *registry.baselines.names()],
                           "architectures and baselines; see `bindreg models`")


def run_directory(root: Path, dataset: str, task: str, leaf: str) -> Path:
    """``root/dataset/task/leaf``, each part one plain folder name: a store's ``dataset`` attribute or a
    plugin's name never puts a run outside ``root``."""
    for value, what in ((dataset, "dataset name"), (task, "task name"), (leaf, "run name")):
        path_component(value, what, str(root))
    return inside(root, Path(root) / dataset / task / leaf, "the run directory")


def varied_lengths(dataset) -> dict:
    """What a run records about a store of sequences of different lengths (nothing for a fixed one)."""
    if "length" not in dataset:
        return {}
    return {"any_length": True, "lengths": {"min": int(dataset.attrs["min_length"]),
                                            "max": int(dataset.attrs["max_length"])}}


def variable_length_path(dataset, stream: bool, fixed: DataPath) -> DataPath:
    """Sequences of different lengths are held on the host as uint8 and padded per minibatch."""
    if stream:
        raise BindregError(f"{dataset.attrs['dataset']}: --stream reads fixed-length stores; a store of "
                           "sequences of different lengths is held in memory as uint8 (1 byte a base); drop --stream")
    estimate = dataset["onehot"].size / 1e9
    return DataPath("in_memory", f"sequences of {dataset.attrs['min_length']}-{dataset.attrs['max_length']} bp: "
                    f"~{estimate:.2f} GB of uint8 on the host, each minibatch padded to its longest",
                    estimate, fixed.memory_budget_gb)


def subsample_training(dataset, train_size: int | None, seed: int, pool=("train",)):
    """The dataset with only ``train_size`` sequences (drawn with ``seed``) left in the ``pool``
    splits; the rest are marked ``unused``. The test split is never touched."""
    if train_size is None:
        return dataset
    split = dataset["split"].values.astype("<U8")
    rows = np.flatnonzero(np.isin(split, pool))
    if train_size >= len(rows):
        raise BindregError(f"--train-size {train_size} is not below the {len(rows)} training sequences of "
                           f"{dataset.attrs['dataset']}; give a smaller size or leave it out")
    dropped = np.random.default_rng(seed).permutation(rows)[train_size:]
    split[dropped] = "unused"
    return dataset.assign(split=(("sample",), split))


def _run_baseline(baseline, dataset, seed: int, options: dict, prepare_seconds: float, started: float):
    """Fit on the train and valid splits (a baseline has no search to validate), score the test split once."""
    split = dataset["split"].values
    label = dataset["label"].values
    onehot = dataset["onehot"].values
    training = np.isin(split, ("train", "valid"))
    context = {"dataset": dataset.attrs["dataset"], "task": dataset.attrs["task"], "options": dict(options)}
    tick = time.perf_counter()
    try:
        scorer = baseline.fit(onehot[training], label[training], np.random.default_rng(seed), context)
    except BindregError:
        raise
    except Exception as exc:  # noqa: BLE001 - a plugin's model
        raise BindregError(f"baseline {baseline.name!r} failed to fit on {dataset.attrs['dataset']}: "
                           f"{type(exc).__name__}: {exc}") from None
    train_seconds = time.perf_counter() - tick
    tick = time.perf_counter()
    test = split == "test"
    scores = np.asarray(scorer(onehot[test]), dtype=np.float64)
    test_seconds = time.perf_counter() - tick
    test_metrics = binary_metrics(label[test], scores)
    if not np.all((scores >= 0) & (scores <= 1)):
        test_metrics.pop("accuracy"), test_metrics.pop("loss")  # margins, not probabilities
    offered = int(training.sum())
    count = int(getattr(scorer, "fitted", offered))  # a baseline may fit a sample (gkm-SVM: the paper's cap)
    metrics = {
        "model": baseline.name, "task": dataset.attrs["task"], "dataset": dataset.attrs["dataset"],
        "kind": "baseline", "test": test_metrics, "options": options, "train_size": count,
        "offered_size": offered, "motif": getattr(scorer, "motif", None),
        "protocol": {"budget": "baseline", "reduced": count < offered, "both_strands": None},
        "wall_seconds": {"prepare": prepare_seconds, "train": train_seconds, "test": test_seconds,
                         "total": time.perf_counter() - started},
        # One pass over the training sequences, not minibatches of SGD; kept for the timing table.
        "seconds_per_500k_samples": train_seconds * 500_000 / max(count, 1),
    }
    return metrics, scores


def _write_baseline_directory(directory: Path, identity: dict, metrics: dict, test_names, test_labels,
                              scores) -> None:
    with atomic_directory(directory, replaces=RUN_MARKERS) as scratch:
        write_run(scratch, identity, metrics)
        _write_test_scores(scratch, test_names, test_labels, scores)
        (scratch / "card.md").write_text(
            f"# {identity['model']} on {identity['dataset']} ({identity['task']})\n\n"
            f"Baseline (no network). Test AUROC **{metrics['test']['auroc']:.4f}**, AUPRC "
            f"{metrics['test']['auprc']:.4f}; fitted on {metrics['train_size']} sequences in "
            f"{metrics['wall_seconds']['train']:.1f} s. Options: {json.dumps(identity['options'])}.\n\n"
            f"Citation: {PAPER_CITATION}\n")


def _metrics(model, task, dataset_name, protocol: Protocol, result: ProtocolResult, wall: dict) -> dict:
    final = result.final
    samples = (final.minibatches or protocol.train_minibatches) * protocol.batch_size
    return {
        "model": model,
        "task": task,
        "dataset": dataset_name,
        "test": result.test_metrics,
        "best_iteration": final.best.step,
        "valid_at_best": final.best.metrics,
        "hyperparameters": final.hparams,
        "protocol": {**asdict(protocol), "reduced": protocol.reduced},
        "search": {"mode": result.search_mode, "why_sequential": result.search_note or None},
        "wall_seconds": wall,
        "seconds_per_500k_samples": final.train_seconds * 500_000 / samples,
        **({"members": result.members} if result.members else {}),
    }


def _write_run_directory(directory: Path, identity: dict, metrics: dict, result: ProtocolResult,
                         test_names: np.ndarray, test_labels: np.ndarray, card_onehot: np.ndarray,
                         card_labels: np.ndarray, analyse_motifs: bool = True) -> None:
    """``card_onehot``/``card_labels``: the leading test rows the model card's motifs are read from."""
    with atomic_directory(directory, replaces=RUN_MARKERS) as scratch:
        write_run(scratch, identity, metrics)
        with open(scratch / "search.jsonl", "w") as out:
            for index, setting in enumerate(result.search):
                out.write(json.dumps({
                    "setting": index, "chosen": index == result.chosen, "hyperparameters": setting.hparams,
                    "seed": setting.seed, "best_step": setting.best.step, "best": setting.best.metrics,
                    "curve": [{"step": c.step, **c.metrics} for c in setting.curve],
                    "train_seconds": setting.train_seconds}) + "\n")
        _write_csv(scratch / "training_curve.csv", ["step", *CURVE_METRICS],
                   [[c.step] + [c.metrics[k] for k in CURVE_METRICS] for c in result.final.curve])
        points = _write_test_scores(scratch, test_names, test_labels, result.test_scores)
        retrace_fixed_length(result.final.net, identity["sequence_length"]).export(str(scratch / "model"))
        if result.gkm_member is not None:  # scored beside the network; whole-sequence scoring has no place for it
            result.gkm_member.save(scratch)
        else:
            export_length_aware(result.final.net, scratch, identity["sequence_length"])
        _plot(scratch / "curves.png", identity, metrics, result, points)
        write_card(scratch, identity, metrics, card_onehot, card_labels, analyse_motifs)


CURVE_METRICS = ("accuracy", "auroc", "auprc", "loss")


def _write_test_scores(directory: Path, names, labels, scores) -> dict:
    """test_predictions.csv, roc.csv and pr.csv of one run (network or baseline); returns the curves."""
    _write_csv(directory / "test_predictions.csv", ["name", "label", "score"], zip(names, labels, scores))
    points = curves(labels, scores)
    _write_csv(directory / "roc.csv", ["fpr", "tpr"], zip(points["roc"]["fpr"], points["roc"]["tpr"]))
    _write_csv(directory / "pr.csv", ["recall", "precision"], zip(points["pr"]["recall"], points["pr"]["precision"]))
    return points


def _write_csv(path: Path, header: list[str], rows) -> None:
    with open(path, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)


def _plot(path: Path, identity: dict, metrics: dict, result: ProtocolResult, points: dict) -> None:
    """ROC, precision-recall, and validation accuracy through search and training, side by side."""
    from ..core.figures import new_figure, save_png

    test = metrics["test"]
    figure = new_figure(figsize=(13, 4))
    roc, pr, valid = figure.subplots(1, 3)
    roc.plot(points["roc"]["fpr"], points["roc"]["tpr"], lw=2)
    roc.plot([0, 1], [0, 1], ls="--", color="grey", lw=1)
    roc.set(xlabel="false positive rate", ylabel="true positive rate", title=f"ROC (AUROC {test['auroc']:.3f})")
    pr.plot(points["pr"]["recall"], points["pr"]["precision"], lw=2)
    pr.set(xlabel="recall", ylabel="precision", title=f"Precision-recall (AUPRC {test['auprc']:.3f})",
           ylim=(0, 1.02))
    for index, setting in enumerate(result.search):
        valid.plot([c.step for c in setting.curve], [c.metrics["accuracy"] for c in setting.curve],
                   color="tab:orange" if index == result.chosen else "lightgrey", lw=1)
    valid.plot([c.step for c in result.final.curve], [c.metrics["accuracy"] for c in result.final.curve],
               color="tab:blue", lw=2, label="final training")
    valid.axvline(result.final.best.step, color="tab:blue", ls=":", lw=1)
    valid.set(xlabel="minibatch", ylabel="validation accuracy",
              title="Search (grey; chosen: orange) and training")
    valid.legend(loc="lower right")
    figure.suptitle(f"{identity['model']} on {identity['dataset']} ({identity['task']})")
    figure.tight_layout()
    save_png(figure, path, dpi=110)
