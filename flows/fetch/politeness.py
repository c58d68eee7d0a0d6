"""Per-host politeness shared by every thread and source of a run: request spacing
(source delay, robots.txt Crawl-delay: the larger wins), a concurrency limit, Retry-After, and
robots.txt rules loaded once per origin. The fetcher (flows/fetch/http.py) drives it; the crawl
scheduler (flows/run/scheduler.py) asks it when each host may be sent its next request.

The delay is kept as the server sees it: it runs from the moment the previous request actually
went out (the connection reports it, `request_sent`), not from the moment the gate let it go.
With both cores busy, a thread the gate had let go could take most of a second to send its
request, and the next one, let go on time, reached the server 0.19 s after it (1 s delay).
So the next request to a host is let go only once the previous one has been sent, and a delay
after that. A request whose sending is never reported (through a proxy, or a connection that
failed) counts as sent when its exchange ends: later, never earlier.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

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
    last_sent: float = float("-inf")  # when the last request to the host went out
    last_grant: float = float("-inf")  # when the gate last let a request go
    unsent: int = 0  # requests let go whose sending is not reported yet
    blocked_until: float = float("-inf")  # Retry-After and error backoff push this
    source_delay: float = 0.0
    crawl_delay: float = 0.0
    failures: int = 0  # consecutive transient failures


# how often a caller looks again while the host's previous request is let go but not yet sent
# (normally a few milliseconds; most of a second when the machine is busy)
SEND_POLL_S = 0.005


class _Sending(threading.local):
    """The request this thread was let go for and has not reported sent (see `request_sent`)."""

    host: _Host | None = None
    clock: Callable[[], float] = time.monotonic


_sending = _Sending()


def request_sent() -> None:
    """Called by the connection right after it wrote a request: the host's delay runs from
    now. Outside a gate's slot (a request nobody let go) it does nothing."""
    state = _sending.host
    if state is None:
        return
    _sending.host = None
    with state.lock:
        state.unsent -= 1
        state.last_sent = max(state.last_sent, _sending.clock())


class HostGate:
    """Per-host politeness shared by every thread: one per run.

    Requests to a host go out at least max(source delay, Crawl-delay) apart, measured from
    when each actually went out, whatever the number of threads (a caller claims its start
    under the host's lock and sleeps outside it); at most `per_host_concurrency` requests are
    in flight, and Retry-After pushes every caller back. `clock` and `sleep` are the time the
    gate reads and waits (a test drives a scheduler with a fake clock).
    """

    def __init__(
        self,
        per_host_concurrency: int = 2,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_host_concurrency = per_host_concurrency
        self.clock = clock
        self.sleep = sleep
        self._hosts: dict[str, _Host] = {}
        self._robots: dict[str, tuple[threading.Lock, list[RobotsRules]]] = {}
        self._robots_of: dict[str, list[list[RobotsRules]]] = {}  # host -> its origins' cells
        self._lock = threading.Lock()

    def _host(self, host: str) -> _Host:
        state = self._hosts.get(host)  # the scheduler asks for every host, every dispatch
        if state is not None:
            return state
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
            state.blocked_until = max(state.blocked_until, self.clock() + seconds)

    def blocked_for(self, host: str) -> float:
        return max(0.0, self._host(host).blocked_until - self.clock())

    def ready_at(self, host: str) -> float:
        """The earliest time (on the gate's clock) the host's next request may be let go, as
        far as the gate knows now: its delay after the last request went out (or, while that
        one is not sent yet, after it was let go), and any pause it asked for. It does not
        count free slots: a scheduler keeps its own count of what it sent there."""
        state = self._host(host)
        with state.lock:
            return self._start(state, self.clock())

    @staticmethod
    def _start(state: _Host, now: float) -> float:
        """When a request may start: the host's pause, its delay after the last request went
        out, and, while a request let go is not sent yet, at least a poll from now (its send
        time is the one the delay runs from)."""
        delay = max(state.source_delay, state.crawl_delay)
        start = state.blocked_until
        if delay > 0:
            start = max(start, state.last_sent + delay, state.last_grant + delay)
            if state.unsent:
                start = max(start, now + SEND_POLL_S)
        return start

    @contextmanager
    def slot(self, host: str, *, url: str, max_wait: float) -> Iterator[float]:
        """Hold one of the host's concurrency slots once its delay has passed; yields the
        start time. The request sent inside counts from when the connection reports it sent
        (`request_sent`), else from when the block ends. Raises TransientFetchError rather
        than wait longer than `max_wait` for a host that asked to be left alone."""
        state = self._host(host)
        state.sem.acquire()
        try:
            while True:
                with state.lock:
                    now = self.clock()
                    if state.blocked_until - now > max_wait:
                        wait = state.blocked_until - now
                        raise TransientFetchError(
                            url, f"host asked for a {wait:.0f} s pause; skipped this run"
                        )
                    start = self._start(state, now)
                    if now >= start:  # claim the start under the lock: spacing holds
                        state.last_grant = now  # for any number of threads
                        state.unsent += 1
                        break
                # sleep outside the lock, then look again: another thread may have claimed
                # the start, or a Retry-After may have pushed the host back
                self.sleep(start - now)
            _sending.host, _sending.clock = state, self.clock
            try:
                yield now
            finally:
                if _sending.host is state:  # never reported sent: count it sent now
                    request_sent()
        finally:
            state.sem.release()

    def note_outcome(self, host: str, *, transient_failure: bool) -> None:
        state = self._host(host)
        with state.lock:
            state.failures = state.failures + 1 if transient_failure else 0

    def failures(self, host: str) -> int:
        return self._host(host).failures

    def trouble(self, host: str, failure_limit: int) -> str | None:
        """Why the crawl of `host` ended short, or None: its robots.txt could not be read, it
        failed `failure_limit` fetches in a row, it asked for a pause the run did not wait out,
        or its last fetches failed (timeouts, 5xx: the pages they would have led to are
        unknown)."""
        with self._lock:
            cells = list(self._robots_of.get(host, ()))
        for cell in cells:
            if cell and cell[0].deny_reason is not None:
                return cell[0].deny_reason
        state = self._host(host)
        if failure_limit and state.failures >= failure_limit:
            return f"skipped after {state.failures} failed fetches in a row"
        pause = state.blocked_until - self.clock()
        if pause > 1:  # more than a retry's backoff: the host asked for it (Retry-After)
            return f"asked for a {pause:.0f} s pause (Retry-After)"
        if state.failures:
            return f"its last {state.failures} fetch(es) failed (timeouts, server errors)"
        return None

    def robots(self, origin: str, load: Callable[[], RobotsRules]) -> RobotsRules:
        """The rules of `origin` (scheme://host[:port]), loaded once per run; concurrent
        callers wait for the first one's load."""
        with self._lock:
            if origin not in self._robots:
                self._robots[origin] = (threading.Lock(), [])
                self._robots_of.setdefault(_origin_host(origin), []).append(self._robots[origin][1])
            lock, cell = self._robots[origin]
        with lock:
            if not cell:
                cell.append(load())
            return cell[0]


def _origin_host(origin: str) -> str:
    return (urlsplit(origin).hostname or "").lower()


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
