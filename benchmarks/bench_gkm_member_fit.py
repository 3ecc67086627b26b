"""bindnet_gkm's gkm-SVM member on a small training split (fewer than 5,000 positives), where it is
fitted twice: the second fit (training + validation) reusing the first's landmarks, kernel rows and
shuffles (``gkm_scoring.NystromReuse``) against both fits from scratch, alternated in one process on
one thread, as the member's background thread runs them.

    python benchmarks/bench_gkm_member_fit.py -d DATA [-d ...] [--repeats 2]

Prints one JSON line per dataset: the seconds of each way (every repeat), the sequences the kept
fit holds, and whether the first fit's validation scores are the same both ways. Stop other heavy
jobs first; the 1-minute load is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from bindreg.data.datasets import prepare
from bindreg.data.store import split_codes
from bindreg.host.plugins import get_registry
from bindreg.score.gkm_scoring import serial_here
from bindreg.train.devices import context
from bindreg.train.gkm_member import _fit_parts, _onehot, member_settings
from bindreg.train.training import load_splits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-d", "--data", action="append", required=True)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    serial_here()  # one thread, as in the member's fitting thread
    recipe = get_registry().architectures.get("bindnet_gkm").recipe  # the member's landmarks, cap, negatives
    member = member_settings(recipe)
    for data in args.data:
        _, dataset = prepare(data, "discovery")
        splits = load_splits(dataset, context("cpu"), split_codes(dataset["split"]))
        parts = (_onehot(splits["train"]), splits["train"].labels, _onehot(splits["valid"]), splits["valid"].labels)
        seconds, probes, fitted = {"reuse": [], "scratch": []}, {}, 0
        for _ in range(args.repeats):
            for way in seconds:
                tick = time.perf_counter()
                probe_valid, kept, _, _ = _fit_parts(*parts, args.seed, **member, reuse=way == "reuse")
                seconds[way].append(round(time.perf_counter() - tick, 1))
                probes[way], fitted = probe_valid, kept.fitted
        print(json.dumps({"data": Path(data).name, "seconds": seconds, "kept_fitted": fitted,
                          "same_first_fit": bool(np.array_equal(probes["reuse"], probes["scratch"])),
                          "load_1min": round(os.getloadavg()[0], 2)}), flush=True)


if __name__ == "__main__":
    main()
