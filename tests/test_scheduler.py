"""The schedulers behind prove_batch: inline, forked per call, and started ahead with a warm-up
(shielded/operator/scheduler.py; SPEC.md section 30)."""

from __future__ import annotations

import os

import pytest

from shielded.errors import ShieldedError
from shielded.operator.scheduler import InlineScheduler, ProcessScheduler, _keep_freed_memory

_WARMED: list = []          # the warm-up appends in each worker (a forked copy of this list)


def _warm() -> None:
    _WARMED.append(os.getpid())


def _failing_warm() -> None:
    raise RuntimeError("warm-up broke")


def _report(x: int) -> tuple:
    import numba
    return x * x, os.getpid(), list(_WARMED), numba.get_num_threads()


def test_inline_runs_in_order_in_this_process():
    out = InlineScheduler().map(_report, [(i,) for i in range(3)])
    assert [o[0] for o in out] == [0, 1, 4]
    assert {o[1] for o in out} == {os.getpid()}


def test_per_call_pool_runs_in_workers_in_order():
    out = ProcessScheduler(2).map(_report, [(i,) for i in range(5)])
    assert [o[0] for o in out] == [0, 1, 4, 9, 16]
    assert os.getpid() not in {o[1] for o in out}
    assert all(o[2] == [] for o in out)          # no warm-up without start()


def test_started_workers_are_warmed_once_and_kept_until_close():
    with ProcessScheduler(2) as s:
        assert not s.started
        s.start(warmup=_warm, owner="tag")
        assert s.started and s.owner == "tag"
        first = s.map(_report, [(i,) for i in range(6)])
        second = s.map(_report, [(i,) for i in range(6)])
        assert [o[0] for o in first] == [i * i for i in range(6)]
        pids = {o[1] for o in first} | {o[1] for o in second}
        assert os.getpid() not in pids and len(pids) <= 2      # the same two processes throughout
        for _, pid, warmed, threads in first + second:
            assert warmed == [pid]                             # each warmed itself, exactly once
            assert threads == 1                                # 6 jobs on 2 workers: one thread each
        (sq, pid, warmed, threads), = s.map(_report, [(7,)])
        assert sq == 49 and pid != os.getpid() and warmed == [pid]   # a single job goes to a worker too
        assert threads == 2                                    # ... with both threads
    assert s.owner is None and not s.started
    assert all(o[2] == [] for o in s.map(_report, [(1,), (2,)]))   # after close: fresh pools again


def test_a_failing_warm_up_is_a_clear_error():
    s = ProcessScheduler(2)
    with pytest.raises(ShieldedError, match="starting the worker processes failed"):
        s.start(warmup=_failing_warm)
    assert not s.started and s.owner is None


def test_one_worker_never_forks():
    s = ProcessScheduler(1)
    s.start(warmup=_failing_warm, owner="x")     # nothing is forked, so nothing is warmed
    assert s.owner == "x"
    assert {o[1] for o in s.map(_report, [(1,), (2,)])} == {os.getpid()}


def test_workers_keep_freed_memory():
    """_keep_freed_memory makes a worker keep a large freed array's pages (its next proof reuses
    them); without it, glibc hands them back at once.  Each side runs in its own child, so this
    test process keeps its allocator settings."""
    if not _has_glibc_mallopt():
        pytest.skip("no glibc mallopt here: _keep_freed_memory does nothing on this platform")
    kept, = InlineScheduler().map(_child, [(True,)])
    given_back, = InlineScheduler().map(_child, [(False,)])
    assert kept > 200 << 20          # of the 256 MB freed, nearly all still resident
    assert given_back < 64 << 20


def _has_glibc_mallopt() -> bool:
    import ctypes
    try:
        return hasattr(ctypes.CDLL(None), "mallopt")
    except OSError:
        return False


def _child(keep: bool) -> int:
    """Resident bytes still held after freeing a 256 MB array, measured in a forked child."""
    import multiprocessing as mp
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    p = ctx.Process(target=_measure_freed, args=(keep, out))
    p.start()
    value = out.get(timeout=60)
    p.join()
    return value


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _measure_freed(keep: bool, out) -> None:
    import numpy as np
    if keep:
        _keep_freed_memory()
    before = _rss()
    a = np.ones(256 << 20, np.uint8)
    del a
    out.put(_rss() - before)
