"""The Prefect flow: the run loop, fed by Prefect tasks that each collect a batch of pages from
the crawl scheduler (`flows.run.scheduler`), the flow the only writer.

Prefect orchestrates and records; politeness alone sets the pace. A task is one collection
from the engine that crawls the run's sources in a process: the flow's own (whose engine the
CLI started before Prefect, so the first requests did not wait for the API server), or a Dask
worker's, where each host's sources stay for the whole run. One collection per engine is in
flight at a time; the next is submitted before the flow writes the one that came back.

Import this module only after `flows.settings.prepare_prefect()`: Prefect reads its settings
at import time.
"""

from __future__ import annotations

import os
import sqlite3
from collections import defaultdict
from contextlib import ExitStack
from typing import Any, Generic, TypeVar

# Imported here, while the API server boots, rather than lazily once it is up: Prefect
# imports these only when the flow starts (fastapi.encoders for its parameters, ~0.5 s).
import fastapi.encoders  # noqa: F401
import prefect.flow_engine
import prefect.task_engine  # noqa: F401
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext, refresh_global_settings_context
from prefect.exceptions import FailedRun
from prefect.futures import PrefectFuture, as_completed
from prefect.settings import (
    PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
    get_current_settings,
    temporary_settings,
)
from prefect.states import Failed
from prefect.task_runners import ThreadPoolTaskRunner

from extractors.urls import host_of
from flows.config import load_sources, select_sources
from flows.fetch.http import FetchPolicy
from flows.orchestration.api_server import LocalApiServer
from flows.run.extract_pool import extraction_processes
from flows.run.loop import (
    BATCH_PAGES,
    COLLECT_INTERVAL_S,
    RunContext,
    RunResult,
    handed_over,
    prepared_run,
    run_loop,
    take_prepared,
)
from flows.run.page import source_info
from flows.run.scheduler import Assignment, Delivery, SourceEnd, engine_for, start_engine
from store.batches import FAILED
from store.db import StoreError, describe_database_error
from store.report import render_md, summary_line

T = TypeVar("T")
LOCAL = "local"  # the flow's own process, as a place a run's engine lives


class Unwalked(Generic[T]):
    """Carries a value past Prefect without Prefect walking it. Prefect visits every element
    of the lists, dicts and dataclasses in a task's parameters and a flow's return value
    looking for futures: ~20 ms of CPU per 100-page batch for its work and page states, 1.4 s
    for a report of 10,000 changes. It leaves other objects alone. (Prefect's own `quote` is
    a tuple, which prefect-dask hands to the task unwrapped.)"""

    __slots__ = ("value",)

    def __init__(self, value: T) -> None:
        self.value = value


class LostCrawl(RuntimeError):
    """A collection ran where the run's engine is not: its Dask worker was lost."""


@task(name="crawl-batch", cache_policy=NO_CACHE, persist_result=False)
def crawl_batch_task(
    run: str, new: Unwalked[list[Assignment]], policy: FetchPolicy, worker: str
) -> Delivery:
    """Hand the engine of run `run` in this process the sources in `new` (starting it on their
    first batch), and collect its next batch of finished pages (many pages per task: Prefect's
    per-task cost and event volume stay small). `worker` places the task
    (flows.orchestration.scale)."""
    engine = start_engine(run, policy) if new.value else engine_for(run)
    if engine is None:
        raise LostCrawl(f"no crawl of run {run} here (worker {worker}): its worker was lost")
    engine.add(new.value)
    delivery = engine.collect(BATCH_PAGES, COLLECT_INTERVAL_S)
    if delivery.done:
        engine.close()
    failed = sum(1 for b in delivery.batches for p in b.pages if p.outcome == FAILED)
    get_run_logger().info(
        "%d pages of %d sources, %d failed, %d sources done",
        delivery.pages,
        len(delivery.batches),
        failed,
        len(delivery.ended),
    )
    return delivery


