"""Watching a crawl: a live view in a terminal, short plain lines elsewhere, and the same events
in Prefect's run log.

`CrawlWatcher` keeps, per source, pages done of planned, failures so far and the rate. It is fed
from two places:

- per page, through `crawl_batch(..., on_page=page_hook())` in the task: the task runner that
  `flows.scale.task_runner()` builds puts the watcher in a context variable when it submits a
  task to a thread of the flow's process, so the hook updates the view directly;
- per batch, from the task runner: when the flow submits one (its work list grows the plan) and,
  through a done-callback on the future, when it comes back; the only feed when the batch ran
  on a Dask worker (another process, where `page_hook()` is None).
A page is counted once, whichever feed brings it.

Planned pages: 1 for a source that follows no links, else the pages discovered so far (the start
URL, the pages the store already knows for the source, the pages handed to tasks and the links
found on crawled pages), capped at `max_pages`.

Output goes to stderr (stdout carries the summary line). Plain mode prints, per source, a line
at most every `heartbeat_s` seconds while it runs and one when the crawl ends. The same
lines go to the Prefect run log (the flow run's, or the task run's when they come from a task);
when Prefect's logging level hides INFO from the console, they are sent to the API log handler
only, so the Prefect UI shows them and the terminal stays quiet.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import IO, Any, Literal

from extractors.urls import normalise_url
from flows.config import Source
from store.batches import FAILED, PageRecord, SourceBatch
from store.db import open_db
from store.outputs import terminal_text
from store.writer import page_states

Mode = Literal["auto", "live", "plain", "off"]
MODES: tuple[Mode, ...] = ("auto", "live", "plain", "off")
ProgressHook = Callable[[str, PageRecord], None]

_CURRENT: ContextVar[CrawlWatcher | None] = ContextVar("agencywatch_watcher", default=None)


def page_hook() -> ProgressHook | None:
    """The per-page hook of the watcher of this thread's crawl, or None (Dask worker, no view)."""
    watcher = _CURRENT.get()
    return watcher.page if watcher is not None else None


@contextmanager
def watching(watcher: CrawlWatcher | None) -> Iterator[None]:
    """Makes `page_hook()` return the watcher's hook in this context (and contexts copied from
    it, such as the thread pool task runner's)."""
    token = _CURRENT.set(watcher)
    try:
        yield
    finally:
        _CURRENT.reset(token)


@dataclass(slots=True)
class SourcePlan:
    """What is known of a source before its crawl starts."""

    name: str
    url: str
    max_pages: int
    follow: bool
    known: frozenset[str] = frozenset()  # URLs the store already holds for the source


@dataclass(slots=True)
class SourceProgress:
    name: str
    max_pages: int
    follow: bool
    discovered: set[str] = field(default_factory=set)  # planned URLs (capped by max_pages)
    counted: set[str] = field(default_factory=set)  # pages done
    failed_urls: set[str] = field(default_factory=set)
    inflight: int = 0  # batches handed to the task runner and not back yet
    batches: int = 0
    closed: bool = False
    started: float | None = None
    last_activity: float | None = None
    last_line: float = 0.0

    @property
    def done(self) -> int:
        return len(self.counted)

    @property
    def failed(self) -> int:
        return len(self.failed_urls)

    @property
    def planned(self) -> int:
        if self.closed:
            return self.done
        return max(self.done, min(self.max_pages, len(self.discovered)))

    @property
    def state(self) -> str:
        if self.closed:
            return "done" if self.batches else "not started"
        if self.inflight:
            return "running"
        return "idle" if self.batches else "waiting"

    def elapsed(self, now: float) -> float:
        if self.started is None:
            return 0.0
        end = (self.last_activity or now) if self.closed or not self.inflight else now
        return max(0.0, end - self.started)

    def rate(self, now: float) -> float:
        elapsed = self.elapsed(now)
        return self.done / elapsed if elapsed > 0 else 0.0

    def line(self, now: float) -> str:
        return (f"{self.name}: {self.state}, {self.done}/{self.planned} pages, {self.failed} "
                f"failed, {self.rate(now):.1f} pages/s, {self.elapsed(now):.1f} s")

    def count(self, record: PageRecord, now: float) -> None:
        self.counted.add(record.url)
        self.discovered.add(record.url)
        if record.outcome == FAILED:
            self.failed_urls.add(record.url)
        else:
            self.failed_urls.discard(record.url)
        if self.follow:
            self.discovered.update(link.partition(" ")[2] for link in record.links)
        self.last_activity = now


