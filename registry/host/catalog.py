"""What plugins register, and the per-kind catalogues that hold them."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import BindregError, unknown_name
from .hparams import PAPER_SPACE
from ..core.sequences import SequenceSet


@dataclass(frozen=True)
class Recipe:
    """How an architecture trains when it does not follow the paper's protocol (``bindreg.recipe``).

    Settings drawn from the architecture's ``space`` are each trained by epochs with a Gluon
    optimiser (``optimizer`` and ``optimizer_params`` as ``gluon.Trainer`` takes them), validated
    after every epoch by AUROC; the learning rate is multiplied by ``decay`` after ``decay_after``
    epochs without improvement, training stops after ``patience`` such epochs or at ``epochs`` /
    ``max_minibatches``, and the best epoch of the best setting is kept. ``fresh_negatives``:
    in discovery, each epoch pairs the training positives with new dinucleotide shuffles.
    ``ensemble``: the best setting is trained this many times from different seeds and the model
    is the mean of the members' P(bound). ``shift``: each epoch moves every training positive by a
    random offset in ``[-shift, shift]`` bp (filled with N) before its negatives are drawn.
    ``negatives``: new shuffles of each positive per epoch (discovery). ``average``: when above 0,
    validation and the kept model use an exponential moving average of the weights with this decay
    per minibatch (Polyak averaging; 0 keeps the weights as trained). ``refit``: the ensemble's
    members after the first train on the training and validation splits together, for as many
    minibatches (scaled by the larger set) and with the same learning-rate steps as the first
    member took to its best validation AUROC; the validation AUROC reported is then the first
    member's alone. ``fused``: the builder gets ``hparams["fused"] = True`` on CPU to train with a fused first
    layer, and ``False`` for the exported network (same function). ``gkm_member``: a gkm-SVM
    (Nystrom, at most 5,000 positives) joins the networks; each part is standardised on the
    validation split and gkm-SVM's weight is chosen there (``bindreg.score.gkm_member``); it is
    saved beside the exported network and every scoring path adds its term. ``member_scale``: with
    ``gkm_member``, what of each network is standardised and averaged: ``"log_odds"`` (the logits'
    difference) or ``"probability"`` (P(bound), the first ``bindnet_gkm`` runs'). ``gkm_landmarks``:
    the member's Nystrom landmarks. ``gkm_small_landmarks``: where above 0, the landmarks instead where
    the member's first fit takes fewer than ``gkm_member.REFIT_BELOW`` positives (a small sample, fitted
    twice). ``gkm_max_positives``: the most positives the member fits (5,000,
    the paper's cap for the gkm-SVM baseline; the member is not bound by it). ``gkm_negatives``: the
    member's negatives per positive (1, the paper's; above 1 the extra ones are new dinucleotide
    shuffles of each positive and the classes are weighted equally).
    """

    optimizer: str = "adam"
    optimizer_params: Mapping[str, Any] = field(default_factory=lambda: {"learning_rate": 1e-3})
    epochs: int = 30
    max_minibatches: int = 10_000
    batch_size: int = 100
    patience: int = 4
    decay_after: int = 2
    decay: float = 0.5
    settings: int = 1
    fresh_negatives: bool = True
    fused: bool = False
    #: Members trained from different seeds (the best setting's); the model averages their P(bound).
    ensemble: int = 1
    shift: int = 0
    negatives: int = 1
    average: float = 0.0
    refit: bool = False
    gkm_member: bool = False
    member_scale: str = "probability"
    gkm_landmarks: int = 1000
    gkm_small_landmarks: int = 0
    gkm_max_positives: int = 5000
    gkm_negatives: int = 1

    def __post_init__(self):
        if self.member_scale not in MEMBER_SCALES:
            raise ValueError(f"Recipe(member_scale={self.member_scale!r}): use one of {', '.join(MEMBER_SCALES)}")


#: What ``Recipe.member_scale`` may be: the scale on which the networks join a gkm-SVM member.
MEMBER_SCALES = ("probability", "log_odds")

#: Recipe fields added after the first paper-budget runs; at these values a run keeps its old key.
RECIPE_KEY_DEFAULTS = {"shift": 0, "negatives": 1, "average": 0.0, "refit": False, "gkm_member": False,
                       "member_scale": "probability", "gkm_landmarks": 1000, "gkm_small_landmarks": 0,
                       "gkm_max_positives": 5000, "gkm_negatives": 1}


@dataclass(frozen=True)
class Architecture:
    """A network: ``build(hparams)`` returns a HybridBlock ``(N, 4, 1, L) -> (N, 2)`` logits.

    ``space`` maps each hyper-parameter to its choices (default: the paper's
    Table 3). The trainer reads ``dropout`` through the builder and ``rho`` and
    ``epsilon`` for AdaDelta; other keys are passed to the builder only.
    ``recipe``: train by this recipe instead of the paper's protocol (its optimiser, schedule
    and search over ``space``). ``recommended``: the model ``bindreg run`` trains when no
    ``--model`` is given (one per installation; ``bindreg models`` marks it). ``same_as(length)``:
    the registered model whose function this one is at inputs of ``length`` bp (same parameters,
    same initialisation, same output), else None; ``bindreg compare`` then trains that model's run
    once and reports it under both names (``3layer_local_win3`` is ``3layer`` at 101 bp).
    """

    name: str
    description: str
    build: Callable[[Mapping[str, Any]], Any]
    space: Mapping[str, Sequence] = field(default_factory=lambda: dict(PAPER_SPACE))
    recipe: Recipe | None = None
    recommended: bool = False
    same_as: Callable[[int], str | None] | None = None


@dataclass(frozen=True)
class GenomeInputs:
    """A genome and peak calls to build a task from (``bindreg data prepare``).

    ``genome`` is an indexed FASTA (plain or bgzip); ``peaks`` BED or ENCODE narrowPeak.
    The motif options (``tf``, ``matrix_id``, ``motif_file``), ``regions`` (a BED of
    regions to scan), ``position_uncontrolled`` and ``fimo_threshold`` are for tasks that
    scan for motif instances (occupancy); other tasks refuse them.
    """

    genome: Path
    peaks: Path
    tf: str | None = None
    matrix_id: str | None = None
    motif_file: Path | None = None
    regions: Path | None = None
    position_uncontrolled: bool = False
    fimo_threshold: float = 1e-4
    progress: bool = False
    #: Discovery: whole peaks (start to end) instead of the central 101 bp (docs/varlen.md).
    any_length: bool = False

    def motif_options(self) -> dict:
        """The occupancy-only options that were set, by their command-line names."""
        given = {"--tf": self.tf, "--motif": self.matrix_id, "--motif-file": self.motif_file,
                 "--regions": self.regions, "--position-uncontrolled": self.position_uncontrolled or None}
        return {k: v for k, v in given.items() if v is not None}


@dataclass(frozen=True)
class Task:
    """A learning task: ``label(sequences, rng)`` returns labelled examples.

    Called once per input (training input, and the test input when one is
    given), so that negatives made for the test split never derive from training
    sequences. ``rng`` is a seeded ``numpy.random.Generator``.

    ``from_genome(inputs, rng)``, when given, builds the task's examples from a
    genome and peaks (``GenomeInputs``) and returns labelled ``DatasetInputs``.
    """

    name: str
    description: str
    label: Callable[[SequenceSet, np.random.Generator], SequenceSet]
    #: What a store built by this task should record about how it was made.
    provenance: Mapping[str, str] = field(default_factory=dict)
    from_genome: Callable[[GenomeInputs, np.random.Generator], "DatasetInputs"] | None = None


@dataclass
class DatasetInputs:
    """Sequences for one experiment before encoding.

    ``test`` is ``None`` when the split is to be drawn from ``train`` (80/20);
    ``provenance`` records what the inputs were (file hashes, generator seeds);
    ``coords`` holds extra per-sample values (``shape=(n,)``, train then test order)
    stored as coordinates, for example each window's GC content and motif score.
    """

    name: str
    train: SequenceSet
    test: SequenceSet | None
    provenance: dict
    coords: dict = field(default_factory=dict)


@dataclass(frozen=True)
class DatasetSource:
    """A dataset known by name; ``load()`` returns its ``DatasetInputs``."""

    name: str
    description: str
    load: Callable[[], DatasetInputs]


@dataclass(frozen=True)
class SequenceFormat:
    """A file format of sequences; ``read(path)`` returns a ``SequenceSet``.

    ``companion_test(path)`` names the file that holds the matching test split
    when the format's releases ship one (``train.data`` -> ``test.data``), else
    returns ``None``.
    """

    name: str
    description: str
    suffixes: tuple[str, ...]
    read: Callable[[Path], SequenceSet]
    companion_test: Callable[[Path], Path | None] = lambda path: None


@dataclass(frozen=True)
class Baseline:
    """A non-network model run by the same runner as the architectures (``bindreg run --model NAME``).

    ``fit(train, labels, rng, context) -> scorer`` trains on ``train: shape=(n, 4, L)`` uint8 one-hot
    (A C G T) with ``labels: (n,)`` 0/1 (the train and valid splits together: a baseline has no
    search to validate); ``scorer(onehot) -> scores: (m,)`` float, higher = more likely bound.
    ``context`` holds what the dataset says about itself (``dataset``: its name, from which a
    TF name can be read) and the options given for this baseline (``options``). The runner
    times ``fit`` and reports it, like the networks, as seconds per 500,000 training samples.
    """

    name: str
    description: str
    fit: Callable[[np.ndarray, np.ndarray, np.random.Generator, Mapping[str, Any]], Callable[[np.ndarray], np.ndarray]]



@dataclass(frozen=True)
class Executor:
    """Where ``bindreg compare`` runs its jobs (``--executor NAME``).

    ``run(function, jobs, keys, options)`` calls ``function(job)`` once per job (anywhere: here,
    a cluster, a batch queue) and yields ``(index, result)`` as each finishes, in any order;
    ``keys`` are stable job names (``bindreg-run-KEY``); ``options`` holds ``scheduler`` and
    ``workers`` from the command line. ``function`` and the jobs pickle.
    """

    name: str
    description: str
    run: Callable[[Callable[[Any], Any], Sequence, Sequence[str], Mapping[str, Any]], Iterator[tuple[int, Any]]]


@dataclass(frozen=True)
class Engine:
    """A prediction engine for exported models (``bindreg predict --engine NAME``).

    ``load(directory, info) -> (run_batch, batch)``: ``directory`` is a bundle or run directory,
    ``info`` its ``bundle.json`` facts (``input_length``...); ``run_batch(x)`` maps
    ``x: shape=(n, 4, 1, L)`` float32, ``n <= batch``, to logits ``(n, 2)``.
    """

    name: str
    description: str
    load: Callable[[Path, Mapping[str, Any]], tuple[Callable[[np.ndarray], np.ndarray], int]]


@dataclass(frozen=True)
class PublishTarget:
    """Where ``bindreg publish RUN --target NAME`` puts a finished run.

    ``publish(run_dir, options) -> report``: ``run_dir`` is a checked run directory;
    ``options`` holds ``name``, ``version`` and ``stage`` (each None unless given), ``repo``
    and ``wait``. ``bindreg.hub.bundle.build_bundle(run_dir, out, name)`` makes the verified
    bundle (network, ONNX, card, ``test.expect``, sha256 manifest) a target usually ships.
    Returns lines saying what was published where. Built-in: ``dvc`` (DVC artifact + GTO tag).
    """

    name: str
    description: str
    publish: Callable[[Path, Mapping[str, Any]], str]


@dataclass(frozen=True)
class Command:
    """A ``bindreg NAME ...`` command: ``app`` is a ``typer.Typer`` (a group) or a function that
    typer turns into one command. Raise ``BindregError`` for a one-line error."""

    name: str
    description: str
    app: Any


class Catalog:
    """Items of one kind by name, each remembered with the plugin that registered it."""

    def __init__(self, kind: str, hint: str = ""):
        self.kind = kind
        self.hint = hint
        self._items: dict[str, Any] = {}
        self._plugins: dict[str, str] = {}

    def add(self, item, plugin: str) -> None:
        name = getattr(item, "name", None)
        if not isinstance(name, str) or not name.strip():
            raise BindregError(f"plugin {plugin} registered a {self.kind} without a name")
        if name in self._items:
            raise BindregError(
                f"{self.kind} {name!r} from plugin {plugin} refused: plugin "
                f"{self._plugins[name]} already registered that name; uninstall one of them")
        self._items[name] = item
        self._plugins[name] = plugin

    def get(self, name: str):
        try:
            return self._items[name]
        except KeyError:
            raise unknown_name(self.kind, name, self._items, self.hint) from None

    def plugin_of(self, name: str) -> str:
        return self._plugins[name]

    def __contains__(self, name: str) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator:
        return iter(self._items.values())

    def names(self) -> list[str]:
        return list(self._items)
