"""Loading plugins from the ``bindreg`` entry-point group into catalogues.

Each entry point is imported on its own: one that fails to import (any exception, ``sys.exit``
included), or whose hook raises, costs one warning line on stderr and is skipped, so a broken
third-party package never takes the CLI down (the lesson of llm issue #1280). Built-in plugins
load first, so a third party cannot take a built-in name; ``BINDREG_LOAD_PLUGINS`` (comma-separated
entry-point or distribution names) limits which third-party plugins load at all (datasette's
``DATASETTE_LOAD_PLUGINS``).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from importlib.metadata import entry_points

import pluggy

from ..core.errors import BindregError
from . import hookspecs
from .catalog import (Architecture, Baseline, Catalog, Command, DatasetSource, Engine, Executor, PublishTarget,
                      SequenceFormat, Task)

ENTRY_POINT_GROUP = "bindreg"
#: The distribution whose entry points are the built-in plugins.
BUILTIN_DISTRIBUTION = "bindreg"
ALLOW_LIST = "BINDREG_LOAD_PLUGINS"


@dataclass(frozen=True)
class Kind:
    """One hook's items: where they are kept, their type, and the namespace their names share."""

    attr: str
    item_type: type
    kind: str
    hint: str
    #: Kinds in one namespace cannot reuse each other's names (``--model`` takes both networks and baselines).
    namespace: str


_MODELS_HINT = "see `bindreg models`"
_PLUGINS_HINT = "see `bindreg plugins`"
KINDS = {
    "register_architectures": Kind("architectures", Architecture, "model", _MODELS_HINT, "model"),
    "register_baselines": Kind("baselines", Baseline, "model", _MODELS_HINT, "model"),
    "register_tasks": Kind("tasks", Task, "task", _PLUGINS_HINT, "task"),
    "register_datasets": Kind("datasets", DatasetSource, "dataset", "or give a path; see `bindreg data list`",
                              "dataset"),
    "register_formats": Kind("formats", SequenceFormat, "format", _PLUGINS_HINT, "format"),
    "register_executors": Kind("executors", Executor, "executor", _PLUGINS_HINT, "executor"),
    "register_engines": Kind("engines", Engine, "engine", _PLUGINS_HINT, "engine"),
    "register_publish_targets": Kind("publish_targets", PublishTarget, "publish target", _PLUGINS_HINT, "target"),
    "register_commands": Kind("commands", Command, "command", "see `bindreg --help`", "command"),
}


@dataclass
class PluginInfo:
    name: str
    module: str
    distribution: str
    version: str
    registered: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Registry:
    """Everything the installed plugins registered."""

    architectures: Catalog
    baselines: Catalog
    tasks: Catalog
    datasets: Catalog
    formats: Catalog
    executors: Catalog
    engines: Catalog
    publish_targets: Catalog
    commands: Catalog
    plugins: list[PluginInfo]
    warnings: list[str]

    def recommended(self) -> str:
        """The name of the recommended architecture (``Architecture.recommended``), the default
        model of ``bindreg run``; a built-in one wins over a third party's, else the first."""
        marked = [a.name for a in self.architectures if a.recommended]
        if not marked:
            raise BindregError("no installed plugin marks an architecture as recommended; "
                               "pass --model (see `bindreg models`)")
        builtin = [name for name in marked if self.architectures.plugin_of(name).startswith("recommended")]
        return (builtin or marked)[0]


def _warn(warnings: list[str], message: str) -> None:
    line = " ".join(message.split())
    warnings.append(line)
    print(f"Warning: {line}", file=sys.stderr)


def _allowed(ep, dist_name: str) -> bool:
    """Built-ins always load; third parties only when named in ``BINDREG_LOAD_PLUGINS`` if it is set."""
    listed = os.environ.get(ALLOW_LIST)
    if dist_name == BUILTIN_DISTRIBUTION or listed is None:
        return True
    names = {n.strip() for n in listed.split(",") if n.strip()}
    return ep.name in names or dist_name in names


