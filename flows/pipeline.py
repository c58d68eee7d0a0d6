"""The Prefect flow: one task per source batch (fetch + extract), the flow the only writer.

Import this module only after `flows.settings.prepare_prefect()`: Prefect reads its settings
at import time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import sqlite_utils
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture, as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from flows.config import Source, load_sources, select_sources
from flows.crawl import crawl_batch, follow_links, new_frontier, source_info
from flows.frontier import Frontier
from flows.http import Fetcher, FetchPolicy
from flows.progress import CrawlWatcher, SourcePlan
from extractors.urls import normalise_url
from store.batches import FAILED, PageRecord, PageState, SourceBatch
from store.db import crawl_lock, open_db
from store.report import render_md, report_data, summary_line
from store.runs import finish_run, mark_dead_runs, start_run, utcnow
from store.writer import finish_source, page_states, write_batch

_FETCHERS: dict[FetchPolicy, Fetcher] = {}
_FETCHERS_LOCK = threading.Lock()


def shared_fetcher(policy: FetchPolicy) -> Fetcher:
    """One fetcher per policy per process, so per-host politeness spans concurrent batches."""
    with _FETCHERS_LOCK:
        if policy not in _FETCHERS:
            _FETCHERS[policy] = Fetcher(policy)
        return _FETCHERS[policy]


@task(name="crawl-batch", cache_policy=NO_CACHE, persist_result=False)
def crawl_batch_task(
    source: Source, work: list[tuple[str, str]], states: dict[str, PageState], policy: FetchPolicy
) -> SourceBatch:
    """Fetch and extract one batch of a source's pages (many pages per task: Prefect's
    per-task cost and event volume stay small)."""
    batch = crawl_batch(
        source, shared_fetcher(policy), work, states, workers=policy.per_host_concurrency
    )
    failed = sum(1 for p in batch.pages if p.outcome == FAILED)
    get_run_logger().info("%s: %d pages, %d failed", source.name, len(batch.pages), failed)
    return batch


@dataclass(frozen=True, slots=True)
class CrawlOutcome:
    run_id: int
    summary: str
    report: dict[str, Any]

    @property
    def nothing_fetched(self) -> bool:
        pages = self.report["run"]["pages"]
        return bool(pages["fetched"] + pages["not_modified"] == 0 and pages["failed"] > 0)


@flow(
    name="agencywatch-crawl",
    persist_result=False,
    task_runner=ThreadPoolTaskRunner(max_workers=8),  # type: ignore[arg-type]
)
def crawl_flow(
    sources_path: str,
    db_path: str,
    only: list[str] | None = None,
    user_agent: str = "agencywatch",
    lock_wait_s: float = 5.0,
) -> dict[str, Any]:
    """Crawl the sources once: fetch, extract, store, detect changes, publish the report."""
    sources = select_sources(load_sources(sources_path), only)
    policy = FetchPolicy(user_agent=user_agent)
    with crawl_lock(db_path, wait_s=lock_wait_s):
        db = open_db(db_path)
        mark_dead_runs(db)
        run_id = start_run(db, [s.name for s in sources])
        try:
            _crawl_sources(db, run_id, sources, policy)
        except BaseException as exc:
            status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
            finish_run(db, run_id, status, f"{type(exc).__name__}: {exc}")
            raise
        finish_run(db, run_id, "completed")
        data = report_data(db, run_id)
    _publish(data)
    return {"run_id": run_id, "summary": summary_line(data), "report": data}


BATCH_PAGES = 100  # pages per task: large enough to keep task count low, small enough for RAM
BATCHES_IN_FLIGHT = 2  # per source; the host gate decides the real request rate


def _crawl_sources(
    db: sqlite_utils.Database, run_id: int, sources: list[Source], policy: FetchPolicy
) -> None:
    """Keep a few batches per source in flight; write each as it completes; settle a source's
    removals once its frontier is empty and nothing of it is in flight."""
    frontiers = {s.name: new_frontier(s) for s in sources}
    inflight: dict[PrefectFuture[SourceBatch], tuple[Source, list[tuple[str, str]]]] = {}

    def submit(source: Source) -> None:
        frontier = frontiers[source.name]
        while len(frontier) and sum(1 for s, _ in inflight.values() if s is source) < (
            BATCHES_IN_FLIGHT
        ):
            work = _take(frontier, 1 if frontier.accepted == 1 else BATCH_PAGES)
            states = page_states(db, source.name, [url for url, _ in work])
            inflight[crawl_batch_task.submit(source, work, states, policy)] = (source, work)

    for source in sources:
        submit(source)
    while inflight:
        future = next(iter(as_completed(list(inflight))))
        source, work = inflight.pop(future)
        batch = _batch_or_failure(future, source, work)
        write_batch(db, run_id, batch)
        follow_links(source, frontiers[source.name], batch)
        submit(source)
        if not any(s is source for s, _ in inflight.values()):
            finish_source(db, run_id, batch.source, truncated=frontiers[source.name].truncated)


def _take(frontier: Frontier, n: int) -> list[tuple[str, str]]:
    work = []
    while len(work) < n and (item := frontier.pop()) is not None:
        work.append(item)
    return work


def _batch_or_failure(
    future: PrefectFuture[SourceBatch], source: Source, work: list[tuple[str, str]]
) -> SourceBatch:
    """A batch that crashed is recorded as failed pages; it removes nothing."""
    try:
        return future.result()
    except Exception as exc:
        error = f"batch failed: {type(exc).__name__}: {exc}"
        get_run_logger().error("%s: %s", source.name, error)
        pages = tuple(
            PageRecord(
                url=url, outcome=FAILED, fetched_at=utcnow(), role=role, error=f"{url}: {error}"
            )
            for url, role in work
        )
        return SourceBatch(source_info(source), pages)


def _publish(data: dict[str, Any]) -> None:
    run = data["run"]
    create_table_artifact(
        key="agencywatch-run-counts",
        table=[{"what": f"pages {k}", "count": v} for k, v in run["pages"].items()]
        + [{"what": f"items {k}", "count": v} for k, v in run["items"].items()],
        description=f"Counts of run {run['id']}",
    )
    create_markdown_artifact(
        key="agencywatch-change-report",
        markdown=render_md(data),
        description=f"Change report of run {run['id']}",
    )
    get_run_logger().info(summary_line(data))


def run_crawl(
    sources_path: str,
    db_path: str,
    only: list[str] | None,
    user_agent: str,
    lock_wait_s: float,
    *,
    progress: CrawlWatcher | None = None,
    dask_address: str | None = None,
) -> CrawlOutcome:
    """Run the flow once. `progress` watches it (live view or plain lines); `dask_address` runs
    the batch tasks on that Dask cluster (the flow, here, still writes the store)."""
    run = crawl_flow
    if progress is not None or dask_address:
        from flows.scale import task_runner

        if progress is not None:
            progress.plan(watch_plans(sources_path, db_path, only))
        workers = getattr(crawl_flow.task_runner, "_max_workers", 8)
        run = crawl_flow.with_options(
            task_runner=task_runner(
                dask_address=dask_address, watcher=progress, max_workers=workers
            )
        )
    try:
        result = run(sources_path, db_path, only, user_agent, lock_wait_s)
    finally:
        if progress is not None:
            progress.close()
    return CrawlOutcome(result["run_id"], result["summary"], result["report"])


def watch_plans(sources_path: str, db_path: str, only: list[str] | None) -> list[SourcePlan]:
    """What the progress view plans per source: the start URL plus the pages the store knows."""
    sources = select_sources(load_sources(sources_path), only)
    db = open_db(db_path)
    try:
        return [
            SourcePlan(
                s.name,
                normalise_url(s.url),
                s.max_pages,
                s.follow,
                frozenset(page_states(db, s.name)),
            )
            for s in sources
        ]
    finally:
        db.close()
