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

from .core.errors import BindregError


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
    options = {"no_args_is_help": True, **kwargs}
    return typer.Typer(cls=_OneLineErrors, pretty_exceptions_enable=False, rich_markup_mode="rich", **options)


app = _group(help="bindreg: train, compare and share models of where transcription factors bind DNA.\n\n"
                  "Start with [bold]bindreg run --model 2layer --task discovery[/bold] (bundled data, CPU, "
                  "minutes), then [bold]bindreg models[/bold] and [bold]bindreg plugins[/bold].")
data_app = _group(help="Encode, inspect and list datasets.")
app.add_typer(data_app, name="data")
models_app = _group(no_args_is_help=False, invoke_without_command=True,
                    help="With no subcommand: the architectures that installed plugins register. "
                         "[bold]list[/bold] and [bold]show[/bold]: models published in a registry.\n\n"
                         "Example: [bold]bindreg models list --from ../registry[/bold]")
app.add_typer(models_app, name="models")


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
    no_pack: Annotated[bool, typer.Option("--no-pack", help="Search one setting at a time instead of all "
                                          "settings in one packed graph (same results; for debugging).")]
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
    stream: Annotated[bool, typer.Option("--stream", help="Read minibatches from the Zarr store chunk by chunk "
                                         "in bounded memory (automatic above --memory-budget).")] = False,
    memory_budget: Annotated[Optional[float], typer.Option(
        help="GB the in-memory arrays may take before the run streams from the store instead "
             "(default $BINDREG_MEMORY_BUDGET_GB or 4).", min=0.001)] = None,
    any_length: Annotated[bool, typer.Option("--any-length", help="Keep sequences of different lengths whole "
                                             "and train on them padded, padding masked (global-max networks; "
                                             "docs/varlen.md). Default: one length required.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
):
    """Train and test one model (network or baseline) on one dataset with the paper's protocol.

    Random search over the model's hyper-parameter space, training of the best setting with the best validation iteration kept, then one evaluation on the test split.

    A baseline (gkmsvm, kmer_lr, pwm) is fitted on the train and valid splits and tested once, into a run directory of the same shape.

    A dataset too big for memory is streamed from its Zarr store (see docs/data.md).

    Example: [bold]bindreg run --model 1layer_128motif --data ../shared/data/zeng_md_stat3_helas3[/bold]

    Example: [bold]bindreg run --model 1layer --data big.zarr --stream[/bold]

    Example: [bold]bindreg run --model 1layer --data peaks.fa --any-length[/bold]  (whole peaks of any width)
    """
    from dataclasses import replace

    from .experiment.compare import parse_options

    from .experiment.runs import run as run_model
    from .train.training import BUDGETS

    protocol = replace(BUDGETS[budget.value].with_overrides(
        settings=settings, search_minibatches=search_minibatches, train_minibatches=train_minibatches),
        both_strands=both_strands, pack=not no_pack)
    summary = run_model(model, task, data, protocol, seed=seed, device=device, runs_root=runs,
                        split_seed=split_seed, labels=labels, test=test, progress=_progress(quiet), out=out,
                        train_size=train_size, options=parse_options([f"{model}.{o}" for o in option or []]).get(model),
                        stream=stream, memory_budget_gb=memory_budget, announce=typer.echo, any_length=any_length)
    test_metrics = summary.metrics["test"]
    budget_note = " [reduced budget]" if summary.metrics["protocol"]["reduced"] else ""
    typer.echo(f"{model} on {summary.metrics['dataset']} ({task}){budget_note}: "
               f"test AUROC {test_metrics['auroc']:.4f}  AUPRC {test_metrics['auprc']:.4f}"
               + (f"  accuracy {test_metrics['accuracy']:.4f}" if "accuracy" in test_metrics else ""))
    if "hyperparameters" in summary.metrics:
        typer.echo(f"chosen {json.dumps(summary.metrics['hyperparameters'])}, best iteration "
                   f"{summary.metrics['best_iteration']}, {summary.metrics['wall_seconds']['total']:.0f} s")
        search = summary.metrics["search"]
        typer.echo(f"search: {search['mode']}" + (f" ({search['why_sequential']})" if search["why_sequential"] else ""))
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
    motifs: Annotated[bool, typer.Option("--motifs/--no-motifs", help="Match each run's filters to JASPAR for its "
                                         "card (~25 s a run on 2 cores); --no-motifs leaves that to "
                                         "`bindreg card RUN` later. Runs are reused either way.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
):
    """Compare models x experiments for one task, as Zeng et al. did, and write a report.

    Runs what is missing (finished runs are found by model, dataset content hash, task, settings and seed), then writes report.md, a self-contained report.html and PNG figures: AUC distributions, scatter against a reference with R², the AUC-change heat map against 1layer (Ward clustering), AUC against training-set size, seconds per 500,000 samples, Wilcoxon p-values and which of the paper's findings hold.

    Example: [bold]bindreg compare -d ../shared/data/zeng_md_stat3_helas3 -d ../shared/data/zeng_md_stat3_gm12878 -m 1layer,1layer_128motif,deepbind,gkmsvm --budget demo -o report[/bold]
    """
    from .experiment.compare import compare as run_compare, parse_options, read_params
    from .train.training import BUDGETS

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
                          reference=reference, options=parse_options(option or []), progress=not quiet,
                          analyse_motifs=motifs)
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


@models_app.callback()
def models(ctx: typer.Context):
    """List the architectures and baselines that installed plugins register (both run with --model); [bold]models list[/bold] lists published models.

    Example: [bold]bindreg models[/bold]
    """
    if ctx.invoked_subcommand is not None:
        return
    from .host.plugins import get_registry

    registry = get_registry()
    _table([[a.name, kind, a.description, catalog.plugin_of(a.name)]
            for kind, catalog in (("network", registry.architectures), ("baseline", registry.baselines))
            for a in catalog], ["model", "kind", "description", "plugin"])


FromRepo = Annotated[Optional[str], typer.Option("--from", help="Git repository (path or URL) the models are "
                                                 "published in; default: the current repository.")]


@models_app.command("list")
def models_list(repo: Annotated[Optional[str], typer.Option("--from", help="A git repository (path or URL) the "
                                                            "models are published in, or a zoo folder; default: "
                                                            "the zoo shipped with bindreg, then the current "
                                                            "repository.")] = None,
                tf: Annotated[Optional[str], typer.Option("--tf", help="Only this factor's models, e.g. STAT3.")]
                = None):
    """List published models: the zoo shipped with bindreg (offline) and a registry's: latest version, stages, factor, task, experiment, test AUROC.

    Example: [bold]bindreg models list --tf STAT3[/bold]; [bold]bindreg models list --from ../registry[/bold]
    """
    from .hub.pull import list_models

    def auroc(meta):
        return f"{meta['auroc']:.4f}" if isinstance(meta.get("auroc"), float) else str(meta.get("auroc", "?"))

    rows = list_models(repo, tf)
    _table([[m["name"], m["latest"], ", ".join(f"{k}: {v}" for k, v in m["stages"].items()) or "-",
             str(m["meta"].get("tf", "-")), str(m["meta"].get("task", "?")), str(m["meta"].get("dataset", "?")),
             auroc(m["meta"]), str(len(m["versions"])), m.get("source", "-")] for m in rows],
           ["name", "latest", "stages", "factor", "task", "experiment", "test AUROC", "versions", "source"])
    if not rows:
        typer.echo("no published models" + (f" for factor {tf}" if tf else ""), err=True)


@models_app.command("show")
def models_show(spec: Annotated[str, typer.Argument(help="NAME or NAME@vX.Y.Z.")], repo: FromRepo = None):
    """Show one published model: its versions, stages and the facts recorded when it was published.

    Example: [bold]bindreg models show 1layer-zeng-md-stat3-helas3 --from ../registry[/bold]
    """
    from .hub.pull import show_model

    typer.echo(json.dumps(show_model(spec, repo), indent=2, sort_keys=True))


@app.command()
def card(run_dir: Annotated[Path, typer.Argument(help="A run directory written by `bindreg run`.")]):
    """Write a run's model card again (card.md, motifs.tsv, motif_logos.png); runs write one already.

    Example: [bold]bindreg card runs/zeng_md_stat3_helas3/discovery/1layer_128motif-seed0[/bold]
    """
    from .experiment.cards import rewrite_card, significant

    matched = [(m.index, significant(m)) for m in rewrite_card(run_dir) if significant(m)]
    typer.echo(f"{run_dir / 'card.md'}: {len(matched)} first-layer filter(s) match a JASPAR motif"
               + (": " + ", ".join(f"filter {i} {b['name']} ({b['matrix_id']})" for i, b in matched[:8])
                  + (" ..." if len(matched) > 8 else "") if matched else ""))


@app.command()
def publish(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `bindreg run`.")],
    repo: Annotated[Path, typer.Option(help="Git repository with DVC and a default remote.")] = Path("."),
    name: Annotated[Optional[str], typer.Option(help="Artifact name (default: MODEL-DATASET, lower case, "
                                                "'-' for '_').")] = None,
    version: Annotated[Optional[str], typer.Option(help="vX.Y.Z (default: the next version).")] = None,
    stage: Annotated[Optional[str], typer.Option(help="Also assign this stage, e.g. prod.")] = None,
    wait: Annotated[float, typer.Option(help="Seconds to wait for another publish into the same "
                                        "repository before refusing.")] = 60.0,
):
    """Publish a run: bundle (network, ONNX, card, test.expect, sha256 manifest) -> DVC artifact, GTO tag, dvc push.

    Example: [bold]bindreg publish runs/zeng_md_stat3_helas3/discovery/1layer-seed0 --stage prod[/bold]
    """
    from .hub.publish import publish as publish_run

    result = publish_run(run_dir, repo, name=name, version=version, stage=stage, wait=wait)
    if result.already:
        typer.echo(f"{result.tag} already holds this bundle (archive sha256 {result.archive_sha256[:12]}...); "
                   "nothing new was published")
    else:
        typer.echo(f"published {result.tag}{f' (stage {result.stage})' if result.stage else ''} in {result.repo}; "
                   f"archive sha256 {result.archive_sha256}")
    if result.note:
        typer.echo(f"note: {result.note}")


@app.command()
def pull(spec: Annotated[str, typer.Argument(help="NAME or NAME@vX.Y.Z.")], repo: FromRepo = None):
    """Download a published model through DVC, verify every sha256 and its expected predictions, cache it.

    Example: [bold]bindreg pull 1layer-zeng-md-stat3-helas3@v0.0.1 --from ../registry[/bold]
    """
    from .hub.pull import pull as pull_model

    result = pull_model(spec, repo)
    checks = ", ".join(f"{engine} within {worst:.1e}" for engine, worst in result.worst_difference.items())
    state = f"downloaded and verified (sha256 of every file; test.expect: {checks})" if result.downloaded \
        else "already cached; sha256 of every file re-checked"
    typer.echo(f"{result.name}@{result.version}: {state}\n{result.directory}")


class Engine(str, Enum):
    mxnet = "mxnet"
    onnxruntime = "onnxruntime"


class Mode(str, Enum):
    auto = "auto"
    whole = "whole"
    windows = "windows"


@app.command()
def predict(
    model: Annotated[str, typer.Argument(help="NAME[@VERSION] of a pulled model, or a bundle or run directory.")],
    fasta: Annotated[Path, typer.Argument(help="FASTA of sequences of any length.")],
    engine: Annotated[Engine, typer.Option(help="mxnet, or onnxruntime alone.")] = Engine.mxnet,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write name<TAB>score here instead of "
                                                "to stdout.")] = None,
    stride: Annotated[int, typer.Option(help="Window step for sequences longer than the model's input "
                                        "(windows mode).", min=1)] = 1,
    mode: Annotated[Mode, typer.Option(help="whole: each sequence whole, padding masked (MXNet, global-max "
                                       "models); windows: best window of the model's length (both engines); "
                                       "auto: the mode the model was tested in (whole for --any-length runs, "
                                       "else windows), the same on both engines.")] = Mode.auto,
):
    """Score sequences: P(bound) of whole peaks of any width, or of their best window; shorter ones padded with N.

    Example: [bold]bindreg predict 1layer-zeng-md-stat3-helas3 peaks.fa --engine onnxruntime -o scores.tsv[/bold]

    Example: [bold]bindreg predict runs/zeng_md_stat3_helas3/discovery/cnn_transformer-seed0 peaks.fa --mode whole[/bold]
    """
    from .score.predict import predict_fasta_with_mode

    names, scores, chosen = predict_fasta_with_mode(model, fasta, engine.value, out, stride,
                                                    mode.value)
    typer.echo(f"mode: {chosen}", err=True)  # always on stderr, so stdout and -o stay a plain TSV
    if out is None:
        typer.echo("name\tscore")
        for name, score in zip(names, scores.tolist()):
            typer.echo(f"{name}\t{score!r}")
    else:
        typer.echo(f"{len(names)} sequences scored with {engine.value}, mode {chosen} -> {out}")


