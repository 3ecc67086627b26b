"""Ablation of the recommended model (bindnet) on VALIDATION splits only.

Each arm is trained on an experiment's training split and judged by its best validation AUROC;
test splits are never read (the arm's network is not scored on them). Prints one row per arm and
experiment, and writes the table as JSON lines.

    python benchmarks/bench_recommended.py -d ../shared/data/zeng_md_stat3_helas3 --arms all -o ablation.jsonl
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from dataclasses import replace
from functools import partial

import numpy as np

from bindreg.host.catalog import Architecture, Recipe
from bindreg.host.plugins import get_registry
from bindreg.score.gkm_member import standardise
from bindreg.data.datasets import prepare
from bindreg.train.devices import context
from bindreg.train.gkm_member import WEIGHTS, choose_weight
from bindreg.train.recipe import learning_schedule, refit_recipe_setting, train_recipe_setting
from bindreg.data.store import split_codes
from bindreg.train.training import load_splits


def _strandnet(filters, width, hparams, rc=True, mean=True, hidden=32, dropout=None):
    from bindreg.train.strandnet import StrandNet

    dropout = hparams.get("dropout", 0.2) if dropout is None else dropout
    return StrandNet(filters=filters, width=width, hidden=hidden, dropout=dropout,
                     fused=hparams.get("fused", False), strands=2 if rc else 1, mean=mean)


def _centrenet(filters, width, hparams, centre=41):
    """Prototype (validation only, eighth round): bindnet with a third pooled feature per filter, its
    max over the central ``centre`` positions (motifs sit near ChIP-seq summits). Unfused, and for
    101 bp inputs only (the 12 experiments); not adopted, kept so the round can be re-run."""
    from bindreg.train.strandnet import StrandNet

    class CentreNet(StrandNet):
        def _pooled(self, F, x, lengths, weight, bias):
            scan = dict(kernel=(1, self._width), num_filter=self._filters)
            forward = F.relu(F.Convolution(x, weight, bias, **scan))
            reverse = F.relu(F.Convolution(x, F.flip(F.flip(weight, axis=1), axis=3), bias, **scan))
            both_max = F.maximum(forward, reverse)  # (N, F, 1, L')
            positions = 101 - self._width + 1  # prototype: the 101 bp sets
            start = (positions - centre) // 2
            best = F.max(both_max, axis=(2, 3))
            middle = F.max(F.slice_axis(both_max, axis=3, begin=start, end=start + centre), axis=(2, 3))
            mean = F.mean(forward + reverse, axis=(2, 3)) / 2
            return F.concat(F.expand_dims(best, axis=1), F.expand_dims(middle, axis=1),
                            F.expand_dims(mean, axis=1), dim=1)

    return CentreNet(filters=filters, width=width, hidden=32, dropout=hparams.get("dropout", 0.2), fused=False)


def _bn_strandnet(filters, width, hparams, hidden=32):
    """Prototype (validation only, eighth round): bindnet with batch normalisation of its pooled
    features ``(N, 2F)`` before the dense layer; not adopted."""
    from mxnet.gluon import nn
    from bindreg.train.strandnet import StrandNet

    class NormNet(StrandNet):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.norm = nn.BatchNorm(axis=1)

        def hybrid_forward(self, F, x, lengths=None, weight=None, bias=None):
            features = self.norm(self._features(F, x, lengths, weight, bias))
            return self.output(self.dropout(self.hidden(features)))

    return NormNet(filters=filters, width=width, hidden=hidden, dropout=hparams.get("dropout", 0.2),
                   fused=hparams.get("fused", False))


BASE = Recipe(fused=True)
BINDNET = get_registry().architectures.get("bindnet").recipe
ARMS = {
    # name: (builder, recipe). "first_round" is the first recipe (one shuffle per positive, up to
    # 10,000 minibatches); each other arm changes one thing from it. "bindnet" is the registered model.
    "first_round": (partial(_strandnet, 256, 11), BASE),
    "bindnet": (partial(_strandnet, 256, 11), BINDNET),
    "no_fresh_negatives": (partial(_strandnet, 256, 11), replace(BASE, fresh_negatives=False)),
    "no_mean_pool": (partial(_strandnet, 256, 11, mean=False), BASE),
    "no_rc_sharing": (partial(_strandnet, 256, 11, rc=False), BASE),
    "adadelta": (partial(_strandnet, 256, 11), replace(BASE, optimizer="adadelta",
                                                       optimizer_params={"rho": 0.99, "epsilon": 1e-6})),
    "filters_128_width_15": (partial(_strandnet, 128, 15), BASE),
    "filters_128_width_24": (partial(_strandnet, 128, 24), BASE),
    # second round: what might widen the lead over gkm-SVM
    "shift_5": (partial(_strandnet, 256, 11), replace(BASE, shift=5)),
    "negatives_2": (partial(_strandnet, 256, 11), replace(BASE, negatives=2)),
    "negatives_4": (partial(_strandnet, 256, 11), replace(BASE, negatives=4)),
    "negatives_2_cap_5000": (partial(_strandnet, 256, 11), replace(BASE, negatives=2, max_minibatches=5000)),
    "negatives_2_cap_4000": (partial(_strandnet, 256, 11), replace(BASE, negatives=2, max_minibatches=4000)),
    "negatives_4_cap_5000": (partial(_strandnet, 256, 11), replace(BASE, negatives=4, max_minibatches=5000)),
    "hidden_128": (partial(_strandnet, 256, 11, hidden=128), BASE),
    "patience_8": (partial(_strandnet, 256, 11), replace(BASE, patience=8, decay_after=3, epochs=60,
                                                         max_minibatches=20_000)),
    # the first arms measured, on 128 filters of width 15
    # Third round: each changes one thing from the registered bindnet recipe (one member).
    "bindnet_filters_512": (partial(_strandnet, 512, 11), BINDNET),
    "bindnet_dropout_0.5": (partial(_strandnet, 256, 11, dropout=0.5), BINDNET),
    "bindnet_weight_decay": (partial(_strandnet, 256, 11), replace(
        BINDNET, optimizer_params={"learning_rate": 1e-3, "wd": 1e-4})),
    # Fourth round: each changes one thing from the registered bindnet recipe (one member).
    "bindnet_average_0.99": (partial(_strandnet, 256, 11), replace(BINDNET, average=0.99)),
    "bindnet_average_0.998": (partial(_strandnet, 256, 11), replace(BINDNET, average=0.998)),
    "bindnet_lr_2e-3": (partial(_strandnet, 256, 11), replace(BINDNET, optimizer_params={"learning_rate": 2e-3})),
    "bindnet_lr_5e-4": (partial(_strandnet, 256, 11), replace(BINDNET, optimizer_params={"learning_rate": 5e-4})),
    "bindnet_filters_384": (partial(_strandnet, 384, 11), BINDNET),
    "bindnet_batch_50": (partial(_strandnet, 256, 11), replace(BINDNET, batch_size=50)),
    "bindnet_bn": (partial(_bn_strandnet, 256, 11), BINDNET),
    "bindnet_centre_41": (partial(_centrenet, 256, 11, centre=41), BINDNET),
    "bindnet_centre_21": (partial(_centrenet, 256, 11, centre=21), BINDNET),
    "w15_no_fresh_negatives": (partial(_strandnet, 128, 15), replace(BASE, fresh_negatives=False)),
    "w15_no_mean_pool": (partial(_strandnet, 128, 15, mean=False), BASE),
    "w15_no_rc_sharing": (partial(_strandnet, 128, 15, rc=False), BASE),
}


def table(path: str, base: str = "first_round") -> str:
    """Markdown: validation AUROC per arm and experiment, and each arm's mean change against the
    arm ``base`` (the first-round recipe unless told)."""
    rows = [json.loads(line) for line in open(path)]
    data = list(dict.fromkeys(r["data"] for r in rows))
    auc = {(r["arm"], r["data"]): r["valid_auroc"] for r in rows}
    lines = ["| arm | " + " | ".join(data) + f" | mean Δ vs {base} |", "|---" * (len(data) + 2) + "|"]
    for arm in [a for a in ARMS if any((a, d) in auc for d in data)]:
        cells = [f"{auc[(arm, d)]:.4f}" if (arm, d) in auc else "—" for d in data]
        deltas = [auc[(arm, d)] - auc[(base, d)] for d in data if (arm, d) in auc and (base, d) in auc]
        mean = "—" if arm == base or not deltas else f"{np.mean(deltas):+.4f}"
        lines.append(f"| {arm} | " + " | ".join(cells) + f" | {mean} |")
    return "\n".join(lines)


def record(row: dict, out: str) -> None:
    """Print one result row and append it to the JSON-lines file ``out``."""
    print(json.dumps(row), flush=True)
    with open(out, "a") as handle:
        handle.write(json.dumps(row) + "\n")


def validation_splits(path: str, ctx):
    """``(dataset, splits)`` of one experiment with its test split removed (never looked at here)."""
    _, dataset = prepare(path, "discovery")
    splits = load_splits(dataset, ctx, split_codes(dataset["split"]))
    del splits["test"]
    return dataset, splits


def bindnet(filters: int = 256):
    """The registered bindnet as the ensemble, refit and with-gkm modes train it: ``(architecture,
    recipe, hparams)``; ``filters``: its first layer's width (``--filters``)."""
    _, recipe = ARMS["bindnet"]
    build = partial(_strandnet, filters, 11)
    architecture = Architecture("bindnet", "bindnet", build, space={"dropout": (0.2,)}, recipe=recipe)
    return architecture, recipe, {"dropout": 0.2}


