"""``bindreg models`` (architectures, published models), ``plugins`` and ``tasks``: what is installed."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer

from .common import FromRepo, app, group, table

models_app = group(no_args_is_help=False, invoke_without_command=True,
                   help="With no subcommand: the architectures that installed plugins register. "
                        "[bold]list[/bold] and [bold]show[/bold]: models published in a registry.\n\n"
                        "Example: [bold]bindreg models list --from ../registry[/bold]")
app.add_typer(models_app, name="models")


@models_app.callback()
def models(ctx: typer.Context):
    """List the architectures and baselines that installed plugins register (both run with --model); [bold]models list[/bold] lists published models.

    Example: [bold]bindreg models[/bold]
    """
    if ctx.invoked_subcommand is not None:
        return
    from ..host.plugins import get_registry

    registry = get_registry()
    table([[a.name + (" *" if getattr(a, "recommended", False) else ""), kind, a.description, catalog.plugin_of(a.name)]
           for kind, catalog in (("network", registry.architectures), ("baseline", registry.baselines))
           for a in catalog], ["model", "kind", "description", "plugin"])
    typer.echo("* recommended: what `bindreg run` trains without --model (docs/recommended.md)")


@models_app.command("list")
def models_list(repo: Annotated[Optional[str], typer.Option("--from", help="A git repository (path or URL) the "
                                                            "models are published in, or a zoo folder; default: "
                                                            "the zoo shipped with bindreg, then the current "
                                                            "repository.")] = None,
                tf: Annotated[Optional[str], typer.Option("--tf", help="Only this factor's models, e.g. STAT3.")]
                = None):
    """List published models: the zoo shipped with bindreg (offline) and a registry's: latest version, stages, factor, task, experiment, test AUROC.

    Example: [bold]bindreg models list --tf STAT3[/bold]; [bold]bindreg models list --from ../registry[/bold]
    """
    from ..hub.repository import list_models

    rows = list_models(repo, tf)
    table([[m["name"], m["latest"], ", ".join(f"{k}: {v}" for k, v in m["stages"].items()) or "-",
            str(m["meta"].get("tf", "-")), str(m["meta"].get("task", "?")), str(m["meta"].get("dataset", "?")),
            str(m["meta"].get("auroc", "?")), str(len(m["versions"])), m.get("source", "-")] for m in rows],
          ["name", "latest", "stages", "factor", "task", "experiment", "test AUROC", "versions", "source"])
    if not rows:
        typer.echo("no published models" + (f" for factor {tf}" if tf else ""), err=True)


@models_app.command("show")
def models_show(spec: Annotated[str, typer.Argument(help="NAME or NAME@vX.Y.Z.")], repo: FromRepo = None):
    """Show one published model: its versions, stages and the facts recorded when it was published.

    Example: [bold]bindreg models show 1layer-zeng-md-stat3-helas3 --from ../registry[/bold]
    """
    from ..hub.repository import show_model

    typer.echo(json.dumps(show_model(spec, repo), indent=2, sort_keys=True))


@app.command()
def plugins(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False):
    """List every installed plugin, its version and what it registers.

    Example: [bold]bindreg plugins --json[/bold]
    """
    from dataclasses import asdict

    from ..host.plugins import get_registry

    registry = get_registry()
    if as_json:
        typer.echo(json.dumps([asdict(p) for p in registry.plugins], indent=2))
        return
    table([[p.name, f"{p.distribution} {p.version}", p.module,
             "; ".join(f"{kind}: {', '.join(names)}" for kind, names in p.registered.items()) or "-"]
            for p in registry.plugins], ["plugin", "package", "module", "registers"])


@app.command()
def tasks():
    """List the learning tasks that installed plugins register."""
    from ..host.plugins import get_registry

    catalog = get_registry().tasks
    table([[t.name, t.description, catalog.plugin_of(t.name)] for t in catalog], ["task", "description", "plugin"])
