"""``bindreg publish``, ``pull``, ``test`` and ``site``: the model repository."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import FromRepo, app


@app.command()
def publish(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `bindreg run`.")],
    repo: Annotated[Path, typer.Option(help="Git repository with DVC and a default remote.")] = Path("."),
    name: Annotated[Optional[str], typer.Option(help="Artifact name (default: MODEL-DATASET, lower case, "
                                                "'-' for '_').")] = None,
    version: Annotated[Optional[str], typer.Option(help="vX.Y.Z (default: the next version).")] = None,
    stage: Annotated[Optional[str], typer.Option(help="Also assign this stage, e.g. prod.")] = None,
    wait: Annotated[float, typer.Option(help="Seconds to wait for another publish into the same "
                                        "repository before refusing.")] = 60.0,
    target: Annotated[str, typer.Option(help="Where to publish: dvc (a DVC artifact + GTO tag in --repo) or "
                                        "a plugin's publish target (see `bindreg plugins`).")] = "dvc",
):
    """Publish a run: bundle (network, ONNX, card, test.expect, sha256 manifest) -> DVC artifact, GTO tag, dvc push.

    Example: [bold]bindreg publish runs/zeng_md_stat3_helas3/discovery/1layer-seed0 --stage prod[/bold]
    """
    from ..hub.publish import publish_run

    typer.echo(publish_run(run_dir, target, repo=repo, name=name, version=version, stage=stage, wait=wait))


@app.command()
def pull(spec: Annotated[str, typer.Argument(help="NAME or NAME@vX.Y.Z.")], repo: FromRepo = None):
    """Download a published model through DVC, verify every sha256 and its expected predictions, cache it.

    Example: [bold]bindreg pull 1layer-zeng-md-stat3-helas3@v0.0.1 --from ../registry[/bold]
    """
    from ..hub.pull import pull as pull_model

    result = pull_model(spec, repo)
    checks = ", ".join(f"{engine} within {worst:.1e}" for engine, worst in result.worst_difference.items())
    state = f"downloaded and verified (sha256 of every file; test.expect: {checks})" if result.downloaded \
        else "already cached; sha256 of every file re-checked"
    if result.repaired:
        state += f"; the cached copy was damaged ({result.repaired}) and has been replaced"
    typer.echo(f"{result.name}@{result.version}: {state}\n{result.directory}")


@app.command("test")
def test_model(model: Annotated[str, typer.Argument(help="NAME[@VERSION] of a pulled model, or a bundle.")]):
    """Re-check a downloaded model: every sha256, then its expected predictions with MXNet and onnxruntime.

    Example: [bold]bindreg test 1layer-zeng-md-stat3-helas3[/bold]
    """
    from ..hub.pull import recheck

    result = recheck(model)
    typer.echo(f"{model}: sha256 of every file ok; test.expect ok ("
               + ", ".join(f"{e} within {w:.1e}" for e, w in result["worst_difference"].items())
               + f")\n{result['directory']}")


@app.command()
def site(out: Annotated[Path, typer.Argument(help="Folder to write the static site into (replaced).")],
         repo: FromRepo = None):
    """Render a static site of a registry: an index (task, experiment, AUROC, logo) and a page per card.

    Example: [bold]bindreg site public --from ../registry[/bold]
    """
    from ..hub.site import render_site

    rows = render_site(out, repo)
    typer.echo(f"{len(rows)} model page(s) -> {out / 'index.html'}")