def inner_splits(path: str, ctx, seed: int):
    """``(dataset, outer, inner)``: an experiment's splits without test, and its training split cut
    80/20 (drawn by ``seed``) into an inner training and an inner validation split, so that the
    outer validation split can play the test."""
    dataset, outer = validation_splits(path, ctx)
    rows = np.random.default_rng(seed).permutation(len(outer["train"]))
    cut = int(0.8 * len(rows))
    inner = {"train": outer["train"].subset(np.sort(rows[:cut])), "valid": outer["train"].subset(np.sort(rows[cut:]))}
    return dataset, outer, inner


def ensemble(data: list[str], members: int, out: str, ctx) -> None:
    """Validation AUROC of bindnet's members (seeds 0..members-1) and of their running mean."""
    from bindreg.train.evaluation import binary_metrics

    architecture, recipe, _ = bindnet()
    for path in data:
        dataset, splits = validation_splits(path, ctx)
        scores = []
        for seed in range(members):
            result = train_recipe_setting(architecture, recipe, {"dropout": 0.2}, splits, seed * 1000, ctx, True)
            scores.append(splits["valid"].scores(result.net))
            row = {"data": dataset.attrs["dataset"], "member_seed": seed,
                   "member": round(result.best.metrics["auroc"], 4),
                   "ensemble": round(binary_metrics(splits["valid"].labels, np.mean(scores, axis=0))["auroc"], 4)}
            record(row, out)


