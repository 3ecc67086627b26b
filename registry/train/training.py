"""The paper's three-phase protocol (section 4.2) over an encoded dataset.

1. search: each sampled hyper-parameter setting is trained and validated every
   ``search_validate_every`` minibatches; its score is its best validation accuracy;
2. training: the best setting is trained afresh, validated every
   ``train_validate_every`` minibatches, and the best iteration is kept;
3. testing: that iteration is evaluated once on the untouched test split.

The step loop is kept bare on purpose (batches are slices of one preloaded
NDArray, no host copies, no per-step synchronisation) so that the protocol costs
little more than MXNet itself; ``benchmarks/bench_training_loop.py`` checks that.

Networks that are plain ``bindreg.nets.ConvNet``s (the paper's nine CNNs), ``BothStrandsConvNet``
(``1layer_rc``) and ``DeepBindNet`` train on the packed engine (bindreg.packed): one flat AdaDelta
update, explicit per-setting dropout masks, and the search's settings trained together as one graph
per structure. Anything else (plugins' networks) trains one setting at a time with
``gluon.Trainer``; architectures with a recipe (``bindnet``) train in ``bindreg.train.recipe``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon, nd

from ..host.catalog import Architecture
from ..core.errors import BindregError
from .evaluation import binary_metrics
from ..host.hparams import sample_settings
from .packed import packable_config, train_packed, unpack
from .splits import Split, check_enough_for_a_minibatch, load_splits, with_both_strands  # noqa: F401 (read from here too)

#: Version of the protocol's semantics, part of every run's metrics and of ``bindreg compare``'s
#: job keys. 2: the search settings share one minibatch order (seeded by the run seed) and
#: dropout masks come from per-setting numpy streams, so that packed and sequential agree.
PROTOCOL_VERSION = 2


@dataclass(frozen=True)
class Protocol:
    """How much training the protocol does; ``budget`` names it on cards and in metrics."""

    settings: int = 30
    search_minibatches: int = 500
    search_validate_every: int = 100
    train_minibatches: int = 5000
    train_validate_every: int = 500
    batch_size: int = 100
    budget: str = "paper"
    #: Train on both strands (each training sequence and its reverse complement) and score
    #: every sequence as the mean over its two strands. Off in the paper; gkm-SVM's kernel
    #: counts both strands by default, so this is the fair setting when comparing with it.
    both_strands: bool = False
    #: Train the search's settings together as one graph when the architecture allows it
    #: (same results as one at a time, to float tolerance); False for debugging.
    pack: bool = True
    version: int = PROTOCOL_VERSION

    @property
    def reduced(self) -> bool:
        """True when this protocol does less than the paper's (a demo or smoke run)."""
        paper = BUDGETS["paper"]
        return (self.settings < paper.settings or self.search_minibatches < paper.search_minibatches
                or self.train_minibatches < paper.train_minibatches)

    def with_overrides(self, **overrides) -> "Protocol":
        chosen = {k: v for k, v in overrides.items() if v is not None}
        if not chosen:
            return self
        changed = replace(self, **chosen)
        return replace(changed, budget=f"{self.budget}+custom")


#: Named budgets. The paper does not state how long each search setting trains;
#: 500 minibatches (5 validations) per setting and 5,000 (the length of its
#: Table 2 timing) for the final training are our choice, documented in docs/protocol.md.
BUDGETS = {
    "paper": Protocol(),
    "demo": Protocol(settings=6, search_minibatches=200, train_minibatches=1500, budget="demo"),
    "smoke": Protocol(settings=2, search_minibatches=20, search_validate_every=10,
                      train_minibatches=40, train_validate_every=20, budget="smoke"),
}


@dataclass
class Checkpoint:
    step: int
    metrics: dict


@dataclass
class SettingResult:
    """What training one setting produced; ``params`` holds the best iteration's weights."""

    hparams: dict
    seed: int
    curve: list[Checkpoint]
    best: Checkpoint
    net: gluon.HybridBlock | None
    params: dict = field(repr=False, default_factory=dict)
    train_seconds: float = 0.0
    validation_seconds: float = 0.0
    #: Minibatches actually trained (a recipe stops early; the protocol's count otherwise).
    minibatches: int = 0

    def restore_best(self) -> gluon.HybridBlock:
        for name, param in self.net.collect_params().items():
            param.set_data(self.params[name])
        return self.net


