"""Peak memory and speed of training streamed from a Zarr store (issue 7, Deliver 3 and 4).

1. Writes a store of ``--sequences`` (default 10 million) random 101 bp sequences, half with a
   planted 18-mer, chunk by chunk (dask writes one 8,192-sequence chunk at a time), into a
   temporary folder that is deleted afterwards (~1 GB on disk).
2. In a child process: opens it (hash verified chunk by chunk), trains ``1layer`` streaming for
   ``--steps`` minibatches, scores the whole validation split (~1 million sequences) streamed;
   reports that child's peak RSS (``ru_maxrss``), steps/s and scoring throughput.
3. In another child, on a ``--small`` store (default 200,000 sequences): the same training
   in memory, streaming, and streaming without read-ahead, interleaved in one process; prints
   steps/s ratios. Each path's peak RSS is measured in a child of its own.
4. A whole smoke-sized ``bindreg run`` on the big store without ``--stream`` (the memory budget
   makes it stream): its peak RSS and the path it chose (``--no-cli-run`` skips it).

Must show: peak RSS under 2 GB for 10 million sequences.

    python benchmarks/bench_streaming.py [--sequences 10000000] [--steps 1000] [--small 200000]
"""

from __future__ import annotations

import argparse
import functools
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _common import RESULTS, save

MOTIF = "CCGCGTGACGTCACGCGG"
LENGTH = 101


@functools.lru_cache(maxsize=8)  # dask asks for each chunk's label, one-hot and split separately
def _block(block_index: int, rows: int, seed: int):
    """One chunk's labels, one-hot and split codes, from its own seed (so chunks are independent)."""
    rng = np.random.default_rng([seed, block_index])
    label = rng.integers(0, 2, rows).astype(np.int8)
    bases = rng.integers(0, 4, (rows, LENGTH), dtype=np.uint8)
    motif = np.frombuffer(MOTIF.encode(), np.uint8)
    motif_codes = np.searchsorted(np.frombuffer(b"ACGT", np.uint8), motif).astype(np.uint8)
    bound = np.flatnonzero(label == 1)
    starts = rng.integers(0, LENGTH - len(MOTIF) + 1, len(bound))
    bases[bound[:, None], starts[:, None] + np.arange(len(MOTIF))] = motif_codes
    onehot = (bases[:, None, :] == np.arange(4, dtype=np.uint8)[None, :, None]).astype(np.uint8)
    split = rng.choice(3, rows, p=[0.7, 0.1, 0.2]).astype(np.int8)
    return label, onehot, split


def write_synthetic_store(path: Path, sequences: int, seed: int = 0) -> Path:
    """A bindreg store (format 1) of ``sequences`` generated sequences, written chunk by chunk."""
    import dask
    import dask.array as da
    import xarray as xr
    import zarr

    from bindreg.data.store import CHUNK_SAMPLES, FORMAT_VERSION, SPLITS, content_hash

    sizes = [min(CHUNK_SAMPLES, sequences - start) for start in range(0, sequences, CHUNK_SAMPLES)]
    split_names = np.array(SPLITS)

    def part(which, block_info=None):
        index = block_info[None]["chunk-location"][0]
        label, onehot, split = _block(index, sizes[index], seed)
        return {"label": label, "onehot": onehot, "split": split_names[split]}[which]

    onehot = da.map_blocks(part, "onehot", chunks=(tuple(sizes), (4,), (LENGTH,)), dtype=np.uint8)
    label = da.map_blocks(part, "label", chunks=(tuple(sizes),), dtype=np.int8)
    split = da.map_blocks(part, "split", chunks=(tuple(sizes),), dtype="<U5")
    names = da.map_blocks(lambda block_info=None: np.char.add("g", np.arange(
        *block_info[None]["array-location"][0]).astype("U8")), chunks=(tuple(sizes),), dtype="<U9")
    dataset = xr.Dataset({"onehot": (("sample", "base", "position"), onehot), "label": (("sample",), label),
                          "split": (("sample",), split)},
                         coords={"base": list("ACGT"), "name": (("sample",), names)})
    with dask.config.set(scheduler="threads", num_workers=2):
        dataset.to_zarr(path, mode="w", consolidated=False)
    group = zarr.open_group(str(path), mode="r+")
    label_all, codes = group["label"][:], np.zeros(sequences, np.int8)
    for start in range(0, sequences, 1 << 20):
        codes[start:start + (1 << 20)] = np.searchsorted(split_names, group["split"][start:start + (1 << 20)])
    group.attrs.update({
        "bindreg_format": FORMAT_VERSION, "task": "discovery", "dataset": f"generated_{sequences}",
        "sequence_length": LENGTH, "split_seed": seed, "created_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "counts": json.dumps({s: {"positives": int(((codes == i) & (label_all == 1)).sum()),
                                  "negatives": int(((codes == i) & (label_all == 0)).sum())}
                              for i, s in enumerate(SPLITS)}),
        "provenance": json.dumps({"generator": "benchmarks/bench_streaming.py", "seed": seed, "motif": MOTIF}),
        "content_sha256": content_hash(group["onehot"], label_all, group["split"]),
    })
    zarr.consolidate_metadata(str(path))
    return path


