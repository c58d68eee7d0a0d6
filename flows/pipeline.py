"""The Prefect flow: one task per source batch (fetch + extract), the flow the only writer.

Import this module only after `flows.settings.prepare_prefect()`: Prefect reads its settings
at import time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture, as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from flows.config import Source, load_sources, select_sources
from flows.crawl import crawl_source, source_info
from flows.http import Fetcher, FetchPolicy
from flows.urls import normalise_url
from store.batches import FAILED, PageRecord, PageState, SourceBatch
from store.db import crawl_lock, open_db
from store.report import render_md, report_data, summary_line
from store.runs import finish_run, mark_dead_runs, start_run, utcnow
from store.writer import page_states, write_batch

_FETCHERS: dict[FetchPolicy, Fetcher] = {}
_FETCHERS_LOCK = threading.Lock()


def shared_fetcher(policy: FetchPolicy) -> Fetcher:
    """One fetcher per policy per process, so per-host politeness spans concurrent batches."""
    with _FETCHERS_LOCK:
        if policy not in _FETCHERS:
            _FETCHERS[policy] = Fetcher(policy)
        return _FETCHERS[policy]


@task(name="crawl-source-batch", cache_policy=NO_CACHE, persist_result=False)
def crawl_source_task(
    source: Source, states: dict[str, PageState], policy: FetchPolicy
) -> SourceBatch:
    batch = crawl_source(source, shared_fetcher(policy), states)
    logger = get_run_logger()
    failed = sum(1 for p in batch.pages if p.outcome == FAILED)
    logger.info("%s: %d pages, %d failed", source.name, len(batch.pages), failed)
    return batch


@dataclass(frozen=True, slots=True)
class CrawlOutcome:
    run_id: int
    summary: str
    report: dict[str, Any]

    @property
    def nothing_fetched(self) -> bool:
        pages = self.report["run"]["pages"]
        return pages["fetched"] + pages["not_modified"] == 0 and pages["failed"] > 0


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
            futures = {
                crawl_source_task.submit(s, page_states(db, s.name), policy): s for s in sources
            }
            for future in as_completed(list(futures)):
                write_batch(db, run_id, _batch_or_failure(future, futures[future]))
        except BaseException as exc:
            status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
            finish_run(db, run_id, status, f"{type(exc).__name__}: {exc}")
            raise
        finish_run(db, run_id, "completed")
        data = report_data(db, run_id)
    _publish(data)
    return {"run_id": run_id, "summary": summary_line(data), "report": data}


def _batch_or_failure(future: PrefectFuture[SourceBatch], source: Source) -> SourceBatch:
    """A batch that crashed is recorded as one failed page; it removes nothing."""
    try:
        return future.result()
    except Exception as exc:
        url = normalise_url(source.url)
        error = f"{url}: batch failed: {type(exc).__name__}: {exc}"
        get_run_logger().error(error)
        page = PageRecord(url=url, outcome=FAILED, fetched_at=utcnow(), error=error)
        return SourceBatch(source_info(source), (page,))


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
    sources_path: str, db_path: str, only: list[str] | None, user_agent: str, lock_wait_s: float
) -> CrawlOutcome:
    result = crawl_flow(sources_path, db_path, only, user_agent, lock_wait_s)
    return CrawlOutcome(result["run_id"], result["summary"], result["report"])
