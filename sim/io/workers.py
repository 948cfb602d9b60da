"""Worker processes for blocks of runs: this process, a local pool, or a Dask cluster.

:func:`worker_pool` yields a ``map(function, *iterables)`` that returns the results in order,
so a caller (the calibration, the coverage check) is the same code on one core, on every
core of this machine, or on a cluster.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import signal
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


def die_with_parent() -> None:
    """Have Linux kill this process when its parent dies, even by ``kill -9`` (elsewhere: nothing).

    Set in the forkserver (:mod:`sim.io._forkserver`) and in each worker it forks, so neither
    outlives the casim command that started them; the resource tracker then ends as its last
    user goes.
    """
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


@contextmanager
def worker_pool(workers: int = 1, scheduler: str | None = None,
                preload: str = "sim.model.engine") -> Iterator[Callable]:
    """A ``map`` over worker processes for the duration of the block.

    Args:
        workers: local worker processes; 1 runs everything in this process.
        scheduler: None for local processes, ``"local"`` for a Dask LocalCluster of
            ``workers`` processes, else the address of a running Dask scheduler.
        preload: the module local workers import once, before any task (the one whose
            functions they run, so that every worker runs the code as it was at the start).
    """
    if scheduler is not None:
        from dask.distributed import Client, LocalCluster

        cluster = (LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
                   if scheduler == "local" else None)
        client = Client(cluster if cluster is not None else scheduler)
        try:
            yield lambda function, *iterables: client.gather(client.map(function, *iterables, pure=False))
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    elif workers <= 1:
        yield map
    else:
        # forkserver: workers fork from a clean server that has imported casim once, which is
        # fast and safe with the threads pyarrow starts in this process.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["sim.io._forkserver", preload])
        with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=die_with_parent) as pool:
            yield pool.map