@app.command("score-variants")
def score_variants(
    model: Annotated[str, typer.Argument(help="NAME[@VERSION] of a pulled model, or a bundle or run directory.")],
    vcf: Annotated[Path, typer.Option(help="VCF (plain or gzip); CHROM POS ID REF ALT are read.")],
    fasta: Annotated[Path, typer.Option(help="Indexed FASTA genome the VCF was called on (plain or bgzip).")],
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write the TSV here instead of to stdout.")]
    = None,
    engine: Annotated[Engine, typer.Option(help="mxnet, or onnxruntime alone.")] = Engine.mxnet,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
):
    """Score each variant: P(bound) of the reference and alternative windows (the model's length, centred on the variant) and their difference.

    A REF that does not match the genome, a missing chromosome or a symbolic ALT is noted on that variant's row (no scores) and the rest go on; indels are scored on the ALT haplotype cut to the model's length.

    Example: [bold]bindreg score-variants runs/zeng_md_stat3_helas3/discovery/1layer_rc-seed0 --vcf calls.vcf --fasta hg19.fa -o effects.tsv[/bold]
    """
    from .score.variants import score_variants as score_all

    rows = score_all(model, vcf, fasta, out, engine.value, progress=not quiet and out is not None)
    skipped = sum(r["ref_score"] is None for r in rows)
    if out is None:
        from .score.variants import format_cell

        typer.echo("\t".join(rows[0]))
        for row in rows:
            typer.echo("\t".join(format_cell(v) for v in row.values()))
    else:
        typer.echo(f"{len(rows) - skipped} variant(s) scored, {skipped} not scored (see their note) -> {out}")


