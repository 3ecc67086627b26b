"""bindreg from Python (notebooks, scripts): load a model, score sequences, read its card; train, compare.

``from bindreg import api`` imports no MXNet; each function imports what it needs when called.
See docs/api.md. ``zoo_build`` (beside this module) makes a zoo from a run store.

- ``load(name_or_path)``: a zoo model (``stat3-helas3-bindnet-gkm``), a pulled one
  (``NAME[@vX.Y.Z]``, cached by ``bindreg pull``), or a bundle or run directory -> ``Model``.
- ``Model.predict(sequences | fasta)``: P(bound) per sequence, in the same modes as
  ``bindreg predict`` (auto: the mode the model was tested in; the same on both engines).
- ``Model.card`` (Markdown), ``Model.metadata`` (its YAML front matter), ``Model.metrics``
  (test AUROC, AUPRC, accuracy, ...), ``Model.motifs`` (first-layer filters and their JASPAR matches).
- ``train(model, data, ...)`` and ``compare(models, data, out, ...)``: ``bindreg run`` and
  ``bindreg compare`` with the same defaults.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.errors import BindregError

__all__ = ["Model", "load", "train", "compare", "zoo"]  # zoo(): the shipped zoo as a table


@dataclass
class Model:
    """A model on this machine: a bundle (zoo or pulled) or a run directory."""

    name: str
    directory: Path
    #: The mode of the last ``predict`` (``windows`` or ``whole``).
    last_mode: str | None = field(default=None, compare=False)

    @property
    def info(self) -> dict:
        """``bundle.json`` (or the same facts from a run's ``run.json``): model, input length, ..."""
        from ..score.bundles import bundle_info

        return bundle_info(self.directory)

    @property
    def input_length(self) -> int:
        return int(self.info["input_length"])

    def predict(self, sequences, engine: str = "mxnet", mode: str = "auto", stride: int = 1):
        """P(bound) of each sequence.

        ``sequences``: a list of strings (A C G T N, any length) -> ``numpy (n,)`` float64; or the path
        of a FASTA file -> ``pandas.DataFrame`` with columns ``name`` and ``score`` in file order.
        ``engine``: ``mxnet`` or ``onnxruntime``; ``mode``: ``auto``, ``windows`` or ``whole`` (as in
        ``bindreg predict``); the mode used is kept in ``last_mode`` (and the DataFrame's ``attrs``).
        """
        from ..core.sequences import SequenceSet
        from ..score.predict import read_sequences, score_sequences

        if isinstance(sequences, (str, Path)):
            path = Path(sequences)
            if not path.is_file():
                raise BindregError(f"{sequences}: no such FASTA file; give a FASTA path or a list of sequences")
            import pandas as pd

            records = read_sequences(path)
            scores, self.last_mode = score_sequences(self.directory, records.sequences, engine, mode, stride)
            frame = pd.DataFrame({"name": records.names, "score": scores})
            frame.attrs.update({"mode": self.last_mode, "engine": engine, "model": self.name})
            return frame
        sequences = [str(s).upper() for s in sequences]
        for number, sequence in enumerate(sequences, 1):  # the alphabet check, one sequence at a time
            if not sequence:
                raise BindregError(f"sequence {number} is empty; give sequences of at least one base")
            SequenceSet([f"sequence {number}"], [sequence], None, "sequence list entry", [number]).check()
        scores, self.last_mode = score_sequences(self.directory, sequences, engine, mode, stride)
        return scores

    @property
    def card(self) -> str:
        """The model card (Markdown with YAML front matter)."""
        path = self.directory / "card.md"
        if not path.exists():
            raise BindregError(f"{self.directory}: no card.md; write it with `bindreg card {self.directory}`")
        return path.read_text()

    @property
    def metadata(self) -> dict:
        """The card's front matter: Hugging Face fields and the ``bindreg`` block."""
        import yaml

        return yaml.safe_load(self.card.split("---\n")[1])

    @property
    def metrics(self) -> dict:
        """Test metrics (``auroc``, ``auprc``, ``accuracy``, ...) and, for a run, the rest of ``metrics.json``."""
        if (self.directory / "metrics.json").exists():
            return json.loads((self.directory / "metrics.json").read_text())
        info = self.info
        return {"test": info.get("test", {}), "budget": info.get("budget"), "dataset": info.get("dataset"),
                "model": info.get("model"), "task": info.get("task")}

    @property
    def motifs(self):
        """One row per first-layer filter (``motifs.tsv``): sites, bits, best JASPAR match, p, q, whether
        the card claims it (``significant``) and why not; empty when the motifs were not analysed."""
        import pandas as pd

        path = self.directory / "motifs.tsv"
        if not path.exists():
            return pd.DataFrame(columns=["filter", "sites", "bits", "best_match", "name", "p", "q", "significant"])
        return pd.read_csv(path, sep="\t")

    def test(self) -> dict:
        """Re-check a bundle: every sha256, then ``test.expect`` with both engines (``bindreg test``)."""
        from ..hub.pull import recheck

        return recheck(str(self.directory))

    def __repr__(self) -> str:
        auroc = self.metrics.get("test", {}).get("auroc")
        return (f"Model({self.name!r}, {self.info.get('model')} on {self.info.get('dataset', '?')}, "
                f"test AUROC {auroc:.4f})" if isinstance(auroc, float) else f"Model({self.name!r})")


def load(name_or_path, repo: str | None = None) -> Model:
    """A ``Model`` from a bundle or run directory, or ``NAME[@vX.Y.Z]``: the zoo shipped with bindreg
    (verified and cached on first use, offline), a model pulled before, or, with ``repo`` (a git
    repository or zoo folder, as ``--from``), pulled from there now."""
    from ..hub.pull import local_model, pull

    if repo is not None:
        pulled = pull(str(name_or_path), repo)
        return Model(f"{pulled.name}@{pulled.version}", pulled.directory)
    path = Path(name_or_path)
    if path.is_dir():
        return Model(path.name, path)
    directory = local_model(str(name_or_path))
    return Model(f"{directory.parent.name}@{directory.name}", directory)


def zoo(tf: str | None = None):
    """The zoo shipped with bindreg as a ``pandas.DataFrame``: name, version, factor, cell line, model,
    experiment, test AUROC; ``tf`` keeps one factor's models."""
    import pandas as pd

    from ..hub.zoo import list_models

    return pd.DataFrame([{"name": m["name"], "version": m["latest"], "tf": m["meta"].get("tf"),
                          "cell_line": m["meta"].get("cell_line"), "model": m["meta"].get("model"),
                          "experiment": m["meta"].get("dataset"), "auroc": m["meta"].get("auroc")}
                         for m in list_models(None, tf)],
                        columns=["name", "version", "tf", "cell_line", "model", "experiment", "auroc"])


def train(model: str, data: str = "synthetic_ctcf", task: str = "discovery", budget: str = "paper",
          seed: int = 0, out: Path | str | None = None, runs: Path | str = "runs", **options) -> Model:
    """``bindreg run``: train and test ``model`` on ``data`` (a dataset name, file, folder or store) with
    the paper's protocol (``budget``: paper, demo or smoke); returns the run as a ``Model``.

    ``options`` are ``bindreg.experiment.runs.run``'s keywords (``both_strands`` goes to the protocol,
    ``labels``, ``test``, ``train_size``, ``any_length``, ``analyse_motifs``, ...).
    """
    from dataclasses import replace

    from ..experiment.runs import run
    from ..train.training import BUDGETS

    if budget not in BUDGETS:
        raise BindregError(f"unknown budget {budget!r}; use one of {', '.join(BUDGETS)}")
    protocol = replace(BUDGETS[budget], both_strands=bool(options.pop("both_strands", False)))
    summary = run(model, task, data, protocol, seed=seed, runs_root=Path(runs),
                  out=Path(out) if out is not None else None, **options)
    return Model(Path(summary.directory).name, Path(summary.directory))


def compare(models, data, out: Path | str, task: str = "discovery", budget: str = "paper", seed: int = 0,
            runs: str = "runs", sizes: tuple[int, ...] = (), **options) -> dict:
    """``bindreg compare``: models x experiments, runs reused from ``runs``, report written to ``out``
    (report.md, report.html, figures); returns the report's summary (median AUC per model, findings).
    ``sizes=()`` skips the data-size study (the CLI's default runs it)."""
    from ..experiment.compare import compare as run_compare
    from ..train.training import BUDGETS

    if budget not in BUDGETS:
        raise BindregError(f"unknown budget {budget!r}; use one of {', '.join(BUDGETS)}")
    models = [m.strip() for m in models.split(",")] if isinstance(models, str) else list(models)
    data = [str(d) for d in ([data] if isinstance(data, (str, Path)) else data)]
    return run_compare(models, data, task, BUDGETS[budget], Path(out), runs=str(runs), seed=seed,
                       sizes=tuple(sizes), **options)