def refit(data: list[str], out: str, ctx, seed: int) -> None:
    """The second member trained again on training + validation (``Recipe.refit``) against one more
    member on the training split alone, judged on a split neither has seen: the training split is
    cut 80/20 into an inner training and an inner validation split, and the outer validation
    split plays the test (the test split is never read)."""
    from bindreg.train.evaluation import binary_metrics

    architecture, recipe, hparams = bindnet()
    for path in data:
        dataset, outer, inner = inner_splits(path, ctx, seed)
        labels = outer["valid"].labels
        tick = time.perf_counter()
        first = train_recipe_setting(architecture, recipe, hparams, inner, seed * 1000, ctx, True)
        first_s, tick = time.perf_counter() - tick, time.perf_counter()
        second = train_recipe_setting(architecture, recipe, hparams, inner, seed * 1000 + 501, ctx, True)
        second_s, tick = time.perf_counter() - tick, time.perf_counter()
        refitted = refit_recipe_setting(architecture, recipe, hparams, inner, learning_schedule(first, recipe),
                                        seed * 1000 + 501, ctx, True)
        refit_s = time.perf_counter() - tick
        scores = {name: outer["valid"].scores(result.net) for name, result in
                  (("first", first), ("second", second), ("refit", refitted))}

        def auroc(values):
            return round(binary_metrics(labels, values)["auroc"], 4)

        record({"data": dataset.attrs["dataset"], "seed": seed, "first": auroc(scores["first"]),
                "second": auroc(scores["second"]), "refit": auroc(scores["refit"]),
                "first+second": auroc((scores["first"] + scores["second"]) / 2),
                "first+refit": auroc((scores["first"] + scores["refit"]) / 2),
                "minibatches": [first.minibatches, second.minibatches, refitted.minibatches],
                "seconds": [round(first_s, 1), round(second_s, 1), round(refit_s, 1)]}, out)