class CrawlWatcher:
    """Thread-safe progress of one crawl, rendered live, as plain lines, or not at all."""

    def __init__(
        self,
        mode: Mode = "auto",
        *,
        stream: IO[str] | None = None,
        heartbeat_s: float = 10.0,
        max_rows: int = 20,
        clock: Callable[[], float] = time.monotonic,
        run_log: bool = True,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.run_log = run_log  # also send lines to the Prefect run's log (off: no Prefect)
        self.mode: Mode = resolve_mode(mode, self.stream)
        self.heartbeat_s = heartbeat_s
        self.max_rows = max_rows
        self.clock = clock
        self.sources: dict[str, SourceProgress] = {}
        self.run_logger: logging.LoggerAdapter[logging.Logger] | logging.Logger | None = None
        self._lock = threading.RLock()
        self._live: Any = None  # rich.progress.Progress while the live view runs
        self._rows: dict[str, Any] = {}  # source name -> rich TaskID
        self._total_row: Any = None
        self._start = clock()

    # -- set-up and tear-down ------------------------------------------------------------
    def plan(self, plans: Iterable[SourcePlan]) -> None:
        with self._lock:
            for p in plans:
                discovered = {p.url, *p.known} if p.follow else {p.url}
                self.sources[p.name] = SourceProgress(p.name, p.max_pages, p.follow, discovered)
            if self.mode == "live":
                self._start_live()

    def close(self) -> None:
        """The flow is over: every source's line is final (one plain line per source)."""
        now = self.clock()
        lines: list[str] = []
        with self._lock:
            for src in self.sources.values():
                if src.closed:
                    continue
                src.closed = True
                if src.batches:
                    lines.append(src.line(now))
            if self._live is not None:
                self._refresh_all()
                self._live.stop()
                self._live = None
        for line in lines:
            self._emit(line, from_task=False)

    def __enter__(self) -> CrawlWatcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- events ----------------------------------------------------------------------------
    def submitted(self, name: str, work: Iterable[str] = ()) -> None:
        """The flow handed a batch of the source's pages to the task runner (in the flow)."""
        if self.run_logger is None:
            self.run_logger = _current_run_logger()
        with self._lock:
            src = self.sources.get(name)
            if src is None:
                return
            if src.started is None:
                src.started = self.clock()
            src.inflight += 1
            src.batches += 1
            src.discovered.update(work)
            self._refresh(src)

    def page(self, name: str, record: PageRecord) -> None:
        """One page of the source is done (called from the task, in this process)."""
        now = self.clock()
        with self._lock:
            src = self.sources.get(name)
            if src is None or src.closed:
                return
            if src.started is None:
                src.started = now
            src.count(record, now)
            self._refresh(src)
            line = self._heartbeat(src, now)
        if line:
            self._emit(line, from_task=True)

    def finished(self, name: str, batch: SourceBatch | None, error: str | None = None,
                 work: Iterable[str] = ()) -> None:
        """A batch came back to the flow (or crashed: its pages count as failed)."""
        now = self.clock()
        with self._lock:
            src = self.sources.get(name)
            if src is None or src.closed:
                return
            src.inflight = max(0, src.inflight - 1)
            if batch is not None:
                for record in batch.pages:
                    src.count(record, now)
            else:
                for url in work:
                    src.counted.add(url)
                    src.failed_urls.add(url)
                src.last_activity = now
            self._refresh(src)
            line = self._heartbeat(src, now, force=batch is None)
            if line and error:
                line += f": {error}"
        if line:
            self._emit(line, from_task=False)

    def _heartbeat(self, src: SourceProgress, now: float, *, force: bool = False) -> str:
        """A line when `heartbeat_s` passed since the source's last one (or its start)."""
        if force or now - max(src.last_line, src.started or now) >= self.heartbeat_s:
            src.last_line = now
            return src.line(now)
        return ""

    # -- output ----------------------------------------------------------------------------
    def _emit(self, line: str, *, from_task: bool) -> None:
        if self.mode == "plain":
            with self._lock:  # a batch's error may quote a server: shown inert
                print(terminal_text(line), file=self.stream, flush=True)
        if not self.run_log:
            return
        logger = _current_run_logger() if from_task else None
        send_to_run_log(logger or self.run_logger, line)

    def _start_live(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn

        console = Console(file=self.stream)
        self._live = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            TextColumn("{task.fields[count]:>11}"),
            TextColumn("{task.fields[rate]:>12}"),
            TextColumn("{task.fields[failed]:>9}"),
            TextColumn("{task.fields[state]}"),
            console=console,
            refresh_per_second=4,
        )
        width = max((len(n) for n in self.sources), default=5)
        width = max(width, len("all sources"))
        visible_all = len(self.sources) <= self.max_rows
        for name in self.sources:
            self._rows[name] = self._live.add_task(
                name.ljust(width), total=1, visible=visible_all,
                count="", rate="", failed="", state="waiting",
            )
        self._total_row = self._live.add_task(
            "all sources".ljust(width), total=1, count="", rate="", failed="", state="",
        )
        self._refresh_all()
        self._live.start()

    def _refresh_all(self) -> None:
        for src in self.sources.values():
            self._refresh(src)

    def _refresh(self, src: SourceProgress) -> None:
        if self._live is None:
            return
        now = self.clock()
        visible = len(self.sources) <= self.max_rows or src.state == "running"
        self._live.update(
            self._rows[src.name], completed=src.done, total=max(1, src.planned),
            visible=visible, count=f"{src.done}/{src.planned}",
            rate=f"{src.rate(now):.1f} pages/s", failed=f"{src.failed} failed", state=src.state,
        )
        done = sum(s.done for s in self.sources.values())
        planned = sum(s.planned for s in self.sources.values())
        failed = sum(s.failed for s in self.sources.values())
        running = sum(1 for s in self.sources.values() if s.state == "running")
        waiting = sum(1 for s in self.sources.values() if s.state == "waiting")
        closed = all(s.closed for s in self.sources.values())
        elapsed = now - self._start
        self._live.update(
            self._total_row, completed=done, total=max(1, planned),
            count=f"{done}/{planned}", rate=f"{done / elapsed if elapsed else 0:.1f} pages/s",
            failed=f"{failed} failed",
            state="done" if closed else f"{running} running, {waiting} waiting",
        )


def resolve_mode(mode: Mode, stream: IO[str]) -> Mode:
    """`auto`: the live view on a terminal, plain lines in a pipe, a file or CI."""
    if mode in ("live", "plain", "off"):
        return mode
    from rich.console import Console

    console = Console(file=stream)
    if console.is_terminal and not console.is_dumb_terminal and not os.environ.get("CI"):
        return "live"
    return "plain"


def _current_run_logger() -> logging.LoggerAdapter[logging.Logger] | logging.Logger | None:
    """The run logger of the flow or task run of this thread, or None outside any run."""
    if "prefect" not in sys.modules:  # no run without it; a --local crawl never imports it
        return None
    try:
        from prefect.exceptions import MissingContextError
        from prefect.logging import get_run_logger
    except ImportError:  # pragma: no cover - prefect is a dependency
        return None
    try:
        return get_run_logger()
    except MissingContextError:
        return None


def send_to_run_log(
    logger: logging.LoggerAdapter[logging.Logger] | logging.Logger | None, line: str
) -> None:
    """INFO to the run logger; when INFO is filtered (PREFECT_LOGGING_LEVEL=WARNING, the CLI's
    default), straight to the logger's API handler, so the Prefect UI still gets the line."""
    if logger is None:
        return
    if logger.isEnabledFor(logging.INFO):
        logger.info(line)
        return
    if not isinstance(logger, logging.LoggerAdapter):
        return
    _msg, kwargs = logger.process(line, {})
    base = logger.logger
    record = base.makeRecord(base.name, logging.INFO, __file__, 0, line, (), None,
                             extra=kwargs.get("extra"))
    from prefect.logging.handlers import APILogHandler

    for handler in base.handlers:
        if isinstance(handler, APILogHandler):
            handler.handle(record)


def watch_plans(sources: list[Source], db_path: str) -> list[SourcePlan]:
    """What the progress view plans per source: the start URL plus the pages the store knows."""
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


def watch_batch(watcher: CrawlWatcher, name: str, urls: list[str], future: Any) -> None:
    """Report a submitted batch now and its outcome when `future` (a thread pool's or a
    Prefect future: anything with `add_done_callback` and `result`) completes."""
    watcher.submitted(name, urls)

    def done(f: Any) -> None:
        try:
            batch = f.result()
        except BaseException as exc:
            watcher.finished(name, None, f"{type(exc).__name__}: {exc}", urls)
            return
        if isinstance(batch, SourceBatch):
            watcher.finished(name, batch)
        else:
            watcher.finished(name, None, f"unexpected result {type(batch).__name__}", urls)

    future.add_done_callback(done)
