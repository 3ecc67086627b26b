"""Genome-scale prediction (docs/genome.md): scan speed and memory, the window-by-window path side by
side, 100,000 variants, and 1,000,000 FASTA sequences with both engines.

Parts (``--parts``, default all; each measurement runs in a child process, so its peak RSS is its own):

- ``scan``: ``bindreg scan`` of the whole generated genome at stride 1 to bigWig, 1layer and
  1layer_128motif: Mb/s and peak RSS;
- ``memory``: peak RSS of a 10 Mb scan (the first 10 Mb of chr1) against the whole genome (1layer);
- ``ratio``: on a 1 Mb piece (0.2 Mb for 1layer_128motif), today's window-by-window path (``bindreg.score.predict.score``: one-hot
  windows through the exported network, MXNet; fed 100 kb at a time so that its one-hot windows fit
  in memory) against the scan, in one process, alternating, with the largest difference of values;
- ``variants``: 100,000 SNVs (random positions of the genome, REF from it) through
  ``bindreg score-variants`` with each engine: variants/s and peak RSS;
- ``fasta``: ``bindreg predict`` of 1,000,000 sequences of 101 bp (and of 200,000, for memory) with
  each engine: sequences/s after start-up (model loaded, first block read) and end to end, peak RSS.

The genome (``bindreg data generate-compendium``, 100 Mb) and the FASTA/VCF inputs go to
``--workdir`` (default: a folder in the system's temporary directory); models are smoke-trained
once (``bindreg run --budget smoke`` on the bundled dataset) into the same folder.

    python benchmarks/bench_genome.py [--genome-mb 100] [--parts scan,memory,ratio,variants,fasta]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import save

MODELS = ("1layer", "1layer_128motif")


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------- children


def child_scan(model: str, genome: str, out: str, mb: str) -> dict:
    from bindreg.data.genome import Genome
    from bindreg.score.scan import scan

    regions, mb = None, float(mb)
    if mb:
        first = next(iter(Genome(Path(genome)).lengths))
        bed = Path(out).with_suffix(".bed")
        bed.write_text(f"{first}\t0\t{int(mb * 1e6)}\n")
        regions = bed
    started = time.perf_counter()
    summary = scan(model, Path(genome), Path(out), regions=regions)
    seconds = time.perf_counter() - started
    network = seconds - summary.write_seconds - summary.read_seconds
    return {"mb": summary.bases / 1e6, "seconds": seconds, "mb_per_s": summary.bases / 1e6 / seconds,
            "write_s": summary.write_seconds, "read_s": summary.read_seconds,
            "network_mb_per_s": summary.bases / 1e6 / network, "values": summary.scored, "peak_rss_mib": peak_mib(), "track_mib": os.path.getsize(out) / 2**20}


def child_ratio(model: str, genome: str, mb: str = "1") -> dict:
    import numpy as np

    from bindreg.data.genome import Genome
    from bindreg.score.predict import load_scorer, windows
    from bindreg.score.scan import Scanner, base_codes, load_plan

    g = Genome(Path(genome))
    chrom = next(iter(g.lengths))
    scorer = load_scorer(Path(model), "mxnet")
    length = scorer.input_length
    count = int(float(mb) * 1e6)
    piece = g.fetch(chrom, 5_000_000, 5_000_000 + count + length - 1)  # `count` windows
    scanner = Scanner(load_plan(Path(model)))
    scanner.window_probabilities(base_codes(piece[:20_000]))  # numba compiled (cached) before timing
    scorer.probabilities(windows([piece[:length]], length)[0])
    times = {"window_by_window": [], "scan": []}
    results = {}
    for _ in range(1):
        started = time.perf_counter()
        old = []
        for start in range(0, count, 100_000):
            x, _ = windows([piece[start:start + 100_000 + length - 1]], length)  # today's path, 100 kb at a time
            old.append(scorer.probabilities(x))
        times["window_by_window"].append(time.perf_counter() - started)
        for _ in range(3):
            started = time.perf_counter()
            new = scanner.window_probabilities(base_codes(piece))
            times["scan"].append(time.perf_counter() - started)
        results = {"old": np.concatenate(old), "new": new}
    best = {k: sum(v) / len(v) for k, v in times.items()}  # the slow path once, the scan's mean of 3
    return {"windows": count, "window_by_window_s": best["window_by_window"], "scan_s": best["scan"],
            "ratio": best["window_by_window"] / best["scan"],
            "max_abs_difference": float(np.abs(results["old"] - results["new"]).max())}


def child_variants(model: str, genome: str, vcf: str, engine: str, out: str) -> dict:
    from bindreg.core.fsutil import atomic_text_file
    from bindreg.score.variants import write_variant_scores

    started = time.perf_counter()
    with atomic_text_file(Path(out)) as handle:
        scored, skipped = write_variant_scores(model, Path(vcf), Path(genome), handle, engine)
    seconds = time.perf_counter() - started
    return {"variants": scored + skipped, "scored": scored, "seconds": seconds,
            "variants_per_s": (scored + skipped) / seconds, "peak_rss_mib": peak_mib()}


def child_fasta(model: str, fasta: str, engine: str, out: str) -> dict:
    from bindreg.score import fasta_stream

    marks = {}
    original = fasta_stream.iter_blocks

    def timed_blocks(*args, **kwargs):  # start-up ends when the first block has been read
        for index, block in enumerate(original(*args, **kwargs)):
            if index == 0:
                marks["first_block"] = (time.perf_counter(), len(block))
            yield block

    fasta_stream.iter_blocks = timed_blocks
    stats = {}
    started = time.perf_counter()
    count, _ = fasta_stream.predict_fasta_stream(model, Path(fasta), engine, Path(out), stats=stats)
    ended = time.perf_counter()
    after, first_count = marks["first_block"]
    return {"sequences": count, "seconds": ended - started,
            "seq_per_s_after_startup": (count - first_count) / (ended - after),
            "seq_per_s_in_process": count / (ended - started), "network_s": stats["network_seconds"],
            "network_share": stats["network_seconds"] / (ended - started), "peak_rss_mib": peak_mib()}


def child_fasta_before(model: str, fasta: str, engine: str, out: str) -> dict:
    """Today's path before this benchmark's changes: every record read into memory, windows encoded
    per sequence, the exported network at its fixed batch (64 for onnxruntime, 1000 for MXNet)."""
    from bindreg.core.fsutil import write_text_atomic
    from bindreg.score.predict import read_sequences, score_sequences

    started = time.perf_counter()
    records = read_sequences(Path(fasta))
    scores, _ = score_sequences(Path(model), records.sequences, engine, "windows")
    write_text_atomic(Path(out), "name\tscore\n" + "".join(f"{n}\t{s!r}\n" for n, s in
                                                            zip(records.names, scores.tolist())))
    seconds = time.perf_counter() - started
    return {"sequences": len(records), "seconds": seconds, "seq_per_s_in_process": len(records) / seconds,
            "peak_rss_mib": peak_mib()}


CHILDREN = {"scan": child_scan, "ratio": child_ratio, "variants": child_variants, "fasta": child_fasta,
            "fasta_before": child_fasta_before}


def run_child(kind: str, *args) -> dict:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, __file__, "--child", kind, *map(str, args)], capture_output=True,
                            text=True)
    if result.returncode:
        raise SystemExit(f"child {kind} {args} failed:\n{result.stderr[-3000:]}")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    figures["process_wall_s"] = time.perf_counter() - started
    return figures


# ---------------------------------------------------------------- inputs


def bindreg(*args: str) -> None:
    subprocess.run([str(Path(sys.executable).parent / "bindreg"), *args], check=True)


def prepare(workdir: Path, genome_mb: float) -> dict:
    """Genome, trained models and their bundles (for onnxruntime), FASTA and VCF inputs; each made once."""
    import numpy as np

    workdir.mkdir(parents=True, exist_ok=True)
    genome_dir = workdir / f"genome_{genome_mb:g}mb"
    if not (genome_dir / "compendium.json").exists():
        bindreg("data", "generate-compendium", str(genome_dir), "--genome-mb", str(genome_mb), "--seed", "1", "-q")
    models = {}
    for model in MODELS:
        run_dir = workdir / "runs" / model
        if not (run_dir / "model-symbol.json").exists():
            bindreg("run", "--model", model, "--budget", "smoke", "-q", "--out", str(run_dir))
        bundle = workdir / "bundles" / model
        if not (bundle / "model.onnx").exists():
            from bindreg.hub.bundle import build_bundle

            build_bundle(run_dir, bundle, model.replace("_", "-"))
        models[model] = bundle
    rng = np.random.default_rng(2016)
    letters = np.frombuffer(b"ACGT", np.uint8)
    fastas = {}
    for count in (200_000, 1_000_000):
        path = workdir / f"seqs_{count}.fa"
        if not path.exists():
            with open(path, "wb") as handle:
                for first in range(0, count, 100_000):
                    block = letters[rng.integers(0, 4, (100_000, 101))]
                    handle.write(b"".join(b">s%d\n%s\n" % (first + i, block[i].tobytes()) for i in range(100_000)))
        fastas[count] = path
    vcf = workdir / "variants_100k.vcf"
    if not vcf.exists():
        from bindreg.data.genome import Genome

        genome = Genome(genome_dir / "genome.fa")
        lines = ["##fileformat=VCFv4.2", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
        chroms = list(genome.lengths)
        sizes = np.array([genome.lengths[c] for c in chroms], dtype=float)
        picks = rng.choice(len(chroms), 100_000, p=sizes / sizes.sum())
        rows = []
        for number, index in enumerate(picks):
            chrom = chroms[index]
            pos = int(rng.integers(1, genome.lengths[chrom] + 1))
            ref = genome.fetch(chrom, pos - 1, pos)
            alt = "ACGT"[("ACGT".index(ref) + 1 + number % 3) % 4] if ref in "ACGT" else "A"
            rows.append((chroms.index(chrom), pos, f"{chrom}\t{pos}\tv{number}\t{ref}\t{alt}\t.\tPASS\t."))
        lines += [r[2] for r in sorted(rows)]
        vcf.write_text("\n".join(lines) + "\n")
        genome.close()
    return {"genome": genome_dir / "genome.fa", "models": models, "fasta": fastas, "vcf": vcf}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--genome-mb", type=float, default=100.0)
    parser.add_argument("--parts", default="scan,memory,ratio,variants,fasta")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "bindreg-bench-genome")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child[0]](*args.child[1:])))
        return
    inputs = prepare(args.workdir, args.genome_mb)
    genome, models, out = inputs["genome"], inputs["models"], args.workdir / "out"
    out.mkdir(exist_ok=True)
    meta = {"genome_mb": args.genome_mb, "cpus": os.cpu_count()}
    for part in args.parts.split(","):
        load = os.getloadavg()[0]
        rows = []
        if part == "scan":
            for model in MODELS:
                figures = run_child("scan", models[model], genome, out / f"{model}.bw", 0)
                rows.append({"model": model, **figures})
                print(f"scan {model}: {figures['mb']:.1f} Mb in {figures['seconds']:.1f} s = "
                      f"{figures['mb_per_s']:.2f} Mb/s ({figures['network_mb_per_s']:.2f} Mb/s in the network; writing "
                      f"the bigWig {figures['write_s']:.1f} s, reading the genome {figures['read_s']:.1f} s), "
                      f"peak RSS {figures['peak_rss_mib']:.0f} MiB", flush=True)
            header = ["model", "mb", "seconds", "mb_per_s", "network_mb_per_s", "write_s", "read_s", "peak_rss_mib",
                      "track_mib"]
        elif part == "memory":
            for mb in (10, 0):
                figures = run_child("scan", models["1layer"], genome, out / f"memory_{mb}.bw", mb)
                rows.append({"model": "1layer", **figures})
                print(f"scan of {figures['mb']:.1f} Mb: peak RSS {figures['peak_rss_mib']:.0f} MiB", flush=True)
            header = ["model", "mb", "seconds", "mb_per_s", "peak_rss_mib"]
        elif part == "ratio":
            for model, mb in (("1layer", 1), ("1layer_128motif", 0.2)):  # 128 filters: the slow path is slow
                figures = run_child("ratio", models[model], genome, mb)
                rows.append({"model": model, **figures})
                print(f"{mb} Mb, {model}: window by window {figures['window_by_window_s']:.2f} s, scan "
                      f"{figures['scan_s']:.3f} s: {figures['ratio']:.0f}x (max difference "
                      f"{figures['max_abs_difference']:.1e})", flush=True)
            header = ["model", "windows", "window_by_window_s", "scan_s", "ratio", "max_abs_difference"]
        elif part == "variants":
            for engine in ("onnxruntime", "mxnet"):
                figures = run_child("variants", models["1layer"], genome, inputs["vcf"], engine, out / f"v_{engine}.tsv")
                rows.append({"engine": engine, **figures})
                print(f"variants, {engine}: {figures['variants']} in {figures['seconds']:.1f} s = "
                      f"{figures['variants_per_s']:.0f}/s, peak RSS {figures['peak_rss_mib']:.0f} MiB", flush=True)
            header = ["engine", "variants", "seconds", "variants_per_s", "peak_rss_mib", "process_wall_s"]
        elif part == "fasta":
            for engine in ("onnxruntime", "mxnet"):
                for count in (200_000, 1_000_000):
                    figures = run_child("fasta", models["1layer"], inputs["fasta"][count], engine,
                                        out / f"f_{engine}_{count}.tsv")
                    rows.append({"engine": engine, "path": "streamed", **figures})
                    print(f"FASTA {count}, {engine}: {figures['seq_per_s_after_startup']:.0f} seq/s after start-up, "
                          f"{count / figures['process_wall_s']:.0f} seq/s with process start, network "
                          f"{figures['network_share']:.0%} of the time, peak RSS {figures['peak_rss_mib']:.0f} MiB",
                          flush=True)
                figures = run_child("fasta_before", models["1layer"], inputs["fasta"][200_000], engine,
                                    out / f"f_{engine}_before.tsv")
                rows.append({"engine": engine, "path": "before (read all, per-sequence windows)", **figures})
                streamed = next(r for r in rows if r["engine"] == engine and r["sequences"] == 200_000)
                print(f"FASTA 200000, {engine}, the path before: {figures['seq_per_s_in_process']:.0f} seq/s in "
                      f"process (streamed: {streamed['seq_per_s_in_process']:.0f}, "
                      f"{streamed['seq_per_s_in_process'] / figures['seq_per_s_in_process']:.1f}x)", flush=True)
            header = ["engine", "path", "sequences", "seconds", "seq_per_s_after_startup", "seq_per_s_in_process",
                      "network_share", "process_wall_s", "peak_rss_mib"]
        else:
            raise SystemExit(f"unknown part {part!r}")
        print(save(f"genome_{part}", rows, header, {**meta, "load_average_1min_before": load,
                                                   "load_average_1min_after": os.getloadavg()[0]}))


if __name__ == "__main__":
    main()
