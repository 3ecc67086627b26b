"""Stamps: small git-tracked files that chain the DVC pipeline's stages (dvc.yaml, docs/compare.md).

DVC 3 cannot dry-run a stage whose dependency does not exist yet (``dvc repro --dry`` hashes every
dependency to look up its run cache; treeverse/dvc#9021), so in a fresh clone, where no stage has
run, a stage that depends on the previous stage's data fails the dry run. Each stage therefore
also writes a stamp, ``pipeline/state/STAGE.json`` (a ``cache: false`` output, committed to git),
and the next stage depends on that stamp instead of on the data.

A stamp is the sha256 of what determines its stage's output: the stamps or input files it depends
on and the stage's own settings (``--note``, e.g. model, budget and seed). So a change upstream
changes every stamp below it and DVC re-runs those stages, and a stamp's bytes are the same on every
machine: running the pipeline rewrites the committed stamps with identical content.

``python -m bindreg.experiment.stamps OUT DEPENDENCY... [--note TEXT]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from ..core.errors import BindregError
from ..core.fsutil import write_text_atomic


def stamp(out: Path, dependencies: list[Path], note: str = "") -> str:
    """Write ``out`` (JSON: the digest, the dependencies and the note); returns the digest."""
    digest = hashlib.sha256(note.encode())
    for dependency in sorted(Path(d) for d in dependencies):
        if not dependency.is_file():
            raise BindregError(f"{dependency}: a stamp's dependency must be an existing file (an input or the "
                               "stamp of an earlier stage)")
        digest.update(str(dependency).encode() + b"\0" + dependency.read_bytes() + b"\0")
    record = {"digest": digest.hexdigest(), "dependencies": sorted(str(d) for d in dependencies), "note": note,
              "about": "written by a pipeline stage (bindreg.experiment.stamps); the next stage depends on it"}
    write_text_atomic(Path(out), json.dumps(record, indent=2, sort_keys=True) + "\n")
    return record["digest"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bindreg.experiment.stamps", description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("dependencies", type=Path, nargs="+")
    parser.add_argument("--note", default="")
    args = parser.parse_args(argv)
    try:
        stamp(args.out, args.dependencies, args.note)
    except BindregError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
