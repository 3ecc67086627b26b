"""The import graph of bindreg: no cycles, and each stage imports only the stages below it.

Every import counts, the ones inside functions too: a function-level import is still a
dependency, only a later one. docs/architecture.md explains the layers.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "registry"

#: stage -> the stages its modules may import (the top-level ``bindreg`` package is always allowed).
ALLOWED = {
    "core": set(),
    "host": {"core"},
    "data": {"core", "host"},
    "score": {"core", "host", "data"},  # scoring exported graphs: never training
    "train": {"core", "host", "data", "score"},
    "experiment": {"core", "host", "data", "score", "train"},
    "hub": {"core", "host", "data", "score", "train"},
    "cli": {"core", "host", "data", "score", "train", "experiment", "hub"},
    "api": {"core", "host", "data", "score", "train", "experiment", "hub"},  # beside cli, for Python
}


def module_names(root: Path = PACKAGE) -> dict[str, Path]:
    """``bindreg.x.y`` -> file, for every module of the package under ``root``."""
    names = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(["bindreg", *parts])] = path
    return names


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The bindreg modules that ``name`` imports anywhere in its file (functions included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            # `from pkg import module` names a module; `from module import name` names the module.
            targets = [f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in modules else stem for alias in node.names]
        else:
            continue
        found.update(t for t in targets if t == "bindreg" or t.startswith("bindreg."))
    return found


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    modules = module_names(root)
    return {name: imports_of(name, path, modules) - {name} for name, path in modules.items()}


def stage_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ALLOWED else None


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first == last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return stack[stack.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def layering_violations(graph: dict[str, set[str]]) -> list[str]:
    wrong = []
    for source, targets in sorted(graph.items()):
        stage = stage_of(source)
        for target in sorted(targets):
            if target not in graph:
                wrong.append(f"{source} imports {target}, which is no module (an old flat name?)")
            elif stage and stage_of(target) and stage_of(target) != stage and stage_of(target) not in ALLOWED[stage]:
                wrong.append(f"{source} ({stage}) imports {target} ({stage_of(target)})")
    return wrong


def test_the_package_has_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_each_stage_imports_only_the_stages_below_it():
    assert layering_violations(import_graph()) == []


def test_every_module_sits_in_a_stage():
    loose = [name for name in import_graph() if stage_of(name) is None and name not in ("bindreg", "bindreg.flat")]
    assert loose == []


def test_an_injected_cycle_is_found(tmp_path):
    """The checks above would catch a cycle: copy the package, make core import hub, look again."""
    import shutil

    copy = tmp_path / "registry"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    errors = copy / "core" / "errors.py"
    errors.write_text(errors.read_text() + "\n\ndef _later():\n    from ..hub import pull  # noqa\n")
    graph = import_graph(copy)
    cycle = find_cycle(graph)
    assert cycle is not None and "bindreg.core.errors" in cycle
    assert any("bindreg.core.errors (core) imports bindreg.hub.pull" in line for line in layering_violations(graph))


def test_scoring_with_onnxruntime_loads_neither_mxnet_nor_xarray_nor_plugins():
    code = ("import sys, bindreg.score.predict as p, bindreg.score.engines as e; e.engine_loader('onnxruntime'); "
            "print(sorted(m for m in ('mxnet', 'xarray', 'bindreg.host.plugins', 'bindreg.train') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("old", ["catalog", "hparams", "nets", "errors", "sequences", "formats", "peaks",
                                 "negatives", "occupancy", "synthetic", "baselines", "attention"])
def test_the_flat_names_plugins_import_still_work(old):
    """``bindreg.catalog`` and the other names of 0.1 are the moved modules themselves."""
    import importlib

    from bindreg.flat import MOVED

    module = importlib.import_module(f"bindreg.{old}")
    assert module is importlib.import_module(f"bindreg.{MOVED[old]}.{old}")
    assert module.__spec__.name == f"bindreg.{MOVED[old]}.{old}"
