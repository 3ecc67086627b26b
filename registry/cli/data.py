"""``bindreg data ...``: encode, build, generate, inspect and list datasets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import app, echo_lines, group, table

data_app = group(help="Encode, inspect and list datasets.")
app.add_typer(data_app, name="data")


def describe_store(path: Path, dataset) -> list[str]:
    from ..data.summary import describe_store as describe

    return describe(path, dataset)


@data_app.command("list")
def data_list():
    """List named datasets and the input formats bindreg reads.

    Example: [bold]bindreg data list[/bold]
    """
    from ..host.plugins import get_registry

    registry = get_registry()
    table([[d.name, d.description] for d in registry.datasets], ["dataset", "description"])
    typer.echo("")
    table([[f.name, " ".join(f.suffixes), f.description] for f in registry.formats],
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
    from ..data.datasets import prepare

    path, dataset = prepare(data, task, split_seed=split_seed, labels=labels, test=test, out=out,
                            refresh=out is not None, any_length=any_length)
    echo_lines(describe_store(path, dataset))


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
    from ..host.catalog import GenomeInputs
    from ..data.datasets import prepare_from_genome

    inputs = GenomeInputs(genome, peaks, tf=tf, matrix_id=motif, motif_file=motif_file, regions=regions,
                          position_uncontrolled=position_uncontrolled, fimo_threshold=fimo_threshold,
                          progress=not quiet, any_length=any_length)
    path, dataset = prepare_from_genome(task, inputs, split_seed=split_seed, out=out, refresh=out is not None,
                                        plot=plot)
    echo_lines(describe_store(path, dataset))


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
    from ..data.compendium import generate_compendium, read_spec

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
    from ..data.store import open_store, provenance

    dataset = open_store(store)
    if as_json:
        typer.echo(json.dumps({"attrs": {k: v for k, v in dataset.attrs.items() if k != "provenance"},
                               "provenance": provenance(dataset)}, indent=2, sort_keys=True))
        return
    echo_lines(describe_store(store, dataset))
