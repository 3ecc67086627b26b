"""Run every benchmark in one go (`make bench`); each prints its own table.

The PyTorch comparisons (bench_vs_pytorch.py, bench_protocol_vs_pytorch.py) need the ``bench``
extra (torch==2.13.0, CPU); without it they print a one-line note and are skipped.

``--with-genome`` adds the slower genome benchmarks: FIMO scanning of a generated 100 Mb
genome (bench_genome_scan.py), genome-scale prediction with the CNNs (bench_genome.py: scans of
the 100 Mb genome, the window-by-window path side by side, 100,000 variants, 1,000,000 FASTA
sequences; docs/genome.md) and the task comparison on the generated compendium (bench_occupancy.py). ``--with-streaming`` adds bench_streaming.py: it writes a store of 10 million
sequences (~2 GB in a temporary folder, deleted after) and measures the peak memory of training
streamed from it (about 10 minutes).
"""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
scripts = ["bench_training_loop.py", "bench_fused_first_layer.py", "bench_strands_backward.py", "bench_vs_pytorch.py", "bench_protocol_vs_pytorch.py", "bench_packed_vs_sequential.py",
           "bench_real_data.py", "bench_varlen.py"]
if "--with-genome" in sys.argv[1:]:
    scripts += ["bench_genome_scan.py", "bench_genome.py", "bench_occupancy.py"]
if "--with-streaming" in sys.argv[1:]:
    scripts += ["bench_streaming.py"]

for script in scripts:
    print(f"== {script}", flush=True)
    subprocess.run([sys.executable, str(HERE / script)], check=True, cwd=HERE)
