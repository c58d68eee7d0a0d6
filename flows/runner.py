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
from flows.crawl import Walk, Work, crawl_batch, follow_links, new_frontier, source_info
from flows.extract_pool import extraction_processes
from flows.frontier import Frontier
from flows.http import Fetcher, FetchPolicy
from flows.progress import CrawlWatcher, watch_batch
from store.batches import FAILED, PageRecord, PageState, SourceBatch
from store.db import crawl_lock, open_db
from store.report import count_changes, report_data, summary_line
from store.runs import finish_run, mark_dead_runs, start_run, utcnow
from store.writer import finish_source, has_pages, page_states, write_batch

log = logging.getLogger("agencywatch.run")
# Pages per batch of a source the store does not hold yet: each page's records (and its body,
# until an extraction process has packed it) are held until its batch is written, so this
# bounds memory; each batch is a Prefect task, and the API server's CPU per task is shared with
# the crawl's two cores (20,000-article first crawl, 200 vs 100, 4 alternating pairs: 140-157
# vs 152-158 s, never slower in a pair; crawler peak RSS 234-237 vs 227-230 MB). 400 was no
# faster (4 pairs: 143-154 vs 147-156 s, +8 MB): most first-crawl batches are smaller than the
# size anyway, as the pager walk hands the frontier detail pages a few hundred at a time, so
# the tasks only went from ~152 to ~131.
BATCH_PAGES = 200
# Pages per batch of a source the store holds: its pages answer mostly 304s, with no body to
# hold, and on 100 of them Prefect's per-task cost (~0.1 s of CPU) weighed (5,000-article
# unchanged re-crawl: 28.1 -> 25.1 s, 3 runs each).
REVISIT_BATCH_PAGES = 300
BATCHES_IN_FLIGHT = 2  # per source; the fetcher's host gate sets the real request rate
LOCAL_BATCH_THREADS = 8  # batches at once across sources, as the flow's task runner
WALK_PAGES = 20  # list pages one walking batch may add beyond those it starts from


class Executor(Protocol):
    """Runs batches somewhere: `submit` returns a handle, `next_done` blocks until one of the
    handles is done and returns it, `result` returns its batch or raises what it raised."""

    def submit(
        self,
        source: Source,
        work: list[Work],
        states: dict[str, PageState],
        walk: Walk | None = None,
    ) -> Any: ...

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
        """No page was fetched (every one failed, or none could even be asked for, or all
        answered something that is not a page): the CLI's exit code 1."""
        pages = self.report["run"]["pages"]
        return bool(pages["fetched"] + pages["not_modified"] == 0)


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
    with (
        store_run(db_path, [s.name for s in sources], kind=kind, lock_wait_s=lock_wait_s) as (
            db,
            run_id,
        ),
        extraction_processes(),
    ):
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
    sizes = {s.name: REVISIT_BATCH_PAGES if has_pages(db, s.name) else BATCH_PAGES for s in sources}
    pagers = {s.name: _Pager() for s in sources}
    inflight: dict[Any, tuple[Source, list[Work], Walk | None]] = {}

    def submit(source: Source, work: list[Work], walk: Walk | None = None) -> None:
        states = page_states(db, source.name, [url for url, _ in work])
        inflight[executor.submit(source, work, states, walk)] = (source, work, walk)

    def fill(source: Source) -> None:
        frontier, pager = frontiers[source.name], pagers[source.name]
        if frontier.accepted == 1 and len(frontier):  # the start page alone: it says the rest
            submit(source, _take(frontier, 1))
            return
        if not source.follow:  # nothing to walk: the queue in its order
            while len(frontier) and _batches(inflight, source) < BATCHES_IN_FLIGHT:
                submit(source, _take(frontier, sizes[source.name]))
            return
        if frontier.listings_queued and not _batches(inflight, source, walks=True):
            work = frontier.pop_listings(WALK_PAGES)
            budget = frontier.reserve(pager.budget(frontier))
            submit(source, work, Walk(budget, frozenset(pager.known), pager.states(db, source)))
        while frontier.others_queued and _batches(inflight, source) < BATCHES_IN_FLIGHT:
            submit(source, frontier.pop_others(sizes[source.name]))

    for source in sources:
        fill(source)
    while inflight:
        handle = executor.next_done(list(inflight))
        source, work, walk = inflight.pop(handle)
        batch = _batch_or_failure(executor, handle, source, work)
        if walk is not None:
            _settle_walk(frontiers[source.name], batch, work, walk)
        write_batch(db, run_id, batch)
        follow_links(source, frontiers[source.name], batch)
        pagers[source.name].learn(batch)
        fill(source)
        if not any(s is source for s, _, _ in inflight.values()):
            finish_source(db, run_id, batch.source, truncated=frontiers[source.name].truncated)


class _Pager:
    """One source's pagination in a run (one walking batch at a time, so two never fetch the
    same list page): what the run knows of its list pages, and how many detail pages a list
    page brings, which sizes a walk under a tight `max_pages`."""

    def __init__(self) -> None:
        self.known: set[str] = set()
        self.listings = 0
        self.details = 0
        self._states: dict[str, PageState] | None = None

    def budget(self, frontier: Frontier) -> int:
        """List pages the next walk may add: WALK_PAGES, or fewer when the remaining budget
        would not also pay for the detail pages they bring (breadth first, as the queue);
        none before a list page has shown how many it brings."""
        if not self.listings:
            return 0
        per_listing = 1 + self.details // self.listings
        return min(WALK_PAGES, (frontier.max_pages - frontier.accepted) // per_listing)

    def states(self, db: sqlite_utils.Database, source: Source) -> dict[str, PageState]:
        """The stored validators of the source's pages that carry links (list pages, feeds),
        read once per run: a walk finds its pages as it goes."""
        if self._states is None:
            self._states = page_states(db, source.name, linking=True)
        return self._states

    def learn(self, batch: SourceBatch) -> None:
        for page in batch.pages:
            if page.role != "listing":
                continue
            self.known.add(page.url)
            self.listings += 1
            for link in page.links:
                role, _, url = link.partition(" ")
                if role == "next":
                    self.known.add(url)
                else:
                    self.details += 1


def _settle_walk(frontier: Frontier, batch: SourceBatch, work: list[Work], walk: Walk) -> None:
    """Record the pages a walk fetched beyond its start as seen, and give back the budget it
    reserved and did not use."""
    started = {url for url, _ in work}
    claimed = sum(1 for p in batch.pages if p.url not in started and frontier.claim(p.url))
    frontier.release(walk.budget - claimed)


def _batches(
    inflight: dict[Any, tuple[Source, list[Work], Walk | None]],
    source: Source,
    *,
    walks: bool = False,
) -> int:
    """Batches in flight for `source`: those that walk pagers, or (by default) the others."""
    return sum(1 for s, _, w in inflight.values() if s is source and (w is not None) == walks)


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
        self,
        source: Source,
        work: list[Work],
        states: dict[str, PageState],
        walk: Walk | None = None,
    ) -> Future[SourceBatch]:
        future = self.pool.submit(
            crawl_batch, source, self.fetcher, work, states, on_page=self.on_page, walk=walk
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
