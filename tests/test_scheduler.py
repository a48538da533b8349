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
        s.start(warmup=_warm, owner="tag")
        assert s.owner == "tag"
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
    assert s.owner is None and s._pool is None
    assert all(o[2] == [] for o in s.map(_report, [(1,), (2,)]))   # after close: fresh pools again


def test_a_failing_warm_up_is_a_clear_error():
    s = ProcessScheduler(2)
    with pytest.raises(ShieldedError, match="starting the worker processes failed"):
        s.start(warmup=_failing_warm)
    assert s._pool is None and s.owner is None


def test_one_worker_never_forks():
    s = ProcessScheduler(1)
    s.start(warmup=_failing_warm, owner="x")     # nothing is forked, so nothing is warmed
    assert s.owner == "x"
    assert {o[1] for o in s.map(_report, [(1,), (2,)])} == {os.getpid()}


def test_keep_freed_memory_is_harmless_here():
    # in a child, so that this test process keeps its allocator settings
    out = ProcessScheduler(2).map(_call_keep, [(0,), (1,)])
    assert out == [True, True]


def _call_keep(_: int) -> bool:
    _keep_freed_memory()
    return bytearray(64 << 20)[-1] == 0
