"""Loading plugins from the ``bindreg`` entry-point group into catalogues.

Each entry point is imported on its own: one that fails to import, or whose
hook raises, costs one warning line on stderr and is skipped, so a broken
third-party package never takes the CLI down (the lesson of llm issue #1280).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from importlib.metadata import entry_points

import pluggy

from . import hookspecs
from .catalog import Catalog
from ..core.errors import BindregError

ENTRY_POINT_GROUP = "bindreg"

#: Hook name -> (catalogue attribute, item kind, hint for unknown names).
_KINDS = {
    "register_architectures": ("architectures", "model", "see `bindreg models`"),
    "register_baselines": ("baselines", "model", "see `bindreg models`"),
    "register_tasks": ("tasks", "task", "see `bindreg plugins`"),
    "register_datasets": ("datasets", "dataset", "or give a path; see `bindreg data list`"),
    "register_formats": ("formats", "format", "see `bindreg plugins`"),
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
    plugins: list[PluginInfo]
    warnings: list[str]


def _warn(warnings: list[str], message: str) -> None:
    line = " ".join(message.split())
    warnings.append(line)
    print(f"Warning: {line}", file=sys.stderr)


def load_registry() -> Registry:
    """Import every ``bindreg`` entry point and collect what its hooks register."""
    manager = pluggy.PluginManager(ENTRY_POINT_GROUP)
    manager.add_hookspecs(hookspecs)
    warnings: list[str] = []
    infos: dict[str, PluginInfo] = {}
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: (e.value, e.name)):
        dist = getattr(ep, "dist", None)
        dist_name, version = (dist.name, dist.version) if dist else ("?", "?")
        if ep.value in infos:
            continue  # the same module declared twice (e.g. an editable and a normal install)
        module = None
        try:
            module = ep.load()
            manager.register(module, name=ep.value)
            manager.check_pending()
        except Exception as exc:  # noqa: BLE001 - any failure of a third-party import
            if module is not None and manager.is_registered(module):
                manager.unregister(module)  # e.g. a misspelt hook that check_pending refused
            _warn(warnings, f"plugin {ep.name!r} from {dist_name} {version} ({ep.value}) was not "
                            f"loaded: {type(exc).__name__}: {exc}")
            continue
        infos[ep.value] = PluginInfo(ep.name, ep.value, dist_name, version)

    catalogs = {attr: Catalog(kind, hint) for attr, kind, hint in _KINDS.values()}
    for hook_name, (attr, _kind, _hint) in _KINDS.items():
        for impl in getattr(manager.hook, hook_name).get_hookimpls():
            info = infos[impl.plugin_name]
            label = f"{info.name} ({info.distribution} {info.version})"
            added: list[str] = []

            def register(item, _label=label, _attr=attr, _added=added):
                try:
                    catalogs[_attr].add(item, _label)
                    _added.append(item.name)
                except BindregError as exc:
                    _warn(warnings, str(exc))

            try:
                impl.function(register=register)
            except Exception as exc:  # noqa: BLE001
                _warn(warnings, f"plugin {label}: {hook_name} raised {type(exc).__name__}: {exc}; "
                                "what it registered before that is kept")
            if added:
                info.registered.setdefault(attr, []).extend(added)
    return Registry(plugins=list(infos.values()), warnings=warnings, **catalogs)


_cached: Registry | None = None


def get_registry() -> Registry:
    """The registry of this process, loaded on first use."""
    global _cached
    if _cached is None:
        _cached = load_registry()
    return _cached