def onehot(split) -> np.ndarray:
    """A split's sequences as ``(n, 4, L)`` one-hot float32 (the baselines' input)."""
    return split.x.asnumpy()[:, :, 0, :]


def with_gkm(data: list[str], out: str, ctx, seed: int, filters: int = 256, landmarks: tuple[int, ...] = (1000,),
             positives: tuple[int, ...] = (5000,), negatives: tuple[int, ...] = (1,)) -> None:
    """bindnet's second member (refit on training + validation) against gkm-SVM as the second member
    (Nystrom, 1,000 landmarks, at most 5,000 positives, fitted on the same sequences), judged as in
    ``refit``: inner 80/20 split of the training split, the outer validation split plays the test.
    Members are combined as the mean of their scores standardised on the inner validation split, and
    (``weighted``) with gkm-SVM's weight against the networks' mean chosen on the inner validation
    split, from two scorers that never trained on it. One record per gkm-SVM (each of ``landmarks``
    with each of ``positives``, its cap on positives, and each of ``negatives``, its negatives per
    positive), all beside the same two networks."""
    architecture, recipe, hparams = bindnet(filters)
    for path in data:
        dataset, outer, inner = inner_splits(path, ctx, seed)
        tick = time.perf_counter()
        first = train_recipe_setting(architecture, recipe, hparams, inner, seed * 1000, ctx, True)
        first_s, tick = time.perf_counter() - tick, time.perf_counter()
        refitted = refit_recipe_setting(architecture, recipe, hparams, inner, learning_schedule(first, recipe),
                                        seed * 1000 + 501, ctx, True)
        refit_s = time.perf_counter() - tick
        # (outer validation, inner validation) scores of each network, as P(bound) and as log-odds
        networks = {"first": (outer["valid"].scores(first.net), inner["valid"].scores(first.net)),
                    "refit": (outer["valid"].scores(refitted.net), inner["valid"].scores(refitted.net))}
        log_odds = {name: (outer["valid"].log_odds(result.net), inner["valid"].log_odds(result.net))
                    for name, result in (("first", first), ("refit", refitted))}
        zl = {name: standardise(*pair) for name, pair in log_odds.items()}
        train_positives = int((outer["train"].labels == 1).sum())
        for count, cap, per_positive in itertools.product(landmarks, positives, negatives):
            if any(smaller < cap and train_positives <= smaller for smaller in positives):
                continue  # the same fit as a smaller cap's: nothing to measure
            row, gkm_s = _judge_gkm(outer, inner, seed, count, cap, networks, log_odds, zl, per_positive)
            record({"data": dataset.attrs["dataset"], "seed": seed, "filters": filters, "landmarks": count,
                    "gkm_max_positives": cap, "gkm_negatives": per_positive, **row,
                    "seconds": [round(first_s, 1), round(refit_s, 1), gkm_s]}, out)


def _judge_gkm(outer, inner, seed: int, landmarks: int, cap: int, networks: dict, log_odds: dict,
               zl: dict, negatives: int = 1) -> tuple[dict, float]:
    """``(record fields, fit seconds)`` of one gkm-SVM (``landmarks``, at most ``cap`` positives, ``negatives``
    per positive) fitted on the outer training split beside the networks: each combination's AUROC on
    the outer validation split, and gkm-SVM's weight chosen (``choose_weight``, as ``bindnet_gkm`` does)
    from the first network and a gkm-SVM fitted on the inner training split alone, on the inner
    validation split."""
    from bindreg.train.baselines import fit_gkmsvm
    from bindreg.train.evaluation import binary_metrics

    nystrom = {"options": {"solver": "nystrom", "n_components": landmarks, "max_positives": cap,
                           "negatives": negatives}, "progress": False}
    tick = time.perf_counter()
    gkm = fit_gkmsvm(onehot(outer["train"]), outer["train"].labels, np.random.default_rng(seed), nystrom)
    gkm_s = time.perf_counter() - tick
    members = {**networks, "gkm": (gkm(onehot(outer["valid"])), gkm(onehot(inner["valid"])))}
    z = {name: standardise(*pair) for name, pair in members.items()}
    inner_gkm = fit_gkmsvm(onehot(inner["train"]), inner["train"].labels, np.random.default_rng(seed), nystrom)
    gkm_in = inner_gkm(onehot(inner["valid"]))
    weight, _ = choose_weight(inner["valid"].labels, members["first"][1], gkm_in)
    weight_l, _ = choose_weight(inner["valid"].labels, log_odds["first"][1], gkm_in)

    def auroc(values):
        return round(binary_metrics(outer["valid"].labels, values)["auroc"], 4)

    def weighted_logit(w):  # bindnet_gkm's combination at gkm-SVM's weight w
        return auroc((1 - w) * (zl["first"] + zl["refit"]) / 2 + w * z["gkm"])

    return {"gkm_fitted": gkm.fitted, "first": auroc(z["first"]), "refit": auroc(z["refit"]),
            "gkm": auroc(z["gkm"]), "first+refit": auroc((z["first"] + z["refit"]) / 2),
            "first+refit(mean P)": auroc((members["first"][0] + members["refit"][0]) / 2),
            "first+gkm": auroc((z["first"] + z["gkm"]) / 2),
            "first+refit+gkm": auroc((z["first"] + z["refit"] + z["gkm"]) / 3),
            "gkm_weight": weight, "weighted": auroc((1 - weight) * (z["first"] + z["refit"]) / 2 + weight * z["gkm"]),
            "first+refit(logit)": auroc((zl["first"] + zl["refit"]) / 2), "gkm_weight_logit": weight_l,
            "weighted_logit": weighted_logit(weight_l),
            # at every weight bindnet_gkm chooses from (WEIGHTS): how much the choice costs
            "weighted_logit_by_weight": [weighted_logit(w) for w in WEIGHTS]}, \
        round(gkm_s, 1)


