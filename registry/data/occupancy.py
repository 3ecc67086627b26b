"""The paper's motif occupancy task (section 4.1), built from a genome, peaks and the TF's motif.

1. FIMO finds the motif's instances genome-wide (or in a region set);
2. each instance gives a 101 bp window centred on it; instances whose windows
   overlap are resolved to the strongest (so no two examples share sequence);
3. label = the window overlaps any peak;
4. negatives are matched to positives on GC content and motif score, bin by bin
   (GC in bins of 2 bases, score in fine bins spanning the positives' range),
   one negative per positive; positives without a partner in their bin are
   left out. Two-sample KS statistics before and after matching are stored.

The position-uncontrolled variant (the paper's Supplementary Fig. S2) shifts
each positive's window at random so the motif may sit anywhere in it (fully
inside), while negatives stay centred: where the motif lies then carries signal.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from ..host.catalog import DatasetInputs, GenomeInputs
from ..core.errors import BindregError
from ..core.fsutil import sha256_file, write_bytes_atomic
from .genome import Genome, gc_fraction
from .motifs import fimo_provenance, resolve_motif, scan_genome
from .peaks import read_regions, WINDOW, DroppedCounts, PeakIndex, non_overlapping, off_chromosome_end, read_peaks
from ..core.sequences import SequenceSet

#: GC bin width: 2 bases of a 101 bp window.
GC_BIN_WIDTH = 2 / WINDOW
#: Motif-score bins across the positives' score range.
SCORE_BINS = 40


def ks(first: np.ndarray, second: np.ndarray) -> dict:
    """Two-sample Kolmogorov-Smirnov statistic and p-value."""
    from scipy.stats import ks_2samp

    if len(first) == 0 or len(second) == 0:
        return {"statistic": float("nan"), "pvalue": float("nan")}
    result = ks_2samp(first, second)
    return {"statistic": round(float(result.statistic), 4), "pvalue": float(f"{result.pvalue:.4g}")}


def _histograms(values: np.ndarray, *groups: np.ndarray, bins: int = 30) -> dict:
    """Counts of ``values`` per group (positives/negatives before, then after) on shared bin edges."""
    edges = np.linspace(values.min(), values.max() + 1e-9, bins + 1)
    names = ("positives_before", "negatives_before", "positives_after", "negatives_after")
    return {"edges": [round(float(e), 4) for e in edges],
            **{name: np.histogram(values[g], edges)[0].tolist() for name, g in zip(names, groups)}}


def plot_matching(matching: dict, path: Path) -> Path:
    """GC content and motif score of bound vs unbound instances, before and after matching (PNG)."""
    from ..core.figures import new_figure

    figure = new_figure(figsize=(10, 6.5))
    axes = figure.subplots(2, 2)
    for row, (key, label) in enumerate((("gc", "GC content"), ("motif_score", "FIMO motif score"))):
        histograms = matching["histograms"][key]
        edges = np.array(histograms["edges"])
        for column, stage in enumerate(("before", "after")):
            axis = axes[row, column]
            for group, colour in (("positives", "tab:red"), ("negatives", "tab:blue")):
                counts = np.array(histograms[f"{group}_{stage}"], dtype=float)
                axis.stairs(counts / max(counts.sum(), 1), edges, color=colour, lw=1.8,
                            label=f"{'bound' if group == 'positives' else 'unbound'} (n={int(counts.sum())})")
            test = matching[key][stage]
            axis.set(xlabel=label, ylabel="fraction",
                     title=f"{stage} matching: KS D={test['statistic']:.3f}, p={test['pvalue']:.3g}")
            axis.legend(fontsize=8)
    figure.suptitle("Occupancy negatives matched to positives on GC content and motif score")
    figure.tight_layout()
    image = io.BytesIO()
    figure.savefig(image, format="png", dpi=110)
    write_bytes_atomic(Path(path), image.getvalue())
    return Path(path)


def match_negatives(labels: np.ndarray, gc: np.ndarray, score: np.ndarray, rng: np.random.Generator,
                    gc_bin_width: float = GC_BIN_WIDTH, score_bins: int = SCORE_BINS) -> tuple[np.ndarray, dict]:
    """Indices of matched examples: in every GC x motif-score bin, as many negatives (drawn at
    random) as positives; where a bin has too few negatives, positives are drawn down to match.

    Negatives outside the positives' score range are never used. Returns the kept indices
    (sorted) and a report with KS statistics of GC and score before and after matching.
    """
    positives, candidates = np.flatnonzero(labels == 1), np.flatnonzero(labels == 0)
    if len(positives) == 0 or len(candidates) == 0:
        raise BindregError(f"no {'bound' if len(positives) == 0 else 'unbound'} motif instances to match "
                           f"({len(positives)} bound, {len(candidates)} unbound); check that the peaks and the "
                           "motif belong to the same TF and genome, or lower the FIMO threshold")
    low, high = score[positives].min(), score[positives].max()
    edges = np.linspace(low, high, score_bins + 1)
    score_bin = np.clip(np.searchsorted(edges, score, side="right") - 1, 0, score_bins - 1)
    score_bin[(score < low) | (score > high)] = -1
    gc_bin = np.floor(gc / gc_bin_width).astype(np.int64)
    joint = gc_bin * (score_bins + 1) + score_bin
    joint[score_bin < 0] = -1
    kept = []
    by_bin_negatives: dict[int, list[int]] = {}
    for index in candidates[joint[candidates] >= 0]:
        by_bin_negatives.setdefault(int(joint[index]), []).append(int(index))
    by_bin_positives: dict[int, list[int]] = {}
    for index in positives:
        by_bin_positives.setdefault(int(joint[index]), []).append(int(index))
    for key in sorted(by_bin_positives):
        pos = np.array(by_bin_positives[key])
        neg = np.array(by_bin_negatives.get(key, []), dtype=np.int64)
        count = min(len(pos), len(neg))
        kept.extend(rng.choice(pos, count, replace=False).tolist())
        kept.extend(rng.choice(neg, count, replace=False).tolist())
    kept = np.sort(np.array(kept, dtype=np.int64))
    matched_pos, matched_neg = kept[labels[kept] == 1], kept[labels[kept] == 0]
    report = {
        "method": f"binned: GC in bins of {gc_bin_width * WINDOW:.0f} bases, motif score in {score_bins} bins "
                  "over the positives' range; 1 negative per positive per bin",
        "positives": {"candidates": int(len(positives)), "kept": int(len(matched_pos))},
        "negatives": {"candidates": int(len(candidates)), "kept": int(len(matched_neg))},
        "gc": {"before": ks(gc[positives], gc[candidates]), "after": ks(gc[matched_pos], gc[matched_neg])},
        "motif_score": {"before": ks(score[positives], score[candidates]),
                        "after": ks(score[matched_pos], score[matched_neg])},
        "histograms": {name: _histograms(values, positives, candidates, matched_pos, matched_neg)
                       for name, values in (("gc", gc), ("motif_score", score))},
    }
    if len(matched_pos) < 10:
        raise BindregError(f"only {len(matched_pos)} bound instances could be matched to unbound ones on GC and "
                           f"motif score ({len(positives)} bound, {len(candidates)} unbound found); scan more of the "
                           "genome (drop --regions) or raise the FIMO threshold")
    return kept, report


def build_occupancy(inputs: GenomeInputs, rng: np.random.Generator) -> DatasetInputs:
    """Labelled, matched 101 bp windows centred on the TF's motif instances (see the module doc)."""
    if inputs.any_length:
        raise BindregError("--any-length keeps whole peaks, which --task discovery uses; occupancy's examples are "
                           f"{WINDOW} bp windows around motif instances; drop --any-length")
    genome = Genome(inputs.genome)
    peaks = read_peaks(inputs.peaks, genome)
    motif = resolve_motif(inputs.tf, inputs.matrix_id, inputs.motif_file)
    if motif.width >= WINDOW:
        raise BindregError(f"motif {motif.name} is {motif.width} bp wide, as wide as the {WINDOW} bp window; "
                           "give a shorter motif")
    regions = read_regions(inputs.regions, genome) if inputs.regions else None
    instances = scan_genome(genome, motif, regions, threshold=inputs.fimo_threshold, half_context=WINDOW - 1,
                            progress=inputs.progress)
    if not len(instances):
        raise BindregError(f"FIMO found no instance of {motif.name} (p < {inputs.fimo_threshold:g}) in "
                           f"{inputs.genome}; check the motif, or raise --fimo-threshold")
    dropped = DroppedCounts()
    centres = np.array(instances.centres, dtype=np.int64)
    scores = np.array(instances.scores)
    # One example per window: of instances closer than a window (both strands of a
    # palindrome, repeats), the best-scoring one stays.
    keep = non_overlapping(instances.chroms, centres, scores, WINDOW)
    dropped.add("overlapping", len(instances) - len(keep))
    chroms = [instances.chroms[i] for i in keep]
    centres, scores = centres[keep], scores[keep]
    contexts = [instances.contexts[i] for i in keep]
    strands = [instances.strands[i] for i in keep]

    half = WINDOW // 2
    index = PeakIndex(peaks)
    labels = np.zeros(len(keep), dtype=np.int8)
    for chrom in set(chroms):
        rows = np.flatnonzero(np.array(chroms) == chrom)
        labels[rows] = index.overlaps(chrom, centres[rows] - half, centres[rows] - half + WINDOW)

    shifts = np.zeros(len(keep), dtype=np.int64)
    if inputs.position_uncontrolled:
        room = half - (motif.width + 1) // 2  # the motif stays wholly inside the window
        bound = labels == 1
        shifts[bound] = rng.integers(-room, room + 1, int(bound.sum()))
    window_centres = centres + shifts
    off = off_chromosome_end(chroms, window_centres, genome, WINDOW)
    # context[k] is the base at centre - half_context + k, with half_context = WINDOW - 1
    windows = [ctx[WINDOW - 1 - half + s: WINDOW - 1 - half + s + WINDOW] for ctx, s in zip(contexts, shifts.tolist())]
    has_n = np.array(["N" in w for w in windows], dtype=bool) & ~off
    dropped.add("off_chromosome_end", off.sum())
    dropped.add("contains_n", has_n.sum())
    usable = np.flatnonzero(~off & ~has_n)
    gc = gc_fraction([windows[i] for i in usable])
    kept, matching = match_negatives(labels[usable], gc, scores[usable], rng)
    rows = usable[kept]
    starts = window_centres[rows] - half
    names = [f"{chroms[i]}:{s}-{s + WINDOW}({strands[i]})" for i, s in zip(rows.tolist(), starts.tolist())]
    sequences = [windows[i] for i in rows]
    origin = str(inputs.peaks)
    labelled = SequenceSet(names, sequences, labels[rows].copy(), origin,
                           sources=["bound_instance" if labels[i] else "unbound_instance" for i in rows])
    variant = "position_uncontrolled" if inputs.position_uncontrolled else "centred"
    records = [{"role": "genome", "path": str(inputs.genome), "sha256": sha256_file(Path(inputs.genome))},
               {"role": "peaks", "path": str(inputs.peaks), "sha256": sha256_file(Path(inputs.peaks)),
                "format": peaks.format, "records": len(peaks)}]
    if inputs.regions:
        records.append({"role": "regions", "path": str(inputs.regions), "sha256": sha256_file(Path(inputs.regions))})
    provenance = {
        "inputs": records,
        "motif": motif.identity,
        "fimo": fimo_provenance(inputs.fimo_threshold),
        "variant": variant,
        "window": WINDOW,
        "instances": {"found": len(instances), "bases_scanned": instances.bases_scanned,
                      "bound": int((labels[usable] == 1).sum()), "unbound": int((labels[usable] == 0).sum())},
        "dropped": dropped.as_dict(),
        "matching": matching,
        "negative_sampler": "motif instances outside peaks, matched on GC content and motif score",
    }
    name = Path(inputs.peaks).name.split(".")[0] + ("-position-uncontrolled" if inputs.position_uncontrolled else "")
    coords = {"gc": gc[kept], "motif_score": scores[rows], "motif_offset": shifts[rows]}
    genome.close()
    return DatasetInputs(name=name, train=labelled, test=None, provenance=provenance, coords=coords)
