"""One run: its pre-flight, then the run loop, the same whichever way its pages arrive.

Pre-flight (`prepared_run`, once per run): take the store's crawl lock, open the store, mark
runs left by dead crawlers interrupted, start the run row and read what the store remembers
of each source. The CLI does it before Prefect starts, so the crawl scheduler can start
fetching while Prefect's API server boots; a flow run started by a deployment does it itself.

The run loop (`run_loop`) takes deliveries of finished pages from a supply (the crawl
scheduler in this process, the same through Prefect tasks, or `reprocess`'s stored pages),
writes each delivery in one transaction (this process is the only writer of the store),
settles a source's removals once it has ended, and tells an observer (`flows.run.observer`). It
holds no pages beyond the delivery it is writing.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import sqlite_utils

from extractors.urls import normalise_url
from flows.config import Source
from flows.fetch.http import Fetcher, FetchPolicy
from flows.run.extract_pool import extraction_processes
from flows.run.observer import RunObserver, SourcePlan
from flows.run.scheduler import Assignment, CrawlEngine, Delivery, start_engine
from store.batches import PageState
from store.db import crawl_lock, open_db
from store.report import count_changes, report_data, summary_line
from store.runs import finish_run, mark_dead_runs, start_run
from store.writer import finish_source, page_states, write_batch

log = logging.getLogger("agencywatch.run")

# Pages a collection hands the writer at most: each is a Prefect task in a flow run, and the
# API server's work per task shares the crawl's two cores, so a crawl going at full speed
# collects few, full batches; a crawl held back by politeness collects what is ready at most
# every COLLECT_INTERVAL_S, so its pages reach the store (and the progress view) steadily.
BATCH_PAGES = 300
COLLECT_INTERVAL_S = 1.0
RESULT_CHANGES = 10_000  # changes a run's result carries; `agencywatch report` shows them all


@dataclass(frozen=True, slots=True)
class RunResult:
    """A finished run: its summary line and its report, whose `changes` holds the run's most
    important RESULT_CHANGES changes (`changes_total` counts them all); `cut_short` names the
    hosts the run gave up on (`source: host: reason`)."""

    run_id: int
    summary: str
    report: dict[str, Any]
    changes_total: int = 0
    cut_short: tuple[str, ...] = ()

    @property
    def nothing_fetched(self) -> bool:
        """No page was fetched (every one failed, or none could even be asked for, or all
        answered something that is not a page): the CLI's exit code 1."""
        pages = self.report["run"]["pages"]
        return bool(pages["fetched"] + pages["not_modified"] == 0)


@dataclass(eq=False)
class RunContext:
    """A run after its pre-flight: the open store (only the run loop's thread uses it), the
    run row, the sources and what the store remembers of their pages."""

    db_path: str
    db: sqlite_utils.Database
    run_id: int
    kind: str
    sources: list[Source]
    states: dict[str, dict[str, PageState]]
    token: str  # the run's name for its crawl engines, in this process and on Dask workers
    observer: RunObserver | None = None
    result: RunResult | None = None
    cut_short: list[str] = field(default_factory=list)

    def plans(self) -> list[SourcePlan]:
        return [
            SourcePlan(
                s.name,
                normalise_url(s.url),
                s.max_pages,
                s.follow,
                len(self.states.get(s.name, {})),
            )
            for s in self.sources
        ]

    def assignments(self) -> list[Assignment]:
        return [Assignment(s, self.states.get(s.name, {})) for s in self.sources]


class PageSupply(Protocol):
    def next(self) -> Delivery | None:
        """The next delivery of finished pages (blocking); None once there is nothing more."""


@contextmanager
def prepared_run(
    db_path: str,
    sources: Sequence[Source],
    *,
    kind: str = "crawl",
    lock_wait_s: float = 5.0,
    read_states: bool = True,
    observer: RunObserver | None = None,
) -> Iterator[RunContext]:
    """The pre-flight and the life of one run row: hold the crawl lock, mark runs left by dead
    crawlers interrupted, start the run, and end it failed or interrupted if the block raises
    (completed by `run_loop`); what earlier batches stored stays stored whatever happens."""
    # the store is opened (checked, upgraded) first: a damaged or newer store ends the run
    # before the lock file is made beside it
    db = open_db(db_path)
    try:
        with crawl_lock(db_path, wait_s=lock_wait_s):
            mark_dead_runs(db)
            states = {s.name: page_states(db, s.name) for s in sources} if read_states else {}
            run_id = start_run(db, [s.name for s in sources], kind=kind)
            token = f"{os.getpid()}-{run_id}-{uuid.uuid4().hex[:8]}"
            ctx = RunContext(db_path, db, run_id, kind, list(sources), states, token, observer)
            try:
                yield ctx
            except BaseException as exc:
                if ctx.result is None:
                    status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
                    finish_run(db, run_id, status, f"{type(exc).__name__}: {exc}")
                raise
            if ctx.result is None:
                finish_run(db, run_id, "completed")
    finally:
        db.close()


