"""The run record: what a run directory says about itself, read and written in one place.

A run directory holds ``run.json`` (what was run: model, task, dataset and its content hash,
seeds, versions) and ``metrics.json`` (what came out: test metrics, protocol, chosen
hyper-parameters, wall times; written last, so its presence means the run finished).
``RunRecord`` reads both into typed fields that every reader uses (predict, bundle, publish,
cards, compare); the full JSON stays in ``run`` and ``metrics`` for what only a report needs.

Schema versions: 1 is every run written before the record existed (no ``schema_version``
key); 2 adds ``schema_version`` to ``run.json`` and nothing else, so version-1 directories
read the same way. ``metrics.json`` stays plain metrics (``dvc metrics show`` reads it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BindregError
from .fsutil import write_json_atomic

SCHEMA_VERSION = 2
RUN_FILE = "run.json"
METRICS_FILE = "metrics.json"


@dataclass(frozen=True)
class RunRecord:
    """One run. ``kind`` is ``network`` or ``baseline``; ``test`` maps metric -> value
    (``auroc``, ``auprc``, and for probabilities ``accuracy`` and ``loss``)."""

    model: str
    task: str
    dataset: str
    kind: str
    seed: int
    sequence_length: int
    both_strands: bool
    test: dict
    schema_version: int
    run: dict = field(repr=False)
    metrics: dict = field(repr=False)

    @property
    def auroc(self) -> float | None:
        return self.test.get("auroc")

    @property
    def content_sha256(self) -> str | None:
        return self.run.get("store_content_sha256")

    @classmethod
    def from_json(cls, run: dict, metrics: dict, where: str = "run directory") -> "RunRecord":
        """The record from the two parsed files (``metrics`` may be ``{}`` for an unfinished run)."""
        try:
            return cls(model=run["model"], task=run.get("task", metrics.get("task", "?")),
                       dataset=run.get("dataset", metrics.get("dataset", "?")),
                       kind=run.get("kind", metrics.get("kind", "network")), seed=int(run.get("seed", 0)),
                       sequence_length=int(run["sequence_length"]),
                       both_strands=bool((metrics.get("protocol") or {}).get("both_strands")),
                       test=dict(metrics.get("test") or {}),
                       schema_version=int(run.get("schema_version", 1)), run=run, metrics=metrics)
        except (KeyError, TypeError, ValueError) as exc:
            raise BindregError(f"{where}: {RUN_FILE} lacks or garbles {exc}; it was not written by "
                               "`bindreg run`, or was edited") from None


def _read_json(path: Path) -> dict:
    try:
        value = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError):
        raise BindregError(f"{path}: cannot be read; give a run directory that `bindreg run` wrote") from None
    except json.JSONDecodeError as exc:
        raise BindregError(f"{path}: not JSON (line {exc.lineno}: {exc.msg}); the run is damaged, run it again") \
            from None
    if not isinstance(value, dict):
        raise BindregError(f"{path}: holds {type(value).__name__}, not an object; run it again")
    return value


def is_run(directory: Path) -> bool:
    return (Path(directory) / RUN_FILE).is_file()


def is_finished(directory: Path) -> bool:
    return (Path(directory) / METRICS_FILE).is_file()


def read_run(directory: Path, finished: bool = True) -> RunRecord:
    """The record of ``directory``; ``finished=False`` also accepts a run without ``metrics.json``."""
    directory = Path(directory)
    if not is_run(directory):
        raise BindregError(f"{directory}: not a run directory (no {RUN_FILE}); give one that `bindreg run` wrote")
    if finished and not is_finished(directory):
        raise BindregError(f"{directory}: the run did not finish (no {METRICS_FILE}); run it again")
    metrics = _read_json(directory / METRICS_FILE) if is_finished(directory) else {}
    return RunRecord.from_json(_read_json(directory / RUN_FILE), metrics, str(directory))


def write_run(directory: Path, run: dict, metrics: dict) -> None:
    """Write both files with the schema version; ``metrics.json`` last (it marks the run finished)."""
    write_json_atomic(Path(directory) / RUN_FILE, {**run, "schema_version": SCHEMA_VERSION})
    write_json_atomic(Path(directory) / METRICS_FILE, metrics)
