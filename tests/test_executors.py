"""Executors: compare's jobs run wherever an executor says, results come back in job order."""

from __future__ import annotations

import pytest

from bindreg.core.errors import BindregError
from bindreg.experiment import executors
from bindreg.host.plugins import get_registry


def test_serial_yields_every_job_in_order():
    assert list(executors.serial(lambda x: x * 2, [1, 2, 3], ["a", "b", "c"], {})) == [(0, 2), (1, 4), (2, 6)]


def test_the_builtin_executors_are_plugins_and_a_misspelt_one_is_one_line():
    registry = get_registry()
    assert {"serial", "dask"} <= set(registry.executors.names())
    assert registry.executors.plugin_of("dask").startswith("executors (bindreg ")
    with pytest.raises(BindregError, match="unknown executor 'dsak'; did you mean 'dask'"):
        registry.executors.get("dsak")