@app.command()
def mutagenesis(
    model: Annotated[str, typer.Argument(help="NAME[@VERSION] of a pulled model, or a bundle or run directory.")],
    sequence: Annotated[str, typer.Argument(help="The sequence (A C G T N), or a FASTA file (first record).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The map as PNG; the numbers go beside it as .tsv.")]
    = Path("mutagenesis.png"),
    mode: Annotated[Mode, typer.Option(help="whole, windows or auto (as in bindreg predict).")] = Mode.auto,
    engine: Annotated[Engine, typer.Option(help="mxnet, or onnxruntime alone.")] = Engine.mxnet,
):
    """Draw an in-silico mutagenesis map: the change in P(bound) of every single-base change (heat map 4 x L) under a logo of each base's importance; writes the numbers as TSV.

    Example: [bold]bindreg mutagenesis runs/synthetic_ctcf/discovery/1layer-seed0 ACGT...ACGT -o ctcf.png[/bold]
    """
    import numpy as np

    from .score.variants import mutagenesis as mutate, write_mutation_map

    result = mutate(model, sequence, engine.value, mode.value)
    table = out.with_suffix(".tsv")
    write_mutation_map(result, table, out)
    strongest = np.unravel_index(np.argmin(result.delta), result.delta.shape)
    typer.echo(f"P(bound) {result.reference_score:.4f} ({result.mode} scoring); strongest loss "
               f"{result.delta[strongest]:+.4f} at position {strongest[1] + 1} "
               f"({result.sequence[strongest[1]]}>{'ACGT'[strongest[0]]}) -> {out}, {table}")