def _ints(text: str) -> tuple[int, ...]:
    """``"1000,2000"`` -> ``(1000, 2000)``."""
    return tuple(int(part) for part in text.split(",") if part.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-d", "--data", action="append", required=True)
    parser.add_argument("--arms", default="all")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--out", default="ablation.jsonl")
    parser.add_argument("--table", action="store_true", help="print the Markdown table of --out and stop")
    parser.add_argument("--base", default="first_round", help="the arm --table measures the others against")
    parser.add_argument("--members", type=int, default=0,
                        help="instead of arms: train bindnet from seeds 0..N-1 and print each member's and the "
                             "running ensemble's validation AUROC")
    parser.add_argument("--refit", action="store_true",
                        help="instead of arms: a refitted second member against a second seed, on an inner split")
    parser.add_argument("--with-gkm", action="store_true",
                        help="instead of arms: gkm-SVM as the second member against the refit member, on an inner split")
    parser.add_argument("--filters", type=int, default=256, help="with --with-gkm: the networks' filters")
    parser.add_argument("--landmarks", default="1000",
                        help="with --with-gkm: gkm-SVM's Nystrom landmarks; several, comma-separated, share the networks")
    parser.add_argument("--gkm-positives", default="5000",
                        help="with --with-gkm: gkm-SVM's cap on positives (5,000: the paper's); several, comma-separated, "
                             "share the networks")
    parser.add_argument("--gkm-negatives", default="1",
                        help="with --with-gkm: gkm-SVM's negatives per positive (1: the paper's; the extra ones are "
                             "dinucleotide shuffles); several, comma-separated, share the networks")
    args = parser.parse_args()
    if args.table:
        print(table(args.out, args.base))
        return
    arms = list(ARMS) if args.arms == "all" else args.arms.split(",")
    ctx = context("cpu")
    if args.members:
        return ensemble(args.data, args.members, args.out, ctx)
    if args.refit:
        return refit(args.data, args.out, ctx, args.seed)
    if args.with_gkm:
        return with_gkm(args.data, args.out, ctx, args.seed, args.filters, _ints(args.landmarks),
                        _ints(args.gkm_positives), _ints(args.gkm_negatives))
    for data in args.data:
        dataset, splits = validation_splits(data, ctx)
        for arm in arms:
            build, recipe = ARMS[arm]
            architecture = Architecture(arm, arm, build, space={"dropout": (0.2,)}, recipe=recipe)
            tick = time.perf_counter()
            result = train_recipe_setting(architecture, recipe, {"dropout": 0.2}, splits, args.seed * 1000, ctx,
                                          reshuffle=recipe.fresh_negatives)
            row = {"data": dataset.attrs["dataset"], "arm": arm, "seed": args.seed,
                   "valid_auroc": round(result.best.metrics["auroc"], 4), "best_step": result.best.step,
                   "minibatches": result.minibatches, "seconds": round(time.perf_counter() - tick, 1)}
            record(row, args.out)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
