"""Watching a run: a live view in a terminal, short plain lines elsewhere, and the same lines
in Prefect's run log.

`CrawlWatcher` is a run observer (`flows.run.observer.RunObserver`): the run loop tells it, from
the thread that writes the store, when a batch of a source's pages is written and when a
source ends. It keeps, per source, pages done of planned, failures so far and the rate, and
reads nothing itself (neither the store nor the crawl).

Planned pages: the pages the crawl has admitted for the source so far (found, within
`max_pages`), as the run loop reports them; before the first batch, 1 for a source that
follows no links, else the pages the store already holds for it (capped at `max_pages`).

Output goes to stderr (stdout carries the summary line). Plain mode prints, per source, a line
at most every `heartbeat_s` seconds while it runs and one when it ends (with the hosts the run
gave up on, if any). The same lines go to the Prefect run log when the run is a flow run;
when Prefect's logging level hides INFO from the console, they are sent to the API log handler
only, so the Prefect UI shows them and the terminal stays quiet.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any, Literal

from flows.run.observer import SourcePlan
from store.batches import FAILED, SourceBatch
from store.outputs import terminal_text

Mode = Literal["auto", "live", "plain", "off"]
MODES: tuple[Mode, ...] = ("auto", "live", "plain", "off")


@dataclass(slots=True)
class SourceProgress:
    name: str
    max_pages: int
    follow: bool
    admitted: int  # pages planned so far
    started: float
    done: int = 0
    failed: int = 0
    closed: bool = False
    ended_at: float | None = None
    last_line: float = 0.0
    cut_short: tuple[str, ...] = ()

    @property
    def planned(self) -> int:
        if self.closed:
            return self.done
        return max(self.done, min(self.max_pages, self.admitted))

    @property
    def state(self) -> str:
        if self.closed:
            return "done"
        return "running" if self.done else "waiting"

    def elapsed(self, now: float) -> float:
        return max(0.0, (self.ended_at if self.ended_at is not None else now) - self.started)

    def rate(self, now: float) -> float:
        elapsed = self.elapsed(now)
        return self.done / elapsed if elapsed > 0 else 0.0

    def line(self, now: float) -> str:
        text = (
            f"{self.name}: {self.state}, {self.done}/{self.planned} pages, {self.failed} "
            f"failed, {self.rate(now):.1f} pages/s, {self.elapsed(now):.1f} s"
        )
        if self.cut_short:
            text += f"; cut short: {'; '.join(self.cut_short)}"
        return text


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

    # -- the observer's calls (from the run loop's thread) -------------------------------
    def plan(self, plans: Sequence[SourcePlan]) -> None:
        now = self.clock()
        with self._lock:
            self._start = now
            for p in plans:
                admitted = max(1, p.known) if p.follow else 1
                self.sources[p.name] = SourceProgress(p.name, p.max_pages, p.follow, admitted, now)
            if self.mode == "live":
                self._start_live()

    def pages(self, batch: SourceBatch, planned: int | None) -> None:
        """A batch of the source's pages was written."""
        now = self.clock()
        with self._lock:
            src = self.sources.get(batch.source.name)
            if src is None or src.closed:
                return
            src.done += len(batch.pages)
            src.failed += sum(1 for p in batch.pages if p.outcome == FAILED)
            if planned is not None and src.follow:
                src.admitted = planned
            self._refresh(src)
            line = self._heartbeat(src, now)
        if line:
            self._emit(line)

    def ended(self, name: str, cut_short: Sequence[str]) -> None:
        """The source is done: its final line."""
        now = self.clock()
        with self._lock:
            src = self.sources.get(name)
            if src is None or src.closed:
                return
            src.closed, src.ended_at, src.cut_short = True, now, tuple(cut_short)
            self._refresh(src)
            line = src.line(now)
        self._emit(line)

    def close(self) -> None:
        """The run is over: sources that did not end (an interrupted run) get their last line."""
        now = self.clock()
        lines: list[str] = []
        with self._lock:
            for src in self.sources.values():
                if not src.closed:
                    src.ended_at = now
                    lines.append(src.line(now))
            if self._live is not None:
                self._refresh_all()
                self._live.stop()
                self._live = None
        for line in lines:
            self._emit(line)

    def __enter__(self) -> CrawlWatcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _heartbeat(self, src: SourceProgress, now: float) -> str:
        """A line when `heartbeat_s` passed since the source's last one (or its start)."""
        if now - max(src.last_line, src.started) >= self.heartbeat_s:
            src.last_line = now
            return src.line(now)
        return ""

    # -- output ----------------------------------------------------------------------------
    def _emit(self, line: str) -> None:
        if self.mode == "plain":
            with self._lock:  # a batch's error may quote a server: shown inert
                print(terminal_text(line), file=self.stream, flush=True)
        if self.run_log:
            if self.run_logger is None:  # the flow run's, when the run loop runs in one
                self.run_logger = _current_run_logger()
            send_to_run_log(self.run_logger, line)

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
                name.ljust(width),
                total=1,
                visible=visible_all,
                count="",
                rate="",
                failed="",
                state="waiting",
            )
        self._total_row = self._live.add_task(
            "all sources".ljust(width),
            total=1,
            count="",
            rate="",
            failed="",
            state="",
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
        # every source runs at once now: beyond max_rows sources, the total row speaks for all
        visible = len(self.sources) <= self.max_rows
        self._live.update(
            self._rows[src.name],
            completed=src.done,
            total=max(1, src.planned),
            visible=visible,
            count=f"{src.done}/{src.planned}",
            rate=f"{src.rate(now):.1f} pages/s",
            failed=f"{src.failed} failed",
            state=src.state,
        )
        done = sum(s.done for s in self.sources.values())
        planned = sum(s.planned for s in self.sources.values())
        failed = sum(s.failed for s in self.sources.values())
        running = sum(1 for s in self.sources.values() if s.state == "running")
        waiting = sum(1 for s in self.sources.values() if s.state == "waiting")
        closed = all(s.closed for s in self.sources.values())
        elapsed = now - self._start
        self._live.update(
            self._total_row,
            completed=done,
            total=max(1, planned),
            count=f"{done}/{planned}",
            rate=f"{done / elapsed if elapsed else 0:.1f} pages/s",
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
    record = base.makeRecord(
        base.name, logging.INFO, __file__, 0, line, (), None, extra=kwargs.get("extra")
    )
    from prefect.logging.handlers import APILogHandler

    for handler in base.handlers:
        if isinstance(handler, APILogHandler):
            handler.handle(record)
