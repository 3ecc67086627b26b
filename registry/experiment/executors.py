"""The built-in executors of ``bindreg compare`` (registered by ``bindreg_plugins.executors``).

An executor calls ``function(job)`` for every job and yields ``(index, result)`` as each finishes
(``bindreg.catalog.Executor``); runs are deterministic from their seeds, so where they run does not
change what they give.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

from ..core.errors import BindregError


def serial(function: Callable, jobs: Sequence, keys: Sequence[str], options: Mapping) -> Iterator[tuple[int, object]]:
    """One job after another in this process."""
    for index, job in enumerate(jobs):
        yield index, function(job)


def dask(function: Callable, jobs: Sequence, keys: Sequence[str], options: Mapping) -> Iterator[tuple[int, object]]:
    """Dask distributed: on ``options["scheduler"]`` (``tcp://host:port``), else on a local cluster of
    ``options["workers"]`` single-threaded processes. Dask re-runs the jobs of a worker that dies."""
    from dask.distributed import Client, LocalCluster, as_completed

    scheduler = options.get("scheduler")
    cluster = None if scheduler else LocalCluster(n_workers=int(options.get("workers") or 2), threads_per_worker=1,
                                                  processes=True, dashboard_address=None)
    try:
        try:
            client = Client(scheduler or cluster, timeout="10s")
        except OSError as exc:
            raise BindregError(f"cannot reach the Dask scheduler at {scheduler} ({exc.__class__.__name__}); "
                               "start one (`dask scheduler`) or leave out --scheduler for a local cluster") from None
        with client:
            futures = client.map(function, jobs, key=list(keys), pure=False)
            index_of = {f.key: i for i, f in enumerate(futures)}
            for future in as_completed(futures):
                yield index_of[future.key], future.result()
    finally:
        if cluster is not None:
            cluster.close()
