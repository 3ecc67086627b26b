"""A generated benchmark compendium: a synthetic genome of human composition with planted binding
sites of real JASPAR motifs, and ENCODE-style narrowPeak files that mark a realistic fraction of
them, for any number of TFs. Seeded: the same arguments give the same files everywhere.

What makes a site bound (so that occupancy has something beyond the motif to learn):

- a co-factor motif (``TF:COFACTOR``, default from ``DEFAULT_COFACTORS``) is planted
  beside 60% of sites: two thirds of those at the preferred position (centre 20-30 bp
  downstream of the motif, in the motif's orientation), one third upstream;
- P(bound) is 0.8 with the co-factor at the preferred position, 0.25 otherwise, scaled by
  0.7-1.3 with the site's motif strength (rank), so unmatched data carry a motif-strength
  confound that matching must remove;
- bound loci are GC-richer (6% of the +-150 bp around them redrawn as G or C), as
  ChIP-seq peaks are, a GC confound for matching to remove;
- 15% extra peaks carry the co-factor but no motif (ChIP peaks without the TF's motif).

Peaks: summit within ~8 bp of the site, 150-500 bp wide, signalValue rising with motif
strength; 3% of records duplicated and 5% given a second summit nearby, as ENCODE files
have. The genome has 10 kb of N at both ends of each chromosome.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import BindregError
from ..core.fsutil import atomic_directory, check_replaceable, sha256_file, write_json_atomic, write_text_atomic
from ..core.sequences import reverse_complement_codes
from .genome import Genome, write_fasta
from .synthetic import JASPAR_RELEASE, human_background, jaspar_pwm, sample_sites

DEFAULT_COFACTORS = {"CTCF": "ZNF143", "GATA1": "RUNX1", "FOXA1": "HNF4A", "SPI1": "IRF4", "STAT3": "JUN",
                     "REST": "SP1", "MYC": "MAX", "USF1": "SP1", "ELK1": "GABPA"}
FALLBACK_COFACTOR = "JUN"
SLOT = 1000          # one locus per 1 kb slot at most; loci sit 250-750 bp into their slot
BLOCK = 1_000_000    # genome generated and written 1 Mb at a time (bounded memory)
TELOMERE = 10_000    # N at both ends of each chromosome
_LETTERS = np.frombuffer(b"ACGTN", dtype=np.uint8)


@dataclass
class _Locus:
    chrom: int
    position: int      # 0-based genome position of the locus centre on its chromosome
    tf: str
    kind: str          # "site" (motif) or "motifless" (co-factor only)
    bound: bool
    cofactor: str      # "preferred", "other" or "none"
    strand: str
    strength: float
    edits: list        # (offset from centre, base codes) written over the background


def parse_tfs(spec: str) -> list[tuple[str, str]]:
    """``"CTCF,GATA1:TAL1"`` -> ``[("CTCF", "ZNF143"), ("GATA1", "TAL1")]`` (default co-factors filled in)."""
    pairs = []
    for item in [p.strip() for p in spec.split(",") if p.strip()]:
        tf, _, cofactor = item.partition(":")
        if not tf:
            raise BindregError(f"--tfs item {item!r} has no TF name; write TF or TF:COFACTOR, comma-separated")
        pairs.append((tf, cofactor or DEFAULT_COFACTORS.get(tf.upper(), FALLBACK_COFACTOR)))
    if not pairs:
        raise BindregError("--tfs is empty; give TF names such as CTCF,GATA1 (optionally TF:COFACTOR)")
    return pairs


def chromosome_lengths(genome_mb: float) -> list[int]:
    """Chromosome lengths (multiples of 1 kb) for a genome of ``genome_mb`` Mb: up to 4, falling in size."""
    total = int(genome_mb * 1_000_000)
    count = int(min(4, max(2, genome_mb // 5)))
    shares = np.array([1.0, 0.8, 0.6, 0.4][:count])
    lengths = (np.floor(total * shares / shares.sum() / SLOT) * SLOT).astype(int)
    if lengths.min() < 2 * TELOMERE + 10 * SLOT:
        raise BindregError(f"--genome-mb {genome_mb} is too small; give at least 0.1")
    return lengths.tolist()


def _make_loci(tfs, lengths, sites_per_tf: int, rng) -> tuple[list[_Locus], dict]:
    slots = [(c, s) for c, length in enumerate(lengths) for s in range(TELOMERE // SLOT + 1, (length - TELOMERE) // SLOT - 1)]
    motifless_per_tf = int(round(0.15 * sites_per_tf * 0.5))
    needed = len(tfs) * (sites_per_tf + motifless_per_tf)
    if needed > len(slots) // 2:
        raise BindregError(f"{needed} loci do not fit in a {sum(lengths) / 1e6:.1f} Mb genome (at most "
                           f"{len(slots) // 2}); raise --genome-mb or lower --sites")
    chosen = rng.choice(len(slots), needed, replace=False)
    loci, motifs = [], {}
    cursor = 0
    for tf, cofactor_name in tfs:
        pwm, identity = jaspar_pwm(tf)
        co_pwm, co_identity = jaspar_pwm(cofactor_name)
        motifs[tf] = {"motif": identity, "cofactor": co_identity}
        sites, reverse = sample_sites(pwm, sites_per_tf, rng)
        log_odds = np.log(np.maximum(pwm, 1e-9) / 0.25)
        # Strength of each sampled site: its log-odds score under the motif (strand-aware).
        forward = np.where(reverse[:, None], reverse_complement_codes(sites), sites)
        strength = log_odds[forward, np.arange(pwm.shape[1])].sum(axis=1)
        rank = strength.argsort().argsort() / max(len(strength) - 1, 1)
        co_sites, co_reverse = sample_sites(co_pwm, sites_per_tf + motifless_per_tf, rng)
        for i in range(sites_per_tf):
            c, s = slots[chosen[cursor]]
            cursor += 1
            roll = rng.random()
            context = "preferred" if roll < 0.4 else ("other" if roll < 0.6 else "none")
            p_bound = (0.8 if context == "preferred" else 0.25) * (0.7 + 0.6 * rank[i])
            bound = bool(rng.random() < min(p_bound, 0.95))
            direction = -1 if reverse[i] else 1
            edits = [(-(pwm.shape[1] // 2), sites[i])]
            if context != "none":
                distance = int(rng.integers(20, 31)) if context == "preferred" else -int(rng.integers(20, 46))
                edits.append((direction * distance - co_pwm.shape[1] // 2, co_sites[i]))
            loci.append(_Locus(c, s * SLOT + int(rng.integers(250, 751)), tf, "site", bound, context,
                               "-" if reverse[i] else "+", float(strength[i]), edits))
        for j in range(motifless_per_tf):
            c, s = slots[chosen[cursor]]
            cursor += 1
            loci.append(_Locus(c, s * SLOT + int(rng.integers(250, 751)), tf, "motifless", True, "preferred", "+",
                               float(np.median(strength)), [(-(co_pwm.shape[1] // 2), co_sites[sites_per_tf + j])]))
    return loci, motifs


def _genome_blocks(chrom: int, length: int, loci_here: list[_Locus], seed: int, gc_rng_seed: int):
    """Yield the chromosome as bytes, 1 Mb at a time, with loci written in."""
    for block_start in range(0, length, BLOCK):
        block_end = min(block_start + BLOCK, length)
        rng = np.random.default_rng([seed, chrom, block_start // BLOCK])
        size = block_end - block_start
        rows = -(-size // 1000)
        codes = human_background(rows, 1000, rng).reshape(-1)[:size].copy()
        gc_rng = np.random.default_rng([gc_rng_seed, chrom, block_start // BLOCK])
        for locus in loci_here:
            if not block_start <= locus.position < block_end:
                continue
            centre = locus.position - block_start
            if locus.bound:  # ChIP-seq peaks are GC-richer than their surroundings
                flips = centre - 150 + np.flatnonzero(gc_rng.random(301) < 0.06)
                codes[flips] = gc_rng.integers(1, 3, len(flips))
            for offset, site in locus.edits:
                codes[centre + offset:centre + offset + len(site)] = site
        if block_start < TELOMERE:
            codes[:TELOMERE - block_start] = 4
        tail = length - TELOMERE
        if block_end > tail:
            codes[max(tail - block_start, 0):] = 4
        yield _LETTERS[codes].tobytes()


def _peak_lines(loci: list[_Locus], names: list[str], lengths: list[int], rng) -> list[str]:
    """ENCODE-style narrowPeak records for the bound loci of one TF, strongest first."""
    records = []
    for locus in loci:
        if not locus.bound:
            continue
        summit = locus.position + int(np.round(rng.normal(0, 8)))
        width = int(rng.integers(150, 501))
        start = max(0, summit - int(rng.integers(width // 4, 3 * width // 4)))
        end = min(lengths[locus.chrom], start + width)
        signal = max(1.0, 4 + 1.5 * locus.strength + rng.normal(0, 2))
        records.append([names[locus.chrom], start, end, summit - start, signal])
        roll = rng.random()
        if roll < 0.03:
            records.append(list(records[-1]))  # an exact duplicate record
        elif roll < 0.08:
            second = min(end - start - 1, max(0, summit - start + int(rng.choice([-1, 1]) * rng.integers(30, 80))))
            records.append([names[locus.chrom], start, end, second, signal * 0.6])
    records.sort(key=lambda r: -r[4])
    lines = []
    for rank, (chrom, start, end, offset, signal) in enumerate(records):
        score = int(min(1000, 100 + 40 * signal))
        p_value = 2 + signal * 1.3
        lines.append(f"{chrom}\t{start}\t{end}\tpeak{rank + 1}\t{score}\t.\t{signal:.5f}\t{p_value:.5f}\t"
                     f"{max(p_value - 1.5, 0):.5f}\t{offset}")
    return lines


def generate_compendium(outdir: Path, tfs: str = "CTCF", genome_mb: float = 20.0, sites_per_tf: int = 2500,
                        seed: int = 2016, bgzip: bool = False, progress: bool = False) -> dict:
    """Write ``genome.fa`` (or ``genome.fa.gz``, bgzip), ``peaks/TF.narrowPeak``, ``sites/TF.bed``
    (the truth: every planted locus, bound or not, and its co-factor context) and
    ``compendium.json`` (parameters, motifs, counts, sha256 of every file) into ``outdir``.

    ``tfs``: comma-separated ``TF`` or ``TF:COFACTOR`` (JASPAR names). Returns the manifest.
    """
    check_replaceable(Path(outdir), ("compendium.json",))
    pairs = parse_tfs(tfs)
    lengths = chromosome_lengths(genome_mb)
    names = [f"chr{i + 1}" for i in range(len(lengths))]
    rng = np.random.default_rng(seed)
    loci, motifs = _make_loci(pairs, lengths, sites_per_tf, rng)
    by_chrom = {c: [l for l in loci if l.chrom == c] for c in range(len(lengths))}
    genome_name = "genome.fa.gz" if bgzip else "genome.fa"
    bar = None
    if progress:
        from tqdm.auto import tqdm

        # Whole bases, not float Mb: float sums overshoot the total (tqdm's "clamping frac", "4.999/4.999").
        bar = tqdm(total=int(sum(lengths)), unit="bp", unit_scale=True, desc="genome")

    def records():
        for c, (name, length) in enumerate(zip(names, lengths)):
            def blocks(c=c, length=length):
                for chunk in _genome_blocks(c, length, by_chrom[c], seed, seed + 1):
                    if bar is not None:
                        bar.update(len(chunk))
                    yield chunk
            yield name, blocks()

    with atomic_directory(Path(outdir), replaces=("compendium.json",)) as scratch:
        write_fasta(scratch / genome_name, records(), bgzip=bgzip)
        # Index now, so that readers (data prepare) never write into this folder (a DVC output).
        Genome(scratch / genome_name).close()
        if bar is not None:
            bar.close()
        (scratch / "peaks").mkdir()
        (scratch / "sites").mkdir()
        summary = []
        for tf, cofactor in pairs:
            mine = [l for l in loci if l.tf == tf]
            peak_lines = _peak_lines(mine, names, lengths, np.random.default_rng([seed, 7, len(summary)]))
            (scratch / "peaks" / f"{tf}.narrowPeak").write_text("\n".join(peak_lines) + "\n")
            truth = ["#chrom\tcentre_start\tcentre_end\tkind\tbound\tcofactor\tstrand\tstrength"] + [
                f"{names[l.chrom]}\t{l.position}\t{l.position + 1}\t{l.kind}\t{int(l.bound)}\t{l.cofactor}\t"
                f"{l.strand}\t{l.strength:.3f}" for l in sorted(mine, key=lambda l: (l.chrom, l.position))]
            (scratch / "sites" / f"{tf}.bed").write_text("\n".join(truth) + "\n")
            sites = [l for l in mine if l.kind == "site"]
            summary.append({"tf": tf, **motifs[tf], "sites": len(sites),
                            "bound_sites": sum(l.bound for l in sites),
                            "motifless_peaks": len(mine) - len(sites), "peak_records": len(peak_lines),
                            "peaks": f"peaks/{tf}.narrowPeak", "truth": f"sites/{tf}.bed"})
        manifest = {
            "generator": "bindreg.compendium.generate_compendium", "seed": seed, "genome_mb": genome_mb,
            "sites_per_tf": sites_per_tf, "jaspar_release": JASPAR_RELEASE, "genome": genome_name,
            "chromosomes": dict(zip(names, lengths)), "tfs": summary,
            "sha256": {str(p.relative_to(scratch)): sha256_file(p) for p in sorted(scratch.rglob("*")) if p.is_file()},
        }
        write_json_atomic(scratch / "compendium.json", manifest)
        write_text_atomic(scratch / "README.md", _readme(manifest))
    return manifest


def _readme(manifest: dict) -> str:
    tf_lines = "\n".join(f"- {t['tf']} ({t['motif']['matrix_id']}), co-factor {t['cofactor']['name']} "
                         f"({t['cofactor']['matrix_id']}): {t['sites']} sites, {t['bound_sites']} bound, "
                         f"{t['motifless_peaks']} motif-less peaks, {t['peak_records']} narrowPeak records"
                         for t in manifest["tfs"])
    first = manifest["tfs"][0]["tf"]
    return (f"# bindreg generated compendium (seed {manifest['seed']})\n\n"
            f"A {manifest['genome_mb']} Mb synthetic genome of human composition (`{manifest['genome']}`), "
            f"planted with {manifest['jaspar_release']} motifs, and ENCODE-style peaks per TF:\n\n{tf_lines}\n\n"
            "`sites/TF.bed` holds the truth for every planted locus. Parameters and file hashes: "
            "`compendium.json`. How sites become bound: `bindreg.compendium` (docs/occupancy.md).\n\n"
            f"    bindreg data prepare --task discovery --genome {manifest['genome']} --peaks peaks/{first}.narrowPeak -o {first}-discovery.zarr\n"
            f"    bindreg data prepare --task occupancy --genome {manifest['genome']} --peaks peaks/{first}.narrowPeak --tf {first} -o {first}-occupancy.zarr\n")


SPEC_KEYS = {"tfs": str, "genome_mb": (int, float), "sites_per_tf": int, "seed": int, "bgzip": bool}


def read_spec(path: Path) -> dict:
    """A compendium's parameters from a JSON file (the pinned raw input of the DVC pipeline),
    checked against ``generate_compendium``'s keyword arguments."""
    from ..core.validate import input_file

    input_file(path, "compendium spec")
    try:
        spec = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise BindregError(f"{path}: compendium spec not found") from None
    except json.JSONDecodeError as exc:
        raise BindregError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    except UnicodeDecodeError:
        raise BindregError(f"{path}: not UTF-8 text; give the spec as JSON") from None
    if not isinstance(spec, dict):
        raise BindregError(f"{path}: expected a JSON object such as {{\"tfs\": \"CTCF\", \"seed\": 2016}}, "
                           f"found {type(spec).__name__}")
    for key, value in spec.items():
        if key not in SPEC_KEYS:
            raise BindregError(f"{path}: unknown key {key!r}; a spec may set {', '.join(SPEC_KEYS)}")
        if not isinstance(value, SPEC_KEYS[key]):
            raise BindregError(f"{path}: {key} = {value!r} has the wrong type; see docs/compare.md")
        if isinstance(value, bool) and key != "bgzip":
            raise BindregError(f"{path}: {key} = {value!r} has the wrong type; see docs/compare.md")
    for key, least in (("genome_mb", 0.1), ("sites_per_tf", 10)):
        if key in spec and not least <= spec[key] < float("inf"):
            raise BindregError(f"{path}: {key} = {spec[key]!r} is below {least} (or not a number); see docs/compare.md")
    return spec
