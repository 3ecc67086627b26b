"""The ``bindreg`` command line: each command is one call into the library.

A ``BindregError`` becomes one line on stderr and exit status 1; nothing else
is caught, so a real bug still shows its traceback.
"""

from __future__ import annotations

import json
import re
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import click
import typer
from typer.core import TyperGroup

from .errors import BindregError


class _OneLineErrors(TyperGroup):
    """Turn the library's errors into one line and exit 1; Ctrl-C into exit 130."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BindregError as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            typer.echo("Interrupted: nothing partial was kept.", err=True)
            raise typer.Exit(130) from None


def _group(**kwargs) -> typer.Typer:
    return typer.Typer(cls=_OneLineErrors, no_args_is_help=True, pretty_exceptions_enable=False,
                       rich_markup_mode="rich", **kwargs)


app = _group(help="bindreg: train, compare and share models of where transcription factors bind DNA.\n\n"
                  "Start with [bold]bindreg run --model 2layer --task discovery[/bold] (bundled data, CPU, "
                  "minutes), then [bold]bindreg models[/bold] and [bold]bindreg plugins[/bold].")
data_app = _group(help="Encode, inspect and list datasets.")
app.add_typer(data_app, name="data")


class Budget(str, Enum):
    paper = "paper"
    demo = "demo"
    smoke = "smoke"


def _progress(quiet: bool):
    """A tqdm bar per protocol phase; the callback receives the absolute step count."""
    if quiet:
        return None
    from tqdm.auto import tqdm

    def start(label: str, total: int):
        # In a log (no terminal) a bar redrawn twice a second floods the file; every 15 s is plenty.
        interval = 0.5 if sys.stderr.isatty() else 15
        bar = tqdm(total=total, desc=f"{label:>6}", unit="minibatch", mininterval=interval, file=sys.stderr)

        def advance(done: int) -> None:
            if done - bar.n >= 25 or done == total:
                bar.update(done - bar.n)
                if done == total:
                    bar.close()

        return advance

    return start


@app.command()
def run(
    model: Annotated[str, typer.Option("--model", "-m", help="Architecture or baseline name (see `bindreg models`).")],
    task: Annotated[str, typer.Option("--task", "-t", help="Task name, e.g. discovery.")] = "discovery",
    data: Annotated[str, typer.Option("--data", "-d", help="Registered dataset name or a path to a .data, "
                                      ".seq or FASTA file, an experiment folder, or a Zarr store.")]
    = "synthetic_ctcf",
    labels: Annotated[Optional[Path], typer.Option(help="Label file for a FASTA input ('name label' lines).")]
    = None,
    test: Annotated[Optional[Path], typer.Option(help="A separate test input; default: the format's "
                                                 "companion (test.data, *_B.seq) or a 20% split.")] = None,
    budget: Annotated[Budget, typer.Option(help="paper: the full protocol; demo: minutes; smoke: seconds.")]
    = Budget.paper,
    settings: Annotated[Optional[int], typer.Option(help="Hyper-parameter settings to search.", min=1)] = None,
    search_minibatches: Annotated[Optional[int], typer.Option(help="Minibatches per searched setting.",
                                                              min=1)] = None,
    train_minibatches: Annotated[Optional[int], typer.Option(help="Minibatches of final training.", min=1)]
    = None,
    both_strands: Annotated[bool, typer.Option("--both-strands", help="Train on reverse complements too and "
                                               "score both strands (not in the paper; gkm-SVM does it).")]
    = False,
    seed: Annotated[int, typer.Option(help="Seed of initialisation, dropout and minibatch order.")] = 0,
    split_seed: Annotated[int, typer.Option(help="Seed of negatives and the train/valid/test split.")] = 0,
    device: Annotated[str, typer.Option(help="cpu, gpu or gpu:N (needs a CUDA build of MXNet).")] = "cpu",
    runs: Annotated[Path, typer.Option(help="Folder that holds run directories.")] = Path("runs"),
    out: Annotated[Optional[Path], typer.Option(help="Exact run directory (default: "
                                                "RUNS/DATASET/TASK/MODEL-seedN).")] = None,
    train_size: Annotated[Optional[int], typer.Option(help="Train on this many sequences drawn from the "
                                                      "training split (the data-size study).", min=1)] = None,
    option: Annotated[Optional[list[str]], typer.Option("--option", help="A baseline setting NAME=VALUE, e.g. "
                                                        "tf=STAT3 for pwm or max_positives=1000 for gkmsvm.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
):
    """Train and test one model (network or baseline) on one dataset with the paper's protocol.

    Random search over the model's hyper-parameter space, training of the best setting with the best validation iteration kept, then one evaluation on the test split.

    A baseline (gkmsvm, kmer_lr, pwm) is fitted on the train and valid splits and tested once, into a run directory of the same shape.

    Example: [bold]bindreg run --model 1layer_128motif --data ../shared/data/zeng_md_stat3_helas3[/bold]
    """
    from dataclasses import replace

    from .compare import parse_options

    from .runs import run as run_model
    from .training import BUDGETS

    protocol = replace(BUDGETS[budget.value].with_overrides(
        settings=settings, search_minibatches=search_minibatches, train_minibatches=train_minibatches),
        both_strands=both_strands)
    summary = run_model(model, task, data, protocol, seed=seed, device=device, runs_root=runs,
                        split_seed=split_seed, labels=labels, test=test, progress=_progress(quiet), out=out,
                        train_size=train_size, options=parse_options([f"{model}.{o}" for o in option or []]).get(model))
    test_metrics = summary.metrics["test"]
    budget_note = " [reduced budget]" if summary.metrics["protocol"]["reduced"] else ""
    typer.echo(f"{model} on {summary.metrics['dataset']} ({task}){budget_note}: "
               f"test AUROC {test_metrics['auroc']:.4f}  AUPRC {test_metrics['auprc']:.4f}"
               + (f"  accuracy {test_metrics['accuracy']:.4f}" if "accuracy" in test_metrics else ""))
    if "hyperparameters" in summary.metrics:
        typer.echo(f"chosen {json.dumps(summary.metrics['hyperparameters'])}, best iteration "
                   f"{summary.metrics['best_iteration']}, {summary.metrics['wall_seconds']['total']:.0f} s")
    else:
        typer.echo(f"fitted on {summary.metrics['train_size']} sequences in "
                   f"{summary.metrics['wall_seconds']['train']:.1f} s")
    typer.echo(f"run directory: {summary.directory}")


class Executor(str, Enum):
    serial = "serial"
    dask = "dask"


@app.command()
def compare(
    out: Annotated[Path, typer.Option("--out", "-o", help="Report folder to write (replaced whole).")],
    data: Annotated[list[str], typer.Option("--data", "-d", help="A dataset (name, file, folder or store; "
                                            "a glob such as 'stores/*.zarr' is expanded); repeat once per experiment.")],
    models: Annotated[str, typer.Option("--models", "-m", help="Models and baselines, comma- or space-separated "
                                        "(see `bindreg models`).")] = "1layer,1layer_128motif,deepbind,kmer_lr,pwm",
    task: Annotated[str, typer.Option("--task", "-t", help="Task name.")] = "discovery",
    budget: Annotated[Budget, typer.Option(help="Protocol budget of the networks.")] = Budget.paper,
    settings: Annotated[Optional[int], typer.Option(help="Hyper-parameter settings to search.", min=1)] = None,
    search_minibatches: Annotated[Optional[int], typer.Option(help="Minibatches per searched setting.",
                                                              min=1)] = None,
    train_minibatches: Annotated[Optional[int], typer.Option(help="Minibatches of final training.", min=1)]
    = None,
    seed: Annotated[int, typer.Option(help="Seed of every run (same seed, same result, on any executor).")] = 0,
    sizes: Annotated[str, typer.Option(help="Training-set sizes of the data-size study, comma-separated; each is "
                                       "run where the data have more ('' for none).")] = "2500,10000,40000",
    size_models: Annotated[str, typer.Option(help="Models of the data-size study.")]
    = "1layer,1layer_128motif,2layer,3layer",
    reference: Annotated[Optional[str], typer.Option(help="Model on the x axis of the scatter plots "
                                                     "(default: deepbind if run, else 1layer).")] = None,
    option: Annotated[Optional[list[str]], typer.Option("--option", help="A baseline setting MODEL.NAME=VALUE, "
                                                        "e.g. pwm.tf=STAT3 or gkmsvm.max_positives=1000.")] = None,
    executor: Annotated[Executor, typer.Option(help="serial: one run after another here; dask: Dask "
                                               "distributed (a local cluster unless --scheduler).")] = Executor.serial,
    scheduler: Annotated[Optional[str], typer.Option(help="Dask scheduler address, tcp://host:port.")] = None,
    workers: Annotated[int, typer.Option(help="Workers of the local Dask cluster.", min=1)] = 2,
    runs: Annotated[str, typer.Option(help="Run store shared by all workers: a folder or an fsspec URL. "
                                      "Finished runs in it are reused.")] = "runs",
    params: Annotated[Optional[Path], typer.Option(help="A DVC params.yaml whose models (list), budget, seed "
                                                   "and sizes (list) replace those options.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
):
    """Compare models x experiments for one task, as Zeng et al. did, and write a report.

    Runs what is missing (finished runs are found by model, dataset content hash, task, settings and seed), then writes report.md, a self-contained report.html and PNG figures: AUC distributions, scatter against a reference with R², the AUC-change heat map against 1layer (Ward clustering), AUC against training-set size, seconds per 500,000 samples, Wilcoxon p-values and which of the paper's findings hold.

    Example: [bold]bindreg compare -d ../shared/data/zeng_md_stat3_helas3 -d ../shared/data/zeng_md_stat3_gm12878 -m 1layer,1layer_128motif,deepbind,gkmsvm --budget demo -o report[/bold]
    """
    from .compare import compare as run_compare, parse_options, read_params
    from .training import BUDGETS

    if params is not None:
        chosen = read_params(params)
        models = ",".join(chosen.get("models", [models]))
        budget = Budget(chosen.get("budget", budget.value))
        seed = chosen.get("seed", seed)
        sizes = ",".join(str(s) for s in chosen.get("sizes", sizes.split(",")))
    protocol = BUDGETS[budget.value].with_overrides(
        settings=settings, search_minibatches=search_minibatches, train_minibatches=train_minibatches)
    summary = run_compare([m for m in re.split(r"[,\s]+", models) if m], data, task, protocol, out,
                          runs=runs, seed=seed, executor=executor.value, scheduler=scheduler, workers=workers,
                          sizes=tuple(int(s) for s in sizes.split(",") if s.strip()),
                          size_models=tuple(m.strip() for m in size_models.split(",") if m.strip()),
                          reference=reference, options=parse_options(option or []), progress=not quiet)
    typer.echo(f"{summary['runs']} runs ({summary['reused']} reused) on {len(summary['experiments'])} experiments")
    for model, value in sorted(summary["median_auc"].items(), key=lambda kv: -kv[1]):
        typer.echo(f"  {model:>18}: median AUC {value:.4f}")
    held = [f for f in summary["findings"] if f["holds"] is not None]
    typer.echo(f"paper findings holding here: {sum(f['holds'] for f in held)} of {len(held)} tested")
    typer.echo(f"report: {out / 'report.html'}")


def _table(rows: list[list[str]], header: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*header, box=None, header_style="bold")
    for row in rows:
        table.add_row(*row)
    Console(width=160).print(table)


@app.command()
def models():
    """List the architectures and baselines that installed plugins register (both run with --model).

    Example: [bold]bindreg models[/bold]
    """
    from .plugins import get_registry

    registry = get_registry()
    _table([[a.name, kind, a.description, catalog.plugin_of(a.name)]
            for kind, catalog in (("network", registry.architectures), ("baseline", registry.baselines))
            for a in catalog], ["model", "kind", "description", "plugin"])


@app.command()
def plugins(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False):
    """List every installed plugin, its version and what it registers.

    Example: [bold]bindreg plugins --json[/bold]
    """
    from dataclasses import asdict

    from .plugins import get_registry

    registry = get_registry()
    if as_json:
        typer.echo(json.dumps([asdict(p) for p in registry.plugins], indent=2))
        return
    _table([[p.name, f"{p.distribution} {p.version}", p.module,
             "; ".join(f"{kind}: {', '.join(names)}" for kind, names in p.registered.items()) or "-"]
            for p in registry.plugins], ["plugin", "package", "module", "registers"])


@app.command()
def tasks():
    """List the learning tasks that installed plugins register."""
    from .plugins import get_registry

    catalog = get_registry().tasks
    _table([[t.name, t.description, catalog.plugin_of(t.name)] for t in catalog], ["task", "description", "plugin"])


@data_app.command("list")
def data_list():
    """List named datasets and the input formats bindreg reads.

    Example: [bold]bindreg data list[/bold]
    """
    from .plugins import get_registry

    registry = get_registry()
    _table([[d.name, d.description] for d in registry.datasets], ["dataset", "description"])
    typer.echo("")
    _table([[f.name, " ".join(f.suffixes), f.description] for f in registry.formats],
           ["format", "suffixes", "description"])


@data_app.command("encode")
def data_encode(
    data: Annotated[str, typer.Argument(help="Registered dataset name, file or experiment folder.")],
    task: Annotated[str, typer.Option("--task", "-t", help="Task that labels the sequences.")] = "discovery",
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Store path (default: the cache in "
                                                "$BINDREG_HOME).")] = None,
    labels: Annotated[Optional[Path], typer.Option(help="Label file for a FASTA input.")] = None,
    test: Annotated[Optional[Path], typer.Option(help="A separate test input.")] = None,
    split_seed: Annotated[int, typer.Option(help="Seed of negatives and the split.")] = 0,
):
    """Encode a dataset for a task into a validated Zarr store (one-hot, labels, splits, provenance).

    Example: [bold]bindreg data encode ../shared/data/zeng_md_stat3_gm12878 -o gm12878.zarr[/bold]
    """
    from .datasets import prepare

    path, dataset = prepare(data, task, split_seed=split_seed, labels=labels, test=test, out=out,
                            refresh=out is not None)
    _describe(path, dataset)


@data_app.command("prepare")
def data_prepare(
    genome: Annotated[Path, typer.Option(help="Indexed FASTA genome, plain or bgzip (.fai/.gzi built beside it).")],
    peaks: Annotated[Path, typer.Option(help="Peaks: ENCODE narrowPeak (summit-aware) or BED (3+ columns).")],
    task: Annotated[str, typer.Option("--task", "-t", help="discovery (peak centres vs dinucleotide shuffles) "
                                      "or occupancy (bound vs unbound motif instances, matched).")] = "discovery",
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Store path (default: the cache in "
                                                "$BINDREG_HOME).")] = None,
    tf: Annotated[Optional[str], typer.Option(help="Occupancy: the TF's JASPAR name (latest CORE matrix).")] = None,
    motif: Annotated[Optional[str], typer.Option(help="Occupancy: a JASPAR matrix ID instead, e.g. MA0139.2.")]
    = None,
    motif_file: Annotated[Optional[Path], typer.Option(help="Occupancy: a MEME or JASPAR motif file instead.")]
    = None,
    regions: Annotated[Optional[Path], typer.Option(help="Occupancy: scan only these BED regions "
                                                    "(default: the whole genome).")] = None,
    position_uncontrolled: Annotated[bool, typer.Option(help="Occupancy: place the motif anywhere in positive "
                                                        "windows (the paper's Supplementary Fig. S2 variant).")]
    = False,
    fimo_threshold: Annotated[float, typer.Option(help="Occupancy: FIMO p-value threshold for instances.")] = 1e-4,
    split_seed: Annotated[int, typer.Option(help="Seed of negatives, matching and the split.")] = 0,
    plot: Annotated[Optional[Path], typer.Option(help="Occupancy: draw GC and motif-score distributions before "
                                                 "and after matching to this PNG.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
):
    """Build a task from a genome and peaks into a validated Zarr store, recording input hashes and dropped records.

    Discovery: the central 101 bp of each peak against dinucleotide shuffles. Occupancy: 101 bp windows centred on FIMO instances of the TF's motif, labelled by overlap with any peak, negatives matched to positives on GC content and motif score (KS statistics printed and stored).

    Example: [bold]bindreg data prepare --task occupancy --genome genome.fa --peaks peaks/CTCF.narrowPeak --tf CTCF -o ctcf-occupancy.zarr[/bold]
    """
    from .catalog import GenomeInputs
    from .datasets import prepare_from_genome

    inputs = GenomeInputs(genome, peaks, tf=tf, matrix_id=motif, motif_file=motif_file, regions=regions,
                          position_uncontrolled=position_uncontrolled, fimo_threshold=fimo_threshold,
                          progress=not quiet)
    path, dataset = prepare_from_genome(task, inputs, split_seed=split_seed, out=out, refresh=out is not None,
                                        plot=plot)
    _describe(path, dataset)


@data_app.command("generate-compendium")
def data_generate_compendium(
    outdir: Annotated[Path, typer.Argument(help="Folder to write (replaced whole if it exists).")],
    tfs: Annotated[str, typer.Option(help="Comma-separated JASPAR TF names, each optionally TF:COFACTOR.")]
    = "CTCF",
    genome_mb: Annotated[float, typer.Option(help="Genome size in Mb.", min=0.1)] = 20.0,
    sites: Annotated[int, typer.Option(help="Planted motif sites per TF.", min=10)] = 2500,
    seed: Annotated[int, typer.Option(help="Seed: the same arguments give the same files.")] = 2016,
    bgzip: Annotated[bool, typer.Option(help="Write genome.fa.gz (bgzip) instead of genome.fa.")] = False,
    spec: Annotated[Optional[Path], typer.Option(help="A JSON file of these settings (tfs, genome_mb, "
                                                 "sites_per_tf, seed, bgzip); it overrides the options.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
):
    """Generate a benchmark compendium: a synthetic genome of human composition with planted JASPAR sites, and narrowPeak files marking the bound ones.

    Bound sites depend on a co-factor motif at a preferred position, motif strength and GC (see docs/occupancy.md), so occupancy has more than the motif to learn.

    Example: [bold]bindreg data generate-compendium compendium --tfs CTCF,GATA1:RUNX1 --genome-mb 20 --seed 2016[/bold]
    """
    from .compendium import generate_compendium, read_spec

    settings = {"tfs": tfs, "genome_mb": genome_mb, "sites_per_tf": sites, "seed": seed, "bgzip": bgzip,
                **(read_spec(spec) if spec else {})}
    manifest = generate_compendium(outdir, progress=not quiet, **settings)
    typer.echo(f"{outdir}: {manifest['genome_mb']} Mb genome ({manifest['genome']}), seed {manifest['seed']}")
    for entry in manifest["tfs"]:
        typer.echo(f"  {entry['tf']} {entry['motif']['matrix_id']} (co-factor {entry['cofactor']['name']}): "
                   f"{entry['sites']} sites, {entry['bound_sites']} bound, {entry['motifless_peaks']} motif-less "
                   f"peaks -> {entry['peaks']}")


@data_app.command("show")
def data_show(store: Annotated[Path, typer.Argument(help="A Zarr store made by bindreg.")]):
    """Validate a store and print its counts and provenance."""
    from .store import open_store

    _describe(store, open_store(store))


def _describe(path: Path, dataset) -> None:
    from .store import counts, provenance

    typer.echo(f"{path}: {dataset.attrs['dataset']} / {dataset.attrs['task']}, "
               f"{dataset.sizes['sample']} sequences of {dataset.attrs['sequence_length']} bp")
    for split, numbers in counts(dataset).items():
        typer.echo(f"  {split:>5}: {numbers['positives']} positives, {numbers['negatives']} negatives")
    typer.echo(f"  content sha256 {dataset.attrs['content_sha256']}")
    record = provenance(dataset)
    if "dropped" in record:
        typer.echo("  dropped records: " + ", ".join(f"{k} {v}" for k, v in record["dropped"].items()))
    matching = record.get("matching")
    if matching:
        typer.echo(f"  matching ({matching['method']}): kept {matching['positives']['kept']} of "
                   f"{matching['positives']['candidates']} bound, {matching['negatives']['kept']} of "
                   f"{matching['negatives']['candidates']} unbound instances")
        for label, key in (("GC content", "gc"), ("motif score", "motif_score")):
            before, after = matching[key]["before"], matching[key]["after"]
            typer.echo(f"    {label:>11} KS: before D={before['statistic']:.3f} p={before['pvalue']:.3g}; "
                       f"after D={after['statistic']:.3f} p={after['pvalue']:.3g}")
    typer.echo("  provenance " + json.dumps(record, sort_keys=True))


def main() -> None:
    app()
