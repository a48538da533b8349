"""Where proving jobs run, behind one small interface.

A scheduler maps a top-level function over independent argument tuples and returns the results
in order.  ``InlineScheduler`` runs them in this process; ``ProcessScheduler`` forks worker
processes that inherit the (large) proving keys copy-on-write and pins each to one numba thread.
A distributed engine would implement the same ``map``.

``ProcessScheduler.start`` forks its workers once, ahead of the work, and keeps them until
``close``; without it every ``map`` forks a fresh pool.
"""

from __future__ import annotations

import ctypes
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Sequence

from shielded.errors import ShieldedError


class InlineScheduler:
    workers = 1
    owner = None
    started = False

    def map(self, fn: Callable, jobs: Sequence[tuple]) -> list:
        return [fn(*args) for args in jobs]


def _keep_freed_memory() -> None:
    """In a worker, with glibc: serve large arrays from the heap and never trim it, so that each
    proof reuses the pages of the previous one instead of faulting in fresh zeroed pages (a leaf
    after the first proves in 4.1 s instead of 4.5 s, BENCHMARKS.md).  The worker keeps its peak
    memory until it exits.  Does nothing where mallopt does not exist."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_mmap_threshold = -1, -3          # <malloc.h>
    mallopt(m_mmap_threshold, 1 << 30)
    mallopt(m_trim_threshold, (1 << 31) - 1)


def _init_worker(ready=None, warmup: Callable | None = None) -> None:
    import numba
    numba.set_num_threads(1)
    _keep_freed_memory()
    try:
        if warmup is not None:
            warmup()
    finally:
        if ready is not None:
            ready.release()


def _run_job(threads: int, fn: Callable, args: tuple):
    import numba
    numba.set_num_threads(threads)
    try:
        return fn(*args)
    finally:
        numba.set_num_threads(1)


class ProcessScheduler:
    def __init__(self, workers: int = 2):
        self.workers = max(1, workers)
        self.owner = None        # what start() was told the workers were forked with
        self._pool: ProcessPoolExecutor | None = None

    def start(self, warmup: Callable | None = None, owner=None) -> None:
        """Fork the workers now (they inherit this process as it is at this moment), run
        ``warmup()`` once in each, and return when every worker has finished it.  ``map`` then
        uses these workers until ``close``.  ``owner`` is recorded so that callers can check
        what the workers hold.  With one worker nothing is forked (``map`` runs inline)."""
        self.close()
        if self.workers > 1:
            ctx = mp.get_context("fork")
            ready = ctx.Semaphore(0)
            pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx,
                                       initializer=_init_worker, initargs=(ready, warmup))
            first = pool.submit(int)            # a fork pool starts all its workers at once
            for _ in range(self.workers):
                ready.acquire()
            try:
                first.result()
            except Exception as e:              # a worker's warm-up failed: the pool is broken
                pool.shutdown(cancel_futures=True)
                raise ShieldedError(f"starting the worker processes failed: {type(e).__name__}: {e}") from e
            self._pool = pool
        self.owner = owner

    @property
    def started(self) -> bool:
        """Whether started workers are alive (``map`` sends them every job)."""
        return self._pool is not None

    def close(self) -> None:
        """Stop the started workers (if any); ``map`` forks a pool per call again."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        self.owner = None

    def __enter__(self) -> "ProcessScheduler":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def map(self, fn: Callable, jobs: Sequence[tuple]) -> list:
        """Started workers take every job, even a single one, each job with workers // jobs
        numba threads (at least one): this process stays idle while they live, since writing
        to its memory would copy the pages it shares with them (a merge proved here beside
        started workers took 4.4 s instead of 3.1).  Otherwise: inline for one job or one
        worker, else a pool forked for this call."""
        if self._pool is not None and jobs:
            threads = max(1, self.workers // len(jobs))
            futures = [self._pool.submit(_run_job, threads, fn, args) for args in jobs]
            return [f.result() for f in futures]
        if len(jobs) <= 1 or self.workers == 1:
            return InlineScheduler().map(fn, jobs)
        ctx = mp.get_context("fork")
        with ProcessPoolExecutor(max_workers=min(self.workers, len(jobs)), mp_context=ctx,
                                 initializer=_init_worker) as ex:
            futures = [ex.submit(fn, *args) for args in jobs]
            return [f.result() for f in futures]
