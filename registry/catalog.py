"""What plugins register, and the per-kind catalogues that hold them."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import BindregError, unknown_name
from .hparams import PAPER_SPACE
from .sequences import SequenceSet


@dataclass(frozen=True)
class Architecture:
    """A network: ``build(hparams)`` returns a HybridBlock ``(N, 4, 1, L) -> (N, 2)`` logits.

    ``space`` maps each hyper-parameter to its choices (default: the paper's
    Table 3). The trainer reads ``dropout`` through the builder and ``rho`` and
    ``epsilon`` for AdaDelta; other keys are passed to the builder only.
    """

    name: str
    description: str
    build: Callable[[Mapping[str, Any]], Any]
    space: Mapping[str, Sequence] = field(default_factory=lambda: dict(PAPER_SPACE))


@dataclass(frozen=True)
class Task:
    """A learning task: ``label(sequences, rng)`` returns labelled examples.

    Called once per input (training input, and the test input when one is
    given), so that negatives made for the test split never derive from training
    sequences. ``rng`` is a seeded ``numpy.random.Generator``.
    """

    name: str
    description: str
    label: Callable[[SequenceSet, np.random.Generator], SequenceSet]
    #: What a store built by this task should record about how it was made.
    provenance: Mapping[str, str] = field(default_factory=dict)


@dataclass
class DatasetInputs:
    """Sequences for one experiment before encoding.

    ``test`` is ``None`` when the split is to be drawn from ``train`` (80/20);
    ``provenance`` records what the inputs were (file hashes, generator seeds).
    """

    name: str
    train: SequenceSet
    test: SequenceSet | None
    provenance: dict


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