@app.command("test")
def test_model(model: Annotated[str, typer.Argument(help="NAME[@VERSION] of a pulled model, or a bundle.")]):
    """Re-check a downloaded model: every sha256, then its expected predictions with MXNet and onnxruntime.

    Example: [bold]bindreg test 1layer-zeng-md-stat3-helas3[/bold]
    """
    from .hub.pull import recheck

    result = recheck(model)
    typer.echo(f"{model}: sha256 of every file ok; test.expect ok ("
               + ", ".join(f"{e} within {w:.1e}" for e, w in result["worst_difference"].items())
               + f")\n{result['directory']}")


@app.command()
def site(out: Annotated[Path, typer.Argument(help="Folder to write the static site into (replaced).")],
         repo: FromRepo = None):
    """Render a static site of a registry: an index (task, experiment, AUROC, logo) and a page per card.

    Example: [bold]bindreg site public --from ../registry[/bold]
    """
    from .hub.site import render_site

    rows = render_site(out, repo)
    typer.echo(f"{len(rows)} model page(s) -> {out / 'index.html'}")


@app.command()
def plugins(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False):
    """List every installed plugin, its version and what it registers.

    Example: [bold]bindreg plugins --json[/bold]
    """
    from dataclasses import asdict

    from .host.plugins import get_registry

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
    from .host.plugins import get_registry

    catalog = get_registry().tasks
    _table([[t.name, t.description, catalog.plugin_of(t.name)] for t in catalog], ["task", "description", "plugin"])


