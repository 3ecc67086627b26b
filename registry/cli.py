"""The ``bindreg`` command line: each command is one call into the library.

A ``BindregError`` becomes one line on stderr and exit status 1; nothing else
is caught, so a real bug still shows its traceback.
"""

from __future__ import annotations

import json
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
    model: Annotated[str, typer.Option("--model", "-m", help="Architecture name (see `bindreg models`).")],
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
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
):
    """Train and test one model on one dataset with the paper's protocol.

    Random search over the model's hyper-parameter space, training of the best setting with the best validation iteration kept, then one evaluation on the test split.

    Example: [bold]bindreg run --model 1layer_128motif --data ../shared/data/zeng_md_stat3_helas3[/bold]
    """
    from dataclasses import replace

    from .runs import run as run_model
    from .training import BUDGETS

    protocol = replace(BUDGETS[budget.value].with_overrides(
        settings=settings, search_minibatches=search_minibatches, train_minibatches=train_minibatches),
        both_strands=both_strands)
    summary = run_model(model, task, data, protocol, seed=seed, device=device, runs_root=runs,
                        split_seed=split_seed, labels=labels, test=test, progress=_progress(quiet), out=out)
    test_metrics = summary.metrics["test"]
    budget_note = " [reduced budget]" if summary.metrics["protocol"]["reduced"] else ""
    typer.echo(f"{model} on {summary.metrics['dataset']} ({task}){budget_note}: "
               f"test AUROC {test_metrics['auroc']:.4f}  AUPRC {test_metrics['auprc']:.4f}  "
               f"accuracy {test_metrics['accuracy']:.4f}")
    typer.echo(f"chosen {json.dumps(summary.metrics['hyperparameters'])}, best iteration "
               f"{summary.metrics['best_iteration']}, {summary.metrics['wall_seconds']['total']:.0f} s")
    typer.echo(f"run directory: {summary.directory}")


def _table(rows: list[list[str]], header: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*header, box=None, header_style="bold")
    for row in rows:
        table.add_row(*row)
    Console(width=160).print(table)


@app.command()
def models():
    """List the architectures that installed plugins register.

    Example: [bold]bindreg models[/bold]
    """
    from .plugins import get_registry

    catalog = get_registry().architectures
    _table([[a.name, a.description, catalog.plugin_of(a.name)] for a in catalog],
           ["model", "description", "plugin"])


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
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
):
    """Generate a benchmark compendium: a synthetic genome of human composition with planted JASPAR sites, and narrowPeak files marking the bound ones.

    Bound sites depend on a co-factor motif at a preferred position, motif strength and GC (see docs/occupancy.md), so occupancy has more than the motif to learn.

    Example: [bold]bindreg data generate-compendium compendium --tfs CTCF,GATA1:RUNX1 --genome-mb 20 --seed 2016[/bold]
    """
    from .compendium import generate_compendium

    manifest = generate_compendium(outdir, tfs, genome_mb, sites, seed, bgzip, progress=not quiet)
    typer.echo(f"{outdir}: {manifest['genome_mb']} Mb genome ({manifest['genome']}), seed {manifest['seed']}")
    for entry in manifest["tfs"]:
        typer.echo(f"  {entry['tf']} {entry['motif']['matrix_id']} (co-factor {entry['cofactor']['name']}): "
                   f"{entry['sites']} sites, {entry['bound_sites']} bound, {entry['motifless_peaks']} motif-less "
                   f"peaks -> {entry['peaks']}")


@data_app.command("show")
def data_show(store: Annotated[Path, typer.Argument(help="A Zarr store made by bindreg.")],
              as_json: Annotated[bool, typer.Option("--json", help="Print the full provenance as JSON.")] = False):
    """Validate a store and print its counts and provenance.

    Example: [bold]bindreg data show gm12878.zarr --json[/bold]
    """
    from .store import open_store, provenance

    dataset = open_store(store)
    if as_json:
        typer.echo(json.dumps({"attrs": {k: v for k, v in dataset.attrs.items() if k != "provenance"},
                               "provenance": provenance(dataset)}, indent=2, sort_keys=True))
        return
    _describe(store, dataset)


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
    for entry in record.get("inputs", []):
        typer.echo(f"  input ({entry.get('role', '?')}): {entry.get('path')} sha256 {entry.get('sha256', '?')[:16]}...")
    details = {k: v for k, v in record.items() if k not in ("inputs", "matching", "dropped")
               and not isinstance(v, (dict, list))}
    typer.echo("  " + ", ".join(f"{k}: {v}" for k, v in sorted(details.items())))
    typer.echo(f"  full provenance: bindreg data show {path} --json")


def main() -> None:
    app()
