"""One crawl run, independent of how batches are executed.

The run loop keeps a few batches per source in flight, writes each batch as it completes (this
process is the only writer of the store), follows the links a batch found, and settles a
source's removals once its frontier is empty and nothing of it is in flight. The Prefect flow
plugs in Prefect tasks (threads or a Dask cluster); tests and tools plug in a thread pool.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import sqlite_utils

from flows.config import Source
from flows.crawl import Work, crawl_batch, follow_links, new_frontier, source_info
from flows.extract_pool import extraction_processes
from flows.frontier import Frontier
from flows.http import Fetcher, FetchPolicy
from flows.progress import CrawlWatcher, watch_batch
from store.batches import FAILED, PageRecord, PageState, SourceBatch
from store.db import crawl_lock, open_db
from store.report import count_changes, report_data, summary_line
from store.runs import finish_run, mark_dead_runs, start_run, utcnow
from store.writer import finish_source, page_states, write_batch

log = logging.getLogger("agencywatch.run")
BATCH_PAGES = 100  # pages per batch: few tasks for Prefect, bounded memory per batch
BATCHES_IN_FLIGHT = 2  # per source; the fetcher's host gate sets the real request rate
LOCAL_BATCH_THREADS = 8  # batches at once across sources, as the flow's task runner


class Executor(Protocol):
    """Runs batches somewhere: `submit` returns a handle, `next_done` blocks until one of the
    handles is done and returns it, `result` returns its batch or raises what it raised."""

    def submit(self, source: Source, work: list[Work], states: dict[str, PageState]) -> Any: ...

    def next_done(self, handles: list[Any]) -> Any: ...

    def result(self, handle: Any) -> SourceBatch: ...


RESULT_CHANGES = 10_000  # changes a run's result carries; `agencywatch report` shows them all


@dataclass(frozen=True, slots=True)
class RunResult:
    """A finished run: its summary line and its report, whose `changes` holds the run's most
    important RESULT_CHANGES changes (`changes_total` counts them all)."""

    run_id: int
    summary: str
    report: dict[str, Any]
    changes_total: int = 0

    @property
    def nothing_fetched(self) -> bool:
        """Every page failed: the CLI's exit code 1."""
        pages = self.report["run"]["pages"]
        return bool(pages["fetched"] + pages["not_modified"] == 0 and pages["failed"] > 0)


def run_crawl_once(
    db_path: str,
    sources: list[Source],
    executor: Executor,
    *,
    lock_wait_s: float = 5.0,
    kind: str = "crawl",
) -> RunResult:
    """Lock the store, record a run, crawl, and end the run as completed, failed or
    interrupted; what earlier batches stored stays stored whatever happens."""
    with store_run(db_path, [s.name for s in sources], kind=kind, lock_wait_s=lock_wait_s) as (
        db,
        run_id,
    ), extraction_processes():
        crawl_sources(db, run_id, sources, executor)
    return run_result(db_path, run_id)


@contextmanager
def store_run(
    db_path: str, names: list[str], *, kind: str, lock_wait_s: float = 5.0
) -> Iterator[tuple[sqlite_utils.Database, int]]:
    """The life of one run row, shared by crawls and re-processing: hold the crawl lock, mark
    runs left by dead crawlers interrupted, start the run, and end it completed, failed or
    interrupted."""
    with crawl_lock(db_path, wait_s=lock_wait_s):
        db = open_db(db_path)
        try:
            mark_dead_runs(db)
            run_id = start_run(db, names, kind=kind)
            try:
                yield db, run_id
            except BaseException as exc:
                status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
                finish_run(db, run_id, status, f"{type(exc).__name__}: {exc}")
                raise
            finish_run(db, run_id, "completed")
        finally:
            db.close()


def run_result(db_path: str, run_id: int) -> RunResult:
    db = open_db(db_path)
    try:
        data = report_data(db, run_id, max_changes=RESULT_CHANGES)
        total = count_changes(db, run_id)
    finally:
        db.close()
    return RunResult(run_id, summary_line(data), data, total)


