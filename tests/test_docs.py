"""docs/plugins.md documents every hook of the contract with its exact signature (datasette's test_docs)."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from bindreg.host import hookspecs

DOCS = Path(__file__).resolve().parents[1] / "docs"
HOOKS = [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("register_")]


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented_with_its_signature(hook):
    signature = f"`{hook}{inspect.signature(getattr(hookspecs, hook))}`"
    assert signature in (DOCS / "plugins.md").read_text(), f"docs/plugins.md lacks {signature}"


def test_the_architecture_doc_names_every_stage():
    from test_layers import ALLOWED

    text = (DOCS / "architecture.md").read_text()
    assert all(f"`{stage}/`" in text for stage in ALLOWED)