def run_loop(ctx: RunContext, supply: PageSupply, observer: RunObserver | None = None) -> RunResult:
    """Write every delivery of `supply` until it is exhausted, then complete the run."""
    observer = observer or ctx.observer
    if observer is not None:
        observer.plan(ctx.plans())
    try:
        while (delivery := supply.next()) is not None:
            write_delivery(ctx, delivery)
            if observer is None:
                continue
            for batch in delivery.batches:
                observer.pages(batch, delivery.planned.get(batch.source.name))
            for end in delivery.ended:
                observer.ended(end.source.name, end.cut_short)
    finally:
        if observer is not None:
            observer.close()
    return complete(ctx)


def write_delivery(ctx: RunContext, delivery: Delivery) -> None:
    """Store a delivery in one transaction: each source's pages (a batch of them may hold a
    page or two of each of hundreds of sources: one commit for all), then the removals of the
    sources that ended. A crawler killed meanwhile leaves the store as the last one left it."""
    with ctx.db.atomic():
        for batch in delivery.batches:
            write_batch(ctx.db, ctx.run_id, batch)
        for end in delivery.ended:
            finish_source(ctx.db, ctx.run_id, end.source, truncated=end.truncated)
    for end in delivery.ended:
        ctx.cut_short += [f"{end.source.name}: {why}" for why in end.cut_short]
        for why in end.cut_short:
            log.warning("%s: cut short: %s", end.source.name, why)


def complete(ctx: RunContext) -> RunResult:
    """End the run row as completed and read its result from the store."""
    finish_run(ctx.db, ctx.run_id, "completed")
    data = report_data(ctx.db, ctx.run_id, max_changes=RESULT_CHANGES)
    total = count_changes(ctx.db, ctx.run_id)
    ctx.result = RunResult(ctx.run_id, summary_line(data), data, total, tuple(ctx.cut_short))
    return ctx.result


class EngineSupply:
    """Deliveries straight from a crawl engine in this process (`crawl --local`, tests)."""

    def __init__(
        self,
        engine: CrawlEngine,
        *,
        batch_pages: int = BATCH_PAGES,
        interval_s: float = COLLECT_INTERVAL_S,
    ) -> None:
        self.engine = engine
        self.batch_pages = batch_pages
        self.interval_s = interval_s
        self._done = False

    def next(self) -> Delivery | None:
        if self._done:
            return None
        delivery = self.engine.collect(self.batch_pages, self.interval_s)
        self._done = delivery.done
        return delivery


# -- handing a prepared run from the CLI to the flow in the same process ------------------------

_PREPARED: dict[str, RunContext] = {}


def _key(db_path: str) -> str:
    return str(Path(db_path).resolve())


@contextmanager
def handed_over(ctx: RunContext) -> Iterator[None]:
    """While the block runs, a flow run in this process for the same store takes `ctx`
    (`take_prepared`) instead of preparing a run of its own."""
    _PREPARED[_key(ctx.db_path)] = ctx
    try:
        yield
    finally:
        _PREPARED.pop(_key(ctx.db_path), None)


def take_prepared(db_path: str) -> RunContext | None:
    return _PREPARED.pop(_key(db_path), None)


# -- the crawl without Prefect ---------------------------------------------------------------------


def run_crawl_once(
    db_path: str,
    sources: Sequence[Source],
    fetcher: Fetcher,
    *,
    lock_wait_s: float = 5.0,
    observer: RunObserver | None = None,
) -> RunResult:
    """One crawl in this process with `fetcher` (its policy and host gate): pre-flight, the
    crawl scheduler, the run loop. What `crawl --local` and the tests run."""
    with (
        prepared_run(db_path, sources, lock_wait_s=lock_wait_s, observer=observer) as ctx,
        extraction_processes(),
    ):
        engine = start_engine(ctx.token, fetcher.policy, fetcher=fetcher)
        try:
            engine.add(ctx.assignments())
            return run_loop(ctx, EngineSupply(engine))
        finally:
            engine.close()


def run_local(
    sources: Sequence[Source],
    db_path: str,
    policy: FetchPolicy,
    *,
    lock_wait_s: float = 5.0,
    observer: RunObserver | None = None,
) -> RunResult:
    """The crawl without Prefect (`crawl --local`): the same scheduler, store, report and
    progress, with no flow run, no artifacts and no API server to start (~8 s here, ~3 s
    against a running server). For re-crawls from cron, where Prefect's UI adds nothing."""
    with Fetcher(policy) as fetcher:
        return run_crawl_once(db_path, sources, fetcher, lock_wait_s=lock_wait_s, observer=observer)