def _better(candidate: dict, incumbent: dict | None) -> bool:
    """The paper selects by validation accuracy; ties go to the lower validation loss."""
    if incumbent is None:
        return True
    return (candidate["accuracy"], -candidate["loss"]) > (incumbent["accuracy"], -incumbent["loss"])


def build_network(architecture: Architecture, hparams: dict, input_length: int, seed: int, ctx,
                  any_length: bool = False):
    """Build, initialise (Xavier, seeded) and hybridise an architecture for ``input_length`` bp;
    ``any_length``: traced to take ``(x, lengths)`` for sequences of different lengths (bindreg.varlen)."""
    mx.random.seed(seed, ctx="all")
    try:
        net = architecture.build(dict(hparams))
    except Exception as exc:  # noqa: BLE001 - a plugin's builder
        raise BindregError(f"model {architecture.name!r} could not be built with {hparams}: "
                           f"{type(exc).__name__}: {exc}") from None
    net.initialize(mx.init.Xavier(), ctx=ctx)
    net.hybridize(static_alloc=True, static_shape=True)
    try:
        output = net(nd.zeros((1, 4, 1, input_length), ctx=ctx))
    except (mx.base.MXNetError, ValueError) as exc:  # shape inference fails in either form
        first = str(exc).strip().splitlines()[0][:200]
        raise BindregError(f"model {architecture.name!r} does not accept {input_length} bp inputs "
                           f"({first}); use sequences of the length it was designed for") from None
    if output.shape != (1, 2):
        raise BindregError(f"model {architecture.name!r} returns shape {output.shape}, expected (N, 2) logits")
    if any_length:
        from .tracing import length_aware

        return length_aware(net, architecture.name, input_length)
    return net


def train_setting(architecture: Architecture, hparams: dict, splits: dict[str, Split], minibatches: int,
                  validate_every: int, seed: int, ctx, batch_size: int = 100,
                  on_step: Callable[[int], None] | None = None, order_seed: int | None = None) -> SettingResult:
    """Train one setting for ``minibatches`` steps, validating every ``validate_every`` steps and
    at the end; keep the weights of the best validation.

    ``seed`` fixes the initialisation and dropout masks; ``order_seed`` (default ``seed``) the
    minibatch order.
    """
    check_enough_for_a_minibatch(splits["train"], batch_size)
    net = build_network(architecture, hparams, splits["train"].input_length, seed, ctx, any_length(splits))
    if packable_config([net]) is not None and not streamed(splits) and not any_length(splits):
        return train_together(architecture, [hparams], splits, minibatches, validate_every, [seed], ctx,
                              batch_size, on_step, order_seed, nets=[net], keep_nets=True)[0]
    return _train_with_gluon(net, hparams, splits, minibatches, validate_every, seed, batch_size, on_step,
                             seed if order_seed is None else order_seed)


