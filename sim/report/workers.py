"""Drawing the report's figures in several processes.

Each figure function (``fn(res, *args)`` of :mod:`sim.report.figures`) draws and saves its own
figures, so they can run side by side: in worker processes that hold a copy of the results, or
one after the other in this process (``workers=1``). Either way a figure's files are the same
bytes (each is drawn the same way, from the same numbers, in a fresh figure), and the report
takes the results in the order it asked for them, never in the order they finished.

Workers are forked from a fork server that has imported the report's modules once ('spawn'
where there is no fork server): not forked from this process, whose threads (pyarrow's, after
reading the results) a forked copy could deadlock on.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
from collections.abc import Callable
from typing import Any

MAX_DEFAULT_WORKERS = 4  # figures are a few dozen at most; more processes only copy the results more
PRELOAD = ["sim.report.figures"]


class WorkerCrash(RuntimeError):
    """A worker process died while drawing (killed, out of memory)."""


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def resolve_workers(workers: int | None) -> int:
    """The processes to draw with: as asked, by default one per core up to MAX_DEFAULT_WORKERS."""
    if workers is None:
        return max(1, min(MAX_DEFAULT_WORKERS, usable_cores()))
    if int(workers) < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    return int(workers)


def _context():
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        # Taken up only when the server starts (a sweep in this process may have started it
        # already: then each worker imports what it needs itself).
        ctx.set_forkserver_preload(PRELOAD)
        return ctx
    return multiprocessing.get_context("spawn")


def warm_up(workers: int) -> None:
    """Start the fork server now, so that it imports the report's modules while this process
    reads the results."""
    if workers > 1 and _context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


# ---- in the worker ------------------------------------------------------------------------------

_RES = None


def _init(res) -> None:
    global _RES
    _RES = res


def _call(fn: Callable, args: tuple) -> Any:
    return fn(_RES, *args)


# ---- in the report's process ----------------------------------------------------------------------


class _Done:
    """The result of a call made at once, in this process."""

    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value


class Drawer:
    """``draw(fn, *args)`` runs ``fn(res, *args)`` and returns a handle whose ``result()`` is
    what ``fn`` returned (or raises what it raised). With one worker, at once in this process;
    with more, in worker processes, all started when the first call is made. Use as a context
    manager: on leaving, every worker has finished (after an error, pending calls are
    cancelled and running ones awaited, so that no worker is still writing)."""

    def __init__(self, res, workers: int):
        self.res, self.workers = res, workers
        self.pool: cf.ProcessPoolExecutor | None = None

    def __call__(self, fn: Callable, *args):
        if self.workers <= 1:
            return _Done(fn(self.res, *args))
        if self.pool is None:
            self.pool = cf.ProcessPoolExecutor(self.workers, mp_context=_context(), initializer=_init,
                                               initargs=(self.res,))
        return _Handle(self.pool.submit(_call, fn, args))

    def __enter__(self) -> Drawer:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=exc_type is not None)
            self.pool = None


class _Handle:
    def __init__(self, future: cf.Future):
        self.future = future

    def result(self):
        try:
            return self.future.result()
        except cf.process.BrokenProcessPool as err:
            raise WorkerCrash(f"a report worker process died while drawing ({err}); no figure is left "
                              "half-written: run the report again (--workers 1 draws in one process)") from None