class PrefectSupply:
    """Deliveries as Prefect tasks: one collection in flight per engine of the run.

    `started`: the sources were already given to the engine in this process (the CLI's
    pre-flight); else they are split over the task runner's workers, all sources of a host on
    one worker (politeness is kept per process), hosts in turn."""

    def __init__(self, ctx: RunContext, policy: FetchPolicy, *, started: bool) -> None:
        self.ctx, self.policy = ctx, policy
        self._new: dict[str, list[Assignment]] = defaultdict(list)
        self._open: dict[str, set[str]] = defaultdict(set)  # worker -> sources not ended
        if started:
            self._open[LOCAL] = {s.name for s in ctx.sources}
        else:
            workers = _workers()
            hosts: dict[str, str] = {}
            for assignment in ctx.assignments():
                host = host_of(assignment.source.url)
                worker = hosts.setdefault(host, workers[len(hosts) % len(workers)])
                self._new[worker].append(assignment)
                self._open[worker].add(assignment.source.name)
        self._inflight: dict[PrefectFuture[Delivery], str] = {}
        for worker in list(self._open):
            self._submit(worker)

    def _submit(self, worker: str) -> None:
        new = self._new.pop(worker, [])
        future = crawl_batch_task.submit(self.ctx.token, Unwalked(new), self.policy, worker)
        self._inflight[future] = worker

    def next(self) -> Delivery | None:
        if not self._inflight:
            return None
        future = next(iter(as_completed(list(self._inflight))))
        worker = self._inflight.pop(future)
        try:
            delivery = future.result()
        except Exception as exc:  # the worker (and its engine) is gone: its sources end here
            return self._lost(worker, f"{type(exc).__name__}: {exc}")
        self._open[worker] -= {end.source.name for end in delivery.ended}
        if not delivery.done:
            self._submit(worker)  # collecting the next batch overlaps writing this one
        return delivery

    def _lost(self, worker: str, error: str) -> Delivery:
        names = self._open.pop(worker, set())
        by_name = {s.name: s for s in self.ctx.sources}
        why = f"its batches failed: {error}"
        ended = tuple(SourceEnd(source_info(by_name[n]), False, (why,)) for n in sorted(names))
        return Delivery(ended=ended)

    def close(self) -> None:
        engine = engine_for(self.ctx.token)
        if engine is not None:
            engine.close()


def _workers() -> list[str]:
    """Where the flow's task runner runs tasks: its Dask workers, else this process."""
    context = FlowRunContext.get()
    runner = context.task_runner if context is not None else None
    workers = getattr(runner, "current_workers", None)
    found = list(workers()) if callable(workers) else []
    return found or [LOCAL]


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
    policy = FetchPolicy(user_agent=user_agent)
    try:
        ctx = take_prepared(db_path)  # the CLI's pre-flight, when it started this flow run
        if ctx is not None:
            result = _crawl(ctx, policy, started=engine_for(ctx.token) is not None)
        else:
            sources = select_sources(load_sources(sources_path), only)
            with (
                prepared_run(db_path, sources, lock_wait_s=lock_wait_s) as ctx,
                extraction_processes(),
            ):
                result = _crawl(ctx, policy, started=False)
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


def _crawl(ctx: RunContext, policy: FetchPolicy, *, started: bool) -> RunResult:
    supply = PrefectSupply(ctx, policy, started=started)
    try:
        return run_loop(ctx, supply)
    finally:
        supply.close()


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
    prepared: RunContext | None = None,
    dask_address: str | None = None,
    api_server: LocalApiServer | None = None,
) -> RunResult:
    """Run the flow once. `prepared`: the run's pre-flight, done by the caller (whose engine
    may already be crawling, and whose observer watches the run); `dask_address` runs the
    batch tasks on that Dask cluster (the flow, here, still writes the store); `api_server` is
    a temporary API server started before Prefect was imported, used when Prefect's settings
    name no server (see `flows.orchestration.api_server`)."""
    run = crawl_flow
    if dask_address:
        from flows.orchestration.scale import task_runner

        run = crawl_flow.with_options(task_runner=task_runner(dask_address=dask_address))
    with ExitStack() as stack:
        if api_server is not None and _use_api_server(api_server):
            # a server that ends with this process watches no flow run's heartbeats (they
            # find crashed runs), and the flow's end waited up to a second for its heartbeat
            # thread to wake up and stop
            no_heartbeat = {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
            stack.enter_context(temporary_settings(updates=no_heartbeat))
        if prepared is not None:
            stack.enter_context(handed_over(prepared))
        try:
            result = run(sources_path, db_path, only, user_agent, lock_wait_s)
        except FailedRun as exc:  # the store's one line (see crawl_flow)
            raise StoreError(str(exc)) from None
    carried: RunResult = result["result"].value
    return carried


def _use_api_server(api_server: LocalApiServer) -> bool:
    """Point this process's Prefect at `api_server`, unless a profile or settings file names a
    server: that one wins, as it would without us (returns False). The URL stays set until the
    process exits, so Prefect's exit handlers send the run's last logs and events to the same
    server."""
    if get_current_settings().api.url:
        api_server.stop()
        return False
    os.environ["PREFECT_API_URL"] = api_server.wait_ready()
    refresh_global_settings_context()  # Prefect read its settings at import
    return True