def train_together(architecture: Architecture, settings: list[dict], splits: dict[str, Split], minibatches: int,
                   validate_every: int, seeds: list[int], ctx, batch_size: int = 100,
                   on_step: Callable[[int], None] | None = None, order_seed: int | None = None,
                   nets: list | None = None, keep_nets: bool = False) -> list[SettingResult] | None:
    """Train ``settings`` of one ConvNet architecture as one packed graph on one shared minibatch
    order; None when they cannot be packed (see ``bindreg.packed.packable_config``).

    Setting ``i`` is initialised and draws its dropout masks with ``seeds[i]`` exactly as it would
    alone, so each result equals ``train_setting`` of that setting (to float tolerance).
    ``on_step(n)`` receives the setting-steps done so far (P per packed step).
    """
    train, valid = splits["train"], splits["valid"]
    check_enough_for_a_minibatch(train, batch_size)
    if streamed(splits) or any_length(splits):
        return None
    if nets is None:  # the first alone tells whether the architecture packs at all
        nets = [build_network(architecture, settings[0], train.input_length, seeds[0], ctx)]
        if packable_config(nets) is None:
            return None
        nets += [build_network(architecture, hparams, train.input_length, seed, ctx)
                 for hparams, seed in zip(settings[1:], seeds[1:])]
    # Settings of one structure pack into one graph; a space that changes the structure (DeepBind's
    # hidden layer on or off) gives one graph per structure, each on the same minibatch order.
    groups: dict[str, tuple[dict, list[int]]] = {}
    for index, net in enumerate(nets):
        config = packable_config([net])
        if config is None:
            return None
        groups.setdefault(repr(sorted(config.items())), (config, []))[1].append(index)
    curves: list[list[Checkpoint]] = [[] for _ in settings]
    bests: list[Checkpoint | None] = [None] * len(settings)
    results: list[SettingResult | None] = [None] * len(settings)
    done = 0
    for config, members in groups.values():
        def judge(setting: int, step: int, scores: np.ndarray, members=members) -> bool:
            index = members[setting]
            checkpoint = Checkpoint(step, binary_metrics(valid.labels, scores))
            curves[index].append(checkpoint)
            if _better(checkpoint.metrics, bests[index].metrics if bests[index] else None):
                bests[index] = checkpoint
                return True
            return False

        group_nets = [nets[i] for i in members]
        order_rng = np.random.default_rng(seeds[0] if order_seed is None else order_seed)
        step_of = (lambda step, done=done, size=len(members): on_step(done + step * size)) if on_step else None
        run = train_packed(group_nets, config, [settings[i] for i in members],
                           [seeds[i] for i in members], train.batches(order_rng, batch_size), valid.x, minibatches,
                           validate_every, ctx, batch_size, judge, step_of, valid_x_rc=valid.x_rc)
        done += minibatches * len(members)
        share = 1.0 / len(members)  # one graph: each setting is charged an equal share of its time
        for slot, index in enumerate(members):
            params = {}
            if keep_nets:
                unpack(run.best_theta, run.layout, slot, nets[index])
                params = {name: p.data().copy() for name, p in nets[index].collect_params().items()}
            results[index] = SettingResult(dict(settings[index]), seeds[index], curves[index], bests[index],
                                           nets[index] if keep_nets else None, params,
                                           train_seconds=(run.seconds - run.validation_seconds) * share,
                                           validation_seconds=run.validation_seconds * share)
    return results


def streamed(splits: dict) -> bool:
    """True for splits read from Zarr chunk by chunk (``bindreg.streaming``). The packed engine
    validates on a device-resident array, so streamed runs train through ``gluon.Trainer``: slower
    per step, but bounded in memory. (Teaching the packed scorer to stream is the next step.)"""
    return not hasattr(splits["valid"], "x")


def any_length(splits: dict) -> bool:
    """True for splits of sequences of different lengths (``bindreg.varlen.VariableLengthSplit``): their
    minibatches are ``(x, lengths, y)`` and they train through ``gluon.Trainer`` only."""
    return getattr(splits["train"], "any_length", False)


def _train_with_gluon(net, hparams: dict, splits: dict[str, Split], minibatches: int, validate_every: int,
                      seed: int, batch_size: int, on_step, order_seed: int) -> SettingResult:
    """Any HybridBlock: ``gluon.Trainer`` with MXNet's AdaDelta, dropout from MXNet's RNG.
    A minibatch is ``(x, y)`` or ``(x, lengths, y)``; the network gets all but ``y``."""
    valid = splits["valid"]
    optimizer = mx.optimizer.AdaDelta(rho=hparams.get("rho", 0.9), epsilon=hparams.get("epsilon", 1e-6))
    trainer = gluon.Trainer(net.collect_params(), optimizer)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    batches = splits["train"].batches(np.random.default_rng(order_seed), batch_size)
    curve: list[Checkpoint] = []
    best: Checkpoint | None = None
    params: dict = {}
    validation_seconds = 0.0
    started = time.perf_counter()
    for step in range(1, minibatches + 1):
        *inputs, y = next(batches)
        with autograd.record():
            loss = loss_fn(net(*inputs), y)
        loss.backward()
        trainer.step(y.shape[0])  # a bucket's last minibatch may hold fewer (bindreg.varlen)
        if step % validate_every == 0 or step == minibatches:
            nd.waitall()  # MXNet runs ahead asynchronously: finish the queued training before timing validation
            tick = time.perf_counter()
            metrics = binary_metrics(valid.labels, valid.scores(net))
            checkpoint = Checkpoint(step, metrics)
            curve.append(checkpoint)
            if _better(metrics, best.metrics if best else None):
                best = checkpoint
                params = {name: p.data().copy() for name, p in net.collect_params().items()}
            validation_seconds += time.perf_counter() - tick
        if on_step is not None:
            on_step(step)
    nd.waitall()
    total = time.perf_counter() - started
    return SettingResult(dict(hparams), seed, curve, best, net, params,
                         train_seconds=total - validation_seconds, validation_seconds=validation_seconds)


