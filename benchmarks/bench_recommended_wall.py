"""Wall time of `bindreg run --budget paper`: the recommended model against 1layer_128motif.

Runs the two models alternately on each dataset (same machine state for both), each as a fresh
`bindreg run` process, and prints the seconds and their ratio. Stop other heavy jobs first; the
1-minute load is printed with every figure.

    python benchmarks/bench_recommended_wall.py -d ../shared/data/zeng_md_stat3_helas3 [-d ...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed_run(model: str, data: str, out: Path) -> float:
    tick = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "bindreg"), "run", "--model", model, "--data", data, "--budget", "paper",
                    "--out", str(out), "--quiet"], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - tick


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-d", "--data", action="append", required=True)
    parser.add_argument("--model", default="bindnet_gkm")
    parser.add_argument("--reference", default="1layer_128motif")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        for index, data in enumerate(args.data):
            seconds = {m: timed_run(m, data, Path(scratch) / f"{index}-{m}") for m in (args.reference, args.model)}
            print(json.dumps({"data": Path(data).name, **{m: round(s, 1) for m, s in seconds.items()},
                              "ratio": round(seconds[args.model] / seconds[args.reference], 2),
                              "load_1min": os.getloadavg()[0]}), flush=True)


if __name__ == "__main__":
    main()
