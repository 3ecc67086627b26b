"""Training by an architecture's own recipe, for networks that do not follow the paper's protocol.

The paper trains every network the same way (AdaDelta, a 30-setting search, 5,000 minibatches of
final training, model selection by validation accuracy). An architecture that declares a
``Recipe`` (``bindreg.catalog``) is trained here instead:

1. each of ``recipe.settings`` settings drawn from the architecture's space is trained by epochs
   with the recipe's optimiser; in discovery, every epoch pairs the training positives with fresh
   dinucleotide shuffles of them, so the network cannot memorise one fixed set of negatives;
2. after each epoch the validation AUROC is measured; the learning rate is halved after
   ``decay_after`` epochs without a better one and training stops after ``patience`` (or at
   ``epochs`` / ``max_minibatches``); the best epoch's weights are kept;
3. the setting with the best validation AUROC is the model; with ``recipe.ensemble = K`` it is
   trained K - 1 more times from other seeds and the model is the mean of the K members'
   P(bound) (``Ensemble``, one exported graph); it is tested once on the test split. With
   ``recipe.refit`` those K - 1 members train on the training and validation splits together,
   repeating the first member's schedule (``learning_schedule``, ``refit_recipe_setting``).

Only validation data choose anything: epochs, learning-rate steps and the setting.
"""

from __future__ import annotations

import time
from dataclasses import replace

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon, nd
from mxnet.gluon import HybridBlock

from ..core.errors import BindregError
from ..data.negatives import fresh_negatives
from ..host.catalog import Architecture, Recipe
from .evaluation import binary_metrics
from ..host.hparams import sample_settings
from .splits import check_enough_for_a_minibatch
from .training import Checkpoint, Protocol, ProtocolResult, SettingResult, build_network


def scaled(recipe: Recipe, protocol: Protocol) -> Recipe:
    """The recipe at a reduced budget: epochs and minibatches in proportion to the protocol's final
    training (the paper's 5,000 minibatches = the whole recipe)."""
    share = min(1.0, protocol.train_minibatches / 5000)
    if share >= 1.0:
        return recipe
    return replace(recipe, epochs=max(1, round(recipe.epochs * share)),
                   max_minibatches=max(1, round(recipe.max_minibatches * share)),
                   settings=1 if protocol.settings < 6 else recipe.settings,
                   ensemble=1 if protocol.settings < 6 else recipe.ensemble)


def shifted(x: np.ndarray, shift: int, rng: np.random.Generator) -> np.ndarray:
    """``x: (n, 4, L)`` one-hot with each row moved by its own random offset in ``[-shift, shift]``;
    the positions moved in from outside are N (all-zero columns)."""
    length = x.shape[2]
    offsets = rng.integers(-shift, shift + 1, size=len(x))
    source = np.arange(length)[None, :] - offsets[:, None]  # (n, L) position each column comes from
    inside = (source >= 0) & (source < length)
    moved = np.take_along_axis(x, np.clip(source, 0, length - 1)[:, None, :].repeat(4, axis=1), axis=2)
    return moved * inside[:, None, :].astype(x.dtype)


def _epochs(train, recipe: Recipe, rng: np.random.Generator, reshuffle: bool, ctx):
    """Each epoch's ``(x, y)`` NDArrays, in a fresh random order."""
    x = train.x.asnumpy()[:, :, 0, :].astype(np.uint8)
    labels = train.labels.astype(np.float32)
    positives = x[labels == 1]
    while True:
        if reshuffle:
            moved = shifted(positives, recipe.shift, rng) if recipe.shift else positives
            negatives = [fresh_negatives(moved, rng) for _ in range(recipe.negatives)]
            epoch_x = np.concatenate([moved, *negatives])
            epoch_y = np.repeat(np.float32([1, 0]), [len(moved), len(moved) * recipe.negatives])
        else:
            epoch_x, epoch_y = x, labels
        order = rng.permutation(len(epoch_y))
        yield (nd.array(epoch_x[order][:, :, None, :], ctx=ctx, dtype="float32"),
               nd.array(epoch_y[order], ctx=ctx, dtype="float32"))


def _twin(net, architecture: Architecture, hparams: dict, input_length: int, seed: int, ctx):
    """The exportable (unfused) network with ``net``'s weights."""
    twin = build_network(architecture, {**hparams, "fused": False}, input_length, seed, ctx)
    source = {name.split("_", 1)[1]: p for name, p in net.collect_params().items()}
    for name, param in twin.collect_params().items():
        param.set_data(source[name.split("_", 1)[1]].data())
    return twin


