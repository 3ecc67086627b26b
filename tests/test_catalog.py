"""Catalogues: items by name with the plugin that registered each; unknown names get did-you-mean."""

from __future__ import annotations

import pytest

from bindreg.core.errors import BindregError
from bindreg.host.catalog import Architecture, Catalog, Executor


def test_a_catalogue_remembers_order_and_plugin():
    catalog = Catalog("executor", "see `bindreg plugins`")
    catalog.add(Executor("serial", "here", lambda *a: iter(())), "executors (bindreg 0.1)")
    catalog.add(Executor("slurm", "a queue", lambda *a: iter(())), "hpc (bindreg-hpc 1.0)")
    assert catalog.names() == ["serial", "slurm"] and "slurm" in catalog
    assert catalog.plugin_of("slurm") == "hpc (bindreg-hpc 1.0)"
    with pytest.raises(BindregError, match=r"unknown executor 'slrum'; did you mean 'slurm'.*see `bindreg plugins`"):
        catalog.get("slrum")


def test_an_item_without_a_name_is_refused():
    with pytest.raises(BindregError, match="registered a model without a name"):
        Catalog("model").add(Architecture("  ", "blank", lambda h: None), "p (d 1)")
