"""The Prefect flow: one task per source batch (fetch + extract), the flow the only writer.

Import this module only after `flows.settings.prepare_prefect()`: Prefect reads its settings
at import time.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from typing import Any, Generic, TypeVar

# Imported here, while the API server boots, rather than lazily once it is up: Prefect
# imports these only when the flow starts (fastapi.encoders for its parameters, ~0.5 s).
import fastapi.encoders  # noqa: F401
import prefect.flow_engine
import prefect.task_engine  # noqa: F401
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import refresh_global_settings_context
from prefect.exceptions import FailedRun
from prefect.futures import PrefectFuture, as_completed
from prefect.settings import get_current_settings
from prefect.states import Failed
from prefect.task_runners import ThreadPoolTaskRunner

from flows.api_server import LocalApiServer
from flows.config import Source, load_sources, select_sources
from flows.crawl import Walk, crawl_batch
from flows.http import Fetcher, FetchPolicy
from flows.progress import CrawlWatcher, page_hook, watch_plans
from flows.runner import RunResult, run_crawl_once
from store.batches import FAILED, PageState, SourceBatch
from store.db import StoreError, describe_database_error
from store.report import render_md, summary_line

T = TypeVar("T")
_FETCHERS: dict[FetchPolicy, Fetcher] = {}
_FETCHERS_LOCK = threading.Lock()


def shared_fetcher(policy: FetchPolicy) -> Fetcher:
    """One fetcher per policy per process, so per-host politeness spans concurrent batches."""
    with _FETCHERS_LOCK:
        if policy not in _FETCHERS:
            _FETCHERS[policy] = Fetcher(policy)
        return _FETCHERS[policy]


class Unwalked(Generic[T]):
    """Carries a value past Prefect without Prefect walking it. Prefect visits every element
    of the lists, dicts and dataclasses in a task's parameters and a flow's return value
    looking for futures: ~20 ms of CPU per 100-page batch for its work and page states, 1.4 s
    for a report of 10,000 changes. It leaves other objects alone. (Prefect's own `quote` is
    a tuple, which prefect-dask hands to the task unwrapped.)"""

    __slots__ = ("value",)

    def __init__(self, value: T) -> None:
        self.value = value


@task(name="crawl-batch", cache_policy=NO_CACHE, persist_result=False)
def crawl_batch_task(
    source: Source,
    pages: Unwalked[tuple[list[tuple[str, str]], dict[str, PageState], Walk | None]],
    policy: FetchPolicy,
) -> SourceBatch:
    """Fetch and extract one batch of a source's pages (many pages per task: Prefect's
    per-task cost and event volume stay small). `pages`: the work, its page states, and
    leave to walk the pagers of its list pages (`flows.crawl.Walk`)."""
    work, states, walk = pages.value
    batch = crawl_batch(
        source,
        shared_fetcher(policy),
        work,
        states,
        workers=policy.per_host_concurrency,
        on_page=page_hook(),  # live per-page progress when a view watches this run
        walk=walk,
    )
    failed = sum(1 for p in batch.pages if p.outcome == FAILED)
    get_run_logger().info("%s: %d pages, %d failed", source.name, len(batch.pages), failed)
    return batch


class PrefectExecutor:
    """Batches as Prefect tasks on the flow's task runner (threads, or a Dask cluster)."""

    def __init__(self, policy: FetchPolicy) -> None:
        self.policy = policy

    def submit(
        self,
        source: Source,
        work: list[tuple[str, str]],
        states: dict[str, PageState],
        walk: Walk | None = None,
    ) -> PrefectFuture[SourceBatch]:
        return crawl_batch_task.submit(source, Unwalked((work, states, walk)), self.policy)

    def next_done(self, handles: list[PrefectFuture[SourceBatch]]) -> PrefectFuture[SourceBatch]:
        return next(iter(as_completed(handles)))

    def result(self, handle: PrefectFuture[SourceBatch]) -> SourceBatch:
        return handle.result()


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
    executor = PrefectExecutor(FetchPolicy(user_agent=user_agent))
    try:
        result = run_crawl_once(db_path, sources, executor, lock_wait_s=lock_wait_s)
    except sqlite3.Error as exc:
        # the store failed (a full disk, a damaged file), not our code: the run fails with the
        # one line the CLI prints, instead of Prefect logging a traceback of our internals
        return Failed(message=describe_database_error(db_path, exc))  # type: ignore[return-value]
    _publish(result.report, result.changes_total)
    return {
        "run_id": result.run_id,
        "summary": result.summary,
        "counts": result.report["run"],
        "changes_total": result.changes_total,
        "result": Unwalked(result),  # for run_crawl, in this process
    }


ARTIFACT_CHANGES = 500


def _publish(data: dict[str, Any], changes_total: int) -> None:
    run = data["run"]
    create_table_artifact(
        key="agencywatch-run-counts",
        table=[{"what": f"pages {k}", "count": v} for k, v in run["pages"].items()]
        + [{"what": f"items {k}", "count": v} for k, v in run["items"].items()],
        description=f"Counts of run {run['id']}",
    )
    # a first crawl can hold tens of thousands of changes: the artifact shows the most
    # important ones and says where the rest is, instead of costing ~100 MB to render
    shown = {**data, "changes": data["changes"][:ARTIFACT_CHANGES]}
    markdown = render_md(shown)
    hidden = changes_total - len(shown["changes"])
    if hidden > 0:
        markdown += f"\n… and {hidden} more changes: `agencywatch report --run {run['id']}`.\n"
    create_markdown_artifact(
        key="agencywatch-change-report",
        markdown=markdown,
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
    api_server: LocalApiServer | None = None,
) -> RunResult:
    """Run the flow once. `progress` watches it (live view or plain lines); `dask_address` runs
    the batch tasks on that Dask cluster (the flow, here, still writes the store);
    `api_server` is a temporary API server started before Prefect was imported, used when
    Prefect's settings name no server (see `flows.api_server`)."""
    run = crawl_flow
    if progress is not None or dask_address:
        from flows.scale import task_runner

        if progress is not None:
            progress.plan(watch_plans(select_sources(load_sources(sources_path), only), db_path))
        workers = getattr(crawl_flow.task_runner, "_max_workers", 8)
        run = crawl_flow.with_options(
            task_runner=task_runner(
                dask_address=dask_address, watcher=progress, max_workers=workers
            )
        )
    try:
        if api_server is not None:
            _use_api_server(api_server)
        result = run(sources_path, db_path, only, user_agent, lock_wait_s)
    except FailedRun as exc:  # the store's one line (see crawl_flow)
        raise StoreError(str(exc)) from None
    finally:
        if progress is not None:
            progress.close()
    carried: RunResult = result["result"].value
    return carried


def _use_api_server(api_server: LocalApiServer) -> None:
    """Point this process's Prefect at `api_server`, unless a profile or settings file names a
    server: that one wins, as it would without us. The URL stays set until the process exits,
    so Prefect's exit handlers send the run's last logs and events to the same server."""
    if get_current_settings().api.url:
        api_server.stop()
        return
    os.environ["PREFECT_API_URL"] = api_server.wait_ready()
    refresh_global_settings_context()  # Prefect read its settings at import
