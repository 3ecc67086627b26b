"""DeepBind's protocol on the packed engine (one graph per structure: hidden layer on, off) against the
path before (``gluon.Trainer``, one setting at a time), side by side in one process.

    python benchmarks/bench_deepbind_packed.py [--data SEQ] [--settings 30] [--minibatches 500]

The two test AUROCs differ slightly: the packed engine draws its dropout masks explicitly, MXNet's
Dropout from its own stream.
"""

from __future__ import annotations

import argparse
import json
import time

import mxnet as mx

from _common import SHARED_DATA
from bindreg.data.datasets import prepare
from bindreg.host.plugins import get_registry
from bindreg.train import training
from bindreg.train.training import BUDGETS, load_splits, run_protocol


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(SHARED_DATA / "deepbind_encode_jisraeli" / "MYC_H1-hESC_c-Myc_Stanford_AC.seq"))
    parser.add_argument("--settings", type=int, default=30)
    parser.add_argument("--minibatches", type=int, default=500)
    args = parser.parse_args()
    _, dataset = prepare(args.data, "discovery")
    splits = load_splits(dataset, mx.cpu())
    n = args.minibatches
    protocol = BUDGETS["paper"].with_overrides(settings=args.settings, search_minibatches=n, search_validate_every=n // 2,
                                               train_minibatches=n, train_validate_every=n // 2)
    packable = training.packable_config
    for path in ("packed", "before: gluon.Trainer, one setting at a time"):
        training.packable_config = packable if path == "packed" else (lambda nets: None)
        tick = time.perf_counter()
        result = run_protocol(get_registry().architectures.get("deepbind"), splits, protocol, seed=0, ctx=mx.cpu())
        print(json.dumps({"path": path, "search": result.search_mode, "seconds": round(time.perf_counter() - tick, 1),
                          "test_auroc": round(result.test_metrics["auroc"], 4)}), flush=True)
    training.packable_config = packable


if __name__ == "__main__":
    main()