def crawl_sources(
    db: sqlite_utils.Database, run_id: int, sources: list[Source], executor: Executor
) -> None:
    frontiers = {s.name: new_frontier(s) for s in sources}
    inflight: dict[Any, tuple[Source, list[Work]]] = {}

    def fill(source: Source) -> None:
        frontier = frontiers[source.name]
        while len(frontier) and _in_flight(inflight, source) < BATCHES_IN_FLIGHT:
            work = _take(frontier, 1 if frontier.accepted == 1 else BATCH_PAGES)
            states = page_states(db, source.name, [url for url, _ in work])
            inflight[executor.submit(source, work, states)] = (source, work)

    for source in sources:
        fill(source)
    while inflight:
        handle = executor.next_done(list(inflight))
        source, work = inflight.pop(handle)
        batch = _batch_or_failure(executor, handle, source, work)
        write_batch(db, run_id, batch)
        follow_links(source, frontiers[source.name], batch)
        fill(source)
        if not _in_flight(inflight, source):
            finish_source(db, run_id, batch.source, truncated=frontiers[source.name].truncated)


def _in_flight(inflight: dict[Any, tuple[Source, list[Work]]], source: Source) -> int:
    return sum(1 for s, _ in inflight.values() if s is source)


def _take(frontier: Frontier, n: int) -> list[Work]:
    work: list[Work] = []
    while len(work) < n and (item := frontier.pop()) is not None:
        work.append(item)
    return work


def _batch_or_failure(
    executor: Executor, handle: Any, source: Source, work: list[Work]
) -> SourceBatch:
    """A batch that crashed is recorded as failed pages; failed pages remove nothing."""
    try:
        return executor.result(handle)
    except Exception as exc:
        error = f"batch failed: {type(exc).__name__}: {exc}"
        log.error("%s: %s", source.name, error)
        pages = tuple(
            PageRecord(
                url=url, outcome=FAILED, fetched_at=utcnow(), role=role, error=f"{url}: {error}"
            )
            for url, role in work
        )
        return SourceBatch(source_info(source), pages)


class ThreadExecutor:
    """Batches on a local thread pool: the executor of tests and of `crawl --local`."""

    def __init__(
        self,
        fetcher: Fetcher,
        workers: int = 4,
        on_page: Callable[[str, PageRecord], None] | None = None,
        watcher: CrawlWatcher | None = None,
    ) -> None:
        self.fetcher = fetcher
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="batch")
        self.watcher = watcher
        self.on_page = on_page or (watcher.page if watcher is not None else None)

    def submit(
        self, source: Source, work: list[Work], states: dict[str, PageState]
    ) -> Future[SourceBatch]:
        future = self.pool.submit(
            crawl_batch, source, self.fetcher, work, states, on_page=self.on_page
        )
        if self.watcher is not None:
            watch_batch(self.watcher, source.name, [url for url, _ in work], future)
        return future

    def next_done(self, handles: list[Future[SourceBatch]]) -> Future[SourceBatch]:
        done, _ = wait(handles, return_when=FIRST_COMPLETED)
        return next(iter(done))

    def result(self, handle: Future[SourceBatch]) -> SourceBatch:
        return handle.result()

    def close(self) -> None:
        self.pool.shutdown(wait=True)


def run_local(
    sources: list[Source],
    db_path: str,
    policy: FetchPolicy,
    *,
    lock_wait_s: float = 5.0,
    watcher: CrawlWatcher | None = None,
) -> RunResult:
    """The crawl without Prefect (`crawl --local`): the same batches, store, report and
    progress, with no flow run, no artifacts and no API server to start (~8 s here, ~3 s
    against a running server). For re-crawls from cron, where Prefect's UI adds nothing."""
    with Fetcher(policy) as fetcher:
        executor = ThreadExecutor(fetcher, workers=LOCAL_BATCH_THREADS, watcher=watcher)
        try:
            return run_crawl_once(db_path, sources, executor, lock_wait_s=lock_wait_s)
        finally:
            executor.close()
            if watcher is not None:
                watcher.close()
