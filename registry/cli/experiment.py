"""``bindreg run``, ``compare`` and ``card``: train and test models, compare them, describe a run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import BudgetOpt, Quiet, app, echo_lines, progress


@app.command()
def run(
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="Architecture or baseline name (see "
                                                 "`bindreg models`); default: the recommended model.")] = None,
    task: Annotated[str, typer.Option("--task", "-t", help="Task name, e.g. discovery.")] = "discovery",
    data: Annotated[str, typer.Option("--data", "-d", help="Registered dataset name or a path to a .data, "
                                      ".seq or FASTA file, an experiment folder, or a Zarr store.")]
    = "synthetic_ctcf",
    labels: Annotated[Optional[Path], typer.Option(help="Label file for a FASTA input ('name label' lines).")]
    = None,
    test: Annotated[Optional[Path], typer.Option(help="A separate test input; default: the format's "
                                                 "companion (test.data, *_B.seq) or a 20% split.")] = None,
    budget: BudgetOpt = "paper",
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
    quiet: Quiet = False,
):
    """Train and test one model (network or baseline) on one dataset with the paper's protocol.

    Random search over the model's hyper-parameter space, training of the best setting with the best validation iteration kept, then one evaluation on the test split.

    A baseline (gkmsvm, kmer_lr, pwm) is fitted on the train and valid splits and tested once, into a run directory of the same shape.

    A dataset too big for memory is streamed from its Zarr store (see docs/data.md).

    Example: [bold]bindreg run --model 1layer_128motif --data ../shared/data/zeng_md_stat3_helas3[/bold]

    Example: [bold]bindreg run --model 1layer --data big.zarr --stream[/bold]

    Example: [bold]bindreg run --model 1layer --data peaks.fa --any-length[/bold]  (whole peaks of any width)
    """
    from ..experiment.compare import parse_options
    from ..experiment.runs import run as run_model
    from ..experiment.settings import protocol_for, run_report
    from ..host.plugins import get_registry

    model = model or get_registry().recommended()
    protocol = protocol_for(budget, settings, search_minibatches, train_minibatches, both_strands, not no_pack)
    summary = run_model(model, task, data, protocol, seed=seed, device=device, runs_root=runs,
                        split_seed=split_seed, labels=labels, test=test, progress=progress(quiet), out=out,
                        train_size=train_size, options=parse_options([f"{model}.{o}" for o in option or []]).get(model),
                        stream=stream, memory_budget_gb=memory_budget, announce=typer.echo, any_length=any_length)
    echo_lines(run_report(model, task, summary))


@app.command()
def compare(
    out: Annotated[Path, typer.Option("--out", "-o", help="Report folder to write (replaced whole).")],
    data: Annotated[list[str], typer.Option("--data", "-d", help="A dataset (name, file, folder or store; "
                                            "a glob such as 'stores/*.zarr' is expanded); repeat once per experiment.")],
    models: Annotated[str, typer.Option("--models", "-m", help="Models and baselines, comma- or space-separated "
                                        "(see `bindreg models`).")] = "1layer,1layer_128motif,deepbind,kmer_lr,pwm",
    task: Annotated[str, typer.Option("--task", "-t", help="Task name.")] = "discovery",
    budget: Annotated[str, typer.Option(help="Protocol budget of the networks: paper, demo or smoke.")] = "paper",
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
    executor: Annotated[str, typer.Option(help="serial: one run after another here; dask: Dask distributed "
                                          "(a local cluster unless --scheduler); or a plugin's executor.")] = "serial",
    scheduler: Annotated[Optional[str], typer.Option(help="Dask scheduler address, tcp://host:port.")] = None,
    workers: Annotated[int, typer.Option(help="Workers of the local Dask cluster.", min=1)] = 2,
    runs: Annotated[str, typer.Option(help="Run store shared by all workers: a folder or an fsspec URL. "
                                      "Finished runs in it are reused.")] = "runs",
    reuse: Annotated[Optional[list[str]], typer.Option("--reuse", help="Another run store (folder or glob) whose "
                                                       "finished runs of the same key are read in place, not "
                                                       "made again; repeatable.")] = None,
    params: Annotated[Optional[Path], typer.Option(help="A DVC params.yaml whose models (list), budget, seed "
                                                   "and sizes (list) replace those options.")] = None,
    motifs: Annotated[bool, typer.Option("--motifs/--no-motifs", help="Match each run's filters to JASPAR for its "
                                         "card (~25 s a run on 2 cores); --no-motifs leaves that to "
                                         "`bindreg card RUN` later. Runs are reused either way.")] = True,
    extra_seeds: Annotated[str, typer.Option(help="Other seeds to run --seed-models at, comma-separated, for "
                                             "the report's seed spread ('' for none).")] = "",
    seed_models: Annotated[str, typer.Option(help="Models run at --extra-seeds (default: all of --models).")] = "",
    finished_only: Annotated[bool, typer.Option("--finished-only", help="Run nothing: report the finished runs "
                                                "of the plan and list the missing ones (a sweep under way).")]
    = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
):
    """Compare models x experiments for one task, as Zeng et al. did, and write a report.

    Runs what is missing (finished runs are found by model, dataset content hash, task, settings and seed), then writes report.md, a self-contained report.html and PNG figures: AUC distributions, scatter against a reference with R², the AUC-change heat map against 1layer (Ward clustering), AUC against training-set size, seconds per 500,000 samples, Wilcoxon p-values and which of the paper's findings hold.

    Example: [bold]bindreg compare -d ../shared/data/zeng_md_stat3_helas3 -d ../shared/data/zeng_md_stat3_gm12878 -m 1layer,1layer_128motif,deepbind,gkmsvm --budget demo -o report[/bold]
    """
    from ..experiment.compare import compare as run_compare, parse_options
    from ..experiment.settings import compare_report, names, protocol_for, sizes as size_list, with_params

    models, budget, seed, sizes = with_params(params, models, budget, seed, sizes)
    protocol = protocol_for(budget, settings, search_minibatches, train_minibatches)
    summary = run_compare(names(models), data, task, protocol, out, runs=runs, seed=seed, executor=executor,
                          scheduler=scheduler, workers=workers, sizes=size_list(sizes), size_models=tuple(names(size_models)),
                          reference=reference, options=parse_options(option or []), progress=not quiet,
                          analyse_motifs=motifs, extra_seeds=tuple(int(s) for s in names(extra_seeds)),
                          seed_models=tuple(names(seed_models)), finished_only=finished_only, announce=typer.echo,
                          reuse=tuple(reuse or ()))
    echo_lines(compare_report(summary, out))


@app.command()
def card(run_dir: Annotated[Path, typer.Argument(help="A run directory written by `bindreg run`.")]):
    """Write a run's model card again (card.md, motifs.tsv, motif_logos.png); runs write one already.

    Example: [bold]bindreg card runs/zeng_md_stat3_helas3/discovery/1layer_128motif-seed0[/bold]
    """
    from ..experiment.cards import rewrite_card, significant

    matched = [(m.index, significant(m)) for m in rewrite_card(run_dir) if significant(m)]
    typer.echo(f"{run_dir / 'card.md'}: {len(matched)} first-layer filter(s) match a JASPAR motif"
               + (": " + ", ".join(f"filter {i} {b['name']} ({b['matrix_id']})" for i, b in matched[:8])
                  + (" ..." if len(matched) > 8 else "") if matched else ""))
