"""Variant effects and in-silico mutagenesis with any model ``bindreg predict`` accepts.

``score_variants``: for each VCF record, a window of the model's input length ``L`` centred on
the variant's first base is read from the genome (pyfaidx, ``bindreg.genome``) as the
reference; the alternative window is the same left flank, the ALT allele, then the genome
after REF, cut to ``L`` (so SNVs, MNVs, insertions and deletions are all scored on ``L`` bp).
The genome's bases under REF must equal REF; where they do not, or the chromosome is missing,
or the ALT allele is symbolic (``<DEL>``, ``*``), the variant gets a note and no scores, and
the others go on. ``delta`` is ``alt_score - ref_score`` in P(bound); ``log_odds_delta`` is
the same in log-odds, which does not saturate near 0 and 1.

``mutagenesis``: every single-base change of a sequence scored against the sequence itself,
``delta: shape=(4, L)`` (A C G T rows; 0 at the reference base), drawn as a heat map under a
logo-like track whose letters are the reference bases scaled by their importance (minus the
mean delta of the three changes at that position).
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import BindregError
from ..core.fsutil import write_text_atomic
from ..core.sequences import BASES

_BASES_N = set("ACGTN")


@dataclass(frozen=True)
class Variant:
    """One ALT allele of a VCF record; ``pos`` is 1-based as in the VCF, ``line`` its line number."""

    chrom: str
    pos: int
    id: str
    ref: str
    alt: str
    line: int


def read_vcf(path: Path) -> list[Variant]:
    """The variants of a VCF (plain or gzip), one per ALT allele.

    Only the five fixed columns are read (CHROM POS ID REF ALT). A small reader rather than pysam
    or cyvcf2: those need htslib and report a malformed record without its line, and bad lines
    must be one ``FILE:LINE`` error here.
    """
    variants = list(iter_vcf(path))
    if not variants:
        raise BindregError(f"{path}: no variant records found; give a VCF with CHROM POS ID REF ALT columns")
    return variants


def iter_vcf(path: Path) -> Iterator[Variant]:
    """``read_vcf`` one variant at a time (memory does not grow with the file)."""
    from ..core.fsutil import open_text

    from ..core.validate import input_file

    path = input_file(path, "VCF")
    try:
        with open_text(path) as handle:
            for number, raw in enumerate(handle, start=1):
                line = raw.rstrip("\r\n")
                if not line or line.startswith("#"):
                    continue
                yield from _parse_record(line, f"{path}:{number}", number)
    except (UnicodeDecodeError, EOFError, gzip.BadGzipFile, zlib.error):
        raise BindregError(f"{path}: not a text VCF or a damaged .gz; give a plain or gzip-compressed .vcf") from None


def _parse_record(line: str, where: str, number: int) -> list[Variant]:
    fields = line.split("\t")
    if len(fields) < 5:
        raise BindregError(f"{where}: {len(fields)} tab-separated column(s), expected at least 5 "
                           "(CHROM POS ID REF ALT); separate columns with tabs")
    chrom, pos, ident, ref, alts = fields[:5]
    if not pos.isdigit() or int(pos) < 1:
        raise BindregError(f"{where}: POS {pos!r} is not a positive integer; VCF positions are 1-based")
    ref = ref.upper()
    if not ref or set(ref) - _BASES_N:
        raise BindregError(f"{where}: REF {ref!r} is not a sequence of A, C, G, T, N")
    return [Variant(chrom, int(pos), ident, ref, alt.upper(), number) for alt in alts.split(",")]


def _windows(genome, variant: Variant, length: int) -> tuple[str, str] | str:
    """(reference window, alternative window), or the note saying why the variant is not scored."""
    if variant.chrom not in genome.lengths:
        return f"chromosome {variant.chrom!r} is not in the genome"
    if variant.alt.startswith("<") or variant.alt in ("*", ".", "") or set(variant.alt) - _BASES_N:
        return f"ALT {variant.alt!r} is not a sequence of bases (symbolic or missing alleles are skipped)"
    start = variant.pos - 1
    left_start = start - length // 2
    # One read of everything either window needs: the left flank, REF, and L bases after it.
    span = genome.fetch(variant.chrom, left_start, start + len(variant.ref) + length)
    flank = start - left_start
    genome_ref = span[flank:flank + len(variant.ref)]
    if genome_ref != variant.ref:
        return f"REF {variant.ref!r} does not match the genome ({genome_ref!r}); is it the genome build of the VCF?"
    reference = span[:length]
    alternative = (span[:flank] + variant.alt + span[flank + len(variant.ref):])[:length]
    return reference, alternative


def _log_odds(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return np.log(p / (1 - p))


#: Variants whose windows are fetched and scored together.
VARIANT_BATCH = 8192
COLUMNS = ["chrom", "pos", "id", "ref", "alt", "ref_score", "alt_score", "delta", "log_odds_delta", "note"]


def score_variants(model: str, vcf: Path, fasta: Path, out: Path | None = None, engine: str = "mxnet",
                   progress: bool = False) -> list[dict]:
    """Score every variant of ``vcf`` against ``fasta`` with ``model``; one row per ALT allele.

    Rows hold chrom, pos, id, ref, alt, ref_score, alt_score, delta, log_odds_delta and note
    (scores are None where the note says why the variant was not scored). Written as TSV to ``out``.
    For VCFs too large to hold the rows, ``write_variant_scores`` streams them to a file instead.
    """
    from ..core.fsutil import check_output_file

    if out is not None:
        check_output_file(Path(out), (vcf, fasta))
    rows = list(iter_variant_rows(model, vcf, fasta, engine, progress))
    if not rows:
        raise BindregError(f"{vcf}: no variant records found; give a VCF with CHROM POS ID REF ALT columns")
    if out is not None:
        write_text_atomic(Path(out), variants_tsv(rows))
    return rows


def variants_tsv(rows: list[dict]) -> str:
    """The rows of ``score_variants`` as TSV text with a header (NA for a missing score)."""
    return "\n".join(["\t".join(COLUMNS)] + ["\t".join(format_cell(row[c]) for c in COLUMNS) for row in rows]) + "\n"


def write_variant_scores(model: str, vcf: Path, fasta: Path, handle, engine: str = "mxnet",
                         progress: bool = False) -> tuple[int, int]:
    """Write the TSV of every variant to the text ``handle`` as it is scored, ``VARIANT_BATCH`` at a
    time (memory holds one batch). Returns (variants scored, variants not scored)."""
    scored = skipped = 0
    handle.write("\t".join(COLUMNS) + "\n")
    batch: list[str] = []
    for row in iter_variant_rows(model, vcf, fasta, engine, progress):
        if row["ref_score"] is None:
            skipped += 1
        else:
            scored += 1
        batch.append("\t".join(format_cell(row[c]) for c in COLUMNS))
        if len(batch) >= VARIANT_BATCH:
            handle.write("\n".join(batch) + "\n")
            batch = []
    if batch:
        handle.write("\n".join(batch) + "\n")
    if scored + skipped == 0:
        raise BindregError(f"{vcf}: no variant records found; give a VCF with CHROM POS ID REF ALT columns")
    return scored, skipped


def iter_variant_rows(model: str, vcf: Path, fasta: Path, engine: str = "mxnet", progress: bool = False,
                      batch: int = VARIANT_BATCH) -> Iterator[dict]:
    """Rows of ``score_variants`` in VCF order, scored ``batch`` variants at a time through the
    fixed-length network in large batches (``bindreg.score.fasta_stream``)."""
    from itertools import islice

    from .fasta_stream import load_fixed_length_scorer
    from ..data.genome import Genome
    from .bundles import resolve_local
    from .scan import base_codes

    directory = resolve_local(model)
    variants = iter_vcf(vcf)
    first = list(islice(variants, batch))  # a bad first record is refused before the model loads
    scorer = load_fixed_length_scorer(directory, engine)
    length = scorer.input_length
    if Path(fasta).is_dir():
        raise BindregError(f"{fasta}: is a directory; give the genome's FASTA file")
    genome = Genome(fasta)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(desc="variants", unit="variant", mininterval=1)
    try:
        chunk = first
        while chunk:
            windows = [_windows(genome, v, length) for v in chunk]
            scored = [k for k, w in enumerate(windows) if isinstance(w, tuple)]
            ref_scores = alt_scores = log_odds = np.zeros(0)
            if scored:
                text = "".join(windows[k][0] for k in scored) + "".join(windows[k][1] for k in scored)
                scores = scorer.probabilities(base_codes(text).reshape(-1, length))
                ref_scores, alt_scores = scores[:len(scored)], scores[len(scored):]
                log_odds = _log_odds(alt_scores) - _log_odds(ref_scores)
            by_index = {index: k for k, index in enumerate(scored)}
            for index, variant in enumerate(chunk):
                row = {"chrom": variant.chrom, "pos": variant.pos, "id": variant.id, "ref": variant.ref,
                       "alt": variant.alt, "ref_score": None, "alt_score": None, "delta": None,
                       "log_odds_delta": None, "note": ""}
                if index in by_index:
                    k = by_index[index]
                    ref_score, alt_score = float(ref_scores[k]), float(alt_scores[k])
                    row.update(ref_score=ref_score, alt_score=alt_score, delta=alt_score - ref_score,
                               log_odds_delta=float(log_odds[k]))
                    if len(variant.ref) != len(variant.alt):
                        row["note"] = f"indel: alternative window is the ALT haplotype cut to {length} bp"
                else:
                    row["note"] = f"not scored (line {variant.line}): {windows[index]}"
                yield row
            if bar is not None:
                bar.update(len(chunk))
            chunk = list(islice(variants, batch))
    finally:
        genome.close()
        if bar is not None:
            bar.close()


def format_cell(value) -> str:
    if value is None:
        return "NA"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


@dataclass
class MutationMap:
    """``delta: shape=(4, L)``: score of each single-base change minus the reference score."""

    sequence: str
    reference_score: float
    delta: np.ndarray
    mode: str

    @property
    def importance(self) -> np.ndarray:
        """Per position, minus the mean change of the three substitutions: how much the base matters."""
        return -self.delta.sum(axis=0) / 3

    def strongest_loss(self) -> tuple[float, int, str, str]:
        """``(delta, position, ref, alt)`` of the change that lowers the score most (1-based position)."""
        row, column = np.unravel_index(np.argmin(self.delta), self.delta.shape)
        return float(self.delta[row, column]), int(column) + 1, self.sequence[column], BASES[row]


def mutagenesis(model: str, sequence: str, engine: str = "mxnet", mode: str = "auto") -> MutationMap:
    """Score ``sequence`` and all of its 3 x L single-base substitutions (N positions stay 0)."""
    from .bundles import resolve_local
    from .predict import score_sequences

    sequence = read_sequence_argument(sequence)
    directory = resolve_local(model)
    mutants, cells = [sequence], []
    for position, base in enumerate(sequence):
        for row, letter in enumerate(BASES):
            if letter != base and base != "N":
                mutants.append(sequence[:position] + letter + sequence[position + 1:])
                cells.append((row, position))
    scores, chosen = score_sequences(directory, mutants, engine, mode)
    delta = np.zeros((4, len(sequence)))
    for (row, position), value in zip(cells, scores[1:]):
        delta[row, position] = value - scores[0]
    return MutationMap(sequence, float(scores[0]), delta, chosen)


def read_sequence_argument(value: str) -> str:
    """A literal sequence, or the first record of a FASTA file of that name; checked for ACGTN."""
    candidate = Path(value)
    if len(value) < 4096 and candidate.is_file():
        from .predict import read_sequences

        sequence = read_sequences(candidate).sequences[0].upper()
    else:
        sequence = value.strip().upper()
    bad = set(sequence) - _BASES_N
    if not sequence or bad:
        raise BindregError(f"sequence {value[:30]!r}{'...' if len(value) > 30 else ''}: character "
                           f"{sorted(bad)[0]!r} is not one of A, C, G, T, N; give bases or a FASTA file"
                           if bad else "empty sequence; give bases or a FASTA file")
    return sequence


def write_mutation_map(result: MutationMap, table: Path, picture: Path | None, title: str = "",
                       inputs: tuple = ()) -> None:
    """``table``: position, ref, the four deltas and importance (TSV); ``picture``: the drawn map (PNG).
    Neither may be a folder or one of ``inputs``."""
    from ..core.fsutil import check_output_file

    for path in (table, picture):
        if path is not None:
            check_output_file(Path(path), inputs)
    lines = ["position\tref\t" + "\t".join(f"delta_{b}" for b in BASES) + "\timportance"]
    for position, base in enumerate(result.sequence):
        values = "\t".join(f"{result.delta[row, position]:.6g}" for row in range(4))
        lines.append(f"{position + 1}\t{base}\t{values}\t{result.importance[position]:.6g}")
    write_text_atomic(Path(table), "\n".join(lines) + "\n")
    if picture is not None:
        _draw(result, Path(picture), title)


def _draw(result: MutationMap, picture: Path, title: str) -> None:
    import io

    from ..core.fsutil import write_bytes_atomic

    figure = mutation_figure(result, title)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    write_bytes_atomic(picture, buffer.getvalue())


def mutation_figure(result: MutationMap, title: str = ""):
    """The map as a matplotlib figure: logo above, heat map below, positions 1-based as in the TSV
    and the printed summary."""
    import logomaker
    import pandas as pd

    from ..core.figures import new_figure

    length = len(result.sequence)
    width = min(max(6.0, length * 0.12), 40.0)
    figure = new_figure(figsize=(width, 3.6))
    logo_axis, heat_axis = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 1.2]})
    letters = pd.DataFrame(0.0, index=range(1, length + 1), columns=list(BASES))
    for position, base in enumerate(result.sequence, start=1):
        if base in BASES:
            letters.loc[position, base] = result.importance[position - 1]
    logomaker.Logo(letters, ax=logo_axis, color_scheme="classic", flip_below=False)
    logo_axis.set(ylabel="importance", title=title or f"in-silico mutagenesis (P(bound) {result.reference_score:.3f}, "
                                                        f"{result.mode} scoring)")
    bound = float(np.abs(result.delta).max()) or 1.0
    image = heat_axis.imshow(result.delta, aspect="auto", cmap="RdBu_r", vmin=-bound, vmax=bound,
                             extent=(0.5, length + 0.5, 3.5, -0.5), interpolation="nearest")
    heat_axis.set(yticks=range(4), yticklabels=list(BASES), xlabel="position (1-based)", xlim=(0.5, length + 0.5))
    figure.colorbar(image, ax=[logo_axis, heat_axis], label="change in P(bound)", fraction=0.02, pad=0.01)
    return figure
