"""What every command group shares: the root app, one-line errors, tables and progress bars."""

from __future__ import annotations

import sys
import warnings
from typing import Annotated, Optional

import click
import typer
from typer.core import TyperGroup

from ..core.errors import BindregError, BindregWarning


class OneLineErrors(TyperGroup):
    """Turn the library's errors into one line and exit 1; Ctrl-C into exit 130."""

    def invoke(self, ctx: click.Context):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("always", BindregWarning)
                warnings.showwarning = _show_warning
                return super().invoke(ctx)
        except BindregError as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            typer.echo("Interrupted: nothing partial was kept.", err=True)
            raise typer.Exit(130) from None


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """A ``BindregWarning`` (leakage, duplicates, conflicting labels) as one line on stderr; other
    warnings as Python prints them."""
    if issubclass(category, BindregWarning):
        typer.echo(f"Warning: {message}", err=True)
    else:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def group(**kwargs) -> typer.Typer:
    """A command group with bindreg's error handling (plugins' command groups may use it too)."""
    options = {"no_args_is_help": True, **kwargs}
    return typer.Typer(cls=OneLineErrors, pretty_exceptions_enable=False, rich_markup_mode="rich", **options)


app = group(help="bindreg: train, compare and share models of where transcription factors bind DNA.\n\n"
                 "Start with [bold]bindreg run --model 2layer --task discovery[/bold] (bundled data, CPU, "
                 "minutes), then [bold]bindreg models[/bold] and [bold]bindreg plugins[/bold].")

FromRepo = Annotated[Optional[str], typer.Option("--from", help="Git repository (path or URL) the models are "
                                                 "published in; default: the current repository.")]
ModelArg = Annotated[str, typer.Argument(help="NAME[@VERSION] of a pulled model, or a bundle or run directory.")]
EngineOpt = Annotated[str, typer.Option(help="mxnet, onnxruntime (without MXNet), or a plugin's engine.")]
ModeOpt = Annotated[str, typer.Option(help="whole: each sequence whole, padding masked (MXNet, global-max "
                                      "models); windows: best window of the model's length (every engine); "
                                      "auto: the mode the model was tested in (whole for --any-length runs, "
                                      "else windows), the same on every engine.")]
BudgetOpt = Annotated[str, typer.Option(help="paper: the full protocol; demo: minutes; smoke: seconds.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]


def table(rows: list[list[str]], header: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    out = Table(*header, box=None, header_style="bold")
    for row in rows:
        out.add_row(*row)
    Console(width=160).print(out)


def echo_lines(lines) -> None:
    for line in lines:
        typer.echo(line)


def progress(quiet: bool):
    """A tqdm bar per protocol phase; the callback receives the absolute step count."""
    if quiet:
        return None
    from tqdm.auto import tqdm

    def start(label: str, total: int):
        # In a log (no terminal) a bar redrawn twice a second floods the file; every 15 s is plenty.
        interval = 0.5 if sys.stderr.isatty() else 15
        bar = tqdm(total=total, desc=f"{label:>6}", unit="minibatch", mininterval=interval, file=sys.stderr)

        def advance(done: int) -> None:
            if done - bar.n >= 25 or done == total:
                bar.update(done - bar.n)
                if done == total:
                    bar.close()

        return advance

    return start
