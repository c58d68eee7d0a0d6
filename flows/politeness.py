"""Per-host politeness shared by every thread and source of a run: request spacing
(source delay, robots.txt Crawl-delay: the larger wins), a concurrency limit, Retry-After, and
robots.txt rules loaded once per origin. The fetcher (flows/http.py) drives it.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from protego import Protego

from flows.errors import TransientFetchError


@dataclass(frozen=True, slots=True)
class RobotsRules:
    """A parsed robots.txt, 'allow all' (no parser), or 'deny all' (`deny_reason`)."""

    parser: Protego | None = None
    deny_reason: str | None = None

    def allows(self, url: str, token: str) -> bool:
        if self.deny_reason is not None:
            return False
        return self.parser is None or bool(self.parser.can_fetch(url, token))

    def delay(self, token: str) -> float:
        if self.parser is None:
            return 0.0
        delay = self.parser.crawl_delay(token)
        rate = self.parser.request_rate(token)
        from_rate = rate.seconds / rate.requests if rate and rate.requests else 0.0
        return max(float(delay or 0.0), float(from_rate))


@dataclass
class _Host:
    sem: threading.BoundedSemaphore
    lock: threading.Lock = field(default_factory=threading.Lock)
    last_start: float = float("-inf")  # when the last request to the host was sent
    blocked_until: float = 0.0  # Retry-After and error backoff push this
    source_delay: float = 0.0
    crawl_delay: float = 0.0
    failures: int = 0  # consecutive transient failures


class HostGate:
    """Per-host politeness shared by every thread: one per run.

    Request *starts* to a host are spaced by max(source delay, Crawl-delay) whatever the number
    of threads (a caller claims its start under the host's lock and sleeps outside it), at most
    `per_host_concurrency` requests are in flight, and Retry-After pushes every caller back.
    """

    def __init__(self, per_host_concurrency: int = 2) -> None:
        self.per_host_concurrency = per_host_concurrency
        self._hosts: dict[str, _Host] = {}
        self._robots: dict[str, tuple[threading.Lock, list[RobotsRules]]] = {}
        self._lock = threading.Lock()

    def _host(self, host: str) -> _Host:
        with self._lock:
            if host not in self._hosts:
                sem = threading.BoundedSemaphore(self.per_host_concurrency)
                self._hosts[host] = _Host(sem)
            return self._hosts[host]

    def set_delay(self, host: str, seconds: float) -> None:
        """A source's delay for `host`; of several sources on one host the largest wins."""
        state = self._host(host)
        with state.lock:
            state.source_delay = max(state.source_delay, seconds)

    def set_crawl_delay(self, host: str, seconds: float) -> None:
        state = self._host(host)
        with state.lock:
            state.crawl_delay = max(state.crawl_delay, seconds)

    def delay(self, host: str) -> float:
        state = self._host(host)
        return max(state.source_delay, state.crawl_delay)

    def defer(self, host: str, seconds: float) -> None:
        """No request to `host` before `seconds` from now (Retry-After, error backoff)."""
        state = self._host(host)
        with state.lock:
            state.blocked_until = max(state.blocked_until, time.monotonic() + seconds)

    def blocked_for(self, host: str) -> float:
        return max(0.0, self._host(host).blocked_until - time.monotonic())

    @contextmanager
    def slot(self, host: str, *, url: str, max_wait: float) -> Iterator[float]:
        """Hold one of the host's concurrency slots once its delay has passed; yields the
        monotonic start time. Raises TransientFetchError rather than wait longer than
        `max_wait` for a host that asked to be left alone."""
        state = self._host(host)
        state.sem.acquire()
        try:
            while True:
                with state.lock:
                    now = time.monotonic()
                    if state.blocked_until - now > max_wait:
                        wait = state.blocked_until - now
                        raise TransientFetchError(
                            url, f"host asked for a {wait:.0f} s pause; skipped this run"
                        )
                    delay = max(state.source_delay, state.crawl_delay)
                    start = max(state.last_start + delay, state.blocked_until)
                    if now >= start:  # claim the start under the lock: spacing holds
                        state.last_start = now  # for any number of threads
                        break
                # sleep outside the lock, then look again: another thread may have claimed
                # the start, or a Retry-After may have pushed the host back
                time.sleep(start - now)
            yield time.monotonic()
        finally:
            state.sem.release()

    def note_outcome(self, host: str, *, transient_failure: bool) -> None:
        state = self._host(host)
        with state.lock:
            state.failures = state.failures + 1 if transient_failure else 0

    def failures(self, host: str) -> int:
        return self._host(host).failures

    def robots(self, origin: str, load: Callable[[], RobotsRules]) -> RobotsRules:
        """The rules of `origin` (scheme://host[:port]), loaded once per run; concurrent
        callers wait for the first one's load."""
        with self._lock:
            lock, cell = self._robots.setdefault(origin, (threading.Lock(), []))
        with lock:
            if not cell:
                cell.append(load())
            return cell[0]


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), None if absent
    or unreadable; a date in the past gives 0."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
