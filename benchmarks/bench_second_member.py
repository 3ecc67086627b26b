"""Is bindnet's second ensemble member better as another seed or as another filter width? VALIDATION only.

Trains bindnet's network (256 filters of width 11, its recipe) from one seed, and as the second
member the same network from another seed or a network of another width; prints each member's
validation AUROC and the mean of the first with each second. Test splits are never read.

    python benchmarks/bench_second_member.py -d DATA [-d DATA ...] -o second.jsonl
"""

from __future__ import annotations

import argparse
from functools import partial

import numpy as np

from bench_recommended import ARMS, _strandnet, record, validation_splits
from bindreg.host.catalog import Architecture
from bindreg.train.devices import context
from bindreg.train.evaluation import binary_metrics
from bindreg.train.recipe import train_recipe_setting

#: name: (filters, width, seed); "w11_s0" is the first member, every other one a candidate second.
MEMBERS = {"w11_s0": (256, 11, 0), "w11_s1": (256, 11, 1), "w15_s1": (256, 15, 1), "w19_s1": (128, 19, 1),
           "w7_s1": (256, 7, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-d", "--data", action="append", required=True)
    parser.add_argument("-o", "--out", default="second.jsonl")
    args = parser.parse_args()
    recipe, ctx = ARMS["bindnet"][1], context("cpu")
    for path in args.data:
        dataset, splits = validation_splits(path, ctx)
        labels, scores = splits["valid"].labels, {}
        for name, (filters, width, seed) in MEMBERS.items():
            architecture = Architecture(name, name, partial(_strandnet, filters, width), space={"dropout": (0.2,)},
                                        recipe=recipe)
            result = train_recipe_setting(architecture, recipe, {"dropout": 0.2}, splits, seed * 1000 + 500, ctx, True)
            scores[name] = splits["valid"].scores(result.net)
        row = {"data": dataset.attrs["dataset"]}
        for name in MEMBERS:
            row[name] = round(binary_metrics(labels, scores[name])["auroc"], 4)
            if name != "w11_s0":
                row[f"w11_s0+{name}"] = round(binary_metrics(labels, (scores["w11_s0"] + scores[name]) / 2)["auroc"], 4)
        record(row, args.out)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
