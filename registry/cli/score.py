"""``bindreg predict``, ``scan``, ``score-variants`` and ``mutagenesis``: scoring with an exported model."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..core.errors import BindregError
from .common import EngineOpt, ModeOpt, ModelArg, Quiet, app


@app.command()
def predict(
    model: ModelArg,
    fasta: Annotated[Optional[Path], typer.Argument(help="FASTA of sequences of any length (or give --genome "
                                                    "and --regions).")] = None,
    engine: EngineOpt = "mxnet",
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write name<TAB>score here instead of "
                                                "to stdout.")] = None,
    stride: Annotated[int, typer.Option(help="Window step for sequences longer than the model's input "
                                        "(windows mode).", min=1)] = 1,
    mode: ModeOpt = "auto",
    genome: Annotated[Optional[Path], typer.Option(help="Indexed FASTA genome, with --regions.")] = None,
    regions: Annotated[Optional[Path], typer.Option(help="BED or narrowPeak regions of --genome to score, each "
                                                    "whole.")] = None,
    quiet: Quiet = False,
):
    """Score sequences: P(bound) of whole peaks of any width, or of their best window; shorter ones padded with N.

    FASTA is read, encoded and written in blocks (bounded memory); with --genome and --regions each region is scored and written with its coordinates (BED columns, then score).

    Example: [bold]bindreg predict 1layer-zeng-md-stat3-helas3 peaks.fa --engine onnxruntime -o scores.tsv[/bold]

    Example: [bold]bindreg predict runs/zeng_md_stat3_helas3/discovery/cnn_transformer-seed0 peaks.fa --mode whole[/bold]

    Example: [bold]bindreg predict MODEL --genome hg19.fa --regions peaks.narrowPeak -o scores.bed[/bold]
    """
    if (genome is None) != (regions is None) or (genome is not None) == (fasta is not None):
        raise BindregError("give a FASTA file, or --genome with --regions (not both)")
    from ..hub.pull import local_model

    model = str(local_model(model))  # a zoo model is verified and cached on first use
    if genome is not None:
        from ..score.regions import predict_regions

        count, chosen = predict_regions(model, genome, regions, engine, out, stride, mode,
                                        progress=not quiet and out is not None)
        typer.echo(f"mode: {chosen}", err=True)
        if out is not None:
            typer.echo(f"{count} regions scored with {engine}, mode {chosen} -> {out}")
        return
    from ..score.fasta_stream import predict_fasta_stream

    count, chosen = predict_fasta_stream(model, fasta, engine, out, stride, mode,
                                         progress=not quiet and out is not None)
    typer.echo(f"mode: {chosen}", err=True)  # always on stderr, so stdout and -o stay a plain TSV
    if out is not None:
        typer.echo(f"{count} sequences scored with {engine}, mode {chosen} -> {out}")


@app.command()
def scan(
    model: ModelArg,
    genome: Annotated[Path, typer.Option(help="Indexed FASTA genome (plain or bgzip).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The track: .bw (bigWig) or .bedGraph.")],
    regions: Annotated[Optional[Path], typer.Option(help="BED of regions to scan (merged); default: every "
                                                    "chromosome.")] = None,
    chrom: Annotated[Optional[list[str]], typer.Option(help="A chromosome to scan (repeat for more).")] = None,
    stride: Annotated[int, typer.Option(help="Score every S-th base; each value covers S bases.")] = 1,
    quiet: Quiet = False,
):
    """Scan a genome: P(bound) of the window of the model's length centred on each base, as a bigWig or bedGraph track (N bases get no value).

    The network is evaluated convolutionally in chunks (each layer once per position), in memory that does not grow with the chromosome; see docs/genome.md.

    Example: [bold]bindreg scan runs/synthetic_ctcf/discovery/1layer-seed0 --genome hg19.fa --chrom chr21 -o chr21.bw[/bold]
    """
    from ..score.scan import scan as scan_genome

    summary = scan_genome(model, genome, out, regions, chrom, stride, progress=not quiet)
    typer.echo(f"{summary.bases:,} bp scanned, {summary.scored:,} values in {summary.seconds:.1f} s "
               f"({summary.bases / 1e6 / max(summary.seconds, 1e-9):.2f} Mb/s) -> {out}")


@app.command("score-variants")
def score_variants(
    model: ModelArg,
    vcf: Annotated[Path, typer.Option(help="VCF (plain or gzip); CHROM POS ID REF ALT are read.")],
    fasta: Annotated[Path, typer.Option(help="Indexed FASTA genome the VCF was called on (plain or bgzip).")],
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write the TSV here instead of to stdout.")]
    = None,
    engine: EngineOpt = "mxnet",
    quiet: Quiet = False,
):
    """Score each variant: P(bound) of the reference and alternative windows (the model's length, centred on the variant) and their difference.

    A REF that does not match the genome, a missing chromosome or a symbolic ALT is noted on that variant's row (no scores) and the rest go on; indels are scored on the ALT haplotype cut to the model's length. The VCF is streamed and scored in batches (bounded memory, progress bar).

    Example: [bold]bindreg score-variants runs/zeng_md_stat3_helas3/discovery/1layer_rc-seed0 --vcf calls.vcf --fasta hg19.fa -o effects.tsv[/bold]
    """
    from ..score.variants import write_variant_scores

    if out is None:
        write_variant_scores(model, vcf, fasta, sys.stdout, engine)
        return
    from ..core.fsutil import atomic_text_file

    with atomic_text_file(out) as handle:
        scored, skipped = write_variant_scores(model, vcf, fasta, handle, engine, progress=not quiet)
    typer.echo(f"{scored} variant(s) scored, {skipped} not scored (see their note) -> {out}")


@app.command()
def mutagenesis(
    model: ModelArg,
    sequence: Annotated[str, typer.Argument(help="The sequence (A C G T N), or a FASTA file (first record).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The map as PNG; the numbers go beside it as .tsv.")]
    = Path("mutagenesis.png"),
    mode: Annotated[str, typer.Option(help="whole, windows or auto (as in bindreg predict).")] = "auto",
    engine: EngineOpt = "mxnet",
):
    """Draw an in-silico mutagenesis map: the change in P(bound) of every single-base change (heat map 4 x L) under a logo of each base's importance; writes the numbers as TSV.

    Example: [bold]bindreg mutagenesis runs/synthetic_ctcf/discovery/1layer-seed0 ACGT...ACGT -o ctcf.png[/bold]
    """
    from ..score.variants import mutagenesis as mutate, write_mutation_map

    result = mutate(model, sequence, engine, mode)
    table = out.with_suffix(".tsv")
    write_mutation_map(result, table, out, inputs=(sequence,) if len(sequence) < 4096 else ())
    delta, position, ref, alt = result.strongest_loss()
    typer.echo(f"P(bound) {result.reference_score:.4f} ({result.mode} scoring); strongest loss {delta:+.4f} at "
               f"position {position} ({ref}>{alt}) -> {out}, {table}")
