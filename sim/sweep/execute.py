"""Run members on Dask: an embedded ``LocalCluster``, an existing cluster, or in-process.

Dask (``distributed``) schedules the members: it hands each to a free worker, moves
the members of a worker that dies to the others, and reports each result as it comes,
so the caller can store it at once (and skip it when the sweep is run again). Without
``scheduler`` a ``LocalCluster`` starts with one single-threaded worker process per
core; with ``scheduler="tcp://HOST:PORT"`` the members go to that cluster's workers,
which must be able to import ``sim`` and read the region's data.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import dask

from sim._log import progress
from sim.errors import InputError

log = logging.getLogger(__name__)

#: How long to try reaching an existing scheduler.
CONNECT_TIMEOUT = "10s"

#: Dask settings of the embedded cluster (its workers get them from their nanny): no
#: dashboard, so no statistical profiler sampling every worker thread each 10 ms, which
#: takes ~3 % of a core from the members.
LOCAL_CLUSTER_CONFIG = {"distributed.worker.profile.enabled": False}

#: A task: ``(name, function, arguments)``; its result goes to the caller's callback.
Task = tuple[str, Callable[..., Any], tuple[Any, ...]]


def default_workers() -> int:
    """One worker per core."""
    return max(1, os.cpu_count() or 1)


@contextmanager
def dask_client(scheduler: str | None, workers: int | None) -> Iterator[Any]:
    """A ``distributed.Client`` on ``scheduler``, or on a new ``LocalCluster``.

    The local cluster has ``workers`` processes (default: one per core) of one thread
    each, no dashboard, and is shut down when the block ends.
    """
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise InputError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
        with client:
            yield client
        return
    n = workers or default_workers()
    with dask.config.set(LOCAL_CLUSTER_CONFIG), \
            LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                         dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
        yield client


def describe(client: Any) -> str:
    """Where the members ran: the scheduler address and its workers' threads."""
    info = client.scheduler_info()
    workers = info.get("workers", {})
    threads = sum(w.get("nthreads", 0) for w in workers.values())
    return f"{info.get('address', '?')} ({len(workers)} workers, {threads} threads)"


def run_tasks(tasks: Sequence[Task], on_result: Callable[[str, Any], None],
              scheduler: str | None = None, workers: int | None = None,
              serial: bool = False) -> str:
    """Run every task and call ``on_result(name, result)`` as each finishes.

    ``serial`` runs them one after the other in this process (no Dask). Returns a
    description of where they ran. A task that raises stops the run with its error;
    results already passed to ``on_result`` are kept by the caller.
    """
    bar = progress(log, total=len(tasks), desc="sweep", unit="member")
    try:
        if serial:
            for name, fn, args in tasks:
                on_result(name, fn(*args))
                bar.update()
            return "serial (this process)"
        from distributed import as_completed

        with dask_client(scheduler, workers) as client:
            where = describe(client) if scheduler else f"LocalCluster {describe(client)}"
            log.info("sweep: %d members on %s", len(tasks), where)
            token = uuid.uuid4().hex[:8]
            futures = {client.submit(fn, *args, key=f"sweep-{name}-{token}", pure=False): name
                       for name, fn, args in tasks}
            for future in as_completed(futures):
                on_result(futures[future], future.result())
                bar.update()
            return where
    finally:
        bar.close()