def _load_entry_points(manager: pluggy.PluginManager, warnings: list[str]) -> dict[str, PluginInfo]:
    def order(ep):
        dist = getattr(ep, "dist", None)
        return (getattr(dist, "name", "?") != BUILTIN_DISTRIBUTION, ep.value, ep.name)

    infos: dict[str, PluginInfo] = {}
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=order):
        dist = getattr(ep, "dist", None)
        dist_name, version = (dist.name, dist.version) if dist else ("?", "?")
        if ep.value in infos or not _allowed(ep, dist_name):
            continue  # the same module declared twice (an editable and a normal install), or not allowed
        module = None
        try:
            module = ep.load()
            manager.register(module, name=ep.value)
            manager.check_pending()
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - any failure of a third-party import, sys.exit too
            if module is not None and manager.is_registered(module):
                manager.unregister(module)  # e.g. a misspelt hook that check_pending refused
            _warn(warnings, f"plugin {ep.name!r} from {dist_name} {version} ({ep.value}) was not "
                            f"loaded: {type(exc).__name__}: {exc}")
            continue
        infos[ep.value] = PluginInfo(ep.name, ep.value, dist_name, version)
    return infos


def load_registry() -> Registry:
    """Import every ``bindreg`` entry point (built-ins first) and collect what its hooks register."""
    manager = pluggy.PluginManager(ENTRY_POINT_GROUP)
    manager.add_hookspecs(hookspecs)
    warnings: list[str] = []
    infos = _load_entry_points(manager, warnings)
    rank = {value: index for index, value in enumerate(infos)}
    catalogs = {k.attr: Catalog(k.kind, k.hint) for k in KINDS.values()}
    owners: dict[tuple[str, str], str] = {}  # (namespace, name) -> "kind from plugin"
    for hook_name, kind in KINDS.items():
        for impl in sorted(getattr(manager.hook, hook_name).get_hookimpls(), key=lambda i: rank[i.plugin_name]):
            info = infos[impl.plugin_name]
            label = f"{info.name} ({info.distribution} {info.version})"
            added: list[str] = []

            def register(item, _label=label, _kind=kind, _added=added):
                try:
                    _check(item, _kind, _label, owners)
                    catalogs[_kind.attr].add(item, _label)
                    owners[(_kind.namespace, item.name)] = f"{_kind.attr[:-1].replace('_', ' ')} from plugin {_label}"
                    _added.append(item.name)
                except BindregError as exc:
                    _warn(warnings, str(exc))

            try:
                impl.function(register=register)
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # noqa: BLE001
                _warn(warnings, f"plugin {label}: {hook_name} raised {type(exc).__name__}: {exc}; "
                                "what it registered before that is kept")
            if added:
                info.registered.setdefault(kind.attr, []).extend(added)
    return Registry(plugins=list(infos.values()), warnings=warnings, **catalogs)


def _check(item, kind: Kind, label: str, owners: dict) -> None:
    """Refuse an item of the wrong type, or a name another item of its namespace already holds."""
    if not isinstance(item, kind.item_type):
        raise BindregError(f"plugin {label} registered {type(item).__name__} {getattr(item, 'name', item)!r} "
                           f"through {kind.attr}; register a bindreg.catalog.{kind.item_type.__name__}")
    name = getattr(item, "name", None)
    holder = owners.get((kind.namespace, name)) if isinstance(name, str) else None
    if holder is not None and not holder.startswith(kind.attr[:-1].replace("_", " ")):
        raise BindregError(f"{kind.kind} {name!r} from plugin {label} refused: the {holder} already has that "
                           "name; rename one of them")


_cached: Registry | None = None


def get_registry() -> Registry:
    """The registry of this process, loaded on first use."""
    global _cached
    if _cached is None:
        _cached = load_registry()
    return _cached