@data_app.command("list")
def data_list():
    """List named datasets and the input formats bindreg reads.

    Example: [bold]bindreg data list[/bold]
    """
    from .host.plugins import get_registry

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
    any_length: Annotated[bool, typer.Option("--any-length", help="Keep sequences of different lengths: N-padded "
                                             "to the longest plus a length variable (docs/varlen.md).")] = False,
):
    """Encode a dataset for a task into a validated Zarr store (one-hot, labels, splits, provenance).

    Example: [bold]bindreg data encode ../shared/data/zeng_md_stat3_gm12878 -o gm12878.zarr[/bold]

    Example: [bold]bindreg data encode peaks.fa --any-length -o peaks.zarr[/bold]
    """
    from .data.datasets import prepare

    path, dataset = prepare(data, task, split_seed=split_seed, labels=labels, test=test, out=out,
                            refresh=out is not None, any_length=any_length)
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
    any_length: Annotated[bool, typer.Option("--any-length", help="Discovery: whole peaks (start to end) instead of "
                                             "the central 101 bp; train with any length (docs/varlen.md).")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
):
    """Build a task from a genome and peaks into a validated Zarr store, recording input hashes and dropped records.

    Discovery: the central 101 bp of each peak against dinucleotide shuffles. Occupancy: 101 bp windows centred on FIMO instances of the TF's motif, labelled by overlap with any peak, negatives matched to positives on GC content and motif score (KS statistics printed and stored).

    Example: [bold]bindreg data prepare --task occupancy --genome genome.fa --peaks peaks/CTCF.narrowPeak --tf CTCF -o ctcf-occupancy.zarr[/bold]

    Example: [bold]bindreg data prepare --genome genome.fa --peaks peaks/CTCF.narrowPeak --any-length -o ctcf-whole.zarr[/bold]
    """
    from .host.catalog import GenomeInputs
    from .data.datasets import prepare_from_genome

    inputs = GenomeInputs(genome, peaks, tf=tf, matrix_id=motif, motif_file=motif_file, regions=regions,
                          position_uncontrolled=position_uncontrolled, fimo_threshold=fimo_threshold,
                          progress=not quiet, any_length=any_length)
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
    from .data.compendium import generate_compendium, read_spec

    settings = {"tfs": tfs, "genome_mb": genome_mb, "sites_per_tf": sites, "seed": seed, "bgzip": bgzip,
                **(read_spec(spec) if spec else {})}
    manifest = generate_compendium(outdir, progress=not quiet, **settings)
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
    from .data.store import open_store, provenance

    dataset = open_store(store)
    if as_json:
        typer.echo(json.dumps({"attrs": {k: v for k, v in dataset.attrs.items() if k != "provenance"},
                               "provenance": provenance(dataset)}, indent=2, sort_keys=True))
        return
    _describe(store, dataset)


def _describe(path: Path, dataset) -> None:
    from .data.store import counts, provenance

    typer.echo(f"{path}: {dataset.attrs['dataset']} / {dataset.attrs['task']}, "
               f"{dataset.sizes['sample']} sequences of " + (
                   f"{dataset.attrs['min_length']}-{dataset.attrs['max_length']} bp (N-padded to the longest, "
                   "with their lengths)" if "length" in dataset else f"{dataset.attrs['sequence_length']} bp"))
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