class _WeightAverage:
    """Exponential moving average of a network's weights (Polyak averaging), updated every minibatch.

    Why: Adam's last steps jitter the weights; their running average usually scores better and
    costs a few element-wise updates a step. The decay ramps up from 0.5 (``(1 + t) / (10 + t)``)
    so the first steps are not pulled towards the initial weights."""

    def __init__(self, net, decay: float):
        self._params = list(net.collect_params().values())
        self._shadow = [p.data().copy() for p in self._params]
        self._decay, self._steps = decay, 0

    def update(self) -> None:
        self._steps += 1
        decay = min(self._decay, (1 + self._steps) / (10 + self._steps))
        for index, param in enumerate(self._params):
            self._shadow[index] = self._shadow[index] * decay + param.data() * (1 - decay)

    def swap(self) -> None:
        """Exchange the trained and the averaged weights (call again to swap back)."""
        for index, param in enumerate(self._params):
            trained = param.data().copy()
            param.set_data(self._shadow[index])
            self._shadow[index] = trained


def _train_epoch(net, trainer, loss_fn, epoch, batch_size: int, average, step: int, stop: int, on_step) -> int:
    """Train on one epoch's ``(x, y)`` minibatch by minibatch (the last partial one skipped) until
    ``stop`` minibatches in all; returns the count. ``on_step(step)`` runs after each one."""
    x, y = epoch
    for start in range(0, len(y) // batch_size * batch_size, batch_size):
        with autograd.record():
            loss = loss_fn(net(x[start:start + batch_size]), y[start:start + batch_size])
        loss.backward()
        trainer.step(batch_size)
        if average is not None:
            average.update()
        step += 1
        if on_step is not None:
            on_step(step)
        if step >= stop:
            break
    return step


def _start(architecture: Architecture, recipe: Recipe, hparams: dict, train, seed: int, ctx, reshuffle: bool):
    """``(fused, net, trainer, loss, epochs, average)``: a member's network, optimiser, loss, epoch
    stream (``_epochs``) and weight average (None unless ``recipe.average``)."""
    fused = recipe.fused and ctx.device_type == "cpu"
    net = build_network(architecture, {**hparams, "fused": fused}, train.input_length, seed, ctx)
    trainer = gluon.Trainer(net.collect_params(), recipe.optimizer, dict(recipe.optimizer_params))
    epochs = _epochs(train, recipe, np.random.default_rng(seed), reshuffle, ctx)
    average = _WeightAverage(net, recipe.average) if recipe.average else None
    return fused, net, trainer, gluon.loss.SoftmaxCrossEntropyLoss(), epochs, average


def _improves(checkpoint: Checkpoint, best: Checkpoint | None) -> bool:
    """Higher validation AUROC, ties broken by lower loss."""
    return best is None or (checkpoint.metrics["auroc"], -checkpoint.metrics["loss"]) > \
        (best.metrics["auroc"], -best.metrics["loss"])


def learning_schedule(result: SettingResult, recipe: Recipe) -> tuple[int, list[int]]:
    """``(best step, steps at which the learning rate was halved before it)``, replayed from a
    member's validation curve: what a refit without validation repeats."""
    best, since_best, halvings = None, 0, []
    for checkpoint in result.curve:
        if checkpoint.step > result.best.step:
            break
        if _improves(checkpoint, best):
            best, since_best = checkpoint, 0
        else:
            since_best += 1
            if since_best % recipe.decay_after == 0:
                halvings.append(checkpoint.step)
    return result.best.step, halvings


def refit_recipe_setting(architecture: Architecture, recipe: Recipe, hparams: dict, splits: dict,
                         schedule: tuple[int, list[int]], seed: int, ctx, reshuffle: bool,
                         on_step=None) -> SettingResult:
    """One more member trained on the training and validation splits together, without validation.

    Why: the validation split holds a fifth of the labelled sequences; once a first member has
    shown how long to train (``schedule``, from ``learning_schedule``), a member that also learns
    from them sees 25% more binding sites, and on the weak-motif experiments AUROC still rises with
    data (docs/recommended.md). Its minibatches and learning-rate steps are the first member's,
    scaled by the larger set, within ``recipe.max_minibatches``. ``best`` is the final step with
    no metrics (nothing is left to validate on)."""
    train = splits["train"].joined(splits["valid"])
    scale = len(train) / len(splits["train"])
    best_step, halvings = schedule
    total = min(recipe.max_minibatches, max(1, round(best_step * scale)))
    steps_to_halve = sorted(round(step * scale) for step in halvings)
    fused, net, trainer, loss_fn, epochs, average = _start(architecture, recipe, hparams, train, seed, ctx, reshuffle)
    started, step = time.perf_counter(), 0

    def report_and_halve(step):
        if on_step is not None:
            on_step(step)
        while steps_to_halve and step >= steps_to_halve[0]:
            steps_to_halve.pop(0)
            trainer.set_learning_rate(trainer.learning_rate * recipe.decay)

    while step < total:
        step = _train_epoch(net, trainer, loss_fn, next(epochs), recipe.batch_size, average, step, total,
                            report_and_halve)
    nd.waitall()
    if on_step is not None and step < recipe.max_minibatches:
        on_step(recipe.max_minibatches)
    if average is not None:
        average.swap()
    exported = _twin(net, architecture, hparams, train.input_length, seed, ctx) if fused else net
    return SettingResult(dict(hparams), seed, [], Checkpoint(step, {}), exported,
                         {name: p.data().copy() for name, p in exported.collect_params().items()},
                         train_seconds=time.perf_counter() - started, minibatches=step)


def train_recipe_setting(architecture: Architecture, recipe: Recipe, hparams: dict, splits: dict, seed: int,
                         ctx, reshuffle: bool, on_step=None) -> SettingResult:
    """Train one setting by the recipe; ``final.net`` is the exportable network at its best epoch."""
    train, valid = splits["train"], splits["valid"]
    check_enough_for_a_minibatch(train, recipe.batch_size)
    fused, net, trainer, loss_fn, epochs, average = _start(architecture, recipe, hparams, train, seed, ctx, reshuffle)
    curve, best, params = [], None, {}
    step, since_best, validation_seconds = 0, 0, 0.0
    started = time.perf_counter()
    for _ in range(recipe.epochs):
        step = _train_epoch(net, trainer, loss_fn, next(epochs), recipe.batch_size, average, step,
                            recipe.max_minibatches, on_step)
        nd.waitall()
        tick = time.perf_counter()
        if average is not None:
            average.swap()  # validate (and keep) the averaged weights
        checkpoint = Checkpoint(step, binary_metrics(valid.labels, valid.scores(net)))
        curve.append(checkpoint)
        if _improves(checkpoint, best):
            best, since_best = checkpoint, 0
            params = {name: p.data().copy() for name, p in net.collect_params().items()}
        else:
            since_best += 1
            if since_best % recipe.decay_after == 0:
                trainer.set_learning_rate(trainer.learning_rate * recipe.decay)
        if average is not None:
            average.swap()  # back to the trained weights
        validation_seconds += time.perf_counter() - tick
        if since_best >= recipe.patience or step >= recipe.max_minibatches:
            break
    total = time.perf_counter() - started
    if on_step is not None and step < recipe.max_minibatches:
        on_step(recipe.max_minibatches)  # stopped early: close the bar
    for name, param in net.collect_params().items():
        param.set_data(params[name])
    exported = _twin(net, architecture, hparams, train.input_length, seed, ctx) if fused else net
    return SettingResult(dict(hparams), seed, curve, best, exported,
                         {name: p.data().copy() for name, p in exported.collect_params().items()},
                         train_seconds=total - validation_seconds, validation_seconds=validation_seconds,
                         minibatches=step)


class Ensemble(HybridBlock):
    """The mean of its members' P(bound), as two logits ``log(1 - p), log(p)`` (softmax gives back p).

    ``(N, 4, 1, L)`` [+ ``lengths (N,)``] -> ``(N, 2)``; exports to ONNX like its members."""

    def __init__(self, members: list, **kwargs):
        super().__init__(**kwargs)
        self._count = len(members)
        for index, member in enumerate(members):
            self.register_child(member, f"member{index}")

    def hybrid_forward(self, F, x, lengths=None):
        inputs = (x,) if lengths is None else (x, lengths)
        total = None
        for member in self._children.values():
            probability = F.softmax(member(*inputs), axis=1)
            total = probability if total is None else total + probability
        return F.log(F.clip(total / self._count, 1e-12, 1.0))


class StandardisedEnsemble(Ensemble):
    """The networks' part of a model with a gkm-SVM member (``bindreg.score.gkm_member``):
    ``t = scale * mean_k (s_k - mean_k) / std_k`` over its members' scores ``s_k``, each
    standardised on the validation split, as the logits ``(-t / 2, t / 2)`` (softmax gives
    ``sigmoid(t)``); the member's term is added to ``t`` outside the graph. ``s_k`` is the
    network's log-odds of bound (``log_odds=True``) or its P(bound). ``(N, 4, 1, L)`` -> ``(N, 2)``;
    exports to ONNX like ``Ensemble``."""

    def __init__(self, members: list, centres: list[tuple[float, float]], scale: float, log_odds: bool = False,
                 **kwargs):
        super().__init__(members, **kwargs)
        self._factors = [(float(mean), float(scale) / (float(std) * len(members))) for mean, std in centres]
        self._log_odds = log_odds

    def hybrid_forward(self, F, x, lengths=None):
        inputs = (x,) if lengths is None else (x, lengths)
        total = None
        for (mean, factor), member in zip(self._factors, self._children.values()):
            out = member(*inputs)
            if self._log_odds:
                bound = F.slice_axis(out, axis=1, begin=1, end=2) - F.slice_axis(out, axis=1, begin=0, end=1)
            else:
                bound = F.slice_axis(F.softmax(out, axis=1), axis=1, begin=1, end=2)
            term = (bound - mean) * factor
            total = term if total is None else total + term
        return F.concat(total * -0.5, total * 0.5, dim=1)


def network_logits(net, x: nd.NDArray, batch_size: int = 1000) -> np.ndarray:
    """``net``'s logits ``(n, 2)`` float32 for ``x: (n, 4, 1, L)``."""
    return nd.concat(*[net(x[start:start + batch_size]) for start in range(0, x.shape[0], batch_size)],
                     dim=0).asnumpy()


def member_scores(split, net, scale: str) -> np.ndarray:
    """A network's scores on ``split`` on the scale it joins a gkm-SVM member (``Recipe.member_scale``)."""
    return split.log_odds(net) if scale == "log_odds" else split.scores(net)


def _join_gkm_member(members: list[SettingResult], splits: dict, fit, scale: str) -> tuple:
    """``(net, member, measured, on_valid)``: the networks standardised on the validation split
    (``StandardisedEnsemble``) and the gkm-SVM member weighted there by ``fit``, the ``MemberFit``
    started before the networks (``measured``: its weight search; ``on_valid``: each network's
    validation scores on ``scale``)."""
    on_valid = [member_scores(splits["valid"], m.net, scale) for m in members]
    member, measured = fit.member(on_valid[0])
    net = StandardisedEnsemble([m.net for m in members], [(p.mean(), p.std() + 1e-12) for p in on_valid],
                               1.0 - member.weight, log_odds=scale == "log_odds")
    net.hybridize(static_alloc=True, static_shape=True)
    return net, member, measured, on_valid


def _test_with_member(net, member, members: list[SettingResult], on_valid: list, test, measured: dict,
                      scale: str) -> np.ndarray:
    """The model's test scores (the exported networks' logits plus the member's term, as every scoring
    path computes them); adds each part's test AUROC alone and the weight to ``measured``. Each
    part is computed once: the networks' standardised mean is the graph's logit difference divided
    by ``1 - w`` (recomputed member by member only where ``w`` = 1 leaves nothing of it)."""
    from ..score.engines import p_bound
    from ..score.gkm_member import standardise

    logits = network_logits(net, test.x)
    decision = member.decision(test.x.asnumpy()[:, :, 0, :])
    if member.weight < 1.0:
        networks = logits[:, 1].astype(np.float64) - logits[:, 0]
    else:
        networks = np.mean([standardise(member_scores(test, m.net, scale), p) for m, p in zip(members, on_valid)],
                           axis=0)
    measured.update({"gkm_weight": member.weight,
                     "networks_test_auroc": binary_metrics(test.labels, networks)["auroc"],
                     "gkm_test_auroc": binary_metrics(test.labels, decision)["auroc"]})
    return p_bound(member.add_to_logits(logits, test.x, decision))


def run_recipe(architecture: Architecture, splits: dict, protocol: Protocol, seed: int, ctx,
               progress=None, task: str = "discovery") -> ProtocolResult:
    """Search the recipe's settings, keep the best by validation AUROC, add ``recipe.ensemble - 1``
    more members of that setting (other seeds), test the mean of their P(bound) once."""
    if not all(hasattr(split, "x") for split in splits.values()) or getattr(splits["train"], "any_length", False):
        raise BindregError(f"{architecture.name} trains by its own recipe on fixed-length sequences held in memory; "
                           "drop --stream and --any-length (or pick a paper model, see `bindreg models`)")
    recipe = scaled(architecture.recipe, protocol)
    reshuffle = recipe.fresh_negatives and task == "discovery"
    settings = sample_settings(architecture.space, recipe.settings, seed)
    tick = time.perf_counter()
    if recipe.gkm_member:
        from .gkm_member import MemberFit, member_settings

        gkm_fit = MemberFit(splits, seed, **member_settings(recipe))  # in the background while the networks train
    search = []
    total = len(settings) + recipe.ensemble - 1
    for index, hparams in enumerate(settings):
        bar = progress(f"train {index + 1}/{total}", recipe.max_minibatches) if progress else None
        search.append(train_recipe_setting(architecture, recipe, hparams, splits, seed * 1000 + index, ctx,
                                           reshuffle, bar))
    chosen = max(range(len(search)), key=lambda i: (search[i].best.metrics["auroc"], -i))
    final = search[chosen]
    members = [final]
    if recipe.ensemble > 1:
        schedule = learning_schedule(final, recipe)
        for extra in range(1, recipe.ensemble):
            bar = progress(f"train {len(settings) + extra}/{total}", recipe.max_minibatches) if progress else None
            if recipe.refit:
                members.append(refit_recipe_setting(architecture, recipe, final.hparams, splits, schedule,
                                                    seed * 1000 + 500 + extra, ctx, reshuffle, bar))
            else:
                members.append(train_recipe_setting(architecture, recipe, final.hparams, splits,
                                                    seed * 1000 + 500 + extra, ctx, reshuffle, bar))
    gkm_member, measured = None, {}
    if recipe.gkm_member:
        net, gkm_member, measured, on_valid = _join_gkm_member(members, splits, gkm_fit, recipe.member_scale)
    elif len(members) > 1:
        net = Ensemble([m.net for m in members])
        net.hybridize(static_alloc=True, static_shape=True)
    if len(members) > 1 or gkm_member is not None:
        valid = splits["valid"]
        # A refit member has seen the validation split: only the first member can still be judged on it.
        best = final.best if recipe.refit or gkm_member is not None else Checkpoint(final.best.step,
                                                          binary_metrics(valid.labels, valid.scores(net)))
        final = SettingResult(dict(final.hparams), final.seed, final.curve, best, net,
                              {name: p.data().copy() for name, p in net.collect_params().items()},
                              train_seconds=sum(m.train_seconds for m in members),
                              validation_seconds=sum(m.validation_seconds for m in members),
                              minibatches=sum(m.minibatches for m in members))
    train_seconds = time.perf_counter() - tick
    tick = time.perf_counter()
    if gkm_member is not None:
        scores = _test_with_member(final.net, gkm_member, members, on_valid, splits["test"], measured,
                                   recipe.member_scale)
    else:
        scores = splits["test"].scores(final.net)
    test_metrics = binary_metrics(splits["test"].labels, scores)
    wall = {"search": 0.0, "train": train_seconds, "test": time.perf_counter() - tick}
    note = (f"recipe: {recipe.optimizer}, {len(settings)} setting(s) trained to the best validation AUROC"
            + (f", an ensemble of {recipe.ensemble}" if recipe.ensemble > 1 else "")
            + (f", {recipe.negatives} fresh shuffle(s) of each positive every epoch" if reshuffle else "")
            + (f" (positives shifted up to {recipe.shift} bp)" if reshuffle and recipe.shift else "")
            + (", members after the first refitted on training + validation (validation AUROC: the first "
               "member's)" if recipe.refit and recipe.ensemble > 1 else "")
            + (f", and gkm-SVM as a member (weight {gkm_member.weight:.1f}, chosen on validation; the networks"
               f" join it by their {recipe.member_scale.replace('_', '-')})"
               if gkm_member is not None else "")
            + f", at most {recipe.max_minibatches} minibatches per member")
    return ProtocolResult(search, chosen, final, test_metrics, scores, wall, "recipe", note,
                          gkm_member=gkm_member, members=measured)