def _peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9  # Linux: kB


def _train(splits, steps: int, seed: int = 0):
    import mxnet as mx

    from bindreg.host.plugins import get_registry
    from bindreg.train.training import train_setting

    hparams = {"dropout": 0.5, "rho": 0.99, "epsilon": 1e-6}
    result = train_setting(get_registry().architectures.get("1layer"), hparams, splits, steps, steps, seed,
                           mx.cpu(), 100)
    return result


def child_stream(store: str, steps: int) -> dict:
    """Open, train streaming and score the validation split; the peak RSS of all of it."""
    import mxnet as mx

    from bindreg.data.store import open_store
    from bindreg.train.streaming import stream_splits

    tick = time.perf_counter()
    dataset = open_store(Path(store))
    open_seconds = time.perf_counter() - tick
    splits = stream_splits(dataset, Path(store), mx.cpu())
    result = _train(splits, steps)
    tick = time.perf_counter()
    scores = splits["valid"].scores(result.restore_best())
    score_seconds = time.perf_counter() - tick
    return {"sequences": int(dataset.sizes["sample"]), "train_rows": len(splits["train"]),
            "valid_rows": len(scores), "open_verify_s": open_seconds, "steps": steps,
            "steps_per_s": steps / result.train_seconds, "valid_auroc_end": result.best.metrics["auroc"],
            "valid_score_seqs_per_s": len(scores) / score_seconds, "peak_rss_gb": _peak_rss_gb()}


def child_memory_only(store: str, path: str, steps: int) -> dict:
    """Peak RSS of one path alone on the small store."""
    import mxnet as mx

    from bindreg.data.store import open_store
    from bindreg.train.streaming import stream_splits
    from bindreg.train.training import load_splits

    dataset = open_store(Path(store))
    splits = load_splits(dataset, mx.cpu()) if path == "in_memory" else stream_splits(dataset, Path(store), mx.cpu())
    result = _train(splits, steps)
    return {"path": path, "peak_rss_gb": _peak_rss_gb(), "steps_per_s": steps / result.train_seconds}


def child_interleaved(store: str, steps: int, rounds: int) -> dict:
    """Steps/s of in-memory, streaming and streaming without read-ahead, interleaved in one process;
    then validation scoring (sequences/s) the same three ways."""
    import mxnet as mx

    from bindreg.data.store import open_store
    from bindreg.train.streaming import stream_splits
    from bindreg.train.training import load_splits

    dataset = open_store(Path(store))
    variants = {"in_memory": load_splits(dataset, mx.cpu()),
                "streaming": stream_splits(dataset, Path(store), mx.cpu()),
                "streaming_no_read_ahead": stream_splits(dataset, Path(store), mx.cpu(), prefetch=0)}
    seconds = {name: [] for name in variants}
    _train(variants["in_memory"], 50)  # warm-up: MXNet's first steps allocate
    for round_index in range(rounds):
        for name, splits in variants.items():
            seconds[name].append(_train(splits, steps, seed=round_index).train_seconds)
    rates = {name: steps / float(np.median(values)) for name, values in seconds.items()}
    net = _train(variants["in_memory"], 10).restore_best()
    scoring = {name: [] for name in variants}
    for _ in range(rounds):
        for name, splits in variants.items():
            tick = time.perf_counter()
            count = len(splits["valid"].scores(net))
            scoring[name].append(count / (time.perf_counter() - tick))
    return {"steps_per_s": rates, "valid_seqs_per_s": {name: float(np.median(v)) for name, v in scoring.items()}}


