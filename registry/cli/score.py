"""``bindreg predict``, ``score-variants`` and ``mutagenesis``: scoring with an exported model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import EngineOpt, ModeOpt, ModelArg, Quiet, app


@app.command()
def predict(
    model: ModelArg,
    fasta: Annotated[Path, typer.Argument(help="FASTA of sequences of any length.")],
    engine: EngineOpt = "mxnet",
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write name<TAB>score here instead of "
                                                "to stdout.")] = None,
    stride: Annotated[int, typer.Option(help="Window step for sequences longer than the model's input "
                                        "(windows mode).", min=1)] = 1,
    mode: ModeOpt = "auto",
):
    """Score sequences: P(bound) of whole peaks of any width, or of their best window; shorter ones padded with N.

    Example: [bold]bindreg predict 1layer-zeng-md-stat3-helas3 peaks.fa --engine onnxruntime -o scores.tsv[/bold]

    Example: [bold]bindreg predict runs/zeng_md_stat3_helas3/discovery/cnn_transformer-seed0 peaks.fa --mode whole[/bold]
    """
    from ..hub.pull import local_model
    from ..score.predict import predict_fasta_with_mode, predictions_tsv

    names, scores, chosen = predict_fasta_with_mode(str(local_model(model)), fasta, engine, out, stride, mode)
    typer.echo(f"mode: {chosen}", err=True)  # always on stderr, so stdout and -o stay a plain TSV
    if out is None:
        typer.echo(predictions_tsv(names, scores), nl=False)
    else:
        typer.echo(f"{len(names)} sequences scored with {engine}, mode {chosen} -> {out}")


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

    A REF that does not match the genome, a missing chromosome or a symbolic ALT is noted on that variant's row (no scores) and the rest go on; indels are scored on the ALT haplotype cut to the model's length.

    Example: [bold]bindreg score-variants runs/zeng_md_stat3_helas3/discovery/1layer_rc-seed0 --vcf calls.vcf --fasta hg19.fa -o effects.tsv[/bold]
    """
    from ..score.variants import score_variants as score_all, variants_tsv

    rows = score_all(model, vcf, fasta, out, engine, progress=not quiet and out is not None)
    skipped = sum(r["ref_score"] is None for r in rows)
    if out is None:
        typer.echo(variants_tsv(rows), nl=False)
    else:
        typer.echo(f"{len(rows) - skipped} variant(s) scored, {skipped} not scored (see their note) -> {out}")


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
    write_mutation_map(result, table, out)
    delta, position, ref, alt = result.strongest_loss()
    typer.echo(f"P(bound) {result.reference_score:.4f} ({result.mode} scoring); strongest loss {delta:+.4f} at "
               f"position {position} ({ref}>{alt}) -> {out}, {table}")
