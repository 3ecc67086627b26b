"""The flat module names of bindreg before the stage folders (0.1), kept importable.

``import bindreg.catalog`` or ``from bindreg.nets import ConvNet`` in a plugin or script written
against the flat layout gets the very module object that now lives in a stage folder, so
monkeypatching and ``isinstance`` behave as before. Code inside bindreg imports the new paths
(tests/test_layers.py enforces it). Files are not duplicated at the old paths, so git still sees
each move as a rename.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

#: old name -> stage folder (the module keeps its name inside the folder).
MOVED = {
    **dict.fromkeys(["errors", "fsutil", "sequences"], "core"),
    **dict.fromkeys(["hookspecs", "catalog", "hparams", "plugins"], "host"),
    **dict.fromkeys(["formats", "store", "genome", "peaks", "motifs", "synthetic", "compendium", "negatives",
                     "occupancy", "datasets"], "data"),
    **dict.fromkeys(["nets", "attention", "onehot_conv", "packed", "training", "draws", "evaluation", "devices",
                     "varlen", "streaming", "baselines", "export"], "train"),
    **dict.fromkeys(["predict", "variants"], "score"),
    **dict.fromkeys(["runs", "compare", "report", "cards"], "experiment"),
    **dict.fromkeys(["bundle", "publish", "pull", "site"], "hub"),
}


class _FlatNames(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers ``bindreg.NAME`` for a moved module with the module at its new path."""

    def find_spec(self, fullname, path=None, target=None):
        package, _, name = fullname.rpartition(".")
        if package == "bindreg" and name in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        name = spec.name.rpartition(".")[2]
        module = importlib.import_module(f"bindreg.{MOVED[name]}.{name}")
        spec.loader_state = module.__spec__
        return module

    def exec_module(self, module):
        # The import system stamped the alias spec on the real module; give it its own back.
        module.__spec__ = module.__spec__.loader_state


def install() -> None:
    if not any(isinstance(finder, _FlatNames) for finder in sys.meta_path):
        sys.meta_path.append(_FlatNames())
