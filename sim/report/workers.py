"""Drawing the report's figures in several processes.

Each figure function (``fn(res, *args)`` of :mod:`sim.report.figures`) draws and saves its own
figures, so they can run side by side: in this process and worker processes that hold a copy of
the results, or one after the other in this process (``workers=1``). Either way a figure's files
are the same bytes (each is drawn the same way, from the same numbers, in a fresh figure), and
the report takes the results in the order it asked for them, never in the order they finished.

Workers are forked from a fork server that has imported the report's modules once ('spawn'
where there is no fork server): not forked from this process, whose threads (pyarrow's, after
reading the results) a forked copy could deadlock on.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
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


def warm_up(workers: int, folders: list[Path]) -> None:
    """Start the fork server now, so that it imports the report's modules while this process
    reads the results (unless the folders are plainly not result folders: the report stops
    at once)."""
    if not all((Path(f) / "runs.parquet").is_file() for f in folders):
        return
    if workers > 1 and _context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


# ---- in the worker ------------------------------------------------------------------------------

_RES = None


def _init(res) -> None:
    global _RES
    _RES = res
    # A worker whose report was killed (SIGKILL, SIGTERM) would draw on and then wait for work
    # forever, holding a copy of the results: leave with it. The fork server leaves by itself
    # when the report's end of its pipe closes, and the resource tracker when both have left.
    from sim.experiments.executors import leave_with_parent

    leave_with_parent()


def _call(fn: Callable, args: tuple) -> Any:
    return fn(_RES, *args)


def _ready() -> None:
    """A call that does nothing: the first one starts the workers."""


# ---- in the report's process ----------------------------------------------------------------------


class _Done:
    """The result of a call made at once, in this process."""

    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value


class Drawer:
    """``draw(fn, *args)`` asks for ``fn(res, *args)`` and returns a handle whose ``result()`` is
    what ``fn`` returned (or raises what it raised).

    With one worker each call runs at once, in this process. With ``workers`` = n > 1, n
    processes share the calls: this one and n - 1 worker processes, started by the first call.
    All calls are asked for, then ``start()`` (or the first ``result()``) puts them in a queue,
    the costliest (by the ``cost`` given) at its two ends: a thread hands calls from the front
    to the workers, one at a time each, and from the first ``result()`` on this process takes
    calls from the back itself, until none is left; the cheapest come last on both sides.

    Use as a context manager: on leaving, every worker has finished (after an error, calls not
    started are dropped and running ones awaited, so that no worker is still writing)."""

    def __init__(self, res, workers: int):
        self.res, self.workers = res, workers
        self.tasks: list[tuple[Callable, tuple]] = []
        self.costs: list[float] = []
        self.queue: deque[int] = deque()      # calls not yet started, by index into tasks
        self.results: dict[int, Any] = {}     # calls made in this process
        self.futures: dict[int, cf.Future] = {}  # calls handed to the workers
        self.error: BaseException | None = None  # of the thread handing out calls
        self.started = self.stop = False
        self.cond = threading.Condition()
        self.pool: cf.ProcessPoolExecutor | None = None
        self.feeder: threading.Thread | None = None

    def __call__(self, fn: Callable, *args, cost: float = 1.0):
        if self.workers <= 1:
            return _Done(fn(self.res, *args))
        if self.started:
            raise RuntimeError("every figure is asked for before the drawing starts")
        self.tasks.append((fn, args))
        self.costs.append(cost)
        if self.feeder is None:
            self.pool = cf.ProcessPoolExecutor(self.workers - 1, mp_context=_context(), initializer=_init,
                                               initargs=(self.res,))
            self.feeder = threading.Thread(target=self._feed, name="report-workers", daemon=True)
            self.feeder.start()
        return _Handle(self, len(self.tasks) - 1)

    def start(self) -> None:
        """Queue the calls asked for: by cost, alternately at the front and the back."""
        with self.cond:
            if self.started:
                return
            order = sorted(range(len(self.tasks)), key=lambda i: -self.costs[i])  # stable
            self.queue.extend([*order[0::2], *reversed(order[1::2])])
            self.started = True
            self.cond.notify_all()

    def _feed(self) -> None:
        """In a thread: start the workers, then hand them calls from the front of the queue, one
        per worker at a time (a call queued in a worker could not be taken back)."""
        running: set[cf.Future] = set()
        try:
            self.pool.submit(_ready).result()  # the workers start (and read the results) meanwhile
            while True:
                with self.cond:
                    while not (self.started or self.stop):
                        self.cond.wait()
                    if self.stop or not self.queue:
                        return
                    i = self.queue.popleft()
                future = self.pool.submit(_call, *self.tasks[i])  # the first starts the workers
                with self.cond:
                    self.futures[i] = future
                    self.cond.notify_all()
                running.add(future)
                if len(running) >= self.workers - 1:
                    _, running = cf.wait(running, return_when=cf.FIRST_COMPLETED)
        except BaseException as err:  # handed to the report's thread
            with self.cond:
                self.error = err
                self.cond.notify_all()

    def _help(self) -> None:
        """Make calls in this process, from the back of the queue, until none is left."""
        self.start()
        while True:
            with self.cond:
                if self.stop or self.error is not None or not self.queue:
                    return
                i = self.queue.pop()
            fn, args = self.tasks[i]
            value = fn(self.res, *args)
            with self.cond:
                self.results[i] = value
                self.cond.notify_all()

    def _result(self, i: int):
        self._help()
        with self.cond:
            while i not in self.results and i not in self.futures and self.error is None:
                self.cond.wait()
            if i in self.results:
                return self.results[i]
            future = self.futures.get(i)
            error = self.error
        try:
            if future is None:
                raise error
            return future.result()
        except cf.process.BrokenProcessPool as err:
            raise WorkerCrash(f"a report worker process died while drawing ({err}); no figure is left "
                              "half-written: run the report again (--workers 1 draws in one process)") from None

    def __enter__(self) -> Drawer:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        with self.cond:
            self.stop = True
            self.cond.notify_all()
        if self.feeder is not None:
            self.feeder.join()
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


class _Handle:
    def __init__(self, drawer: Drawer, index: int):
        self.drawer, self.index = drawer, index

    def result(self):
        return self.drawer._result(self.index)
