"""Where ``bindreg compare`` runs its jobs: here one after another, or on Dask distributed."""

import bindreg
from bindreg.catalog import Executor
from bindreg.experiment import executors


@bindreg.hookimpl
def register_executors(register):
    register(Executor("serial", "one run after another in this process", executors.serial))
    register(Executor("dask", "Dask distributed: a local cluster (--workers), or --scheduler tcp://host:port",
                      executors.dask))
