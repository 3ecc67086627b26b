"""Speed of genome-wide FIMO scanning with window extraction: Mb scanned per second and peak memory,
on a generated genome of at least 100 Mb (the occupancy task's first step).

The genome is generated once (cached under benchmarks/results/), then scanned in a
child process so that its peak RSS is the scan's alone: the process that streams the
genome and collects instances, and (separately) the largest of its FIMO worker
processes. Bounded memory means both stay flat as the genome grows: the scan is also
run on the first tenth of the genome for comparison. Other load on the machine slows
the Mb/s figure; the memory figures do not depend on it.

    python benchmarks/bench_genome_scan.py [--genome-mb 100] [--tf CTCF]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

from _common import RESULTS, save


def scan_child(genome_path: str, tf: str, limit_mb: float | None) -> None:
    """Run in a child process: scan and print a JSON line of figures."""
    from bindreg.data.genome import Genome, Interval
    from bindreg.data.motifs import resolve_motif, scan_genome

    genome = Genome(genome_path)
    motif = resolve_motif(tf=tf)
    regions = None
    if limit_mb:
        first = next(iter(genome.lengths))
        regions = [Interval(first, 0, int(limit_mb * 1e6))]
    started = time.perf_counter()
    instances = scan_genome(genome, motif, regions, half_context=100)
    seconds = time.perf_counter() - started
    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"mb": instances.bases_scanned / 1e6, "seconds": seconds, "instances": len(instances),
                      "parent_mib": parent, "worker_mib": worker, "motif": motif.identity["matrix_id"],
                      "width": motif.width}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--genome-mb", type=float, default=100.0)
    parser.add_argument("--tf", default="CTCF")
    parser.add_argument("--child", nargs=2, metavar=("GENOME", "LIMIT_MB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        scan_child(args.child[0], args.tf, float(args.child[1]) or None)
        return
    from bindreg.data.compendium import generate_compendium

    folder = RESULTS / f"scan_genome_{args.genome_mb:g}mb"
    if not (folder / "compendium.json").exists():
        started = time.perf_counter()
        generate_compendium(folder, args.tf, genome_mb=args.genome_mb, sites_per_tf=5000, seed=1, progress=True)
        print(f"generated {args.genome_mb:g} Mb in {time.perf_counter() - started:.0f} s", flush=True)
    rows = []
    for limit in (args.genome_mb / 10, 0):
        child = subprocess.run([sys.executable, __file__, "--tf", args.tf, "--child", str(folder / "genome.fa"),
                                str(limit)], capture_output=True, text=True, check=True)
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        rows.append({"scanned_mb": round(figures["mb"], 1), "mb_per_s": figures["mb"] / figures["seconds"],
                     "seconds": figures["seconds"], "peak_rss_parent_mib": figures["parent_mib"],
                     "peak_rss_worker_mib": figures["worker_mib"],
                     "instances": figures["instances"], "motif": f"{args.tf} {figures['motif']} ({figures['width']} bp)"})
        print(f"{rows[-1]['scanned_mb']:>7} Mb: {rows[-1]['mb_per_s']:.2f} Mb/s, peak RSS {figures['parent_mib']:.0f} MiB "
              f"+ {figures['worker_mib']:.0f} MiB per FIMO worker, "
              f"{figures['instances']} instances", flush=True)
    print(save("genome_scan", rows, ["scanned_mb", "mb_per_s", "seconds", "peak_rss_parent_mib", "peak_rss_worker_mib",
                                     "instances", "motif"],
               {"genome_mb": args.genome_mb, "chunk_bases": 1_000_000, "threshold": 1e-4, "workers": 2,
                "load_average_1min": os.getloadavg()[0]}))


if __name__ == "__main__":
    main()
