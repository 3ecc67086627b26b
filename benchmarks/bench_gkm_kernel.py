"""gkm-SVM's kernel against Nystrom landmarks (``gkm_scoring.kernel_against``'s serial kernel, most of
the member's fit): the present kernel against the one before 2026-12-08 (kept below as the baseline),
alternated in one process on one thread, as the member's fitting thread runs it.

    python benchmarks/bench_gkm_kernel.py -d DATA [-d ...] [--rows 40000] [--landmarks 1000] [--repeats 2]

Prints one JSON line per dataset: the seconds of each (every repeat) and whether the two give the same
bits. The rows are the training split's first sequences (40,000: the member's largest sample). Stop
other heavy jobs first; the 1-minute load is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
from numba import njit

from bindreg.data.datasets import prepare
from bindreg.data.store import split_codes
from bindreg.score import gkm_scoring
from bindreg.train.devices import context
from bindreg.train.gkm_member import _onehot
from bindreg.train.training import load_splits


@njit(nogil=True)
def _before(x_head, x_tail, y_head, y_tail, weights, offsets, head_code, tail_code, tail_size, out):
    """The kernel as it was, verbatim (int64 index included), so the baseline stays the measured one:
    each add straight into ``out``, one look-up at a time. Its index-building half is the present
    kernel's but for the index width; it is not shared, as a change there would move the baseline."""
    rows, columns = y_head.shape
    for p in range(weights.shape[0]):
        size = offsets[p + 1] - offsets[p]
        start = np.zeros(size + 1, np.int64)
        codes = np.empty((rows, columns), np.int64)
        for i in range(rows):
            for v in range(columns):
                code = head_code[p, y_head[i, v]] * tail_size[p] + tail_code[p, y_tail[i, v]]
                codes[i, v] = code
                start[code + 1] += 1
        for code in range(size):
            start[code + 1] += start[code]
        fill = start[:-1].copy()
        owner = np.empty(rows * columns, np.int32)
        for i in range(rows):
            for v in range(columns):
                owner[fill[codes[i, v]]] = i
                fill[codes[i, v]] += 1
        weight = weights[p]
        for n in range(x_head.shape[0]):
            for w in range(x_head.shape[1]):
                code = head_code[p, x_head[n, w]] * tail_size[p] + tail_code[p, x_tail[n, w]]
                for entry in range(start[code], start[code + 1]):
                    out[n, owner[entry]] += weight


def main() -> None:
    from gkmsvm.train import _build_kernel

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-d", "--data", action="append", required=True)
    parser.add_argument("--rows", type=int, default=40_000)
    parser.add_argument("--landmarks", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    kernel, _, _ = _build_kernel("estimated", 11, 7, 3, 1.0, None, None, True)  # the member's
    layout = gkm_scoring._tables(kernel)
    for data in args.data:
        _, dataset = prepare(data, "discovery")
        x = np.ascontiguousarray(_onehot(load_splits(dataset, context("cpu"), split_codes(dataset["split"]))["train"])
                                 [: args.rows], np.float32)
        chosen = np.sort(np.random.RandomState(42).choice(len(x), min(args.landmarks, len(x)), replace=False))
        y_head, y_tail = gkm_scoring._both_strands(kernel, x[chosen])
        x_head, x_tail = gkm_scoring._split(kernel.base_index_windows(x))
        ways = {"before": _before, "now": gkm_scoring._against_serial}
        outs = {}
        for way, function in ways.items():  # compile (or load) first, on a few rows
            function(x_head[:4], x_tail[:4], y_head, y_tail, *layout, np.zeros((4, len(chosen))))
        seconds = {way: [] for way in ways}
        for _ in range(args.repeats):
            for way, function in ways.items():
                outs[way] = np.zeros((len(x), len(chosen)))
                tick = time.perf_counter()
                function(x_head, x_tail, y_head, y_tail, *layout, outs[way])
                seconds[way].append(round(time.perf_counter() - tick, 2))
        print(json.dumps({"data": Path(data).name, "rows": len(x), "landmarks": len(chosen), "seconds": seconds,
                          "same_bits": bool(np.array_equal(outs["before"], outs["now"])),
                          "load_1min": round(os.getloadavg()[0], 2)}), flush=True)


if __name__ == "__main__":
    main()
