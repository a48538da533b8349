"""Where proving jobs run, behind one small interface.

A scheduler maps a top-level function over independent argument tuples and returns the results
in order.  ``InlineScheduler`` runs them in this process; ``ProcessScheduler`` forks worker
processes that inherit the (large) proving keys copy-on-write and pins each to one numba thread.
A distributed engine would implement the same ``map``.
"""

from __future__ import annotations

import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Sequence


class InlineScheduler:
    workers = 1

    def map(self, fn: Callable, jobs: Sequence[tuple]) -> list:
        return [fn(*args) for args in jobs]


def _init_worker() -> None:
    import numba
    numba.set_num_threads(1)


class ProcessScheduler:
    def __init__(self, workers: int = 2):
        self.workers = max(1, workers)

    def map(self, fn: Callable, jobs: Sequence[tuple]) -> list:
        if len(jobs) <= 1 or self.workers == 1:
            return InlineScheduler().map(fn, jobs)
        ctx = mp.get_context("fork")
        with ProcessPoolExecutor(max_workers=min(self.workers, len(jobs)), mp_context=ctx,
                                 initializer=_init_worker) as ex:
            futures = [ex.submit(fn, *args) for args in jobs]
            return [f.result() for f in futures]