def choose_setting(search: list[SettingResult]) -> int:
    """Index of the search's winner: best validation accuracy (the paper's rule), ties to the lower
    validation loss, then to the earlier setting."""
    return max(range(len(search)), key=lambda i: (search[i].best.metrics["accuracy"],
                                                  -search[i].best.metrics["loss"], -i))


@dataclass
class ProtocolResult:
    search: list[SettingResult]
    chosen: int
    final: SettingResult
    test_metrics: dict
    test_scores: np.ndarray
    wall_seconds: dict
    #: "packed" (all settings in one graph) or "sequential", and why when sequential.
    search_mode: str = "sequential"
    search_note: str = ""
    #: A gkm-SVM member scored beside ``final.net`` (``bindreg.train.gkm_member.GkmMember``), or None.
    gkm_member: object = None
    #: What the recipe measured of its members (each part's test AUROC alone, gkm-SVM's weight).
    members: dict = field(default_factory=dict)


def run_protocol(architecture: Architecture, splits: dict[str, Split], protocol: Protocol, seed: int,
                 ctx, progress: Callable[[str, int], Callable[[int], None]] | None = None,
                 task: str = "discovery") -> ProtocolResult:
    """Search, train the chosen setting, test once (``task`` is for the same call shape as
    ``bindreg.train.recipe.run_recipe``, which trains architectures that declare a recipe).

    ``progress(label, total)`` may return a per-step callback (the CLI draws bars with it).
    """
    settings = sample_settings(architecture.space, protocol.settings, seed)
    if protocol.both_strands:
        splits = with_both_strands(splits)
    tick = time.perf_counter()
    on_step = progress("search", len(settings) * protocol.search_minibatches) if progress else None
    seeds = [seed * 1000 + index for index in range(len(settings))]
    search, note = None, "--no-pack"
    if protocol.pack:
        # The bar counts setting-steps either way: P settings advance per packed step.
        search = train_together(architecture, settings, splits, protocol.search_minibatches,
                                protocol.search_validate_every, seeds, ctx, protocol.batch_size,
                                on_step, order_seed=seed)
        note = ("" if search is not None else splits["train"].why_sequential if any_length(splits)
                else "the data are streamed from Zarr" if streamed(splits)
                else f"{architecture.name} does not pack (not a ConvNet, 1layer_rc or DeepBind)")
    mode = "packed" if search is not None else "sequential"
    if search is None:
        search = []
        for index, hparams in enumerate(settings):
            done = index * protocol.search_minibatches
            result = train_setting(architecture, hparams, splits, protocol.search_minibatches,
                                   protocol.search_validate_every, seeds[index], ctx, protocol.batch_size,
                                   on_step=(lambda step, done=done: on_step(done + step)) if on_step else None,
                                   order_seed=seed)
            result.params, result.net = {}, None  # only the final model's weights are kept
            search.append(result)
    chosen = choose_setting(search)
    search_seconds = time.perf_counter() - tick

    tick = time.perf_counter()
    final = train_setting(architecture, search[chosen].hparams, splits, protocol.train_minibatches,
                          protocol.train_validate_every, seed * 1000 + 999, ctx, protocol.batch_size,
                          on_step=progress("train", protocol.train_minibatches) if progress else None)
    train_seconds = time.perf_counter() - tick

    tick = time.perf_counter()
    net = final.restore_best()
    scores = splits["test"].scores(net)
    test_metrics = binary_metrics(splits["test"].labels, scores)
    wall = {"search": search_seconds, "train": train_seconds, "test": time.perf_counter() - tick}
    return ProtocolResult(search, chosen, final, test_metrics, scores, wall, mode, note)
