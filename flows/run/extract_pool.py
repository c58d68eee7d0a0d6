"""Extraction on every core: one process pool per run, shared by all of its batches.

Parsing and extracting a page is pure-Python CPU work; in the fetch threads it runs one page at a
time under the GIL, so a 2-core machine crawled on one core. A run opens the pool
(`extraction_processes()` in `runner.run_crawl_once` and `reprocess`); fetch threads hand each
page's bytes to it and go on fetching. Where no pool is open in the process (a Dask worker, a
test calling `crawl_batch` directly, `AGENCYWATCH_EXTRACT_PROCESSES=0`) pages are extracted in
the calling thread, exactly as before.

Workers start from a fork server that has already imported the extractors, so a worker costs a
fork, not a second interpreter start-up, and never inherits the crawler's threads or locks.
A worker that dies (a segfault in a C parser, the OOM killer) fails only the pages it had in
hand; the pool is replaced and the run goes on. A crawler that dies (SIGKILL) cannot shut its
pool down: each worker watches it and exits when it is gone (`_watch_crawler`).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, TypeVar

log = logging.getLogger("agencywatch.extract")
T = TypeVar("T")

ENV = "AGENCYWATCH_EXTRACT_PROCESSES"
PRELOAD = ["extractors.core", "flows.run.page"]
WATCH_INTERVAL_S = 1.0  # how often a worker checks that its crawler still runs

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_wanted = 0  # processes the open run asked for; the pool starts with its first page
_opened = 0  # nesting depth of extraction_processes()


def configured_processes() -> int:
    """Processes to extract with: $AGENCYWATCH_EXTRACT_PROCESSES, else one per core; 0 or 1
    core means extracting in the fetch threads (a second process would only add copying)."""
    raw = os.environ.get(ENV, "").strip()
    if raw:
        try:
            return max(0, int(raw))
        except ValueError:
            log.warning("%s=%r is not a number; using one process per core", ENV, raw)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return cores if cores and cores > 1 else 0


def _context() -> multiprocessing.context.BaseContext:
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(PRELOAD)
    return ctx


def warm_up() -> bool:
    """Start the fork server now, so it imports the extractors while the crawler waits for
    something else (the Prefect API server's ~8 s boot): the run's first page then waits for
    a fork, not for an interpreter start and its imports (~1 s measured). True if started;
    nothing happens when the run will extract in its threads."""
    ctx = _context()
    if configured_processes() < 1 or ctx.get_start_method() != "forkserver":
        return False
    from multiprocessing import forkserver

    forkserver.ensure_running()  # spawns it and returns; it preloads on its own
    return True


def _new_pool(processes: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=processes,
        mp_context=_context(),
        initializer=_watch_crawler,
        initargs=(os.getpid(),),
    )


def _watch_crawler(crawler_pid: int) -> None:
    """In each worker: exit once the crawler process that opened the pool is gone. A worker
    otherwise outlives a crawler killed with SIGKILL for good (it holds both ends of its own
    call queue, so it never reads an end of file), and keeps the fork server alive with it
    (measured: every killed crawl left 2-3 processes of 40-75 MB behind)."""

    def watch() -> None:
        while True:
            time.sleep(WATCH_INTERVAL_S)
            try:
                os.kill(crawler_pid, 0)
            except (ProcessLookupError, PermissionError):  # gone, or its PID another user's
                os._exit(1)

    threading.Thread(target=watch, name="agencywatch-crawler-watch", daemon=True).start()


@contextmanager
def extraction_processes(processes: int | None = None) -> Iterator[int]:
    """Open the process pool for the duration of a run (nested opens share it); yields the
    number of worker processes (0: extraction stays in the calling threads)."""
    global _pool, _wanted, _opened
    n = configured_processes() if processes is None else processes
    with _lock:
        _opened += 1
        if _opened == 1:
            _wanted = n
        n = _wanted
    try:
        yield n
    finally:
        with _lock:
            _opened -= 1
            pool, close = _pool, _opened == 0
            if close:
                _pool, _wanted = None, 0
        if close:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
            _stop_fork_server()  # also one `warm_up` started for a run that extracted nothing


def _stop_fork_server() -> None:
    """Stop the fork server with the pool, so a long-lived process (a `schedule` server) does not
    keep its preloaded copy of the extractors between runs, and the server's CPU time (and its
    workers') is accounted to this process. Python has no public call for it."""
    from multiprocessing import forkserver

    stop = getattr(forkserver._forkserver, "_stop", None)
    if stop is not None:
        try:
            stop()
        except OSError as exc:
            log.debug("fork server already gone: %s", exc)


def submit(fn: Callable[..., T], *args: Any) -> Future[T] | None:
    """Run `fn(*args)` in the run's pool; None when no pool is open (the caller runs it)."""
    global _pool
    with _lock:
        if _pool is None and _wanted > 0:
            _pool = _new_pool(_wanted)  # started by the first page (never on a Dask worker)
        pool = _pool
    if pool is None:
        return None
    try:
        return pool.submit(fn, *args)
    except BrokenProcessPool:
        # a worker died under an earlier page: give the rest of the run a fresh pool
        fresh = _replace(pool)
        return None if fresh is None else fresh.submit(fn, *args)


def result(future: Future[T]) -> T:
    """The job's result; a dead worker becomes an ExtractionProcessDied for its pages only."""
    try:
        return future.result()
    except BrokenProcessPool as exc:
        raise ExtractionProcessDied(str(exc) or "an extraction process died") from exc


class ExtractionProcessDied(RuntimeError):
    """The worker process extracting a page ended abruptly (crash or out of memory)."""


def _replace(broken: ProcessPoolExecutor) -> ProcessPoolExecutor | None:
    """The pool that replaces a broken one (None once the run has closed it)."""
    global _pool
    with _lock:
        if _pool is broken:
            log.warning("an extraction process died; starting a new pool")
            _pool = _new_pool(max(1, _wanted))
        fresh = _pool
    broken.shutdown(wait=False, cancel_futures=True)
    return fresh
