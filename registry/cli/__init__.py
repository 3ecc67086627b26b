"""The ``bindreg`` command line: each command parses, makes one call into the library and prints.

One module per command group (``experiment``, ``data``, ``models``, ``hub``, ``score``). A
``BindregError`` becomes one line on stderr and exit status 1 (``common.OneLineErrors``);
nothing else is caught, so a real bug still shows its traceback. Commands that plugins register
(``register_commands``) are added only when the command line names a command bindreg lacks, or
asks for help, so bindreg's own commands never wait for plugins they do not use.
"""

from __future__ import annotations

import sys

import typer

from . import data, experiment, hub, models, score  # noqa: F401  (each registers its commands on `app`)
from .common import app


def builtin_commands() -> set[str]:
    return set(typer.main.get_command(app).commands)


def add_plugin_commands(args: list[str]) -> None:
    """Add the commands plugins register when ``args`` name no built-in command (or ask for help).

    A plugin command that takes a built-in name is refused with one warning line."""
    words = [a for a in args if not a.startswith("-")]
    builtin = builtin_commands()
    if words and words[0] in builtin:
        return
    from ..host.plugins import get_registry

    for command in get_registry().commands:
        if command.name in builtin:
            typer.echo(f"Warning: command {command.name!r} from plugin {get_registry().commands.plugin_of(command.name)}"
                       " refused: bindreg has a command of that name", err=True)
        elif isinstance(command.app, typer.Typer):
            app.add_typer(command.app, name=command.name, help=command.description)
        else:
            app.command(command.name, help=command.description)(command.app)


def main() -> None:
    add_plugin_commands(sys.argv[1:])
    app()