def child_cli(store: str, out: str) -> dict:
    """A whole ``bindreg run`` on the big store with no --stream (the memory budget picks the path),
    smoke-sized: open + verify, search, training, 4 validation/test passes, run directory; the peak
    RSS of that process."""
    command = [str(Path(sys.executable).parent / "bindreg"), "run", "--model", "1layer", "--data", store,
               "--budget", "smoke", "--settings", "1", "--train-minibatches", "20", "-q", "--out", out]
    tick = time.perf_counter()
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    metrics = json.loads((Path(out) / "metrics.json").read_text())
    return {"peak_rss_gb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / 1e9,
            "wall_s": time.perf_counter() - tick, "data_path": metrics["data_path"]["path"],
            "stdout": result.stdout.strip().splitlines()[0], "test_auroc": metrics["test"]["auroc"]}


def _in_child(*args: str) -> dict:
    output = subprocess.run([sys.executable, __file__, "--child", *args], check=True, capture_output=True,
                            text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=10_000_000)
    parser.add_argument("--small", type=int, default=200_000)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-cli-run", dest="cli_run", action="store_false",
                        help="skip the whole `bindreg run` on the big store (~4 validation passes)")
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        function = {"stream": child_stream, "memory": child_memory_only, "interleaved": child_interleaved,
                    "cli": child_cli}[kind]
        print(json.dumps(function(*[int(v) if v.isdigit() else v for v in rest])))
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench_streaming.", dir=RESULTS) as scratch:
        small = write_synthetic_store(Path(scratch) / "small.zarr", args.small)
        interleaved = _in_child("interleaved", str(small), str(args.steps // 2), str(args.rounds))
        alone = [_in_child("memory", str(small), path, str(args.steps // 2)) for path in ("in_memory", "streaming")]
        tick = time.perf_counter()
        big = write_synthetic_store(Path(scratch) / "big.zarr", args.sequences)
        write_seconds = time.perf_counter() - tick
        store_gb = sum(f.stat().st_size for f in big.rglob("*") if f.is_file()) / 1e9
        streamed = _in_child("stream", str(big), str(args.steps))
        cli = _in_child("cli", str(big), str(Path(scratch) / "run")) if args.cli_run else None
    steps, scoring = interleaved["steps_per_s"], interleaved["valid_seqs_per_s"]
    rows = [
        {"measure": f"peak RSS, streaming {args.sequences:,} sequences (GB)", "value": streamed["peak_rss_gb"]},
        {"measure": "  in-memory path would hold (GB, float32 + epoch copy)",
         "value": args.sequences * 4 * LENGTH * 4 * 1.8 / 1e9},
        {"measure": "  steps/s, streaming 1layer batch 100", "value": streamed["steps_per_s"]},
        {"measure": "  valid split scored (sequences/s, streamed)", "value": streamed["valid_score_seqs_per_s"]},
        {"measure": "  open + verify hash (s)", "value": streamed["open_verify_s"]},
        {"measure": "  store on disk (GB)", "value": store_gb},
        *([{"measure": f"peak RSS, whole `bindreg run` (smoke) on {args.sequences:,} (GB)", "value": cli["peak_rss_gb"]},
           {"measure": f"  path it chose by itself: {cli['data_path']}; wall (s)", "value": cli["wall_s"]}]
          if cli else []),
        {"measure": f"peak RSS, {args.small:,} sequences in memory (GB)", "value": alone[0]["peak_rss_gb"]},
        {"measure": f"peak RSS, {args.small:,} sequences streaming (GB)", "value": alone[1]["peak_rss_gb"]},
        {"measure": "steps/s streaming / in memory (interleaved)",
         "value": steps["streaming"] / steps["in_memory"]},
        {"measure": "steps/s read-ahead / no read-ahead (interleaved)",
         "value": steps["streaming"] / steps["streaming_no_read_ahead"]},
        {"measure": "valid scoring seqs/s streaming / in memory (interleaved)",
         "value": scoring["streaming"] / scoring["in_memory"]},
        {"measure": "valid scoring seqs/s read-ahead / no read-ahead (interleaved)",
         "value": scoring["streaming"] / scoring["streaming_no_read_ahead"]},
    ]
    meta = {"args": vars(args), "stream_child": streamed, "interleaved_steps_per_s": interleaved, "alone": alone, "cli_run": cli,
            "big_store_written_s": write_seconds}
    print(save("streaming", rows, ["measure", "value"], meta))
    print(json.dumps(meta, indent=1))
    verdict = "met" if max(streamed["peak_rss_gb"], cli["peak_rss_gb"] if cli else 0) < 2 else "NOT met"
    print(f"must-show (< 2 GB RSS for {args.sequences:,} sequences): {verdict}")


if __name__ == "__main__":
    main()
